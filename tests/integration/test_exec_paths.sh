# SPDX-License-Identifier: GPL-2.0
#
# test_exec_paths.sh - the exec probe's "exe" (the executable's absolute
# path, resolved in the kernel from bprm->file) and "filename" (the string
# given to execve) for every way of starting a program: a relative path
# from another cwd, a symlink, execveat with a dirfd, fexecve, a #! script,
# a bind mount in a private mount namespace, and a chroot. One agent run;
# the workloads (tests/tools, in $ET_TOOLS) print their pids first so that
# each event is found by pid and filename.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the built tests/tools (build/<board>/tools)}"
ET_TOOLS=$(readlink -f "$ET_TOOLS")
EXECSTORM=$ET_TOOLS/execstorm
ETWORKLOAD=$ET_TOOLS/etworkload
TR=$(readlink -f "$T")		# $T as the kernel resolves it
TRUE=$(readlink -f /usr/bin/true)
SH=$(readlink -f /bin/sh)	# /usr/bin/dash on Debian

# first_line: the first line of stdin, reading all of it (no SIGPIPE for
# a writer that prints more pids)
first_line() {
	sed -n 1p
}

# expect NAME WHAT WANT GOT: PASS if GOT equals WANT, else say both.
expect() {
	if [ "$3" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$2: expected '$3', got '$4'"
	fi
}

# expect_match NAME WHAT ERE GOT: PASS if GOT matches the whole ERE.
expect_match() {
	if [[ $4 =~ ^$3$ ]]; then
		pass "$1"
	else
		fail "$1" "$2: expected /^$3\$/, got '$4'"
	fi
}

# event PID FILENAME: the first exec event of PID with that filename.
event() {
	grep -F "\"pid\":$1," "$T/q.json" |
		grep -F "\"filename\":\"$2\"" | head -1
}

# field NAME LINE: a string field of the event's proc object.
field() {
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"
}

# the event LINE was found, or FAIL NAME with a useful excerpt of the spool
found() {
	local name=$1 line=$2 pid=$3
	[ -n "$line" ] && return 0
	fail "$name" "no exec event of pid '$pid' with the expected filename; its events: $(grep -F "\"pid\":$pid," "$T/q.json" | tr '\n' ' ')"
	return 1
}

for tool in "$EXECSTORM" "$ETWORKLOAD"; do
	if [ ! -x "$tool" ]; then
		fail tools "$tool is missing: run make tools"
		exit 1
	fi
done

if ! start_agent "$T/spool" --json; then
	fail start "the agent did not report that it is capturing"
	exit 1
fi

# relative: 200 x execve("./true") from /usr/bin. -p prints execstorm's
# own pid first (with one job it is the parent of every child).
"$EXECSTORM" -p -n 200 -d /usr/bin ./true >"$T/storm.out"
storm_rc=$?
storm_pid=$(first_line <"$T/storm.out")

# symlink: execve of $T/bin/mytrue -> /usr/bin/true, by the link's path
mkdir -p "$T/bin"
ln -s /usr/bin/true "$T/bin/mytrue"
link_pid=$("$ETWORKLOAD" exec "$TR/bin/mytrue" | first_line)

# execveat(dirfd of /usr/bin, "true", ..., 0)
at_pid=$("$ETWORKLOAD" execveat /usr/bin true | first_line)

# fexecve: execveat(fd of /usr/bin/true, "", ..., AT_EMPTY_PATH)
fd_pid=$("$ETWORKLOAD" fexecve /usr/bin/true | first_line)

# a #! script executed directly
printf '#!/bin/sh\nexit 0\n' >"$T/script.sh"
chmod +x "$T/script.sh"
script_pid=$("$ETWORKLOAD" exec "$TR/script.sh" et-script-arg | first_line)

# A bind mount in a private mount namespace. unshare execs sh and sh execs
# true: one pid, found by the filename, which only this exec uses.
mkdir -p "$T/bindbin"
unshare -m --propagation private \
	sh -c "mount --bind /usr/bin '$TR/bindbin' && exec '$TR/bindbin/true'"
ns_rc=$?

# chroot: a static binary in $T/root/bin; inside the chroot it execs
# itself by its in-chroot path and then forks a child that exits 0.
mkdir -p "$T/root/bin"
cp "$ETWORKLOAD" "$T/root/bin/etworkload"
chroot_pid=$(chroot "$TR/root" /bin/etworkload exec /bin/etworkload exit 0 | first_line)

