/* SPDX-License-Identifier: ISC */
/*
 * format.c: turn a record into one output line (text, JSON or RFC 5424).
 *
 * The one promise this file keeps is that a client cannot forge a line: every
 * byte that came from a client goes through an escaper, so the only '\n' in
 * the output is the one that ends the line, and no control byte or invalid
 * UTF-8 ever reaches the file (a terminal that cats the log is safe too).
 *
 * Pure and thread-safe: the only state is the per-thread timestamp cache, so
 * the loop thread and the writer threads (drop markers) can all call in. No
 * allocation, no syscall per record: localtime_r runs once per second.
 */

#include <stdbool.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "format.h"

#define FORMAT_TIME_LEN		32	/* 2026-11-24T12:34:56.123456+00:00 */
#define FORMAT_MAX_HOST		255	/* local host name is cut to this */
#define FORMAT_FIXED		1024	/* numbers, names, punctuation, times */
#define FORMAT_GROWTH		6	/* worst escape: one byte -> \u00XX */

/* RFC 5424 section 6: header field limits (PRINTUSASCII only). */
#define FORMAT_5424_HOST	255
#define FORMAT_5424_APP		48
#define FORMAT_5424_PROCID	128
#define FORMAT_5424_MSGID	32
#define FORMAT_5424_SDNAME	32

/*
 * The most output bytes one client byte can become in each format: text
 * writes \xNN; JSON \u00XX or \udcXX; RFC 5424 \\xNN in SD values (the
 * text escaping, then SD-PARAM escaping of its backslash).
 */
static const size_t format_growth[] = {
	[FORMAT_TEXT] = 4,
	[FORMAT_JSON] = FORMAT_GROWTH,
	[FORMAT_RFC5424] = 5,
};

/* Escaper flags: what else, besides controls and bad UTF-8, gets escaped. */
#define FORMAT_ESC_SPACE	0x1	/* ' ' -> \x20: one-word fields */
#define FORMAT_ESC_EQUAL	0x2	/* '=' -> \x3d, for keys of key=value */
#define FORMAT_ESC_SD		0x4	/* then SD-PARAM escaping */
#define FORMAT_ESC_QUOTE	0x8	/* JSON: a plain run stops at '"' */

static const char *format_facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};
#define FORMAT_NFACILITIES \
	(sizeof format_facilities / sizeof format_facilities[0])

static const char *format_severities[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
#define FORMAT_NSEVERITIES \
	(sizeof format_severities / sizeof format_severities[0])

static const char *format_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};

static const char *format_names[] = {
	[FORMAT_TEXT] = "text",
	[FORMAT_JSON] = "json",
	[FORMAT_RFC5424] = "rfc5424",
};

/*
 * Output cursor. Writers never check for room themselves: the first one that
 * does not fit sets full, every later one is a no-op, and the caller checks
 * once at the end. That keeps the formatters readable top to bottom.
 */
struct format_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	bool	 full;
};

/* The second cached per thread: rebuilt when a record is in another second. */
struct format_tcache {
	bool	 valid;
	int64_t	 sec;
	char	 date[20];	/* "YYYY-MM-DDTHH:MM:SS" + NUL */
	char	 offset[7];	/* "+HH:MM" + NUL */
	char	 bsd[16];	/* "Mmm dd hh:mm:ss" + NUL (RFC 3164) */
	int64_t	 last_ns;	/* records of one read share a receive time: */
	char	 last[FORMAT_TIME_LEN];	/* its whole stamp, reused as is */
	bool	 last_valid;
};

static _Thread_local struct format_tcache format_tcache;

