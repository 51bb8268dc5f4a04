// SPDX-License-Identifier: GPL-2.0
/*
 * net.bpf.c - sockets: connect, accept, listen and bind for TCP, UDP and
 * unix sockets over IPv4 and IPv6, and at the end of each connection the
 * bytes sent and received and its duration (docs/network-monitoring.md).
 *
 * The calls: syscalls:sys_{enter,exit}_{connect,bind,listen} (the socket
 * is found from the fd at entry, kept by thread in net_calls and reported
 * at exit with the result) and sys_exit_accept{,4} (the new fd is the
 * return value). Addresses come from the struct sock (the kernel's view,
 * a port 0 bind already resolved), the remote end of a failed connect and
 * a unix connect's path from the sockaddr the process passed.
 *
 * Connections are tracked in net_socks, keyed by the struct sock pointer:
 * a TCP socket from connect (at entry, so that a handshake that completes
 * before the syscall returns is seen) or accept, a UDP socket from its
 * bind, connect or first send, a unix socket from connect or accept (and
 * bind for datagrams). Only tracked sockets are reported, once: the entry
 * is deleted by whoever reports it, and only a successful delete reports.
 *
 * TCP byte totals cost nothing per packet: the kernel keeps them in the
 * tcp_sock, and the inet_sock_set_state raw tracepoint fires at every
 * state change; at the change to TCP_CLOSE they are read and reported.
 * bytes_received and bytes_acked count sequence numbers, in which a SYN
 * and a FIN take one each: the report takes out those that are in the
 * counts (tcp_bytes()). The same tracepoint gives the outcome of a
 * non-blocking connect (the change out of SYN_SENT).
 *
 * UDP and unix sockets have no such totals: the sock_send_length and
 * sock_recv_length raw tracepoints (6.3+) fire after each sendmsg and
 * recvmsg on any socket with its struct sock; for a tracked UDP or unix
 * socket the length is added to the entry (TCP returns at once, having
 * read one field). Their end is the close() that drops the file's last
 * reference, or the exit of the process that made them; net_owners keeps
 * which processes hold such sockets, so that any other close() costs one
 * lookup.
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>

#ifdef CONFIG_PROBE_NET

#define AF_UNIX		1
#define AF_INET		2
#define AF_INET6	10
#define SOCK_STREAM	1
#define SOCK_DGRAM	2
#define SOCK_SEQPACKET	5
#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define MSG_PEEK	2
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define ECONNABORTED	103
#define EISCONN		106
#define EALREADY	114
#define EINPROGRESS	115
#define ERESTARTSYS	512	/* kernel-internal, never seen by a process */
#define ERESTART_RESTARTBLOCK	516

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT = 2,
	TCP_FIN_WAIT1 = 4,
	TCP_CLOSE = 7,
	TCP_LAST_ACK = 9,
};

#define SOCK_DONE	1	/* enum sock_flags: the peer's FIN arrived */

/*
 * The record of sock_send_length/sock_recv_length: in the kernel's BTF
 * only where those tracepoints exist (6.3+), so its presence says whether
 * UDP and unix bytes can be counted.
 */
struct trace_event_raw_sock_msg_length {
	int ret;
} __attribute__((preserve_access_index));

/*
 * Calls in flight and connects waiting for their outcome (a few at a
 * time), and processes holding tracked UDP/unix sockets (more).
 */
#define NET_INFLIGHT_MAX	(CONFIG_NET_SOCKETS_MAX / 16)
#define NET_OWNERS_MAX		(CONFIG_NET_SOCKETS_MAX / 8)

enum net_op {
	NET_CONNECT = 1,
	NET_BIND,
	NET_LISTEN,
};

struct net_call {
	__u64 sk;
	__u64 uaddr;		/* connect: the sockaddr */
	__s32 fd;
	__u32 arg;		/* connect: addrlen; listen: backlog */
	__u32 op;		/* enum net_op */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_INFLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct net_call);
} net_calls SEC(".maps");

