/* SPDX-License-Identifier: ISC */
/*
 * filter.c: parse a filter expression into a tree of tests (filter.h), and
 * evaluate it against a record.
 *
 * Parsing runs at config time (start-up, SIGHUP) and reports the first
 * error with its column and the token at fault. Evaluation runs on the
 * loop thread for each record an output's selector takes: it walks the
 * tree, short-circuits "and"/"or", and touches only the record's bytes and
 * the scratch space of PCRE2 allocated here at compile time. A record's
 * fields are (pointer, length) pairs and may hold any byte, NUL included.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "filter.h"
#include "log.h"
#include "match.h"

#define FILTER_NONE	UINT_MAX

enum filter_kind { FILTER_AND, FILTER_OR, FILTER_NOT, FILTER_TEST };

enum filter_field {
	F_TAG, F_HOST, F_CLAIMED_HOST, F_MSGID, F_MSG, F_UNIT,	/* strings */
	F_UID, F_GID, F_PID, F_FACILITY, F_SEVERITY,		/* numbers */
};
#define FILTER_IS_NUMBER(f)	((f) >= F_UID)

static const struct {
	const char		*name;
	enum filter_field	 field;
} filter_fields[] = {
	{ "tag", F_TAG }, { "program", F_TAG }, { "host", F_HOST },
	{ "claimed_host", F_CLAIMED_HOST }, { "msgid", F_MSGID },
	{ "msg", F_MSG }, { "message", F_MSG }, { "uid", F_UID },
	{ "gid", F_GID }, { "pid", F_PID }, { "facility", F_FACILITY },
	{ "severity", F_SEVERITY }, { "unit", F_UNIT },
};
#define FILTER_FIELD_LIST	"tag, program, host, claimed_host, msgid, " \
				"msg, message, unit, uid, gid, pid, facility, " \
				"severity"

enum filter_op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN,	/* any field */
	OP_CONTAINS, OP_STARTSWITH, OP_GLOB, OP_RE, OP_NRE,	/* strings */
};

static const struct {
	const char	*name;
	enum filter_op	 op;
} filter_ops[] = {
	{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
	{ "<", OP_LT }, { ">", OP_GT }, { "=~", OP_RE }, { "!~", OP_NRE },
	{ "in", OP_IN }, { "contains", OP_CONTAINS },
	{ "startswith", OP_STARTSWITH }, { "glob", OP_GLOB },
};

struct filter_value {
	char		*s;		/* decoded bytes (strings), NUL added */
	size_t		 len;
	long long	 n;		/* numbers, names of facilities... */
};

struct filter_node {
	enum filter_kind kind;
	unsigned	 first;		/* and/or/not: first operand */
	unsigned	 next;		/* next operand of the parent */
	enum filter_field field;	/* a test: */
	enum filter_op	 op;
	struct filter_value *vals;	/* one, or the list of "in" */
	unsigned	 nvals;
	pcre2_code	*re;		/* =~ and !~ */
	bool		 jit;		/* re has JIT code: skip pcre2_match's
					 * checks and call it directly */
};

/* Written by filter_match: hence apart from the (const) filter. */
struct filter_scratch {
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jit;
	unsigned long long	 errors;
};

struct filter {
	char			*text;
	struct filter_node	*nodes;
	unsigned		 nnodes, cap;
	unsigned		 root;
	struct filter_scratch	*scratch;
};

/* ---- Parsing ---- */

enum filter_tok { T_END, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_WORD, T_STRING };

struct filter_parser {
	struct filter	*f;
	const char	*text;
	const char	*p;		/* after the current token */
	enum filter_tok	 tok;
	const char	*tstart;	/* the current token as written */
	size_t		 tlen;
	char		 sbuf[FILTER_MAX_TEXT + 1];	/* a string, decoded */
	size_t		 slen;
	int		 depth;
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 3, 4)))
filter_error(struct filter_parser *ps, const char *at, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "column %zu: %s",
	    (size_t)(at - ps->text) + 1, msg);
	return (-1);
}

/* The current token for messages: 'and', the end of the filter. */
static const char *
filter_tokname(struct filter_parser *ps, char *buf, size_t len)
{
	if (ps->tok == T_END)
		snprintf(buf, len, "the end of the filter");
	else
		snprintf(buf, len, "'%.*s'%s", ps->tlen > 40 ? 40 :
		    (int)ps->tlen, ps->tstart, ps->tlen > 40 ? "..." : "");
	return (buf);
}

