# SPDX-License-Identifier: GPL-2.0
#
# test_armor.sh - the armored export and `edgetrace import`, without BPF.
# A spool is filled by replaying a generated capture (3000 records, some
# near the 8192-byte limit). Its armored export goes through a channel
# that drops, damages, splits and duplicates lines, interleaves a shell
# prompt and kernel messages, and turns LF into CR LF: import must report
# exactly the seqs whose every copy was lost or damaged, and exit 3; the
# export of that list, through a channel that loses one more, is merged
# with --append and leaves exactly that one missing; a third export fills
# it, and the capture is then byte for byte the raw export. Also: the
# inputs imported together, records evicted during an export (GONE
# lines), progress on a terminal, and the errors.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
N=3000

# gen.py N [BIG]: a capture of N exec records (BIG: each about 8000 bytes)
cat >"$T/gen.py" <<'EOF'
import struct, sys, zlib
def varint(v):
    out = bytearray()
    while True:
        b, v = v & 0x7f, v >> 7
        if not v:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)
def field_u(fid, v): return varint(fid << 1) + varint(v)
def field_b(fid, b): return varint(fid << 1 | 1) + varint(len(b)) + b
n, big = int(sys.argv[1]), len(sys.argv) > 2
blobs = [bytes((k * 7 + j) % 256 for j in range(256)) for k in range(256)]
out = bytearray(b'ETCAP\x01\x00\x00')
for i in range(1, n + 1):
    size = 8000 if big else (i * 37) % 1500 if i % 97 else 7900 + i % 200
    args = (blobs[i % 256] * 32)[:size]
    rec = struct.pack('<BBBBIIQ', 1, 0, 1, 0, 1000 + i % 5000, 1000 + i % 5000,
                      1763755200123456789 + i * 1000)
    rec += field_u(1, 1) + field_b(4, b'w%d' % (i % 100)) + field_b(7, args)
    out += struct.pack('<QII', i, len(rec), zlib.crc32(rec)) + rec
sys.stdout.buffer.write(out)
EOF

# channel.py MODE IN OUT EXPECTED: a lossy serial line. Writes what arrives
# to OUT and, to EXPECTED, the seqs that can no longer be decoded, in the
# syntax of --seqs. MODE first: many kinds of damage; MODE drop2: drop the
# second record line only (plus harmless noise).
cat >"$T/channel.py" <<'EOF'
import random, re, sys
mode, src, dst, exp = sys.argv[1:5]
rnd = random.Random(7)
lines = open(src, 'rb').read().split(b'\n')[:-1]
seqs = [int(l.split()[1]) if re.match(rb'ET1 \d+ ', l) else None for l in lines]
out, good, sent = [b'root@gw:~# edgetrace export --format armor'], set(), set()
def flip(l, i):
    c = l[i:i + 1]
    new = b'#' if c != b'#' else b'%'
    return l[:i] + new + l[i + 1:]
def emit(l, seq, intact):
    out.append(l)
    if seq is not None and intact:
        good.add(seq)
