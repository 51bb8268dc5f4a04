// SPDX-License-Identifier: GPL-2.0
/*
 * test_filter.c - the filter language (core/filter.c): every field, every
 * operator, absent fields, precedence, value syntax (quotes, escapes, bare
 * paths, hex and negative numbers, RFC 3339 times) and every parse error
 * with the position it points at. Table-driven: a FAIL line names the
 * expression, the record and what was expected.
 */
#include "check.h"
#include "filter.h"

/* The records the tables refer to, by index. */
enum {
	R_EXEC,		/* ls -l, with every field the filter reads */
	R_SHELL,	/* "my shell", a quoted argument, a cwd with a space */
	R_TRUE,		/* /usr/bin/true, few fields */
	R_BARE,		/* an exec record with no optional field at all */
	R_EXIT,
	R_GAP,		/* no pid, no tid */
	R_ALIEN,	/* a type this reader has no name for */
	R_OPEN,		/* open of /etc/passwd */
	R_CONNECT,	/* tcp 10.0.0.5:40000 -> 192.168.1.1:443 */
	R_BIND6,	/* bind of udp [::1]:53 */
	R_UNIX,		/* connect of a unix socket */
	R_NR
};

static const char *const rec_names[R_NR] = {
	"exec(ls -l)", "exec(my shell)", "exec(true)", "exec(bare)", "exit",
	"gap", "type-200", "open(/etc/passwd)", "connect(tcp)", "bind(udp6)",
	"connect(unix)",
};

static struct et_record recs[R_NR];

/* 2026-11-21T20:00:00.5Z */
#define TS_EXEC		1795291200500000000ull
#define CID "4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a"
#define POD "8d3c1f0a-1111-2222-3333-444455556666"

static struct et_str str(const char *s, size_t len)
{
	return (struct et_str){ s, (uint32_t)len };
}

#define S(lit)	str(lit, sizeof(lit) - 1)

static void make_records(void)
{
	struct et_record *r;

	r = &recs[R_EXEC];
	r->type = ET_REC_EXEC;
	r->seq = 77;
	r->ts = TS_EXEC;
	r->pid = 4242;
	r->tid = 4243;
	r->ppid = 1;
	r->uid = 1000;
	r->gid = 100;
	r->euid = 0;
	r->sid = 4000;
	r->comm = S("ls");
	r->exe = S("/usr/bin/ls");
	r->args = S("ls\0-l\0");
	r->cwd = S("/home/op");
	r->tty = S("pts/3");
	r->container = S(CID);
	r->runtime = S("containerd");
	r->pod = S(POD);
	/* the process fields (file and socket fields start at ET_F_PATH) */
	for (int f = 1; f < ET_F_PATH; f++)
		et_record_set(r, f);

	r = &recs[R_SHELL];
	*r = recs[R_EXEC];
	r->seq = 78;
	r->pid = 5000;
	r->tid = 5000;
	r->uid = 0;
	r->comm = S("my shell");
	r->exe = S("/usr/bin/x-y.z");
	r->args = S("sh\0-c\0echo a \"b\"\0");
	r->cwd = S("/tmp/a b");

	r = &recs[R_TRUE];
	r->type = ET_REC_EXEC;
	r->seq = 79;
	r->ts = TS_EXEC + 1;
	r->pid = 6000;
	r->tid = 6000;
	r->comm = S("true");
	r->exe = S("/usr/bin/true");
	et_record_set(r, ET_F_COMM);
	et_record_set(r, ET_F_EXE);

	r = &recs[R_BARE];
	r->type = ET_REC_EXEC;
	r->seq = 80;
	r->pid = 7;
	r->tid = 7;

	r = &recs[R_EXIT];
	r->type = ET_REC_EXIT;
	r->seq = 81;
	r->pid = 4242;
	r->tid = 4242;
	r->status = 256;
	et_record_set(r, ET_F_STATUS);

	r = &recs[R_GAP];
	r->type = ET_REC_GAP;
	r->seq = 90;
	r->ts = TS_EXEC;
	r->lost = 17;
	et_record_set(r, ET_F_LOST);

	r = &recs[R_ALIEN];
	r->type = 200;
	r->seq = 91;
	r->pid = 1;
	r->tid = 1;

	r = &recs[R_OPEN];
	r->type = ET_REC_OPEN;
	r->pid = 300;
	r->comm = S("vi");
	et_record_set(r, ET_F_COMM);
	r->path = S("/etc/passwd");
	et_record_set(r, ET_F_PATH);

	static const uint8_t a4[] = { 10, 0, 0, 5 }, b4[] = { 192, 168, 1, 1 };
	static const uint8_t l6[16] = { [15] = 1 };

	r = &recs[R_CONNECT];
	r->type = ET_REC_CONNECT;
	r->pid = 301;
	r->family = 2;
	r->proto = 6;
	r->socktype = 1;
	r->saddr = str((const char *)a4, 4);
	r->daddr = str((const char *)b4, 4);
	r->sport = 40000;
	r->dport = 443;
	et_record_set(r, ET_F_FAMILY);
	et_record_set(r, ET_F_PROTO);
	et_record_set(r, ET_F_SADDR);
	et_record_set(r, ET_F_DADDR);
	et_record_set(r, ET_F_SPORT);
	et_record_set(r, ET_F_DPORT);

	r = &recs[R_BIND6];
	r->type = ET_REC_BIND;
	r->family = 10;
	r->proto = 17;
	r->socktype = 2;
	r->saddr = str((const char *)l6, 16);
	r->daddr = str((const char *)l6, 16);
	r->sport = 53;
	et_record_set(r, ET_F_SADDR);
	et_record_set(r, ET_F_DADDR);
	et_record_set(r, ET_F_SPORT);

	r = &recs[R_UNIX];
	r->type = ET_REC_CONNECT;
	r->family = 1;
	r->socktype = 1;
	r->path = S("/run/docker.sock");
	et_record_set(r, ET_F_PATH);
}