static bool
filter_wordchar(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("_.-/:@*?", c) != NULL));
}

static int
filter_hex(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * '...' is taken as written (no escapes: the place for regular
 * expressions and globs); "..." knows \" \\ \n \r \t and \xNN.
 */
static int
filter_string(struct filter_parser *ps)
{
	const char	*p = ps->p + 1, *esc;
	char		 q = *ps->p;
	int		 hi, lo;

	ps->slen = 0;
	for (;; p++) {
		if (*p == '\0')
			return (filter_error(ps, ps->p, "unterminated string"));
		if (*p == q)
			break;
		if (q == '"' && *p == '\\') {
			esc = p++;
			switch (*p) {
			case '"': case '\\':
				ps->sbuf[ps->slen++] = *p;
				continue;
			case 'n':
				ps->sbuf[ps->slen++] = '\n';
				continue;
			case 'r':
				ps->sbuf[ps->slen++] = '\r';
				continue;
			case 't':
				ps->sbuf[ps->slen++] = '\t';
				continue;
			case 'x':
				if ((hi = filter_hex(p[1])) != -1 &&
				    (lo = filter_hex(p[2])) != -1) {
					ps->sbuf[ps->slen++] = (char)(hi * 16 +
					    lo);
					p += 2;
					continue;
				}
				return (filter_error(ps, esc, "\\x needs two "
				    "hexadecimal digits"));
			default:
				return (filter_error(ps, esc, "unknown escape "
				    "'\\%c' in \"...\" (write regular "
				    "expressions in '...', taken as written)",
				    *p == '\0' ? ' ' : *p));
			}
		}
		ps->sbuf[ps->slen++] = *p;
	}
	ps->sbuf[ps->slen] = '\0';
	ps->tok = T_STRING;
	ps->tlen = (size_t)(p + 1 - ps->tstart);
	ps->p = p + 1;
	return (0);
}

static int
filter_next(struct filter_parser *ps)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "=~",
	    "!~", "<", ">", NULL };
	const char	*p = ps->p;
	size_t		 i;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	ps->tstart = ps->p = p;
	ps->tlen = 1;
	switch (*p) {
	case '\0':
		ps->tok = T_END;
		ps->tlen = 0;
		return (0);
	case '(':
		ps->tok = T_LPAREN;
		break;
	case ')':
		ps->tok = T_RPAREN;
		break;
	case ',':
		ps->tok = T_COMMA;
		break;
	case '\'':
	case '"':
		return (filter_string(ps));
	default:
		for (i = 0; ops[i] != NULL; i++) {
			if (strncmp(p, ops[i], strlen(ops[i])) == 0) {
				ps->tok = T_OP;
				ps->tlen = strlen(ops[i]);
				ps->p = p + ps->tlen;
				return (0);
			}
		}
		if (!filter_wordchar(*p)) {
			if (*p == '=')
				return (filter_error(ps, p, "unexpected '=' "
				    "(equality is '==')"));
			if (*p == '&' || *p == '|' || *p == '!')
				return (filter_error(ps, p, "unexpected '%c' "
				    "(write and, or, not)", *p));
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				return (filter_error(ps, p, "unexpected byte "
				    "0x%02x", (unsigned char)*p));
			return (filter_error(ps, p, "unexpected character "
			    "'%c'", *p));
		}
		while (filter_wordchar(p[ps->tlen]))
			ps->tlen++;
		ps->tok = T_WORD;
		break;
	}
	ps->p = p + ps->tlen;
	return (0);
}

static bool
filter_is(const struct filter_parser *ps, const char *word)
{
	return (ps->tok == T_WORD && ps->tlen == strlen(word) &&
	    memcmp(ps->tstart, word, ps->tlen) == 0);
}

static int
filter_node_new(struct filter_parser *ps, const char *at,
    enum filter_kind kind, unsigned *out)
{
	struct filter		*f = ps->f;
	struct filter_node	*n;
	unsigned		 cap;

