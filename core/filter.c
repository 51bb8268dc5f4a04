// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c - parse and evaluate filter expressions (filter.h).
 *
 * A small recursive-descent parser over a token list builds an array of
 * nodes (and, or, not, comparison); evaluation walks it. Types are checked
 * while parsing, so a filter that parses cannot fail at match time, and
 * every error carries the offset and length of the token it is about.
 * Values are decoded once (numbers to integers, times to ns, strings
 * unquoted) so matching does no parsing.
 *
 * Fields the records do not carry yet (fd.*, file.path, net.proto, which
 * the file and network probes will fill) parse and compare as absent.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "output_io.h"

#define MAX_DEPTH	64

enum kind { K_NUM, K_STR, K_TIME };

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CONTAINS, OP_STARTSWITH,
	OP_GLOB, OP_IN, OP_EXISTS,
};

enum node_type { N_AND, N_OR, N_NOT, N_CMP };

struct value {
	int64_t num;
	char *str;		/* NUL-terminated, in the filter's arena */
	size_t len;
};

struct node {
	enum node_type type;
	int a, b;		/* children (AND, OR: a b; NOT: a) */
	int field;		/* CMP */
	enum op op;
	int first, nvals;	/* CMP: values[first .. first + nvals) */
};

struct et_filter {
	struct node *nodes;
	int nnodes, root;
	struct value *vals;
	int nvals;
	char *arena;		/* unquoted strings */
	size_t arena_len;
};

/* Fields. */

struct field {
	const char *name;
	enum kind kind;
	/* 1 and the value (in num, or s and len) if @r has it, else 0 */
	int (*get)(const struct et_record *r, int64_t *num, const char **s,
		   size_t *len);
};

#define GET_NUM(fn, expr, cond)						\
	static int fn(const struct et_record *r, int64_t *num,		\
		      const char **s, size_t *len)			\
	{								\
		(void)s; (void)len;					\
		if (!(cond))						\
			return 0;					\
		*num = (expr);						\
		return 1;						\
	}

#define GET_STR(fn, member, f)						\
	static int fn(const struct et_record *r, int64_t *num,		\
		      const char **s, size_t *len)			\
	{								\
		(void)num;						\
		if (!et_record_has(r, f))				\
			return 0;					\
		*s = r->member.p;					\
		*len = r->member.len;					\
		return 1;						\
	}

GET_NUM(get_seq, (int64_t)r->seq, 1)
GET_NUM(get_time, (int64_t)r->ts, 1)
GET_NUM(get_pid, r->pid, r->type != ET_REC_GAP)
GET_NUM(get_tid, r->tid, r->type != ET_REC_GAP)
GET_NUM(get_ppid, r->ppid, et_record_has(r, ET_F_PPID))
GET_NUM(get_sid, r->sid, et_record_has(r, ET_F_SID))
GET_NUM(get_uid, r->uid, et_record_has(r, ET_F_UID))
GET_NUM(get_gid, r->gid, et_record_has(r, ET_F_GID))
GET_NUM(get_euid, r->euid, et_record_has(r, ET_F_EUID))
GET_STR(get_name, comm, ET_F_COMM)
GET_STR(get_exe, exe, ET_F_EXE)
GET_STR(get_cwd, cwd, ET_F_CWD)
GET_STR(get_tty, tty, ET_F_TTY)
GET_STR(get_cid, container, ET_F_CONTAINER)
GET_STR(get_runtime, runtime, ET_F_RUNTIME)
GET_STR(get_pod, pod, ET_F_POD)

static int get_type(const struct et_record *r, int64_t *num, const char **s,
		    size_t *len)
{
	const char *name = et_rec_type_name(r->type);

	(void)num;
	if (!name)
		return 0;
	*s = name;
	*len = strlen(name);
	return 1;
}

