# SPDX-License-Identifier: GPL-2.0
#
# test_file.sh - the file probe, with real BPF: every operation succeeding
# and failing (a failure gives no event), absolute paths for relative
# ones (a changed cwd, dirfds, ".."), nested watches whose sets override
# their parent's, renames into and out of a watched tree, read-only opens
# only where a watch asks for them, and nothing from unwatched trees. Bad
# --watch specs are refused before anything starts.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
if ! "$EDGETRACE" --version | grep -qw file; then
	echo "SKIP $TEST_NAME: this build has no file probe (CONFIG_PROBE_FILE)"
	exit 0
fi
FOPS=$ET_TOOLS/fileops
W=$T/w
mkdir -p "$W/quiet" "$W/ro" "$T/out"
echo data >"$W/ro/f"
echo data >"$T/out/r"

start_agent "$T/spool" --watch "all=$W" --watch "create,delete=$W/quiet" \
	--watch "open=$W/ro" || { fail start "agent did not start"; exit 1; }
# this kernel (>= 5.15) takes the one-program opens
check regs_opens_attached grep -q 'et_fx_openat' "$T/agent.err"

# every operation, legacy calls and *at calls through a dirfd
"$FOPS" cd "$W" : mkdir d : dirfd 0 d : creat a : open @0 b wc : \
	'!unlink' nope : rename a @0 a2 : mknod fifo : chmod fifo 600 : \
	chown fifo 1 1 : symlink target sl : link @0 b @0 b2 : \
	truncate d/b 5 : ftruncate d/b 1 : fchmod d/b 640 : fchown d/b 2 2 : \
	'!rmdir' nodir : unlink sl : mkdir e : rmdir e : unlink @0 b2 : \
	'!rename' nope x : '!mkdir' d >"$T/ops1"
check ops1_ran test $? -eq 0
# relative paths with "..", from a changed cwd; creat through the legacy call
"$FOPS" cd "$W/d" : creat ../dotdot : mkdir ./../sub2 >"$T/ops2"
# nested watch: create and delete only under quiet/
"$FOPS" cd "$W/quiet" : creat q1 : chmod q1 600 : unlink q1 >"$T/ops3"
# renames into and out of the watched tree, and one that stays outside
"$FOPS" cd "$T" : creat out/x : rename out/x w/in : rename w/in out/y : \
	rename out/y out/z >"$T/ops4"
# read-only opens: reported under ro/ (open) and w/ (all), not in out/
"$FOPS" cd "$T" : open w/ro/f r : open out/r r : open w/d/a2 r : \
	chmod w/ro/f 600 >"$T/ops5"
sleep 0.5
stop_agent INT
check stop_clean test $? -eq 0

"$EDGETRACE" query --spool "$T/spool" --json >"$T/all.json"
pids=$(cat "$T"/ops? | sed -n 's/^pid //p' | tr '\n' ' ')

# "type path [path2]" for each event of the fileops processes
/usr/bin/python3 - "$T/all.json" "$pids" >"$T/events" <<'EOF'
import json, sys
pids = set(int(p) for p in sys.argv[2].split())
for line in open(sys.argv[1]):
    e = json.loads(line)
    f = e.get("file")
    if f is None or e["proc"]["pid"] not in pids:
        continue
    extra = f.get("new_path") or f.get("target") or ""
    flags = f.get("flag_names", "")
    print(e["type"], f["path"], extra, flags,
          "created" if f.get("created") else "", "rel" if f.get("relative") else "")
EOF

has() {	# has NAME PATTERN: an event line matches the extended regex
	local name=$1
	shift
	if grep -Eq "$1" "$T/events"; then pass "$name"; else
		fail "$name" "no event matching '$1'; events:"; sed 's/^/#   /' "$T/events"
	fi
}
hasnt() {
	local name=$1
	shift
	if grep -Eq "$1" "$T/events"; then
		fail "$name" "unexpected event matching '$1'"; else pass "$name"; fi
}

