/* SPDX-License-Identifier: ISC */
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

#include <stdbool.h>
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
 * The SD-ID of the daemon's own RFC 5424 SD element (trusted uid, gid and
 * the message's claims). 32473 is the enterprise number RFC 5612 reserves
 * for documentation: sites should set their own (config format.sd_id).
 * At most FORMAT_SD_ID_MAX bytes, so that the claim SD-ID a client's forged
 * copy is renamed to ("asynclog-claim@32473") is still a legal 32-byte SD-ID.
 */
#define FORMAT_SD_ID_DEFAULT	"asynclog@32473"
#define FORMAT_SD_ID_MAX	26
#define FORMAT_SD_CLAIM		"-claim"	/* inserted before the '@' */

/* Is s a private SD-ID "name@number[.number...]" of at most
 * FORMAT_SD_ID_MAX bytes (RFC 5424 section 7.2.2, SD-NAME characters)? */
bool	format_sd_id_valid(const char *s);

/*
 * Write rec as one line, '\n' included, into dst. host is this machine's
 * name, printed where rec->host (a trusted peer name) is NULL; either is cut
 * to 255 bytes. rec->claimed_host never takes the host position: JSON shows
 * it as "claimed_host", RFC 5424 as claimed_host="..." in the daemon's own
 * SD element (SD-ID sd_id), text not at all. Returns the line length, or -1
 * when it does not fit in cap (nothing usable is written then).
 */
ssize_t	format_record(enum format_kind, const char *sd_id,
	    const struct record *rec, const char *host, char *dst, size_t cap);

/*
 * One field of a record on its own, for line and path templates
 * (template.c): the record's bytes escaped as the formats above escape them,
 * so a template can rearrange a line but never forge one.
 */
enum format_field {
	FIELD_TIME,		/* RFC 3339 receive time, as in "text" */
	FIELD_TIME_RFC3164,	/* "Dec  1 14:48:22", local time */
	FIELD_TIME_UNIX,	/* seconds.microseconds since the epoch */
	FIELD_HOST,		/* trusted host, as in "text" */
	FIELD_TAG,
	FIELD_PID,		/* kernel's; "-" when unknown */
	FIELD_UID,
	FIELD_GID,
	FIELD_FACILITY,		/* name: "daemon" */
	FIELD_FACILITY_NUM,
	FIELD_SEVERITY,		/* name: "info" */
	FIELD_SEVERITY_NUM,
	FIELD_PRI,		/* facility * 8 + severity */
	FIELD_MSGID,		/* "-" when none */
	FIELD_MESSAGE,
	FIELD_MSGHDR,		/* "tag[pid]: ", or "tag: " without a pid */
	FIELD_UNIT,		/* "-" when unknown */
	FIELD_FIELDS,		/* native fields as " key=value" pairs */
	FIELD_NFIELDS
};

enum format_escape {
	FORMAT_AS_TEXT,		/* reversible text escaping (message) */
	FORMAT_AS_WORD,		/* the same, spaces escaped too; "-" if empty */
	FORMAT_AS_JSON,		/* JSON string body, without the quotes */
};

/* "tag" -> FIELD_TAG; -1 when unknown. */
int	format_field_parse(const char *name, size_t len);
const char *format_field_name(enum format_field);
/* May this field hold a client's bytes (for path sanitising and bounds)? */
bool	format_field_client(enum format_field);

/*
 * Append field f of rec to dst, escaped as esc says (ignored for numbers
 * and times, which need none). Returns bytes written or -1 when it does not
 * fit in cap. Client fields grow by at most FORMAT_GROWTH per byte.
 */
ssize_t	format_field(enum format_field f, enum format_escape esc,
	    const struct record *rec, const char *host, char *dst, size_t cap);

/*
 * Upper bound of the line length format_record() can produce for rec, so a
 * caller can pick a chunk with room before formatting.
 */
size_t	format_max_len(const struct record *rec);

/*
 * Upper bound of the line length of any record the daemon accepts under
 * max_record, in format kind, at the worst escaping of every byte: a syslog
 * message is at most max_record bytes in all; a native RECORD frame at most
 * max_record of message plus WIRE_RECORD_OVERHEAD bytes of tag, fields and
 * framing. config.c rejects a chunk_size below this.
 */
size_t	format_max_line(enum format_kind, size_t max_record);

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
 * JSON string body escaping (without the quotes), reversible: '"' and '\\'
 * become \" and \\, control characters (C1 and U+2028/U+2029 included)
 * \n \t \r \b \f or \uXXXX, and each invalid UTF-8 byte 0xNN becomes
 * \udcNN, a lone low surrogate that no valid UTF-8 can produce (the
 * "surrogateescape" of Python's PEP 383: json.loads(line)["message"]
 * .encode("utf-8", "surrogateescape") gives back the exact bytes).
 * Returns bytes written, or -1 if cap is too small (6 * len always suffices).
 */
ssize_t	format_escape_json(const char *src, size_t len, char *dst, size_t cap);

/* RFC 3339 timestamp with microseconds and numeric offset, e.g.
 * 2026-11-24T12:34:56.123456+00:00 (32 bytes). Cached per thread per second.
 * Returns bytes written (no NUL) or -1 if cap < 33. */
ssize_t	format_time(int64_t time_ns, char *dst, size_t cap);

/*
 * The receive time of the record on one output line, in any of the three
 * formats (text: the line starts with it; json: {"time":"..."; rfc5424:
 * after "<PRI>1 "), as format_time writes it (fraction and offset as
 * RFC 3339 allows, "Z" too). 0 and *time_ns set, or -1 when the line does not
 * start like one of ours. The writer uses it for a file's age.
 */
int	format_line_time(const char *line, size_t len, int64_t *time_ns);

/*
 * The value of the string member name ("host", "tag", ...) on one JSON line
 * of ours, as it stands there (escaped, without its quotes): 0 with *val
 * and *vlen set, or -1 when the line has no such member. The first match
 * is the member: every string of a client's escapes its quotes, so only
 * the line's own structure has a quote right after a name, and host and
 * tag come before the message and the fields. The Kafka sink keys
 * messages by it.
 */
int	format_json_member(const char *line, size_t len, const char *name,
	    const char **val, size_t *vlen);

#endif