struct match_case {
	const char *expr;
	int rec;
	int want;
};

/*
 * Parse and match every row; the first wrong row fails the case with the
 * expression, the record and both outcomes (or the parse error).
 */
#define CHECK_MATCHES(table)						\
	do {								\
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof(table[0]); \
		     i_++) {						\
			const struct match_case *c_ = &(table)[i_];	\
			struct et_filter_error e_;			\
			struct et_filter *f_;				\
			int got_;					\
									\
			f_ = et_filter_parse(c_->expr, &e_);		\
			if (!f_)					\
				CHECK_FAIL("'%s': expected it to parse, got " \
					   "error at %zu+%zu: %s",	\
					   c_->expr, e_.pos, e_.len,	\
					   e_.msg);			\
			got_ = et_filter_match(f_, &recs[c_->rec]);	\
			et_filter_free(f_);				\
			if (got_ != c_->want)				\
				CHECK_FAIL("'%s' on %s: expected %s, got %s", \
					   c_->expr, rec_names[c_->rec], \
					   c_->want ? "match" : "no match", \
					   got_ ? "match" : "no match"); \
		}							\
	} while (0)

static void fields(void)
{
	static const struct match_case t[] = {
		{ "evt.type = exec", R_EXEC, 1 },
		{ "evt.type = exit", R_EXEC, 0 },
		{ "evt.type = exit", R_EXIT, 1 },
		{ "evt.type = gap", R_GAP, 1 },
		{ "evt.type exists", R_ALIEN, 0 },
		{ "evt.type != exec", R_ALIEN, 1 },
		{ "evt.seq = 77", R_EXEC, 1 },
		{ "evt.seq = 78", R_EXEC, 0 },
		{ "evt.seq = 90", R_GAP, 1 },
		{ "evt.time = 1795291200500000000", R_EXEC, 1 },
		{ "evt.time = 1795291200500000001", R_EXEC, 0 },
		{ "proc.pid = 4242", R_EXEC, 1 },
		{ "proc.pid = 4243", R_EXEC, 0 },
		{ "proc.tid = 4243", R_EXEC, 1 },
		{ "proc.ppid = 1", R_EXEC, 1 },
		{ "proc.ppid = 2", R_EXEC, 0 },
		{ "proc.name = ls", R_EXEC, 1 },
		{ "proc.name = l", R_EXEC, 0 },
		{ "proc.name = lsx", R_EXEC, 0 },
		{ "proc.exe = /usr/bin/ls", R_EXEC, 1 },
		{ "proc.exe = /usr/bin/l", R_EXEC, 0 },
		{ "proc.cmdline = \"ls -l\"", R_EXEC, 1 },
		{ "proc.cmdline = ls", R_EXEC, 0 },
		{ "proc.cmdline = \"ls -l \"", R_EXEC, 0 },
		{ "proc.cwd = /home/op", R_EXEC, 1 },
		{ "proc.tty = pts/3", R_EXEC, 1 },
		{ "proc.tty = pts/4", R_EXEC, 0 },
		{ "proc.sid = 4000", R_EXEC, 1 },
		{ "user.uid = 1000", R_EXEC, 1 },
		{ "user.uid = 0", R_EXEC, 0 },
		{ "user.gid = 100", R_EXEC, 1 },
		{ "user.euid = 0", R_EXEC, 1 },
		{ "container.id = " CID, R_EXEC, 1 },
		{ "container.id startswith 4f2a9c0e1b7d", R_EXEC, 1 },
		{ "container.runtime = containerd", R_EXEC, 1 },
		{ "container.runtime = docker", R_EXEC, 0 },
		{ "container.pod = " POD, R_EXEC, 1 },
		/* a gap has no process */
		{ "proc.pid exists", R_GAP, 0 },
		{ "proc.tid exists", R_GAP, 0 },
		{ "proc.pid = 0", R_GAP, 0 },
		{ "proc.pid != 0", R_GAP, 1 },
		{ "proc.name exists", R_GAP, 0 },
		{ "user.uid exists", R_GAP, 0 },
		{ "evt.seq exists", R_GAP, 1 },
		{ "evt.time exists", R_GAP, 1 },
		{ "evt.type exists", R_GAP, 1 },
		/* an exit has a process but no exec fields */
		{ "proc.pid = 4242", R_EXIT, 1 },
		{ "proc.ppid exists", R_EXIT, 0 },
		{ "proc.cmdline exists", R_EXIT, 0 },
		/* an exec with nothing optional: only header fields exist */
		{ "proc.pid exists", R_BARE, 1 },
		{ "proc.tid = 7", R_BARE, 1 },
		{ "proc.ppid exists", R_BARE, 0 },
		{ "proc.name exists", R_BARE, 0 },
		{ "proc.exe exists", R_BARE, 0 },
		{ "proc.cmdline exists", R_BARE, 0 },
		{ "proc.cwd exists", R_BARE, 0 },
		{ "proc.tty exists", R_BARE, 0 },
		{ "proc.sid exists", R_BARE, 0 },
		{ "user.uid exists", R_BARE, 0 },
		{ "user.gid exists", R_BARE, 0 },
		{ "user.euid exists", R_BARE, 0 },
		{ "container.id exists", R_BARE, 0 },
		{ "container.runtime exists", R_BARE, 0 },
		{ "container.pod exists", R_BARE, 0 },
		/* the file and network fields are in no record yet */
		{ "fd.name exists", R_EXEC, 0 },
		{ "fd.port exists", R_EXEC, 0 },
		{ "fd.sip exists", R_EXEC, 0 },
		{ "fd.dip exists", R_EXEC, 0 },
		{ "fd.sport exists", R_EXEC, 0 },
		{ "fd.dport exists", R_EXEC, 0 },
		{ "file.path exists", R_EXEC, 0 },
		{ "net.proto exists", R_EXEC, 0 },
		/* every field the exec record carries exists */
		{ "evt.type exists and evt.time exists and evt.seq exists and "
		  "proc.pid exists and proc.tid exists and proc.ppid exists and "
		  "proc.name exists and proc.exe exists and proc.cmdline exists "
		  "and proc.cwd exists and proc.tty exists and proc.sid exists "
		  "and user.uid exists and user.gid exists and user.euid exists "
		  "and container.id exists and container.runtime exists and "
		  "container.pod exists", R_EXEC, 1 },
	};

	CHECK_MATCHES(t);
}

