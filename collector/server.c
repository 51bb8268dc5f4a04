// SPDX-License-Identifier: GPL-2.0
/*
 * server.c - HTTPS/1.1 with mutual TLS (mbedtls), in one poll() loop.
 *
 * Every connection is a small state machine over a non-blocking socket:
 * the TLS handshake (a client certificate chaining to the fleet CA is
 * required: MBEDTLS_SSL_VERIFY_REQUIRED), then requests read until whole,
 * each answered, with keep-alive. A connection waits in poll() for what
 * mbedtls wants next (read or write), so a slow or stalled client holds
 * no one up; the work on one whole batch runs to its end in the loop
 * (docs/collector.md, "Concurrency": a few milliseconds of CPU and the
 * sinks' fsync or commit). No threads: mbedtls and uplink/seal.c are used
 * from one thread only.
 *
 * HTTP is the subset docs/uplink-protocol.md needs: POST /v1/batches with
 * a Content-Length (Expect: 100-continue is honoured), keep-alive unless
 * "Connection: close" or HTTP/1.0. Anything else gets a short error answer
 * and, when its body cannot be skipped, the connection closed. The
 * parsing is http.c's, which sees bytes only; here is what it does not
 * know: the sockets, TLS, the answers' wire form and the log's peer.
 *
 * TLS session tickets (keys made at start, per process) let a device
 * resume without a full handshake while it talks to the same collector.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "collector.h"

#define MAX_CONNS	256
#define HANDSHAKE_SECS	30
#define IDLE_SECS	120

enum conn_state { ST_HANDSHAKE, ST_READ, ST_WRITE };

struct conn {
	int fd;
	enum conn_state st;
	short want;			/* POLLIN or POLLOUT */
	mbedtls_ssl_context ssl;
	struct co_peer peer;
	struct co_http http;		/* the requests read (http.c) */
	char out[512];
	size_t out_len, out_off;
	int close_after;		/* close once out is sent */
	time_t last;
};

struct co_server {
	int lfd;
	char where[128];
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert, ca;
	mbedtls_pk_context pkey;
	mbedtls_ssl_ticket_context ticket;
	struct conn *conns[MAX_CONNS];
	int nconns;
	size_t max_batch;
	const struct et_seal_key *fleet;
	struct co_sinks *sinks;
};

static const char *tls_err(int ret)
{
	static char buf[160];

	mbedtls_strerror(ret, buf, sizeof(buf));
	return buf;
}

/* ------------------------------------------------------------ setup */

/* Split "ADDR:PORT" ("[v6]:PORT", ":PORT" for any) and resolve it. */
static int resolve_listen(const char *spec, struct addrinfo **res, char *err,
			  size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	char host[256];
	const char *colon = strrchr(spec, ':'), *port;
	size_t hlen;
	char *end;
	long p;
	int ret;

	if (!colon || !colon[1])
		goto bad;
	port = colon + 1;
	p = strtol(port, &end, 10);
	if (*end || p < 0 || p > 65535)
		goto bad;
	hlen = colon - spec;
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = 0;
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	} else if (strchr(host, ':')) {
		goto bad;
	}
	ret = getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, port,
			  &hints, res);
	if (ret) {
		snprintf(err, errlen, "--listen '%s': %s", spec,
			 gai_strerror(ret));
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "--listen '%s': not ADDR:PORT (e.g. "
		 "0.0.0.0:8443, [::]:8443, 127.0.0.1:0 for any free port)",
		 spec);
	return -1;
}

static int open_listener(struct co_server *s, const char *spec, char *err,
			 size_t errlen)
{
	struct addrinfo *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];
	int one = 1, e = 0;

	if (resolve_listen(spec, &res, err, errlen))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		s->lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);
		if (s->lfd < 0) {
			e = errno;
			continue;
		}
		setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(s->lfd, ai->ai_addr, ai->ai_addrlen) &&
		    !listen(s->lfd, 128))
			break;
		e = errno;
		close(s->lfd);
		s->lfd = -1;
	}
	freeaddrinfo(res);
	if (s->lfd < 0) {
		snprintf(err, errlen, "--listen '%s': cannot listen: %s", spec,
			 strerror(e));
		return -1;
	}
	getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(s->where, sizeof(s->where), ss.ss_family == AF_INET6 ?
		 "[%s]:%s" : "%s:%s", host, port);
	return 0;
}