has mkdir "^mkdir $W/d "
has creat "^open $W/a  O_WRONLY\\|O_CREAT\\|O_TRUNC created"
has openat_dirfd "^open $W/d/b  O_WRONLY\\|O_CREAT created"
hasnt failed_unlink "^unlink $W/nope"
has rename_dirfd "^rename $W/a $W/d/a2 "
has mknod "^mknod $W/fifo "
has chmod "^chmod $W/fifo "
has chown "^chown $W/fifo "
has symlink "^symlink $W/sl target "
has linkat_dirfds "^link $W/d/b2 $W/d/b "
has truncate "^truncate $W/d/b "
has ftruncate "^truncate $W/d/b .*$"
check ftruncate_and_truncate test "$(grep -c "^truncate $W/d/b " "$T/events")" -eq 2
has fchmod "^chmod $W/d/b "
has fchown "^chown $W/d/b "
hasnt failed_rmdir "^rmdir $W/nodir"
has unlink "^unlink $W/sl "
has rmdir "^rmdir $W/e "
has unlinkat_dirfd "^unlink $W/d/b2 "
hasnt failed_rename "^rename $W/nope"
check failed_mkdir_once test "$(grep -c "^mkdir $W/d " "$T/events")" -eq 1
has dotdot_normalised "^open $W/dotdot  .*created"
has dot_normalised "^mkdir $W/sub2 "
has nested_create "^open $W/quiet/q1 .*created"
hasnt nested_override_attrib "^chmod $W/quiet/q1"
has nested_delete "^unlink $W/quiet/q1 "
has rename_into "^rename $T/out/x $W/in "
has rename_out_of "^rename $W/in $T/out/y "
hasnt rename_outside "^rename $T/out/y"
hasnt unwatched_create "^open $T/out/x "
has readonly_open_watched "^open $W/ro/f  O_RDONLY"
has readonly_open_all "^open $W/d/a2  O_RDONLY"
hasnt readonly_open_unwatched "^open $T/out/r "
hasnt open_only_watch_attrib "^chmod $W/ro/f"

# bad watch specs: exit 2, the bad part named, nothing started or written
bad_watch() {	# bad_watch NAME SPEC MESSAGE
	local rc=0
	"$EDGETRACE" run --spool "$T/never" --watch "$2" 2>"$T/err" || rc=$?
	check "bad_$1_exit_2" test "$rc" -eq 2
	check "bad_$1_message" grep -qF "$3" "$T/err"
	check "bad_$1_nothing_written" test ! -e "$T/never"
}
bad_watch unknown_event "create,wrte=/etc" "unknown event 'wrte'"
bad_watch relative "create=etc" "path 'etc' is not absolute"
bad_watch empty_set "=/etc" "no events before '='"
bad_watch no_equals "/etc" "has no '='"
bad_watch empty_event "create,,delete=/etc" "unknown event ''"

# the filter's "file.path startswith" is checked in the kernel: file
# events elsewhere, and every event that is not a file event, are never
# issued; the agent's own summary shows what reached user space
start_agent "$T/spool2" --watch "all=$W" --filter "file.path startswith $W/kf" ||
	fail kf_start "agent did not start"
"$FOPS" cd "$W" : mkdir kf : creat kf/in : creat notkf >"$T/ops6"
sleep 0.3
stop_agent INT
cp "$T/agent.err" "$T/agent2.err"
"$EDGETRACE" query --spool "$T/spool2" --json >"$T/kf.json"
check kf_path_kept grep -q "\"path\":\"$W/kf/in\"" "$T/kf.json"
check kf_path_dir_kept grep -q "\"path\":\"$W/kf\"" "$T/kf.json"
check kf_path_other_dropped test "$(grep -c "\"path\":\"$W/notkf\"" "$T/kf.json")" -eq 0
# mkdir kf and the open of kf/in: nothing else was issued
if grep -q ' 2 issued, .* 0 filtered out' "$T/agent.err"; then
	pass kf_path_not_issued