static void operators(void)
{
	static const struct match_case t[] = {
		/* numeric, at the boundary */
		{ "proc.pid = 4242", R_EXEC, 1 },
		{ "proc.pid != 4242", R_EXEC, 0 },
		{ "proc.pid != 1", R_EXEC, 1 },
		{ "proc.pid < 4242", R_EXEC, 0 },
		{ "proc.pid < 4243", R_EXEC, 1 },
		{ "proc.pid <= 4242", R_EXEC, 1 },
		{ "proc.pid <= 4241", R_EXEC, 0 },
		{ "proc.pid > 4241", R_EXEC, 1 },
		{ "proc.pid > 4242", R_EXEC, 0 },
		{ "proc.pid >= 4242", R_EXEC, 1 },
		{ "proc.pid >= 4243", R_EXEC, 0 },
		{ "proc.pid=4242", R_EXEC, 1 },
		{ "proc.pid>=4242", R_EXEC, 1 },
		{ "proc.pid!=4242", R_EXEC, 0 },
		/* text */
		{ "proc.name = ls", R_EXEC, 1 },
		{ "proc.name != ls", R_EXEC, 0 },
		{ "proc.name != bash", R_EXEC, 1 },
		{ "proc.exe contains /bin/", R_EXEC, 1 },
		{ "proc.exe contains bin/ls", R_EXEC, 1 },
		{ "proc.exe contains /sbin/", R_EXEC, 0 },
		{ "proc.exe contains \"\"", R_EXEC, 1 },
		{ "proc.cmdline contains \" -l\"", R_EXEC, 1 },
		{ "proc.exe startswith /usr/", R_EXEC, 1 },
		{ "proc.exe startswith /usr/bin/ls", R_EXEC, 1 },
		{ "proc.exe startswith /usr/bin/lsx", R_EXEC, 0 },
		{ "proc.exe startswith /bin", R_EXEC, 0 },
		{ "proc.exe glob \"/usr/*/t*\"", R_TRUE, 1 },
		{ "proc.exe glob \"/usr/*/t*\"", R_EXEC, 0 },
		{ "proc.exe glob /usr/bin/l?", R_EXEC, 1 },
		{ "proc.exe glob /usr/bin/l", R_EXEC, 0 },
		{ "proc.name glob '[a-m]*'", R_EXEC, 1 },
		{ "proc.name glob '[n-z]*'", R_EXEC, 0 },
		{ "proc.exe glob '*'", R_EXEC, 1 },
		{ "proc.cmdline glob \"ls *\"", R_EXEC, 1 },
		/* in: numbers and strings, bare and quoted */
		{ "user.uid in (0, 1000)", R_EXEC, 1 },
		{ "user.uid in (1, 2, 3)", R_EXEC, 0 },
		{ "user.uid in (1000)", R_EXEC, 1 },
		{ "user.uid in(0x3e8,7)", R_EXEC, 1 },
		{ "proc.name in (bash, 'my shell')", R_SHELL, 1 },
		{ "proc.name in (bash, 'my shell')", R_EXEC, 0 },
		{ "proc.name in (bash, \"my shell\", ls)", R_EXEC, 1 },
		{ "evt.type in (exit, exec)", R_EXEC, 1 },
		{ "evt.type in (exit, gap)", R_EXEC, 0 },
		{ "evt.time in (1, 2026-11-21T20:00:00.5Z)", R_EXEC, 1 },
		/* exists */
		{ "proc.name exists", R_EXEC, 1 },
		{ "not proc.name exists", R_EXEC, 0 },
		/* absent fields: every comparison false, its negation true */
		{ "fd.port = 80", R_EXEC, 0 },
		{ "fd.port != 80", R_EXEC, 1 },
		{ "not fd.port exists", R_EXEC, 1 },
		{ "not fd.port = 80", R_EXEC, 1 },
		{ "fd.port < 80", R_EXEC, 0 },
		{ "fd.port >= 0", R_EXEC, 0 },
		{ "fd.port in (80, 443)", R_EXEC, 0 },
		{ "fd.name contains x", R_EXEC, 0 },
		{ "fd.name != x", R_EXEC, 1 },
		{ "file.path glob '*'", R_EXEC, 0 },
		{ "net.proto startswith t", R_EXEC, 0 },
		{ "proc.name = ls", R_BARE, 0 },
		{ "proc.name != ls", R_BARE, 1 },
		{ "proc.name contains \"\"", R_BARE, 0 },
		{ "proc.cmdline glob '*'", R_BARE, 0 },
		{ "user.uid < 1000000", R_BARE, 0 },
		{ "user.uid != 0", R_BARE, 1 },
		{ "not user.uid = 0", R_BARE, 1 },
	};

	CHECK_MATCHES(t);
}