/* argv with spaces between the arguments, as the JSON shows it */
static int get_cmdline(const struct et_record *r, int64_t *num,
		       const char **s, size_t *len)
{
	static char buf[4096];
	size_t n;

	(void)num;
	if (!et_record_has(r, ET_F_ARGS))
		return 0;
	n = r->args.len < sizeof(buf) ? r->args.len : sizeof(buf);
	memcpy(buf, r->args.p, n);
	while (n && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	*s = buf;
	*len = n;
	return 1;
}

static int is_net(const struct et_record *r)
{
	return r->type >= ET_REC_CONNECT && r->type <= ET_REC_SOCK_CLOSE;
}

static int ret_str(const char *buf, const char **s, size_t *len)
{
	*s = buf;
	*len = strlen(buf);
	return 1;
}

static int get_file_path(const struct et_record *r, int64_t *num,
			 const char **s, size_t *len)
{
	(void)num;
	if (is_net(r) || !et_record_has(r, ET_F_PATH))
		return 0;
	*s = r->path.p;
	*len = r->path.len;
	return 1;
}

static int get_addr(const struct et_str *a, const char **s, size_t *len)
{
	static char buf[2][64];
	static int which;

	which ^= 1;
	if (et_format_addr(a, buf[which], sizeof(buf[which])))
		return 0;
	return ret_str(buf[which], s, len);
}

static int get_sip(const struct et_record *r, int64_t *num, const char **s,
		   size_t *len)
{
	(void)num;
	return et_record_has(r, ET_F_SADDR) && get_addr(&r->saddr, s, len);
}

static int get_dip(const struct et_record *r, int64_t *num, const char **s,
		   size_t *len)
{
	(void)num;
	return et_record_has(r, ET_F_DADDR) && get_addr(&r->daddr, s, len);
}

GET_NUM(get_sport, r->sport, et_record_has(r, ET_F_SPORT))
GET_NUM(get_dport, r->dport, et_record_has(r, ET_F_DPORT))
/* the server's port: local for accept, listen and bind, remote otherwise */
GET_NUM(get_port, r->type == ET_REC_ACCEPT || r->type == ET_REC_LISTEN ||
	r->type == ET_REC_BIND ? r->sport : r->dport,
	et_record_has(r, ET_F_SPORT))

static int get_proto(const struct et_record *r, int64_t *num, const char **s,
		     size_t *len)
{
	(void)num;
	if (!is_net(r))
		return 0;
	return ret_str(et_proto_name(r), s, len);
}

/* a file's path, a unix socket's path, or "sip:sport->dip:dport" */
static int get_fd_name(const struct et_record *r, int64_t *num,
		       const char **s, size_t *len)
{
	static char buf[160];
	char a[64], b[64];

	(void)num;
	if (et_record_has(r, ET_F_PATH)) {
		*s = r->path.p;
		*len = r->path.len;
		return 1;
	}
	if (!is_net(r) || et_format_addr(&r->saddr, a, sizeof(a)) ||
	    et_format_addr(&r->daddr, b, sizeof(b)))
		return 0;
	snprintf(buf, sizeof(buf), "%s:%" PRIu32 "->%s:%" PRIu32, a, r->sport,
		 b, r->dport);
	return ret_str(buf, s, len);
}

static const struct field fields[] = {
	{ "evt.type", K_STR, get_type },
	{ "evt.time", K_TIME, get_time },
	{ "evt.seq", K_NUM, get_seq },
	{ "proc.pid", K_NUM, get_pid },
	{ "proc.tid", K_NUM, get_tid },
	{ "proc.ppid", K_NUM, get_ppid },
	{ "proc.name", K_STR, get_name },
	{ "proc.exe", K_STR, get_exe },
	{ "proc.cmdline", K_STR, get_cmdline },
	{ "proc.cwd", K_STR, get_cwd },
	{ "proc.tty", K_STR, get_tty },
	{ "proc.sid", K_NUM, get_sid },
	{ "user.uid", K_NUM, get_uid },
	{ "user.gid", K_NUM, get_gid },
	{ "user.euid", K_NUM, get_euid },
	{ "container.id", K_STR, get_cid },
	{ "container.runtime", K_STR, get_runtime },
	{ "container.pod", K_STR, get_pod },
	{ "fd.name", K_STR, get_fd_name },
	{ "fd.port", K_NUM, get_port },
	{ "fd.sip", K_STR, get_sip },
	{ "fd.dip", K_STR, get_dip },
	{ "fd.sport", K_NUM, get_sport },
	{ "fd.dport", K_NUM, get_dport },
	{ "file.path", K_STR, get_file_path },
	{ "net.proto", K_STR, get_proto },
};

#define NFIELDS	((int)(sizeof(fields) / sizeof(fields[0])))

const char *et_filter_fields(void)
{
	static char buf[512];

	if (!buf[0])
		for (int i = 0; i < NFIELDS; i++) {
			strcat(buf, fields[i].name);
			if (i + 1 < NFIELDS)
				strcat(buf, " ");
		}
	return buf;
}

/* Lexer. */

enum tok_type { T_END, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_WORD, T_STRING };

struct token {
	enum tok_type type;
	size_t pos, len;	/* in the expression */
};

struct parser {
	const char *expr;
	struct token tok;	/* the current token */
	size_t next;		/* where the lexer continues */
	struct et_filter *f;
	struct et_filter_error *err;
	int depth;
	int failed;
};

static int fail(struct parser *p, size_t pos, size_t len, const char *fmt,
		...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	p->err->pos = pos;
	p->err->len = len ? len : 1;
	return -1;
}

static int is_word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("()=!<>,'\"", c);
}

