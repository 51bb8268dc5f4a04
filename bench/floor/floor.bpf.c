// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - the least a syscall-tracepoint monitor can cost: empty
 * programs on the tracepoints the open storm crosses (openat's exit) and
 * on one the process probe uses (setuid's exit), which turns on syscall
 * tracing for every task. bench/open-storm.sh measures it as "floor".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_openat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_setuid")
int floor_setuid(void *ctx)
{
	return 0;
}