/* net_sock.flags */
#define NS_TCP		(1u << 0)	/* totals from the tcp_sock at TCP_CLOSE */
#define NS_COUNT	(1u << 1)	/* totals counted here, end at close/exit */
#define NS_FIN_OUT	(1u << 2)	/* TCP: our FIN was sent */

/* A tracked connection; the owner is the task that connected/accepted. */
struct net_sock {
	__u64 start_ns;
	__u64 cgroup_id;
	__u64 sent;		/* NS_COUNT: bytes sent */
	__u64 received;		/* NS_COUNT: bytes received */
	__u32 pid;
	__u32 tid;
	__s32 fd;		/* -1: tracked from a send, fd unknown */
	__u32 flags;		/* NS_* */
	__u32 acked_base;	/* TCP: bytes_acked when established (the SYN) */
	__u32 pad;
	char comm[ET_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CONFIG_NET_SOCKETS_MAX);
	__type(key, __u64);
	__type(value, struct net_sock);
} net_socks SEC(".maps");

/*
 * The outcome of a non-blocking connect, keyed by sock: whichever of
 * sys_exit_connect and the state change comes second reports it. Each
 * inserts with BPF_NOEXIST (atomic under the bucket lock): the exit a
 * "pending" marker, the state change the result. The one whose insert
 * fails is second, finds the other's value and reports.
 */
struct net_outcome {
	__s32 result;
	__u32 pending;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_INFLIGHT_MAX);
	__type(key, __u64);
	__type(value, struct net_outcome);
} net_outcomes SEC(".maps");

/*
 * The tracked UDP/unix sockets each process holds, so that a close() costs
 * one lookup unless the process holds some, and so that they can be
 * reported at its exit (they end without a close() then). A child gets a
 * copy at fork (it holds the same files). A process with more than
 * NET_OWNER_SLOTS of them at once has the others end with their last
 * close() only; slots are reused as its sockets end.
 */
#define NET_OWNER_SLOTS		8

struct net_owner {
	__u64 sk[NET_OWNER_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_OWNERS_MAX);
	__type(key, __u32);
	__type(value, struct net_owner);
} net_owners SEC(".maps");

/*
 * The one place that decides whether a built event is sent. Kernel-side
 * filters (event type, pid, comm, uid, port) belong here.
 */
static __always_inline int net_wanted(const struct et_net *ev)
{
	(void)ev;
	return 1;
}

static __always_inline void net_emit(struct et_net *ev)
{
	if (net_wanted(ev))
		et_output(ev, sizeof(*ev));
}

/* ------------------------------------------------------------ sockets */

/* The struct sock behind @file if it is a socket, else NULL. */
static __always_inline struct sock *file_sock(struct file___net *file)
{
	struct inode___net *inode;
	struct socket *sock;

	if (!file)
		return NULL;
	inode = ET_READ_PTR(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = ET_READ_PTR(file, private_data);
	return ET_READ_PTR(sock, sk);
}

/* Whether this close() drops the file's last reference. */
static __always_inline int last_ref(struct file___net *file)
{
	if (bpf_core_field_exists(file->f_ref))
		return ET_READ_WORD(file, f_ref.refcnt.counter) == 0;
	return ET_READ_WORD(file, f_count.counter) == 1;
}

static __always_inline __u16 sk_family(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_family);
}

static __always_inline int family_wanted(__u16 family)
{
	return family == AF_INET || family == AF_INET6 || family == AF_UNIX;
}