	if (f->nnodes == FILTER_MAX_NODES)
		return (filter_error(ps, at, "more than %d tests and "
		    "operators", FILTER_MAX_NODES));
	if (f->nnodes == f->cap) {
		cap = f->cap == 0 ? 8 : f->cap * 2;
		if ((n = realloc(f->nodes, cap * sizeof *n)) == NULL)
			return (filter_error(ps, ps->tstart, "out of memory"));
		f->nodes = n;
		f->cap = cap;
	}
	n = &f->nodes[f->nnodes];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->first = n->next = FILTER_NONE;
	*out = f->nnodes++;
	return (0);
}

/* A number for a numeric field: digits, or a facility / severity name. */
static int
filter_number(struct filter_parser *ps, enum filter_field field,
    const char *name, long long *out)
{
	const char	*s = ps->tok == T_STRING ? ps->sbuf : ps->tstart;
	size_t		 len = ps->tok == T_STRING ? ps->slen : ps->tlen;
	long long	 v = 0, max;
	size_t		 i;
	int		 x = -1;

	if (field == F_FACILITY)
		x = match_facility(s, len);
	else if (field == F_SEVERITY)
		x = match_severity(s, len);
	if (x != -1) {
		*out = x;
		return (0);
	}
	switch (field) {
	case F_FACILITY:
		max = MATCH_NFACILITIES - 1;
		break;
	case F_SEVERITY:
		max = 7;
		break;
	case F_PID:
		max = INT_MAX;
		break;
	default:
		max = UINT32_MAX;
		break;
	}
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9' && v <= max; i++)
		v = v * 10 + (s[i] - '0');
	if (len == 0 || i < len || v > max) {
		if (field == F_FACILITY || field == F_SEVERITY)
			return (filter_error(ps, ps->tstart, "unknown %s '%.*s' "
			    "(a name or 0 to %lld)", name, (int)len, s, max));
		return (filter_error(ps, ps->tstart, "%s: bad number '%.*s' "
		    "(0 to %lld)", name, (int)len, s, max));
	}
	*out = v;
	return (0);
}

/* Every '[' of a glob closes and no '\' ends it. */
static int
filter_check_glob(struct filter_parser *ps, const char *g, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (g[i] == '\\' && ++i == len)
			return (filter_error(ps, ps->tstart, "glob ends in "
			    "'\\'"));
		if (g[i] != '[')
			continue;
		i++;
		if (i < len && (g[i] == '!' || g[i] == '^'))
			i++;
		if (i < len && g[i] == ']')
			i++;
		while (i < len && g[i] != ']')
			i++;
		if (i == len)
			return (filter_error(ps, ps->tstart, "unterminated '[' "
			    "in glob"));
	}
	return (0);
}

static int
filter_regex(struct filter_parser *ps, struct filter_node *n)
{
	PCRE2_UCHAR	msg[128];
	PCRE2_SIZE	off;
	uint32_t	opts = 0;	/* bytes, before PCRE2 10.34 */
	int		rc;

#ifdef PCRE2_MATCH_INVALID_UTF
	/* UTF-8 that tolerates the invalid bytes a message may hold. */
	opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
#endif
	n->re = pcre2_compile((PCRE2_SPTR)ps->sbuf, ps->slen, opts, &rc,
	    &off, NULL);
	if (n->re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof msg);
		return (filter_error(ps, ps->tstart, "bad regular expression "
		    "%.*s: %s at offset %zu", (int)(ps->tlen > 60 ? 60 :
		    ps->tlen), ps->tstart, (char *)msg, (size_t)off));
	}
	/* Without JIT (not built, or no executable memory) PCRE2's
	 * interpreter runs the same pattern, only slower. */
	n->jit = pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE) == 0;
	return (0);
}