/* T is true and F false on R_EXEC. */
#define T "proc.pid = 4242"
#define F "proc.pid = 1"

static void precedence(void)
{
	static const struct match_case t[] = {
		/* "and" binds tighter than "or": a or (b and c) */
		{ T " or " F " and " F, R_EXEC, 1 },
		{ "(" T " or " F ") and " F, R_EXEC, 0 },
		{ T " or (" F " and " F ")", R_EXEC, 1 },
		{ F " and " F " or " T, R_EXEC, 1 },
		{ F " and (" F " or " T ")", R_EXEC, 0 },
		/* "not" binds tighter than "and": (not a) and b */
		{ "not " F " and " F, R_EXEC, 0 },
		{ "not (" F " and " F ")", R_EXEC, 1 },
		{ "not " T " or " T, R_EXEC, 1 },
		{ "not (" T " or " T ")", R_EXEC, 0 },
		{ "not not " T, R_EXEC, 1 },
		{ "not not not " T, R_EXEC, 0 },
		/* nesting */
		{ "((" T "))", R_EXEC, 1 },
		{ "(((" F ") or ((" T " and (" T ")))))", R_EXEC, 1 },
		{ T " and (" F " or (" T " and not " F "))", R_EXEC, 1 },
		{ T " and (" F " or (" T " and not " T "))", R_EXEC, 0 },
		{ "(" T ")and(" T ")", R_EXEC, 1 },
		{ "not(" F ")", R_EXEC, 1 },
		/* chains */
		{ T " and " T " and " T " and " T, R_EXEC, 1 },
		{ T " and " T " and " F " and " T, R_EXEC, 0 },
		{ F " or " F " or " F " or " T, R_EXEC, 1 },
		{ F " or " F " or " F, R_EXEC, 0 },
		{ F " or " T " and " T " or " F, R_EXEC, 1 },
		{ F " or " T " and " F " or " F, R_EXEC, 0 },
		/* keywords are lower case */
		{ "proc.name in (and, or, not)", R_EXEC, 0 },
	};

	CHECK_MATCHES(t);
}

#undef T
#undef F

static void values(void)
{
	static const struct match_case t[] = {
		/* quoted strings, spaces, escapes */
		{ "proc.cwd = \"/tmp/a b\"", R_SHELL, 1 },
		{ "proc.cwd = '/tmp/a b'", R_SHELL, 1 },
		{ "proc.cwd = \"/tmp/a\\ b\"", R_SHELL, 1 },
		{ "proc.name = 'my shell'", R_SHELL, 1 },
		{ "proc.cmdline = \"sh -c echo a \\\"b\\\"\"", R_SHELL, 1 },
		{ "proc.cmdline contains \"a \\\"b\\\"\"", R_SHELL, 1 },
		{ "proc.cmdline contains 'a \"b\"'", R_SHELL, 1 },
		{ "proc.cmdline = 'sh -c echo a \\'b\\''", R_SHELL, 0 },
		{ "proc.cmdline contains \"a \\\"c\\\"\"", R_SHELL, 0 },
		{ "proc.name = \"\"", R_EXEC, 0 },
		{ "proc.name != ''", R_EXEC, 1 },
		/* keywords and operators inside quotes are text */
		{ "proc.name = 'a and b or (c)'", R_EXEC, 0 },
		{ "proc.name != \"x = 1, y != 2\"", R_EXEC, 1 },
		/* bare paths with slashes, dots and dashes */
		{ "proc.exe=/usr/bin/x-y.z", R_SHELL, 1 },
		{ "proc.exe = /usr/bin/x-y.z", R_SHELL, 1 },
		{ "proc.exe = /usr/bin/x-y", R_SHELL, 0 },
		{ "proc.cwd=/tmp/a", R_SHELL, 0 },
		{ "proc.tty = pts/3 and proc.exe = /usr/bin/ls", R_EXEC, 1 },
		/* numbers: decimal, hex, signs; a leading zero is not octal */
		{ "user.uid = 0x3e8", R_EXEC, 1 },
		{ "user.uid = 0X3E8", R_EXEC, 1 },
		{ "user.uid = 01000", R_EXEC, 1 },
		{ "user.uid = +1000", R_EXEC, 1 },
		{ "user.uid = '1000'", R_EXEC, 1 },
		{ "proc.pid = 08", R_EXEC, 0 },
		{ "proc.tid > -1", R_EXEC, 1 },
		{ "proc.pid != -4242", R_EXEC, 1 },
		{ "user.uid = -0x1", R_EXEC, 0 },
		{ "evt.seq = 0x4d", R_EXEC, 1 },
		{ "evt.seq < 9223372036854775807", R_EXEC, 1 },
		{ "evt.seq > -9223372036854775808", R_EXEC, 1 },
		/* times: RFC 3339 with Z, a fraction, offsets; raw ns */
		{ "evt.time >= 2026-11-21T20:00:00Z", R_EXEC, 1 },
		{ "evt.time > 2026-11-21T20:00:00Z", R_EXEC, 1 },
		{ "evt.time < 2026-11-21T20:00:00Z", R_EXEC, 0 },
		{ "evt.time = 2026-11-21T20:00:00Z", R_EXEC, 0 },
		{ "evt.time = 2026-11-21T20:00:00.5Z", R_EXEC, 1 },
		{ "evt.time = 2026-11-21T20:00:00.500000000Z", R_EXEC, 1 },
		{ "evt.time = 2026-11-21T20:00:00.500000001Z", R_EXEC, 0 },
		{ "evt.time > 2026-11-21T20:00:00.4999999999Z", R_EXEC, 1 },
		{ "evt.time = 2026-11-21T22:00:00.5+02:00", R_EXEC, 1 },
		{ "evt.time = 2026-11-21T14:30:00.5-05:30", R_EXEC, 1 },
		{ "evt.time = 2026-11-21T20:00:00.5+00:00", R_EXEC, 1 },
		{ "evt.time < 2026-11-21T20:00:01Z", R_EXEC, 1 },
		{ "evt.time >= \"2026-11-21T20:00:00Z\"", R_EXEC, 1 },
		{ "evt.time = 1795291200500000000", R_EXEC, 1 },
		{ "evt.time > 1795291200499999999", R_EXEC, 1 },
		{ "evt.time > 1970-01-01T00:00:00Z", R_EXEC, 1 },
		{ "evt.time > 1969-12-31T23:59:59Z", R_EXEC, 1 },
		{ "evt.time < 2262-04-11T00:00:00Z", R_EXEC, 1 },
		{ "evt.time > 1677-09-22T00:00:00Z", R_EXEC, 1 },
		{ "evt.time >= 2026-11-21T20:00:00Z and "
		  "evt.time < 2026-11-21T20:00:01Z", R_GAP, 1 },
	};

	CHECK_MATCHES(t);
}

