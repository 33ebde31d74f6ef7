/* SPDX-License-Identifier: ISC */
/*
 * fuzz_format.c: libFuzzer target for daemon/format.c, the record -> line
 * formatters and their escaping.
 *
 * The input becomes a record: a header of flags and numbers, then pieces
 * of client bytes (the SD-ID to use, trusted host, claimed host, tag, MSGID,
 * SD, native fields), each one length byte and its bytes, and the rest is
 * the message. The record is formatted as text, JSON and RFC 5424 into a
 * buffer of exactly format_max_len() bytes. Properties, for any input:
 *   - format_max_len() is enough, and one byte less than the line fails;
 *   - each line is one clean line: valid UTF-8, no control byte, a single
 *     '\n' at its end;
 *   - text: read back with a reference unescaper, the host, tag, message,
 *     field keys and values are exactly the record's bytes (an empty tag
 *     or host is "-"); pid is the trusted one;
 *   - JSON: the line is one JSON object without duplicate members, and every
 *     string read back as RFC 8259 says, with "surrogateescape" for the
 *     \udcNN of an invalid byte, is exactly the record's bytes;
 *   - RFC 5424: the line passes a validity check (PRI VERSION TIMESTAMP
 *     HOSTNAME APP-NAME PROCID MSGID, SD-ELEMENTs by the grammar, MSG), the
 *     first SD element is the daemon's and no other has its SD-ID (a client
 *     cannot forge it), the claimed host, origsd and message read back
 *     exactly.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_HOST	"myhost"
#define FUZZ_TIME_LEN	32	/* 2026-11-24T12:34:56.123456+00:00 */

/* Decoded bytes of one piece of a line; the buffers are big enough for any
 * line of a 1 MiB input (decoding never makes bytes longer). */
struct fuzz_bytes {
	char	*p;
	size_t	 len;
};

static char	*fuzz_line, *fuzz_tmp, *fuzz_tmp2;
static size_t	 fuzz_cap;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The line's time must not depend on where the fuzzer runs. */
	setenv("TZ", "UTC", 1);
	return 0;
}

static void
fuzz_reserve(size_t n)
{
	if (n <= fuzz_cap)
		return;
	free(fuzz_line);
	free(fuzz_tmp);
	free(fuzz_tmp2);
	fuzz_cap = n;
	if ((fuzz_line = malloc(n)) == NULL || (fuzz_tmp = malloc(n)) == NULL ||
	    (fuzz_tmp2 = malloc(n)) == NULL)
		abort();
}

static bool
fuzz_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* ---- reference unescapers, written apart from format.c ---------------- */

static int
fuzz_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Text escaping undone: \\ \n \t \r \xNN (lower-case hex); -1 if bad. */
static ssize_t
fuzz_unescape_text(const char *s, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= len)
			return -1;
		switch (s[i]) {
		case '\\': out[o++] = '\\'; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case 'r': out[o++] = '\r'; break;
		case 'x':
			if (len - i < 3 || fuzz_hex(s[i + 1]) < 0 ||
			    fuzz_hex(s[i + 2]) < 0)
				return -1;
			out[o++] = (char)(fuzz_hex(s[i + 1]) << 4 |
			    fuzz_hex(s[i + 2]));
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)o;
}

/* A text-escaped piece of a line must read back as exactly want. */
static void
fuzz_check_text(const char *what, const char *s, size_t len,
    const char *want, size_t wantlen)
{
	ssize_t	n = fuzz_unescape_text(s, len, fuzz_tmp);

	FUZZ_CHECK(n >= 0, "%s: bad escape in '%.*s'", what, (int)len, s);
	FUZZ_CHECK(fuzz_eq(fuzz_tmp, (size_t)n, want, wantlen),
	    "%s: '%.*s' reads back as %zd bytes, not the %zu given", what,
	    (int)len, s, n, wantlen);
}

/* RFC 5424 PARAM-VALUE unescaping: \" \\ \] stand for the character. */
static size_t
fuzz_unescape_sd(const char *s, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']'))
			i++;
		out[o++] = s[i];
	}
	return o;
}

