/* SPDX-License-Identifier: ISC */
/*
 * template.c: line and file name templates, "${field}" between literals.
 *
 * Compiled once when the configuration is loaded: the text becomes a list
 * of ops (a literal run, or a field with its escaping), checked so that
 * no literal can break a line or a name. Rendering walks the ops into the
 * caller's buffer: no allocation, no syscall, nothing parsed per record.
 * Every field comes from format_field(), which escapes client bytes, so a
 * template can rearrange a line but never let a client forge one.
 *
 * Grammar: "${name}" or "${name:modifier}", "$$" for a '$'. Modifiers:
 * time:rfc3164, time:unix, time:rfc3339 (the same as time), facility:num,
 * severity:num, and NAME:json on a text field for a JSON string body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

enum template_op_kind {
	OP_LITERAL,
	OP_FIELD,
};

struct template_op {
	enum template_op_kind	 kind;
	enum format_field	 field;
	enum format_escape	 esc;
	size_t			 off;	/* OP_LITERAL: in lits */
	size_t			 len;
};

struct template {
	char			*text;	/* as configured */
	enum template_use	 use;
	char			*lits;	/* every literal byte, in order */
	size_t			 nlits;
	struct template_op	*ops;
	size_t			 nops;
	size_t			 nclient;	/* fields holding client bytes */
	size_t			 nother;	/* numbers, names and times */
};

/*
 * The built-in templates; "text", "json" and "rfc5424" are format kinds of
 * their own (format.c), kept as hand-written code for speed.
 */
static const struct {
	const char	*name;
	const char	*text;
} template_builtins[] = {
	/* syslogd's and rsyslog's RSYSLOG_TraditionalFileFormat. */
	{ "traditional", "${time:rfc3164} ${host} ${msghdr}${message}" },
	/* The same with the priority, as RFC 3164 puts it on the wire. */
	{ "rfc3164", "<${pri}>${time:rfc3164} ${host} ${msghdr}${message}" },
};

/* A number or a name: never longer than this (a pid, "solaris-cron"). */
#define TEMPLATE_OTHER_MAX	64

const char *
template_builtin(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(template_builtins) /
	    sizeof(template_builtins[0]); i++) {
		if (strcmp(template_builtins[i].name, name) == 0)
			return template_builtins[i].text;
	}
	return NULL;
}

/* The escaping a field gets unless a modifier says otherwise: one word
 * for identifiers (a tag with a space would shift the next field). */
static enum format_escape
template_default_esc(enum format_field f)
{
	switch (f) {
	case FIELD_MESSAGE:
		return FORMAT_AS_TEXT;
	default:
		return FORMAT_AS_WORD;
	}
}

static int
template_add_op(struct template *t, const struct template_op *op,
    size_t *cap)
{
	struct template_op *nops;

	if (t->nops == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		if ((nops = reallocarray(t->ops, *cap, sizeof(*nops))) == NULL)
			return -1;
		t->ops = nops;
	}
	t->ops[t->nops++] = *op;
	return 0;
}

/* "name" or "name:modifier" (len bytes at s) -> field and escaping. */
static int
template_field(const char *s, size_t len, enum format_field *f,
    enum format_escape *esc)
{
	const char	*colon = memchr(s, ':', len);
	int		 v;

	if ((v = format_field_parse(s, len)) != -1) {
		*f = (enum format_field)v;
		*esc = template_default_esc(*f);
		return 0;
	}
	if (colon == NULL)
		return -1;
	if ((v = format_field_parse(s, (size_t)(colon - s))) == -1)
		return -1;
	*f = (enum format_field)v;
	if (len - (size_t)(colon - s) == 5 && memcmp(colon, ":json", 5) == 0 &&
	    format_field_client(*f) && *f != FIELD_MSGHDR &&
	    *f != FIELD_FIELDS) {
		*esc = FORMAT_AS_JSON;
		return 0;
	}
	if (*f == FIELD_TIME && len - (size_t)(colon - s) == 8 &&
	    memcmp(colon, ":rfc3339", 8) == 0) {
		*esc = FORMAT_AS_TEXT;
		return 0;
	}
	return -1;
}