sleep 0.2
stop_agent INT
check clean_exit test $? -eq 0
check nothing_dropped grep -q 'events recorded, 0 dropped' "$T/agent.err"
"$EDGETRACE" query --spool "$T/spool" --json >"$T/q.json"
check query_exit test $? -eq 0

# ---- relative
expect relative_storm_ok "execstorm exit status" 0 "$storm_rc"
n=$(grep -F "\"ppid\":$storm_pid," "$T/q.json" | grep -cF '"filename":"./true"')
expect relative_all_200 "events with ppid $storm_pid and filename ./true" 200 "$n"
n=$(grep -F "\"ppid\":$storm_pid," "$T/q.json" | grep -F '"filename":"./true"' |
	grep -cF "\"exe\":\"$TRUE\"")
expect relative_exe "of those, events with exe $TRUE" 200 "$n"

# ---- symlink: exe is the target, filename the link as given
line=$(event "$link_pid" "$TR/bin/mytrue")
if found symlink "$line" "$link_pid"; then
	expect symlink_exe exe "$TRUE" "$(field exe "$line")"
	expect symlink_filename filename "$TR/bin/mytrue" "$(field filename "$line")"
fi

# ---- execveat with a dirfd: the kernel names it /dev/fd/<dirfd>/true
line=$(grep -F "\"pid\":$at_pid," "$T/q.json" | grep -E '"filename":"/dev/fd/[0-9]+/true"' | head -1)
if found execveat "$line" "$at_pid"; then
	expect execveat_exe exe "$TRUE" "$(field exe "$line")"
	expect_match execveat_filename filename '/dev/fd/[0-9]+/true' "$(field filename "$line")"
	expect execveat_cmdline cmdline true "$(field cmdline "$line")"
fi

# ---- fexecve (AT_EMPTY_PATH): the kernel names it /dev/fd/<fd>
line=$(grep -F "\"pid\":$fd_pid," "$T/q.json" | grep -E '"filename":"/dev/fd/[0-9]+"' | head -1)
if found fexecve "$line" "$fd_pid"; then
	expect fexecve_exe exe "$TRUE" "$(field exe "$line")"
	expect_match fexecve_filename filename '/dev/fd/[0-9]+' "$(field filename "$line")"
	expect fexecve_cmdline cmdline /usr/bin/true "$(field cmdline "$line")"
fi

# ---- #! script: bprm->file is the interpreter, bprm->filename the script;
# argv is rewritten by binfmt_script to "interpreter script args"
line=$(event "$script_pid" "$TR/script.sh")
if found script "$line" "$script_pid"; then
	expect script_exe exe "$SH" "$(field exe "$line")"
	expect script_filename filename "$TR/script.sh" "$(field filename "$line")"
	expect script_cmdline cmdline "/bin/sh $TR/script.sh et-script-arg" "$(field cmdline "$line")"
fi

# ---- private mount namespace with a bind mount. The walk goes up the
# mount tree of the namespace the file was opened in: true's dentry, then
# /usr/bin's dentry, which is the root of the bind mount, so it continues
# at the mountpoint, $T/bindbin, in the namespace's copy of the root mount,
# up to that namespace's root. So exe is the path as seen inside the
# namespace, $T/bindbin/true, not /usr/bin/true (the host has no such
# mount, and the file is the same inode either way).
expect mntns_rc "unshare exit status" 0 "$ns_rc"
line=$(grep -F "\"filename\":\"$TR/bindbin/true\"" "$T/q.json" | head -1)
if found mntns "$line" "(the one with filename $TR/bindbin/true)"; then
	expect mntns_exe exe "$TR/bindbin/true" "$(field exe "$line")"
fi

# ---- chroot. The walk stops at the root of the mount tree, not at the
# process's root directory (fs->root), so a chrooted program is reported by
# its path from the real root, $T/root/bin/etworkload, while its filename
# is the in-chroot path it was started with.
line=$(grep -F "\"pid\":$chroot_pid," "$T/q.json" |
	grep -F '"cmdline":"/bin/etworkload exit 0"' | head -1)
if found chroot "$line" "$chroot_pid"; then
	expect chroot_exe exe "$TR/root/bin/etworkload" "$(field exe "$line")"
	expect chroot_filename filename /bin/etworkload "$(field filename "$line")"
fi