static size_t
fuzz_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
fuzz_hex4(const char *s, const char *end, unsigned *v)
{
	int	i, h;

	if (end - s < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		if ((h = fuzz_hex(s[i])) < 0 && (s[i] < 'A' || s[i] > 'F'))
			return -1;
		*v = *v << 4 | (unsigned)(h >= 0 ? h : s[i] - 'A' + 10);
	}
	return 0;
}

/*
 * A JSON string at *sp (its opening quote included), decoded as RFC 8259
 * says and encoded back to bytes with "surrogateescape": a lone
 * U+DC80..U+DCFF is the byte it stands for. Moves *sp past the closing
 * quote; false on anything else.
 */
static bool
fuzz_json_string(const char **sp, const char *end, struct fuzz_bytes *out)
{
	const char	*s = *sp;
	unsigned	 u, lo;

	out->len = 0;
	if (s >= end || *s++ != '"')
		return false;
	for (;;) {
		if (s >= end || (unsigned char)*s < 0x20)
			return false;
		if (*s == '"')
			break;
		if (*s != '\\') {
			out->p[out->len++] = *s++;
			continue;
		}
		if (++s >= end)
			return false;
		switch (*s++) {
		case '"': out->p[out->len++] = '"'; continue;
		case '\\': out->p[out->len++] = '\\'; continue;
		case '/': out->p[out->len++] = '/'; continue;
		case 'b': out->p[out->len++] = '\b'; continue;
		case 'f': out->p[out->len++] = '\f'; continue;
		case 'n': out->p[out->len++] = '\n'; continue;
		case 'r': out->p[out->len++] = '\r'; continue;
		case 't': out->p[out->len++] = '\t'; continue;
		case 'u': break;
		default: return false;
		}
		if (fuzz_hex4(s, end, &u) == -1)
			return false;
		s += 4;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
			    fuzz_hex4(s + 2, end, &lo) == -1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return false;
			s += 6;
			out->len += fuzz_utf8(0x10000 + ((u - 0xd800) << 10) +
			    (lo - 0xdc00), out->p + out->len);
		} else if (u >= 0xdc80 && u <= 0xdcff)
			out->p[out->len++] = (char)(u - 0xdc00);
		else if (u >= 0xdc00 && u <= 0xdfff)
			return false;
		else
			out->len += fuzz_utf8(u, out->p + out->len);
	}
	*sp = s + 1;
	return true;
}

/* ---- the record ------------------------------------------------------- */

struct fuzz_record {
	struct record		 rec;
	struct wire_field	 fields[WIRE_MAX_FIELDS];
	char			 sd_id[FORMAT_SD_ID_MAX + 1];
};

static void
fuzz_build(struct fuzz_in *in, struct fuzz_record *fr)
{
	struct record	*rec = &fr->rec;
	unsigned	 flags;
	const char	*s;
	size_t		 n, i;

	memset(fr, 0, sizeof *fr);
	flags = (unsigned)fuzz_take_uint(in, 2);
	rec->facility = (int8_t)fuzz_take_uint(in, 1);
	rec->severity = (int8_t)fuzz_take_uint(in, 1);
	rec->pid = (pid_t)(int32_t)fuzz_take_uint(in, 4);
	rec->uid = (uid_t)fuzz_take_uint(in, 4);
	rec->gid = (gid_t)fuzz_take_uint(in, 4);
	rec->claimed_pid = (pid_t)(int32_t)fuzz_take_uint(in, 4);
	rec->time_ns = (int64_t)fuzz_take_uint(in, 8);
	if (flags & 0x100)
		rec->client_time_ns = (int64_t)fuzz_take_uint(in, 8);
	if (flags & 0x10)
		rec->pid = -1;
	if (flags & 0x20)
		rec->uid = (uid_t)-1;
	if (flags & 0x40)
		rec->gid = (gid_t)-1;

	/* The SD-ID: the default, or the input's when it is a valid one. */
	snprintf(fr->sd_id, sizeof fr->sd_id, "%s", FORMAT_SD_ID_DEFAULT);
	s = fuzz_take_bytes(in, FORMAT_SD_ID_MAX, &n);
	if (flags & 0x200) {
		char	id[FORMAT_SD_ID_MAX + 1];

		memcpy(id, s, n);
		id[n] = '\0';
		if (format_sd_id_valid(id))
			memcpy(fr->sd_id, id, n + 1);
	}

	s = fuzz_take_bytes(in, 255, &n);
	if (flags & 0x1) {
		rec->host = s;
		rec->host_len = n;
	}
	s = fuzz_take_bytes(in, 255, &n);
	if (flags & 0x2) {
		rec->claimed_host = s;
		rec->claimed_host_len = n;
	}
	rec->tag = fuzz_take_bytes(in, 255, &rec->tag_len);
	s = fuzz_take_bytes(in, 255, &n);
	if (flags & 0x4) {
		rec->msgid = s;
		rec->msgid_len = n;
	}
	s = fuzz_take_bytes(in, 255, &n);
	if (flags & 0x8) {
		rec->sd = s;
		rec->sd_len = n;
	}
	rec->nfields = (flags >> 10) % (WIRE_MAX_FIELDS + 1);
	for (i = 0; i < rec->nfields; i++) {
		fr->fields[i].key = fuzz_take_bytes(in, 255,
		    &fr->fields[i].key_len);
		fr->fields[i].value = fuzz_take_bytes(in, 255,
		    &fr->fields[i].value_len);
	}
	rec->fields = fr->fields;
	rec->msg = (const char *)in->p;
	rec->msg_len = in->len;
}

