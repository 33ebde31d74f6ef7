/* SPDX-License-Identifier: ISC */
/*
 * deferred.c: a connection's registered formats and the rendering of its
 * RECORD_ARGS frames (see deferred.h). All bounds are checked here: the
 * format table, its bytes, the rendered text (max_record, cut with a
 * marker), the structured arguments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deferred.h"
#include "render.h"

struct deferred_format {
	struct render_fmt parsed;
	size_t		 len;
	char		 text[];	/* the format, len bytes */
};

struct deferred {
	struct deferred_format *fmt[WIRE_MAX_FORMATS + 1];	/* by id */
	size_t		 bytes;		/* of the formats, for WIRE_FORMATS_BYTES */
	char		*buf;		/* rendered message, then arguments */
	size_t		 cap;
	struct render_value vals[RENDER_MAX_ARGS];
	struct record_arg args[RENDER_MAX_ARGS];
};

struct deferred *
deferred_new(void)
{
	return calloc(1, sizeof(struct deferred));
}

void
deferred_free(struct deferred *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i <= WIRE_MAX_FORMATS; i++)
		free(d->fmt[i]);
	free(d->buf);
	free(d);
}

int
deferred_register(struct deferred *d, const struct wire_format *wf,
    const char **why)
{
	struct deferred_format *f, *old = d->fmt[wf->id];
	size_t size = sizeof(*f) + wf->fmt_len;

	if (old != NULL) {
		d->bytes -= sizeof(*old) + old->len;
		free(old);
		d->fmt[wf->id] = NULL;
	}
	if (d->bytes + size > WIRE_FORMATS_BYTES + WIRE_MAX_FORMATS *
	    sizeof(*f)) {
		*why = "formats past WIRE_FORMATS_BYTES";
		return -1;
	}
	if ((f = malloc(size)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (render_parse(wf->fmt, wf->fmt_len, &f->parsed, why) == -1) {
		free(f);
		return -1;
	}
	memcpy(f->text, wf->fmt, wf->fmt_len);
	f->len = wf->fmt_len;
	d->fmt[wf->id] = f;
	d->bytes += size;
	return 0;
}

/* Room for a message of max_record bytes and its arguments. */
static int
deferred_reserve(struct deferred *d, size_t max_record)
{
	size_t cap = 2 * max_record + 64;
	char *p;

	if (d->cap >= cap)
		return 0;
	if ((p = realloc(d->buf, cap)) == NULL)
		return -1;
	d->buf = p;
	d->cap = cap;
	return 0;
}

/*
 * A message longer than max_record ends with "...[truncated N bytes]" and is
 * exactly max_record bytes long, N being how many rendered bytes are left
 * out: as libasynclog cuts a message it formats itself.
 */
static size_t
deferred_cut(char *msg, size_t full, size_t max_record)
{
	char marker[64];
	size_t mlen = 0;
	int i, n;

	if (full <= max_record)
		return full;
	/* The marker's length depends on N, which depends on it. */
	for (i = 0; i < 3; i++) {
		n = snprintf(marker, sizeof(marker), "...[truncated %zu bytes]",
		    full - (max_record - mlen));
		mlen = (size_t)n;
	}
	if (mlen > max_record)
		return max_record;	/* a limit too small for any marker */
	memcpy(msg + max_record - mlen, marker, mlen);
	return max_record;
}

/*
 * Argument a alone, for JSON: an integer in decimal (as a number), a
 * floating one with 17 significant digits (a number when finite), a
 * character, string or pointer as text. A one-conversion render_fmt is
 * built for it, so it goes through the same renderer.
 */
static size_t
deferred_arg(const struct deferred_format *f, const struct render_value *vals,
    unsigned a, char *out, size_t cap, bool *quoted)
{
	struct render_fmt one;
	const struct render_conv *c;
	unsigned i, first = 0, n;

	memset(&one, 0, offsetof(struct render_fmt, conv));
	one.nconv = 1;
	one.nargs = 1;
	for (i = 0; i < f->parsed.nconv; i++) {
		c = &f->parsed.conv[i];
		if (c->conv == '%')
			continue;
		n = 1 + c->width_star + c->prec_star;
		if (a < first + n)
			break;
		first += n;
	}
	if (i == f->parsed.nconv)
		return 0;
	one.conv[0] = (struct render_conv){ .conv = 'd', .len = RENDER_L_NONE,
	    .width = -1, .prec = -1 };
	if (a == first + n - 1) {
		/* the conversion's own argument ('*' ones are ints) */
		one.conv[0].conv = c->conv;
		one.conv[0].len = c->len;
		if (strchr("oxX", c->conv) != NULL)
			one.conv[0].conv = 'u';
		else if (strchr("fFeEgGaA", c->conv) != NULL) {
			one.conv[0].conv = 'g';
			one.conv[0].prec = 17;
		}
	}
	one.kind[0] = f->parsed.kind[a];
	*quoted = strchr("csp", one.conv[0].conv) != NULL ||
	    (one.conv[0].conv == 'g' && !isfinite(vals[a].v.d));
	return render_text("", &one, &vals[a], out, cap);
}

int
deferred_render(struct deferred *d, const struct wire_record_args *ra,
    size_t max_record, struct record *rec, const char **why)
{
	const struct deferred_format *f;
	size_t full, used, n, budget;
	unsigned i;
	bool quoted;

	if (ra->id == 0 || ra->id > WIRE_MAX_FORMATS ||
	    (f = d->fmt[ra->id]) == NULL) {
		*why = "RECORD_ARGS of an unknown format";
		return -1;
	}
	if (render_decode(&f->parsed, ra->args, ra->args_len, d->vals) == -1) {
		*why = "RECORD_ARGS arguments do not match the format";
		return -1;
	}
	if (deferred_reserve(d, max_record) == -1) {
		*why = "out of memory";
		return -1;
	}
	full = render_text(f->text, &f->parsed, d->vals, d->buf, max_record);
	rec->msg = d->buf;
	rec->msg_len = deferred_cut(d->buf, full, max_record);

	/* The structured form, while it stays within max_record in all. */
	rec->fmt = NULL;
	rec->nargs = 0;
	used = rec->msg_len;
	budget = max_record;
	if (used + f->len > budget)
		return 0;
	used += f->len;
	for (i = 0; i < f->parsed.nargs; i++) {
		n = deferred_arg(f, d->vals, i, d->buf + used, d->cap - used,
		    &quoted);
		/* 3: JSON's quotes and comma (format_max_len counts them) */
		if (n + 3 > budget - used || n > d->cap - used)
			return 0;
		d->args[i] = (struct record_arg){ d->buf + used, n, quoted };
		used += n + 3;
	}
	rec->fmt = f->text;
	rec->fmt_len = f->len;
	rec->args = d->args;
	rec->nargs = f->parsed.nargs;
	return 0;
}
