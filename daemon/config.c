/* SPDX-License-Identifier: ISC */
/*
 * config.c: read asynclogd.conf with libconfig and turn it into a validated
 * struct config. Every default lives here, and every check happens here, so
 * the rest of the daemon can trust what it is given.
 *
 * Runs at start-up and on SIGHUP, never on the hot path. An error stops the
 * load with one message, "file:line: what is wrong", naming the line of the
 * setting at fault; the caller decides whether that is fatal (start-up) or
 * means "keep the old config" (reload).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "kafkalib.h"

#define CONFIG_MIN_CHUNK	(4ULL << 10)
#define CONFIG_MAX_CHUNK	(64ULL << 20)
#define CONFIG_MAX_MS		(24U * 3600 * 1000)	/* more is a typo */
#define CONFIG_MAX_CLIENTS	1000000U
#define CONFIG_MAX_KEEP		10000U
#define CONFIG_MAX_ERRORS	20	/* reported by one load */
#define CONFIG_MAX_INCLUDES	256	/* *.conf files in include_dir */
#define CONFIG_MAX_OPEN_FILES	4096U	/* per output with a path template */

/*
 * Every default, each written once: a load starts from config_default and
 * each output from config_output_default, and a key in the file overrides.
 * The one default that moves is max_record: left unset, it shrinks to the
 * largest that fits a smaller chunk_size (config_check_chunk()).
 * chunk_size is 512K so that a 64K record fits one chunk however its bytes
 * escape in every format (JSON, the worst, needs about 390K).
 */
#define CONFIG_DEFAULT_MATCH	"*.*"
static const struct config config_default = {
	.socket_mode = 0666,
	.max_clients = 10240,
	.max_clients_per_user = 0,	/* a quarter of max_clients */
	.frame_timeout_ms = 10000,
	.client_memory = 32 << 20,
	.chunk_size = 512 << 10,
	.max_memory = 64 << 20,
	.flush_interval_ms = 200,
	.overflow = OVERFLOW_BACKPRESSURE,
	.stall_timeout_ms = 1000,
	.max_record = 64 << 10,
	.drain_timeout_ms = 5000,
	.ratelimit_interval_ms = 5000,
	.ratelimit_burst = 0,		/* no limit */
	.sd_id = FORMAT_SD_ID_DEFAULT,
	.budget_max_use = 0,		/* no disk budget */
	.budget_interval_ms = 1000,
	.stats_interval_s = 15,		/* node_exporter's usual scrape */
};
static const struct config_output config_output_default = {
	.format = FORMAT_TEXT,
	.max_open_files = 64,
	.sync = SYNC_INTERVAL,
	.sync_interval_ms = 1000,
	.rotate_keep = 10,
	.rotate_compress = false,
	.file_mode = 0640,
	.spool_max_size = 1ULL << 30,
	.spool_sync = SYNC_NEVER,
};

const char config_builtin[] =
	"# Built-in default: everything under the current directory, so\n"
	"# asynclogd runs without root and without a config file.\n"
	"listen = {\n"
	"\tsocket = \"var/asynclog.sock\";\n"
	"};\n"
	"outputs = (\n"
	"\t{ name = \"main\"; path = \"var/log/main.log\";\n"
	"\t  format = \"text\"; }\n"
	");\n";

/* One included file, parsed on its own (config_load_includes()). */
struct config_src {
	char		*file;
	config_t	 cf;
};

/* State of one load: where errors go and what to call the source. */
struct config_ctx {
	const char	*file;		/* name for messages */
	const char	*where;		/* "output 'main': " or "" */
	char		 where_buf[128];
	char		*err;		/* every error, one per line */
	size_t		 errlen;
	unsigned	 nerrors;
	const config_setting_t *templates;	/* templates = { ... } */
};

static int	config_load_includes(struct config_ctx *,
		    const config_setting_t *, const char *,
		    struct config_src **, size_t *);
static int	config_error_at(struct config_ctx *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/*
 * Each error is a line of its own after the ones before it, so that -t can
 * show all it found; a load that goes on past an error only ever reports,
 * never uses, what it read. file NULL means msg already names its place.
 */
static void
config_append(struct config_ctx *ctx, const char *file, int line,
    const char *msg)
{
	size_t	used;

	if (ctx->errlen == 0 || ctx->nerrors++ > CONFIG_MAX_ERRORS)
		return;
	used = strlen(ctx->err);
	if (used > 0 && used + 1 < ctx->errlen)
		ctx->err[used++] = '\n';
	if (ctx->nerrors > CONFIG_MAX_ERRORS)
		snprintf(ctx->err + used, ctx->errlen - used, "%s: more than "
		    "%d errors; stopping", ctx->file, CONFIG_MAX_ERRORS);
	else if (file == NULL)
		snprintf(ctx->err + used, ctx->errlen - used, "%s", msg);
	else if (line > 0)
		snprintf(ctx->err + used, ctx->errlen - used, "%s:%d: %s%s",
		    file, line, ctx->where, msg);
	else
		snprintf(ctx->err + used, ctx->errlen - used, "%s: %s%s",
		    file, ctx->where, msg);
}

/* An error at setting s ("file:line: ..."); a setting that is absent has
 * no line: the message names the file only. Returns -1. */
static int __attribute__((format(printf, 3, 4)))
config_error(struct config_ctx *ctx, const config_setting_t *s,
    const char *fmt, ...)
{
	const char	*file = NULL;
	char		 msg[512];
	va_list		 ap;
	int		 line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s != NULL) {
		line = config_setting_source_line(s);
		file = config_setting_source_file(s);	/* set for @include */
	}
	config_append(ctx, file != NULL ? file : ctx->file, line, msg);
	return (-1);
}

/* An error at a given file and line (0: none); file NULL: fmt says it all. */
static int __attribute__((format(printf, 4, 5)))
config_error_at(struct config_ctx *ctx, const char *file, int line,
    const char *fmt, ...)
{
	const char	*where = ctx->where;
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ctx->where = "";
	config_append(ctx, file, line, msg);
	ctx->where = where;
	return (-1);
}

/* "buffer" and "chunk_size" -> "buffer.chunk_size"; output keys stand alone. */
static const char *
config_key(const char *section, const char *key, char *buf, size_t len)
{
	if (*section == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", section, key);
	return (buf);
}

/*
 * Human-readable size for messages: "64K" rather than "65536", so the text
 * matches what the administrator wrote.
 */
static const char *
config_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char	 units[] = "KMGT";
	int			 u = -1;

	while (u < 3 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u == -1)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	return (buf);
}

/* The leading decimal digits of *p, without overflow; *p moves past them. */
static int
config_parse_digits(const char **pp, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;

	if (!isdigit((unsigned char)*p))
		return (-1);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return (0);
}

int
config_parse_size(const char *s, uint64_t *out)
{
	uint64_t	 v = 0, mul = 1;
	const char	*p = s;

	if (config_parse_digits(&p, &v) == -1)
		return (-1);
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'G':
		mul = 1ULL << 30;
		break;
	case 'T':
		mul = 1ULL << 40;
		break;
	default:
		return (-1);
	}
	if (*p != '\0' && p[1] != '\0')
		return (-1);
	if (v > UINT64_MAX / mul)
		return (-1);
	*out = v * mul;
	return (0);
}

int
config_parse_duration(const char *s, uint64_t *out)
{
	uint64_t	 v = 0, mul = 1;
	const char	*p = s;

	if (config_parse_digits(&p, &v) == -1)
		return (-1);
	switch (*p) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return (-1);
	}
	if (*p != '\0' && p[1] != '\0')
		return (-1);
	if (v > UINT64_MAX / mul)
		return (-1);
	*out = v * mul;
	return (0);
}

/*
 * Levenshtein distance of a and b, up to 3 (more is "not a typo"): enough
 * to say "did you mean 'size'?" for "sise" without a dictionary.
 */
static unsigned
config_distance(const char *a, const char *b)
{
	unsigned	 row[64], prev, tmp, best;
	size_t		 la = strlen(a), lb = strlen(b), i, j;

	if (la >= 64 || lb >= 64 || (la > lb ? la - lb : lb - la) > 3)
		return (4);
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
			if (row[j] < best)
				best = row[j];
		}
		if (best > 3)
			return (4);
	}
	return (row[lb]);
}

/*
 * Reject any key a group does not know, naming each one and the known key
 * it is closest to. libconfig would silently ignore a misspelt
 * "rotate.sise", and the administrator would wonder why nothing rotates.
 * Returns -1 when any key is unknown: the caller stops reading that
 * group, so a misspelt required key ("nme") is named as unknown and not
 * reported a second time as missing.
 */
static int
config_check_keys(struct config_ctx *ctx, const config_setting_t *group,
    const char *section, const char *const *known)
{
	const config_setting_t	*s;
	const char		*name, *near;
	char			 hint[96];
	unsigned		 d, bestd;
	int			 i, n, unknown = 0;
	size_t			 k;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		name = config_setting_name(s);
		near = NULL;
		bestd = 3;
		for (k = 0; known[k] != NULL; k++) {
			if (strcmp(known[k], name) == 0)
				break;
			if ((d = config_distance(name, known[k])) < bestd ||
			    (near == NULL && d <= 2 && d < strlen(name))) {
				bestd = d;
				near = known[k];
			}
		}
		if (known[k] != NULL)
			continue;
		unknown++;
		hint[0] = '\0';
		if (near != NULL && config_setting_get_member(group,
		    near) == NULL)
			snprintf(hint, sizeof hint, " (did you mean '%s'?)",
			    near);
		if (section == NULL)
			config_error(ctx, s, "unknown key '%s'%s", name, hint);
		else
			config_error(ctx, s, "unknown key '%s' in %s%s", name,
			    section, hint);
	}
	return (unknown > 0 ? -1 : 0);
}

/* Look up a group member that must be a group (or list) when present. */
static int
config_get_group(struct config_ctx *ctx, const config_setting_t *parent,
    const char *key, int type, config_setting_t **out)
{
	config_setting_t	*s;

	*out = NULL;
	if ((s = config_setting_get_member(parent, key)) == NULL)
		return (0);
	if (config_setting_type(s) != type) {
		return (config_error(ctx, s, "%s must be %s", key,
		    type == CONFIG_TYPE_GROUP ? "a group { ... }" :
		    "a list ( ... )"));
	}
	*out = s;
	return (0);
}

/*
 * The typed getters below return 1 when the key is set and valid, 0 when it
 * is absent (the caller keeps its default), -1 on error. They take the
 * section name only to say "buffer.chunk_size" in messages.
 */
static int
config_get_string(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, config_setting_t **sp,
    const char **out)
{
	config_setting_t	*s;
	char			 k[64];

	if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
		return (0);
	if (sp != NULL)
		*sp = s;
	config_key(section, key, k, sizeof k);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (config_error(ctx, s, "%s must be a string", k));
	*out = config_setting_get_string(s);
	return (1);
}

static int
config_get_uint(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, unsigned min, unsigned max,
    unsigned *out)
{
	config_setting_t	*s;
	long long		 v;
	char			 k[64];

	if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
		return (0);
	config_key(section, key, k, sizeof k);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return (config_error(ctx, s, "%s must be an integer", k));
	v = config_setting_get_int64(s);
	if (v < (long long)min || v > (long long)max) {
		return (config_error(ctx, s, "%s must be between %u and %u, "
		    "not %lld", k, min, max, v));
	}
	*out = (unsigned)v;
	return (1);
}

/*
 * A size or a duration: a string for parse(), or a plain non-negative
 * integer (bytes, seconds). what and example only feed messages.
 */
static int
config_get_scaled(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, int (*parse)(const char *,
    uint64_t *), const char *what, const char *example,
    config_setting_t **sp, uint64_t *out)
{
	config_setting_t	*s;
	const char		*str = NULL;
	long long		 v;
	char			 k[64];

	if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
		return (0);
	if (sp != NULL)
		*sp = s;
	config_key(section, key, k, sizeof k);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		if (parse(str, out) == -1) {
			return (config_error(ctx, s, "%s: bad %s '%s' (such as "
			    "\"%s\")", k, what, str, example));
		}
		return (1);
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if ((v = config_setting_get_int64(s)) < 0)
			return (config_error(ctx, s, "%s is negative", k));
		*out = (uint64_t)v;
		return (1);
	default:
		return (config_error(ctx, s, "%s must be a %s such as \"%s\"",
		    k, what, example));
	}
}

