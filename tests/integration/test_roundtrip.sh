# SPDX-License-Identifier: GPL-2.0
#
# test_roundtrip.sh - every record type, files and sockets included,
# through every path a record takes: a generated capture (capgen -m
# every) is replayed into a spool, then read back with query, exported
# raw, as JSON lines and armored, imported, and read again; each must
# print exactly what the original capture prints (sequence numbers
# aside where the spool assigns new ones). No BPF needed.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
"$ET_TOOLS/capgen" -q -n 2600 -m every -o "$T/orig.cap"
check capgen_exit test $? -eq 0
"$EDGETRACE" query --file "$T/orig.cap" --json >"$T/orig.json"
check all_records test "$(wc -l <"$T/orig.json")" -eq 2600
types=$(grep -o '"type":"[a-z_]*"' "$T/orig.json" | sort -u | wc -l)
check every_type test "$types" -eq 26

"$EDGETRACE" run --spool "$T/spool" --replay "$T/orig.cap" 2>"$T/rep.err"
check replay_exit test $? -eq 0
"$EDGETRACE" query --spool "$T/spool" --json >"$T/spool.json"
noseq() { sed 's/"seq":[0-9]*,//' "$1"; }
check spool_equals_capture cmp -s <(noseq "$T/orig.json") <(noseq "$T/spool.json")

"$EDGETRACE" export --spool "$T/spool" --format raw >"$T/exp.cap" 2>/dev/null
"$EDGETRACE" query --file "$T/exp.cap" --json >"$T/exp.json"
check raw_export_equals_spool cmp -s "$T/spool.json" "$T/exp.json"
"$EDGETRACE" export --spool "$T/spool" --format jsonl >"$T/exp.jsonl" 2>/dev/null
check jsonl_export_equals_spool cmp -s "$T/spool.json" "$T/exp.jsonl"
"$EDGETRACE" export --spool "$T/spool" --format armor >"$T/exp.armor" 2>/dev/null
"$EDGETRACE" import -o "$T/imp.cap" "$T/exp.armor" 2>"$T/imp.err"
check import_exit test $? -eq 0
check armor_round_trip cmp -s "$T/exp.cap" "$T/imp.cap"

# the table names every type
"$EDGETRACE" query --spool "$T/spool" >"$T/table"
check table_rows test "$(tail -n +2 "$T/table" | wc -l)" -eq 2600
check table_no_unknown_type test "$(awk 'NR > 1 && $3 == "?"' "$T/table" | wc -l)" -eq 0
