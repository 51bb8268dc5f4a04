// SPDX-License-Identifier: GPL-2.0
/*
 * netpeer.c - one end of an exactly known socket conversation, for the
 * network integration tests and the network benchmark.
 *
 *	netpeer server PROTO ADDR PORT SEND RECV [-b BACKLOG] [-w] [-x] [-t SEC]
 *	netpeer client PROTO ADDR PORT SEND RECV [-n] [-u] [-w] [-x] [-t SEC]
 *	netpeer echo PROTO ADDR PORT
 *	netpeer pingpong PROTO ADDR PORT COUNT SIZE
 *
 * PROTO is tcp, udp or unix (a stream socket); ADDR an IPv4 or IPv6
 * literal, or for unix a path or "@name" (abstract; PORT is ignored, "-").
 *
 * SEND and RECV are the bytes this end sends and receives: the client
 * sends first, then receives; the server receives, then sends (so the
 * client's SEND is the server's RECV). Then each closes its sockets,
 * unless -w: then it first reads until the peer closes (it is the passive
 * closer). UDP goes in datagrams of at most 1000 bytes; the server answers
 * the address of the first datagram. TCP and unix listen with BACKLOG
 * (default 16).
 *
 *   -n  client: non-blocking connect; poll for its end, SO_ERROR
 *   -u  client, UDP: no connect(); sendto() and recvfrom()
 *   -x  exit without closing the sockets (the kernel closes them)
 *   -t  give up after SEC seconds (default 10): SIGALRM, exit 142
 *
 * echo and pingpong, for the benchmark: echo sends every message back
 * (TCP, unix: one connection, then it exits; UDP: until an empty
 * datagram); pingpong connects to it, sends COUNT messages of SIZE bytes
 * (at most 1000), waits for each echo, and prints "elapsed_ns=N".
 *
 * Every step prints one line on stdout, flushed, so a test knows exactly
 * what to expect: "pid=N", then e.g. "listen fd=3 port=40000",
 * "accept fd=4 sport=40000 dport=51234", "connect fd=3 result=0
 * sport=51234", "completed result=-111", "done sent=N received=N".
 * Exit status 0 when the conversation went as asked (a connect that
 * fails is reported, status 0), 1 on an error, 2 on a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX	1000

enum proto { P_TCP, P_UDP, P_UNIX };

struct peer {
	enum proto proto;
	const char *addr;
	int port;
	unsigned long long send, recv;	/* bytes to send, to receive */
	unsigned long long sent, received;
	int backlog;
	int nonblock;
	int unconnected;
	int wait_eof;
	int no_close;
	struct sockaddr_storage sa;	/* the address (and UDP's peer) */
	socklen_t salen;
};

static void usage(void)
{
	fputs("usage: netpeer server|client tcp|udp|unix ADDR PORT SEND RECV "
	      "[-b BACKLOG] [-n] [-u] [-w] [-x] [-t SEC]\n"
	      "       netpeer echo tcp|udp|unix ADDR PORT\n"
	      "       netpeer pingpong tcp|udp|unix ADDR PORT COUNT SIZE\n",
	      stderr);
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "netpeer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Fill p->sa from ADDR and PORT; returns the socket family. */
static int make_addr(struct peer *p)
{
	struct sockaddr_in *in = (void *)&p->sa;
	struct sockaddr_in6 *in6 = (void *)&p->sa;
	struct sockaddr_un *un = (void *)&p->sa;
	size_t len;

	memset(&p->sa, 0, sizeof(p->sa));
	if (p->proto == P_UNIX) {
		len = strlen(p->addr);
		if (len >= sizeof(un->sun_path))
			usage();
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, p->addr, len);
		if (p->addr[0] == '@') {	/* abstract: no NUL at the end */
			un->sun_path[0] = '\0';
			p->salen = offsetof(struct sockaddr_un, sun_path) + len;
		} else {
			p->salen = offsetof(struct sockaddr_un, sun_path) + len + 1;
		}
		return AF_UNIX;
	}
	if (inet_pton(AF_INET, p->addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(p->port);
		p->salen = sizeof(*in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, p->addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p->port);
		p->salen = sizeof(*in6);
		return AF_INET6;
	}
	fprintf(stderr, "netpeer: not an address: %s\n", p->addr);
	exit(2);
}

static int open_socket(struct peer *p)
{
	int family = make_addr(p);
	int type = p->proto == P_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(family, type, 0), one = 1;

	if (fd < 0)
		die("socket");
	if (family != AF_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	return fd;
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (void *)&ss, &len))
		die("getsockname");
	return port_of(&ss);
}

