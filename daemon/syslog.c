/* SPDX-License-Identifier: ISC */
/*
 * syslog.c: parse RFC 3164 and RFC 5424 messages, and find them in a stream
 * with RFC 6587 framing (octet counting, or lines ended by LF, or by NUL
 * for a peer that frames with NUL; syslog.h says how that is decided).
 *
 * Pure functions for the connection tasks: no I/O, no allocation, and the
 * record only points into the caller's buffer. Nothing is ever rejected: what
 * does not parse becomes a user.notice record whose message is the raw text,
 * so a strange sender loses structure, never words.
 *
 * RFC 3164 is a description of practice more than a grammar, so the 3164
 * parser accepts what real senders write: glibc syslog(3) over /dev/log (no
 * hostname), util-linux logger(1), Python's SysLogHandler (often no timestamp
 * and no tag), and relays that put a hostname after the timestamp. Whether a
 * hostname can be there is the input's to say (syslog_parse_local() or
 * syslog_parse_relayed()), never guessed from the text.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "syslog.h"

#define SYSLOG_DEFAULT_FACILITY	1	/* user */
#define SYSLOG_DEFAULT_SEVERITY	5	/* notice */
#define SYSLOG_MAX_PRI		191	/* local7.debug */
#define SYSLOG_MAX_TAG		48	/* RFC 5424 APP-NAME length */
#define SYSLOG_MAX_HOST		255	/* RFC 5424 HOSTNAME length */
#define SYSLOG_3164_FUTURE	(31 * SYSLOG_DAY) /* how far ahead a date
						   * without a year may be */
#define SYSLOG_MAX_COUNT_DIGITS	9	/* a longer octet count is oversize */

#define SYSLOG_NS		INT64_C(1000000000)
#define SYSLOG_DAY		INT64_C(86400)

/* Month names folded to lower case and packed, for one compare each. */
#define SYSLOG_MON(a, b, c)	((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (c))
static const uint32_t syslog_months[] = {
	SYSLOG_MON('j', 'a', 'n'), SYSLOG_MON('f', 'e', 'b'),
	SYSLOG_MON('m', 'a', 'r'), SYSLOG_MON('a', 'p', 'r'),
	SYSLOG_MON('m', 'a', 'y'), SYSLOG_MON('j', 'u', 'n'),
	SYSLOG_MON('j', 'u', 'l'), SYSLOG_MON('a', 'u', 'g'),
	SYSLOG_MON('s', 'e', 'p'), SYSLOG_MON('o', 'c', 't'),
	SYSLOG_MON('n', 'o', 'v'), SYSLOG_MON('d', 'e', 'c'),
};