int
format_parse(const char *name)
{
	size_t	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(name, format_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

const char *
format_name(enum format_kind kind)
{
	if ((size_t)kind >= sizeof format_names / sizeof format_names[0])
		return "unknown";
	return format_names[kind];
}

static void
format_add(struct format_buf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
format_addc(struct format_buf *b, char c)
{
	format_add(b, &c, 1);
}

static void
format_adds(struct format_buf *b, const char *s)
{
	format_add(b, s, strlen(s));
}

/* Inlined: numbers are on every line, and a call costs as much. */
static inline __attribute__((always_inline)) void
format_addu(struct format_buf *b, uintmax_t v)
{
	char	tmp[24];
	size_t	i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	format_add(b, tmp + i, sizeof tmp - i);
}

static inline __attribute__((always_inline)) void
format_addi(struct format_buf *b, intmax_t v)
{
	if (v < 0) {
		format_addc(b, '-');
		format_addu(b, (uintmax_t)0 - (uintmax_t)v);
	} else
		format_addu(b, (uintmax_t)v);
}

/*
 * Length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when the byte
 * at p does not start one: stray continuation bytes, overlong forms (C0 AF),
 * UTF-16 surrogates (ED A0 80), code points above U+10FFFF and sequences cut
 * short by the end of the buffer are all invalid (RFC 3629 table).
 */
static size_t
format_utf8_len(const unsigned char *p, size_t len)
{
	unsigned char	c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		if (len < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xf0) {
		if (len < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c < 0xf5) {
		if (len < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * Emit bytes that the text escaper produced. In an SD-PARAM value (RFC 5424
 * section 6.3.3) '\\', '"' and ']' must be backslash-escaped, so the value
 * read back by an RFC 5424 parser is exactly the text escaping, which
 * format_unescape_text() then reverses.
 */
static void
format_emit(struct format_buf *b, const char *s, size_t n, int flags)
{
	size_t	i;

	if (~flags & FORMAT_ESC_SD) {
		format_add(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"' || s[i] == ']')
			format_addc(b, '\\');
		format_addc(b, s[i]);
	}
}

static void
format_emit_hex(struct format_buf *b, unsigned char c, int flags)
{
	static const char	hex[] = "0123456789abcdef";
	char			esc[4];

	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[c >> 4];
	esc[3] = hex[c & 0xf];

	format_emit(b, esc, sizeof esc, flags);
}

/*
 * Does byte c stop a plain run? Controls, DEL, every non-ASCII byte (the
 * escapers look at those one sequence at a time) and the backslash always
 * do; space, '=', the SD-PARAM specials '"' and ']', and '"' for JSON do
 * when flags say so.
 */
static bool
format_special(unsigned char c, int flags)
{
	if (c < 0x20 || c >= 0x7f || c == '\\')
		return true;
	switch (c) {
	case ' ':
		return flags & FORMAT_ESC_SPACE;
	case '=':
		return flags & FORMAT_ESC_EQUAL;
	case '"':
		return flags & (FORMAT_ESC_SD | FORMAT_ESC_QUOTE);
	case ']':
		return flags & FORMAT_ESC_SD;
	}
	return false;
}

/*
 * The length of the run at p of bytes that pass through unchanged, i.e. that
 * format_special() lets through. Copying such runs whole, instead of byte by
 * byte, is what makes formatting cheap.
 */
static size_t
format_plain_run(const unsigned char *p, size_t len, int flags)
{
	size_t	i = 0;
#ifdef __SSE2__
	/* 16 bytes a step. A signed compare with 0x20 also catches every
	 * byte >= 0x80 (negative as int8), i.e. all non-ASCII. */
	const __m128i	ctl = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i	bsl = _mm_set1_epi8('\\'), spc = _mm_set1_epi8(' ');
	const __m128i	eql = _mm_set1_epi8('='), quo = _mm_set1_epi8('"');
	const __m128i	brk = _mm_set1_epi8(']');
	__m128i		v, m;
	int		bits;

	for (; i + 16 <= len; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(p + i));
		m = _mm_or_si128(_mm_cmplt_epi8(v, ctl),
		    _mm_or_si128(_mm_cmpeq_epi8(v, del), _mm_cmpeq_epi8(v, bsl)));
		if (flags & FORMAT_ESC_SPACE)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(v, spc));
		if (flags & FORMAT_ESC_EQUAL)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(v, eql));
		if (flags & (FORMAT_ESC_SD | FORMAT_ESC_QUOTE))
			m = _mm_or_si128(m, _mm_cmpeq_epi8(v, quo));
		if (flags & FORMAT_ESC_SD)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(v, brk));
		if ((bits = _mm_movemask_epi8(m)) != 0)
			return i + __builtin_ctz(bits);
	}
#endif
	while (i < len && !format_special(p[i], flags))
		i++;
	return i;
}

/*
 * The text escaper behind format_escape_text() and every text field. C1
 * controls (U+0080..U+009F) are valid UTF-8 but some terminals obey them
 * (U+009B is CSI), so they are escaped as \xc2\xNN like invalid bytes; the
 * escaping stays reversible because unescaping gives back the same two bytes.
 */
static void
format_escape(struct format_buf *b, const char *src, size_t len, int flags)
{
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 i = 0, n;
	unsigned char		 c;

	while (i < len && !b->full) {
		if ((n = format_plain_run(p + i, len - i, flags)) > 0) {
			format_add(b, src + i, n);
			i += n;
			continue;
		}
		c = p[i];
		switch (c) {
		case '\\':
			format_emit(b, "\\\\", 2, flags);
			i++;
			continue;
		case '\n':
			format_emit(b, "\\n", 2, flags);
			i++;
			continue;
		case '\t':
			format_emit(b, "\\t", 2, flags);
			i++;
			continue;
		case '\r':
			format_emit(b, "\\r", 2, flags);
			i++;
			continue;
		case ' ':
			if (flags & FORMAT_ESC_SPACE) {
				format_emit_hex(b, c, flags);
				i++;
				continue;
			}
			break;
		case '=':
			if (flags & FORMAT_ESC_EQUAL) {
				format_emit_hex(b, c, flags);
				i++;
				continue;
			}
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			format_emit_hex(b, c, flags);
			i++;
			continue;
		}
		n = format_utf8_len(p + i, len - i);
		if (n == 0) {
			format_emit_hex(b, c, flags);
			i++;
		} else if (n == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			format_emit_hex(b, c, flags);
			format_emit_hex(b, p[i + 1], flags);
			i += 2;
		} else {
			format_emit(b, src + i, n, flags);
			i += n;
		}
	}
}

ssize_t
format_escape_text(const char *src, size_t len, char *dst, size_t cap)
{
	struct format_buf	b = { dst, 0, cap, false };

	format_escape(&b, src, len, 0);
	if (b.full)
		return -1;
	return (ssize_t)b.len;
}

static int
format_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
format_unescape_text(const char *src, size_t len, char *dst, size_t cap)
{
	size_t	i = 0, o = 0;
	int	hi, lo;
	char	c;

	while (i < len) {
		c = src[i++];
		if (c == '\\') {
			if (i >= len)
				return -1;
			switch (src[i++]) {
			case '\\':
				c = '\\';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'x':
				if (len - i < 2)
					return -1;
				hi = format_hexval(src[i]);
				lo = format_hexval(src[i + 1]);
				if (hi < 0 || lo < 0)
					return -1;
				c = (char)(hi << 4 | lo);
				i += 2;
				break;
			default:
				return -1;
			}
		}
		if (o >= cap)
			return -1;
		dst[o++] = c;
	}
	return (ssize_t)o;
}

/*
 * JSON string body. An invalid UTF-8 byte 0xNN becomes \udcNN: a lone low
 * surrogate is what no valid UTF-8 decodes to (format_utf8_len() rejects the
 * encoded surrogates ED A0..BF as invalid bytes, so those are escaped byte by
 * byte too), which keeps the escaping reversible where the earlier "\\xNN"
 * could not be told from a literal backslash-x. U+2028 and U+2029 are legal
 * JSON but end lines in JavaScript, and C1 controls upset terminals, so
 * those are written as \uXXXX too.
 */
static void
format_escape_json_buf(struct format_buf *b, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 i = 0, n;
	unsigned char		 c;
	char			 esc[6];

	while (i < len && !b->full) {
		if ((n = format_plain_run(p + i, len - i,
		    FORMAT_ESC_QUOTE)) > 0) {
			format_add(b, src + i, n);
			i += n;
			continue;
		}
		c = p[i];
		switch (c) {
		case '"':
			format_add(b, "\\\"", 2);
			i++;
			continue;
		case '\\':
			format_add(b, "\\\\", 2);
			i++;
			continue;
		case '\n':
			format_add(b, "\\n", 2);
			i++;
			continue;
		case '\t':
			format_add(b, "\\t", 2);
			i++;
			continue;
		case '\r':
			format_add(b, "\\r", 2);
			i++;
			continue;
		case '\b':
			format_add(b, "\\b", 2);
			i++;
			continue;
		case '\f':
			format_add(b, "\\f", 2);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			format_add(b, esc, 6);
			i++;
			continue;
		}
		n = format_utf8_len(p + i, len - i);
		if (n == 0) {
			memcpy(esc, "\\udc", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			format_add(b, esc, 6);
			i++;
		} else if (n == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i + 1] >> 4];
			esc[5] = hex[p[i + 1] & 0xf];
			format_add(b, esc, 6);
			i += 2;
		} else if (n == 3 && c == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			format_add(b, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
			    6);
			i += 3;
		} else {
			format_add(b, src + i, n);
			i += n;
		}
	}
}

ssize_t
format_escape_json(const char *src, size_t len, char *dst, size_t cap)
{
	struct format_buf	b = { dst, 0, cap, false };

	format_escape_json_buf(&b, src, len);
	if (b.full)
		return -1;
	return (ssize_t)b.len;
}

/*
 * Fill c with the date and offset of second sec in local time. The range of
 * an int64_t of nanoseconds is years 1677 to 2262, so the year always has four
 * digits and the result is always FORMAT_TIME_LEN bytes long.
 */
static void
format_time_fill(struct format_tcache *c, int64_t sec)
{
	struct tm	tm;
	time_t		t = (time_t)sec;
	char		tmp[64];
	long		off;
	char		sign = '+';

	if (localtime_r(&t, &tm) == NULL && gmtime_r(&t, &tm) == NULL) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	memcpy(c->date, tmp, sizeof c->date - 1);
	c->date[sizeof c->date - 1] = '\0';
	snprintf(tmp, sizeof tmp, "%s %2d %02d:%02d:%02d",
	    format_months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	memcpy(c->bsd, tmp, sizeof c->bsd - 1);
	c->bsd[sizeof c->bsd - 1] = '\0';

	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(tmp, sizeof tmp, "%c%02ld:%02ld", sign, (off / 60) % 100,
	    off % 60);
	memcpy(c->offset, tmp, sizeof c->offset - 1);
	c->offset[sizeof c->offset - 1] = '\0';

	c->sec = sec;
	c->valid = true;
}

/*
 * Format time_ns. With cache set, the thread's cached second is used and
 * replaced when it is stale (record times move forward, so once a second).
 * Client-claimed times can be anything, so they use the cache only when it
 * already holds their second and never evict the daemon's own time.
 */
static void
format_time_buf(struct format_buf *b, int64_t time_ns, bool cache)
{
	struct format_tcache	 local, *c = &format_tcache;
	int64_t			 sec, usec;
	char			 frac[8];
	size_t			 start = b->len;
	int			 i;

	if (cache && c->last_valid && c->last_ns == time_ns) {
		format_add(b, c->last, FORMAT_TIME_LEN);
		return;
	}
	sec = time_ns / 1000000000;
	usec = (time_ns % 1000000000) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	if (!c->valid || c->sec != sec) {
		if (!cache)
			c = &local;
		format_time_fill(c, sec);
	}
	frac[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	format_add(b, c->date, sizeof c->date - 1);
	format_add(b, frac, 7);
	format_add(b, c->offset, sizeof c->offset - 1);
	if (cache && c != &local && !b->full &&
	    b->len - start == FORMAT_TIME_LEN) {
		memcpy(format_tcache.last, b->p + start, FORMAT_TIME_LEN);
		format_tcache.last_ns = time_ns;
		format_tcache.last_valid = true;
	}
}

ssize_t
format_time(int64_t time_ns, char *dst, size_t cap)
{
	struct format_buf	b = { dst, 0, cap, false };

	if (cap < FORMAT_TIME_LEN + 1)
		return -1;
	format_time_buf(&b, time_ns, true);
	if (b.full)
		return -1;
	return (ssize_t)b.len;
}

/* n decimal digits at *p into *v, advancing *p; false unless all are. */
static bool
format_digits(const char **p, const char *end, int n, int *v)
{
	*v = 0;
	if (end - *p < n)
		return false;
	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t
format_days(int y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) at p. */
static int
format_parse_time(const char *p, const char *end, int64_t *time_ns)
{
	int y, mo, d, h, mi, s, oh, om, sign;
	int64_t frac = 0, scale = 1000000000, sec;

	if (!format_digits(&p, end, 4, &y) || p == end || *p++ != '-' ||
	    !format_digits(&p, end, 2, &mo) || p == end || *p++ != '-' ||
	    !format_digits(&p, end, 2, &d) || p == end || *p++ != 'T' ||
	    !format_digits(&p, end, 2, &h) || p == end || *p++ != ':' ||
	    !format_digits(&p, end, 2, &mi) || p == end || *p++ != ':' ||
	    !format_digits(&p, end, 2, &s))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (p == end)
		return -1;
	sec = format_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	if (*p != 'Z') {
		if (*p != '+' && *p != '-')
			return -1;
		sign = *p++ == '-' ? -1 : 1;
		if (!format_digits(&p, end, 2, &oh) || p == end ||
		    *p++ != ':' || !format_digits(&p, end, 2, &om))
			return -1;
		sec -= sign * (int64_t)(oh * 60 + om) * 60;
	}
	if (sec < -9223372036LL || sec > 9223372035LL)
		return -1;
	*time_ns = sec * 1000000000 + frac;
	return 0;
}

int
format_line_time(const char *line, size_t len, int64_t *time_ns)
{
	const char *p = line, *end = line + len;

	if (len >= 9 && memcmp(p, "{\"time\":\"", 9) == 0)
		p += 9;			/* json */
	else if (len > 0 && *p == '<') {	/* rfc5424: <PRI>1 */
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (end - p < 3 || memcmp(p, ">1 ", 3) != 0)
			return -1;
		p += 3;
	}
	return format_parse_time(p, end, time_ns);
}

int
format_json_member(const char *line, size_t len, const char *name,
    const char **val, size_t *vlen)
{
	const char *end = line + len, *p, *v;
	char pat[64];
	int plen;

	plen = snprintf(pat, sizeof(pat), ",\"%s\":\"", name);
	if (plen < 0 || (size_t)plen >= sizeof(pat) ||
	    (p = memmem(line, len, pat, (size_t)plen)) == NULL)
		return -1;
	for (v = p + plen, p = v; p < end && *p != '"'; p++)
		if (*p == '\\' && p + 1 < end)
			p++;
	if (p == end)
		return -1;
	*val = v;
	*vlen = (size_t)(p - v);
	return 0;
}

/*
 * The host to print in the host position: only a trusted name, the peer an
 * input knows from the network (rec->host), else this machine's name. What
 * the message claims (rec->claimed_host) never lands here. Cut to
 * FORMAT_MAX_HOST bytes (format_max_line() counts on that bound).
 */
static void
format_host(const struct record *rec, const char *host, const char **p,
    size_t *len)
{
	if (rec->host != NULL) {
		*p = rec->host;
		*len = rec->host_len < FORMAT_MAX_HOST ? rec->host_len :
		    FORMAT_MAX_HOST;
	} else if (host != NULL) {
		*p = host;
		*len = strnlen(host, FORMAT_MAX_HOST);
	} else {
		*p = "";
		*len = 0;
	}
}

/* A text field that must stay one word: "-" when empty, spaces escaped. */
static void
format_word(struct format_buf *b, const char *s, size_t len)
{
	if (len == 0)
		format_addc(b, '-');
	else
		format_escape(b, s, len, FORMAT_ESC_SPACE);
}

/*
 * Native fields as " key=value" after the message. Spaces are escaped in keys
 * and values and '=' in keys, so a field can neither split nor forge another.
 */
static void
format_text_fields(struct format_buf *b, const struct record *rec)
{
	const struct wire_field	*f;
	size_t			 i;

	for (i = 0; i < rec->nfields; i++) {
		f = &rec->fields[i];
		format_addc(b, ' ');
		format_escape(b, f->key, f->key_len,
		    FORMAT_ESC_SPACE | FORMAT_ESC_EQUAL);
		format_addc(b, '=');
		format_escape(b, f->value, f->value_len, FORMAT_ESC_SPACE);
	}
}

/* Does the record claim a host other than the one printed? */
static bool
format_claims_host(const struct record *rec, const char *h, size_t hlen)
{
	return rec->claimed_host != NULL && (rec->claimed_host_len != hlen ||
	    memcmp(rec->claimed_host, h, hlen) != 0);
}

/*
 * text: TIME HOST TAG[PID]: MESSAGE key=value...
 * For local senders everything before the colon is trusted (HOST is this
 * machine, PID the kernel's), so the claimed host and pid, the client's
 * time, MSGID and SD are not shown here: JSON and RFC 5424 carry them,
 * marked. A record from the network (rec->host set) shows the host the
 * message names, as rsyslog does for relayed logs, since that is the
 * machine it is about; its peer address when it names none. JSON and
 * RFC 5424 keep the peer as the host and the name as claimed_host.
 */
static void
format_text(struct format_buf *b, const struct record *rec, const char *host)
{
	const char	*h;
	size_t		 hlen;

	format_host(rec, host, &h, &hlen);
	if (rec->host != NULL && rec->claimed_host != NULL &&
	    rec->claimed_host_len > 0) {
		h = rec->claimed_host;
		hlen = rec->claimed_host_len < FORMAT_MAX_HOST ?
		    rec->claimed_host_len : FORMAT_MAX_HOST;
	}
	format_time_buf(b, rec->time_ns, true);
	format_addc(b, ' ');
	format_word(b, h, hlen);
	format_addc(b, ' ');
	format_word(b, rec->tag, rec->tag_len);
	if (rec->pid >= 0) {
		format_addc(b, '[');
		format_addi(b, rec->pid);
		format_addc(b, ']');
	}
	format_add(b, ": ", 2);
	format_escape(b, rec->msg, rec->msg_len, 0);
	format_text_fields(b, rec);
	format_addc(b, '\n');
}

static void
format_json_str(struct format_buf *b, const char *key, const char *s,
    size_t len)
{
	format_add(b, ",\"", 2);
	format_adds(b, key);
	format_add(b, "\":\"", 3);
	format_escape_json_buf(b, s, len);
	format_addc(b, '"');
}

static void
format_json_id(struct format_buf *b, const char *key, uintmax_t v,
    bool known)
{
	format_add(b, ",\"", 2);
	format_adds(b, key);
	format_add(b, "\":", 2);
	if (known)
		format_addu(b, v);
	else
		format_add(b, "null", 4);
}

/* Facility and severity by name; a number if the record is out of range. */
static void
format_json_name(struct format_buf *b, const char *key, int v,
    const char **names, size_t n)
{
	format_add(b, ",\"", 2);
	format_adds(b, key);
	format_add(b, "\":", 2);
	if (v >= 0 && (size_t)v < n) {
		format_addc(b, '"');
		format_adds(b, names[v]);
		format_addc(b, '"');
	} else
		format_addi(b, v);
}

/* The unit is cut to RECORD_UNIT_MAX (format_max_line() counts on it). */
static const size_t format_unit_growth[] = {
	[FORMAT_TEXT] = 0,
	[FORMAT_JSON] = 2,
	[FORMAT_RFC5424] = 4,
};

static size_t
format_unit_len(const struct record *rec)
{
	return rec->unit_len < RECORD_UNIT_MAX ? rec->unit_len :
	    RECORD_UNIT_MAX;
}

/* The peer's certificate name is cut to RECORD_PEER_CERT_MAX. */
static size_t
format_peer_cert_len(const struct record *rec)
{
	return rec->peer_cert_len < RECORD_PEER_CERT_MAX ?
	    rec->peer_cert_len : RECORD_PEER_CERT_MAX;
}

/*
 * json: one object per line. Optional members (unit, claimed_host, claimed_pid,
 * client_time, msgid, sd, fields) appear only when the record has them; fields keep the
 * client's order, duplicate keys included.
 */
static void
format_json(struct format_buf *b, const struct record *rec, const char *host)
{
	const struct wire_field	*f;
	const char		*h;
	size_t			 hlen, i;

	format_host(rec, host, &h, &hlen);
	format_add(b, "{\"time\":\"", 9);
	format_time_buf(b, rec->time_ns, true);
	format_addc(b, '"');
	format_json_str(b, "host", h, hlen);
	if (rec->peer_cert != NULL)
		format_json_str(b, "peer_cert", rec->peer_cert,
		    format_peer_cert_len(rec));
	if (format_claims_host(rec, h, hlen))
		format_json_str(b, "claimed_host", rec->claimed_host,
		    rec->claimed_host_len);
	format_json_name(b, "facility", rec->facility, format_facilities,
	    FORMAT_NFACILITIES);
	format_json_name(b, "severity", rec->severity, format_severities,
	    FORMAT_NSEVERITIES);
	format_json_str(b, "tag", rec->tag, rec->tag_len);
	format_json_id(b, "pid", (uintmax_t)rec->pid, rec->pid >= 0);
	format_json_id(b, "uid", (uintmax_t)rec->uid, rec->uid != (uid_t)-1);
	format_json_id(b, "gid", (uintmax_t)rec->gid, rec->gid != (gid_t)-1);
	if (rec->unit_len > 0)
		format_json_str(b, "unit", rec->unit, format_unit_len(rec));
	if (rec->claimed_pid > 0 && rec->claimed_pid != rec->pid)
		format_json_id(b, "claimed_pid", (uintmax_t)rec->claimed_pid,
		    true);
	if (rec->client_time_ns != 0) {
		format_add(b, ",\"client_time\":\"", 16);
		format_time_buf(b, rec->client_time_ns, false);
		format_addc(b, '"');
	}
	if (rec->msgid != NULL)
		format_json_str(b, "msgid", rec->msgid, rec->msgid_len);
	if (rec->sd != NULL)
		format_json_str(b, "sd", rec->sd, rec->sd_len);
	format_json_str(b, "message", rec->msg, rec->msg_len);
	if (rec->fmt != NULL) {
		/* A record rendered by the daemon: its template and values. */
		format_json_str(b, "fmt", rec->fmt, rec->fmt_len);
		format_add(b, ",\"args\":[", 9);
		for (i = 0; i < rec->nargs; i++) {
			if (i > 0)
				format_addc(b, ',');
			if (rec->args[i].quoted)
				format_addc(b, '"');
			format_escape_json_buf(b, rec->args[i].s,
			    rec->args[i].len);
			if (rec->args[i].quoted)
				format_addc(b, '"');
		}
		format_addc(b, ']');
	}
	if (rec->nfields > 0) {
		format_add(b, ",\"fields\":{", 11);
		for (i = 0; i < rec->nfields; i++) {
			f = &rec->fields[i];
			if (i > 0)
				format_addc(b, ',');
			format_addc(b, '"');
			format_escape_json_buf(b, f->key, f->key_len);
			format_add(b, "\":\"", 3);
			format_escape_json_buf(b, f->value, f->value_len);
			format_addc(b, '"');
		}
		format_addc(b, '}');
	}
	format_add(b, "}\n", 2);
}

/*
 * An RFC 5424 header field: PRINTUSASCII (33..126) only, at most max bytes,
 * NILVALUE "-" when empty. Anything else becomes '_': header fields are
 * identifiers, and a receiver must be able to split the header on spaces.
 */
static void
format_5424_field(struct format_buf *b, const char *s, size_t len,
    size_t max)
{
	size_t	i;
	char	c;

	if (s == NULL || len == 0) {
		format_addc(b, '-');
		return;
	}
	if (len > max)
		len = max;
	for (i = 0; i < len; i++) {
		c = s[i];
		format_addc(b, c >= 33 && c <= 126 ? c : '_');
	}
}

/* SD-NAME (RFC 5424 section 6.3): 1..32 PRINTUSASCII except '=' SP ']' '"'. */
static size_t
format_sd_name(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len && i <= FORMAT_5424_SDNAME; i++) {
		if (s[i] < 33 || s[i] > 126 || s[i] == '=' || s[i] == ']' ||
		    s[i] == '"')
			break;
	}
	if (i == 0 || i > FORMAT_5424_SDNAME)
		return 0;
	return i;
}

/*
 * Is sd one or more well-formed SD-ELEMENTs, safe to copy verbatim? Besides
 * the grammar, PARAM-VALUEs must be valid UTF-8 without control bytes, C1
 * controls included (U+009B is CSI to a terminal), so a copied SD can never
 * end or break the line nor drive a terminal. Anything else goes, escaped,
 * into origsd="...".
 */
static bool
format_sd_valid(const char *sd, size_t len)
{
	const unsigned char	*p = (const unsigned char *)sd;
	size_t			 i = 0, n;

	if (len == 0)
		return false;
	while (i < len) {
		if (sd[i++] != '[')
			return false;
		if ((n = format_sd_name(sd + i, len - i)) == 0)
			return false;
		i += n;
		while (i < len && sd[i] == ' ') {
			i++;
			if ((n = format_sd_name(sd + i, len - i)) == 0)
				return false;
			i += n;
			if (len - i < 2 || sd[i] != '=' || sd[i + 1] != '"')
				return false;
			i += 2;
			for (;;) {
				if (i >= len)
					return false;
				if (p[i] == '"')
					break;
				if (p[i] < 0x20 || p[i] == 0x7f)
					return false;
				if (p[i] == '\\' && i + 1 < len &&
				    (p[i + 1] == '"' || p[i + 1] == '\\' ||
				    p[i + 1] == ']')) {
					i += 2;
					continue;
				}
				if (p[i] == ']')
					return false;	/* must be escaped */
				if ((n = format_utf8_len(p + i, len - i)) == 0)
					return false;
				if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
					return false;	/* C1 control */
				i += n;
			}
			i++;
		}
		if (i >= len || sd[i++] != ']')
			return false;
	}
	return true;
}

/*
 * Length of the SD-ELEMENT at the start of sd, which format_sd_valid()
 * accepted: '[' SD-ID params ']', where a ']' inside a quoted value is
 * always escaped.
 */
static size_t
format_sd_elem_len(const char *sd, size_t len)
{
	size_t	i = 1;
	bool	quoted = false;

	for (; i < len; i++) {
		if (quoted && sd[i] == '\\')
			i++;
		else if (sd[i] == '"')
			quoted = !quoted;
		else if (!quoted && sd[i] == ']')
			return i + 1;
	}
	return len;
}

/*
 * Copy a valid client SD, except that an element with the daemon's own
 * SD-ID (compared without case, for parsers that fold it) is renamed to the
 * claim SD-ID "name-claim@number": a reader that keeps the last
 * [asynclog@32473 uid=...] must only ever find the daemon's.
 */
static void
format_sd_copy(struct format_buf *b, const char *sd, size_t len,
    const char *sd_id)
{
	size_t	i = 0, n, idlen = strlen(sd_id), at;

	while (i < len && !b->full) {
		n = format_sd_elem_len(sd + i, len - i);
		if (n > idlen + 1 && (sd[i + 1 + idlen] == ' ' ||
		    sd[i + 1 + idlen] == ']') &&
		    strncasecmp(sd + i + 1, sd_id, idlen) == 0) {
			at = strcspn(sd_id, "@");
			format_add(b, sd + i, 1 + at);
			format_adds(b, FORMAT_SD_CLAIM);
			format_add(b, sd + i + 1 + at, n - 1 - at);
		} else
			format_add(b, sd + i, n);
		i += n;
	}
}

bool
format_sd_id_valid(const char *s)
{
	const char	*at;
	size_t		 len = strlen(s), i;
	bool		 digit = false;

	if (len > FORMAT_SD_ID_MAX || format_sd_name(s, len) != len ||
	    (at = strchr(s, '@')) == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		return false;
	/* enterpriseId: digits, with dot-separated sub-identifiers. */
	for (i = (size_t)(at - s) + 1; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (s[i] == '.' && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

/* A param of our SD element holding client bytes: text-escaped, then
 * SD-PARAM escaped, so format_unescape_text() reverses what a parser reads. */
static void
format_sd_claim(struct format_buf *b, const char *name, const char *s,
    size_t len)
{
	format_addc(b, ' ');
	format_adds(b, name);
	format_add(b, "=\"", 2);
	format_escape(b, s, len, FORMAT_ESC_SD);
	format_addc(b, '"');
}

/* PRI of the record; user.notice (13) when it is out of range. */
static int
format_pri(const struct record *rec)
{
	if (rec->facility >= 0 && (size_t)rec->facility < FORMAT_NFACILITIES &&
	    rec->severity >= 0 && (size_t)rec->severity < FORMAT_NSEVERITIES)
		return rec->facility * 8 + rec->severity;
	return 1 * 8 + 5;
}

/*
 * rfc5424: <PRI>1 TIME HOST APP PROCID MSGID [SD-ID ...][SD] MSG
 * HOST is trusted (format_host()), PROCID the kernel's pid. Our SD element,
 * SD-ID sd_id, carries what the kernel said (uid, gid, unit) and what the message
 * claimed (claimed_host, claimed_pid, client_time); a client SD that does
 * not parse is kept, text-escaped, in origsd="..." rather than breaking the
 * line, and a client element that uses our SD-ID is renamed by
 * format_sd_copy(). Native fields follow the message as in the text format.
 * No BOM: MSG is text-escaped, and the escaping is not RFC 5424's business.
 */
static void
format_rfc5424(struct format_buf *b, const struct record *rec,
    const char *host, const char *sd_id)
{
	const char	*h;
	size_t		 hlen;
	int		 pri;
	bool		 sd_ok;

	pri = format_pri(rec);
	format_host(rec, host, &h, &hlen);
	sd_ok = rec->sd != NULL && format_sd_valid(rec->sd, rec->sd_len);

	format_addc(b, '<');
	format_addi(b, pri);
	format_add(b, ">1 ", 3);
	format_time_buf(b, rec->time_ns, true);
	format_addc(b, ' ');
	format_5424_field(b, h, hlen, FORMAT_5424_HOST);
	format_addc(b, ' ');
	format_5424_field(b, rec->tag, rec->tag_len, FORMAT_5424_APP);
	format_addc(b, ' ');
	if (rec->pid >= 0)
		format_addi(b, rec->pid);
	else
		format_addc(b, '-');
	format_addc(b, ' ');
	format_5424_field(b, rec->msgid, rec->msgid_len, FORMAT_5424_MSGID);

	format_add(b, " [", 2);
	format_adds(b, sd_id);
	if (rec->uid != (uid_t)-1) {
		format_add(b, " uid=\"", 6);
		format_addu(b, (uintmax_t)rec->uid);
		format_addc(b, '"');
	}
	if (rec->gid != (gid_t)-1) {
		format_add(b, " gid=\"", 6);
		format_addu(b, (uintmax_t)rec->gid);
		format_addc(b, '"');
	}
	if (rec->unit_len > 0)
		format_sd_claim(b, "unit", rec->unit, format_unit_len(rec));
	if (rec->peer_cert != NULL)
		format_sd_claim(b, "peer_cert", rec->peer_cert,
		    format_peer_cert_len(rec));
	if (format_claims_host(rec, h, hlen))
		format_sd_claim(b, "claimed_host", rec->claimed_host,
		    rec->claimed_host_len);
	if (rec->claimed_pid > 0 && rec->claimed_pid != rec->pid) {
		format_add(b, " claimed_pid=\"", 14);
		format_addi(b, rec->claimed_pid);
		format_addc(b, '"');
	}
	if (rec->client_time_ns != 0) {
		format_add(b, " client_time=\"", 14);
		format_time_buf(b, rec->client_time_ns, false);
		format_addc(b, '"');
	}
	if (rec->sd != NULL && !sd_ok)
		format_sd_claim(b, "origsd", rec->sd, rec->sd_len);
	format_addc(b, ']');
	if (sd_ok)
		format_sd_copy(b, rec->sd, rec->sd_len, sd_id);

	if (rec->msg_len > 0 || rec->nfields > 0) {
		format_addc(b, ' ');
		format_escape(b, rec->msg, rec->msg_len, 0);
		format_text_fields(b, rec);
	}
	format_addc(b, '\n');
}

ssize_t
format_record(enum format_kind kind, const char *sd_id,
    const struct record *rec, const char *host, char *dst, size_t cap)
{
	struct format_buf	b = { dst, 0, cap, false };

	switch (kind) {
	case FORMAT_TEXT:
		format_text(&b, rec, host);
		break;
	case FORMAT_JSON:
		format_json(&b, rec, host);
		break;
	case FORMAT_RFC5424:
		format_rfc5424(&b, rec, host, sd_id != NULL ? sd_id :
		    FORMAT_SD_ID_DEFAULT);
		break;
	default:
		return -1;
	}
	if (b.full)
		return -1;
	return (ssize_t)b.len;
}

/* Field names as templates spell them (template.c: "${tag}"). */
static const char *format_field_names[] = {
	[FIELD_TIME] = "time",
	[FIELD_TIME_RFC3164] = "time:rfc3164",
	[FIELD_TIME_UNIX] = "time:unix",
	[FIELD_HOST] = "host",
	[FIELD_TAG] = "tag",
	[FIELD_PID] = "pid",
	[FIELD_UID] = "uid",
	[FIELD_GID] = "gid",
	[FIELD_FACILITY] = "facility",
	[FIELD_FACILITY_NUM] = "facility:num",
	[FIELD_SEVERITY] = "severity",
	[FIELD_SEVERITY_NUM] = "severity:num",
	[FIELD_PRI] = "pri",
	[FIELD_MSGID] = "msgid",
	[FIELD_MESSAGE] = "message",
	[FIELD_MSGHDR] = "msghdr",
	[FIELD_UNIT] = "unit",
	[FIELD_FIELDS] = "fields",
};

int
format_field_parse(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < FIELD_NFIELDS; i++) {
		if (strlen(format_field_names[i]) == len &&
		    memcmp(format_field_names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}

const char *
format_field_name(enum format_field f)
{
	return (unsigned)f < FIELD_NFIELDS ? format_field_names[f] : "?";
}

bool
format_field_client(enum format_field f)
{
	switch (f) {
	case FIELD_TAG:
	case FIELD_MSGID:
	case FIELD_MESSAGE:
	case FIELD_MSGHDR:
	case FIELD_FIELDS:
	case FIELD_HOST:	/* a trusted peer's name, chosen by the peer */
	case FIELD_UNIT:
		return true;
	default:
		return false;
	}
}

/* Client bytes escaped for a field; a word is never empty ("-"). */
static void
format_field_str(struct format_buf *b, const char *s, size_t len,
    enum format_escape esc)
{
	switch (esc) {
	case FORMAT_AS_JSON:
		format_escape_json_buf(b, s, len);
		break;
	case FORMAT_AS_WORD:
		format_word(b, s, len);
		break;
	default:
		format_escape(b, s, len, 0);
		break;
	}
}

/* A kernel id, "-" when unknown. */
static void
format_field_id(struct format_buf *b, uintmax_t v, bool known)
{
	if (known)
		format_addu(b, v);
	else
		format_addc(b, '-');
}

/* A name from names[], or the number when the record is out of range. */
static void
format_field_named(struct format_buf *b, int v, const char **names, size_t n)
{
	if (v >= 0 && (size_t)v < n)
		format_adds(b, names[v]);
	else
		format_addi(b, v);
}

static void
format_field_time(struct format_buf *b, enum format_field f, int64_t ns)
{
	struct format_tcache	*c = &format_tcache;
	int64_t			 sec = ns / 1000000000, usec;
	char			 frac[7];
	int			 i;

	usec = (ns % 1000000000) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	if (f == FIELD_TIME_RFC3164) {
		if (!c->valid || c->sec != sec)
			format_time_fill(c, sec);
		format_add(b, c->bsd, sizeof c->bsd - 1);
		return;
	}
	format_addi(b, sec);
	frac[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	format_add(b, frac, sizeof frac);
}

ssize_t
format_field(enum format_field f, enum format_escape esc,
    const struct record *rec, const char *host, char *dst, size_t cap)
{
	struct format_buf	 b = { dst, 0, cap, false };
	const char		*h;
	size_t			 hlen;

	switch (f) {
	case FIELD_TIME:
		format_time_buf(&b, rec->time_ns, true);
		break;
	case FIELD_TIME_RFC3164:
	case FIELD_TIME_UNIX:
		format_field_time(&b, f, rec->time_ns);
		break;
	case FIELD_HOST:
		format_host(rec, host, &h, &hlen);
		format_field_str(&b, h, hlen, esc);
		break;
	case FIELD_TAG:
		format_field_str(&b, rec->tag, rec->tag_len, esc);
		break;
	case FIELD_PID:
		format_field_id(&b, (uintmax_t)rec->pid, rec->pid >= 0);
		break;
	case FIELD_UID:
		format_field_id(&b, (uintmax_t)rec->uid,
		    rec->uid != (uid_t)-1);
		break;
	case FIELD_GID:
		format_field_id(&b, (uintmax_t)rec->gid,
		    rec->gid != (gid_t)-1);
		break;
	case FIELD_FACILITY:
		format_field_named(&b, rec->facility, format_facilities,
		    FORMAT_NFACILITIES);
		break;
	case FIELD_FACILITY_NUM:
		format_addi(&b, rec->facility);
		break;
	case FIELD_SEVERITY:
		format_field_named(&b, rec->severity, format_severities,
		    FORMAT_NSEVERITIES);
		break;
	case FIELD_SEVERITY_NUM:
		format_addi(&b, rec->severity);
		break;
	case FIELD_PRI:
		format_addi(&b, format_pri(rec));
		break;
	case FIELD_MSGID:
		if (rec->msgid == NULL || rec->msgid_len == 0)
			format_addc(&b, '-');
		else
			format_field_str(&b, rec->msgid, rec->msgid_len, esc);
		break;
	case FIELD_MESSAGE:
		format_field_str(&b, rec->msg, rec->msg_len, esc);
		break;
	case FIELD_MSGHDR:
		/* As in "text": the tag stays one word, whatever esc says. */
		format_word(&b, rec->tag, rec->tag_len);
		if (rec->pid >= 0) {
			format_addc(&b, '[');
			format_addi(&b, rec->pid);
			format_addc(&b, ']');
		}
		format_add(&b, ": ", 2);
		break;
	case FIELD_UNIT:
		if (rec->unit_len == 0)
			format_addc(&b, '-');
		else
			format_field_str(&b, rec->unit, format_unit_len(rec),
			    esc);
		break;
	case FIELD_FIELDS:
		format_text_fields(&b, rec);
		break;
	default:
		return -1;
	}
	if (b.full)
		return -1;
	return (ssize_t)b.len;
}

/*
 * No escape makes a byte longer than FORMAT_GROWTH bytes (JSON's \u00XX and
 * \udcXX), and everything that is not client bytes fits in FORMAT_FIXED:
 * numbers, names, times, punctuation (at most 6 bytes for each of the
 * WIRE_MAX_FIELDS fields), our SD-ID, and the "-claim" of a renamed client
 * element (which has at least 5 bytes, copied as they are). The host position
 * counts as FORMAT_MAX_HOST client bytes because format_host() cuts it there.
 */
size_t
format_max_len(const struct record *rec)
{
	size_t	n, i;

	n = rec->tag_len + rec->msg_len + FORMAT_MAX_HOST + format_unit_len(rec);
	if (rec->peer_cert != NULL)
		n += format_peer_cert_len(rec);
	if (rec->claimed_host != NULL)
		n += rec->claimed_host_len;
	if (rec->msgid != NULL)
		n += rec->msgid_len;
	if (rec->sd != NULL)
		n += rec->sd_len;
	for (i = 0; i < rec->nfields; i++)
		n += rec->fields[i].key_len + rec->fields[i].value_len + 2;
	if (rec->fmt != NULL) {
		n += rec->fmt_len;
		for (i = 0; i < rec->nargs; i++)
			n += rec->args[i].len + 3;
	}
	return FORMAT_FIXED + FORMAT_GROWTH * n;
}

/*
 * The same bound for every record an input accepts under max_record: all
 * the client bytes of a record (message, tag, claimed host, MSGID, SD, field
 * keys and values) come from one message of at most max_record bytes, or
 * one native frame of at most max_record + WIRE_RECORD_OVERHEAD.
 * The unit is not a client's bytes: it holds only the characters of
 * systemd unit names (record.h), of which only '\\' is escaped, into two
 * bytes in JSON and four in an SD value; text does not show it. Nor does
 * it show a TLS peer's certificate name (at most RECORD_PEER_CERT_MAX
 * bytes), counted as client bytes in JSON and RFC 5424.
 */
size_t
format_max_line(enum format_kind kind, size_t max_record)
{
	size_t	g = FORMAT_GROWTH;

	if ((size_t)kind < sizeof format_growth / sizeof format_growth[0])
		g = format_growth[kind];
	return FORMAT_FIXED + g * (max_record + WIRE_RECORD_OVERHEAD +
	    FORMAT_MAX_HOST) + (kind == FORMAT_TEXT ? 0 : g) *
	    RECORD_PEER_CERT_MAX + format_unit_growth[kind] * RECORD_UNIT_MAX;
}
