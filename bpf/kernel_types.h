/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_types.h - the kernel types the probes read, declared for CO-RE.
 *
 * Instead of a generated vmlinux.h per architecture (several MiB each, and
 * it needs a BTF-enabled kernel of every target at build time) we declare
 * here only the structs and fields the probes touch, with
 * preserve_access_index: clang records each field access as a CO-RE
 * relocation and libbpf fixes the offsets against the running kernel's
 * BTF (or the board's external BTF file) at load time. The list below is
 * therefore also the exact set of kernel fields the agent depends on;
 * docs/bpf-build.md explains the choice.
 *
 * Only names matter to CO-RE, not the order or completeness of fields.
 */
#ifndef EDGETRACE_KERNEL_TYPES_H
#define EDGETRACE_KERNEL_TYPES_H

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#endif

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* fs/mount.h: struct vfsmount is embedded in struct mount. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	unsigned int f_mode;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

struct fs_struct {
	struct path pwd;
};

typedef struct {
	__u32 val;
} kuid_t;

typedef struct {
	__u32 val;
} kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
};

typedef struct {
	int counter;
} atomic_t;

struct upid {
	int nr;
};

struct pid {
	struct upid numbers[1];
};

struct tty_struct {
	char name[64];
};

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

struct signal_struct {
	atomic_t live;
	struct pid *pids[PIDTYPE_MAX];
	struct tty_struct *tty;
};

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	__u64 start_time;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	struct fs_struct *fs;
	struct files_struct *files;
	const struct cred *cred;
	struct signal_struct *signal;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

struct kernel_siginfo {
	struct {
		int si_signo;
		int si_errno;
		int si_code;
	};
};

struct module {
	char name[56];
};

/* The context of the syscalls:sys_enter_* and sys_exit_* tracepoints. */
struct syscall_trace_enter {
	int nr;
	unsigned long args[6];
};

/*
 * Sockets (net.bpf.c). The addresses and ports of sock_common live in
 * anonymous unions in the kernel; CO-RE finds them by name. skc_v6_* exist
 * only with CONFIG_IPV6 (read under bpf_core_field_exists). file___net and
 * inode___net are flavors of struct file and struct inode (CO-RE ignores
 * the ___ suffix): the fields only the socket probes read.
 */
struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	__u32 skc_daddr;
	__u32 skc_rcv_saddr;
	__u16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	unsigned long skc_flags;	/* sk_flags: SOCK_DONE, ... */
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	__u16 sk_type;
	int sk_err;
	struct socket *sk_socket;
};

struct inet_sock {
	__u16 inet_sport;
};

/* The kernel's own per-connection totals (RFC 4898 names). */
struct tcp_sock {
	__u64 bytes_received;
	__u64 bytes_acked;
	__u64 bytes_sent;
	__u64 bytes_retrans;
	__u32 snd_una;
	__u32 write_seq;
	__u32 rcv_nxt;
};

struct socket {
	short type;
	struct file *file;
	struct sock *sk;
};

struct sockaddr_un {
	unsigned short sun_family;
	char sun_path[108];
};

struct unix_address {
	int len;
	struct sockaddr_un name[];
};

struct unix_sock {
	struct unix_address *addr;
	struct sock *peer;
};

struct inode___net {
	unsigned short i_mode;
};

struct file___net {
	void *private_data;
	struct inode___net *f_inode;
	struct {
		struct {
			long counter;
		} refcnt;
	} f_ref;		/* 6.13+: file_ref_t, one reference = 0 */
	struct {
		long counter;
	} f_count;		/* before: atomic_long_t, one reference = 1 */
};

/*
 * The saved user registers of a task (bpf_task_pt_regs): at a syscall's
 * exit they still hold its arguments, except the first on the
 * architectures whose return value overwrites it, where the kernel keeps
 * a copy (orig_x0, ARM_ORIG_r0, orig_a0). "___et" flavours: CO-RE matches
 * them to the kernel's struct pt_regs / user_pt_regs by name.
 */
#if defined(__TARGET_ARCH_x86)
struct pt_regs___et {
	unsigned long di, si, dx, r10;
};
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs___et {
	__u64 regs[31];
};
struct pt_regs___et {
	__u64 orig_x0;
};
#elif defined(__TARGET_ARCH_arm)
struct pt_regs___et {
	unsigned long uregs[18];
};
#elif defined(__TARGET_ARCH_riscv)
struct pt_regs___et {
	unsigned long a1, a2, a3, orig_a0;
};
#endif

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

/*
 * The context of the syscalls:sys_exit_* tracepoints, at fixed offsets,
 * not relocated: the tracepoint's record is an ABI (8 bytes of common
 * fields, the syscall number, then ret, a long of the kernel's size), and
 * CO-RE cannot narrow a load of a signed field, such as the kernel's long,
 * to a 32-bit kernel's 4 bytes. The probes compare ret with 0 only.
 */
struct syscall_trace_exit {
	__u64 common;		/* struct trace_entry */
	int nr;
#if defined(__TARGET_ARCH_arm)
	int ret;		/* at 12 */
#else
	long ret;		/* at 16 */
#endif
};

#endif /* EDGETRACE_KERNEL_TYPES_H */