struct error_case {
	const char *expr;
	size_t pos, len;
	const char *msg;	/* a part of the message */
};

static int check_error(const struct error_case *c, char *why, size_t n)
{
	struct et_filter_error err;
	struct et_filter *f = et_filter_parse(c->expr, &err);

	if (f) {
		et_filter_free(f);
		snprintf(why, n, "'%s': expected error \"%s\" at %zu+%zu, got "
			 "it parsed", c->expr, c->msg, c->pos, c->len);
		return -1;
	}
	if (err.pos != c->pos || err.len != c->len || !strstr(err.msg, c->msg)) {
		snprintf(why, n, "'%s': expected error \"%s\" at %zu+%zu, got "
			 "\"%s\" at %zu+%zu", c->expr, c->msg, c->pos, c->len,
			 err.msg, err.pos, err.len);
		return -1;
	}
	return 0;
}

#define CHECK_ERRORS(table)						\
	do {								\
		char why_[1024];					\
									\
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof(table[0]); \
		     i_++)						\
			if (check_error(&(table)[i_], why_, sizeof(why_))) \
				CHECK_FAIL("%s", why_);			\
	} while (0)

static void errors(void)
{
	static const struct error_case t[] = {
		{ "proc.nam = 1", 0, 8, "unknown field 'proc.nam'" },
		{ "proc.pid = 1 and pid = 2", 17, 3, "unknown field 'pid'" },
		{ "proc.pid 5", 9, 1, "expected an operator after proc.pid" },
		{ "proc.pid", 8, 1, "expected an operator after proc.pid" },
		{ "proc.pid == 1", 9, 2, "expected an operator" },
		{ "proc.name is ls", 10, 2, "expected an operator" },
		{ "proc.pid =", 10, 1, "expected a value for proc.pid" },
		{ "proc.pid = )", 11, 1, "expected a value for proc.pid" },
		{ "proc.name < 3", 10, 1,
		  "operator '<' does not apply to proc.name, a text field" },
		{ "proc.name >= 3", 10, 2, "operator '>=' does not apply" },
		{ "proc.pid contains 1", 9, 8, "operator 'contains' does not "
		  "apply to proc.pid, a numeric field" },
		{ "user.uid startswith 1", 9, 10, "a numeric field" },
		{ "evt.time glob x", 9, 4, "a numeric field" },
		{ "proc.pid = abc", 11, 3,
		  "'abc' is not a number (proc.pid takes numbers)" },
		{ "proc.pid = 12abc", 11, 5, "'12abc' is not a number" },
		{ "proc.pid = 0x", 11, 2, "is not a number" },
		{ "proc.pid = --1", 11, 3, "is not a number" },
		{ "proc.pid = \" 1\"", 11, 4, "is not a number" },
		{ "proc.pid = ''", 11, 2, "is not a number" },
		{ "user.uid = 99999999999999999999", 11, 20, "is not a number" },
		{ "evt.seq in (1, x)", 15, 1, "'x' is not a number" },
		{ "evt.time > yesterday", 11, 9, "'yesterday' is not a time" },
		{ "evt.time > 2026-11-21", 11, 10, "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00", 11, 19, "is not a time" },
		{ "evt.time > 2026-13-01T00:00:00Z", 11, 20, "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00.Z", 11, 21, "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00+2:00", 11, 24,
		  "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00+02", 11, 22, "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00+0a:00", 11, 25,
		  "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00+24:00", 11, 25,
		  "is not a time" },
		{ "evt.time > 2026-11-21T20:00:00Zjunk", 11, 24,
		  "is not a time" },
		/* out of int64 ns: found by fuzz_filter as signed overflow */
		{ "evt.time >= 0014-11-21T2:00:00Z", 12, 19, "is not a time" },
		{ "evt.time < 9999-12-31T23:59:59Z", 11, 20, "is not a time" },
		{ "evt.time < 2263-01-01T00:00:00Z", 11, 20, "is not a time" },
		{ "proc.name = \"bash", 12, 5, "unterminated string" },
		{ "proc.name = 'a\\'", 12, 4, "unterminated string" },
		{ "proc.name = \"", 12, 1, "unterminated string" },
		{ "proc.pid = 1)", 12, 1, "unmatched ')'" },
		{ "(proc.pid = 1))", 14, 1, "unmatched ')'" },
		{ ")", 0, 1, "expected a field name" },
		{ "(proc.pid = 1", 0, 1, "unclosed '('" },
		{ "((proc.pid = 1)", 0, 1, "unclosed '('" },
		{ "proc.pid = 1 and (proc.pid = 2", 17, 1, "unclosed '('" },
		{ "(proc.pid = 1 proc.pid = 2)", 14, 8, "expected ')'" },
		{ "", 0, 1, "empty expression" },
		{ "  \t ", 0, 1, "empty expression" },
		{ "!", 0, 1, "'!' must be followed by '='" },
		{ "proc.pid ! 1", 9, 1, "'!' must be followed by '='" },
		{ "proc.pid = 1 2", 13, 1, "expected 'and', 'or' or the end" },
		{ "proc.name = my shell", 15, 5, "expected 'and', 'or'" },
		{ "proc.pid = 1 AND proc.pid = 2", 13, 3, "expected 'and'" },
		{ "proc.pid in 1", 12, 1, "'in' takes a list" },
		{ "proc.pid in", 11, 1, "'in' takes a list" },
		{ "proc.pid in ()", 13, 1, "expected a value for proc.pid" },
		{ "proc.pid in (1,)", 15, 1, "expected a value" },
		{ "proc.pid in (1 2)", 15, 1, "expected ',' or ')'" },
		{ "proc.pid in (1, 2", 17, 1, "expected ',' or ')'" },
		{ "not", 3, 1, "expected a field name" },
		{ "proc.pid = 1 and", 16, 1, "expected a field name" },
		{ "proc.pid = 1 or or", 16, 2, "unknown field 'or'" },
		{ "= 1", 0, 1, "expected a field name" },
		{ "'proc.pid' = 1", 0, 10, "expected a field name" },
	};

	CHECK_ERRORS(t);
}