static bool
syslog_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse exactly n digits at p; -1 if any is not a digit. */
static int
syslog_digits(const char *p, size_t n)
{
	int	v = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!syslog_isdigit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
syslog_days(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Seconds to nanoseconds, or 0 ("no client time") when the result would not
 * fit in an int64_t (before 1677 or after 2262).
 */
static int64_t
syslog_ns(int64_t sec, int64_t frac_ns)
{
	if (sec <= INT64_MIN / SYSLOG_NS + 1 ||
	    sec >= INT64_MAX / SYSLOG_NS - 1)
		return 0;
	return sec * SYSLOG_NS + frac_ns;
}

/*
 * RFC 3339 timestamp (RFC 5424 section 6.2.3, but lenient about the number
 * of fraction digits and letter case): YYYY-MM-DDTHH:MM:SS[.F+](Z|+HH:MM).
 * The whole of p[0..len) must be the timestamp. Returns 0 with *ns set, or -1.
 */
static int
syslog_rfc3339(const char *p, size_t len, int64_t *ns)
{
	int	 y, mo, d, h, mi, s, oh, om;
	int64_t	 frac = 0, scale = SYSLOG_NS, off = 0, sec;
	size_t	 i;

	if (len < 20 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':')
		return -1;
	y = syslog_digits(p, 4);
	mo = syslog_digits(p + 5, 2);
	d = syslog_digits(p + 8, 2);
	h = syslog_digits(p + 11, 2);
	mi = syslog_digits(p + 14, 2);
	s = syslog_digits(p + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	i = 19;
	if (p[i] == '.') {
		i++;
		if (i >= len || !syslog_isdigit(p[i]))
			return -1;
		for (; i < len && syslog_isdigit(p[i]); i++) {
			if (scale > 1) {
				scale /= 10;
				frac += (p[i] - '0') * scale;
			}
		}
	}
	if (i < len && (p[i] == 'Z' || p[i] == 'z') && i + 1 == len)
		off = 0;
	else if (i + 6 == len && (p[i] == '+' || p[i] == '-') &&
	    p[i + 3] == ':') {
		oh = syslog_digits(p + i + 1, 2);
		om = syslog_digits(p + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60;
		if (p[i] == '-')
			off = -off;
	} else
		return -1;
	sec = syslog_days(y, mo, d) * SYSLOG_DAY + h * 3600 + mi * 60 + s -
	    off;
	*ns = syslog_ns(sec, frac);
	return 0;
}

/* localtime of the last second syslog_3164_time() saw, per thread. */
static _Thread_local time_t	syslog_tm_now = -1;
static _Thread_local struct tm	syslog_tm;

/* 1 or 2 digits at p[*i..len) as a number, or -1; *i moves past them. */
static int
syslog_num2(const char *p, size_t len, size_t *i)
{
	int	v;

	if (*i >= len || !syslog_isdigit(p[*i]))
		return -1;
	v = p[(*i)++] - '0';
	if (*i < len && syslog_isdigit(p[*i]))
		v = v * 10 + (p[(*i)++] - '0');
	return v;
}

/*
 * syslog_days() of month mo (0..11), for the one date most records of a
 * stream carry: the last answer is kept per thread.
 */
static int64_t
syslog_3164_days(int year, int mo, int d)
{
	static _Thread_local int	key = -1;
	static _Thread_local int64_t	days;
	int				k = (year * 12 + mo) * 32 + d;

	if (k != key) {
		days = syslog_days(year, mo + 1, d);
		key = k;
	}
	return days;
}

/*
 * RFC 3164 timestamp at p: "Mmm dd hh:mm:ss" as RFC 3164 writes it (day
 * space-padded), and the variants devices send, as rsyslog reads them: the
 * month in any letter case ("AUG"), a one-digit day after one space
 * ("Mar 7"), a year before the time ("Mar  7 2008 19:06:53", Cisco), a
 * fraction of a second, and a colon after the time ("19:06:53:", Cisco
 * IOS and ASA). It must be followed by a space or the end.
 *
 * Without a year it is local time in this year, or in last year when that
 * would put it more than SYSLOG_3164_FUTURE ahead of now, or in next year
 * when that puts it no more than SYSLOG_3164_FUTURE ahead (a clock a little
 * fast is common, a record from far ahead is not; so "Dec 31" arriving on
 * Jan 1 is last year's, "Jan  1" arriving on Dec 31 next year's, and
 * "Mar 10" arriving in December this year's).
 * Returns the length of the timestamp with *ns set, or 0.
 */
static size_t
syslog_3164_time(const char *p, size_t len, int64_t now_ns, int64_t *ns)
{
	/* The last common timestamp read, in the second it was read: a
	 * stream's records of one second mostly carry the same one. */
	static _Thread_local char	last[15];
	static _Thread_local time_t	last_now = -1;
	static _Thread_local int64_t	last_ns;
	time_t		now = (time_t)(now_ns / SYSLOG_NS);
	uint32_t	mon;
	int		mo, d, h, mi, s, year = -1;
	int64_t		sec, frac = 0, scale = SYSLOG_NS;
	size_t		i;

	if (len >= 15 && (len == 15 || p[15] == ' ') && now == last_now &&
	    memcmp(p, last, 15) == 0) {
		*ns = last_ns;
		return 15;
	}
	if (len < 14 || p[3] != ' ')
		return 0;
	mon = SYSLOG_MON(p[0] | 0x20, p[1] | 0x20, p[2] | 0x20);
	for (mo = 0; mo < 12 && syslog_months[mo] != mon; mo++)
		;
	if (mo == 12)
		return 0;
	if (len >= 15 && p[6] == ' ' && p[9] == ':' && p[12] == ':' &&
	    (len == 15 || p[15] == ' ')) {
		/* The common "Nov 25 12:00:00" / "Nov  5 12:00:00". */
		d = p[4] == ' ' ? syslog_digits(p + 5, 1) :
		    syslog_digits(p + 4, 2);
		h = syslog_digits(p + 7, 2);
		mi = syslog_digits(p + 10, 2);
		s = syslog_digits(p + 13, 2);
		i = 15;
	} else {
		i = p[4] == ' ' ? 5 : 4;
		if ((d = syslog_num2(p, len, &i)) < 0 || i >= len ||
		    p[i++] != ' ')
			return 0;
		if (len - i > 5 && p[i + 4] == ' ' &&
		    (year = syslog_digits(p + i, 4)) >= 1970)
			i += 5;		/* "Mar  7 2008 19:06:53" */
		else
			year = -1;
		if ((h = syslog_num2(p, len, &i)) < 0 || i >= len ||
		    p[i++] != ':' || (mi = syslog_num2(p, len, &i)) < 0 ||
		    i >= len || p[i++] != ':' ||
		    (s = syslog_num2(p, len, &i)) < 0)
			return 0;
		if (i + 1 < len && p[i] == '.' && syslog_isdigit(p[i + 1])) {
			for (i++; i < len && syslog_isdigit(p[i]); i++) {
				if (scale > 1) {
					scale /= 10;
					frac += (p[i] - '0') * scale;
				}
			}
		}
		if (i < len && p[i] == ':')
			i++;	/* "19:06:53: %ASA-6-302015: ..." */
		if (i < len && p[i] != ' ')
			return 0;
	}
	if (d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 60)
		return 0;

	/* localtime_r takes a lock and reads TZ: once per second is plenty. */
	if (now != syslog_tm_now) {
		if (localtime_r(&now, &syslog_tm) == NULL)
			return 0;
		syslog_tm_now = now;
	}
	sec = h * 3600 + mi * 60 + s - syslog_tm.tm_gmtoff;
	if (year < 0) {
		year = syslog_tm.tm_year + 1900;
		if (syslog_3164_days(year, mo, d) * SYSLOG_DAY + sec -
		    (int64_t)now > SYSLOG_3164_FUTURE)
			year--;
		else if (syslog_days(year + 1, mo + 1, d) * SYSLOG_DAY + sec -
		    (int64_t)now <= SYSLOG_3164_FUTURE)
			year++;	/* "Jan  1" from a fast clock on Dec 31 */
	}
	*ns = syslog_ns(syslog_3164_days(year, mo, d) * SYSLOG_DAY + sec,
	    frac);
	if (i == 15) {
		/* The common form (no year, no fraction): the same 15 bytes
		 * in the same second give the same time. */
		memcpy(last, p, 15);
		last_now = now;
		last_ns = *ns;
	}
	return i;
}

/* "<PRI>" at the start: its length (3..5) with *pri set, or 0. */
static size_t
syslog_pri(const char *p, size_t len, int *pri)
{
	size_t	i;
	int	v = 0;

	if (len < 3 || p[0] != '<')
		return 0;
	for (i = 1; i < len && i <= 4 && syslog_isdigit(p[i]); i++)
		v = v * 10 + (p[i] - '0');
	if (i == 1 || i > 4 || i >= len || p[i] != '>' || v > SYSLOG_MAX_PRI)
		return 0;
	*pri = v;
	return i + 1;
}

/* Decimal pid of 1..9 digits, or 0 when s is anything else. */
static pid_t
syslog_pid(const char *s, size_t len)
{
	int	v;

	if (len == 0 || len > 9 || (v = syslog_digits(s, len)) <= 0)
		return 0;
	return (pid_t)v;
}

/* The raw-text record every unparseable input becomes. */
static void
syslog_raw(const char *buf, size_t len, struct record *rec)
{
	rec->client_time_ns = 0;
	rec->facility = SYSLOG_DEFAULT_FACILITY;
	rec->severity = SYSLOG_DEFAULT_SEVERITY;
	rec->claimed_pid = 0;
	rec->claimed_host = NULL;
	rec->claimed_host_len = 0;
	rec->tag = "";
	rec->tag_len = 0;
	rec->msgid = NULL;
	rec->msgid_len = 0;
	rec->sd = NULL;
	rec->sd_len = 0;
	rec->msg = buf;
	rec->msg_len = len;
	rec->nfields = 0;
	rec->fields = NULL;
}

/* Next space-terminated word from *i; empty when *i is at a space or end. */
static size_t
syslog_word(const char *p, size_t len, size_t i)
{
	size_t	e;

	for (e = i; e < len && p[e] != ' '; e++)
		;
	return e - i;
}

/*
 * Length of the HOSTNAME at p[0..len) on host-bearing input, or 0: a run of
 * letters, digits, '.', '_' and '-' that ends in a letter or digit and is
 * followed by a space or the end of the message (rsyslog's pmrfc3164 rule,
 * which tells "host" from "prog:", "prog[1]:" and "#001").
 */
static size_t
syslog_3164_host(const char *p, size_t len)
{
	size_t	i;
	char	c;

	for (i = 0; i < len && i < SYSLOG_MAX_HOST; i++) {
		c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    syslog_isdigit(c) || c == '.' || c == '_' || c == '-'))
			break;
	}
	if (i == 0 || (i < len && p[i] != ' '))
		return 0;
	c = p[i - 1];
	if (c == '.' || c == '_' || c == '-')
		return 0;
	return i;
}

/*
 * RFC 3164 after the PRI: [TIMESTAMP SP [HOST SP]] [TAG[\[PID\]]:] MSG.
 * The HOST, like everything in a message, is only a claim (claimed_host),
 * and is looked for only on host-bearing input (relayed): glibc's syslog(3)
 * sends none to /dev/log, and on local input a first word that merely looks
 * like a name ("web1 nginx: x") is the sender's tag, never a host.
 * Without a timestamp there is no HEADER, so no host (RFC 3164 section
 * 4.3.3), and a tag is taken only in the explicit "tag:" / "tag[pid]:"
 * form, so Python's bare "<14>hello world" stays one message.
 */
static void
syslog_parse_3164(const char *p, size_t len, int64_t now_ns, bool relayed,
    struct record *rec)
{
	size_t	i = 0, w1, t, tl, pl = 0;
	bool	stamped = false;
	int64_t	ns;
	pid_t	pid = 0;

	if ((i = syslog_3164_time(p, len, now_ns, &ns)) > 0)
		stamped = true;
	else if (len > 1 && p[0] == ' ' &&
	    (i = syslog_3164_time(p + 1, len - 1, now_ns, &ns)) > 0) {
		stamped = true;	/* "<167> Mar  7 ...": a space after the PRI */
		i++;
	} else if ((w1 = syslog_word(p, len, 0)) > 0 &&
	    syslog_rfc3339(p, w1, &ns) == 0) {
		stamped = true;	/* rsyslog's high-precision 3164 variant */
		i = w1;
	}
	if (stamped) {
		rec->client_time_ns = ns;
		if (i < len)
			i++;	/* the space after the timestamp */
		if (relayed && (w1 = syslog_3164_host(p + i, len - i)) > 0) {
			rec->claimed_host = p + i;
			rec->claimed_host_len = w1;
			i += w1;
			if (i < len)
				i++;
			/* Cisco ASA's device-id: "fw01 : %ASA-6-302015: ..." */
			if (len - i >= 2 && p[i] == ':' && p[i + 1] == ' ')
				i += 2;
		}
	}

	/* TAG: up to the first '[', ':' or space. */
	for (t = i; t < len && p[t] != '[' && p[t] != ':' && p[t] != ' '; t++)
		;
	tl = t - i;
	if (tl > 0 && tl <= SYSLOG_MAX_TAG) {
		if (t < len && p[t] == '[') {
			pl = t + 1;
			while (pl < len && syslog_isdigit(p[pl]))
				pl++;
			if (pl >= len || p[pl] != ']' ||
			    (pid = syslog_pid(p + t + 1, pl - t - 1)) == 0)
				goto notag;
			t = pl + 1;
		}
		if (t < len && p[t] == ':') {
			t++;
			if (t < len && p[t] == ' ')
				t++;
		} else if (!stamped)
			goto notag;
		else if (t < len && p[t] == ' ')
			t++;
		rec->tag = p + i;
		rec->tag_len = tl;
		rec->claimed_pid = pid;
		i = t;
	}
notag:
	rec->msg = p + i;
	rec->msg_len = len - i;
}

/*
 * End of the STRUCTURED-DATA at p (one or more "[ID param="v" ...]"), or 0 if
 * it is not well formed. Only the element boundaries matter here: a ']' or
 * '"' inside a quoted value is escaped with '\\', so a quote toggles "inside a
 * value" and a backslash in a value skips the next byte. The formatter checks
 * the full grammar before it copies the SD anywhere.
 */
static size_t
syslog_sd_end(const char *p, size_t len)
{
	size_t	i = 0;
	bool	quoted;

	while (i < len && p[i] == '[') {
		i++;
		if (i >= len || p[i] == ' ' || p[i] == ']')
			return 0;
		quoted = false;
		for (;;) {
			if (i >= len)
				return 0;
			if (quoted && p[i] == '\\')
				i++;
			else if (p[i] == '"')
				quoted = !quoted;
			else if (!quoted && p[i] == ']')
				break;
			i++;
		}
		i++;
	}
	return i;
}

/*
 * RFC 5424 after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG].
 * HOSTNAME and PROCID are claims (claimed_host, claimed_pid).
 * Returns -1 when the header is cut short or has an empty field; the caller
 * then keeps the raw text. An SD that does not parse is left in the message.
 */
static int
syslog_parse_5424(const char *p, size_t len, struct record *rec)
{
	const char	*f[5];
	size_t		 fl[5], i = 0, n, k;
	int64_t		 ns;
	bool		 sd = false;

	for (k = 0; k < 5; k++) {
		n = syslog_word(p, len, i);
		if (n == 0)
			return -1;
		f[k] = p + i;
		fl[k] = n;
		i += n;
		if (i < len)
			i++;
		else if (k < 4)
			return -1;
	}
#define SYSLOG_NIL(k)	(fl[k] == 1 && f[k][0] == '-')
	if (!SYSLOG_NIL(0) && syslog_rfc3339(f[0], fl[0], &ns) == 0)
		rec->client_time_ns = ns;
	if (!SYSLOG_NIL(1)) {
		rec->claimed_host = f[1];
		rec->claimed_host_len = fl[1];
	}
	if (!SYSLOG_NIL(2)) {
		rec->tag = f[2];
		rec->tag_len = fl[2];
	}
	if (!SYSLOG_NIL(3))
		rec->claimed_pid = syslog_pid(f[3], fl[3]);
	if (!SYSLOG_NIL(4)) {
		rec->msgid = f[4];
		rec->msgid_len = fl[4];
	}
#undef SYSLOG_NIL

	if (i < len && p[i] == '-' && (i + 1 == len || p[i + 1] == ' ')) {
		sd = true;
		i++;
	} else if ((n = syslog_sd_end(p + i, len - i)) > 0 &&
	    (i + n == len || p[i + n] == ' ')) {
		sd = true;
		rec->sd = p + i;
		rec->sd_len = n;
		i += n;
	}
	if (sd && i < len)
		i++;		/* the space before MSG */
	if (len - i >= 3 && memcmp(p + i, "\xef\xbb\xbf", 3) == 0)
		i += 3;		/* the BOM says "UTF-8", and is not text */
	rec->msg = p + i;
	rec->msg_len = len - i;
	return 0;
}

static void
syslog_parse(const char *buf, size_t len, int64_t now_ns, bool relayed,
    struct record *rec)
{
	size_t	n;
	int	pri;

	len = syslog_dgram_len(buf, len);
	syslog_raw(buf, len, rec);

	if (len == 0 || buf[0] != '<') {
		/* No PRI at all: RFC 3164 section 4.3.3 says user.notice. */
		syslog_parse_3164(buf, len, now_ns, relayed, rec);
		return;
	}
	if ((n = syslog_pri(buf, len, &pri)) == 0)
		return;		/* "<999>", "<13": raw text */
	rec->facility = pri / 8;
	rec->severity = pri % 8;
	if (len > n && buf[n] == '1' && (len - n == 1 || buf[n + 1] == ' ')) {
		if (len - n < 2 ||
		    syslog_parse_5424(buf + n + 2, len - n - 2, rec) == -1)
			syslog_raw(buf, len, rec);
		return;
	}
	syslog_parse_3164(buf + n, len - n, now_ns, relayed, rec);
}

void
syslog_parse_local(const char *buf, size_t len, int64_t now_ns,
    struct record *rec)
{
	syslog_parse(buf, len, now_ns, false, rec);
}

void
syslog_parse_relayed(const char *buf, size_t len, int64_t now_ns,
    struct record *rec)
{
	syslog_parse(buf, len, now_ns, true, rec);
}

/*
 * Where the first message of buf ends: the first '\n', or under NUL framing
 * the first NUL (a '\n' is data there), or len. memchr is vectorised, a
 * byte loop is not.
 */
static size_t
syslog_line_end(const char *buf, size_t len, enum syslog_framing framing)
{
	const char	*end = memchr(buf, framing == SYSLOG_FRAMING_NUL ?
			    '\0' : '\n', len);

	return end != NULL ? (size_t)(end - buf) : len;
}

/* The rule of syslog.h, on the bytes received so far (len > 0). */
static enum syslog_framing
syslog_framing_of(const char *buf, size_t len, size_t max_len)
{
	if (buf[len - 1] == '\0')
		return SYSLOG_FRAMING_NUL;
	if (buf[len - 1] == '\n' || len > max_len)
		return SYSLOG_FRAMING_LF;
	/* A read that ends inside a message decides nothing when it holds a
	 * NUL: where the sender's writes split must not choose the framing
	 * (a newline-framed sender's "a\0<10>forged" cut after "forged"
	 * would forge a record). Without a NUL, a '\n' says LF. */
	if (memchr(buf, '\0', len) != NULL)
		return SYSLOG_FRAMING_UNKNOWN;
	if (memchr(buf, '\n', len) != NULL)
		return SYSLOG_FRAMING_LF;
	return SYSLOG_FRAMING_UNKNOWN;
}

/*
 * Octet counting is chosen per message by a leading digit (RFC 6587 section
 * 3.4.1 senders always start with one, a syslog message never does: it starts
 * with '<'). A digit run not followed by a space is not a count, and the
 * message is LF-framed like any other.
 *
 * One size rule for every framing: a message of up to max_len bytes, not
 * counting its framing (the octet count and its space, or the terminating
 * '\n' or NUL), is accepted; one byte more is too large. So a line needs
 * max_len + 1 bytes buffered before it can be judged.
 *
 * An oversize frame must go whole, or what follows its first max_len bytes
 * would be read as messages of their own: a client could forge records by
 * padding. An octet-counted frame has a known size, so *msg_len is all of it
 * (even beyond len) and the caller discards it as it arrives. A line ends at
 * its terminator, which may not have arrived yet: SYSLOG_FRAME_LONG_LINE
 * tells the caller to discard until syslog_frame_skip_line() finds it. More
 * than SYSLOG_MAX_COUNT_DIGITS digits are no count (that would be a gigabyte
 * frame) but text, e.g. a raw line starting with a timestamp: LF-framed.
 */
ssize_t
syslog_frame(const char *buf, size_t len, size_t max_len,
    enum syslog_framing *framing, const char **msg, size_t *msg_len)
{
	size_t		 i, count = 0, lim;
	bool		 more;

	*msg = buf;
	*msg_len = 0;
	if (len == 0)
		return 0;

	if (buf[0] >= '1' && buf[0] <= '9') {
		for (i = 0; i < len && syslog_isdigit(buf[i]); i++) {
			if (i == SYSLOG_MAX_COUNT_DIGITS)
				break;
			count = count * 10 + (size_t)(buf[i] - '0');
		}
		if (i == len)
			return 0;	/* count not finished yet */
		if (buf[i] == ' ' && count > max_len) {
			*msg_len = count + i + 1;
			return SYSLOG_FRAME_TOO_LARGE;
		}
		if (buf[i] == ' ') {
			i++;
			if (len - i < count)
				return 0;
			*msg = buf + i;
			*msg_len = count;
			return (ssize_t)(i + count);
		}
	}

	if (*framing == SYSLOG_FRAMING_UNKNOWN &&
	    (*framing = syslog_framing_of(buf, len, max_len)) ==
	    SYSLOG_FRAMING_UNKNOWN)
		return 0;
	lim = len <= max_len ? len : max_len + 1;	/* message + terminator */
	i = syslog_line_end(buf, lim, *framing);
	if (i < lim) {
		*msg_len = i;
		return (ssize_t)(i + 1);
	}
	if (len <= max_len)
		return 0;
	*msg_len = syslog_frame_skip_line(buf, len, *framing, &more);
	return more ? SYSLOG_FRAME_LONG_LINE : SYSLOG_FRAME_TOO_LARGE;
}

size_t
syslog_frame_skip_line(const char *buf, size_t len,
    enum syslog_framing framing, bool *more)
{
	size_t	i = syslog_line_end(buf, len, framing);

	*more = i == len;
	return i < len ? i + 1 : len;
}

/*
 * A syslog stream starts with '<', a digit or text. The control bytes that
 * text may start with are the ones that end an (empty) line, and TAB.
 * A native frame is recognised by its header: a little-endian length, the
 * type byte HELLO (1) and the magic "ALOG" (docs/protocol.md).
 */
int
syslog_stream_alien(const char *buf, size_t len, const char **why)
{
	unsigned char	c;

	if (len == 0)
		return -1;
	if (len >= 9 && buf[4] == 1 && memcmp(buf + 5, "ALOG", 4) == 0) {
		*why = "a native asynclog HELLO frame: this is a syslog socket, "
		    "the native protocol has a socket of its own";
		return 1;
	}
	c = (unsigned char)buf[0];
	if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
		*why = "binary data, not syslog text";
		return 1;
	}
	/* "A\0\0\0\1ALOG": a HELLO whose length is a letter; wait for it. */
	if (len < 9 && len >= 2 && buf[1] == '\0')
		return -1;
	return 0;
}

size_t
syslog_dgram_len(const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	return len;
}
