// SPDX-License-Identifier: GPL-2.0
/*
 * https.c - the uplink's HTTPS client: one TLS connection (mbedtls, TLS
 * 1.2 or 1.3) with mutual authentication, HTTP/1.1 keep-alive, session
 * tickets for resumption, and every byte on the wire counted and paced by
 * a token bucket (CONFIG_UPLINK_HTTPS).
 *
 * The socket is ours, not mbedtls_net's: the BIO callbacks below are where
 * the bandwidth cap is enforced (before each send() the bucket must hold
 * the bytes, handshakes and TLS framing included, so the cap is on what
 * the link carries) and where bytes are counted. Sockets are blocking with
 * send and receive timeouts (UPLINK_IO_TIMEOUT_S): a lossy link with half
 * a second of delay needs many seconds for a handshake, a dead one must
 * not hang the loop for ever.
 *
 * Route check: connect() on a UDP socket makes the kernel look the
 * destination up in its routing table and sends nothing; ENETUNREACH or
 * EHOSTUNREACH means no route, so no attempt is made (no SYN, no DNS
 * traffic beyond what resolving the name costs, which /etc/hosts or the
 * resolver's cache answer on most gateways).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "uplink.h"

#define IO_TIMEOUT_S		60
#define CONNECT_TIMEOUT_S	30
#define HDR_MAX			8192
#define SEND_CHUNK		4096	/* bytes per paced send() */

struct et_https {
	struct et_url url;
	struct et_https_io *io;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca, cert;
	mbedtls_pk_context key;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_session session;
	int have_session;
	int fd;			/* -1: not connected */
	struct sockaddr_storage addr;	/* resolved by the route check */
	socklen_t addrlen;
	/* token bucket */
	double tokens;
	struct timespec refilled;
};