/* One value after an operator: a word or a string, checked for the field. */
static int
filter_value(struct filter_parser *ps, struct filter_node *n,
    const char *fname, const char *opname)
{
	struct filter_value	*v, *vals;
	char			 tn[64];

	if (ps->tok != T_WORD && ps->tok != T_STRING)
		return (filter_error(ps, ps->tstart, "expected a value after "
		    "'%s', found %s", opname, filter_tokname(ps, tn,
		    sizeof tn)));
	if (ps->tok == T_WORD && (filter_is(ps, "and") || filter_is(ps, "or")
	    || filter_is(ps, "not")))
		return (filter_error(ps, ps->tstart, "expected a value after "
		    "'%s', found '%.*s' (quote it to mean the word)", opname,
		    (int)ps->tlen, ps->tstart));
	if ((vals = realloc(n->vals, (n->nvals + 1) * sizeof *vals)) == NULL)
		return (filter_error(ps, ps->tstart, "out of memory"));
	n->vals = vals;
	v = &vals[n->nvals++];
	memset(v, 0, sizeof *v);
	if (FILTER_IS_NUMBER(n->field))
		return (filter_number(ps, n->field, fname, &v->n));
	if (ps->tok == T_WORD) {
		memcpy(ps->sbuf, ps->tstart, ps->tlen);
		ps->slen = ps->tlen;
		ps->sbuf[ps->slen] = '\0';
	}
	if ((v->s = malloc(ps->slen + 1)) == NULL)
		return (filter_error(ps, ps->tstart, "out of memory"));
	memcpy(v->s, ps->sbuf, ps->slen + 1);
	v->len = ps->slen;
	if (n->op == OP_GLOB)
		return (filter_check_glob(ps, v->s, v->len));
	if (n->op == OP_RE || n->op == OP_NRE)
		return (filter_regex(ps, n));
	return (0);
}

/* FIELD OP VALUE, or FIELD in (VALUE, ...). */
static int
filter_test(struct filter_parser *ps, unsigned *out)
{
	struct filter_node	*n;
	const char		*fstart = ps->tstart;
	char			 fname[16], opname[16], tn[64];
	size_t			 i;
	unsigned		 idx;
	int			 field = -1, op = -1;

	if (ps->tok != T_WORD || filter_is(ps, "and") || filter_is(ps, "or"))
		return (filter_error(ps, ps->tstart, "expected a field name, "
		    "'not' or '(', found %s", filter_tokname(ps, tn,
		    sizeof tn)));
	for (i = 0; i < sizeof filter_fields / sizeof filter_fields[0]; i++)
		if (filter_is(ps, filter_fields[i].name))
			field = (int)filter_fields[i].field;
	if (field == -1)
		return (filter_error(ps, ps->tstart, "unknown field '%.*s' "
		    "(" FILTER_FIELD_LIST ")", ps->tlen > 40 ? 40 :
		    (int)ps->tlen, ps->tstart));
	snprintf(fname, sizeof fname, "%.*s", (int)ps->tlen, ps->tstart);
	if (filter_next(ps) == -1)
		return (-1);

	for (i = 0; i < sizeof filter_ops / sizeof filter_ops[0]; i++)
		if ((ps->tok == T_OP || ps->tok == T_WORD) &&
		    ps->tlen == strlen(filter_ops[i].name) &&
		    memcmp(ps->tstart, filter_ops[i].name, ps->tlen) == 0)
			op = (int)filter_ops[i].op;
	if (op == -1)
		return (filter_error(ps, ps->tstart, "expected an operator "
		    "after '%s', found %s", fname, filter_tokname(ps, tn,
		    sizeof tn)));
	snprintf(opname, sizeof opname, "%.*s", (int)ps->tlen, ps->tstart);
	if (FILTER_IS_NUMBER(field) && op > OP_IN)
		return (filter_error(ps, ps->tstart, "'%s' does not apply to "
		    "%s (a number: == != < <= > >= in)", opname, fname));
	if (!FILTER_IS_NUMBER(field) && op >= OP_LT && op <= OP_GE)
		return (filter_error(ps, ps->tstart, "'%s' does not apply to "
		    "%s (a string: == != contains startswith glob =~ !~ in)",
		    opname, fname));

	if (filter_node_new(ps, fstart, FILTER_TEST, &idx) == -1)
		return (-1);
	n = &ps->f->nodes[idx];
	n->field = (enum filter_field)field;
	n->op = (enum filter_op)op;
	if (filter_next(ps) == -1)
		return (-1);
	if (op != OP_IN) {
		if (filter_value(ps, n, fname, opname) == -1)
			return (-1);
	} else {
		if (ps->tok != T_LPAREN)
			return (filter_error(ps, ps->tstart, "expected '(' "
			    "after 'in', found %s", filter_tokname(ps, tn,
			    sizeof tn)));
		do {
			if (filter_next(ps) == -1 ||
			    filter_value(ps, n, fname, "in (") == -1 ||
			    filter_next(ps) == -1)
				return (-1);
		} while (ps->tok == T_COMMA);
		if (ps->tok != T_RPAREN)
			return (filter_error(ps, ps->tstart, "expected ',' or "
			    "')' in the list of 'in', found %s",
			    filter_tokname(ps, tn, sizeof tn)));
	}
	*out = idx;
	return (filter_next(ps));
}