static int lex(struct parser *p)
{
	const char *e = p->expr;
	size_t i = p->next;
	struct token *t = &p->tok;

	while (isspace((unsigned char)e[i]))
		i++;
	t->pos = i;
	t->len = 1;
	if (!e[i]) {
		t->type = T_END;
		t->len = 0;
	} else if (e[i] == '(' || e[i] == ')' || e[i] == ',') {
		t->type = e[i] == '(' ? T_LPAREN : e[i] == ')' ? T_RPAREN :
			  T_COMMA;
	} else if (strchr("=!<>", e[i])) {
		t->type = T_OP;
		if (e[i + 1] == '=')
			t->len = 2;
		else if (e[i] == '!')
			return fail(p, i, 1, "'!' must be followed by '='");
	} else if (e[i] == '\'' || e[i] == '"') {
		size_t j = i + 1;

		while (e[j] && e[j] != e[i])
			j += e[j] == '\\' && e[j + 1] ? 2 : 1;
		if (!e[j])
			return fail(p, i, j - i, "unterminated string");
		t->type = T_STRING;
		t->len = j + 1 - i;
	} else {
		size_t j = i;

		while (is_word_char(e[j]))
			j++;
		t->type = T_WORD;
		t->len = j - i;
	}
	p->next = t->pos + t->len;
	return 0;
}

static int tok_is(const struct parser *p, const char *word)
{
	return p->tok.type == T_WORD && strlen(word) == p->tok.len &&
	       !memcmp(p->expr + p->tok.pos, word, p->tok.len);
}

/* Nodes and values. */

static int new_node(struct parser *p, enum node_type type)
{
	struct et_filter *f = p->f;
	struct node *n;

	n = realloc(f->nodes, (f->nnodes + 1) * sizeof(*n));
	if (!n)
		return fail(p, p->tok.pos, p->tok.len, "out of memory");
	f->nodes = n;
	memset(&n[f->nnodes], 0, sizeof(*n));
	n[f->nnodes].type = type;
	return f->nnodes++;
}

/* Copy token text, unquoted and unescaped, into the arena. */
static char *token_text(struct parser *p, size_t *len)
{
	const char *s = p->expr + p->tok.pos;
	size_t n = p->tok.len, out = 0;
	char *dst = p->f->arena + p->f->arena_len;

	if (p->tok.type == T_STRING) {
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '\\' && i + 2 < n)
				i++;
			dst[out++] = s[i];
		}
	} else {
		memcpy(dst, s, n);
		out = n;
	}
	dst[out] = '\0';
	p->f->arena_len += out + 1;
	*len = out;
	return dst;
}

/*
 * A decimal or 0x-hex integer. Not strtoll's base 0: a uid or pid written
 * with a leading zero ("0100") is decimal to anyone typing a filter, and
 * "08" must not be "not a number".
 */