int et_url_parse(const char *url, struct et_url *u, char *err, size_t errlen)
{
	const char *p, *host, *end, *slash;
	size_t hl;
	long port = 443;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "uplink-url '%s' must start with "
			 "https:// (https://HOST[:PORT]/PATH)", url);
		return -1;
	}
	host = url + 8;
	slash = strchr(host, '/');
	end = slash ? slash : host + strlen(host);
	if (*host == '[') {		/* [v6]:port */
		p = memchr(host, ']', end - host);
		if (!p)
			goto bad;
		hl = p - host - 1;
		memcpy(u->host, host + 1, hl < sizeof(u->host) ? hl : 0);
		p++;
	} else {
		p = memchr(host, ':', end - host);
		if (!p)
			p = end;
		hl = p - host;
		if (hl >= sizeof(u->host))
			goto bad;
		memcpy(u->host, host, hl);
	}
	if (!u->host[0] || strchr(u->host, '@'))
		goto bad;
	for (const char *c = u->host; *c; c++)
		if (!(*c == '.' || *c == '-' || *c == ':' || *c == '_' ||
		      (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z')))
			goto bad;
	if (p < end && *p == ':') {
		char *e;

		port = strtol(p + 1, &e, 10);
		if (e != end || port < 1 || port > 65535)
			goto bad;
	} else if (p != end) {
		goto bad;
	}
	snprintf(u->port, sizeof(u->port), "%ld", port);
	if (strlen(slash ? slash : "/") >= sizeof(u->path))
		goto bad;
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
	for (const char *c = u->path; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			goto bad;
	if (strchr(u->host, ':'))
		snprintf(u->hostport, sizeof(u->hostport), "[%s]%s%s", u->host,
			 port == 443 ? "" : ":", port == 443 ? "" : u->port);
	else
		snprintf(u->hostport, sizeof(u->hostport), "%s%s%s", u->host,
			 port == 443 ? "" : ":", port == 443 ? "" : u->port);
	return 0;
bad:
	snprintf(err, errlen, "uplink-url '%s' is not a URL of the form "
		 "https://HOST[:PORT]/PATH", url);
	return -1;
}

static void tls_error(char *err, size_t errlen, const char *what, int rc)
{
	char buf[160];

	mbedtls_strerror(rc, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s (-0x%04x)", what, buf, -rc);
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Wait until the bucket holds @n bytes, then take them. */
static int take_tokens(struct et_https *h, size_t n)
{
	double cap = (double)h->io->rate, need;
	struct timespec now, d;

	if (!h->io->rate)
		return 0;
	if (cap < SEND_CHUNK)
		cap = SEND_CHUNK;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		h->tokens += elapsed(&h->refilled, &now) * h->io->rate;
		h->refilled = now;
		if (h->tokens > cap)
			h->tokens = cap;
		if (h->tokens >= n) {
			h->tokens -= n;
			return 0;
		}
		if (h->io->stop && *h->io->stop)
			return -1;
		need = (n - h->tokens) / h->io->rate;
		d.tv_sec = (time_t)need;
		d.tv_nsec = (long)((need - d.tv_sec) * 1e9) + 1000;
		if (d.tv_nsec >= 1000000000L) {
			d.tv_sec++;
			d.tv_nsec -= 1000000000L;
		}
		nanosleep(&d, NULL);
	}
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct et_https *h = ctx;
	ssize_t n;

	if (len > SEND_CHUNK)
		len = SEND_CHUNK;
	if (take_tokens(h, len))
		return MBEDTLS_ERR_NET_SEND_FAILED;
	do {
		n = send(h->fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR && !(h->io->stop && *h->io->stop));
	if (n < 0)
		return MBEDTLS_ERR_NET_SEND_FAILED;
	/* what the bucket gave and was not sent goes back */
	if (h->io->rate)
		h->tokens += len - n;
	*h->io->bytes_sent += n;
	return (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct et_https *h = ctx;
	ssize_t n;

	do {
		n = recv(h->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR && !(h->io->stop && *h->io->stop));
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ?
		       MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_NET_RECV_FAILED;
	if (n == 0)
		return MBEDTLS_ERR_NET_CONN_RESET;
	*h->io->bytes_received += n;
	return (int)n;
}

static int load_certs(struct et_https *h, const char *ca, const char *cert,
		      const char *key, char *err, size_t errlen)
{
	int rc;

	if (access(ca, R_OK) || access(cert, R_OK) || access(key, R_OK)) {
		const char *what = access(ca, R_OK) ? "uplink-ca" :
				   access(cert, R_OK) ? "uplink-cert" :
				   "uplink-key";
		const char *path = access(ca, R_OK) ? ca :
				   access(cert, R_OK) ? cert : key;

		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	rc = mbedtls_x509_crt_parse_file(&h->ca, ca);
	if (rc) {
		tls_error(err, errlen, "uplink-ca: not a PEM certificate file",
			  rc);
		return -1;
	}
	rc = mbedtls_x509_crt_parse_file(&h->cert, cert);
	if (rc) {
		tls_error(err, errlen, "uplink-cert: not a PEM certificate "
			  "file", rc);
		return -1;
	}
	rc = mbedtls_pk_parse_keyfile(&h->key, key, NULL,
				      mbedtls_ctr_drbg_random, &h->drbg);
	if (rc) {
		tls_error(err, errlen, "uplink-key: not an unencrypted "
			  "private key (PEM)", rc);
		return -1;
	}
	rc = mbedtls_pk_check_pair(&h->cert.pk, &h->key,
				   mbedtls_ctr_drbg_random, &h->drbg);
	if (rc) {
		snprintf(err, errlen, "uplink-key %s is not the key of "
			 "uplink-cert %s (the certificate must be issued for "
			 "the device key)", key, cert);
		return -1;
	}
	return 0;
}

struct et_https *et_https_new(const struct et_url *url, const char *ca,
			      const char *cert, const char *key,
			      struct et_https_io *io, char *err,
			      size_t errlen)
{
	struct et_https *h = calloc(1, sizeof(*h));
	int rc;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->url = *url;
	h->io = io;
	h->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &h->refilled);
	mbedtls_entropy_init(&h->entropy);
	mbedtls_ctr_drbg_init(&h->drbg);
	mbedtls_x509_crt_init(&h->ca);
	mbedtls_x509_crt_init(&h->cert);
	mbedtls_pk_init(&h->key);
	mbedtls_ssl_config_init(&h->conf);
	mbedtls_ssl_init(&h->ssl);
	mbedtls_ssl_session_init(&h->session);
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "cannot initialise PSA crypto");
		goto out;
	}
	rc = mbedtls_ctr_drbg_seed(&h->drbg, mbedtls_entropy_func,
				   &h->entropy, (const uint8_t *)"et-uplink", 9);
	if (rc) {
		tls_error(err, errlen, "cannot seed the random generator", rc);
		goto out;
	}
	if (load_certs(h, ca, cert, key, err, errlen))
		goto out;
	rc = mbedtls_ssl_config_defaults(&h->conf, MBEDTLS_SSL_IS_CLIENT,
					 MBEDTLS_SSL_TRANSPORT_STREAM,
					 MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc) {
		tls_error(err, errlen, "TLS configuration", rc);
		goto out;
	}
	mbedtls_ssl_conf_authmode(&h->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&h->conf, &h->ca, NULL);
	mbedtls_ssl_conf_rng(&h->conf, mbedtls_ctr_drbg_random, &h->drbg);
	mbedtls_ssl_conf_session_tickets(&h->conf,
					 MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && defined(MBEDTLS_SSL_SESSION_TICKETS)
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(&h->conf,
		MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
	rc = mbedtls_ssl_conf_own_cert(&h->conf, &h->cert, &h->key);
	if (!rc)
		rc = mbedtls_ssl_setup(&h->ssl, &h->conf);
	if (rc) {
		tls_error(err, errlen, "TLS set-up", rc);
		goto out;
	}
	return h;
out:
	et_https_free(h);
	return NULL;
}

static int resolve(struct et_https *h, int type, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type };
	struct addrinfo *res;
	int rc;

	rc = getaddrinfo(h->url.host, h->url.port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "uplink-url: cannot resolve '%s': %s",
			 h->url.host, gai_strerror(rc));
		return -1;
	}
	memcpy(&h->addr, res->ai_addr, res->ai_addrlen);
	h->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int et_https_route(struct et_https *h, char *err, size_t errlen)
{
	int fd, rc;

	if (resolve(h, SOCK_DGRAM, err, errlen))
		return 0;
	fd = socket(h->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return 0;
	}
	rc = connect(fd, (struct sockaddr *)&h->addr, h->addrlen);
	if (rc)
		snprintf(err, errlen, "no route to %s (%s)", h->url.host,
			 strerror(errno));
	close(fd);
	return rc == 0;
}

/* TCP connect with a timeout, then blocking with I/O timeouts. */
static int tcp_connect(struct et_https *h, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, rc, soerr = 0, one = 1;

	if (resolve(h, SOCK_STREAM, err, errlen))
		return -1;
	fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&h->addr, h->addrlen);
	if (rc && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, CONNECT_TIMEOUT_S * 1000);
		if (rc == 0) {
			errno = ETIMEDOUT;
			rc = -1;
		} else if (rc > 0) {
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			errno = soerr;
			rc = soerr ? -1 : 0;
		}
	}
	if (rc) {
		snprintf(err, errlen, "cannot connect to %s:%s: %s",
			 h->url.host, h->url.port, strerror(errno));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	h->fd = fd;
	return 0;
}

/* Keep a ticket the server sent, for the next connection. */
static void save_session(struct et_https *h)
{
	mbedtls_ssl_session_free(&h->session);
	mbedtls_ssl_session_init(&h->session);
	h->have_session = !mbedtls_ssl_get_session(&h->ssl, &h->session);
}

static int open_tls(struct et_https *h, int *handshake, char *err,
		    size_t errlen)
{
	uint32_t flags;
	int rc;

	if (tcp_connect(h, err, errlen))
		return -1;
	mbedtls_ssl_session_reset(&h->ssl);
	rc = mbedtls_ssl_set_hostname(&h->ssl, h->url.host);
	if (!rc && h->have_session)
		rc = mbedtls_ssl_set_session(&h->ssl, &h->session);
	if (rc) {
		/* a session it will not take: a full handshake then */
		h->have_session = 0;
		rc = 0;
	}
	mbedtls_ssl_set_bio(&h->ssl, h, bio_send, bio_recv, NULL);
	*handshake = h->have_session ? 2 : 1;
	while ((rc = mbedtls_ssl_handshake(&h->ssl))) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		flags = mbedtls_ssl_get_verify_result(&h->ssl);
		if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags) {
			char vb[256];

			mbedtls_x509_crt_verify_info(vb, sizeof(vb), "", flags);
			vb[strcspn(vb, "\n")] = '\0';
			snprintf(err, errlen, "the collector %s is not trusted: "
				 "%s (uplink-ca, uplink-url's host name)",
				 h->url.host, vb);
		} else {
			tls_error(err, errlen, "TLS handshake", rc);
		}
		et_https_close(h);
		return -1;
	}
	/* TLS 1.2 hands the session over now, 1.3 later (a ticket) */
	if (mbedtls_ssl_get_version_number(&h->ssl) ==
	    MBEDTLS_SSL_VERSION_TLS1_2)
		save_session(h);
	return 0;
}

static int write_all(struct et_https *h, const uint8_t *p, size_t len,
		     char *err, size_t errlen)
{
	while (len) {
		int n = mbedtls_ssl_write(&h->ssl, p, len);

		if (n == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    n == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			save_session(h);
			continue;
		}
		if (n < 0) {
			tls_error(err, errlen, "sending", n);
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Read at most @len bytes; 0 at a clean close. */
static int read_some(struct et_https *h, uint8_t *buf, size_t len, char *err,
		     size_t errlen)
{
	for (;;) {
		int n = mbedtls_ssl_read(&h->ssl, buf, len);

		if (n == MBEDTLS_ERR_SSL_WANT_READ ||
		    n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			save_session(h);
			continue;
		}
		if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		if (n < 0) {
			tls_error(err, errlen, "reading the answer", n);
			return -1;
		}
		return n;
	}
}

/* Case-insensitive header lookup in @hdr (NUL-terminated); value or NULL. */
static const char *header(const char *hdr, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(hdr, "\r\n"); p; p = strstr(p, "\r\n")) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

/* Read one response: status, first body line into @reply. */
static int read_response(struct et_https *h, char *reply, size_t replylen,
			 int *keep, char *err, size_t errlen)
{
	char buf[HDR_MAX + 1];
	size_t have = 0, body_have, clen = 0;
	char *end;
	const char *v;
	int status, n;

	for (;;) {
		if (have == HDR_MAX) {
			snprintf(err, errlen, "the collector's answer has "
				 "headers over %d bytes", HDR_MAX);
			return -1;
		}
		n = read_some(h, (uint8_t *)buf + have, HDR_MAX - have, err,
			      errlen);
		if (n <= 0) {
			if (!n)
				snprintf(err, errlen, "the collector closed the "
					 "connection without an answer");
			return -1;
		}
		have += n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
	}
	*end = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(err, errlen, "the collector's answer is not HTTP: "
			 "'%.40s'", buf);
		return -1;
	}
	*keep = strncmp(buf, "HTTP/1.0", 8) != 0;
	v = header(buf, "Connection");
	if (v && !strncasecmp(v, "close", 5))
		*keep = 0;
	v = header(buf, "Content-Length");
	if (v)
		clen = strtoul(v, NULL, 10);
	else
		*keep = 0;
	body_have = have - (end + 4 - buf);
	memmove(buf, end + 4, body_have);
	while (body_have < clen && body_have < HDR_MAX) {
		n = read_some(h, (uint8_t *)buf + body_have,
			      (clen < HDR_MAX ? clen : HDR_MAX) - body_have,
			      err, errlen);
		if (n <= 0) {
			*keep = 0;
			break;
		}
		body_have += n;
	}
	if (clen > HDR_MAX)
		*keep = 0;
	buf[body_have < clen ? body_have : clen] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	snprintf(reply, replylen, "%s", buf);
	return status;
}

int et_https_post(struct et_https *h, const uint8_t *body, size_t len,
		  const char *hdrs, char *reply, size_t replylen,
		  int *handshake, char *err, size_t errlen)
{
	char req[1024];
	int n, status, keep = 1;

	*handshake = 0;
	reply[0] = '\0';
	if (h->fd < 0 && open_tls(h, handshake, err, errlen))
		return -1;
	n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "Content-Type: application/vnd.edgetrace.sealed-batch\r\n"
		     "Content-Length: %zu\r\n%s\r\n", h->url.path,
		     h->url.hostport, len, hdrs);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(err, errlen, "request headers too long");
		return -1;
	}
	if (write_all(h, (const uint8_t *)req, n, err, errlen) ||
	    write_all(h, body, len, err, errlen))
		goto out_close;
	status = read_response(h, reply, replylen, &keep, err, errlen);
	if (status < 0)
		goto out_close;
	if (!keep)
		et_https_close(h);
	return status;
out_close:
	et_https_close(h);
	return -1;
}

void et_https_close(struct et_https *h)
{
	if (h->fd < 0)
		return;
	/* close_notify, without waiting: the link may be gone */
	mbedtls_ssl_close_notify(&h->ssl);
	close(h->fd);
	h->fd = -1;
}

void et_https_free(struct et_https *h)
{
	if (!h)
		return;
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	mbedtls_ssl_session_free(&h->session);
	mbedtls_ssl_free(&h->ssl);
	mbedtls_ssl_config_free(&h->conf);
	mbedtls_pk_free(&h->key);
	mbedtls_x509_crt_free(&h->cert);
	mbedtls_x509_crt_free(&h->ca);
	mbedtls_ctr_drbg_free(&h->drbg);
	mbedtls_entropy_free(&h->entropy);
	free(h);
}