/* Send @n bytes (UDP: in datagrams, to p->sa when not connected). */
static void send_all(struct peer *p, int fd, unsigned long long n, int to)
{
	static char buf[65536];
	ssize_t r;

	memset(buf, 'x', sizeof(buf));
	while (n) {
		size_t chunk = n < sizeof(buf) ? n : sizeof(buf);

		if (p->proto == P_UDP && chunk > DGRAM_MAX)
			chunk = DGRAM_MAX;
		if (to)
			r = sendto(fd, buf, chunk, 0, (void *)&p->sa, p->salen);
		else
			r = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (r < 0)
			die("send");
		p->sent += r;
		n -= r;
	}
}

/* Receive @n bytes; UDP: remember the sender of the first datagram. */
static void recv_all(struct peer *p, int fd, unsigned long long n)
{
	static char buf[65536];
	ssize_t r;

	while (n) {
		size_t chunk = n < sizeof(buf) ? n : sizeof(buf);

		if (p->proto == P_UDP) {
			p->salen = sizeof(p->sa);
			r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&p->sa,
				     &p->salen);
		} else {
			r = recv(fd, buf, chunk, 0);
		}
		if (r < 0)
			die("recv");
		if (r == 0) {
			fprintf(stderr, "netpeer: peer closed, %llu bytes "
				"short\n", n);
			exit(1);
		}
		p->received += r;
		n -= (unsigned long long)r < n ? (unsigned long long)r : n;
	}
}

/* -w: read until the peer closes; nothing more is expected. */
static void wait_eof(struct peer *p, int fd)
{
	char buf[4096];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
		p->received += r;
	if (r < 0)
		die("recv (waiting for the peer to close)");
}

static void close_fd(const struct peer *p, int fd)
{
	if (!p->no_close)
		close(fd);
}

static int server(struct peer *p)
{
	int lfd = open_socket(p), cfd;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (p->proto == P_UNIX && p->addr[0] != '@')
		unlink(p->addr);
	if (bind(lfd, (void *)&p->sa, p->salen))
		die("bind");
	if (p->proto == P_UDP) {
		say("bind fd=%d port=%d", lfd, local_port(lfd));
		recv_all(p, lfd, p->recv);
		send_all(p, lfd, p->send, 1);
		close_fd(p, lfd);
		goto out;
	}
	if (listen(lfd, p->backlog))
		die("listen");
	say("listen fd=%d port=%d", lfd, p->proto == P_UNIX ? 0 : local_port(lfd));
	cfd = accept(lfd, (void *)&ss, &len);
	if (cfd < 0)
		die("accept");
	say("accept fd=%d sport=%d dport=%d", cfd,
	    p->proto == P_UNIX ? 0 : local_port(cfd), port_of(&ss));
	recv_all(p, cfd, p->recv);
	send_all(p, cfd, p->send, 0);
	if (p->wait_eof)
		wait_eof(p, cfd);
	close_fd(p, cfd);
	close_fd(p, lfd);
out:
	if (p->proto == P_UNIX && p->addr[0] != '@')
		unlink(p->addr);
	say("done sent=%llu received=%llu", p->sent, p->received);
	return 0;
}

/* A non-blocking connect: -EINPROGRESS, then its end from SO_ERROR. */
static int connect_nonblock(int fd, struct peer *p)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int err = 0, flags = fcntl(fd, F_GETFL);
	socklen_t len = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (!connect(fd, (void *)&p->sa, p->salen))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	say("inprogress fd=%d sport=%d", fd, local_port(fd));
	if (poll(&pfd, 1, -1) < 0)
		die("poll");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		die("SO_ERROR");
	say("completed result=%d", -err);
	fcntl(fd, F_SETFL, flags);
	return -err;
}

static int client(struct peer *p)
{
	int fd = open_socket(p), rc = 0;

	if (p->proto == P_UDP && p->unconnected) {
		send_all(p, fd, p->send, 1);
		say("sendto fd=%d sport=%d", fd, local_port(fd));
		recv_all(p, fd, p->recv);
		goto out;
	}
	if (p->nonblock)
		rc = connect_nonblock(fd, p);
	else if (connect(fd, (void *)&p->sa, p->salen))
		rc = -errno;
	say("connect fd=%d result=%d sport=%d", fd, rc,
	    p->proto == P_UNIX || rc ? 0 : local_port(fd));
	if (rc)
		goto out;
	send_all(p, fd, p->send, 0);
	recv_all(p, fd, p->recv);
	if (p->wait_eof)
		wait_eof(p, fd);
out:
	close_fd(p, fd);
	say("done sent=%llu received=%llu", p->sent, p->received);
	return 0;
}