/* The host the line must show: the trusted one, else ours, cut to 255. */
static void
fuzz_host(const struct record *rec, const char **h, size_t *hlen)
{
	if (rec->host != NULL) {
		*h = rec->host;
		*hlen = rec->host_len < 255 ? rec->host_len : 255;
	} else {
		*h = FUZZ_HOST;
		*hlen = strlen(FUZZ_HOST);
	}
}

static bool
fuzz_claims_host(const struct record *rec)
{
	const char	*h;
	size_t		 hlen;

	fuzz_host(rec, &h, &hlen);
	return rec->claimed_host != NULL &&
	    !fuzz_eq(rec->claimed_host, rec->claimed_host_len, h, hlen);
}

/* ---- checks every line passes ----------------------------------------- */

static bool
fuzz_valid_utf8(const unsigned char *p, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] < 0xe0) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] < 0xf0) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] < 0xf5) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		/* C1 controls drive terminals: never in a line. */
		if (cp >= 0x80 && cp <= 0x9f)
			return false;
		i += n;
	}
	return true;
}

static void
fuzz_check_clean(const char *kind, const char *line, size_t n)
{
	size_t	i;

	FUZZ_CHECK(n > 0 && line[n - 1] == '\n', "%s: no newline at the end",
	    kind);
	for (i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)line[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f,
		    "%s: control byte 0x%02x at %zu: %.*s", kind, c, i,
		    (int)n, line);
	}
	FUZZ_CHECK(fuzz_valid_utf8((const unsigned char *)line, n),
	    "%s: not valid UTF-8 (or a C1 control): %.*s", kind, (int)n, line);
}

/* YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM */
static bool
fuzz_time_ok(const char *p, size_t len)
{
	static const char	pat[] = "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd";
	size_t			i;

	if (len != FUZZ_TIME_LEN)
		return false;
	for (i = 0; i < FUZZ_TIME_LEN; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)p[i]) :
		    pat[i] == '+' ? p[i] != '+' && p[i] != '-' : p[i] != pat[i])
			return false;
	}
	return true;
}

/*
 * The message and the native fields at the end of a text or RFC 5424 line:
 * fields are " key=value" with spaces escaped, so the last nfields spaces
 * of s[0..len) start them and all before is the message.
 */
static void
fuzz_check_msg_fields(const char *kind, const char *s, size_t len,
    const struct record *rec)
{
	size_t		 i, end = len, start, eq;

	for (i = rec->nfields; i-- > 0; ) {
		start = end;
		while (start > 0 && s[start - 1] != ' ')
			start--;
		FUZZ_CHECK(start > 0, "%s: field %zu has no space before it",
		    kind, i);
		for (eq = start; eq < end && s[eq] != '='; eq++)
			;
		FUZZ_CHECK(eq < end, "%s: field %zu has no '='", kind, i);
		fuzz_check_text("field key", s + start, eq - start,
		    rec->fields[i].key, rec->fields[i].key_len);
		fuzz_check_text("field value", s + eq + 1, end - eq - 1,
		    rec->fields[i].value, rec->fields[i].value_len);
		end = start - 1;
	}
	fuzz_check_text(kind, s, end, rec->msg, rec->msg_len);
}

