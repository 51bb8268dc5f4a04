#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run-boards.sh BOARD... - `make BOARD=<b> test` for each board, then
# one line with the totals. Each board's own output is shown as it runs and
# ends with its "N passed, N failed" line; a board whose build fails counts
# as one failure. The last line is the total "N passed, N failed".
set -u

pass=0
fail=0
skip=0
summary=

for b in "$@"; do
	echo "=== board $b"
	log=$(mktemp)
	make --no-print-directory BOARD="$b" test 2>&1 | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "FAIL board $b: build or test run did not complete"
		fail=$((fail + 1))
		summary="$summary  $b: build failed"$'\n'
		continue
	fi
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.*, ([0-9]+) skipped.*/\1/p' <<<"$line")
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + ${s:-0}))
	summary="$summary  $b: $line"$'\n'
done

echo "=== all boards"
printf '%s' "$summary"
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
