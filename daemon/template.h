/* SPDX-License-Identifier: ISC */
/*
 * template.h: named line templates ("${time:rfc3164} ${host} ${msghdr}
 * ${message}") and file name templates ("${tag}.log"), compiled once at
 * load into a list of literals and fields, rendered per record without
 * allocation.
 *
 * The fields themselves (what "${tag}" prints and how its bytes are
 * escaped) belong to format.c; this file owns the grammar and the
 * sanitising of names a client chooses. Pure and thread-safe: the loop
 * renders records, writer threads render drop markers.
 */
#ifndef ASYNCLOG_TEMPLATE_H
#define ASYNCLOG_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "format.h"
#include "record.h"

/* Longest file name a path template may produce: room is left for the
 * rotation suffixes (".12345.zst.tmp") within NAME_MAX. */
#define TEMPLATE_NAME_MAX	200
/* Longest part of a file name one client field may fill. */
#define TEMPLATE_PART_MAX	128

struct template;

enum template_use {
	TEMPLATE_LINE,		/* one log line; '\n' is added */
	TEMPLATE_NAME,		/* a file name; fields are sanitised */
};

/*
 * Compile text. NULL with "column N: what is wrong" in err on a syntax
 * error, an unknown field, or a byte a line or name may not hold.
 */
struct template *template_compile(const char *text, enum template_use,
	    char *err, size_t errlen);
void	template_free(struct template *);
const char *template_text(const struct template *);
/* Does it hold any field? A name template without one is a plain name. */
bool	template_has_fields(const struct template *);

/* The built-in line templates by name ("traditional", "rfc3164"); NULL
 * when name is not one. */
const char *template_builtin(const char *name);

/*
 * One record as a line, '\n' included. Returns its length, or -1 when it
 * does not fit in cap.
 */
ssize_t	template_render(const struct template *, const struct record *,
	    const char *host, char *dst, size_t cap);

/*
 * The file name for rec: every byte a client chose that is not a letter,
 * digit, '.', '_', '-', '+' or '@' becomes '_', and a part that would start
 * with '.' starts with '_' instead, so a name is one plain directory entry
 * (no '/', no "..", no control bytes, no hidden file). Returns its length
 * (NUL added), or -1 when the name is unusable: a client field that is
 * empty or longer than TEMPLATE_PART_MAX, or a name longer than
 * TEMPLATE_NAME_MAX; such records go to the output's fallback file.
 */
ssize_t	template_render_name(const struct template *, const struct record *,
	    const char *host, char *dst, size_t cap);

/* The name with every field written as word: the default fallback name. */
int	template_plain_name(const struct template *, const char *word,
	    char *dst, size_t cap);

/*
 * The literal text before the first field and after the last one, into
 * prefix and suffix (NUL-terminated, cut to their cap): every name the
 * template renders starts and ends with them.
 */
void	template_affixes(const struct template *, char *prefix, size_t pcap,
	    char *suffix, size_t scap);

/* Upper bound of a line for any record accepted under max_record. */
size_t	template_max_line(const struct template *, size_t max_record);

/*
 * A line in the output's format: the template when t is set, else the
 * built-in kind (format_record). The one call outputs and sinks make.
 */
ssize_t	template_line(enum format_kind, const struct template *t,
	    const char *sd_id, const struct record *, const char *host,
	    char *dst, size_t cap);

#endif