/* ---- text ------------------------------------------------------------- */

/* A one-word field: "-" when empty, else the escaped bytes. */
static void
fuzz_check_word(const char *what, const char *s, size_t len,
    const char *want, size_t wantlen)
{
	if (wantlen == 0) {
		FUZZ_CHECK(len == 1 && s[0] == '-', "%s: empty is not '-'",
		    what);
		return;
	}
	fuzz_check_text(what, s, len, want, wantlen);
}

static void
fuzz_check_line_text(const char *line, size_t n, const struct record *rec)
{
	const char	*p = line, *end = line + n - 1, *sp, *h;
	size_t		 hlen;
	char		 pid[16];
	int		 pl;

	FUZZ_CHECK(n > FUZZ_TIME_LEN && fuzz_time_ok(p, FUZZ_TIME_LEN) &&
	    p[FUZZ_TIME_LEN] == ' ', "text: bad time: %.*s", (int)n, line);
	p += FUZZ_TIME_LEN + 1;

	fuzz_host(rec, &h, &hlen);
	/* A record from the network shows the host its message names. */
	if (rec->host != NULL && rec->claimed_host != NULL &&
	    rec->claimed_host_len > 0) {
		h = rec->claimed_host;
		hlen = rec->claimed_host_len < 255 ? rec->claimed_host_len : 255;
	}
	sp = memchr(p, ' ', (size_t)(end - p));
	FUZZ_CHECK(sp != NULL, "text: no space after the host");
	fuzz_check_word("text host", p, (size_t)(sp - p), h, hlen);
	p = sp + 1;

	/* TAG[PID]: -- the tag has no raw space, so the word ends at ": ". */
	sp = memchr(p, ' ', (size_t)(end - p));
	FUZZ_CHECK(sp != NULL && sp > p && sp[-1] == ':',
	    "text: no \"TAG: \" in %.*s", (int)n, line);
	sp--;
	if (rec->pid >= 0) {
		pl = snprintf(pid, sizeof pid, "[%d]", (int)rec->pid);
		FUZZ_CHECK(sp - p >= pl && memcmp(sp - pl, pid,
		    (size_t)pl) == 0, "text: no %s before the colon", pid);
		sp -= pl;
	}
	fuzz_check_word("text tag", p, (size_t)(sp - p), rec->tag,
	    rec->tag_len);
	p = sp + (rec->pid >= 0 ? pl : 0) + 2;
	fuzz_check_msg_fields("text message", p, (size_t)(end - p), rec);
}

/* ---- JSON ------------------------------------------------------------- */

#define FUZZ_MAX_MEMBERS	32

struct fuzz_member {
	char		 key[32];
	const char	*raw;		/* the value as written */
	size_t		 rawlen;
	struct fuzz_bytes str;		/* a string value, decoded */
	bool		 is_str;
};

static const struct fuzz_member *
fuzz_member(const struct fuzz_member *m, size_t nm, const char *key)
{
	size_t	i;

	for (i = 0; i < nm; i++)
		if (strcmp(m[i].key, key) == 0)
			return &m[i];
	return NULL;
}

static void
fuzz_check_json_str(const struct fuzz_member *m, size_t nm, const char *key,
    const char *want, size_t wantlen)
{
	const struct fuzz_member *v = fuzz_member(m, nm, key);

	FUZZ_CHECK(v != NULL && v->is_str, "json: no string member \"%s\"",
	    key);
	FUZZ_CHECK(fuzz_eq(v->str.p, v->str.len, want, wantlen),
	    "json: \"%s\" reads back as %zu bytes, not the %zu given", key,
	    v->str.len, wantlen);
}

