/* SPDX-License-Identifier: ISC */
/*
 * fuzz_config.c: libFuzzer target for the configuration loader,
 * config_load_string(), with libconfig underneath.
 *
 * The input is the text of a configuration. Properties:
 *   - loading never crashes or leaks, accepted or not;
 *   - a rejected text has one message that names the file and, when there
 *     is a line to point at, the line: "fuzz.conf:LINE: reason" with LINE
 *     at least 1, or "fuzz.conf: reason" for a setting that is absent;
 *   - an accepted config keeps the invariants the daemon relies on (every
 *     value in its range, one chunk fits the worst line of every output,
 *     max_memory holds two chunks per output, names and paths unique);
 *   - it is a fixed point: written back as libconfig text with every
 *     setting explicit and loaded again, it is accepted and equal.
 * A text with "@include" is skipped: it would read files of this machine.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NAME	"fuzz.conf"

/* A growing string: the dump of a config. */
struct fuzz_text {
	char	*p;
	size_t	 len, cap;
};

static void __attribute__((format(printf, 2, 3)))
fuzz_printf(struct fuzz_text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (t->p == NULL) {
		t->cap = 4096;
		if ((t->p = malloc(t->cap)) == NULL)
			abort();
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = (t->cap + (size_t)n) * 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL)
			abort();
	}
	t->len += (size_t)n;
}

/* key = "value"; with libconfig's string escapes. */
static void
fuzz_put_str(struct fuzz_text *t, const char *key, const char *s)
{
	const unsigned char	*p;

	fuzz_printf(t, "%s = \"", key);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p < 0x20 || *p >= 0x7f)
			fuzz_printf(t, "\\x%02x", *p);
		else
			fuzz_printf(t, "%c", *p);
	}
	fuzz_printf(t, "\";\n");
}

/* Every setting of c, explicit, in the syntax config.c reads. */
static void
fuzz_dump(const struct config *c, struct fuzz_text *t)
{
	static const char *const syncs[] = { "never", "interval", "always" };
	const struct config_output	*o;
	size_t				 i;

	t->len = 0;
	fuzz_printf(t, "listen = {\n");
	fuzz_put_str(t, "socket", c->socket);
	fuzz_put_str(t, "syslog_stream", c->syslog_stream != NULL ?
	    c->syslog_stream : "");
	fuzz_put_str(t, "syslog_dgram", c->syslog_dgram != NULL ?
	    c->syslog_dgram : "");
	fuzz_printf(t, "socket_mode = \"%04o\";\n", (unsigned)c->socket_mode);
	fuzz_printf(t, "max_clients = %u;\n};\n", c->max_clients);
	fuzz_printf(t, "buffer = {\nchunk_size = \"%zu\";\n"
	    "max_memory = \"%zu\";\nflush_interval_ms = %u;\n"
	    "overflow = \"%s\";\nstall_timeout_ms = %u;\n"
	    "max_record = \"%zu\";\n};\n", c->chunk_size, c->max_memory,
	    c->flush_interval_ms, c->overflow == OVERFLOW_DROP ? "drop" :
	    "backpressure", c->stall_timeout_ms, c->max_record);
	fuzz_printf(t, "shutdown = { drain_timeout_ms = %u; };\n",
	    c->drain_timeout_ms);
	fuzz_printf(t, "ratelimit = { interval_ms = %u; burst = %u; };\n",
	    c->ratelimit_interval_ms, c->ratelimit_burst);
	fuzz_printf(t, "format = {\n");
	fuzz_put_str(t, "sd_id", c->sd_id);
	fuzz_printf(t, "};\noutputs = (\n");
	for (i = 0; i < c->noutputs; i++) {
		o = &c->outputs[i];
		fuzz_printf(t, "%s{\n", i > 0 ? ", " : "");
		fuzz_put_str(t, "name", o->name);
		fuzz_put_str(t, "path", o->path);
		fuzz_put_str(t, "format", format_name(o->format));
		fuzz_put_str(t, "match", o->match);
		fuzz_put_str(t, "sync", syncs[o->sync]);
		fuzz_printf(t, "sync_interval_ms = %u;\n", o->sync_interval_ms);
		if (o->keep_free_percent > 0)
			fuzz_printf(t, "keep_free = \"%u%%\";\n",
			    o->keep_free_percent);
		else
			fuzz_printf(t, "keep_free = \"%ju\";\n",
			    (uintmax_t)o->keep_free_bytes);
		fuzz_printf(t, "rotate = { size = \"%ju\"; age = \"%ju\"; "
		    "keep = %u; compress = \"%s\"; };\n",
		    (uintmax_t)o->rotate_size, (uintmax_t)o->rotate_age_s,
		    o->rotate_keep, o->rotate_compress ? "zstd" : "none");
		fuzz_printf(t, "file_mode = \"%04o\";\n", (unsigned)o->file_mode);
		fuzz_put_str(t, "owner", o->owner != NULL ? o->owner : "");
		fuzz_put_str(t, "group", o->group != NULL ? o->group : "");
		fuzz_printf(t, "}\n");
	}
	fuzz_printf(t, ");\n");
}