static int filter_or(struct filter_parser *, unsigned *);

static int
filter_deeper(struct filter_parser *ps)
{
	if (++ps->depth > FILTER_MAX_DEPTH)
		return (filter_error(ps, ps->tstart, "nested more than %d "
		    "deep", FILTER_MAX_DEPTH));
	return (0);
}

static int
filter_unary(struct filter_parser *ps, unsigned *out)
{
	unsigned	 idx, sub;
	const char	*open;
	char		 tn[64];

	if (filter_is(ps, "not")) {
		if (filter_deeper(ps) == -1 ||
		    filter_node_new(ps, ps->tstart, FILTER_NOT, &idx) == -1 ||
		    filter_next(ps) == -1 || filter_unary(ps, &sub) == -1)
			return (-1);
		ps->f->nodes[idx].first = sub;
		ps->depth--;
		*out = idx;
		return (0);
	}
	if (ps->tok == T_LPAREN) {
		open = ps->tstart;
		if (filter_deeper(ps) == -1 || filter_next(ps) == -1 ||
		    filter_or(ps, out) == -1)
			return (-1);
		if (ps->tok != T_RPAREN)
			return (filter_error(ps, ps->tstart, "expected ')' to "
			    "close the '(' at column %zu, found %s",
			    (size_t)(open - ps->text) + 1,
			    filter_tokname(ps, tn, sizeof tn)));
		ps->depth--;
		return (filter_next(ps));
	}
	return (filter_test(ps, out));
}

/* operand { WORD operand }, as one n-ary node when there are two or more. */
static int
filter_chain(struct filter_parser *ps, const char *word, enum filter_kind kind,
    int (*operand)(struct filter_parser *, unsigned *), unsigned *out)
{
	unsigned first, last, next, idx;

	if (operand(ps, &first) == -1)
		return (-1);
	if (!filter_is(ps, word)) {
		*out = first;
		return (0);
	}
	if (filter_node_new(ps, ps->tstart, kind, &idx) == -1)
		return (-1);
	ps->f->nodes[idx].first = last = first;
	while (filter_is(ps, word)) {
		if (filter_next(ps) == -1 || operand(ps, &next) == -1)
			return (-1);
		ps->f->nodes[last].next = next;
		last = next;
	}
	*out = idx;
	return (0);
}

static int
filter_and(struct filter_parser *ps, unsigned *out)
{
	return (filter_chain(ps, "and", FILTER_AND, filter_unary, out));
}

static int
filter_or(struct filter_parser *ps, unsigned *out)
{
	return (filter_chain(ps, "or", FILTER_OR, filter_and, out));
}