/* "(" x @n, a comparison, ")" x @n; or "not " x @n and a comparison */
static char *nested(int n, int use_not)
{
	char *s = malloc(n * 4 + 32), *p = s;

	for (int i = 0; i < n; i++)
		p += sprintf(p, use_not ? "not " : "(");
	p += sprintf(p, "proc.pid = 4242");
	for (int i = 0; !use_not && i < n; i++)
		*p++ = ')';
	*p = '\0';
	return s;
}

/* Parse @s (and free it), expecting an error; 0 if it was one. */
static int refused(char *s, struct et_filter_error *err)
{
	struct et_filter *f = et_filter_parse(s, err);

	free(s);
	et_filter_free(f);
	return f ? -1 : 0;
}

/* Parse @s (and free it) and match R_EXEC; -1 on a parse error. */
static int parsed_match(char *s, struct et_filter_error *err)
{
	struct et_filter *f = et_filter_parse(s, err);
	int m;

	free(s);
	if (!f)
		return -1;
	m = et_filter_match(f, &recs[R_EXEC]);
	et_filter_free(f);
	return m;
}

static void nesting_limit(void)
{
	struct et_filter_error err;
	char *s;
	int m;

	/* 64 levels are allowed, and match */
	m = parsed_match(nested(64, 0), &err);
	if (m < 0)
		CHECK_FAIL("64 '(': expected it to parse, got %s at %zu",
			   err.msg, err.pos);
	CHECK_INT(1, m);

	/* 65 and 100 are refused at the first '(' too many, without a crash */
	CHECK(refused(nested(65, 0), &err) == 0);
	CHECK_INT(64, err.pos);
	CHECK_INT(1, err.len);
	CHECK(strstr(err.msg, "nested deeper than 64") != NULL);
	CHECK(refused(nested(100, 0), &err) == 0);
	CHECK_INT(64, err.pos);
	CHECK(strstr(err.msg, "nested deeper than 64") != NULL);

	/* 100 unclosed '(' */
	s = nested(100, 0);
	s[100 + 15] = '\0';
	CHECK(refused(s, &err) == 0);
	CHECK(strstr(err.msg, "nested deeper than 64") != NULL);

	/* "not not ..." counts the same */
	m = parsed_match(nested(64, 1), &err);
	if (m < 0)
		CHECK_FAIL("64 'not': expected it to parse, got %s", err.msg);
	CHECK_INT(1, m);
	CHECK(refused(nested(65, 1), &err) == 0);
	CHECK_INT(64 * 4, err.pos);
	CHECK_INT(3, err.len);
}

static void length_limit(void)
{
	struct et_filter_error err;
	struct et_filter *f;
	char *s = malloc(ET_FILTER_MAX_LEN + 2);
	size_t head = strlen("proc.name != \"");

	/* exactly ET_FILTER_MAX_LEN bytes: accepted */
	memset(s, 'x', ET_FILTER_MAX_LEN);
	memcpy(s, "proc.name != \"", head);
	s[ET_FILTER_MAX_LEN - 1] = '"';
	s[ET_FILTER_MAX_LEN] = '\0';
	f = et_filter_parse(s, &err);
	if (!f) {
		free(s);
		CHECK_FAIL("%d bytes: expected it to parse, got %s",
			   ET_FILTER_MAX_LEN, err.msg);
	}
	CHECK_INT(1, et_filter_match(f, &recs[R_EXEC]));
	et_filter_free(f);

	/* one more: refused, pointing at the first byte too many */
	s[ET_FILTER_MAX_LEN - 1] = 'x';
	s[ET_FILTER_MAX_LEN] = '"';
	s[ET_FILTER_MAX_LEN + 1] = '\0';
	f = et_filter_parse(s, &err);
	free(s);
	CHECK(f == NULL);
	CHECK_INT(ET_FILTER_MAX_LEN, err.pos);
	CHECK_INT(1, err.len);
	CHECK(strstr(err.msg, "longer than 4096 bytes") != NULL);
}