static int parse_int(const char *s, int64_t *v)
{
	const char *d = s + (*s == '-' || *s == '+');
	int base = d[0] == '0' && (d[1] == 'x' || d[1] == 'X') ? 16 : 10;
	char *end;

	if (!isdigit((unsigned char)*d))	/* no blanks, no "--1" */
		return -1;
	errno = 0;
	*v = strtoll(s, &end, base);
	return errno || *end || end == s ? -1 : 0;
}

/* "+02:00" or "-05:30": RFC 3339 numoffset, exactly, to seconds east */
static int parse_offset(const char *s, int *off)
{
	int h, m;

	if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || s[3] != ':' ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]) ||
	    s[6])
		return -1;
	h = (s[1] - '0') * 10 + s[2] - '0';
	m = (s[4] - '0') * 10 + s[5] - '0';
	if (h > 23 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

/* "2026-11-21T20:00:00Z", "...00.5Z", "...00+02:00", or ns since epoch */
int et_parse_time(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	const char *rest;
	long frac = 0, scale = 100000000;
	int off = 0;
	char *end;
	time_t t;

	errno = 0;
	*ns = strtoll(s, &end, 10);
	if (!*end && end != s && !errno)
		return 0;
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	if (*rest == '.') {
		if (!isdigit((unsigned char)rest[1]))
			return -1;
		for (rest++; isdigit((unsigned char)*rest); rest++, scale /= 10)
			frac += (*rest - '0') * scale;
	}
	if (!(*rest == 'Z' && !rest[1]) && parse_offset(rest, &off))
		return -1;
	/* -1 is also 1969-12-31T23:59:59Z: only errno tells a failure */
	errno = 0;
	t = timegm(&tm);
	if (t == (time_t)-1 && errno)
		return -1;
	/*
	 * ns in an int64_t span 1677-09-21 to 2262-04-11; strptime takes
	 * years 0 to 9999, which would overflow (found by fuzz_filter).
	 */
	if (__builtin_mul_overflow((int64_t)t - off, (int64_t)1000000000, ns) ||
	    __builtin_add_overflow(*ns, (int64_t)frac, ns))
		return -1;
	return 0;
}

static int add_value(struct parser *p, const struct field *fd)
{
	struct et_filter *f = p->f;
	struct value *v;

	if (p->tok.type != T_WORD && p->tok.type != T_STRING)
		return fail(p, p->tok.pos, p->tok.len, "expected a value for %s",
			    fd->name);
	v = realloc(f->vals, (f->nvals + 1) * sizeof(*v));
	if (!v)
		return fail(p, p->tok.pos, p->tok.len, "out of memory");
	f->vals = v;
	v = &f->vals[f->nvals];
	v->str = token_text(p, &v->len);
	if (fd->kind == K_NUM) {
		if (parse_int(v->str, &v->num))
			return fail(p, p->tok.pos, p->tok.len, "'%s' is not a "
				    "number (%s takes numbers)", v->str,
				    fd->name);
	} else if (fd->kind == K_TIME && et_parse_time(v->str, &v->num)) {
		return fail(p, p->tok.pos, p->tok.len, "'%s' is not a time "
			    "(evt.time takes RFC 3339, 2026-11-21T20:00:00Z, "
			    "or ns since the epoch)", v->str);
	}
	f->nvals++;
	return lex(p);
}

static const struct { const char *s; enum op op; int numeric, text; } ops[] = {
	{ "=", OP_EQ, 1, 1 }, { "!=", OP_NE, 1, 1 }, { "<", OP_LT, 1, 0 },
	{ "<=", OP_LE, 1, 0 }, { ">", OP_GT, 1, 0 }, { ">=", OP_GE, 1, 0 },
	{ "contains", OP_CONTAINS, 0, 1 }, { "startswith", OP_STARTSWITH, 0, 1 },
	{ "glob", OP_GLOB, 0, 1 }, { "in", OP_IN, 1, 1 },
	{ "exists", OP_EXISTS, 1, 1 },
};

static int parse_op(struct parser *p, const struct field *fd, enum op *op)
{
	const char *s = p->expr + p->tok.pos;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strlen(ops[i].s) != p->tok.len ||
		    memcmp(ops[i].s, s, p->tok.len))
			continue;
		if (fd->kind == K_STR ? !ops[i].text : !ops[i].numeric)
			return fail(p, p->tok.pos, p->tok.len, "operator '%s' "
				    "does not apply to %s, a %s field", ops[i].s,
				    fd->name, fd->kind == K_STR ? "text" :
				    "numeric");
		*op = ops[i].op;
		return lex(p);
	}
	return fail(p, p->tok.pos, p->tok.len, "expected an operator after "
		    "%s (= != < <= > >= contains startswith glob in exists)",
		    fd->name);
}