static int
filter_scratch_new(struct filter *f)
{
	struct filter_scratch *s;

	if ((s = f->scratch = calloc(1, sizeof *s)) == NULL ||
	    (s->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (s->mctx = pcre2_match_context_create(NULL)) == NULL)
		return (-1);
	pcre2_set_match_limit(s->mctx, FILTER_MATCH_LIMIT);
	/* A bigger JIT stack than the 32K default, so that a long message
	 * does not fail a pattern that backtracks; allocated once here. */
	if ((s->jit = pcre2_jit_stack_create(32 << 10, 1 << 20, NULL)) != NULL)
		pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
	return (0);
}

struct filter *
filter_compile(const char *text, char *err, size_t errlen)
{
	struct filter_parser	*ps;
	struct filter		*f;
	char			 tn[64];
	unsigned		 i;
	bool			 regex = false;

	if ((f = calloc(1, sizeof *f)) == NULL ||
	    (ps = calloc(1, sizeof *ps)) == NULL) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	ps->f = f;
	ps->text = ps->p = text;
	ps->err = err;
	ps->errlen = errlen;
	if (strlen(text) > FILTER_MAX_TEXT) {
		snprintf(err, errlen, "longer than %d characters",
		    FILTER_MAX_TEXT);
		goto fail;
	}
	if (filter_next(ps) == -1)
		goto fail;
	if (ps->tok == T_END) {
		snprintf(err, errlen, "empty filter");
		goto fail;
	}
	if (filter_or(ps, &f->root) == -1)
		goto fail;
	if (ps->tok != T_END) {
		filter_error(ps, ps->tstart, "expected 'and', 'or' or the end, "
		    "found %s", filter_tokname(ps, tn, sizeof tn));
		goto fail;
	}
	for (i = 0; i < f->nnodes; i++)
		regex |= f->nodes[i].re != NULL;
	if ((f->text = strdup(text)) == NULL ||
	    (regex && filter_scratch_new(f) == -1)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	free(ps);
	return (f);
fail:
	free(ps);
	filter_free(f);
	return (NULL);
}

void
filter_free(struct filter *f)
{
	unsigned i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->nnodes; i++) {
		for (j = 0; j < f->nodes[i].nvals; j++)
			free(f->nodes[i].vals[j].s);
		free(f->nodes[i].vals);
		pcre2_code_free(f->nodes[i].re);
	}
	if (f->scratch != NULL) {
		pcre2_match_data_free(f->scratch->md);
		pcre2_match_context_free(f->scratch->mctx);
		pcre2_jit_stack_free(f->scratch->jit);
		free(f->scratch);
	}
	free(f->nodes);
	free(f->text);
	free(f);
}

const char *
filter_text(const struct filter *f)
{
	return (f->text);
}

unsigned long long
filter_errors(const struct filter *f)
{
	return (f->scratch != NULL ? f->scratch->errors : 0);
}

/* ---- Evaluation ---- */

/* One pattern character (or class, or escape) at g[*i] against c; *i moves
 * past it. The pattern was checked by filter_check_glob. */
static bool
filter_glob_one(const char *g, size_t glen, size_t *i, unsigned char c)
{
	bool		 neg = false, hit = false;
	unsigned char	 lo, hi;
	size_t		 j = *i;

	if (g[j] == '?') {
		*i = j + 1;
		return (true);
	}
	if (g[j] == '\\') {
		*i = j + 2;
		return ((unsigned char)g[j + 1] == c);
	}
	if (g[j] != '[') {
		*i = j + 1;
		return ((unsigned char)g[j] == c);
	}
	j++;
	if (g[j] == '!' || g[j] == '^') {
		neg = true;
		j++;
	}
	do {
		lo = hi = (unsigned char)g[j++];
		if (j + 1 < glen && g[j] == '-' && g[j + 1] != ']') {
			hi = (unsigned char)g[j + 1];
			j += 2;
		}
		hit |= c >= lo && c <= hi;
	} while (g[j] != ']');
	*i = j + 1;
	return (hit != neg);
}

/* Shell-style glob over bytes: '*' any run, '?' one byte, '[a-z]', '[!x]',
 * '\' quotes. Backtracks only to the last '*': O(len(s) * len(g)). */
static bool
filter_glob(const char *g, size_t glen, const char *s, size_t slen)
{
	size_t gi = 0, si = 0, star = SIZE_MAX, star_s = 0, next;

	while (si < slen) {
		if (gi < glen && g[gi] == '*') {
			star = ++gi;
			star_s = si;
			continue;
		}
		next = gi;
		if (gi < glen && filter_glob_one(g, glen, &next,
		    (unsigned char)s[si])) {
			gi = next;
			si++;
			continue;
		}
		if (star == SIZE_MAX)
			return (false);
		gi = star;
		si = ++star_s;
	}
	while (gi < glen && g[gi] == '*')
		gi++;
	return (gi == glen);
}

static bool
filter_regex_match(const struct filter *f, const struct filter_node *n,
    const char *s, size_t len)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
	PCRE2_UCHAR	msg[128];
	int		rc;

	if (n->jit)
		rc = pcre2_jit_match(n->re, (PCRE2_SPTR)s, len, 0, 0,
		    f->scratch->md, f->scratch->mctx);
	else
		rc = pcre2_match(n->re, (PCRE2_SPTR)s, len, 0, 0,
		    f->scratch->md, f->scratch->mctx);
	if (rc >= 0)
		return (true);
	if (rc != PCRE2_ERROR_NOMATCH) {
		f->scratch->errors++;
		pcre2_get_error_message(rc, msg, sizeof msg);
		log_limited(&rl, "filter '%s': regular expression '%s' failed "
		    "(%s): taken as not matching", f->text, n->vals[0].s,
		    (char *)msg);
	}
	return (false);
}