/* "64K", "10M", or a plain number of bytes. */
static int
config_get_size(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, config_setting_t **sp,
    uint64_t *out)
{
	return (config_get_scaled(ctx, g, section, key, config_parse_size,
	    "size", "64K", sp, out));
}

/* "30s", "5m", "1h", "7d", or a plain number of seconds. */
static int
config_get_duration(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, uint64_t *out)
{
	return (config_get_scaled(ctx, g, section, key, config_parse_duration,
	    "duration", "7d", NULL, out));
}

/* Decimal 640 -> 0640; -1 when a digit is 8 or 9 or it is above 07777. */
static long long
config_octal_digits(long long v)
{
	long long	r = 0, place = 1;

	if (v < 0)
		return (-1);
	for (; v != 0; v /= 10, place *= 8) {
		if (v % 10 > 7 || place > 07777)
			return (-1);
		r += (v % 10) * place;
	}
	return (r);
}

/*
 * A file mode, best written as the string "0640". An integer is accepted
 * too, and its decimal digits are read as octal ones (640 and 0640 both
 * mean 0640): libconfig 1.5 reads the literal 0640 as decimal 640, and
 * taking that value as it is would silently give mode 01200, sticky and
 * write-only. A hexadecimal literal is no exception (0x280 is 640, so
 * 0640). Only where libconfig itself reads octal literals (it marks them
 * CONFIG_FORMAT_OCT, from 1.7) is such a literal's value taken as it is.
 */
static int
config_get_mode(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, mode_t *out)
{
	config_setting_t	*s;
	const char		*str, *p;
	long long		 v = 0;
	char			 k[64];

	if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
		return (0);
	config_key(section, key, k, sizeof k);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		for (p = str; *p >= '0' && *p <= '7' && v <= 07777; p++)
			v = v * 8 + (*p - '0');
		if (p == str || *p != '\0' || v > 07777) {
			return (config_error(ctx, s, "%s: bad mode '%s' "
			    "(octal, such as \"0640\")", k, str));
		}
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
#ifdef CONFIG_FORMAT_OCT
		if (config_setting_get_format(s) != CONFIG_FORMAT_OCT)
			v = config_octal_digits(v);
#else
		v = config_octal_digits(v);
#endif
		if (v < 0 || v > 07777) {
			return (config_error(ctx, s, "%s: bad mode %lld "
			    "(octal, such as \"0640\")", k,
			    config_setting_get_int64(s)));
		}
		break;
	default:
		return (config_error(ctx, s, "%s must be an octal string "
		    "such as \"0640\"", k));
	}
	*out = (mode_t)v;
	return (1);
}

/* One of a fixed set of words; *out is its index in words. */
static int
config_get_enum(struct config_ctx *ctx, const config_setting_t *g,
    const char *section, const char *key, const char *const *words,
    const char *expect, int *out)
{
	config_setting_t	*s;
	const char		*str = NULL;
	char			 k[64];
	int			 i, r;

	if ((r = config_get_string(ctx, g, section, key, &s, &str)) != 1)
		return (r);
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], str) == 0) {
			*out = i;
			return (1);
		}
	}
	return (config_error(ctx, s, "%s: unknown value '%s' (%s)",
	    config_key(section, key, k, sizeof k), str, expect));
}

/* strdup that reports its failure the same way as any other error. */
static int
config_strdup(struct config_ctx *ctx, const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL) {
		ctx->where = "";
		config_error(ctx, NULL, "out of memory");
		return (-1);
	}
	return (0);
}

/*
 * A socket path: must fit sun_path with its NUL. "" means "no such socket"
 * for the optional ones (NULL in struct config).
 */
static int
config_get_socket(struct config_ctx *ctx, const config_setting_t *listen,
    const char *key, bool required, char **out)
{
	config_setting_t	*s = NULL;
	const char		*str = NULL;
	int			 r;

	*out = NULL;
	if ((r = config_get_string(ctx, listen, "listen", key, &s, &str)) == -1)
		return (-1);
	if (r == 0 || *str == '\0') {
		if (!required)
			return (0);
		return (config_error(ctx, s != NULL ? s : listen,
		    "listen.%s is required", key));
	}
	if (strlen(str) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		return (config_error(ctx, s, "listen.%s: path longer than %zu "
		    "bytes", key,
		    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1));
	}
	return (config_strdup(ctx, str, out));
}

/*
 * listen.kmsg: true for /dev/kmsg, false or "" for none, or the device's
 * path; listen.kmsg_state: where its sequence number is kept (defaulted
 * once the outputs are known, config_check_kmsg()).
 */
static int
config_load_kmsg(struct config_ctx *ctx, const config_setting_t *listen,
    struct config *c)
{
	config_setting_t	*s;
	const char		*str = NULL;
	int			 r;

	if ((s = config_setting_get_member(listen, "kmsg")) != NULL) {
		if (config_setting_type(s) == CONFIG_TYPE_BOOL)
			str = config_setting_get_bool(s) ? "/dev/kmsg" : "";
		else if (config_setting_type(s) == CONFIG_TYPE_STRING)
			str = config_setting_get_string(s);
		else
			return (config_error(ctx, s, "listen.kmsg must be true, "
			    "false or the path of the kernel log device"));
		if (*str != '\0' && config_strdup(ctx, str, &c->kmsg) == -1)
			return (-1);
	}
	if ((r = config_get_string(ctx, listen, "listen", "kmsg_state", &s,
	    &str)) == -1)
		return (-1);
	if (r == 1 && *str != '\0' &&
	    config_strdup(ctx, str, &c->kmsg_state) == -1)
		return (-1);
	return (0);
}

static int
config_load_listen(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "socket", "syslog_stream",
	    "syslog_dgram", "journal", "kmsg", "kmsg_state", "socket_mode",
	    "max_clients", "max_clients_per_user", "frame_timeout_ms", "tcp",
	    "tls", "udp", "relp", "tls_server", "max_clients_per_peer", NULL };
	config_setting_t	*listen;
	const char		*paths[4];
	const char		*keys[4] = { "socket", "syslog_stream",
				    "syslog_dgram", "journal" };
	int			 i, j;

	if (config_get_group(ctx, root, "listen", CONFIG_TYPE_GROUP,
	    &listen) == -1)
		return (-1);
	if (listen == NULL)
		return (config_error(ctx, NULL, "listen.socket is required"));
	if (config_check_keys(ctx, listen, "listen", known) == -1)
		return (-1);

	if (config_get_socket(ctx, listen, "socket", true, &c->socket) == -1 ||
	    config_get_socket(ctx, listen, "syslog_stream", false,
	    &c->syslog_stream) == -1 ||
	    config_get_socket(ctx, listen, "syslog_dgram", false,
	    &c->syslog_dgram) == -1 ||
	    config_get_socket(ctx, listen, "journal", false,
	    &c->journal) == -1 ||
	    config_load_kmsg(ctx, listen, c) == -1)
		return (-1);
	if (config_get_mode(ctx, listen, "listen", "socket_mode",
	    &c->socket_mode) == -1)
		return (-1);
	if (config_get_uint(ctx, listen, "listen", "max_clients", 1,
	    CONFIG_MAX_CLIENTS, &c->max_clients) == -1)
		return (-1);
	if (config_get_uint(ctx, listen, "listen", "max_clients_per_user", 1,
	    CONFIG_MAX_CLIENTS, &c->max_clients_per_user) == -1)
		return (-1);
	if (config_get_uint(ctx, listen, "listen", "frame_timeout_ms", 1,
	    CONFIG_MAX_MS, &c->frame_timeout_ms) == -1)
		return (-1);
	if (config_get_uint(ctx, listen, "listen", "max_clients_per_peer", 1,
	    CONFIG_MAX_CLIENTS, &c->max_clients_per_peer) == -1)
		return (-1);

	/* Two listeners on one path: the second bind would unlink the first. */
	paths[0] = c->socket;
	paths[1] = c->syslog_stream;
	paths[2] = c->syslog_dgram;
	paths[3] = c->journal;
	for (i = 0; i < 4; i++) {
		for (j = i + 1; j < 4; j++) {
			if (paths[i] == NULL || paths[j] == NULL ||
			    strcmp(paths[i], paths[j]) != 0)
				continue;
			return (config_error(ctx,
			    config_setting_get_member(listen, keys[j]),
			    "listen.%s is the same path as listen.%s",
			    keys[j], keys[i]));
		}
	}
	return (0);
}

static int
config_load_buffer(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "chunk_size", "max_memory",
	    "flush_interval_ms", "overflow", "max_record",
	    "stall_timeout_ms", "client_memory", NULL };
	static const char *const overflows[] = { "backpressure", "drop", NULL };
	config_setting_t	*buffer, *s = NULL;
	uint64_t		 v;
	int			 r, overflow;
	char			 a[32], b[32], d[32];

	if (config_get_group(ctx, root, "buffer", CONFIG_TYPE_GROUP,
	    &buffer) == -1)
		return (-1);
	if (buffer != NULL &&
	    config_check_keys(ctx, buffer, "buffer", known) == -1)
		return (-1);

	if ((r = config_get_size(ctx, buffer, "buffer", "chunk_size", &s,
	    &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v < CONFIG_MIN_CHUNK || v > CONFIG_MAX_CHUNK) {
			return (config_error(ctx, s, "buffer.chunk_size must "
			    "be between %s and %s, not %s",
			    config_fmt_size(CONFIG_MIN_CHUNK, a, sizeof a),
			    config_fmt_size(CONFIG_MAX_CHUNK, b, sizeof b),
			    config_setting_get_string(s) != NULL ?
			    config_setting_get_string(s) :
			    config_fmt_size(v, d, sizeof d)));
		}
		c->chunk_size = (size_t)v;
	}

	/* Checked against the outputs once they are known. */
	if ((r = config_get_size(ctx, buffer, "buffer", "max_memory", &s,
	    &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v > SIZE_MAX)
			return (config_error(ctx, s, "buffer.max_memory is "
			    "larger than this machine can address"));
		c->max_memory = (size_t)v;
	}

	if (config_get_uint(ctx, buffer, "buffer", "flush_interval_ms", 1,
	    CONFIG_MAX_MS, &c->flush_interval_ms) == -1)
		return (-1);

	if (config_get_enum(ctx, buffer, "buffer", "overflow", overflows,
	    "\"backpressure\" or \"drop\"", &overflow) == -1)
		return (-1);
	c->overflow = overflow == 1 ? OVERFLOW_DROP : OVERFLOW_BACKPRESSURE;

	if (config_get_uint(ctx, buffer, "buffer", "stall_timeout_ms", 1,
	    CONFIG_MAX_MS, &c->stall_timeout_ms) == -1)
		return (-1);

	/* Checked against max_record once it is known. */
	if ((r = config_get_size(ctx, buffer, "buffer", "client_memory", &s,
	    &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v > SIZE_MAX)
			return (config_error(ctx, s, "buffer.client_memory is "
			    "larger than this machine can address"));
		c->client_memory = (size_t)v;
	}

	/* Checked against chunk_size and the outputs' formats once those are
	 * known (config_check_chunk()). */
	if ((r = config_get_size(ctx, buffer, "buffer", "max_record", &s,
	    &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v == 0 || v > CONFIG_MAX_CHUNK)
			return (config_error(ctx, s, "buffer.max_record must be "
			    "between 1 and %s",
			    config_fmt_size(CONFIG_MAX_CHUNK, a, sizeof a)));
		c->max_record = (size_t)v;
	}
	return (0);
}

static int
config_load_shutdown(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "drain_timeout_ms", NULL };
	config_setting_t	*shutdown;

	if (config_get_group(ctx, root, "shutdown", CONFIG_TYPE_GROUP,
	    &shutdown) == -1)
		return (-1);
	if (shutdown == NULL)
		return (0);
	if (config_check_keys(ctx, shutdown, "shutdown", known) == -1)
		return (-1);
	if (config_get_uint(ctx, shutdown, "shutdown", "drain_timeout_ms", 0,
	    CONFIG_MAX_MS, &c->drain_timeout_ms) == -1)
		return (-1);
	return (0);
}

/*
 * format = { sd_id = "name@number"; }: the SD-ID of the daemon's own RFC
 * 5424 SD element. The default's 32473 is RFC 5612's number for examples;
 * a site should use its own IANA private enterprise number.
 */
static int
config_load_format(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "sd_id", NULL };
	config_setting_t	*format, *s = NULL;
	const char		*str;
	int			 r;

	if (config_get_group(ctx, root, "format", CONFIG_TYPE_GROUP,
	    &format) == -1)
		return (-1);
	if (format == NULL)
		return (0);
	if (config_check_keys(ctx, format, "format", known) == -1)
		return (-1);
	if ((r = config_get_string(ctx, format, "format", "sd_id", &s,
	    &str)) != 1)
		return (r);
	if (!format_sd_id_valid(str))
		return (config_error(ctx, s, "format.sd_id: bad SD-ID '%s' "
		    "(name@number such as \"asynclog@32473\", at most %d "
		    "bytes, no space, '=', ']' or '\"')", str,
		    FORMAT_SD_ID_MAX));
	snprintf(c->sd_id, sizeof c->sd_id, "%s", str);
	return (0);
}

/*
 * disk_budget = { max_use = "10G"; interval_ms = 1000; }: one cap on what
 * all file outputs' files and their rotated copies take (budget.h).
 */
static int
config_load_budget(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "max_use", "interval_ms", NULL };
	config_setting_t	*g, *s = NULL;
	int			 r;

	if (config_get_group(ctx, root, "disk_budget", CONFIG_TYPE_GROUP,
	    &g) == -1)
		return (-1);
	if (g == NULL)
		return (0);
	if (config_check_keys(ctx, g, "disk_budget", known) == -1)
		return (-1);
	if ((r = config_get_size(ctx, g, "disk_budget", "max_use", &s,
	    &c->budget_max_use)) == -1)
		return (-1);
	if (r == 0 || c->budget_max_use == 0)
		return (config_error(ctx, r == 0 ? g : s, "disk_budget.max_use "
		    "is required and above 0 (such as \"10G\")"));
	return (config_get_uint(ctx, g, "disk_budget", "interval_ms", 10,
	    CONFIG_MAX_MS, &c->budget_interval_ms) == -1 ? -1 : 0);
}