static __always_inline int is_tcp(struct sock *sk)
{
	__u16 family = sk_family(sk);

	return (family == AF_INET || family == AF_INET6) &&
	       BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/*
 * Copy a unix socket's name, @len bytes of sockaddr_un at @sa (from the
 * kernel, or the user when @user), into @dst: an abstract name (first
 * byte NUL) becomes "@name".
 */
static __always_inline void read_unix_name(char *dst, const void *sa,
					   __s32 len, int user)
{
	__u64 n = len > 2 ? (__u64)len - 2 : 0;	/* minus sun_family */

	if (n > ET_UNIX_PATH_MAX - 1)
		n = ET_UNIX_PATH_MAX - 1;
	barrier_var(n);
	if (n > ET_UNIX_PATH_MAX - 1)
		return;
	if (user)
		bpf_probe_read_user(dst, n, sa + 2);
	else
		bpf_probe_read_kernel(dst, n, sa + 2);
	dst[n] = '\0';
	if (n && dst[0] == '\0')
		dst[0] = '@';
}

/* A unix socket's path: its own name, or its peer's (a client's). */
static __always_inline void unix_path(struct et_net *ev, struct sock *sk)
{
	struct unix_sock *u = (void *)sk;
	struct unix_address *addr = ET_READ_PTR(u, addr);

	if (!addr) {
		struct unix_sock *peer = ET_READ_PTR(u, peer);

		if (!peer)
			return;
		addr = ET_READ_PTR(peer, addr);
		if (!addr)
			return;
	}
	read_unix_name(ev->path, __builtin_preserve_access_index(&addr->name),
		       BPF_CORE_READ(addr, len), 0);
}

/* Local and remote address and port of an inet socket. */
static __always_inline void inet_addrs(struct et_net *ev, struct sock *sk)
{
	struct inet_sock *inet = (void *)sk;

	if (ev->family == AF_INET6) {
		if (bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
			BPF_CORE_READ_INTO(&ev->saddr, sk,
					   __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&ev->daddr, sk,
					   __sk_common.skc_v6_daddr);
		}
	} else {
		BPF_CORE_READ_INTO((__u32 *)ev->saddr, sk,
				   __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)ev->daddr, sk,
				   __sk_common.skc_daddr);
	}
	/* inet_sport: skc_num is already 0 when TCP_CLOSE is reported */
	ev->sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	ev->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Family, type, protocol and addresses from the struct sock. */
static __always_inline void fill_sock(struct et_net *ev, struct sock *sk)
{
	ev->family = sk_family(sk);
	ev->type = BPF_CORE_READ(sk, sk_type);
	if (ev->family == AF_UNIX) {
		unix_path(ev, sk);
		return;
	}
	ev->proto = BPF_CORE_READ(sk, sk_protocol);
	inet_addrs(ev, sk);
}

/* sockaddr_in and sockaddr_in6, as a process passes them. */
struct net_sockaddr {
	__u16 family;
	__u16 port;
	__u32 v4;		/* sin6: flowinfo */
	__u8 v6[16];
	__u32 scope_id;
};

/* The remote end from the sockaddr the process passed to connect. */
static __always_inline void user_remote(struct et_net *ev, __u64 uaddr,
					__u32 len)
{
	struct net_sockaddr sa = {};

	if (ev->family == AF_UNIX) {
		if (len > 2 + ET_UNIX_PATH_MAX)
			len = 2 + ET_UNIX_PATH_MAX;
		read_unix_name(ev->path, (void *)uaddr, len, 1);
		return;
	}
	if (len > sizeof(sa))
		len = sizeof(sa);
	barrier_var(len);
	if (len > sizeof(sa) || bpf_probe_read_user(&sa, len, (void *)uaddr))
		return;
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	ev->dport = bpf_ntohs(sa.port);
	if (sa.family == AF_INET6 && len >= 24) {
		__builtin_memcpy(ev->daddr, sa.v6, 16);
	} else if (sa.family == AF_INET && ev->family == AF_INET6) {
		ev->daddr[10] = ev->daddr[11] = 0xff;	/* v4-mapped */
		__builtin_memcpy(&ev->daddr[12], &sa.v4, 4);
	} else if (sa.family == AF_INET) {
		__builtin_memcpy(ev->daddr, &sa.v4, 4);
	}
}

/* ----------------------------------------------------------- tracking */

/* Note @sk in the slots of process @tgid (a free one, or a stale one). */
static __always_inline void own(__u32 tgid, __u64 sk)
{
	struct net_owner *o = bpf_map_lookup_elem(&net_owners, &tgid);
	struct net_owner fresh = { .sk = { sk } };
	struct net_sock *ns;
	int i;

	if (!o) {
		bpf_map_update_elem(&net_owners, &tgid, &fresh, BPF_NOEXIST);
		return;
	}
	for (i = 0; i < NET_OWNER_SLOTS; i++) {
		if (o->sk[i] == sk)
			return;
	}
	for (i = 0; i < NET_OWNER_SLOTS; i++) {
		__u64 old = o->sk[i];

		ns = old ? bpf_map_lookup_elem(&net_socks, &old) : NULL;
		if (!ns || ns->pid != tgid) {
			o->sk[i] = sk;
			return;
		}
	}
}

/* Process @tgid no longer holds @sk (closed, or it ended): free its slot. */
static __always_inline void disown(__u32 tgid, __u64 sk)
{
	struct net_owner *o = bpf_map_lookup_elem(&net_owners, &tgid);
	int i;

	if (!o)
		return;
	for (i = 0; i < NET_OWNER_SLOTS; i++) {
		if (o->sk[i] == sk)
			o->sk[i] = 0;
	}
}

static __always_inline void track(__u64 sk, int fd, __u32 flags, __u64 mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct net_sock ns = {
		.start_ns = bpf_ktime_get_ns(),
		.cgroup_id = bpf_get_current_cgroup_id(),
		.pid = id >> 32,
		.tid = (__u32)id,
		.fd = fd,
		.flags = flags,
	};

	bpf_get_current_comm(ns.comm, sizeof(ns.comm));
	if (bpf_map_update_elem(&net_socks, &sk, &ns, mode))
		return;
	if (flags & NS_COUNT)
		own(ns.pid, sk);
}

/*
 * A TCP connect: tracked from its entry. A second connect on a socket
 * whose first is pending keeps the entry; anything else under this sock
 * is stale (the sock was freed and reused) and is replaced.
 */
static __always_inline void track_connect(__u64 sk, int fd)
{
	struct net_sock *ns = bpf_map_lookup_elem(&net_socks, &sk);

	if (ns && (ns->flags & NS_TCP))
		return;
	track(sk, fd, NS_TCP, BPF_ANY);
}

/*
 * UDP and unix sockets are tracked, their bytes counted and their end
 * reported only with run --socket-bytes (set by the loader, which then
 * also attaches et_net_send, et_net_recv, et_net_close, et_net_fork and
 * et_net_exit): those hook every send, receive and close on the system.
 */
const volatile __u32 et_net_counted = 0;

/* Track a socket whose bytes are counted here (UDP, unix). */
static __always_inline void track_counted(struct sock *sk, int fd,
					  __u16 family, int unix_dgram_only)
{
	__u16 type = BPF_CORE_READ(sk, sk_type);

	if (!et_net_counted)
		return;
	if (family == AF_UNIX) {
		if (unix_dgram_only && type != SOCK_DGRAM)
			return;
	} else if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP) {
		return;
	}
	track((__u64)sk, fd, NS_COUNT, BPF_NOEXIST);
}