/* The most values and nodes a 4096-byte expression can hold. */
static void many_values(void)
{
	struct et_filter_error err;
	struct et_filter *f;
	char *s = malloc(ET_FILTER_MAX_LEN + 1), *p = s;

	/* one-letter values: the densest use of the string arena */
	p += sprintf(p, "proc.name in (a");
	while (p - s < ET_FILTER_MAX_LEN - 8)
		p += sprintf(p, ",a");
	p += sprintf(p, ",ls)");
	f = et_filter_parse(s, &err);
	if (!f) {
		free(s);
		CHECK_FAIL("long 'in' list: expected it to parse, got %s at %zu",
			   err.msg, err.pos);
	}
	CHECK_INT(1, et_filter_match(f, &recs[R_EXEC]));
	CHECK_INT(0, et_filter_match(f, &recs[R_SHELL]));
	et_filter_free(f);

	/* a long "or" chain: deep left recursion when matching */
	p = s;
	p += sprintf(p, "fd.sip=a");
	while (p - s < ET_FILTER_MAX_LEN - 32)
		p += sprintf(p, " or fd.sip=a");
	p += sprintf(p, " or proc.pid=4242");
	f = et_filter_parse(s, &err);
	free(s);
	if (!f)
		CHECK_FAIL("long 'or' chain: expected it to parse, got %s",
			   err.msg);
	CHECK_INT(1, et_filter_match(f, &recs[R_EXEC]));
	CHECK_INT(0, et_filter_match(f, &recs[R_GAP]));
	et_filter_free(f);
}

/* Record strings longer than the filter's buffers. */
static void long_record_strings(void)
{
	static char big[6000];
	struct et_record r = recs[R_EXEC];
	struct et_filter_error err;
	struct et_filter *f;

	memset(big, 'a', sizeof(big));
	memcpy(big, "abc\0def\0", 8);
	r.args = str(big, sizeof(big));
	r.exe = str(big + 8, sizeof(big) - 8);

	f = et_filter_parse("proc.cmdline startswith \"abc def aaa\"", &err);
	CHECK(f != NULL);
	CHECK_INT(1, et_filter_match(f, &r));
	et_filter_free(f);
	f = et_filter_parse("proc.exe contains aaaa", &err);
	CHECK(f != NULL);
	CHECK_INT(1, et_filter_match(f, &r));
	et_filter_free(f);
	/* a glob over a string longer than a path is no match, not a crash */
	f = et_filter_parse("proc.exe glob '*'", &err);
	CHECK(f != NULL);
	CHECK_INT(0, et_filter_match(f, &r));
	et_filter_free(f);
}

/* One parsed filter, matched against every record, twice. */
static void reuse(void)
{
	static const int want[R_NR] = { 1, 1, 0, 0, 0, 0, 0 };
	struct et_filter_error err;
	struct et_filter *f;

	f = et_filter_parse("evt.type = exec and proc.cmdline exists", &err);
	CHECK(f != NULL);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < R_NR; i++)
			if (et_filter_match(f, &recs[i]) != want[i]) {
				et_filter_free(f);
				CHECK_FAIL("'evt.type = exec and proc.cmdline "
					   "exists' on %s: expected %d", rec_names[i],
					   want[i]);
			}
	et_filter_free(f);
}

/* The time parser, which query --since/--until use directly. */
static void parse_time(void)
{
	static const struct { const char *s; int ok; int64_t ns; } t[] = {
		{ "2026-11-21T20:00:00.5Z", 0, (int64_t)TS_EXEC },
		{ "2026-11-21T22:00:00.5+02:00", 0, (int64_t)TS_EXEC },
		{ "1795291200500000000", 0, (int64_t)TS_EXEC },
		{ "1969-12-31T23:59:59Z", 0, -1000000000 },
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "-5", 0, -5 },
		{ "2262-04-11T23:47:16.854775807Z", 0, INT64_MAX },
		{ "2262-04-11T23:47:16.854775808Z", -1, 0 },
		{ "1677-09-21T00:12:44Z", 0, -9223372036000000000 },
		{ "1677-09-21T00:12:42Z", -1, 0 },
		{ "0014-11-21T2:00:00Z", -1, 0 },
		{ "9999-12-31T23:59:59Z", -1, 0 },
		{ "2026-11-21T20:00:00", -1, 0 },
		{ "2026-11-21T20:00:00+02:0", -1, 0 },
		{ "", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t ns = 0;
		int rc = et_parse_time(t[i].s, &ns);

		if (rc != t[i].ok || (!rc && ns != t[i].ns))
			CHECK_FAIL("et_parse_time(\"%s\"): expected %s %" PRId64
				   ", got %s %" PRId64, t[i].s,
				   t[i].ok ? "error" : "ok", t[i].ns,
				   rc ? "error" : "ok", ns);
	}
}

static const char *error_text(const char *expr)
{
	static char out[1024];
	struct et_filter_error err;
	struct et_filter *f = et_filter_parse(expr, &err);
	FILE *fp;

	if (f) {
		et_filter_free(f);
		return "(it parsed)";
	}
	fp = fmemopen(out, sizeof(out), "w");
	et_filter_print_error(fp, expr, &err);
	fclose(fp);
	return out;
}