/* Per-sender rate limit; off (burst 0) unless configured. */
static int
config_load_ratelimit(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "interval_ms", "burst", NULL };
	config_setting_t	*rl;

	if (config_get_group(ctx, root, "ratelimit", CONFIG_TYPE_GROUP,
	    &rl) == -1)
		return (-1);
	if (rl == NULL)
		return (0);
	if (config_check_keys(ctx, rl, "ratelimit", known) == -1)
		return (-1);
	if (config_get_uint(ctx, rl, "ratelimit", "interval_ms", 1,
	    CONFIG_MAX_MS, &c->ratelimit_interval_ms) == -1 ||
	    config_get_uint(ctx, rl, "ratelimit", "burst", 0, 1000000000,
	    &c->ratelimit_burst) == -1)
		return (-1);
	return (0);
}

/*
 * stats = { file = PATH; interval = "15s"; log = BOOL; }: the counters
 * rewritten in Prometheus' text format for node_exporter's textfile
 * collector, and optionally a stats record in the log (statsfile.h).
 */
static int
config_load_stats(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "file", "interval", "log", NULL };
	config_setting_t	*g, *s = NULL;
	const char		*str;
	uint64_t		 secs = c->stats_interval_s;
	int			 r;

	if (config_get_group(ctx, root, "stats", CONFIG_TYPE_GROUP, &g) == -1)
		return (-1);
	if (g == NULL)
		return (0);
	if (config_check_keys(ctx, g, "stats", known) == -1)
		return (-1);
	if ((r = config_get_string(ctx, g, "stats", "file", &s, &str)) == -1)
		return (-1);
	if (r == 1) {
		if (str[0] != '/')
			return (config_error(ctx, s, "stats.file must be an "
			    "absolute path, not '%s'", str));
		if (config_strdup(ctx, str, &c->stats_file) == -1)
			return (-1);
	}
	if (config_get_duration(ctx, g, "stats", "interval", &secs) == -1)
		return (-1);
	if (secs < 1 || secs > 86400) {
		s = config_setting_get_member(g, "interval");
		return (config_error(ctx, s, "stats.interval must be between "
		    "1s and 1d"));
	}
	c->stats_interval_s = (unsigned)secs;
	if ((s = config_setting_get_member(g, "log")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return (config_error(ctx, s, "stats.log must be true "
			    "or false"));
		c->stats_log = config_setting_get_bool(s);
	}
	return (0);
}

static int
config_load_rotate(struct config_ctx *ctx, const config_setting_t *g,
    struct config_output *o)
{
	static const char *const known[] = { "size", "age", "keep", "compress",
	    NULL };
	static const char *const compressors[] = { "none", "zstd", NULL };
	config_setting_t	*rotate;
	int			 compress;

	if (config_get_group(ctx, g, "rotate", CONFIG_TYPE_GROUP,
	    &rotate) == -1)
		return (-1);
	if (rotate == NULL)
		return (0);
	if (config_check_keys(ctx, rotate, "rotate", known) == -1)
		return (-1);
	if (config_get_size(ctx, rotate, "rotate", "size", NULL,
	    &o->rotate_size) == -1)
		return (-1);
	if (config_get_duration(ctx, rotate, "rotate", "age",
	    &o->rotate_age_s) == -1)
		return (-1);
	if (config_get_uint(ctx, rotate, "rotate", "keep", 0, CONFIG_MAX_KEEP,
	    &o->rotate_keep) == -1)
		return (-1);
	compress = o->rotate_compress ? 1 : 0;
	if (config_get_enum(ctx, rotate, "rotate", "compress", compressors,
	    "\"zstd\" or \"none\"", &compress) == -1)
		return (-1);
	o->rotate_compress = compress == 1;
	return (0);
}

/* "5%" of the filesystem, or a size such as "1G". */
static int
config_load_keep_free(struct config_ctx *ctx, const config_setting_t *g,
    struct config_output *o)
{
	config_setting_t	*s;
	const char		*str, *p;
	unsigned		 pct = 0;

	if ((s = config_setting_get_member(g, "keep_free")) == NULL)
		return (0);
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		for (p = str; isdigit((unsigned char)*p) && pct < 100; p++)
			pct = pct * 10 + (unsigned)(*p - '0');
		if (p != str && *p == '%') {
			if (p[1] != '\0' || pct > 99) {
				return (config_error(ctx, s, "keep_free: bad "
				    "percentage '%s' (0%% to 99%%)", str));
			}
			o->keep_free_percent = pct;
			return (0);
		}
	}
	if (config_get_size(ctx, g, "", "keep_free", NULL,
	    &o->keep_free_bytes) == -1)
		return (-1);
	return (0);
}

/* Output names show up in stats and drop markers: keep them plain. */
static bool
config_valid_name(const char *name)
{
	const char	*p;

	if (*name == '\0')
		return (false);
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return (false);
	}
	return (true);
}

/* Keys that only make sense for one type of output. */
static const char *const config_file_keys[] = { "path", "sync",
    "sync_interval_ms", "keep_free", "rotate", "file_mode", "owner", "group",
    "fallback", "max_open_files", NULL };
static const char *const config_forward_keys[] = { "target", "protocol",
    "tls", "spool", NULL };
static const char *const config_kafka_keys[] = { "brokers", "topic", "key",
    "acks", "compression", "properties", NULL };
static const struct {
	enum config_output_type	 type;
	const char		*name;
	const char *const	*keys;
} config_type_keys[] = {
	{ CONFIG_OUTPUT_FILE, "file", config_file_keys },
	{ CONFIG_OUTPUT_FORWARD, "forward", config_forward_keys },
	{ CONFIG_OUTPUT_KAFKA, "kafka", config_kafka_keys },
};

/* A key of another type of output is a mistake worth naming. */
static int
config_check_type_keys(struct config_ctx *ctx, const config_setting_t *g,
    const struct config_output *o)
{
	config_setting_t	*s;
	const char		*mine = NULL, *theirs;
	size_t			 t, k;

	for (t = 0; t < sizeof(config_type_keys) /
	    sizeof(config_type_keys[0]); t++)
		if (config_type_keys[t].type == o->type)
			mine = config_type_keys[t].name;
	for (t = 0; t < sizeof(config_type_keys) /
	    sizeof(config_type_keys[0]); t++) {
		if (config_type_keys[t].type == o->type)
			continue;
		theirs = config_type_keys[t].name;
		for (k = 0; config_type_keys[t].keys[k] != NULL; k++) {
			if ((s = config_setting_get_member(g,
			    config_type_keys[t].keys[k])) == NULL)
				continue;
			if (config_type_keys[t].type == CONFIG_OUTPUT_FILE)
				return (config_error(ctx, s, "'%s' applies to "
				    "file outputs only, not to type \"%s\"",
				    config_type_keys[t].keys[k], mine));
			return (config_error(ctx, s, "'%s' applies to %s "
			    "outputs only (type = \"%s\")",
			    config_type_keys[t].keys[k], theirs, theirs));
		}
	}
	return (0);
}

/*
 * "host:port", "[v6 address]:port" -> a host (without brackets, allocated)
 * and a port from 1 to 65535; what names the setting in messages ("target",
 * "listen.tcp"). A forward target's name is resolved on the forwarder's
 * thread at each connection, not here: a collector's address may change,
 * and a lookup can block.
 */