/* An event about a tracked socket: the header names its owner. */
static __always_inline void fill_owner(struct et_net *ev, __u32 type,
				       const struct net_sock *ns)
{
	ev->hdr.ts = bpf_ktime_get_ns();
	ev->hdr.cgroup_id = ns->cgroup_id;
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.pid = ns->pid;
	ev->hdr.tid = ns->tid;
	__builtin_memcpy(ev->hdr.comm, ns->comm, sizeof(ev->hdr.comm));
	ev->fd = ns->fd;
}

/*
 * Take a tracked socket out of the map; 0 when it was there and this
 * caller removed it (and so reports it), -1 when it was not or another
 * CPU got there first.
 */
static __always_inline int untrack(__u64 sk, struct net_sock *ns)
{
	struct net_sock *p = bpf_map_lookup_elem(&net_socks, &sk);

	if (!p)
		return -1;
	*ns = *p;
	return bpf_map_delete_elem(&net_socks, &sk) ? -1 : 0;
}

/*
 * Payload bytes of a TCP connection. The kernel's counters advance with
 * snd_una and rcv_nxt, in sequence numbers, so they may hold a SYN and a
 * FIN (one number each). bytes_acked: the SYN of a connect (acked_base,
 * what it held when the handshake ended), and our FIN once it was acked,
 * that is when snd_una reached write_seq after it was sent (NS_FIN_OUT,
 * from the state changes). bytes_received: the peer's FIN once it
 * arrived, which is when tcp_fin() set SOCK_DONE.
 */