static void print_error(void)
{
	CHECK_STR("edgetrace: bad filter: operator 'contains' does not apply "
		  "to proc.pid, a numeric field\n"
		  "  proc.pid contains 1\n"
		  "           ^~~~~~~~\n",
		  error_text("proc.pid contains 1"));
	CHECK_STR("edgetrace: bad filter: unknown field 'proc.nam' (fields: "
		  "see edgetrace query --help)\n"
		  "  proc.nam = 1\n"
		  "  ^~~~~~~~\n",
		  error_text("proc.nam = 1"));
	/* at the end: the caret goes one past the expression */
	CHECK_STR("edgetrace: bad filter: expected a value for proc.pid\n"
		  "  proc.pid =\n"
		  "            ^\n",
		  error_text("proc.pid ="));
	/* tabs are shown as spaces so the caret stays under the token */
	CHECK_STR("edgetrace: bad filter: '!' must be followed by '='\n"
		  "  proc.pid ! 1\n"
		  "           ^\n",
		  error_text("proc.pid\t! 1"));
}

static void field_list(void)
{
	const char *s = et_filter_fields();

	CHECK(strncmp(s, "evt.type evt.time evt.seq proc.pid ", 35) == 0);
	CHECK(strstr(s, " proc.cmdline ") != NULL);
	CHECK(strstr(s, " container.pod ") != NULL);
	CHECK(s[strlen(s) - 1] != ' ');
}

/* The file and socket fields. */
static void io_fields(void)
{
	static const struct match_case t[] = {
		{ "file.path = /etc/passwd", R_OPEN, 1 },
		{ "file.path startswith /etc/", R_OPEN, 1 },
		{ "fd.name = /etc/passwd", R_OPEN, 1 },
		{ "evt.type = open", R_OPEN, 1 },
		{ "net.proto exists", R_OPEN, 0 },
		{ "fd.sip = 10.0.0.5", R_CONNECT, 1 },
		{ "fd.dip = 192.168.1.1", R_CONNECT, 1 },
		{ "fd.sport = 40000", R_CONNECT, 1 },
		{ "fd.dport = 443", R_CONNECT, 1 },
		{ "fd.port = 443", R_CONNECT, 1 },
		{ "net.proto = tcp", R_CONNECT, 1 },
		{ "fd.name = \"10.0.0.5:40000->192.168.1.1:443\"", R_CONNECT, 1 },
		{ "file.path exists", R_CONNECT, 0 },
		{ "fd.sip = ::1", R_BIND6, 1 },
		{ "fd.port = 53", R_BIND6, 1 },
		{ "net.proto = udp", R_BIND6, 1 },
		{ "net.proto = unix", R_UNIX, 1 },
		{ "fd.name = /run/docker.sock", R_UNIX, 1 },
		{ "file.path exists", R_UNIX, 0 },
		{ "fd.sip exists", R_UNIX, 0 },
	};

	CHECK_MATCHES(t);
}

static struct et_kfilter kplan(const char *expr)
{
	struct et_filter_error e;
	struct et_filter *f = et_filter_parse(expr, &e);
	struct et_kfilter k;

	et_filter_kernel(f, &k);
	et_filter_free(f);
	return k;
}

/* What goes to the kernel: only sound cuts. */
static void kernel_plan(void)
{
	struct et_kfilter k;

	k = kplan("proc.name = x or evt.type = exec");
	CHECK_INT(~0u, k.types);
	CHECK(!k.comms_set && !k.pids_set);
	k = kplan("evt.type in (exec, exit) and proc.pid in (1, 2, 3)");
	CHECK_INT(1u << ET_REC_EXEC | 1u << ET_REC_EXIT, k.types);
	CHECK(k.pids_set);
	CHECK_INT(3, k.npids);
	k = kplan("not evt.type = fork and evt.type != exit");
	CHECK_INT(~0u & ~(1u << ET_REC_FORK) & ~(1u << ET_REC_EXIT), k.types);
	k = kplan("proc.name = bash and user.uid = 0");
	CHECK(k.comms_set && k.uids_set);
	CHECK_STR("bash", k.comms[0]);
	CHECK_INT(0, k.uids[0]);
	/* a name longer than a comm cannot be checked by the kernel */
	k = kplan("proc.name = a-name-longer-than-15");
	CHECK(!k.comms_set);
	/* other operators stay in user space */
	k = kplan("proc.pid > 5 and proc.name contains x and user.uid != 0");
	CHECK(!k.pids_set && !k.comms_set && !k.uids_set);
	/* a path prefix also means: file events only */
	k = kplan("file.path startswith /etc");
	CHECK(k.prefixes_set);
	CHECK_STR("/etc", k.prefixes[0]);
	CHECK(!(k.types & (1u << ET_REC_EXEC)));
	CHECK(k.types & (1u << ET_REC_OPEN));
	/* not under "not" or "or" */
	k = kplan("not file.path startswith /etc");
	CHECK(!k.prefixes_set);
	k = kplan("not (evt.type = exec and proc.pid = 1)");
	CHECK_INT(~0u, k.types);
	CHECK(!k.pids_set);
	k = kplan("");
	CHECK_INT(~0u, k.types);
}

CHECK_MAIN_BEGIN("test_filter")
	make_records();
	RUN(fields);
	RUN(operators);
	RUN(precedence);
	RUN(values);
	RUN(errors);
	RUN(nesting_limit);
	RUN(length_limit);
	RUN(many_values);
	RUN(long_record_strings);
	RUN(reuse);
	RUN(parse_time);
	RUN(print_error);
	RUN(field_list);
	RUN(io_fields);
	RUN(kernel_plan);
CHECK_MAIN_END