static int parse_compare(struct parser *p)
{
	struct token ftok = p->tok;
	const struct field *fd = NULL;
	int n, i;

	if (p->tok.type != T_WORD)
		return fail(p, p->tok.pos, p->tok.len, "expected a field name");
	for (i = 0; i < NFIELDS; i++)
		if (strlen(fields[i].name) == ftok.len &&
		    !memcmp(fields[i].name, p->expr + ftok.pos, ftok.len))
			fd = &fields[i];
	if (!fd)
		return fail(p, ftok.pos, ftok.len, "unknown field '%.*s' (fields:"
			    " see edgetrace query --help)", (int)ftok.len,
			    p->expr + ftok.pos);
	n = new_node(p, N_CMP);
	if (n < 0 || lex(p) || parse_op(p, fd, &p->f->nodes[n].op))
		return -1;
	p->f->nodes[n].field = fd - fields;
	p->f->nodes[n].first = p->f->nvals;
	if (p->f->nodes[n].op == OP_EXISTS)
		return n;
	if (p->f->nodes[n].op != OP_IN) {
		if (add_value(p, fd))
			return -1;
	} else {
		if (p->tok.type != T_LPAREN)
			return fail(p, p->tok.pos, p->tok.len, "'in' takes a "
				    "list: %s in (a, b, c)", fd->name);
		do {
			if (lex(p) || add_value(p, fd))
				return -1;
		} while (p->tok.type == T_COMMA);
		if (p->tok.type != T_RPAREN)
			return fail(p, p->tok.pos, p->tok.len, "expected ',' "
				    "or ')' in the list");
		if (lex(p))
			return -1;
	}
	p->f->nodes[n].nvals = p->f->nvals - p->f->nodes[n].first;
	return n;
}

static int parse_or(struct parser *p);

static int parse_unary(struct parser *p)
{
	int n, a;

	if (!tok_is(p, "not") && p->tok.type != T_LPAREN)
		return parse_compare(p);
	/*
	 * Only "not" and "(" recurse: bound them so that "((((..." cannot
	 * exhaust the stack, and so that 64 levels, not 63, are allowed.
	 */
	if (++p->depth > MAX_DEPTH)
		return fail(p, p->tok.pos, p->tok.len, "expression nested "
			    "deeper than %d", MAX_DEPTH);
	if (tok_is(p, "not")) {
		if (lex(p) || (a = parse_unary(p)) < 0 ||
		    (n = new_node(p, N_NOT)) < 0)
			return -1;
		p->f->nodes[n].a = a;
	} else {
		size_t open = p->tok.pos;

		if (lex(p) || (n = parse_or(p)) < 0)
			return -1;
		if (p->tok.type != T_RPAREN)
			return fail(p, p->tok.type == T_END ? open : p->tok.pos,
				    p->tok.len, p->tok.type == T_END ?
				    "unclosed '('" : "expected ')'");
		if (lex(p))
			return -1;
	}
	p->depth--;
	return n;
}

static int parse_binary(struct parser *p, const char *word,
			enum node_type type, int (*sub)(struct parser *))
{
	int n, a = sub(p), b;

	while (a >= 0 && tok_is(p, word)) {
		if (lex(p) || (b = sub(p)) < 0 || (n = new_node(p, type)) < 0)
			return -1;
		p->f->nodes[n].a = a;
		p->f->nodes[n].b = b;
		a = n;
	}
	return a;
}

static int parse_and(struct parser *p)
{
	return parse_binary(p, "and", N_AND, parse_unary);
}

static int parse_or(struct parser *p)
{
	return parse_binary(p, "or", N_OR, parse_and);
}