static int
config_parse_hostport(struct config_ctx *ctx, config_setting_t *s,
    const char *what, const char *str, char **host_out, unsigned *port_out)
{
	const char	*colon, *host = str, *p;
	size_t		 hlen;
	uint64_t	 port;

	if (*str == '[') {
		host = str + 1;
		if ((p = strchr(host, ']')) == NULL || p[1] != ':')
			goto bad;
		hlen = (size_t)(p - host);
		colon = p + 1;
	} else {
		if ((colon = strrchr(str, ':')) == NULL)
			goto bad;
		hlen = (size_t)(colon - str);
		if (memchr(str, ':', hlen) != NULL)
			return (config_error(ctx, s, "%s '%s': an IPv6 "
			    "address goes in brackets, such as "
			    "\"[2001:db8::1]:6514\"", what, str));
	}
	if (hlen == 0 || hlen > 253)
		goto bad;
	for (p = host; p < host + hlen; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_' && !(*str == '[' && *p == ':'))
			goto bad;
	}
	p = colon + 1;
	if (config_parse_digits(&p, &port) == -1 || *p != '\0' ||
	    port == 0 || port > 65535)
		return (config_error(ctx, s, "%s '%s': bad port '%s' "
		    "(1 to 65535)", what, str, colon + 1));
	if ((*host_out = strndup(host, hlen)) == NULL) {
		ctx->where = "";
		return (config_error(ctx, NULL, "out of memory"));
	}
	*port_out = (unsigned)port;
	return (0);
bad:
	return (config_error(ctx, s, "bad %s '%s' (host:port, such as "
	    "\"logs.example.com:6514\" or \"[2001:db8::1]:514\")", what, str));
}

static int
config_parse_target(struct config_ctx *ctx, config_setting_t *s,
    const char *str, struct config_output *o)
{
	return (config_parse_hostport(ctx, s, "target", str, &o->host,
	    &o->port));
}

/* A file TLS needs: there, readable, checked now rather than at the first
 * connection, when all the administrator sees is a failed handshake.
 * section names the group in messages ("tls", "listen.tls_server"). */
static int
config_get_tls_file(struct config_ctx *ctx, const config_setting_t *tls,
    const char *section, const char *key, char **out)
{
	config_setting_t	*s = NULL;
	const char		*str;
	int			 r;

	if ((r = config_get_string(ctx, tls, section, key, &s, &str)) != 1)
		return (r);
	if (*str == '\0')
		return (config_error(ctx, s, "%s.%s is empty", section, key));
	if (access(str, R_OK) == -1)
		return (config_error(ctx, s, "%s.%s: cannot read '%s': %s",
		    section, key, str, strerror(errno)));
	return (config_strdup(ctx, str, out) == -1 ? -1 : 1);
}

static int
config_load_tls(struct config_ctx *ctx, const config_setting_t *g,
    struct config_output *o)
{
	static const char *const known[] = { "ca_file", "cert_file",
	    "key_file", "peer_name", NULL };
	config_setting_t	*tls, *s = NULL;
	const char		*str;
	int			 r, rc, rk;

	if (config_get_group(ctx, g, "tls", CONFIG_TYPE_GROUP, &tls) == -1)
		return (-1);
	if (o->protocol == CONFIG_PROTOCOL_TCP) {
		if (tls != NULL)
			return (config_error(ctx, tls, "tls settings need "
			    "protocol = \"tls\" or \"relp\""));
		return (0);
	}
	if (o->protocol == CONFIG_PROTOCOL_RELP && tls == NULL)
		return (0);	/* RELP in the clear */
	if (tls == NULL)
		return (config_error(ctx, g, "protocol \"tls\" needs tls = { "
		    "ca_file = \"...\"; } (the CA that signed the collector's "
		    "certificate)"));
	if (config_check_keys(ctx, tls, "tls", known) == -1)
		return (-1);
	if ((r = config_get_tls_file(ctx, tls, "tls", "ca_file",
	    &o->tls_ca_file)) == -1)
		return (-1);
	if (r == 0)
		return (config_error(ctx, tls, "tls.ca_file is required (the "
		    "CA that signed the collector's certificate)"));
	if ((rc = config_get_tls_file(ctx, tls, "tls", "cert_file",
	    &o->tls_cert_file)) == -1 ||
	    (rk = config_get_tls_file(ctx, tls, "tls", "key_file",
	    &o->tls_key_file)) == -1)
		return (-1);
	if (rc != rk)
		return (config_error(ctx, config_setting_get_member(tls,
		    rc == 1 ? "cert_file" : "key_file"), "tls.cert_file and "
		    "tls.key_file go together"));
	if ((r = config_get_string(ctx, tls, "tls", "peer_name", &s,
	    &str)) == -1)
		return (-1);
	if (r == 1 && *str == '\0')
		return (config_error(ctx, s, "tls.peer_name is empty"));
	return (config_strdup(ctx, r == 1 ? str : o->host,
	    &o->tls_peer_name));
}

/*
 * spool = { path; max_size; sync; }: a directory that exists now (it is
 * the administrator's, like a log directory), big enough for two chunks,
 * and no other output's.
 */
static int
config_load_spool(struct config_ctx *ctx, const config_setting_t *g,
    size_t idx, struct config *c, struct config_output *o)
{
	static const char *const known[] = { "path", "max_size", "sync",
	    NULL };
	static const char *const syncs[] = { "never", "interval", "always",
	    NULL };
	config_setting_t	*spool, *s = NULL;
	const char		*str;
	struct stat		 st;
	char			 a[32], b[32];
	size_t			 i;
	int			 r, v;

	if (config_get_group(ctx, g, "spool", CONFIG_TYPE_GROUP, &spool) == -1)
		return (-1);
	if (spool == NULL)
		return (0);
	if (config_check_keys(ctx, spool, "spool", known) == -1)
		return (-1);
	if ((r = config_get_string(ctx, spool, "spool", "path", &s,
	    &str)) == -1)
		return (-1);
	if (r == 0 || *str == '\0')
		return (config_error(ctx, r == 0 ? spool : s, "spool.path is "
		    "required (a directory for the spool's segment files)"));
	if (stat(str, &st) == -1)
		return (config_error(ctx, s, "spool.path '%s': %s", str,
		    strerror(errno)));
	if (!S_ISDIR(st.st_mode))
		return (config_error(ctx, s, "spool.path '%s' is not a "
		    "directory", str));
	for (i = 0; i < idx; i++) {
		if (c->outputs[i].spool_path != NULL &&
		    strcmp(c->outputs[i].spool_path, str) == 0)
			return (config_error(ctx, s, "spool.path '%s' is "
			    "already the spool of output '%s'", str,
			    c->outputs[i].name));
	}
	if (config_strdup(ctx, str, &o->spool_path) == -1)
		return (-1);
	if (config_get_size(ctx, spool, "spool", "max_size", &s,
	    &o->spool_max_size) == -1)
		return (-1);
	if (o->spool_max_size < 2 * (uint64_t)c->chunk_size)
		return (config_error(ctx, s, "spool.max_size (%s) must hold "
		    "two chunks at least: %s", config_fmt_size(o->spool_max_size,
		    a, sizeof a), config_fmt_size(2 * c->chunk_size, b,
		    sizeof b)));
	v = (int)o->spool_sync;
	if (config_get_enum(ctx, spool, "spool", "sync", syncs,
	    "\"never\", \"interval\" or \"always\"", &v) == -1)
		return (-1);
	o->spool_sync = (enum config_sync)v;
	return (0);
}

/*
 * type = "forward": target, protocol (tcp, tls, relp), tls, spool. Its path is its identity,
 * PROTOCOL://HOST:PORT, unique like a file's path.
 */
static int
config_load_forward(struct config_ctx *ctx, const config_setting_t *g,
    size_t idx, struct config *c, struct config_output *o)
{
	static const char *const protocols[] = { "tcp", "tls", "relp", NULL };
	config_setting_t	*s = NULL;
	const char		*str;
	char			 key[300];
	size_t			 i;
	int			 r, v;

	if ((r = config_get_string(ctx, g, "", "target", &s, &str)) == -1)
		return (-1);
	if (r == 0)
		return (config_error(ctx, g, "target = \"host:port\" is "
		    "required for type \"forward\""));
	if (config_parse_target(ctx, s, str, o) == -1)
		return (-1);
	v = (int)o->protocol;
	if (config_get_enum(ctx, g, "", "protocol", protocols,
	    "\"tcp\", \"tls\" or \"relp\"", &v) == -1)
		return (-1);
	o->protocol = (enum config_protocol)v;
	if (config_load_tls(ctx, g, o) == -1 ||
	    config_load_spool(ctx, g, idx, c, o) == -1)
		return (-1);
	snprintf(key, sizeof key, strchr(o->host, ':') != NULL ?
	    "%s://[%s]:%u" : "%s://%s:%u", protocols[o->protocol], o->host,
	    o->port);
	for (i = 0; i < idx; i++) {
		if (c->outputs[i].path != NULL &&
		    strcmp(c->outputs[i].path, key) == 0)
			return (config_error(ctx, s, "target '%s' over %s is "
			    "already used by output '%s'", str,
			    protocols[o->protocol], c->outputs[i].name));
	}
	return (config_strdup(ctx, key, &o->path));
}

/* ---- type = "kafka" (kafka.c) ---------------------------------------
 * brokers, topic, key, acks, compression and properties. Every librdkafka
 * setting goes into one list (struct config_kafka, config.h) and each is
 * tried on a scratch rd_kafka_conf_t as it is read, so that a property
 * librdkafka does not know, or a bad value, is refused here with its line
 * and librdkafka's own words, not when the producer starts.
 */

/* Properties the sink owns: setting them would break what it counts on. */
static const struct {
	const char	*name;
	const char	*why;
} config_kafka_owned[] = {
	{ "bootstrap.servers", "use brokers = \"...\"" },
	{ "metadata.broker.list", "use brokers = \"...\"" },
	{ "acks", "use acks = ..." },
	{ "request.required.acks", "use acks = ..." },
	{ "compression.codec", "use compression = \"...\"" },
	{ "compression.type", "use compression = \"...\"" },
	{ "delivery.report.only.error", "the counters need every delivery "
	    "report" },
};

static void
config_kafka_free(struct config_kafka *k)
{
	size_t			 i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nprops; i++) {
		free(k->props[i].name);
		free(k->props[i].value);
	}
	free(k->props);
	free(k->brokers);
	free(k->topic);
	free(k);
}

static struct config_kafka *
config_kafka_dup(const struct config_kafka *src)
{
	struct config_kafka	*k;
	size_t			 i;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	k->key = src->key;
	if ((k->brokers = strdup(src->brokers)) == NULL ||
	    (k->topic = strdup(src->topic)) == NULL ||
	    (src->nprops > 0 && (k->props = calloc(src->nprops,
	    sizeof(*k->props))) == NULL)) {
		config_kafka_free(k);
		return (NULL);
	}
	for (i = 0; i < src->nprops; i++) {
		k->nprops = i + 1;
		if ((k->props[i].name = strdup(src->props[i].name)) == NULL ||
		    (k->props[i].value = strdup(src->props[i].value)) == NULL) {
			config_kafka_free(k);
			return (NULL);
		}
	}
	return (k);
}

/* A scratch librdkafka configuration to try each setting on. */
struct config_kafka_try {
	const struct kafkalib	*kl;
	rd_kafka_conf_t		*conf;
};

/* Try name=value on the scratch conf and, if librdkafka takes it, add it
 * to the list. s is the setting to blame. */
static int
config_kafka_set(struct config_ctx *ctx, const config_setting_t *s,
    struct config_kafka_try *scratch, struct config_kafka *k,
    const char *name, const char *value)
{
	struct config_kafka_prop *p;
	char			 err[256];

	if (scratch->kl->conf_set(scratch->conf, name, value, err,
	    sizeof err) != RD_KAFKA_CONF_OK)
		return (config_error(ctx, s, "%s", err));
	if ((p = reallocarray(k->props, k->nprops + 1, sizeof(*p))) == NULL)
		return (config_error(ctx, NULL, "out of memory"));
	k->props = p;
	p += k->nprops;
	p->name = p->value = NULL;
	k->nprops++;
	if (config_strdup(ctx, name, &p->name) == -1 ||
	    config_strdup(ctx, value, &p->value) == -1)
		return (-1);
	return (0);
}

/* acks = "all" | -1 | 0 | 1 (a string or an integer). */
static int
config_kafka_acks(struct config_ctx *ctx, const config_setting_t *g,
    struct config_kafka_try *scratch, struct config_kafka *k, bool *all)
{
	config_setting_t	*s;
	char			 buf[32];
	const char		*v;

	*all = true;
	if ((s = config_setting_get_member(g, "acks")) == NULL)
		return (0);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(s);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, sizeof buf, "%lld", config_setting_get_int64(s));
		v = buf;
		break;
	default:
		return (config_error(ctx, s, "acks must be \"all\", -1, 0 or "
		    "1"));
	}
	if (strcmp(v, "all") != 0 && strcmp(v, "-1") != 0 &&
	    strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return (config_error(ctx, s, "acks: unknown value '%s' "
		    "(\"all\", -1, 0 or 1)", v));
	*all = strcmp(v, "all") == 0 || strcmp(v, "-1") == 0;
	return (config_kafka_set(ctx, s, scratch, k, "acks", v));
}

/* Is "name=..." one of the strings in list? */
static bool
config_kafka_listed(const config_setting_t *list, const char *name)
{
	const char		*str;
	size_t			 len = strlen(name);
	int			 i, n;

	n = list != NULL ? config_setting_length(list) : 0;
	for (i = 0; i < n; i++) {
		str = config_setting_get_string(config_setting_get_elem(list,
		    (unsigned)i));
		if (str != NULL && strncmp(str, name, len) == 0 &&
		    str[len] == '=')
			return (true);
	}
	return (false);
}

/* properties = ( "name=value", ... ): passed to librdkafka as they are. */
static int
config_kafka_props(struct config_ctx *ctx, const config_setting_t *g,
    struct config_kafka_try *scratch, struct config_kafka *k, bool acks_all)
{
	config_setting_t	*list, *s;
	const char		*str, *eq;
	char			 name[128];
	size_t			 j;
	int			 i, n;