nrec = 0
for n, (l, s) in enumerate(zip(lines, seqs)):
    if s is not None:
        sent.add(s)
        nrec += 1
    if n % 300 == 150:
        out.append(b'[ %5d.123456] usb 1-1: new high-speed USB device' % n)
    if mode == 'drop2':
        if nrec == 2 and s is not None:
            continue
        emit(l, s, True)
        if n % 2:
            emit(l, s, True)        # duplicates
        continue
    if l.startswith(b'ET1 END'):
        continue                    # the trailer is lost
    if s in (1, 2, 777, 1500) or (s and 500 <= s <= 519) or (s and s >= 2998):
        continue                    # dropped
    if s == 100:
        emit(flip(l, len(l) // 2), s, False)        # in the base64
    elif s == 1234:
        emit(l.replace(b'ET1 1234 ', b'ET1 1235 '), s, False)
    elif s == 2000:
        emit(flip(l, len(l) - 1), s, False)         # in the CRC
    elif s == 2500:
        emit(l[:len(l) // 2], s, False)              # cut
    elif s == 2600:                 # a kernel message in the middle
        emit(l[:40] + b'[  99.000001] eth0: link up', s, False)
        out.append(l[40:])
    elif s == 2700:
        emit(l[:-8] + l[-8:].upper(), s, l[-8:] == l[-8:].upper())
    elif s == 2701:
        emit(l[:-1], s, False)
    elif s == 50:
        emit(b'root@gw:~# ' + l, s, True)           # still good
    elif s == 60:
        emit(b'\rexporting: 59 records\x1b[K' + l, s, True)
    elif s in (10, 11, 1000):
        emit(l, s, True)
        emit(l, s, True)
    elif s == 1001:                 # a damaged copy, then a good one
        emit(flip(l, 30), s, False)
        emit(l, s, True)
    elif s is not None and rnd.random() < 0.01:
        emit(flip(l, rnd.randrange(len(l))), s, False)
    else:
        emit(l, s, True)
    if n == 5:
        out.append(b'ET1 garbage')
        out.append(b'')
open(dst, 'wb').write(b''.join(x + b'\r\n' for x in out))
miss, ranges = sorted(sent - good), []
for s in miss:
    if ranges and ranges[-1][1] == s - 1:
        ranges[-1][1] = s
    else:
        ranges.append([s, s])
open(exp, 'w').write(','.join(str(a) if a == b else '%d-%d' % (a, b)
                              for a, b in ranges) + '\n')
EOF

"$PY" "$T/gen.py" "$N" >"$T/gen.cap"
"$EDGETRACE" run --spool "$T/spool" --replay "$T/gen.cap" 2>"$T/err"
check replay_spool grep -q "replayed $N records" "$T/err"
"$EDGETRACE" export --spool "$T/spool" >"$T/orig.cap" 2>/dev/null
"$EDGETRACE" query --spool "$T/spool" --json >"$T/orig.json"
"$EDGETRACE" export --spool "$T/spool" --format armor >"$T/arm" 2>"$T/err"
check export_exit test $? -eq 0
check export_no_progress_off_terminal test -z "$(grep exporting "$T/err")"
check lines_printable test "$(LC_ALL=C grep -c '[^ -~]' "$T/arm")" -eq 0
check line_count test "$(wc -l <"$T/arm")" -eq $((N + 2))
check header_line grep -qE '^ET1 BEGIN 1 3000 [0-9a-f]{8}$' "$T/arm"
check trailer_line grep -qE '^ET1 END 1 3000 3000 [0-9a-f]{8}$' "$T/arm"
check longest_line test "$(awk '{ if (length > m) m = length } END { print m }' \
	"$T/arm")" -le 10957

# the clean stream gives back the raw export
"$EDGETRACE" import -o "$T/clean.cap" "$T/arm" 2>"$T/err"
check clean_import_exit test $? -eq 0
check clean_nothing_missing grep -q 'nothing missing' "$T/err"
check clean_equals_raw cmp -s "$T/clean.cap" "$T/orig.cap"

# through the lossy channel
"$PY" "$T/channel.py" first "$T/arm" "$T/lossy" "$T/want1"
rc=0; "$EDGETRACE" import -o "$T/out.cap" "$T/lossy" 2>"$T/err1" || rc=$?
check lossy_exit_3 test "$rc" -eq 3
got=$(sed -n 's/^edgetrace import: missing seqs \([^ ]*\) .*/\1/p' "$T/err1")
check lossy_missing_exact test "$got" = "$(cat "$T/want1")"
check lossy_missing_has_head_and_tail grep -qE '^1-2,.*,2998-3000$' "$T/want1"
check lossy_says_truncated grep -q 'no END line after seq' "$T/err1"
check lossy_counts grep -qE '\(3 duplicates skipped\), [1-9][0-9]* damaged lines, [1-9][0-9]* other lines skipped' "$T/err1"
nmiss=$(tr ',' '\n' <"$T/want1" | awk -F- '{ n += ($2 ? $2 : $1) - $1 + 1 } END { print n }')
check lossy_count_missing grep -q "missing seqs .* ($nmiss records)" "$T/err1"
check lossy_partial_capture test "$("$EDGETRACE" query --file "$T/out.cap" --json | wc -l)" \
	-eq $((N - nmiss))
cmd=$(grep -A1 'to fetch them' "$T/err1" | tail -1 | sed 's/^ *edgetrace //')
check lossy_says_how_to_fetch test "$cmd" = "export --format armor --seqs $(cat "$T/want1")"

# resume: the list, through a channel that loses its second record
# shellcheck disable=SC2086
"$EDGETRACE" $cmd --spool "$T/spool" >"$T/arm2" 2>/dev/null
check resume_export_exit test $? -eq 0
"$PY" "$T/channel.py" drop2 "$T/arm2" "$T/lossy2" "$T/want2"
rc=0; "$EDGETRACE" import --append -o "$T/out.cap" "$T/lossy2" 2>"$T/err2" || rc=$?
check resume_exit_3 test "$rc" -eq 3
got=$(sed -n 's/^edgetrace import: missing seqs \([^ ]*\) .*/\1/p' "$T/err2")
check resume_missing_exact test -n "$got" -a "$got" = "$(cat "$T/want2")"
"$EDGETRACE" export --spool "$T/spool" --format armor --seqs "$got" \
	>"$T/arm3" 2>/dev/null
rc=0; "$EDGETRACE" import --append -o "$T/out.cap" "$T/arm3" 2>"$T/err3" || rc=$?
check resume_fills_exit_0 test "$rc" -eq 0
check resume_nothing_missing grep -q 'nothing missing' "$T/err3"
check resume_equals_raw cmp -s "$T/out.cap" "$T/orig.cap"
"$EDGETRACE" query --file "$T/out.cap" --json >"$T/out.json"
check resume_query_file cmp -s "$T/out.json" "$T/orig.json"

# the same streams imported together, to standard output
rc=0; "$EDGETRACE" import "$T/lossy2" - "$T/arm3" <"$T/lossy" >"$T/together.cap" \
	2>"$T/err" || rc=$?
check together_exit_0 test "$rc" -eq 0
check together_equals_raw cmp -s "$T/together.cap" "$T/orig.cap"

# export ranges
"$EDGETRACE" export --spool "$T/spool" --from-seq 10 --to-seq 20 --format jsonl \
	>"$T/r.json" 2>/dev/null
check to_seq cmp -s "$T/r.json" <(sed -n 10,20p "$T/orig.json")
"$EDGETRACE" export --spool "$T/spool" --seqs 3,5-6 --format jsonl >"$T/r.json" 2>/dev/null
check seqs_list cmp -s "$T/r.json" <(sed -n '3p;5,6p' "$T/orig.json")
"$EDGETRACE" export --spool "$T/spool" --format armor --seqs 2999-3005 \
	>"$T/r.arm" 2>"$T/err"
check seqs_beyond_warned grep -q 'seqs 3001-3005 are not in the spool yet' "$T/err"
check seqs_beyond_declared grep -q '^ET1 BEGIN 2999 3000 ' "$T/r.arm"
"$EDGETRACE" export --spool "$T/spool" --format armor --from-seq 5000 >"$T/e.arm" 2>/dev/null
rc=0; "$EDGETRACE" import -o "$T/e.cap" "$T/e.arm" 2>"$T/err" || rc=$?
check empty_stream test "$rc" -eq 0 -a "$(grep -c '^ET1 ' "$T/e.arm")" -eq 2 \
	-a "$(stat -c %s "$T/e.cap")" -eq 8

# a stream cut inside the line of seq 1501: 1501 on are missing
{ head -n 1501 "$T/arm"; sed -n 1502p "$T/arm" | head -c 100; } >"$T/cut"
last=1500
rc=0; "$EDGETRACE" import -o "$T/cut.cap" "$T/cut" 2>"$T/err" || rc=$?
check cut_exit_3 test "$rc" -eq 3
check cut_missing_tail grep -q "^edgetrace import: missing seqs $((last + 1))-$N " "$T/err"
check cut_says_cut grep -q "no END line after seq $last: the stream was cut short" "$T/err"

# progress: on a terminal that is not the output, at most 4 times a second
cat >"$T/ptyrun.py" <<'EOF'
import os, pty, select, subprocess, sys, time
cmd, same = sys.argv[2:], sys.argv[1] == 'same'
master, slave = pty.openpty()
out = subprocess.PIPE if not same else slave
p = subprocess.Popen(cmd, stdout=out, stderr=slave)
os.close(slave)
fds, term, data, t0 = [master] + ([p.stdout.fileno()] if not same else []), b'', b'', time.time()
while fds:
    r, _, _ = select.select(fds, [], [], 1)
    for fd in r:
        try:
            d = os.read(fd, 16384)
        except OSError:
            d = b''
        if not d:
            fds.remove(fd)
        elif fd == master:
            term += d
        else:
            data += d
    time.sleep(0.01 if not same else 0.002)    # a slow line
p.wait()
open(os.environ['TERMOUT'], 'wb').write(term)
open(os.environ['DATAOUT'], 'wb').write(data)
# last: the test reads this line, then the files
sys.stdout.buffer.write(b'%d %.2f\n' % (p.returncode, time.time() - t0))
EOF
read -r rc secs < <(TERMOUT=$T/term DATAOUT=$T/data "$PY" "$T/ptyrun.py" pipe \
	"$EDGETRACE" export --spool "$T/spool" --format armor)
updates=$(grep -ao 'exporting: [0-9]* records' "$T/term" | wc -l)
check progress_shown test "$rc" -eq 0 -a "$updates" -ge 2
check progress_rate awk -v u="$updates" -v s="$secs" 'BEGIN { exit !(u <= s * 4 + 1) }'
check progress_erased grep -q $'\r\033\\[K''edgetrace: exported up to seq' "$T/term"
check progress_output_intact cmp -s "$T/data" "$T/arm"
# the serial-console case: output and stderr on one terminal (LF -> CR LF)
read -r rc secs < <(TERMOUT=$T/term DATAOUT=$T/data "$PY" "$T/ptyrun.py" same \
	"$EDGETRACE" export --spool "$T/spool" --format armor)
check no_progress_on_output_terminal test "$rc" -eq 0 -a \
	-z "$(grep -a exporting "$T/term")"
rc=0; "$EDGETRACE" import -o "$T/tty.cap" "$T/term" 2>"$T/err" || rc=$?
check terminal_capture_imports test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/    /' "$T/err"
check terminal_capture_equals_raw cmp -s "$T/tty.cap" "$T/orig.cap"

# records evicted while they wait: declared gone, not missing
"$PY" "$T/gen.py" 9000 big >"$T/big.cap"
"$EDGETRACE" run --spool "$T/small" --replay "$T/big.cap" 2>/dev/null
first=$("$EDGETRACE" status --spool "$T/small" --json | grep -o '"first_seq":[0-9]*' | cut -d: -f2)
"$EDGETRACE" export --spool "$T/small" --format armor --from-seq 1 \
	--to-seq $((first + 2)) >"$T/gone.arm" 2>/dev/null
check gone_line test "$first" -gt 1 -a \
	-n "$(grep "^ET1 GONE 1 $((first - 1)) " "$T/gone.arm")"
rc=0; "$EDGETRACE" import -o "$T/gone.cap" "$T/gone.arm" 2>"$T/err" || rc=$?
check gone_not_missing test "$rc" -eq 0
check gone_reported grep -q "no longer in the device's spool.*: 1-$((first - 1)) " "$T/err"
check gone_capture test "$("$EDGETRACE" query --file "$T/gone.cap" --json | wc -l)" -eq 3
rm -rf "$T/small" "$T/big.cap"

# errors: nothing written, a message naming the file
: >"$T/empty"
rc=0; "$EDGETRACE" import -o "$T/x.cap" "$T/empty" 2>"$T/err" || rc=$?
check empty_input test "$rc" -eq 1 -a -n "$(grep "$T/empty is empty" "$T/err")" \
	-a ! -e "$T/x.cap"
printf 'hello\nworld\n' >"$T/text"
rc=0; "$EDGETRACE" import -o "$T/x.cap" "$T/text" 2>"$T/err" || rc=$?
check not_armor test "$rc" -eq 1 -a -n "$(grep 'none of its 2 lines is an armored line' "$T/err")" \
	-a ! -e "$T/x.cap"
sed 's/^ET1 /ET2 /' "$T/arm" >"$T/newer"
rc=0; "$EDGETRACE" import -o "$T/x.cap" "$T/newer" 2>"$T/err" || rc=$?
check newer_armor test "$rc" -eq 1 -a -n "$(grep 'newer edgetrace' "$T/err")"
rc=0; "$EDGETRACE" import -o "$T/x.cap" "$T/nonexistent" 2>"$T/err" || rc=$?
check unreadable_input test "$rc" -eq 1 -a -n "$(grep "cannot open '$T/nonexistent'" "$T/err")"
rc=0; "$EDGETRACE" import -o "$T/out.cap" "$T/arm" 2>"$T/err" || rc=$?
check output_exists test "$rc" -eq 1 -a -n "$(grep -- "exists: give --append" "$T/err")"
check output_untouched cmp -s "$T/out.cap" "$T/orig.cap"
rc=0; "$EDGETRACE" import --force -o "$T/out.cap" "$T/lossy" 2>/dev/null || rc=$?
check force_replaces test "$rc" -eq 3 -a "$(stat -c %s "$T/out.cap")" -lt "$(stat -c %s "$T/orig.cap")"
rc=0; "$EDGETRACE" import -o "$T/nodir/x.cap" - <"$T/arm" 2>"$T/err" || rc=$?
check unwritable_output test "$rc" -eq 1 -a -n "$(grep "cannot write '$T/nodir/x.cap'" "$T/err")"
mkdir "$T/full"
rc=0; "$EDGETRACE" import -o "$T/full/x.cap" "$T/arm" 2>"$T/err" || rc=$?
check no_temporary_left test "$rc" -eq 0 -a "$(ls "$T/full")" = x.cap
printf 'garbage' >"$T/notcap"
rc=0; "$EDGETRACE" import --append -o "$T/notcap" "$T/arm" 2>"$T/err" || rc=$?
check append_to_non_capture test "$rc" -eq 1 -a -n "$(grep "cannot --append to '$T/notcap'" "$T/err")"
# seq 2 from the spool, and seq 3's record relabelled 2 with a good CRC
"$EDGETRACE" export --spool "$T/spool" --format armor --seqs 2 >"$T/two" 2>/dev/null
sed -n 4p "$T/arm" | "$PY" -c "
import sys, zlib
body = sys.stdin.read().rsplit(' ', 1)[0].replace('ET1 3 ', 'ET1 2 ', 1) + ' '
print(body + '%08x' % zlib.crc32(body.encode()))" >"$T/conflict"
rc=0; "$EDGETRACE" import -o "$T/x.cap" "$T/two" "$T/conflict" 2>"$T/err" || rc=$?
check conflicting_copies test "$rc" -eq 1 -a -n "$(grep 'seq 2 differs between' "$T/err")" \
	-a ! -e "$T/x.cap"

# usage errors
rc=0; "$EDGETRACE" import --append --force -o "$T/x.cap" "$T/arm" 2>"$T/err" || rc=$?
check append_and_force test "$rc" -eq 2
rc=0; "$EDGETRACE" import --append "$T/arm" >/dev/null 2>"$T/err" || rc=$?
check append_needs_output test "$rc" -eq 2
rc=0; "$EDGETRACE" import --bogus 2>"$T/err" || rc=$?
check import_unknown_option test "$rc" -eq 2 -a -n "$(grep "unknown option '--bogus'" "$T/err")"
rc=0; "$EDGETRACE" export --spool "$T/spool" --seqs 5-3 --format armor >/dev/null 2>"$T/err" || rc=$?
check bad_seqs test "$rc" -eq 2 -a -n "$(grep "not a list of sequence numbers" "$T/err")"
rc=0; "$EDGETRACE" export --spool "$T/spool" --seqs 5 --from-seq 3 --format armor \
	>/dev/null 2>"$T/err" || rc=$?
check seqs_and_from test "$rc" -eq 2
rc=0; "$EDGETRACE" export --spool "$T/spool" --from-seq 9 --to-seq 3 >/dev/null 2>"$T/err" || rc=$?
check to_before_from test "$rc" -eq 2
"$EDGETRACE" import --help >"$T/help"
check import_help test $? -eq 0 -a -n "$(grep 'Exit status: 0 nothing is missing; 3' "$T/help")"
check main_help_lists_import grep -q '^  import ' <("$EDGETRACE" --help)