/* mbedtls says "Read/write of file failed" for a missing file: say why. */
static int readable(const char *opt, const char *path, char *err,
		    size_t errlen)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s %s: cannot read it: %s", opt, path,
			 strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static int load_tls(struct co_server *s, const struct co_server_opts *o,
		    char *err, size_t errlen)
{
	int ret;

	if (readable("--cert", o->cert, err, errlen) ||
	    readable("--key", o->key, err, errlen) ||
	    readable("--ca", o->ca, err, errlen))
		return -1;

	ret = mbedtls_x509_crt_parse_file(&s->cert, o->cert);
	if (ret) {
		snprintf(err, errlen, "--cert %s: cannot read a certificate "
			 "(PEM or DER): %s", o->cert, ret > 0 ?
			 "a certificate in it does not parse" : tls_err(ret));
		return -1;
	}
	ret = mbedtls_pk_parse_keyfile(&s->pkey, o->key, NULL,
				       mbedtls_ctr_drbg_random, &s->drbg);
	if (ret) {
		snprintf(err, errlen, "--key %s: cannot read a private key "
			 "(unencrypted PEM or DER): %s", o->key, tls_err(ret));
		return -1;
	}
	ret = mbedtls_pk_check_pair(&s->cert.pk, &s->pkey,
				    mbedtls_ctr_drbg_random, &s->drbg);
	if (ret) {
		snprintf(err, errlen, "--key %s is not the key of --cert %s",
			 o->key, o->cert);
		return -1;
	}
	ret = mbedtls_x509_crt_parse_file(&s->ca, o->ca);
	if (ret) {
		snprintf(err, errlen, "--ca %s: cannot read the fleet CA "
			 "certificate (PEM or DER): %s", o->ca, ret > 0 ?
			 "a certificate in it does not parse" : tls_err(ret));
		return -1;
	}
	ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		goto fail;
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
	mbedtls_ssl_conf_min_tls_version(&s->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->pkey);
	if (ret)
		goto fail;
	ret = mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random,
				       &s->drbg, MBEDTLS_CIPHER_AES_256_GCM,
				       86400);
	if (ret)
		goto fail;
	mbedtls_ssl_conf_session_tickets_cb(&s->conf, mbedtls_ssl_ticket_write,
					    mbedtls_ssl_ticket_parse,
					    &s->ticket);
	return 0;
fail:
	snprintf(err, errlen, "TLS set-up: %s", tls_err(ret));
	return -1;
}

struct co_server *co_server_new(const struct co_server_opts *o, char *err,
				size_t errlen)
{
	struct co_server *s = calloc(1, sizeof(*s));
	static const char pers[] = "edgetrace-collector";
	psa_status_t ps;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->lfd = -1;
	s->max_batch = o->max_batch;
	s->fleet = o->fleet;
	s->sinks = o->sinks;
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->cert);
	mbedtls_x509_crt_init(&s->ca);
	mbedtls_pk_init(&s->pkey);
	mbedtls_ssl_ticket_init(&s->ticket);
	ps = psa_crypto_init();
	if (ps != PSA_SUCCESS) {
		snprintf(err, errlen, "PSA crypto init failed (%d)", (int)ps);
		goto out_free;
	}
	if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
				  (const unsigned char *)pers,
				  sizeof(pers) - 1)) {
		snprintf(err, errlen, "cannot seed the random generator");
		goto out_free;
	}
	if (load_tls(s, o, err, errlen) ||
	    open_listener(s, o->listen, err, errlen))
		goto out_free;
	return s;

out_free:
	co_server_free(s);
	return NULL;
}

static void conn_free(struct co_server *s, int i)
{
	struct conn *c = s->conns[i];

	mbedtls_ssl_free(&c->ssl);
	et_seal_key_free(c->peer.key);
	close(c->fd);
	co_http_free(&c->http);
	free(c);
	s->conns[i] = s->conns[--s->nconns];
	s->conns[s->nconns] = NULL;
}

void co_server_free(struct co_server *s)
{
	if (!s)
		return;
	while (s->nconns)
		conn_free(s, s->nconns - 1);
	if (s->lfd >= 0)
		close(s->lfd);
	mbedtls_ssl_ticket_free(&s->ticket);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_x509_crt_free(&s->cert);
	mbedtls_x509_crt_free(&s->ca);
	mbedtls_pk_free(&s->pkey);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	mbedtls_psa_crypto_free();
	free(s);
}

/* --------------------------------------------------------------- peers */

int co_peer_names(const struct co_peer *p, const char *id)
{
	const mbedtls_x509_crt *crt = p->crt;
	const mbedtls_x509_sequence *san;
	size_t n = strlen(id);

	if ((p->cn[0] && !strcmp(p->cn, id)) ||
	    (p->key && !strcmp(p->key_hex, id)))
		return 1;
	for (san = crt ? &crt->subject_alt_names : NULL; san; san = san->next) {
		if (san->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
				     MBEDTLS_X509_SAN_DNS_NAME))
			continue;
		if (san->buf.len == n && !memcmp(san->buf.p, id, n))
			return 1;
	}
	return 0;
}