	if (config_get_group(ctx, g, "properties", CONFIG_TYPE_LIST,
	    &list) == -1)
		return (-1);
	/* With acks = all the producer is idempotent unless told not to
	 * be: a retry after a broken connection then cannot write a record
	 * twice, nor out of order. */
	if (acks_all && !config_kafka_listed(list, "enable.idempotence") &&
	    config_kafka_set(ctx, g, scratch, k, "enable.idempotence",
	    "true") == -1)
		return (-1);
	n = list != NULL ? config_setting_length(list) : 0;
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return (config_error(ctx, s, "properties: each is a "
			    "string \"name=value\""));
		str = config_setting_get_string(s);
		if ((eq = strchr(str, '=')) == NULL || eq == str ||
		    (size_t)(eq - str) >= sizeof name)
			return (config_error(ctx, s, "properties: bad '%s' "
			    "(\"name=value\", such as "
			    "\"queue.buffering.max.ms=5\")", str));
		snprintf(name, sizeof name, "%.*s", (int)(eq - str), str);
		for (j = 0; j < sizeof(config_kafka_owned) /
		    sizeof(config_kafka_owned[0]); j++)
			if (strcmp(name, config_kafka_owned[j].name) == 0)
				return (config_error(ctx, s, "properties: "
				    "'%s' is not passed through: %s", name,
				    config_kafka_owned[j].why));
		if (config_kafka_set(ctx, s, scratch, k, name, eq + 1) == -1)
			return (-1);
	}
	return (0);
}

/* A Kafka topic name: 1 to 249 of [A-Za-z0-9._-], not "." or "..". */
static bool
config_kafka_topic_ok(const char *t)
{
	size_t			 n = strlen(t);

	if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return (false);
	return (strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n);
}

static int
config_load_kafka_settings(struct config_ctx *ctx, const config_setting_t *g,
    struct config_kafka_try *scratch, struct config_kafka *k)
{
	static const char *const keys[] = { "none", "host", "tag", NULL };
	static const char *const codecs[] = { "none", "gzip", "snappy", "lz4",
	    "zstd", NULL };
	config_setting_t	*s = NULL;
	const char		*str;
	bool			 acks_all;
	int			 r, v;

	if ((r = config_get_string(ctx, g, "", "brokers", &s, &str)) == -1)
		return (-1);
	if (r == 0 || *str == '\0')
		return (config_error(ctx, r == 0 ? g : s, "brokers = "
		    "\"host:port,...\" is required for type \"kafka\""));
	if (config_strdup(ctx, str, &k->brokers) == -1 ||
	    config_kafka_set(ctx, s, scratch, k, "bootstrap.servers",
	    str) == -1)
		return (-1);
	if ((r = config_get_string(ctx, g, "", "topic", &s, &str)) == -1)
		return (-1);
	if (r == 0)
		return (config_error(ctx, g, "topic = \"...\" is required for "
		    "type \"kafka\""));
	if (!config_kafka_topic_ok(str))
		return (config_error(ctx, s, "bad topic '%s' (1 to 249 "
		    "letters, digits, '.', '_' and '-')", str));
	if (config_strdup(ctx, str, &k->topic) == -1)
		return (-1);
	v = (int)k->key;
	if (config_get_enum(ctx, g, "", "key", keys,
	    "\"host\", \"tag\" or \"none\"", &v) == -1)
		return (-1);
	k->key = (enum config_kafka_key)v;
	if (config_kafka_acks(ctx, g, scratch, k, &acks_all) == -1)
		return (-1);
	v = 0;
	if ((r = config_get_enum(ctx, g, "", "compression", codecs,
	    "\"none\", \"gzip\", \"snappy\", \"lz4\" or \"zstd\"", &v)) == -1)
		return (-1);
	if (r == 1 && config_kafka_set(ctx, config_setting_get_member(g,
	    "compression"), scratch, k, "compression.codec", codecs[v]) == -1)
		return (-1);
	return (config_kafka_props(ctx, g, scratch, k, acks_all));
}

/*
 * type = "kafka". Its records are JSON (the key is read from them); its
 * path is its identity, kafka://BROKERS/TOPIC, unique like a file's path.
 */
static int
config_load_kafka(struct config_ctx *ctx, const config_setting_t *g,
    size_t idx, struct config *c, struct config_output *o)
{
	struct config_kafka_try	 scratch;
	config_setting_t	*s;
	char			*path, err[384];
	size_t			 i;
	int			 r;

	if ((scratch.kl = kafkalib_load(err, sizeof err)) == NULL)
		return (config_error(ctx, g, "%s", err));
	if ((o->kafka = calloc(1, sizeof(*o->kafka))) == NULL ||
	    (scratch.conf = scratch.kl->conf_new()) == NULL)
		return (config_error(ctx, NULL, "out of memory"));
	r = config_load_kafka_settings(ctx, g, &scratch, o->kafka);
	scratch.kl->conf_destroy(scratch.conf);
	if (r == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "format")) != NULL &&
	    (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    strcmp(config_setting_get_string(s), "json") != 0))
		return (config_error(ctx, s, "a kafka output's records are "
		    "JSON: format = \"json\" or nothing"));
	o->format = FORMAT_JSON;
	if (asprintf(&path, "kafka://%s/%s", o->kafka->brokers,
	    o->kafka->topic) == -1)
		return (config_error(ctx, NULL, "out of memory"));
	o->path = path;
	for (i = 0; i < idx; i++) {
		if (strcmp(c->outputs[i].path, path) == 0)
			return (config_error(ctx, config_setting_get_member(g,
			    "topic"), "topic '%s' on brokers '%s' is already "
			    "used by output '%s'", o->kafka->topic,
			    o->kafka->brokers, c->outputs[i].name));
	}
	return (0);
}

/* ---- end of type = "kafka" ---------------------------------------- */
/*
 * listen.tcp / tls / udp / relp = ( "ADDRESS:PORT", ... ): numeric addresses only
 * ("0.0.0.0:514", "[::1]:6514"), since a name would be resolved once at
 * start-up to whatever it meant then. Two inputs on one address and port
 * of one transport (TCP for tcp, tls and relp) would fail to bind: said here.
 */
static int
config_load_netin_list(struct config_ctx *ctx, const config_setting_t *listen,
    const char *key, enum config_netin_kind kind, struct config *c)
{
	config_setting_t	*list, *s;
	struct config_netin	*n, *grown;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	const char		*str;
	char			 what[32];
	int			 i, len;
	size_t			 j;

	snprintf(what, sizeof what, "listen.%s", key);
	if (config_get_group(ctx, listen, key, CONFIG_TYPE_LIST, &list) == -1)
		return (-1);
	if (list == NULL)
		return (0);
	len = config_setting_length(list);
	if ((grown = realloc(c->netin, (c->nnetin + (size_t)len) *
	    sizeof(*grown))) == NULL)
		return (config_error(ctx, NULL, "out of memory"));
	c->netin = grown;
	for (i = 0; i < len; i++) {
		s = config_setting_get_elem(list, (unsigned)i);
		if ((str = config_setting_get_string(s)) == NULL)
			return (config_error(ctx, s, "listen.%s: each entry "
			    "must be a string \"ADDRESS:PORT\"", key));
		n = &c->netin[c->nnetin];
		memset(n, 0, sizeof(*n));
		n->kind = kind;
		n->line = config_setting_source_line(s);
		if (config_parse_hostport(ctx, s, what, str, &n->address,
		    &n->port) == -1)
			return (-1);
		c->nnetin++;
		if (inet_pton(AF_INET, n->address, &a4) != 1 &&
		    inet_pton(AF_INET6, n->address, &a6) != 1)
			return (config_error(ctx, s, "listen.%s '%s': not an "
			    "IP address (listening takes numeric addresses "
			    "only, such as \"0.0.0.0:514\" or \"[::]:514\")",
			    key, str));
		for (j = 0; j + 1 < c->nnetin; j++) {
			if (c->netin[j].port != n->port ||
			    strcmp(c->netin[j].address, n->address) != 0 ||
			    (c->netin[j].kind == CONFIG_NETIN_UDP) !=
			    (kind == CONFIG_NETIN_UDP))
				continue;
			return (config_error(ctx, s, "listen.%s '%s' is already "
			    "used on line %d", key, str, c->netin[j].line));
		}
	}
	return (0);
}

/* listen.tls_server: our certificate and key, and how clients are
 * verified (client_certs, with ca_file). */
static int
config_load_tls_server(struct config_ctx *ctx, const config_setting_t *listen,
    struct config *c)
{
	static const char *const known[] = { "cert_file", "key_file",
	    "ca_file", "client_certs", NULL };
	static const char *const modes[] = { "required", "optional", "none",
	    NULL };
	config_setting_t	*tls, *s;
	bool			 any_tls = false;
	size_t			 i;
	int			 r, v;

	for (i = 0; i < c->nnetin; i++)
		any_tls |= c->netin[i].kind == CONFIG_NETIN_TLS;
	if (config_get_group(ctx, listen, "tls_server", CONFIG_TYPE_GROUP,
	    &tls) == -1)
		return (-1);
	if (tls == NULL) {
		if (!any_tls)
			return (0);
		return (config_error(ctx, config_setting_get_member(listen,
		    "tls"), "listen.tls needs listen.tls_server = { "
		    "cert_file = \"...\"; key_file = \"...\"; ca_file = "
		    "\"...\"; }"));
	}
	if (config_check_keys(ctx, tls, "listen.tls_server", known) == -1)
		return (-1);
	v = (int)c->tls_client_certs;
	if (config_get_enum(ctx, tls, "listen.tls_server", "client_certs",
	    modes, "\"required\", \"optional\" or \"none\"", &v) == -1)
		return (-1);
	c->tls_client_certs = (enum config_client_certs)v;
	if ((r = config_get_tls_file(ctx, tls, "listen.tls_server",
	    "cert_file", &c->tls_cert_file)) == -1)
		return (-1);
	if (r == 0)
		return (config_error(ctx, tls, "listen.tls_server.cert_file "
		    "is required (the certificate we show clients)"));
	if ((r = config_get_tls_file(ctx, tls, "listen.tls_server",
	    "key_file", &c->tls_key_file)) == -1)
		return (-1);
	if (r == 0)
		return (config_error(ctx, tls, "listen.tls_server.key_file "
		    "is required (the key of cert_file)"));
	if ((r = config_get_tls_file(ctx, tls, "listen.tls_server",
	    "ca_file", &c->tls_ca_file)) == -1)
		return (-1);
	s = config_setting_get_member(tls, "client_certs");
	if (r == 0 && c->tls_client_certs != CLIENT_CERTS_NONE)
		return (config_error(ctx, s != NULL ? s : tls,
		    "listen.tls_server.ca_file is required to verify client "
		    "certificates (or client_certs = \"none\")"));
	return (0);
}

/* The network inputs of listen (called after config_load_listen). */
static int
config_load_netin(struct config_ctx *ctx, const config_setting_t *root,
    struct config *c)
{
	config_setting_t	*listen = config_setting_get_member(root,
				    "listen");

	if (listen == NULL)
		return (0);
	if (config_load_netin_list(ctx, listen, "tcp", CONFIG_NETIN_TCP,
	    c) == -1 ||
	    config_load_netin_list(ctx, listen, "tls", CONFIG_NETIN_TLS,
	    c) == -1 ||
	    config_load_netin_list(ctx, listen, "udp", CONFIG_NETIN_UDP,
	    c) == -1 ||
	    config_load_netin_list(ctx, listen, "relp", CONFIG_NETIN_RELP,
	    c) == -1)
		return (-1);
	return (config_load_tls_server(ctx, listen, c));
}

/*
 * filter = "EXPRESSION" (filter.h), and final = true|false. A filter's
 * error names the column within the string and the token found there.
 */
static int
config_load_filter(struct config_ctx *ctx, const config_setting_t *g,
    struct config_output *o)
{
	config_setting_t	*s = NULL;
	const char		*str = NULL;
	char			 err[384];
	int			 r;