/*
 * netpeer echo: every message sent straight back. TCP and unix: one
 * connection; UDP: datagrams until an empty one.
 */
static int echo(struct peer *p)
{
	int fd = open_socket(p), cfd = -1, one = 1;
	struct sockaddr_storage from;
	socklen_t len;
	char buf[65536];
	ssize_t r;

	if (p->proto == P_UNIX && p->addr[0] != '@')
		unlink(p->addr);
	if (bind(fd, (void *)&p->sa, p->salen))
		die("bind");
	if (p->proto == P_UDP) {
		say("bind fd=%d port=%d", fd, local_port(fd));
		for (;;) {
			len = sizeof(from);
			r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from,
				     &len);
			if (r <= 0)
				break;
			if (sendto(fd, buf, r, 0, (void *)&from, len) != r)
				die("sendto");
		}
		goto out;
	}
	if (listen(fd, 1))
		die("listen");
	say("listen fd=%d port=%d", fd, p->proto == P_UNIX ? 0 : local_port(fd));
	cfd = accept(fd, NULL, NULL);
	if (cfd < 0)
		die("accept");
	if (p->proto == P_TCP)
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((r = recv(cfd, buf, sizeof(buf), 0)) > 0)
		if (send(cfd, buf, r, MSG_NOSIGNAL) != r)
			die("send");
	close(cfd);
out:
	close(fd);
	if (p->proto == P_UNIX && p->addr[0] != '@')
		unlink(p->addr);
	return 0;
}

/* netpeer pingpong: COUNT round trips of SIZE bytes; prints the time. */
static int pingpong(struct peer *p, long count, long size)
{
	int fd = open_socket(p), one = 1;
	struct timespec t0, t1;
	char buf[65536];

	if (size < 1 || size > DGRAM_MAX)
		usage();
	if (connect(fd, (void *)&p->sa, p->salen))
		die("connect");
	if (p->proto == P_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(buf, 'p', size);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		long got = 0;

		if (send(fd, buf, size, 0) != size)
			die("send");
		while (got < size) {
			ssize_t r = recv(fd, buf + got, size - got, 0);

			if (r <= 0)
				die("recv");
			got += r;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (p->proto == P_UDP)
		send(fd, buf, 0, 0);	/* the echo server's end */
	close(fd);
	say("elapsed_ns=%lld", (long long)(t1.tv_sec - t0.tv_sec) *
	    1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}

static enum proto parse_proto(const char *s)
{
	if (!strcmp(s, "tcp"))
		return P_TCP;
	if (!strcmp(s, "udp"))
		return P_UDP;
	if (!strcmp(s, "unix"))
		return P_UNIX;
	usage();
	return P_TCP;
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s)
		usage();
	return v;
}

static void parse_options(struct peer *p, int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "b:nuwxt:")) != -1) {
		switch (c) {
		case 'b':
			p->backlog = number(optarg);
			break;
		case 'n':
			p->nonblock = 1;
			break;
		case 'u':
			p->unconnected = 1;
			break;
		case 'w':
			p->wait_eof = 1;
			break;
		case 'x':
			p->no_close = 1;
			break;
		case 't':
			alarm(number(optarg));
			break;
		default:
			usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct peer p = { .backlog = 16 };
	const char *mode;

	if (argc < 4)
		usage();
	mode = argv[1];
	signal(SIGPIPE, SIG_IGN);
	alarm(10);
	say("pid=%d", (int)getpid());
	if (argc < 5)
		usage();
	p.proto = parse_proto(argv[2]);
	p.addr = argv[3];
	p.port = strcmp(argv[4], "-") ? (int)number(argv[4]) : 0;
	if (!strcmp(mode, "echo") || !strcmp(mode, "pingpong")) {
		alarm(0);
		if (!strcmp(mode, "echo"))
			return echo(&p);
		if (argc != 7)
			usage();
		return pingpong(&p, number(argv[5]), number(argv[6]));
	}
	if (argc < 7)
		usage();
	p.send = number(argv[5]);
	p.recv = number(argv[6]);
	optind = 7;
	parse_options(&p, argc, argv);
	if (!strcmp(mode, "server"))
		return server(&p);
	if (!strcmp(mode, "client"))
		return client(&p);
	usage();
	return 2;
}
