/*
 * format.h: turn a record into the bytes of one output line (text, JSON or
 * RFC 5424), escaping everything a client could use to forge a line.
 *
 * Pure and thread-safe: called on the loop thread for records and on writer
 * threads for drop markers. The formatted timestamp is cached per thread and
 * rebuilt once per second, not once per record.
 */
#ifndef ASYNCLOG_FORMAT_H
#define ASYNCLOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

enum format_kind {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_RFC5424,
};

/* "text" / "json" / "rfc5424" -> kind; -1 when unknown. */
int	format_parse(const char *name);
const char *format_name(enum format_kind);

/*
 * Write rec as one line, '\n' included, into dst. host is this machine's name
 * (used when rec->host is NULL, cut to 255 bytes). Returns the line length, or
 * -1 when it does not fit in cap (nothing usable is written then).
 */
ssize_t	format_record(enum format_kind, const struct record *rec,
	    const char *host, char *dst, size_t cap);

/*
 * Upper bound of the line length format_record() can produce for rec, so a
 * caller can pick a chunk with room before formatting.
 */
size_t	format_max_len(const struct record *rec);

/*
 * Text escaping, reversible: bytes 0x00-0x1f, 0x7f and invalid UTF-8 become
 * \n \t \r \\ or \xNN, a backslash becomes \\. Valid UTF-8 passes unchanged,
 * except the C1 controls U+0080..U+009F (terminals obey U+009B as CSI), whose
 * two bytes are written \xc2\xNN.
 * Returns bytes written, or -1 if cap is too small (4 * len always suffices).
 */
ssize_t	format_escape_text(const char *src, size_t len, char *dst, size_t cap);

/* Inverse of format_escape_text; returns bytes written or -1 on bad escapes. */
ssize_t	format_unescape_text(const char *src, size_t len, char *dst, size_t cap);

/*
 * JSON string body escaping (without the quotes): '"' and '\\' escaped,
 * control characters (C1 and U+2028/U+2029 included) as \n \t \r \b \f or
 * \uXXXX, and each invalid UTF-8 byte as the literal text \xNN (a JSON-escaped
 * backslash, then xNN), so the output stays valid UTF-8 and valid JSON
 * whatever the input.
 * Returns bytes written, or -1 if cap is too small (6 * len always suffices).
 */
ssize_t	format_escape_json(const char *src, size_t len, char *dst, size_t cap);

/* RFC 3339 timestamp with microseconds and numeric offset, e.g.
 * 2026-11-24T12:34:56.123456+00:00 (32 bytes). Cached per thread per second.
 * Returns bytes written (no NUL) or -1 if cap < 33. */
ssize_t	format_time(int64_t time_ns, char *dst, size_t cap);

#endif