	if ((r = config_get_string(ctx, g, "", "filter", &s, &str)) == -1)
		return (-1);
	if (r == 1 && (o->filter = filter_compile(str, err,
	    sizeof err)) == NULL)
		return (config_error(ctx, s, "filter: %s", err));
	if ((s = config_setting_get_member(g, "final")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return (config_error(ctx, s, "final must be true or "
			    "false"));
		o->final = config_setting_get_bool(s);
	}
	return (0);
}

/*
 * A line template: the format key names a built-in format ("text", ...),
 * a built-in template ("traditional", "rfc3164"), one of the templates
 * section, or is a template itself when it holds a field ("${...}").
 */
static int
config_template_text(struct config_ctx *ctx, const char *name,
    const char **text)
{
	config_setting_t	*s;

	if (strstr(name, "${") != NULL) {
		*text = name;
		return (0);
	}
	if ((*text = template_builtin(name)) != NULL)
		return (0);
	if (ctx->templates != NULL &&
	    (s = config_setting_get_member(ctx->templates, name)) != NULL &&
	    config_setting_type(s) == CONFIG_TYPE_STRING) {
		*text = config_setting_get_string(s);
		return (0);
	}
	return (-1);
}

static int
config_load_format_key(struct config_ctx *ctx, const config_setting_t *g,
    struct config_output *o)
{
	config_setting_t	*s = NULL;
	const char		*str = NULL, *text;
	char			 err[1024];
	int			 r, v;