/* What a literal byte may be: no control byte in a line (it would end or
 * garble it), and only the safe name characters in a file name. */
static bool
template_literal_ok(enum template_use use, unsigned char c)
{
	if (use == TEMPLATE_LINE)
		return c >= 0x20 && c != 0x7f;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '+' || c == '@';
}

static void
template_fields_list(char *buf, size_t len)
{
	size_t	i, o = 0;
	int	n;

	buf[0] = '\0';
	for (i = 0; i < FIELD_NFIELDS && o < len; i++) {
		n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    format_field_name((enum format_field)i));
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

struct template *
template_compile(const char *text, enum template_use use, char *err,
    size_t errlen)
{
	struct template		*t;
	struct template_op	 op;
	const char		*p, *end;
	char			 names[512];
	size_t			 cap = 0, lit_start;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->text = strdup(text)) == NULL ||
	    (t->lits = malloc(strlen(text) + 1)) == NULL) {
		template_free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->use = use;
	for (p = text; *p != '\0'; ) {
		if (*p != '$' || p[1] == '$') {
			if (!template_literal_ok(use, (unsigned char)*p)) {
				snprintf(err, errlen, "column %zu: %s", (size_t)
				    (p - text) + 1, use == TEMPLATE_LINE ?
				    "a control character cannot be part of a "
				    "line" : "a file name may hold only "
				    "letters, digits, '.', '_', '-', '+', '@' "
				    "and fields");
				goto fail;
			}
			lit_start = t->nlits;
			t->lits[t->nlits++] = *p;
			p += *p == '$' ? 2 : 1;
			/* Merge with the literal just before, if any. */
			if (t->nops > 0 && t->ops[t->nops - 1].kind ==
			    OP_LITERAL) {
				t->ops[t->nops - 1].len++;
				continue;
			}
			op = (struct template_op){ .kind = OP_LITERAL,
			    .off = lit_start, .len = 1 };
			if (template_add_op(t, &op, &cap) == -1)
				goto oom;
			continue;
		}
		if (p[1] != '{' || (end = strchr(p + 2, '}')) == NULL) {
			snprintf(err, errlen, "column %zu: '$' starts a field "
			    "\"${name}\" (write \"$$\" for a '$')",
			    (size_t)(p - text) + 1);
			goto fail;
		}
		op = (struct template_op){ .kind = OP_FIELD };
		if (template_field(p + 2, (size_t)(end - p - 2), &op.field,
		    &op.esc) == -1) {
			template_fields_list(names, sizeof(names));
			snprintf(err, errlen, "column %zu: unknown field "
			    "'%.*s' (fields: %s; modifiers: time:rfc3164, "
			    "time:unix, facility:num, severity:num, NAME:json)",
			    (size_t)(p - text) + 1, (int)(end - p - 2) > 64 ?
			    64 : (int)(end - p - 2), p + 2, names);
			goto fail;
		}
		/* A name holds no message, and no time: a file per second
		 * would be a new file for every record. */
		if (use == TEMPLATE_NAME && (op.field == FIELD_MESSAGE ||
		    op.field == FIELD_MSGHDR || op.field == FIELD_FIELDS ||
		    op.field == FIELD_TIME || op.field == FIELD_TIME_RFC3164 ||
		    op.field == FIELD_TIME_UNIX)) {
			snprintf(err, errlen, "column %zu: field '%s' cannot "
			    "be part of a file name", (size_t)(p - text) + 1,
			    format_field_name(op.field));
			goto fail;
		}
		if (format_field_client(op.field))
			t->nclient++;
		else
			t->nother++;
		if (template_add_op(t, &op, &cap) == -1)
			goto oom;
		p = end + 1;
	}
	return t;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	template_free(t);
	return NULL;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	free(t->text);
	free(t->lits);
	free(t->ops);
	free(t);
}

const char *
template_text(const struct template *t)
{
	return t->text;
}

bool
template_has_fields(const struct template *t)
{
	return t->nclient + t->nother > 0;
}