static __always_inline void tcp_bytes(struct et_net *ev, struct sock *sk,
				      const struct net_sock *ns)
{
	struct tcp_sock *tp = (void *)sk;
	__u64 acked = BPF_CORE_READ(tp, bytes_acked);
	__u64 received = BPF_CORE_READ(tp, bytes_received);
	__u64 skflags = ET_READ_WORD(sk, __sk_common.skc_flags);

	acked = acked > ns->acked_base ? acked - ns->acked_base : 0;
	if ((ns->flags & NS_FIN_OUT) && acked &&
	    BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		acked--;
	if ((skflags & (1u << SOCK_DONE)) && received)
		received--;
	ev->sent = acked;
	ev->received = received;
}

/* Build the end of a tracked connection in @ev (the caller's) and send it. */
static __always_inline void report_close(struct et_net *ev, struct sock *sk,
					 const struct net_sock *ns, int fd)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	fill_owner(ev, ET_EV_SOCK_CLOSE, ns);
	if (ev->fd < 0)
		ev->fd = fd;
	fill_sock(ev, sk);
	if (ns->flags & NS_TCP) {
		tcp_bytes(ev, sk, ns);
	} else {
		ev->sent = ns->sent;
		ev->received = ns->received;
		if (!bpf_core_type_exists(struct trace_event_raw_sock_msg_length))
			ev->flags |= ET_NET_NOBYTES;
	}
	ev->duration_ns = ev->hdr.ts - ns->start_ns;
	net_emit(ev);
}

/* Report a tracked socket's end, once; @ev is scratch for the event. */
static __always_inline void closed(struct et_net *ev, struct sock *sk, int fd)
{
	struct net_sock ns;

	if (untrack((__u64)sk, &ns))
		return;
	report_close(ev, sk, &ns, fd);
	if (ns.flags & NS_COUNT)
		disown(ns.pid, (__u64)sk);
}

/* ------------------------------------------------------------- calls */

static __always_inline void save_call(struct net_call *c)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&net_calls, &tid, c, BPF_ANY))
		et_count_drop(ET_DROP_INFLIGHT);
}

/* The call saved at entry, removed from the map; 0 if there is one. */
static __always_inline int take_call(struct net_call *c, __u32 op)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_call *p = bpf_map_lookup_elem(&net_calls, &tid);

	if (!p)
		return -1;
	*c = *p;
	bpf_map_delete_elem(&net_calls, &tid);
	return c->op == op ? 0 : -1;
}

/* Save a call on a socket of a family we report. */
static __always_inline int enter_call(struct syscall_trace_enter *ctx,
				      __u32 op, __u64 uaddr, __u32 arg)
{
	struct net_call c = {
		.fd = (__s32)ctx->args[0],
		.uaddr = uaddr,
		.arg = arg,
		.op = op,
	};
	struct sock *sk = file_sock(et_fd_file(c.fd));

	if (!sk || !family_wanted(sk_family(sk)))
		return 0;
	c.sk = (__u64)sk;
	/* TCP: tracked from here, so the handshake's end is seen */
	if (op == NET_CONNECT && is_tcp(sk))
		track_connect(c.sk, c.fd);
	save_call(&c);
	return 0;
}

