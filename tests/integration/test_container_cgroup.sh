# SPDX-License-Identifier: GPL-2.0
#
# test_container_cgroup.sh - container cgroups on this kernel, without the
# agent and without a container runtime: cgroups named as docker,
# containerd (CRI), CRI-O, podman and Kubernetes name them are created
# under a test-owned parent in the cgroup2 hierarchy, a sleeping process is
# moved into each, and then
#   - /proc/PID/cgroup shows the path;
#   - the cgroup id of the directory (name_to_handle_at, what the agent
#     uses) equals its inode number (64-bit) and the id that
#     bpf_get_current_cgroup_id() returns for a task in it (a real BPF
#     program, run by tests/tools/cgroupid in that cgroup);
#   - core/container.c's et_cgroups cache maps each id back to the path and
#     the path to the expected runtime, container id and pod uid, also for
#     a path too long for an entry, with a cache smaller than the tree, and
#     with the rescan rate limit.
# The parser's other forms are unit-tested (tests/unit/test_container.c).
# Every cgroup created is removed, also on failure.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory (make tools)}"
TOOL=$(readlink -f "$ET_TOOLS")/cgroupid

# The cgroup2 mount: /sys/fs/cgroup when unified, /sys/fs/cgroup/unified
# on a systemd "hybrid" system. None on a cgroup v1 only system: there every
# task's v2 cgroup id is the root's, and there is nothing to test.
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -z "$CG" ]; then
	echo "SKIP $TEST_NAME: no cgroup2 file system mounted"
	exit 0
fi
if [ ! -x "$TOOL" ]; then
	fail tool "no $TOOL (make tools)"
	exit 1
fi

R=/edgetrace-test-$$		# our parent, relative to the cgroup2 root
P=$CG$R
SLEEPERS=()

cleanup_cgroups() {
	local pid
	for pid in "${SLEEPERS[@]}"; do
		{ kill "$pid"; wait "$pid"; } 2>/dev/null
	done
	SLEEPERS=()
	[ -d "$P" ] || return 0
	remove_cgroup_tree "$P"
}
trap 'cleanup_cgroups; stop_agent >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

H1=6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
H2=d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35
H3=4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce
H4=4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a
H5=ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d
H6=e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683
U=0f2b8f3e-9c7d-4b8a-a1e2-3c4d5e6f7a8b
U2=5d8c1f0a-2b3c-4d5e-8f90-a1b2c3d4e5f6
A=$(printf 'a%.0s' $(seq 1 100))
B=$(printf 'b%.0s' $(seq 1 100))
KBE=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${U//-/_}.slice
KBU=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U2//-/_}.slice

# name|path below $P|runtime|container id|pod uid (- for none)
CASES="docker_systemd|system.slice/docker-$H1.scope|docker|$H1|-
docker_cgroupfs|docker/$H2|docker|$H2|-
containerd_cri|$KBE/cri-containerd-$H3.scope|containerd|$H3|$U
k8s_pod|$KBE|kubernetes|-|$U
k8s_cgroupfs|kubepods/burstable/pod$U2/$H4|containerd|$H4|$U2
crio|$KBU/crio-$H5.scope|cri-o|$H5|$U2
crio_conmon|$KBU/crio-conmon-$H5.scope|kubernetes|-|$U2
podman_rootless|user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$H6.scope/container|podman|$H6|-
session|user.slice/user-1000.slice/session-3.scope|-|-|-
long_path|ltree/$A/$B/docker-$H1.scope|docker|$H1|-"

if ! mkdir "$P"; then
	fail setup "cannot create a cgroup under $CG"
	exit 1
fi
pass setup

declare -A idof
ids=()
expect=()
while IFS='|' read -r name rel rt cid pod; do
	dir=$P/$rel
	path=$R/$rel
	if ! mkdir -p "$dir"; then
		fail "$name.mkdir" "mkdir -p $dir"
		continue
	fi

	# a member process: the kernel shows the path
	sleep 300 </dev/null &
	pid=$!
	SLEEPERS+=("$pid")
	echo "$pid" >"$dir/cgroup.procs"
	check "$name.proc_cgroup" grep -qxF "0::$path" "/proc/$pid/cgroup"

	# the directory's id: name_to_handle_at, the inode, BPF
	read -r id ino < <("$TOOL" id "$dir" </dev/null)
	check "$name.id" test -n "$id" -a "${id:-0}" != 0
	if [ "$(getconf LONG_BIT)" = 64 ]; then
		check "$name.id_is_inode" test "$id" = "$ino" -a "$id" = "$(stat -c %i "$dir")"
	fi
	read -r jpath jid < <("$TOOL" join "$CG" "$dir" </dev/null)
	check "$name.join_path" test "$jpath" = "$path"
	check "$name.bpf_id" test "$jid" = "$id"

	# the cache's answer: the path (cut for an overlong one), then parsed
	if [ ${#path} -ge 256 ]; then
		path="/.../$B/docker-$H1.scope"
	fi
	ids+=("$id")
	idof[$name]=$id
	expect+=("$id $path $rt $cid $pod|$name")
done <<<"$CASES"
check no_self_left test "$(grep -c . "$P/system.slice/docker-$H1.scope/cgroup.procs")" -eq 1

"$TOOL" lookup "$CG" 4096 "${ids[@]}" 1 999999999999 >"$T/lookup.out"
for e in "${expect[@]}"; do
	check "${e#*|}.lookup" grep -qxF "${e%|*}" "$T/lookup.out"
done
check lookup_root grep -qxF "1 / - - -" "$T/lookup.out"
check lookup_unknown grep -qxF "999999999999 -" "$T/lookup.out"

# A cache of 2 entries ("/" and the first cgroup walked): a deep cgroup
# that is not cached is resolved from its id (open_by_handle_at) and taken
# in, in place of an entry nobody looked up; a rescan keeps it.
"$TOOL" capacity "$CG" 2 "${idof[podman_rootless]:-0}" >"$T/cap.out"
check capacity_full test "$(grep -c '^indexed 2$' "$T/cap.out")" -eq 2
check capacity_first_lookup_resolves grep -qx 'first 0' "$T/cap.out"
check capacity_miss_taken_in grep -qxF \
	"second 0 $R/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$H6.scope/container" \
	"$T/cap.out"

# A cgroup made after the last scan (a container that just started) is
# found at once, from its id, without waiting for the rescan rate limit;
# it is forgotten once removed.
"$TOOL" ratelimit "$CG" "$P/rl1" "$P/rl2" >"$T/rl.out"
check rl_warm grep -qx 'warm 0 /' "$T/rl.out"
check new_cgroup_found_at_once grep -qxF "new_within_1s 0 $R/rl1" "$T/rl.out"
check rl_forced grep -qxF "new_after_rescan 0 $R/rl1" "$T/rl.out"
check second_found_at_once grep -qxF "second_again 0 $R/rl2" "$T/rl.out"
check rl_after_1s grep -qxF "second_after_1s 0 $R/rl2" "$T/rl.out"
check rl_removed grep -qx 'removed -1 -' "$T/rl.out"
check rl_still_warm grep -qx 'still_warm 0 /' "$T/rl.out"

cleanup_cgroups
check cleanup test ! -e "$P"