struct et_filter *et_filter_parse(const char *expr,
				  struct et_filter_error *err)
{
	struct et_filter *f = calloc(1, sizeof(*f));
	struct parser p = { .expr = expr, .f = f, .err = err };
	size_t len = strlen(expr);

	memset(err, 0, sizeof(*err));
	if (!f)
		goto out_nomem;
	if (len > ET_FILTER_MAX_LEN) {
		fail(&p, ET_FILTER_MAX_LEN, 1, "expression longer than %d "
		     "bytes", ET_FILTER_MAX_LEN);
		goto out_free;
	}
	f->arena = malloc(2 * len + 2);	/* each value and its NUL */
	if (!f->arena)
		goto out_nomem;
	if (lex(&p))
		goto out_free;
	if (p.tok.type == T_END) {
		fail(&p, 0, 1, "empty expression");
		goto out_free;
	}
	f->root = parse_or(&p);
	if (f->root < 0)
		goto out_free;
	if (p.tok.type != T_END) {
		fail(&p, p.tok.pos, p.tok.len, p.tok.type == T_RPAREN ?
		     "unmatched ')'" : "expected 'and', 'or' or the end");
		goto out_free;
	}
	return f;
out_nomem:
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	err->len = 1;
out_free:
	et_filter_free(f);
	return NULL;
}

/* Matching. */

static int cmp_num(enum op op, int64_t a, int64_t b)
{
	switch (op) {
	case OP_EQ: case OP_IN: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: return 0;
	}
}

static int cmp_str(enum op op, const char *s, size_t len,
		   const struct value *v)
{
	char buf[4097];

	if (!s)		/* an empty field may have no bytes at all */
		s = "";
	switch (op) {
	case OP_EQ: case OP_IN:
		return len == v->len && !memcmp(s, v->str, len);
	case OP_NE:
		return len != v->len || memcmp(s, v->str, len);
	case OP_CONTAINS:
		return memmem(s, len, v->str, v->len) != NULL;
	case OP_STARTSWITH:
		return len >= v->len && !memcmp(s, v->str, v->len);
	case OP_GLOB:
		if (len >= sizeof(buf) || memchr(s, '\0', len))
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return !fnmatch(v->str, buf, 0);
	default:
		return 0;
	}
}

static int match_cmp(const struct et_filter *f, const struct node *n,
		     const struct et_record *r)
{
	const struct field *fd = &fields[n->field];
	const char *s = NULL;
	size_t len = 0;
	int64_t num = 0;

	if (!fd->get(r, &num, &s, &len))
		return n->op == OP_NE;	/* absent: only "!=" holds */
	if (n->op == OP_EXISTS)
		return 1;
	for (int i = 0; i < n->nvals; i++) {
		const struct value *v = &f->vals[n->first + i];
		int m = fd->kind == K_STR ? cmp_str(n->op, s, len, v) :
			cmp_num(n->op, num, v->num);

		if (m)
			return 1;
	}
	return 0;
}

static int eval(const struct et_filter *f, int i, const struct et_record *r)
{
	const struct node *n = &f->nodes[i];

	switch (n->type) {
	case N_AND: return eval(f, n->a, r) && eval(f, n->b, r);
	case N_OR: return eval(f, n->a, r) || eval(f, n->b, r);
	case N_NOT: return !eval(f, n->a, r);
	case N_CMP: return match_cmp(f, n, r);
	}
	return 0;
}

/* Kernel-side part (filter.h). */

static int field_is(const struct node *n, const char *name)
{
	return !strcmp(fields[n->field].name, name);
}

static uint32_t type_bits(const struct et_filter *f, const struct node *n)
{
	uint32_t bits = 0;

	for (int i = 0; i < n->nvals; i++) {
		const struct value *v = &f->vals[n->first + i];

		for (unsigned int t = 1; t < 32; t++) {
			const char *name = et_rec_type_name(t);

			if (name && !strcmp(name, v->str))
				bits |= 1u << t;
		}
	}
	return bits;
}

static int is_set_op(const struct node *n)
{
	return n->op == OP_EQ || n->op == OP_IN;
}

/* evt.type (possibly under "not") */
static void kf_types(const struct et_filter *f, const struct node *n,
		     int negated, struct et_kfilter *k)
{
	uint32_t bits = type_bits(f, n);

	if (n->op == OP_NE)
		negated = !negated;
	else if (!is_set_op(n))
		return;
	k->types &= negated ? ~bits : bits;
}