static void
fuzz_check_line_json(const char *line, size_t n, const struct record *rec)
{
	static struct fuzz_member	 m[FUZZ_MAX_MEMBERS];
	struct fuzz_bytes		 k, fk, fv;
	const char			*p = line, *end = line + n - 1, *q, *h;
	char				*pool = fuzz_tmp2;
	size_t				 nm = 0, i, nf, hlen;
	bool				 known;

	FUZZ_CHECK(p < end && *p++ == '{', "json: no '{'");
	for (;;) {
		FUZZ_CHECK(nm < FUZZ_MAX_MEMBERS, "json: too many members");
		k.p = pool;
		FUZZ_CHECK(fuzz_json_string(&p, end, &k) && k.len > 0 &&
		    k.len < sizeof m[nm].key, "json: bad member name at %zu",
		    (size_t)(p - line));
		memcpy(m[nm].key, k.p, k.len);
		m[nm].key[k.len] = '\0';
		for (i = 0; i < nm; i++)
			FUZZ_CHECK(strcmp(m[i].key, m[nm].key) != 0,
			    "json: member \"%s\" twice", m[nm].key);
		FUZZ_CHECK(p < end && *p++ == ':', "json: no ':'");
		m[nm].raw = p;
		m[nm].is_str = false;
		if (p < end && *p == '"') {
			m[nm].str.p = pool;
			FUZZ_CHECK(fuzz_json_string(&p, end, &m[nm].str),
			    "json: bad string for \"%s\"", m[nm].key);
			m[nm].is_str = true;
			pool += m[nm].str.len;
		} else if (p < end && *p == '{') {
			/* "fields": string members, in the client's order. */
			FUZZ_CHECK(strcmp(m[nm].key, "fields") == 0,
			    "json: object for \"%s\"", m[nm].key);
			p++;
			for (nf = 0; p < end && *p != '}'; nf++) {
				FUZZ_CHECK(nf < rec->nfields,
				    "json: more fields than the record's");
				if (nf > 0)
					FUZZ_CHECK(*p++ == ',', "json: no ','");
				fk.p = fuzz_tmp;
				FUZZ_CHECK(fuzz_json_string(&p, end, &fk),
				    "json: bad field key");
				FUZZ_CHECK(fuzz_eq(fk.p, fk.len,
				    rec->fields[nf].key,
				    rec->fields[nf].key_len),
				    "json: field %zu key differs", nf);
				FUZZ_CHECK(p < end && *p++ == ':',
				    "json: no ':' in fields");
				fv.p = fuzz_tmp;
				FUZZ_CHECK(fuzz_json_string(&p, end, &fv),
				    "json: bad field value");
				FUZZ_CHECK(fuzz_eq(fv.p, fv.len,
				    rec->fields[nf].value,
				    rec->fields[nf].value_len),
				    "json: field %zu value differs", nf);
			}
			FUZZ_CHECK(nf == rec->nfields && p < end && *p++ == '}',
			    "json: %zu fields of %zu", nf, rec->nfields);
		} else {
			/* A number (maybe negative) or null. */
			q = p;
			if (p < end && *p == '-')
				p++;
			while (p < end && isdigit((unsigned char)*p))
				p++;
			FUZZ_CHECK((p > q && isdigit((unsigned char)p[-1])) ||
			    (end - q >= 4 && memcmp(q, "null", 4) == 0 &&
			    (p = q + 4)), "json: bad value for \"%s\"",
			    m[nm].key);
		}
		m[nm].rawlen = (size_t)(p - m[nm].raw);
		nm++;
		FUZZ_CHECK(p < end, "json: cut short");
		if (*p == '}')
			break;
		FUZZ_CHECK(*p++ == ',', "json: no ',' between members");
	}
	FUZZ_CHECK(p + 1 == end, "json: bytes after the object");

	fuzz_host(rec, &h, &hlen);
	fuzz_check_json_str(m, nm, "host", h, hlen);
	if (fuzz_claims_host(rec))
		fuzz_check_json_str(m, nm, "claimed_host", rec->claimed_host,
		    rec->claimed_host_len);
	else
		FUZZ_CHECK(fuzz_member(m, nm, "claimed_host") == NULL,
		    "json: claimed_host of nothing claimed");
	fuzz_check_json_str(m, nm, "tag", rec->tag, rec->tag_len);
	if (rec->msgid != NULL)
		fuzz_check_json_str(m, nm, "msgid", rec->msgid,
		    rec->msgid_len);
	if (rec->sd != NULL)
		fuzz_check_json_str(m, nm, "sd", rec->sd, rec->sd_len);
	fuzz_check_json_str(m, nm, "message", rec->msg, rec->msg_len);
	FUZZ_CHECK(fuzz_member(m, nm, "time") != NULL &&
	    fuzz_time_ok(fuzz_member(m, nm, "time")->str.p,
	    fuzz_member(m, nm, "time")->str.len), "json: bad time");
	known = rec->facility >= 0 && rec->facility < 24;
	FUZZ_CHECK(fuzz_member(m, nm, "facility") != NULL &&
	    fuzz_member(m, nm, "facility")->is_str == known,
	    "json: facility %d", rec->facility);
	FUZZ_CHECK((fuzz_member(m, nm, "fields") != NULL) ==
	    (rec->nfields > 0), "json: fields member and %zu fields",
	    rec->nfields);
}