	if ((r = config_get_string(ctx, g, "", "format", &s, &str)) != 1)
		return (r);
	if ((v = format_parse(str)) != -1) {
		o->format = (enum format_kind)v;
		return (0);
	}
	if (config_template_text(ctx, str, &text) == -1)
		return (config_error(ctx, s, "unknown format '%s' (\"text\", "
		    "\"json\", \"rfc5424\", \"traditional\", \"rfc3164\", "
		    "a name from templates, or a template such as "
		    "\"${time} ${tag}: ${message}\")", str));
	if (o->type == CONFIG_OUTPUT_FORWARD)
		return (config_error(ctx, s, "a forward output sends RFC 5424; "
		    "format '%s' applies to files only", str));
	if ((o->template = template_compile(text, TEMPLATE_LINE, err,
	    sizeof err)) == NULL)
		return (config_error(ctx, s, "format '%s': %s", str, err));
	o->format = FORMAT_TEXT;	/* for what only kinds know */
	return (0);
}

/*
 * path: one file, or a directory and a file name template. Fields may
 * only stand in the last component: the writer creates files, never
 * directories, so a client cannot make it build a tree.
 */
static int
config_load_path(struct config_ctx *ctx, const config_setting_t *g,
    size_t idx, struct config *c, struct config_output *o)
{
	config_setting_t	*s = NULL, *fb = NULL;
	const char		*str = NULL, *slash, *fbname = NULL;
	char			 err[1024], name[NAME_MAX + 1];
	size_t			 i;
	int			 r;

	if ((r = config_get_string(ctx, g, "", "path", &s, &str)) == -1)
		return (-1);
	if (r == 0 || *str == '\0')
		return (config_error(ctx, r == 0 ? g : s, "path is required"));
	for (i = 0; i < idx; i++) {
		if (c->outputs[i].path != NULL &&
		    strcmp(c->outputs[i].path, str) == 0)
			return (config_error(ctx, s, "path '%s' is already "
			    "used by output '%s'", str, c->outputs[i].name));
	}
	if (config_strdup(ctx, str, &o->path) == -1)
		return (-1);
	if ((r = config_get_string(ctx, g, "", "fallback", &fb,
	    &fbname)) == -1 ||
	    config_get_uint(ctx, g, "", "max_open_files", 1,
	    CONFIG_MAX_OPEN_FILES, &o->max_open_files) == -1)
		return (-1);
	slash = strrchr(str, '/');
	if (strstr(str, "${") == NULL) {
		if (fb != NULL)
			return (config_error(ctx, fb, "fallback applies only "
			    "to a path with fields, such as "
			    "\"/var/log/apps/${tag}.log\""));
		return (0);
	}
	if (slash != NULL && memmem(str, (size_t)(slash - str), "${",
	    2) != NULL)
		return (config_error(ctx, s, "path '%s': fields may only "
		    "stand in the file name, not in a directory", str));
	if ((o->name_template = template_compile(slash != NULL ? slash + 1 :
	    str, TEMPLATE_NAME, err, sizeof err)) == NULL)
		return (config_error(ctx, s, "path '%s': file name: %s", str,
		    err));
	if (fbname == NULL) {
		if (template_plain_name(o->name_template, "unknown", name,
		    sizeof name) == -1 || strlen(name) > TEMPLATE_NAME_MAX)
			return (config_error(ctx, s, "path '%s': file name too "
			    "long", str));
		fbname = name;
	} else if (*fbname == '\0' || strchr(fbname, '/') != NULL ||
	    strcmp(fbname, ".") == 0 || strcmp(fbname, "..") == 0 ||
	    strlen(fbname) > TEMPLATE_NAME_MAX)
		return (config_error(ctx, fb, "fallback '%s' must be a file "
		    "name in the directory of path (no '/')", fbname));
	if (asprintf(&o->fallback, "%.*s%s", slash != NULL ? (int)(slash -
	    str + 1) : 0, str, fbname) == -1) {
		o->fallback = NULL;
		return (config_error(ctx, NULL, "out of memory"));
	}
	return (0);
}

static int
config_load_output(struct config_ctx *ctx, const config_setting_t *g,
    size_t idx, struct config *c, struct config_output *o)
{
	static const char *const known[] = { "name", "path", "format",
	    "match", "sync", "sync_interval_ms", "keep_free", "rotate",
	    "file_mode", "owner", "group", "allow_shared_dir", "type", "target",
	    "protocol", "tls", "spool", "filter", "final", "fallback",
	    "max_open_files",
	    "brokers", "topic", "key", "acks", "compression", "properties",
	    NULL };
	static const char *const syncs[] = { "never", "interval", "always",
	    NULL };
	static const char *const types[] = { "file", "forward", "kafka",
	    NULL };
	config_setting_t	*s = NULL;
	const char		*str = NULL;
	char			 err[256];
	size_t			 i;
	int			 r, v;

	*o = config_output_default;
	o->line = config_setting_source_line(g);
	if (config_strdup(ctx, ctx->file, &o->file) == -1)
		return (-1);
	memcpy(o->sd_id, c->sd_id, sizeof o->sd_id);

	snprintf(ctx->where_buf, sizeof ctx->where_buf, "output #%zu: ",
	    idx + 1);
	ctx->where = ctx->where_buf;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (config_error(ctx, g, "must be a group { ... }"));

	/*
	 * The name first, so every later message can say which output; then
	 * the keys, so that a misspelt "nme" is named as unknown rather than
	 * reported missing.
	 */
	if ((r = config_get_string(ctx, g, "", "name", &s, &str)) == -1)
		return (-1);
	if (r == 1 && config_valid_name(str))
		snprintf(ctx->where_buf, sizeof ctx->where_buf,
		    "output '%s': ", str);
	if (config_check_keys(ctx, g, NULL, known) == -1)
		return (-1);
	snprintf(ctx->where_buf, sizeof ctx->where_buf, "output #%zu: ",
	    idx + 1);
	if (r == 0)
		return (config_error(ctx, g, "name is required"));
	if (!config_valid_name(str)) {
		return (config_error(ctx, s, "bad name '%s' (letters, digits, "
		    "'-', '_' and '.' only)", str));
	}
	for (i = 0; i < idx; i++) {
		if (c->outputs[i].name != NULL &&
		    strcmp(c->outputs[i].name, str) == 0) {
			return (config_error(ctx, s, "duplicate output name "
			    "'%s' (first at line %d)", str,
			    c->outputs[i].line));
		}
	}
	if (config_strdup(ctx, str, &o->name) == -1)
		return (-1);
	snprintf(ctx->where_buf, sizeof ctx->where_buf, "output '%s': ",
	    o->name);

	v = (int)o->type;
	if (config_get_enum(ctx, g, "", "type", types,
	    "\"file\", \"forward\" or \"kafka\"", &v) == -1)
		return (-1);
	o->type = (enum config_output_type)v;
	if (config_check_type_keys(ctx, g, o) == -1)
		return (-1);
	if (o->type == CONFIG_OUTPUT_FORWARD) {
		/* Collectors expect syslog, not our text lines. */
		o->format = FORMAT_RFC5424;
		if (config_load_forward(ctx, g, idx, c, o) == -1)
			return (-1);
	} else if (o->type == CONFIG_OUTPUT_KAFKA) {
		if (config_load_kafka(ctx, g, idx, c, o) == -1)
			return (-1);
	} else {
		if (config_load_path(ctx, g, idx, c, o) == -1)
			return (-1);
	}
	if (config_load_format_key(ctx, g, o) == -1)
		return (-1);

	str = CONFIG_DEFAULT_MATCH;
	if ((r = config_get_string(ctx, g, "", "match", &s, &str)) == -1)
		return (-1);
	if (match_compile(str, &o->selector, err, sizeof err) == -1)
		return (config_error(ctx, s, "match: %s", err));
	if (config_strdup(ctx, str, &o->match) == -1)
		return (-1);
	if (config_load_filter(ctx, g, o) == -1)
		return (-1);

	v = (int)o->sync;
	if (config_get_enum(ctx, g, "", "sync", syncs,
	    "\"never\", \"interval\" or \"always\"", &v) == -1)
		return (-1);
	o->sync = (enum config_sync)v;
	if (config_get_uint(ctx, g, "", "sync_interval_ms", 1,
	    CONFIG_MAX_MS, &o->sync_interval_ms) == -1)
		return (-1);

	if (config_load_keep_free(ctx, g, o) == -1)
		return (-1);
	if (config_load_rotate(ctx, g, o) == -1)
		return (-1);
	if (config_get_mode(ctx, g, "", "file_mode", &o->file_mode) == -1)
		return (-1);

	/* "" means the same as leaving it out: do not chown. */
	if ((r = config_get_string(ctx, g, "", "owner", NULL, &str)) == -1)
		return (-1);
	if (r == 1 && *str != '\0' && config_strdup(ctx, str, &o->owner) == -1)
		return (-1);
	if ((r = config_get_string(ctx, g, "", "group", NULL, &str)) == -1)
		return (-1);
	if (r == 1 && *str != '\0' && config_strdup(ctx, str, &o->group) == -1)
		return (-1);

	if ((s = config_setting_get_member(g, "allow_shared_dir")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return (config_error(ctx, s, "allow_shared_dir must be "
			    "true or false"));
		o->allow_shared_dir = config_setting_get_bool(s);
	}

	ctx->where = "";
	return (0);
}

/* The file an output writes first: its path, or its fallback file. */
static const char *
config_output_file(const struct config_output *o)
{
	if (o->type != CONFIG_OUTPUT_FILE || o->path == NULL)
		return (NULL);
	return (o->fallback != NULL ? o->fallback : o->path);
}

/* Directory (followed, as logdir_open does) and name of path. */
static int
config_file_id(const char *path, struct stat *dir, const char **name)
{
	char		 d[PATH_MAX];
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(d, sizeof d, ".");
	else
		snprintf(d, sizeof d, "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	*name = slash != NULL ? slash + 1 : path;
	return (stat(d, dir));
}

/*
 * Two outputs on one file, reached by two paths ("log/../log/a.log" beside
 * "log/a.log", or a symbolic link to the directory), would write every
 * record twice with two writers racing at the end of the file. Paths are
 * compared as the kernel sees them: the directory's device and inode and
 * the name in it, so the file need not exist yet. A directory that does
 * not exist is left for the writer to report.
 */
static int
config_check_same_file(struct config_ctx *ctx, const struct config *c,
    size_t idx)
{
	const struct config_output	*o = &c->outputs[idx], *p;
	const char			*path, *other, *name, *pname;
	struct stat			 st, pst;
	size_t				 i;

	if ((path = config_output_file(o)) == NULL ||
	    config_file_id(path, &st, &name) == -1)
		return (0);
	for (i = 0; i < idx; i++) {
		p = &c->outputs[i];
		if ((other = config_output_file(p)) == NULL ||
		    config_file_id(other, &pst, &pname) == -1)
			continue;
		if (st.st_dev == pst.st_dev && st.st_ino == pst.st_ino &&
		    strcmp(name, pname) == 0)
			return (config_error_at(ctx, o->file, o->line,
			    "output '%s': %s'%s' is the same file as %s'%s' "
			    "of output '%s'", o->name, o->fallback != NULL ?
			    "its fallback " : "", path, p->fallback != NULL ?
			    "the fallback " : "", other, p->name));
	}
	return (0);
}

/*
 * The outputs of every source, in the order records meet them: those of
 * the included files first (in file name order), then the main file's,
 * so that a drop-in can take its records with final = true before the
 * catch-all outputs see them (Debian's rsyslog.conf includes rsyslog.d
 * before its own rules for the same reason). An output in error is
 * reported and the next one read, so -t shows them all.
 */
static int
config_load_outputs(struct config_ctx *ctx, const config_setting_t *root,
    struct config_src *srcs, size_t nsrcs, struct config *c)
{
	const config_setting_t	*lists[CONFIG_MAX_INCLUDES + 1];
	const char		*files[CONFIG_MAX_INCLUDES + 1];
	const char		*main_file = ctx->file;
	config_setting_t	*outputs;
	size_t			 i, k, nlists = 0, total = 0, idx = 0;
	int			 rc = 0;

	for (k = 0; k < nsrcs; k++) {
		ctx->file = srcs[k].file;
		if (config_get_group(ctx, config_root_setting(&srcs[k].cf),
		    "outputs", CONFIG_TYPE_LIST, &outputs) == -1)
			rc = -1;
		else if (outputs != NULL) {
			files[nlists] = srcs[k].file;
			lists[nlists++] = outputs;
		}
	}
	ctx->file = main_file;
	if (config_get_group(ctx, root, "outputs", CONFIG_TYPE_LIST,
	    &outputs) == -1)
		return (-1);
	if (outputs != NULL) {
		files[nlists] = main_file;
		lists[nlists++] = outputs;
	}
	for (k = 0; k < nlists; k++)
		total += (size_t)config_setting_length(lists[k]);
	if (total == 0) {
		return (config_error(ctx, outputs, "no outputs (at least one "
		    "is needed)"));
	}
	if ((c->outputs = calloc(total, sizeof *c->outputs)) == NULL)
		return (config_error(ctx, NULL, "out of memory"));
	/* noutputs counts what config_free must free, even half-loaded. */
	for (k = 0; k < nlists; k++) {
		ctx->file = files[k];
		for (i = 0; i < (size_t)config_setting_length(lists[k]); i++) {
			c->noutputs = idx + 1;
			if (config_load_output(ctx, config_setting_get_elem(
			    lists[k], (unsigned)i), idx, c,
			    &c->outputs[idx]) == -1 ||
			    config_check_same_file(ctx, c, idx) == -1)
				rc = -1;
			ctx->where = "";
			idx++;
		}
	}
	ctx->file = main_file;
	return (rc);
}

/*
 * templates = { name = "TEMPLATE"; ... }: line templates outputs name in
 * their format key. Each is compiled here once to report its errors at
 * its line, even when no output uses it.
 */
static int
config_load_templates(struct config_ctx *ctx, const config_setting_t *root)
{
	config_setting_t	*group, *s;
	struct template		*t;
	const char		*name;
	char			 err[1024];
	int			 i, rc = 0;

	if (config_get_group(ctx, root, "templates", CONFIG_TYPE_GROUP,
	    &group) == -1)
		return (-1);
	ctx->templates = group;
	for (i = 0; group != NULL && i < config_setting_length(group); i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		name = config_setting_name(s);
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			rc = config_error(ctx, s, "templates.%s must be a "
			    "string", name);
		else if (format_parse(name) != -1 ||
		    template_builtin(name) != NULL)
			rc = config_error(ctx, s, "templates.%s: '%s' is a "
			    "built-in format", name, name);
		else if ((t = template_compile(config_setting_get_string(s),
		    TEMPLATE_LINE, err, sizeof err)) == NULL)
			rc = config_error(ctx, s, "templates.%s: %s", name, err);
		else
			template_free(t);
	}
	return (rc);
}

/* Checks that need more than one section. */

/*
 * The largest line an output can write for a record under max_record:
 * what the chunk size must hold.
 */
static size_t
config_output_max_line(const struct config_output *o, size_t max_record)
{
	size_t	name = o->name_template != NULL ? TEMPLATE_NAME_MAX + 1 : 0;

	if (o->template != NULL)
		return (name + template_max_line(o->template, max_record));
	return (name + format_max_line(o->format, max_record));
}


/*
 * A record is never split across chunks, so any record accepted under
 * max_record must fit one chunk however its bytes escape in the format of
 * each output (format_max_line()). Unset, max_record shrinks to the largest
 * that fits, rather than making the administrator set both.
 */
static int
config_check_chunk(struct config_ctx *ctx, const config_t *cf,
    struct config *c)
{
	const struct config_output *worst = NULL;
	config_setting_t	*s;
	size_t			 i, need = 0, n, lo, hi, mid;
	char			 a[32], b[32], m[32];

	for (i = 0; i < c->noutputs; i++) {
		n = config_output_max_line(&c->outputs[i], c->max_record);
		if (n > need) {
			need = n;
			worst = &c->outputs[i];
		}
	}
	if (worst == NULL || need <= c->chunk_size)
		return (0);

	if ((s = config_lookup(cf, "buffer.max_record")) == NULL &&
	    config_output_max_line(worst, 1) <= c->chunk_size) {
		for (lo = 1, hi = c->max_record; lo < hi; ) {
			mid = lo + (hi - lo + 1) / 2;
			if (config_output_max_line(worst, mid) <= c->chunk_size)
				lo = mid;
			else
				hi = mid - 1;
		}
		c->max_record = lo;
		return (0);
	}
	if (s == NULL) {
		s = config_lookup(cf, "buffer.chunk_size");
		need = config_output_max_line(worst, 1);
		return (config_error(ctx, s, "buffer.chunk_size (%s) is too "
		    "small for output '%s' (%s): even a 1-byte max_record "
		    "needs a chunk_size of at least %s",
		    config_fmt_size(c->chunk_size, a, sizeof a), worst->name,
		    format_name(worst->format),
		    config_fmt_size((need + 1023) / 1024 * 1024, m,
		    sizeof m)));
	}
	return (config_error(ctx, s, "buffer.max_record (%s) does not fit "
	    "buffer.chunk_size (%s): output '%s' (%s) can turn such a record "
	    "into a line of %zu bytes once escaped; chunk_size must be at "
	    "least %s for this max_record",
	    config_fmt_size(c->max_record, a, sizeof a),
	    config_fmt_size(c->chunk_size, b, sizeof b), worst->name,
	    format_name(worst->format), need,
	    config_fmt_size((need + 1023) / 1024 * 1024, m, sizeof m)));
}

/* The read buffers of all clients together must hold one whole frame of
 * the largest record, or that record could never be read. */
static int
config_check_client_memory(struct config_ctx *ctx, const config_t *cf,
    struct config *c)
{
	size_t need = c->max_record + WIRE_RECORD_OVERHEAD + 4096;
	char a[32], b[32];

	if (c->client_memory >= need)
		return (0);
	return (config_error(ctx, config_lookup(cf, "buffer.client_memory"),
	    "buffer.client_memory (%s) must hold at least one whole record "
	    "frame of max_record: at least %s",
	    config_fmt_size(c->client_memory, a, sizeof a),
	    config_fmt_size((need + 1023) / 1024 * 1024, b, sizeof b)));
}

static int
config_check_memory(struct config_ctx *ctx, const config_t *cf,
    struct config *c)
{
	config_setting_t	*s;
	char			 a[32], b[32], m[32];

	/*
	 * Each output needs one chunk filling while another is being written,
	 * or it stalls on every flush; less memory than that cannot work.
	 */
	if (c->max_memory / 2 / c->chunk_size >= c->noutputs)
		return (0);
	s = config_lookup(cf, "buffer.max_memory");
	return (config_error(ctx, s, "buffer.max_memory (%s) must be at least "
	    "2 * chunk_size * outputs = 2 * %s * %zu = %s",
	    config_fmt_size(c->max_memory, a, sizeof a),
	    config_fmt_size(c->chunk_size, b, sizeof b), c->noutputs,
	    config_fmt_size(2 * c->chunk_size * c->noutputs, m, sizeof m)));
}

/*
 * kmsg keeps its state file beside the first file output's log unless told
 * otherwise: that directory exists and is the daemon's to write (under the
 * shipped unit, LogsDirectory=).
 */
static int
config_check_kmsg(struct config_ctx *ctx, config_t *cf, struct config *c)
{
	const char	*path = NULL, *slash;
	size_t		 i, n;

	if (c->kmsg == NULL || c->kmsg_state != NULL)
		return (0);
	for (i = 0; i < c->noutputs && path == NULL; i++)
		if (c->outputs[i].type == CONFIG_OUTPUT_FILE)
			path = c->outputs[i].path;
	if (path == NULL)
		return (config_error(ctx, config_lookup(cf, "listen.kmsg"),
		    "listen.kmsg_state is required when no output is a "
		    "file"));
	if ((slash = strrchr(path, '/')) == NULL) {
		path = ".";
		n = 1;
	} else
		n = (size_t)(slash - path);
	if ((c->kmsg_state = malloc(n + sizeof("/kmsg.state"))) == NULL)
		return (config_error(ctx, NULL, "out of memory"));
	snprintf(c->kmsg_state, n + sizeof("/kmsg.state"), "%.*s/kmsg.state",
	    (int)n, path);
	return (0);
}

/* The sections of the main file, each read even when one before failed. */
static int
config_load_sections(struct config_ctx *ctx, config_setting_t *root,
    struct config *c)
{
	static const char *const known[] = { "listen", "buffer", "shutdown",
	    "ratelimit", "format", "stats", "outputs", "templates",
	    "include_dir", "disk_budget", NULL };
	int	rc = 0;

	if (config_check_keys(ctx, root, NULL, known) == -1)
		rc = -1;
	if (config_load_listen(ctx, root, c) == -1)
		rc = -1;
	if (config_load_netin(ctx, root, c) == -1)
		rc = -1;
	if (config_load_buffer(ctx, root, c) == -1)
		rc = -1;
	if (config_load_shutdown(ctx, root, c) == -1)
		rc = -1;
	if (config_load_ratelimit(ctx, root, c) == -1)
		rc = -1;
	if (config_load_format(ctx, root, c) == -1)
		rc = -1;
	if (config_load_templates(ctx, root) == -1)
		rc = -1;
	if (config_load_budget(ctx, root, c) == -1)
		rc = -1;
	if (config_load_stats(ctx, root, c) == -1)
		rc = -1;
	return (rc);
}

static struct config *
config_load(config_t *cf, struct config_ctx *ctx, const char *base)
{
	config_setting_t	*root = config_root_setting(cf);
	struct config_src	*srcs = NULL;
	struct config		*c;
	size_t			 nsrcs = 0, i;
	int			 rc = 0;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		config_error(ctx, NULL, "out of memory");
		return (NULL);
	}
	*c = config_default;
	if (config_strdup(ctx, ctx->file, &c->file) == -1)
		goto fail;

	if (config_load_sections(ctx, root, c) == -1)
		rc = -1;
	if (config_load_includes(ctx, root, base, &srcs, &nsrcs) == -1)
		rc = -1;
	if (config_load_outputs(ctx, root, srcs, nsrcs, c) == -1)
		rc = -1;
	/* The checks across sections need sound values to compare. */
	if (rc == 0 && (config_check_kmsg(ctx, cf, c) == -1 ||
	    config_check_chunk(ctx, cf, c) == -1 ||
	    config_check_client_memory(ctx, cf, c) == -1 ||
	    config_check_memory(ctx, cf, c) == -1))
		rc = -1;
	for (i = 0; i < nsrcs; i++) {
		config_destroy(&srcs[i].cf);
		free(srcs[i].file);
	}
	free(srcs);
	if (rc == 0)
		return (c);
fail:
	config_free(c);
	return (NULL);
}

/* Double *cap (from 16K); the old buffer is freed on failure. */
static char *
config_grow(char *buf, size_t *cap)
{
	size_t ncap = *cap == 0 ? 16384 : *cap * 2;
	char *nb;

	if ((nb = realloc(buf, ncap)) == NULL) {
		free(buf);
		return (NULL);
	}
	*cap = ncap;
	return (nb);
}

/*
 * libconfig 1.5 calls exit() when an @include names a directory (its
 * issue #292), which would end the daemon on a SIGHUP reload instead of
 * keeping the running config. asynclogd has no include support of its own
 * yet, so the directive is refused at its line before libconfig sees it.
 */
static int
config_check_includes(const char *path, const char *text, char *err,
    size_t errlen)
{
	const char *p = text, *q;
	int line = 1;

	for (; *p != '\0'; line++) {
		q = p + strspn(p, " \t");
		if (strncmp(q, "@include", 8) == 0) {
			snprintf(err, errlen, "%s:%d: @include is not supported",
			    path, line);
			return (-1);
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return (0);
}

/*
 * Read and parse one file into cf (config_init'ed here; the caller
 * destroys it on success). Errors are reported through ctx with the
 * file's own name. Returns 0 or -1.
 */
static int
config_parse_file(struct config_ctx *ctx, const char *path, config_t *cf)
{
	char		*text = NULL, err[512];
	const char	*file;
	size_t		 cap = 0, len = 0, n;
	FILE		*f;
	int		 rc = -1;

	/* Open it ourselves so "cannot open" says why, with errno. */
	if ((f = fopen(path, "r")) == NULL) {
		config_error_at(ctx, path, 0, "%s", strerror(errno));
		return (-1);
	}
	do {
		if (cap - len < 4096 && (text = config_grow(text, &cap)) == NULL)
			break;
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (text == NULL || ferror(f)) {
		config_error_at(ctx, path, 0, "%s", text == NULL ?
		    "out of memory" : "read error");
		fclose(f);
		free(text);
		return (-1);
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len)
		config_error_at(ctx, path, 0, "contains a NUL byte");
	else if (config_check_includes(path, text, err, sizeof err) == -1)
		config_error_at(ctx, NULL, 0, "%s", err);
	else {
		config_init(cf);
		if (config_read_string(cf, text) == CONFIG_TRUE)
			rc = 0;
		else {
			file = config_error_file(cf);
			config_error_at(ctx, file != NULL ? file : path,
			    config_error_line(cf), "%s", config_error_text(cf));
			config_destroy(cf);
		}
	}
	free(text);
	return (rc);
}

/* Names in byte order, whatever the locale: the order is the admin's. */
static int
config_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return (strcmp((*a)->d_name, (*b)->d_name));
}

static int
config_conf_name(const struct dirent *de)
{
	size_t	n = strlen(de->d_name);

	return (de->d_name[0] != '.' && n > 5 &&
	    strcmp(de->d_name + n - 5, ".conf") == 0);
}

/*
 * include_dir = "DIR": every DIR/\*.conf, in name order, each parsed on
 * its own (libconfig's own @include_dir is not used: 1.5 exit()s on some
 * includes, see config_check_includes). An included file may hold outputs
 * only; its errors name it. A relative DIR is taken from the directory of
 * the main file. The sources are returned in *srcs for the outputs loader.
 */
static int
config_load_includes(struct config_ctx *ctx, const config_setting_t *root,
    const char *base, struct config_src **srcs, size_t *nsrcs)
{
	static const char *const known[] = { "outputs", NULL };
	struct dirent		**names = NULL;
	config_setting_t	*s = NULL;
	struct stat		 st;
	const char		*dir = NULL, *main_file = ctx->file;
	char			 path[PATH_MAX];
	int			 r, n, i, rc = 0;

	*srcs = NULL;
	*nsrcs = 0;
	if ((r = config_get_string(ctx, root, "", "include_dir", &s,
	    &dir)) != 1)
		return (r);
	if (*dir != '/' && base != NULL && *base != '\0' &&
	    snprintf(path, sizeof path, "%s/%s", base, dir) < (int)sizeof path)
		dir = path;
	if ((n = scandir(dir, &names, config_conf_name, config_name_cmp)) == -1)
		return (config_error(ctx, s, "include_dir '%s': %s", dir,
		    strerror(errno)));
	if (n > CONFIG_MAX_INCLUDES) {
		rc = config_error(ctx, s, "include_dir '%s': more than %d "
		    "*.conf files", dir, CONFIG_MAX_INCLUDES);
		goto out;
	}
	if (n > 0 && (*srcs = calloc((size_t)n, sizeof **srcs)) == NULL) {
		rc = config_error(ctx, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&(*srcs)[*nsrcs].file, "%s/%s", dir,
		    names[i]->d_name) == -1) {
			rc = config_error(ctx, NULL, "out of memory");
			goto out;
		}
		/* A FIFO would block the load (at a reload, the daemon) for
		 * good, and a directory reads as an error. */
		if ((stat((*srcs)[*nsrcs].file, &st) == 0 &&
		    !S_ISREG(st.st_mode) && config_error_at(ctx,
		    (*srcs)[*nsrcs].file, 0, "not a regular file") == -1) ||
		    config_parse_file(ctx, (*srcs)[*nsrcs].file,
		    &(*srcs)[*nsrcs].cf) == -1) {
			free((*srcs)[*nsrcs].file);
			rc = -1;
			continue;
		}
		ctx->file = (*srcs)[*nsrcs].file;
		if (config_check_keys(ctx, config_root_setting(
		    &(*srcs)[*nsrcs].cf), "an included file", known) == -1)
			rc = -1;
		ctx->file = main_file;
		(*nsrcs)++;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (rc);
}

/* The directory a relative include_dir is taken from: the main file's. */
static void
config_base_dir(const char *path, char *buf, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

struct config *
config_load_file(const char *path, char *err, size_t errlen)
{
	struct config_ctx	 ctx = { .file = path, .where = "", .err = err,
				    .errlen = errlen };
	struct config		*c;
	config_t		 cf;
	char			 base[PATH_MAX];

	if (errlen > 0)
		err[0] = '\0';
	if (config_parse_file(&ctx, path, &cf) == -1)
		return (NULL);
	config_base_dir(path, base, sizeof base);
	c = config_load(&cf, &ctx, base);
	config_destroy(&cf);
	return (c);
}

/* A libconfig syntax error, in the same "file:line: message" shape. */
static struct config *
config_syntax_error(config_t *cf, const char *name, char *err, size_t errlen)
{
	const char	*file = config_error_file(cf);

	snprintf(err, errlen, "%s:%d: %s", file != NULL ? file : name,
	    config_error_line(cf), config_error_text(cf));
	return (NULL);
}

struct config *
config_load_string(const char *text, const char *name, char *err,
    size_t errlen)
{
	struct config_ctx	 ctx = { .file = name, .where = "", .err = err,
				    .errlen = errlen };
	struct config		*c;
	config_t		 cf;

	if (errlen > 0)
		err[0] = '\0';
	config_init(&cf);
	if (config_read_string(&cf, text) == CONFIG_FALSE)
		c = config_syntax_error(&cf, name, err, errlen);
	else
		c = config_load(&cf, &ctx, NULL);
	config_destroy(&cf);
	return (c);
}

/* One output's checks against the system (config_check_system()). */
static void
config_check_output_system(struct config_ctx *ctx,
    const struct config_output *o)
{
	char		 dir[PATH_MAX], buf[4096];
	const char	*path = config_output_file(o), *slash;
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	struct stat	 st;

	if (path == NULL)
		return;
	if (o->owner != NULL && (getpwnam_r(o->owner, &pw, buf, sizeof buf,
	    &pwp) != 0 || pwp == NULL))
		config_error_at(ctx, o->file, o->line, "output '%s': unknown "
		    "owner '%s'", o->name, o->owner);
	if (o->group != NULL && (getgrnam_r(o->group, &gr, buf, sizeof buf,
	    &grp) != 0 || grp == NULL))
		config_error_at(ctx, o->file, o->line, "output '%s': unknown "
		    "group '%s'", o->name, o->group);
	slash = strrchr(path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash == NULL ? 1 : slash == path ?
	    1 : (int)(slash - path), slash == NULL ? "." : path);
	if (stat(dir, &st) == -1)
		config_error_at(ctx, o->file, o->line, "output '%s': "
		    "directory %s: %s", o->name, dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		config_error_at(ctx, o->file, o->line, "output '%s': %s is "
		    "not a directory", o->name, dir);
	else if (access(dir, W_OK | X_OK) == -1)
		config_error_at(ctx, o->file, o->line, "output '%s': cannot "
		    "create files in %s: %s", o->name, dir, strerror(errno));
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		config_error_at(ctx, o->file, o->line, "output '%s': %s is a "
		    "directory", o->name, path);
}

int
config_check_system(const struct config *c, char *err, size_t errlen)
{
	struct config_ctx	 ctx = { .file = c->file, .where = "",
				    .err = err, .errlen = errlen };
	size_t			 i;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < c->noutputs; i++)
		config_check_output_system(&ctx, &c->outputs[i]);
	return ((int)ctx.nerrors);
}

static void
config_output_clear(struct config_output *o)
{
	free(o->name);
	free(o->path);
	free(o->match);
	filter_free(o->filter);
	template_free(o->template);
	template_free(o->name_template);
	free(o->fallback);
	free(o->file);
	free(o->owner);
	free(o->group);
	free(o->host);
	free(o->tls_ca_file);
	free(o->tls_cert_file);
	free(o->tls_key_file);
	free(o->tls_peer_name);
	free(o->spool_path);
	config_kafka_free(o->kafka);
}

/* *dst = a copy of src, or NULL for NULL; -1 when out of memory. */
static int
config_dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return (src != NULL && (*dst = strdup(src)) == NULL ? -1 : 0);
}

struct config_output *
config_output_dup(const struct config_output *src)
{
	struct config_output *o;
	char err[256];

	if ((o = malloc(sizeof(*o))) == NULL)
		return (NULL);
	*o = *src;
	o->name = o->path = o->match = o->owner = o->group = NULL;
	o->host = o->tls_ca_file = o->tls_cert_file = o->tls_key_file = NULL;
	o->tls_peer_name = o->spool_path = NULL;
	o->filter = NULL;
	o->template = o->name_template = NULL;
	o->fallback = o->file = NULL;
	o->kafka = NULL;
	if ((src->filter != NULL && (o->filter = filter_compile(
	    filter_text(src->filter), err, sizeof err)) == NULL) ||
	    (src->template != NULL && (o->template = template_compile(
	    template_text(src->template), TEMPLATE_LINE, err,
	    sizeof err)) == NULL) ||
	    (src->name_template != NULL && (o->name_template =
	    template_compile(template_text(src->name_template), TEMPLATE_NAME,
	    err, sizeof err)) == NULL) ||
	    config_dup_opt(&o->fallback, src->fallback) == -1 ||
	    config_dup_opt(&o->file, src->file) == -1 ||
	    (o->name = strdup(src->name)) == NULL ||
	    (o->path = strdup(src->path)) == NULL ||
	    config_dup_opt(&o->match, src->match) == -1 ||
	    config_dup_opt(&o->owner, src->owner) == -1 ||
	    config_dup_opt(&o->group, src->group) == -1 ||
	    config_dup_opt(&o->host, src->host) == -1 ||
	    config_dup_opt(&o->tls_ca_file, src->tls_ca_file) == -1 ||
	    config_dup_opt(&o->tls_cert_file, src->tls_cert_file) == -1 ||
	    config_dup_opt(&o->tls_key_file, src->tls_key_file) == -1 ||
	    config_dup_opt(&o->tls_peer_name, src->tls_peer_name) == -1 ||
	    config_dup_opt(&o->spool_path, src->spool_path) == -1 ||
	    (src->kafka != NULL &&
	    (o->kafka = config_kafka_dup(src->kafka)) == NULL)) {
		config_output_free(o);
		return (NULL);
	}
	return (o);
}

void
config_output_free(struct config_output *o)
{
	if (o == NULL)
		return;
	config_output_clear(o);
	free(o);
}

void
config_free(struct config *c)
{
	size_t			 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->noutputs; i++)
		config_output_clear(&c->outputs[i]);
	free(c->outputs);
	free(c->file);
	free(c->socket);
	free(c->syslog_stream);
	free(c->syslog_dgram);
	free(c->journal);
	free(c->kmsg);
	free(c->kmsg_state);
	free(c->stats_file);
	for (i = 0; i < c->nnetin; i++)
		free(c->netin[i].address);
	free(c->netin);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->tls_ca_file);
	free(c);
}