static void kf_nums(const struct et_filter *f, const struct node *n,
		    uint32_t *out, unsigned int *count, int *set)
{
	if (*set || !is_set_op(n) || n->nvals > ET_KF_MAX)
		return;
	for (int i = 0; i < n->nvals; i++) {
		int64_t v = f->vals[n->first + i].num;

		if (v < 0 || v > UINT32_MAX)
			continue;	/* matches nothing in the kernel either */
		out[(*count)++] = v;
	}
	*set = 1;
}

static void kf_comms(const struct et_filter *f, const struct node *n,
		     struct et_kfilter *k)
{
	if (k->comms_set || !is_set_op(n) || n->nvals > ET_KF_MAX)
		return;
	for (int i = 0; i < n->nvals; i++)
		if (f->vals[n->first + i].len > 15)
			return;	/* a comm has at most 15 bytes: leave it */
	for (int i = 0; i < n->nvals; i++) {
		memset(k->comms[k->ncomms], 0, sizeof(k->comms[0]));
		memcpy(k->comms[k->ncomms++], f->vals[n->first + i].str,
		       f->vals[n->first + i].len);
	}
	k->comms_set = 1;
}

static void kf_prefix(const struct et_filter *f, const struct node *n,
		      struct et_kfilter *k)
{
	const struct value *v = &f->vals[n->first];

	if (k->prefixes_set || n->op != OP_STARTSWITH || v->len > ET_KF_PREFIX)
		return;
	memcpy(k->prefixes[0], v->str, v->len + 1);
	k->nprefixes = 1;
	k->prefixes_set = 1;
	/* only file events have a path */
	k->types &= ((1u << (ET_REC_CLOSE + 1)) - 1) & ~((1u << ET_REC_OPEN) - 1);
}

static void kf_conjunct(const struct et_filter *f, int i,
			struct et_kfilter *k)
{
	const struct node *n = &f->nodes[i];

	if (n->type == N_AND) {
		kf_conjunct(f, n->a, k);
		kf_conjunct(f, n->b, k);
		return;
	}
	if (n->type == N_NOT && f->nodes[n->a].type == N_CMP &&
	    field_is(&f->nodes[n->a], "evt.type")) {
		kf_types(f, &f->nodes[n->a], 1, k);
		return;
	}
	if (n->type != N_CMP)
		return;
	if (field_is(n, "evt.type"))
		kf_types(f, n, 0, k);
	else if (field_is(n, "proc.pid"))
		kf_nums(f, n, k->pids, &k->npids, &k->pids_set);
	else if (field_is(n, "user.uid"))
		kf_nums(f, n, k->uids, &k->nuids, &k->uids_set);
	else if (field_is(n, "proc.name"))
		kf_comms(f, n, k);
	else if (field_is(n, "file.path"))
		kf_prefix(f, n, k);
}

void et_filter_kernel(const struct et_filter *f, struct et_kfilter *k)
{
	memset(k, 0, sizeof(*k));
	k->types = ~0u;
	if (f)
		kf_conjunct(f, f->root, k);
}

int et_filter_match(const struct et_filter *f, const struct et_record *r)
{
	return eval(f, f->root, r);
}

void et_filter_print_error(FILE *out, const char *expr,
			   const struct et_filter_error *err)
{
	size_t len = strlen(expr);

	fprintf(out, "edgetrace: bad filter: %s\n  ", err->msg);
	for (size_t i = 0; i < len; i++)
		fputc(expr[i] == '\t' || expr[i] == '\n' ? ' ' : expr[i], out);
	fputs("\n  ", out);
	for (size_t i = 0; i < err->pos && i < len; i++)
		fputc(' ', out);
	fputc('^', out);
	for (size_t i = 1; i < err->len && err->pos + i < len; i++)
		fputc('~', out);
	fputc('\n', out);
}

void et_filter_free(struct et_filter *f)
{
	if (!f)
		return;
	free(f->nodes);
	free(f->vals);
	free(f->arena);
	free(f);
}