static bool
fuzz_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Are a and b the same configuration (where each came from aside)? */
static void
fuzz_check_equal(const struct config *a, const struct config *b,
    const char *dump)
{
	const struct config_output	*x, *y;
	size_t				 i;

#define SAME(f)	FUZZ_CHECK(a->f == b->f, #f " differs after reload:\n%s", dump)
#define SAMES(f) FUZZ_CHECK(fuzz_streq(a->f, b->f), \
	    #f " differs after reload:\n%s", dump)
	SAMES(socket);
	SAMES(syslog_stream);
	SAMES(syslog_dgram);
	SAME(socket_mode);
	SAME(chunk_size);
	SAME(max_memory);
	SAME(flush_interval_ms);
	SAME(overflow);
	SAME(stall_timeout_ms);
	SAME(max_record);
	SAME(max_clients);
	SAME(drain_timeout_ms);
	SAME(ratelimit_interval_ms);
	SAME(ratelimit_burst);
	SAMES(sd_id);
	SAME(noutputs);
#undef SAME
#undef SAMES
	for (i = 0; i < a->noutputs; i++) {
		x = &a->outputs[i];
		y = &b->outputs[i];
#define SAME(f)	FUZZ_CHECK(x->f == y->f, "output %zu: " #f \
	    " differs after reload:\n%s", i, dump)
#define SAMES(f) FUZZ_CHECK(fuzz_streq(x->f, y->f), "output %zu: " #f \
	    " differs after reload:\n%s", i, dump)
		SAMES(name);
		SAMES(path);
		SAME(format);
		SAMES(match);
		FUZZ_CHECK(memcmp(&x->selector, &y->selector,
		    sizeof x->selector) == 0, "output %zu: selector differs", i);
		SAME(sync);
		SAME(sync_interval_ms);
		SAME(keep_free_bytes);
		SAME(keep_free_percent);
		SAME(rotate_size);
		SAME(rotate_age_s);
		SAME(rotate_keep);
		SAME(rotate_compress);
		SAME(file_mode);
		SAMES(owner);
		SAMES(group);
		SAMES(sd_id);
#undef SAME
#undef SAMES
	}
}

/* What the daemon takes for granted in any config the loader returns. */
static void
fuzz_check_invariants(const struct config *c)
{
	const struct config_output	*o;
	size_t				 i, j;

	FUZZ_CHECK(c->socket != NULL && *c->socket != '\0', "no socket");
	FUZZ_CHECK(c->chunk_size >= 4096 && c->chunk_size <= 64 << 20,
	    "chunk_size %zu", c->chunk_size);
	FUZZ_CHECK(c->max_record >= 1, "max_record 0");
	FUZZ_CHECK(c->noutputs >= 1 && c->outputs != NULL, "no outputs");
	FUZZ_CHECK(c->max_memory / 2 / c->chunk_size >= c->noutputs,
	    "max_memory %zu for %zu outputs of %zu", c->max_memory,
	    c->noutputs, c->chunk_size);
	FUZZ_CHECK(format_sd_id_valid(c->sd_id), "sd_id %s", c->sd_id);
	FUZZ_CHECK(c->socket_mode <= 07777, "socket_mode %o",
	    (unsigned)c->socket_mode);
	for (i = 0; i < c->noutputs; i++) {
		o = &c->outputs[i];
		FUZZ_CHECK(format_max_line(o->format, c->max_record) <=
		    c->chunk_size, "output %s: max_record %zu does not fit "
		    "chunk_size %zu", o->name, c->max_record, c->chunk_size);
		FUZZ_CHECK(o->name != NULL && *o->name != '\0' &&
		    o->path != NULL && *o->path != '\0' && o->match != NULL,
		    "output %zu: no name, path or match", i);
		FUZZ_CHECK(o->file_mode <= 07777 && o->keep_free_percent < 100,
		    "output %s: mode %o, keep_free %u%%", o->name,
		    (unsigned)o->file_mode, o->keep_free_percent);
		FUZZ_CHECK(strcmp(o->sd_id, c->sd_id) == 0,
		    "output %s: sd_id %s, not %s", o->name, o->sd_id, c->sd_id);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(o->name, c->outputs[j].name) != 0 &&
			    strcmp(o->path, c->outputs[j].path) != 0,
			    "outputs %zu and %zu share a name or path", j, i);
	}
}

/* "fuzz.conf:LINE: reason" with LINE >= 1, or "fuzz.conf: reason". */
static void
fuzz_check_error(const char *err)
{
	const char	*p = err + strlen(FUZZ_NAME);
	long		 line;
	char		*end;

	FUZZ_CHECK(strncmp(err, FUZZ_NAME, strlen(FUZZ_NAME)) == 0,
	    "error does not name the file: \"%s\"", err);
	if (p[0] == ':' && p[1] >= '0' && p[1] <= '9') {
		line = strtol(p + 1, &end, 10);
		FUZZ_CHECK(line >= 1, "error at line %ld: \"%s\"", line, err);
		p = end;
	}
	FUZZ_CHECK(p[0] == ':' && p[1] == ' ' && p[2] != '\0' && p[2] != ' ',
	    "error without a reason: \"%s\"", err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_text	 dump;
	struct config		*c, *c2;
	char			*text, err[1024];

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (strcasestr(text, "include") != NULL) {
		free(text);
		return 0;
	}

	err[0] = '\0';
	c = config_load_string(text, FUZZ_NAME, err, sizeof err);
	free(text);
	if (c == NULL) {
		fuzz_check_error(err);
		return 0;
	}
	fuzz_check_invariants(c);

	fuzz_dump(c, &dump);
	err[0] = '\0';
	c2 = config_load_string(dump.p, FUZZ_NAME, err, sizeof err);
	FUZZ_CHECK(c2 != NULL, "the dump of an accepted config is refused: "
	    "%s\n%s", err, dump.p);
	fuzz_check_equal(c, c2, dump.p);
	config_free(c2);
	config_free(c);
	return 0;
}