static bool
filter_string_test(const struct filter *f, const struct filter_node *n,
    const char *s, size_t len)
{
	const struct filter_value *v = &n->vals[0];
	unsigned i;

	if (s == NULL)
		s = "";
	switch (n->op) {
	case OP_EQ:
		return (len == v->len && memcmp(s, v->s, len) == 0);
	case OP_NE:
		return (!(len == v->len && memcmp(s, v->s, len) == 0));
	case OP_IN:
		for (i = 0; i < n->nvals; i++)
			if (len == n->vals[i].len &&
			    memcmp(s, n->vals[i].s, len) == 0)
				return (true);
		return (false);
	case OP_CONTAINS:
		return (v->len == 0 || memmem(s, len, v->s, v->len) != NULL);
	case OP_STARTSWITH:
		return (len >= v->len && memcmp(s, v->s, v->len) == 0);
	case OP_GLOB:
		return (filter_glob(v->s, v->len, s, len));
	case OP_RE:
		return (filter_regex_match(f, n, s, len));
	case OP_NRE:
		return (!filter_regex_match(f, n, s, len));
	default:
		return (false);
	}
}

/* A value the kernel did not give (-1) passes no comparison but '!='. */
static bool
filter_number_test(const struct filter_node *n, long long x, bool known)
{
	long long v = n->vals[0].n;
	unsigned i;

	if (!known)
		return (n->op == OP_NE);
	switch (n->op) {
	case OP_EQ:
		return (x == v);
	case OP_NE:
		return (x != v);
	case OP_LT:
		return (x < v);
	case OP_LE:
		return (x <= v);
	case OP_GT:
		return (x > v);
	case OP_GE:
		return (x >= v);
	case OP_IN:
		for (i = 0; i < n->nvals; i++)
			if (x == n->vals[i].n)
				return (true);
		return (false);
	default:
		return (false);
	}
}

static bool
filter_eval_test(const struct filter *f, const struct filter_node *n,
    const struct record *rec, const char *local_host)
{
	switch (n->field) {
	case F_TAG:
		return (filter_string_test(f, n, rec->tag, rec->tag_len));
	case F_HOST:
		if (rec->host != NULL)
			return (filter_string_test(f, n, rec->host,
			    rec->host_len));
		return (filter_string_test(f, n, local_host, local_host ==
		    NULL ? 0 : strlen(local_host)));
	case F_CLAIMED_HOST:
		return (filter_string_test(f, n, rec->claimed_host,
		    rec->claimed_host == NULL ? 0 : rec->claimed_host_len));
	case F_MSGID:
		return (filter_string_test(f, n, rec->msgid,
		    rec->msgid == NULL ? 0 : rec->msgid_len));
	case F_MSG:
		return (filter_string_test(f, n, rec->msg, rec->msg_len));
	case F_UNIT:
		return (filter_string_test(f, n, rec->unit,
		    rec->unit == NULL ? 0 : rec->unit_len));
	case F_UID:
		return (filter_number_test(n, rec->uid, rec->uid != (uid_t)-1));
	case F_GID:
		return (filter_number_test(n, rec->gid, rec->gid != (gid_t)-1));
	case F_PID:
		return (filter_number_test(n, rec->pid, rec->pid > 0));
	case F_FACILITY:
		return (filter_number_test(n, rec->facility, true));
	case F_SEVERITY:
		return (filter_number_test(n, rec->severity, true));
	}
	return (false);
}

/* Recursion is bounded by FILTER_MAX_DEPTH: and/or chains are n-ary. */
static bool
filter_eval(const struct filter *f, unsigned i, const struct record *rec,
    const char *local_host)
{
	const struct filter_node *n = &f->nodes[i];
	unsigned c;

	switch (n->kind) {
	case FILTER_AND:
		for (c = n->first; c != FILTER_NONE; c = f->nodes[c].next)
			if (!filter_eval(f, c, rec, local_host))
				return (false);
		return (true);
	case FILTER_OR:
		for (c = n->first; c != FILTER_NONE; c = f->nodes[c].next)
			if (filter_eval(f, c, rec, local_host))
				return (true);
		return (false);
	case FILTER_NOT:
		return (!filter_eval(f, n->first, rec, local_host));
	case FILTER_TEST:
		break;
	}
	return (filter_eval_test(f, n, rec, local_host));
}

bool
filter_match(const struct filter *f, const struct record *rec,
    const char *local_host)
{
	return (filter_eval(f, f->root, rec, local_host));
}
