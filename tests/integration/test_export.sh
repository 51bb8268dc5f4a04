# SPDX-License-Identifier: GPL-2.0
#
# test_export.sh - export, capture files and replay. A spool with real
# events is exported raw (a capture) and as JSON lines; query --file on the
# capture prints exactly what query prints from the spool; run --replay of
# the capture into a new spool reproduces every record (with the new
# spool's sequence numbers); an export resumes from --from-seq; and a
# capture that is cut, flipped or not a capture is refused with the byte
# offset and the reason.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
start_agent "$T/spool" || { fail start "agent did not start"; exit 1; }
"$ET_TOOLS/etworkload" exit 3 >/dev/null
"$ET_TOOLS/etworkload" signal 15 >/dev/null
for i in 1 2 3 4 5; do /bin/true "et-export-$i"; done
sleep 0.3
stop_agent INT

"$EDGETRACE" query --spool "$T/spool" --json >"$T/orig.json"
n=$(wc -l <"$T/orig.json")
check have_records test "$n" -gt 10
"$EDGETRACE" export --spool "$T/spool" >"$T/cap" 2>"$T/exp.err"
check export_exit test $? -eq 0
check export_says_resume grep -q "resume with --from-seq" "$T/exp.err"
"$EDGETRACE" query --file "$T/cap" --json >"$T/file.json"
check file_equals_spool cmp -s "$T/orig.json" "$T/file.json"
"$EDGETRACE" export --spool "$T/spool" --format jsonl >"$T/exp.json" 2>/dev/null
check jsonl_equals_query cmp -s "$T/orig.json" "$T/exp.json"
"$EDGETRACE" query --file - --json <"$T/cap" >"$T/stdin.json"
check file_from_stdin cmp -s "$T/orig.json" "$T/stdin.json"

# replay: every record again, under the new spool's numbering
"$EDGETRACE" run --spool "$T/replayed" --replay "$T/cap" 2>"$T/rep.err"
check replay_exit test $? -eq 0
check replay_count grep -q "replayed $n records" "$T/rep.err"
"$EDGETRACE" query --spool "$T/replayed" --json >"$T/rep.json"
check replay_equals_original cmp -s <(sed 's/"seq":[0-9]*,//' "$T/orig.json") \
	<(sed 's/"seq":[0-9]*,//' "$T/rep.json")
"$EDGETRACE" run --spool "$T/filtered" --replay "$T/cap" \
	--filter 'evt.type = exec and proc.cmdline startswith "/bin/true et-export"' 2>/dev/null
check replay_filtered test "$("$EDGETRACE" query --spool "$T/filtered" --json | wc -l)" -eq 5

# resume an export where a previous one stopped
mid=$(sed -n "$((n / 2))p" "$T/orig.json" | grep -o '"seq":[0-9]*' | cut -d: -f2)
"$EDGETRACE" export --spool "$T/spool" --from-seq "$mid" --format jsonl >"$T/tail.json" 2>/dev/null
check resume_from_seq cmp -s "$T/tail.json" <(tail -n +"$((n / 2))" "$T/orig.json")

# damaged captures
size=$(stat -c %s "$T/cap")
head -c $((size - 7)) "$T/cap" >"$T/cut"
rc=0; "$EDGETRACE" query --file "$T/cut" >/dev/null 2>"$T/err" || rc=$?
check cut_refused test "$rc" -eq 1 -a -n "$(grep 'cut short at byte' "$T/err")"
cp "$T/cap" "$T/flip"
printf '\xff' | dd of="$T/flip" bs=1 seek=$((size / 2)) conv=notrunc status=none
rc=0; "$EDGETRACE" query --file "$T/flip" >/dev/null 2>"$T/err" || rc=$?
check flip_refused test "$rc" -eq 1 -a -n "$(grep -E 'checksum|damaged' "$T/err")"
# a damaged sequence number (the first frame's, at byte 8) is caught too
cp "$T/cap" "$T/seqflip"
printf '\x7f' | dd of="$T/seqflip" bs=1 seek=9 conv=notrunc status=none
rc=0; "$EDGETRACE" query --file "$T/seqflip" >/dev/null 2>"$T/err" || rc=$?
check seq_flip_refused test "$rc" -eq 1 -a -n "$(grep 'fails its checksum' "$T/err")"
echo "not a capture" >"$T/text"
rc=0; "$EDGETRACE" query --file "$T/text" >/dev/null 2>"$T/err" || rc=$?
check not_capture_refused test "$rc" -eq 1 -a -n "$(grep 'not an edgetrace capture' "$T/err")"
cp "$T/cap" "$T/newer"
printf '\x03' | dd of="$T/newer" bs=1 seek=5 conv=notrunc status=none
rc=0; "$EDGETRACE" query --file "$T/newer" >/dev/null 2>"$T/err" || rc=$?
check newer_refused test "$rc" -eq 1 -a -n "$(grep 'newer than this edgetrace' "$T/err")"
rc=0; "$EDGETRACE" run --spool "$T/bad" --replay "$T/flip" 2>"$T/err" || rc=$?
check replay_damaged_refused test "$rc" -eq 1

# usage errors
rc=0; "$EDGETRACE" export --spool "$T/spool" --format xml >/dev/null 2>"$T/err" || rc=$?
check unknown_format test "$rc" -eq 2 -a -n "$(grep "unknown format 'xml'" "$T/err")"
rc=0; "$EDGETRACE" query --spool "$T/spool" --file "$T/cap" >/dev/null 2>"$T/err" || rc=$?
check spool_and_file test "$rc" -eq 2 -a -n "$(grep 'not both' "$T/err")"

# --cursor: each pull gets what the last one did not, and moves the cursor
"$EDGETRACE" export --spool "$T/replayed" --cursor ops --format jsonl >"$T/pull1" 2>"$T/pull.err"
check cursor_first_pull_all test "$(wc -l <"$T/pull1")" -eq "$n"
check cursor_says_where grep -q "cursor 'ops' now at seq $((n + 1))" "$T/pull.err"
"$EDGETRACE" export --spool "$T/replayed" --cursor ops --format jsonl >"$T/pull2" 2>/dev/null
check cursor_second_pull_empty test ! -s "$T/pull2"
"$EDGETRACE" run --spool "$T/replayed" --replay "$T/cap" 2>/dev/null
"$EDGETRACE" export --spool "$T/replayed" --cursor ops --format jsonl >"$T/pull3" 2>/dev/null
check cursor_third_pull_new_only test "$(wc -l <"$T/pull3")" -eq "$n"
check cursor_third_pull_starts_after test "$(head -c 40 "$T/pull3" | grep -o '"seq":[0-9]*')" = "\"seq\":$((n + 1))"
check cursor_in_status grep -q "cursor    ops: next $((2 * n + 1)), 0 behind" <("$EDGETRACE" status --spool "$T/replayed")
rc=0; "$EDGETRACE" export --spool "$T/replayed" --cursor 'Bad Name' >/dev/null 2>"$T/err" || rc=$?
check cursor_bad_name test "$rc" -eq 1 -a -n "$(grep 'may use only a-z' "$T/err")"
rc=0; "$EDGETRACE" export --spool "$T/replayed" --cursor ops --from-seq 3 >/dev/null 2>"$T/err" || rc=$?
check cursor_with_from_refused test "$rc" -eq 2
rc=0; "$EDGETRACE" export --spool "$T/no-such" --cursor ops >/dev/null 2>"$T/err" || rc=$?
check cursor_no_spool_not_created test "$rc" -eq 1 -a ! -e "$T/no-such"