/* An event about the current task's call on @sk. */
static __always_inline void call_event(struct et_net *ev, __u32 type,
				       const struct net_call *c)
{
	et_fill_hdr(&ev->hdr, type, sizeof(*ev));
	ev->fd = c->fd;
	fill_sock(ev, (struct sock *)c->sk);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int et_connect_enter(struct syscall_trace_enter *ctx)
{
	return enter_call(ctx, NET_CONNECT, ctx->args[1], (__u32)ctx->args[2]);
}

/*
 * connect returned EINPROGRESS: report the outcome now if the handshake
 * already ended, else leave the marker for the state change.
 */
static __always_inline void connect_pending(struct et_net *ev, __u64 sk)
{
	struct net_outcome mark = { .pending = 1 }, *o;

	if (!bpf_map_update_elem(&net_outcomes, &sk, &mark, BPF_NOEXIST))
		return;
	o = bpf_map_lookup_elem(&net_outcomes, &sk);
	if (!o)
		return;
	ev->flags = ET_NET_COMPLETED;
	ev->result = o->result;
	bpf_map_delete_elem(&net_outcomes, &sk);
	ev->hdr.ts = bpf_ktime_get_ns();
	net_emit(ev);
	if (ev->result)
		bpf_map_delete_elem(&net_socks, &sk);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int et_connect_exit(struct syscall_trace_exit *ctx)
{
	int ret = (int)ctx->ret;
	struct et_net ev = {};
	struct net_call c;

	if (take_call(&c, NET_CONNECT))
		return 0;
	/*
	 * Polling a pending connect: its outcome is reported by itself.
	 * Interrupted (ERESTARTSYS..ERESTART_RESTARTBLOCK, which the signal
	 * code turns into a restart or EINTR after this tracepoint): the
	 * restarted call reports, and the handshake goes on either way.
	 */
	if (ret == -EALREADY || ret == -EISCONN ||
	    (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK))
		return 0;
	call_event(&ev, ET_EV_CONNECT, &c);
	ev.result = ret;
	if (ev.family == AF_UNIX || (ret < 0 && ret != -EINPROGRESS))
		user_remote(&ev, c.uaddr, c.arg);
	if (ret == -EINPROGRESS)
		ev.flags = ET_NET_INPROGRESS;
	net_emit(&ev);
	if (ret == -EINPROGRESS) {
		connect_pending(&ev, c.sk);
		return 0;
	}
	/* a handshake that ended within the call left its outcome */
	bpf_map_delete_elem(&net_outcomes, &c.sk);
	if (ret < 0)
		bpf_map_delete_elem(&net_socks, &c.sk);
	else if (ev.proto != IPPROTO_TCP)
		track_counted((struct sock *)c.sk, c.fd, ev.family, 0);
	return 0;
}

static __always_inline int accept_exit(struct syscall_trace_exit *ctx)
{
	int fd = (int)ctx->ret;
	struct et_net ev = {};
	struct sock *sk;

	if (fd < 0)
		return 0;
	sk = file_sock(et_fd_file(fd));
	if (!sk || !family_wanted(sk_family(sk)))
		return 0;
	et_fill_hdr(&ev.hdr, ET_EV_ACCEPT, sizeof(ev));
	ev.fd = fd;
	fill_sock(&ev, sk);
	net_emit(&ev);
	if (ev.family == AF_UNIX) {
		if (et_net_counted)
			track((__u64)sk, fd, NS_COUNT, BPF_ANY);
	} else if (ev.proto == IPPROTO_TCP) {
		track((__u64)sk, fd, NS_TCP, BPF_ANY);
		/* closed (reset) before it was accepted: no state change left */
		if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_CLOSE)
			closed(&ev, sk, fd);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int et_accept_exit(struct syscall_trace_exit *ctx)
{
	return accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int et_accept4_exit(struct syscall_trace_exit *ctx)
{
	return accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int et_bind_enter(struct syscall_trace_enter *ctx)
{
	return enter_call(ctx, NET_BIND, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_bind")
int et_bind_exit(struct syscall_trace_exit *ctx)
{
	struct et_net ev = {};
	struct net_call c;

	if (take_call(&c, NET_BIND) || ctx->ret != 0)
		return 0;
	call_event(&ev, ET_EV_BIND, &c);
	net_emit(&ev);
	track_counted((struct sock *)c.sk, c.fd, ev.family, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int et_listen_enter(struct syscall_trace_enter *ctx)
{
	return enter_call(ctx, NET_LISTEN, 0, (__u32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int et_listen_exit(struct syscall_trace_exit *ctx)
{
	struct et_net ev = {};
	struct net_call c;

	if (take_call(&c, NET_LISTEN) || ctx->ret != 0)
		return 0;
	call_event(&ev, ET_EV_LISTEN, &c);
	ev.backlog = c.arg;
	net_emit(&ev);
	return 0;
}

/* ------------------------------------------------------ TCP state */

/* The way out of SYN_SENT: the result of a connect. */
static __always_inline void connect_outcome(struct sock *sk, int newstate)
{
	struct net_outcome out = {}, *o;
	__u64 key = (__u64)sk;
	struct net_sock *ns;
	struct et_net ev = {};
	int err;

	ns = bpf_map_lookup_elem(&net_socks, &key);
	if (!ns)
		return;
	if (newstate == TCP_ESTABLISHED) {
		/* the SYN in bytes_acked, as this kernel counts it */
		ns->acked_base = BPF_CORE_READ((struct tcp_sock *)sk,
					       bytes_acked);
	} else {
		err = BPF_CORE_READ(sk, sk_err);
		out.result = err ? -err : -ECONNABORTED;
	}
	/* first: the connect has not returned yet, it reports */
	if (!bpf_map_update_elem(&net_outcomes, &key, &out, BPF_NOEXIST))
		return;
	o = bpf_map_lookup_elem(&net_outcomes, &key);
	if (!o || !o->pending)
		return;
	fill_owner(&ev, ET_EV_CONNECT, ns);
	bpf_map_delete_elem(&net_outcomes, &key);
	ev.flags = ET_NET_COMPLETED;
	ev.result = out.result;
	fill_sock(&ev, sk);
	net_emit(&ev);
	if (out.result)
		bpf_map_delete_elem(&net_socks, &key);
}

/* Our FIN was sent: the close of a tracked connection started here. */
static __always_inline void note_fin_out(struct sock *sk, int newstate)
{
	__u64 key = (__u64)sk;
	struct net_sock *ns;

	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK)
		return;
	ns = bpf_map_lookup_elem(&net_socks, &key);
	if (ns)
		ns->flags |= NS_FIN_OUT;
}

SEC("raw_tracepoint/inet_sock_set_state")
int et_net_state(struct bpf_raw_tracepoint_args *ctx)
{
	struct sock *sk = (void *)ctx->args[0];
	int oldstate = (int)ctx->args[1];
	int newstate = (int)ctx->args[2];
	struct et_net ev;

	if (oldstate == TCP_SYN_SENT) {
		connect_outcome(sk, newstate);
		return 0;	/* never established: no close to report */
	}
	note_fin_out(sk, newstate);
	if (newstate == TCP_CLOSE)
		closed(&ev, sk, -1);
	return 0;
}

/* ------------------------------------------- UDP and unix: bytes, end */

static __always_inline void count(__u64 *total, int bytes)
{
#ifdef CONFIG_ARCH_32BIT
	*total += bytes;	/* no atomics in the 32-bit ARM JIT */
#else
	__sync_fetch_and_add(total, bytes);
#endif
}

SEC("raw_tracepoint/sock_send_length")
int et_net_send(struct bpf_raw_tracepoint_args *ctx)
{
	struct sock *sk = (void *)ctx->args[0];
	int ret = (int)ctx->args[1];
	__u64 key = (__u64)sk;
	struct net_sock *ns;
	__u16 proto;

	if (ret <= 0)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto == IPPROTO_TCP)
		return 0;	/* the tcp_sock counts */
	ns = bpf_map_lookup_elem(&net_socks, &key);
	if (ns) {
		count(&ns->sent, ret);
		return 0;
	}
	/* a UDP socket's first send, from a process (not a kernel socket) */
	if (proto != IPPROTO_UDP || !family_wanted(sk_family(sk)))
		return 0;
	{
		struct socket *sock = ET_READ_PTR(sk, sk_socket);
		struct net_sock *p;

		if (!sock || !ET_READ_PTR(sock, file))
			return 0;
		track(key, -1, NS_COUNT, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&net_socks, &key);
		if (p)
			count(&p->sent, ret);
	}
	return 0;
}

SEC("raw_tracepoint/sock_recv_length")
int et_net_recv(struct bpf_raw_tracepoint_args *ctx)
{
	struct sock *sk = (void *)ctx->args[0];
	int ret = (int)ctx->args[1];
	int flags = (int)ctx->args[2];
	__u64 key = (__u64)sk;
	struct net_sock *ns;

	if (ret <= 0 || (flags & MSG_PEEK))
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP)
		return 0;
	ns = bpf_map_lookup_elem(&net_socks, &key);
	if (ns)
		count(&ns->received, ret);
	return 0;
}

/* close() of a tracked UDP/unix socket's last reference: its end. */
SEC("tracepoint/syscalls/sys_enter_close")
int et_net_close(struct syscall_trace_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int fd = (__s32)ctx->args[0];
	struct file___net *file;
	struct net_sock *ns;
	struct et_net ev;
	struct sock *sk;
	__u64 key;

	if (!bpf_map_lookup_elem(&net_owners, &tgid))
		return 0;	/* holds no tracked UDP/unix socket */
	file = et_fd_file(fd);
	sk = file_sock(file);
	key = (__u64)sk;
	if (!sk)
		return 0;
	ns = bpf_map_lookup_elem(&net_socks, &key);
	if (!ns || !(ns->flags & NS_COUNT))
		return 0;
	disown(tgid, key);	/* this process lets go of it */
	if (last_ref(file))
		closed(&ev, sk, fd);
	return 0;
}

/* A child holds its parent's files: it gets a copy of its socket slots. */
SEC("raw_tracepoint/sched_process_fork")
int et_net_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct net_owner *o;

	if (ptgid == ctgid)
		return 0;	/* a thread */
	o = bpf_map_lookup_elem(&net_owners, &ptgid);
	if (o)
		bpf_map_update_elem(&net_owners, &ctgid, o, BPF_ANY);
	return 0;
}

/*
 * The exit of a process that holds tracked UDP/unix sockets: its files are
 * released without a close(). sched_process_exit fires before
 * exit_files(), so the socks are still there. The sockets it made end
 * now; copies it inherited end with their last close().
 */
SEC("raw_tracepoint/sched_process_exit")
int et_net_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct signal_struct *sig;
	struct net_owner *o;
	struct net_sock *ns;
	struct et_net ev;
	int i;

	o = bpf_map_lookup_elem(&net_owners, &tgid);
	if (!o)
		return 0;
	sig = ET_READ_PTR(task, signal);
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0;	/* other threads still run */
#pragma clang loop unroll(disable)
	for (i = 0; i < NET_OWNER_SLOTS; i++) {
		__u64 sk = o->sk[i];

		ns = sk ? bpf_map_lookup_elem(&net_socks, &sk) : NULL;
		if (ns && ns->pid == tgid && (ns->flags & NS_COUNT))
			closed(&ev, (struct sock *)sk, -1);
	}
	bpf_map_delete_elem(&net_owners, &tgid);
	return 0;
}

#endif /* CONFIG_PROBE_NET */