/* ---- RFC 5424 --------------------------------------------------------- */

/* A header field as format.c must write it: "-", or printable ASCII with
 * anything else as '_', cut to max. */
static void
fuzz_check_5424_field(const char *what, const char *s, size_t len,
    const char *want, size_t wantlen, size_t max)
{
	size_t	i;
	char	c;

	if (want == NULL || wantlen == 0) {
		FUZZ_CHECK(len == 1 && s[0] == '-', "5424 %s: not '-'", what);
		return;
	}
	FUZZ_CHECK(len == (wantlen < max ? wantlen : max),
	    "5424 %s: %zu bytes for %zu", what, len, wantlen);
	for (i = 0; i < len; i++) {
		c = want[i] >= 33 && want[i] <= 126 ? want[i] : '_';
		FUZZ_CHECK(s[i] == c, "5424 %s: byte %zu", what, i);
	}
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']', '"'. */
static size_t
fuzz_sd_name(const char *s, const char *end)
{
	size_t	i;

	for (i = 0; s + i < end && s[i] >= 33 && s[i] <= 126 &&
	    s[i] != '=' && s[i] != ']' && s[i] != '"'; i++)
		;
	return i <= 32 ? i : 0;
}

static void
fuzz_check_line_5424(const char *line, size_t n, const struct record *rec,
    const char *sd_id)
{
	const char	*p = line, *end = line + n - 1, *f[5], *id, *v, *h;
	size_t		 fl[5], k, idlen, nl, ours = 0, hlen, vlen;
	bool		 first = true, saw_claim = false, saw_orig = false;
	int		 pri = 0;

	/* <PRI>1 */
	FUZZ_CHECK(*p++ == '<', "5424: no '<'");
	for (k = 0; p < end && isdigit((unsigned char)*p) && k < 3; k++)
		pri = pri * 10 + (*p++ - '0');
	FUZZ_CHECK(k > 0 && (k == 1 || p[-(int)k] != '0') && pri <= 191 &&
	    p < end && *p++ == '>', "5424: bad PRI: %.*s", (int)n, line);
	FUZZ_CHECK(end - p > 2 && p[0] == '1' && p[1] == ' ',
	    "5424: no VERSION");
	p += 2;
	/* TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, single spaces. */
	for (k = 0; k < 5; k++) {
		f[k] = p;
		while (p < end && *p != ' ')
			p++;
		fl[k] = (size_t)(p - f[k]);
		FUZZ_CHECK(fl[k] > 0 && p < end && *p++ == ' ',
		    "5424: header field %zu: %.*s", k, (int)n, line);
	}
	FUZZ_CHECK(fuzz_time_ok(f[0], fl[0]), "5424: bad TIMESTAMP");
	fuzz_host(rec, &h, &hlen);
	fuzz_check_5424_field("HOSTNAME", f[1], fl[1], h, hlen, 255);
	fuzz_check_5424_field("APP-NAME", f[2], fl[2], rec->tag, rec->tag_len,
	    48);
	FUZZ_CHECK(fl[3] <= 128, "5424: PROCID of %zu", fl[3]);
	fuzz_check_5424_field("MSGID", f[4], fl[4], rec->msgid,
	    rec->msgid_len, 32);

	/* STRUCTURED-DATA: one or more elements, ours first. */
	idlen = strlen(sd_id);
	FUZZ_CHECK(p < end && *p == '[', "5424: no SD");
	while (p < end && *p == '[') {
		p++;
		id = p;
		nl = fuzz_sd_name(p, end);
		FUZZ_CHECK(nl > 0, "5424: bad SD-ID: %.*s", (int)n, line);
		p += nl;
		if (nl == idlen && strncasecmp(id, sd_id, idlen) == 0)
			ours++;
		FUZZ_CHECK(!first || (nl == idlen && memcmp(id, sd_id,
		    idlen) == 0), "5424: the first element is not ours");
		while (p < end && *p == ' ') {
			p++;
			v = p;
			nl = fuzz_sd_name(p, end);
			FUZZ_CHECK(nl > 0 && end - p > (ptrdiff_t)nl + 1 &&
			    p[nl] == '=' && p[nl + 1] == '"',
			    "5424: bad SD-PARAM: %.*s", (int)n, line);
			p += nl + 2;
			for (; p < end && *p != '"'; p++) {
				FUZZ_CHECK(*p != ']',
				    "5424: unescaped ']' in a value");
				if (*p == '\\' && p + 1 < end)
					p++;
			}
			FUZZ_CHECK(p < end, "5424: value not closed");
			vlen = (size_t)(p - (v + nl + 2));
			if (first && nl == 12 && memcmp(v, "claimed_host",
			    12) == 0) {
				k = fuzz_unescape_sd(v + 14, vlen, fuzz_tmp2);
				fuzz_check_text("5424 claimed_host", fuzz_tmp2,
				    k, rec->claimed_host,
				    rec->claimed_host_len);
				saw_claim = true;
			}
			if (first && nl == 6 && memcmp(v, "origsd", 6) == 0) {
				k = fuzz_unescape_sd(v + 8, vlen, fuzz_tmp2);
				fuzz_check_text("5424 origsd", fuzz_tmp2, k,
				    rec->sd, rec->sd_len);
				saw_orig = true;
			}
			p++;
		}
		FUZZ_CHECK(p < end && *p++ == ']', "5424: element not closed: "
		    "%.*s", (int)n, line);
		first = false;
	}
	FUZZ_CHECK(ours == 1, "5424: %zu elements with our SD-ID %s: %.*s",
	    ours, sd_id, (int)n, line);
	FUZZ_CHECK(saw_claim == fuzz_claims_host(rec),
	    "5424: claimed_host %s", saw_claim ? "of nothing" : "missing");
	if (saw_orig)
		FUZZ_CHECK(rec->sd != NULL, "5424: origsd of no SD");

	/* MSG */
	if (rec->msg_len == 0 && rec->nfields == 0) {
		FUZZ_CHECK(p == end, "5424: bytes after an empty message");
		return;
	}
	FUZZ_CHECK(p < end && *p++ == ' ', "5424: no space before MSG: %.*s",
	    (int)n, line);
	fuzz_check_msg_fields("5424 message", p, (size_t)(end - p), rec);
}

/* ---- the target ------------------------------------------------------- */

static const char *const fuzz_kinds[] = { "text", "json", "rfc5424" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_record	 fr;
	struct fuzz_in			 in = { data, size };
	const struct record		*rec = &fr.rec;
	size_t				 cap;
	ssize_t				 n;
	int				 kind;

	fuzz_build(&in, &fr);
	cap = format_max_len(rec);
	fuzz_reserve(cap + 1);

	for (kind = FORMAT_TEXT; kind <= FORMAT_RFC5424; kind++) {
		n = format_record((enum format_kind)kind, fr.sd_id, rec,
		    FUZZ_HOST, fuzz_line, cap);
		FUZZ_CHECK(n > 0 && (size_t)n <= cap,
		    "%s: format_max_len() of %zu is not enough",
		    fuzz_kinds[kind], cap);
		FUZZ_CHECK(format_record((enum format_kind)kind, fr.sd_id, rec,
		    FUZZ_HOST, fuzz_tmp, (size_t)n - 1) == -1,
		    "%s: a line of %zd fits in %zd", fuzz_kinds[kind], n,
		    n - 1);
		fuzz_check_clean(fuzz_kinds[kind], fuzz_line, (size_t)n);
		switch (kind) {
		case FORMAT_TEXT:
			fuzz_check_line_text(fuzz_line, (size_t)n, rec);
			break;
		case FORMAT_JSON:
			fuzz_check_line_json(fuzz_line, (size_t)n, rec);
			break;
		case FORMAT_RFC5424:
			fuzz_check_line_5424(fuzz_line, (size_t)n, rec,
			    fr.sd_id);
			break;
		}
	}
	return 0;
}