ssize_t
template_render(const struct template *t, const struct record *rec,
    const char *host, char *dst, size_t cap)
{
	const struct template_op	*op = t->ops, *end = t->ops + t->nops;
	size_t				 len = 0;
	ssize_t				 n;

	for (; op < end; op++) {
		if (op->kind == OP_LITERAL) {
			if (op->len > cap - len)
				return -1;
			memcpy(dst + len, t->lits + op->off, op->len);
			len += op->len;
			continue;
		}
		if ((n = format_field(op->field, op->esc, rec, host, dst + len,
		    cap - len)) < 0)
			return -1;
		len += (size_t)n;
	}
	if (len >= cap)
		return -1;
	dst[len++] = '\n';
	return (ssize_t)len;
}

/* Make the n bytes at p, one field's rendering, a safe part of a name. */
static void
template_sanitise(char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!template_literal_ok(TEMPLATE_NAME, (unsigned char)p[i]))
			p[i] = '_';
	}
	if (n > 0 && p[0] == '.')
		p[0] = '_';
}

ssize_t
template_render_name(const struct template *t, const struct record *rec,
    const char *host, char *dst, size_t cap)
{
	const struct template_op	*op = t->ops, *end = t->ops + t->nops;
	char				 part[TEMPLATE_PART_MAX + 1];
	size_t				 len = 0;
	ssize_t				 n;

	if (cap > TEMPLATE_NAME_MAX + 1)
		cap = TEMPLATE_NAME_MAX + 1;
	for (; op < end; op++) {
		if (op->kind == OP_LITERAL) {
			if (op->len >= cap - len)
				return -1;
			memcpy(dst + len, t->lits + op->off, op->len);
			len += op->len;
			continue;
		}
		/* Text escaping first: every byte that is not plain ASCII
		 * becomes a printable escape, which sanitising turns into
		 * '_'s, so distinct bad bytes still make distinct names
		 * where they differ in length. */
		n = format_field(op->field, FORMAT_AS_TEXT, rec, host, part,
		    sizeof(part));
		if (n <= 0 || (size_t)n > TEMPLATE_PART_MAX ||
		    (size_t)n >= cap - len)
			return -1;
		template_sanitise(part, (size_t)n);
		memcpy(dst + len, part, (size_t)n);
		len += (size_t)n;
	}
	if (len == 0 || len >= cap)
		return -1;
	dst[len] = '\0';
	return (ssize_t)len;
}

int
template_plain_name(const struct template *t, const char *word, char *dst,
    size_t cap)
{
	const struct template_op	*op;
	size_t				 len = 0, n;

	for (op = t->ops; op < t->ops + t->nops; op++) {
		n = op->kind == OP_LITERAL ? op->len : strlen(word);
		if (n >= cap - len)
			return -1;
		memcpy(dst + len, op->kind == OP_LITERAL ? t->lits + op->off :
		    word, n);
		len += n;
	}
	dst[len] = '\0';
	return 0;
}

void
template_affixes(const struct template *t, char *prefix, size_t pcap,
    char *suffix, size_t scap)
{
	const struct template_op *first = t->ops, *last = t->ops + t->nops - 1;

	prefix[0] = suffix[0] = '\0';
	if (t->nops > 0 && first->kind == OP_LITERAL)
		snprintf(prefix, pcap, "%.*s", (int)first->len,
		    t->lits + first->off);
	if (t->nops > 1 && last->kind == OP_LITERAL)
		snprintf(suffix, scap, "%.*s", (int)last->len,
		    t->lits + last->off);
}

/*
 * Each client field may be any record's bytes at their worst escaping,
 * which format_max_line() bounds for JSON, the widest; every other field
 * is a number, a name or a time.
 */
size_t
template_max_line(const struct template *t, size_t max_record)
{
	return t->nlits + 1 + t->nother * TEMPLATE_OTHER_MAX +
	    t->nclient * format_max_line(FORMAT_JSON, max_record);
}

ssize_t
template_line(enum format_kind kind, const struct template *t,
    const char *sd_id, const struct record *rec, const char *host,
    char *dst, size_t cap)
{
	if (t != NULL)
		return template_render(t, rec, host, dst, cap);
	return format_record(kind, sd_id, rec, host, dst, cap);
}