/* What the client certificate says: its CN and its key as a seal key. */
static void peer_setup(struct conn *c)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	const mbedtls_x509_name *n;
	unsigned char der[1024];
	size_t i;
	int len;

	c->peer.crt = crt;
	if (!crt) {
		snprintf(c->peer.key_err, sizeof(c->peer.key_err),
			 "no client certificate");
		return;
	}
	for (n = &crt->subject; n; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid))
			continue;
		for (i = 0; i < n->val.len && i < ET_SEAL_DEVICE_ID_MAX; i++)
			c->peer.cn[i] = n->val.p[i] >= 0x20 &&
				n->val.p[i] < 0x7f ? n->val.p[i] : '?';
		c->peer.cn[i] = 0;
		break;
	}
	len = mbedtls_pk_write_pubkey_der(&crt->pk, der, sizeof(der));
	if (len <= 0) {
		snprintf(c->peer.key_err, sizeof(c->peer.key_err),
			 "its public key cannot be written: %s", tls_err(len));
		return;
	}
	c->peer.key = et_seal_key_parse("the client certificate",
					der + sizeof(der) - len, len,
					ET_KEY_PUBLIC, c->peer.key_err,
					sizeof(c->peer.key_err));
	if (c->peer.key)
		et_seal_id_hex(et_seal_key_id(c->peer.key), c->peer.key_hex);
	else
		snprintf(c->peer.key_hex, sizeof(c->peer.key_hex), "none");
}

static void log_rejected(struct conn *c, int ret)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
	char info[512] = "", *p;

	if (flags && flags != (uint32_t)-1) {
		mbedtls_x509_crt_verify_info(info, sizeof(info), "; ", flags);
		for (p = info; *p; p++)
			if (*p == '\n')
				*p = ' ';
		while (p > info && p[-1] == ' ')
			*--p = 0;
	}
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == MBEDTLS_ERR_NET_CONN_RESET)
		co_log("%s: rejected connection: closed by the client during "
		       "the TLS handshake%s", c->peer.addr, info);
	else
		co_log("%s: rejected connection: TLS handshake failed: %s%s",
		       c->peer.addr, tls_err(ret), info);
}

/* ------------------------------------------------------------ sockets */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (errno == EPIPE || errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = recv(c->fd, buf, len, 0);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

static void accept_new(struct co_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];
	struct conn *c;
	int fd;

	while (s->nconns < MAX_CONNS) {
		sl = sizeof(ss);
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->want = POLLIN;
		co_http_init(&c->http, s->max_batch);
		c->last = time(NULL);
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
				port, sizeof(port),
				NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(c->peer.addr, sizeof(c->peer.addr), "?");
		else
			snprintf(c->peer.addr, sizeof(c->peer.addr),
				 ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
				 host, port);
		mbedtls_ssl_init(&c->ssl);
		if (mbedtls_ssl_setup(&c->ssl, &s->conf)) {
			co_log("%s: rejected connection: out of memory",
			       c->peer.addr);
			mbedtls_ssl_free(&c->ssl);
			close(fd);
			free(c);
			continue;
		}
		mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
		s->conns[s->nconns++] = c;
	}
}

/* --------------------------------------------------------------- HTTP */