else
	fail kf_path_not_issued "$(grep stopped "$T/agent.err")"
	sed 's/^/#   /' "$T/kf.json"
fi

# byte totals of a file under an explicit watch, counted in the kernel
# across write, pwrite, writev, read, pread and readv, reported on close
start_agent "$T/spool3" --watch "write=$W" --file-bytes ||
	fail io_start "agent did not start"
"$FOPS" cd "$W" : rw data.bin 100000 65432 : rw "$T/out/untracked" 5000 5000 >"$T/ops7"
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool3" --json 'evt.type = close' >"$T/io.json"
check io_close_event grep -q "\"path\":\"$W/data.bin\".*\"read_bytes\":65432,\"written_bytes\":100000" "$T/io.json"
check io_untracked_no_close test "$(grep -c "\"path\":\"$T/out/untracked\"" "$T/io.json")" -eq 0
# without --file-bytes: no counting, no close events, the hooks detached
"$EDGETRACE" query --spool "$T/spool2" --json 'evt.type = close' >"$T/noio.json"
check io_off_by_default test ! -s "$T/noio.json"
check io_hooks_attached grep -q 'et_io_read' "$T/agent.err"
check io_hooks_off_by_default test "$(grep -c et_io_read "$T/agent2.err")" -eq 0
rc=0
"$EDGETRACE" run --spool "$T/never" --file-bytes 2>"$T/err" || rc=$?
check file_bytes_needs_watch test "$rc" -eq 2 -a -n "$(grep 'give at least one' "$T/err")"

# opens take one exit program reading the registers (bpf_task_pt_regs) or,
# on kernels without it, an enter/exit pair: the pair, forced, must report
# the same (relative, through a dirfd, created, read-only under "open")
EDGETRACE_OPEN_PAIRS=1 start_agent "$T/spool4" --watch "all=$W" ||
	fail pairs_start "agent did not start"
check pairs_attached grep -q 'et_file_openat ' "$T/agent.err"
"$FOPS" cd "$W/d" : creat ../pair1 : dirfd 1 "$W" : open @1 pair2 wc : \
	open ../pair1 r : open "$T/out/r" r >"$T/ops8"
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool4" --json 'evt.type = open' >"$T/pairs.json"
check pairs_relative grep -q "\"path\":\"$W/pair1\".*\"created\":true" "$T/pairs.json"
check pairs_dirfd grep -q "\"path\":\"$W/pair2\".*\"created\":true" "$T/pairs.json"
check pairs_readonly test "$(grep -c "\"path\":\"$W/pair1\"" "$T/pairs.json")" -eq 2
check pairs_unwatched test "$(grep -c "\"path\":\"$T/out/r\"" "$T/pairs.json")" -eq 0

# open verdicts: a file's watch verdict is taken on its real path (so a
# symlink does not lead around a watch) and remembered per file until a
# rename or mount anywhere; a remembered path must never outlive a rename
V=$T/v
mkdir -p "$V/w" "$V/u/sub" "$V/u/s3" "$V/u/m"
echo data >"$V/w/f"
echo data >"$V/u/sub/g"
echo data >"$V/u/s3/g"
ln -s ../w "$V/u/lnk"
start_agent "$T/spool5" --watch "open=$V/w" || fail verdicts_start "agent did not start"
"$FOPS" open "$V/u/lnk/f" r : open "$V/u/sub/g" r : open "$V/u/sub/g" r : \
	rename "$V/u/sub" "$V/w/sub" : open "$V/w/sub/g" r : \
	open "$V/w/sub/g" r : rename "$V/w/sub" "$V/u/sub2" : \
	open "$V/u/sub2/g" r : creat "$V/w/a1" : creat "$V/w/a2" : \
	open "$V/w/a1" r : open "$V/w/a2" r : open "$V/w/a1" r >"$T/ops9"
# a mount moved from outside the watch into it
unshare -m --propagation private sh -c "
	mount -t tmpfs none '$V/u/m' && echo data >'$V/u/m/h' &&
	mkdir -p '$V/w/m' && '$FOPS' open '$V/u/m/h' r : open '$V/u/m/h' r &&
	mount --move '$V/u/m' '$V/w/m' && '$FOPS' open '$V/w/m/h' r" >"$T/ops10"
check verdicts_mount_moved test $? -eq 0
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool5" --json 'evt.type = open' >"$T/v.json"
vcount() { grep -c "\"path\":\"$1\"" "$T/v.json"; }
check verdicts_symlink_to_watched test "$(vcount "$V/w/f")" -eq 1
check verdicts_unwatched test "$(vcount "$V/u/sub/g")" -eq 0
check verdicts_renamed_in test "$(vcount "$V/w/sub/g")" -eq 2
check verdicts_renamed_out test "$(vcount "$V/u/sub2/g")" -eq 0
check verdicts_no_stale_path test "$(grep -c '"path":"[^"]*/g"' "$T/v.json")" -eq 2
check verdicts_alternating test "$(vcount "$V/w/a1")" -eq 3 -a "$(vcount "$V/w/a2")" -eq 2
check verdicts_mount_in test "$(vcount "$V/w/m/h")" -eq 1
check verdicts_mount_before test "$(vcount "$V/u/m/h")" -eq 0

# a rename by a process the filter leaves out still moves paths
start_agent "$T/spool6" --watch "open=$V/w" --filter 'proc.name = fileops' ||
	fail verdicts_quiet_start "agent did not start"
"$FOPS" open "$V/u/s3/g" r : open "$V/u/s3/g" r >"$T/ops11"
mv "$V/u/s3" "$V/w/s3"
"$FOPS" open "$V/w/s3/g" r >"$T/ops12"
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool6" --json 'evt.type = open' >"$T/v6.json"
check verdicts_quiet_rename test "$(grep -c "\"path\":\"$V/w/s3/g\"" "$T/v6.json")" -eq 1
check verdicts_quiet_before test "$(grep -c "\"path\":\"$V/u/s3/g\"" "$T/v6.json")" -eq 0

# watches from --config; any --watch on the command line replaces them
printf 'watch = open=%s/w\n# a comment\nwatch = delete=%s/w/quiet\n' "$V" "$V" >"$T/w.conf"
start_agent "$T/spool7" --config "$T/w.conf" || fail config_start "agent did not start"
"$FOPS" open "$V/w/f" r : open "$V/u/sub2/g" r >"$T/ops13"
sleep 0.3
stop_agent INT
start_agent "$T/spool8" --config "$T/w.conf" --watch "open=$V/u" ||
	fail config_override_start "agent did not start"
"$FOPS" open "$V/w/f" r : open "$V/u/sub2/g" r >"$T/ops14"
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool7" --json 'evt.type = open' >"$T/c7.json"
"$EDGETRACE" query --spool "$T/spool8" --json 'evt.type = open' >"$T/c8.json"
check config_watch test "$(grep -c "\"path\":\"$V/w/f\"" "$T/c7.json")" -eq 1 \
	-a "$(grep -c "\"path\":\"$V/u/sub2/g\"" "$T/c7.json")" -eq 0
check config_watch_replaced test "$(grep -c "\"path\":\"$V/w/f\"" "$T/c8.json")" -eq 0 \
	-a "$(grep -c "\"path\":\"$V/u/sub2/g\"" "$T/c8.json")" -eq 1
printf 'watch = open=%s/w\nwatch = creat=/etc\n' "$V" >"$T/bad.conf"
rc=0
"$EDGETRACE" run --config "$T/bad.conf" --spool "$T/never" 2>"$T/err" || rc=$?
check config_bad_watch test "$rc" -eq 2 -a -n "$(grep "bad.conf:2: bad watch 'creat=/etc': unknown event 'creat'" "$T/err")"
check config_bad_watch_wrote_nothing test ! -e "$T/never"