static const char *reason_phrase(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* The answer to send; the connection is closed after it if @close. */
static void respond(struct conn *c, int code, const char *body, int close)
{
	c->close_after = close;
	c->out_off = 0;
	c->out_len = snprintf(c->out, sizeof(c->out),
			      "HTTP/1.1 %d %s\r\n"
			      "Content-Type: text/plain\r\n"
			      "Content-Length: %zu\r\n"
			      "%s\r\n%s\n", code, reason_phrase(code),
			      strlen(body) + 1,
			      close ? "Connection: close\r\n" : "", body);
	if (c->out_len >= sizeof(c->out))
		c->out_len = sizeof(c->out) - 1;
	c->st = ST_WRITE;
}

/* What http.c makes of the input: 1 when an answer is ready, 0 to read on. */
static int handle_input(struct co_server *s, struct conn *c)
{
	struct co_http_req r;
	struct co_reply rep;

	switch (co_http_next(&c->http, &r)) {
	case CO_HTTP_MORE:
		return 0;
	case CO_HTTP_CONTINUE:
		c->out_len = snprintf(c->out, sizeof(c->out),
				      "HTTP/1.1 100 Continue\r\n\r\n");
		c->out_off = 0;
		c->close_after = 0;
		c->st = ST_WRITE;
		return 1;
	case CO_HTTP_ANSWER:
		if (r.log[0])
			co_log("%s (certificate '%s'): %s", c->peer.addr,
			       c->peer.cn, r.log);
		respond(c, r.code, r.text, r.close);
		return 1;
	case CO_HTTP_BATCH:
		co_handle_batch(s->fleet, s->sinks, &c->peer, r.body,
				r.body_len, &rep);
		co_http_done(&c->http);
		respond(c, rep.code, rep.body, r.close);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------- a connection */

/* Run @c until it waits for its socket: 0, or -1 when it is to be closed. */
static int conn_step(struct co_server *s, struct conn *c)
{
	uint8_t *p;
	size_t room;
	int ret;

	c->last = time(NULL);
	for (;;) {
		switch (c->st) {
		case ST_HANDSHAKE:
			ret = mbedtls_ssl_handshake(&c->ssl);
			if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
			    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				goto wait;
			if (ret) {
				log_rejected(c, ret);
				return -1;
			}
			peer_setup(c);
			c->st = ST_READ;
			break;
		case ST_READ:
			if (handle_input(s, c))
				break;
			p = co_http_space(&c->http, &room);
			if (!p)
				return -1;
			ret = mbedtls_ssl_read(&c->ssl, p, room);
			if (ret > 0) {
				co_http_filled(&c->http, ret);
				break;
			}
			if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
			    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				goto wait;
			if (ret && ret != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY &&
			    ret != MBEDTLS_ERR_SSL_CONN_EOF &&
			    ret != MBEDTLS_ERR_NET_CONN_RESET)
				co_log("%s: connection closed: %s",
				       c->peer.addr, tls_err(ret));
			else if (c->http.len)
				co_log("%s: connection closed by the client in "
				       "the middle of a request", c->peer.addr);
			return -1;
		case ST_WRITE:
			ret = mbedtls_ssl_write(&c->ssl,
						(const unsigned char *)c->out +
						c->out_off,
						c->out_len - c->out_off);
			if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
			    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				goto wait;
			if (ret < 0)
				return -1;
			c->out_off += ret;
			if (c->out_off < c->out_len)
				break;
			if (c->close_after) {
				mbedtls_ssl_close_notify(&c->ssl);
				return -1;
			}
			c->st = ST_READ;
			break;
		}
	}
wait:
	c->want = ret == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN;
	return 0;
}

static void sweep(struct co_server *s, time_t now)
{
	int i;

	for (i = s->nconns - 1; i >= 0; i--) {
		struct conn *c = s->conns[i];

		if (c->st == ST_HANDSHAKE && now - c->last > HANDSHAKE_SECS) {
			co_log("%s: rejected connection: no TLS handshake "
			       "within %d s", c->peer.addr, HANDSHAKE_SECS);
			conn_free(s, i);
		} else if (now - c->last > IDLE_SECS) {
			conn_free(s, i);
		}
	}
}

int co_server_run(struct co_server *s, volatile sig_atomic_t *stop,
		  const sigset_t *sigmask)
{
	struct pollfd fds[MAX_CONNS + 1];
	struct timespec tick = { .tv_sec = 1 };
	int i, n, nfds;

	co_log("listening on %s", s->where);
	while (!*stop) {
		fds[0].fd = s->lfd;
		fds[0].events = s->nconns < MAX_CONNS ? POLLIN : 0;
		for (i = 0; i < s->nconns; i++) {
			fds[i + 1].fd = s->conns[i]->fd;
			fds[i + 1].events = s->conns[i]->want;
			fds[i + 1].revents = 0;
		}
		nfds = s->nconns + 1;
		n = ppoll(fds, nfds, &tick, sigmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			co_log("poll: %s", strerror(errno));
			return -1;
		}
		/* from the last, so that conn_free's move does not skip one */
		for (i = nfds - 2; i >= 0; i--) {
			if (!fds[i + 1].revents)
				continue;
			if (conn_step(s, s->conns[i]))
				conn_free(s, i);
		}
		if (fds[0].revents & POLLIN) {
			int first = s->nconns;

			accept_new(s);
			for (i = s->nconns - 1; i >= first; i--)
				if (conn_step(s, s->conns[i]))
					conn_free(s, i);
		}
		sweep(s, time(NULL));
	}
	co_log("stopping: %d connection%s closed", s->nconns,
	       s->nconns == 1 ? "" : "s");
	return 0;
}
