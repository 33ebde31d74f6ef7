/* SPDX-License-Identifier: ISC */
/*
 * test_syslog.c: unit tests for daemon/syslog.c on what real senders write
 * (glibc syslog(3), util-linux logger, Python's SysLogHandler, the examples
 * of RFC 3164 and RFC 5424), on malformed input, which must never be
 * rejected, and on RFC 6587 stream framing.
 */

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syslog.h"

#define SEC(s)		((int64_t)(s) * 1000000000)
#define NOW		SEC(1795608005)		/* 2026-11-25T12:00:05Z */
#define T_NOON		SEC(1795608000)		/* 2026-11-25T12:00:00Z */

static void
set_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct record
parse_as(const char *s, size_t len, bool relayed)
{
	struct record	rec;

	memset(&rec, 0x5a, sizeof rec);
	rec.time_ns = 42;
	rec.pid = 43;
	rec.host = NULL;
	if (relayed)
		syslog_parse_relayed(s, len, NOW, &rec);
	else
		syslog_parse_local(s, len, NOW, &rec);
	cr_assert_eq(rec.time_ns, 42, "time_ns must be left to the caller");
	cr_assert_eq(rec.pid, 43, "pid must be left to the caller");
	cr_assert_null(rec.host, "the trusted host must be left to the caller");
	return rec;
}

/* What a local (/dev/log-style) input makes of s. */
static struct record
parse(const char *s, size_t len)
{
	return parse_as(s, len, false);
}

static struct record
parse_str(const char *s)
{
	return parse(s, strlen(s));
}

/* What a host-bearing (relayed, network) input makes of s. */
static struct record
parse_relayed(const char *s)
{
	return parse_as(s, strlen(s), true);
}

#define assert_field(p, len, want) do {					\
	cr_assert_not_null((p), "%s is NULL", #p);			\
	cr_assert_eq((len), strlen(want), "%s: %zu bytes, want \"%s\"",	\
	    #p, (size_t)(len), (want));					\
	cr_assert_eq(memcmp((p), (want), (len)), 0, "%s: \"%.*s\" != \"%s\"", \
	    #p, (int)(len), (p), (want));				\
} while (0)

Test(syslog_3164, parses_what_glibc_syslog_sends_to_dev_log)
{
	struct record	rec;

	set_utc();
	rec = parse_str("<14>Nov 25 12:00:00 myprog[123]: hello");
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 6);
	cr_assert_null(rec.claimed_host);
	assert_field(rec.tag, rec.tag_len, "myprog");
	cr_assert_eq(rec.claimed_pid, 123);
	assert_field(rec.msg, rec.msg_len, "hello");
	cr_assert_eq(rec.client_time_ns, T_NOON);
	cr_assert_null(rec.msgid);
	cr_assert_null(rec.sd);
	cr_assert_eq(rec.nfields, 0);
}

Test(syslog_3164, parses_what_util_linux_logger_sends_by_default)
{
	struct record	rec;

	set_utc();
	rec = parse_str("<13>Nov 25 12:00:00 root: hello\n");
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 5);
	cr_assert_null(rec.claimed_host);
	assert_field(rec.tag, rec.tag_len, "root");
	cr_assert_eq(rec.claimed_pid, 0);
	assert_field(rec.msg, rec.msg_len, "hello");
	cr_assert_eq(rec.client_time_ns, T_NOON);
}

Test(syslog_3164, takes_a_hostname_after_the_timestamp_on_relayed_input)
{
	struct record	rec;

	set_utc();
	rec = parse_relayed("<34>Oct 11 22:14:15 mymachine su: 'su root' failed "
	    "for lonvick on /dev/pts/8");
	cr_assert_eq(rec.facility, 4);
	cr_assert_eq(rec.severity, 2);
	assert_field(rec.claimed_host, rec.claimed_host_len, "mymachine");
	assert_field(rec.tag, rec.tag_len, "su");
	assert_field(rec.msg, rec.msg_len,
	    "'su root' failed for lonvick on /dev/pts/8");

	rec = parse_relayed("<13>Nov 25 12:00:00 web1 nginx[77]: GET /");
	assert_field(rec.claimed_host, rec.claimed_host_len, "web1");
	assert_field(rec.tag, rec.tag_len, "nginx");
	cr_assert_eq(rec.claimed_pid, 77);
	assert_field(rec.msg, rec.msg_len, "GET /");
}

Test(syslog_3164, keeps_the_tag_when_the_message_starts_with_a_label)
{
	struct record	rec;

	rec = parse_str("<11>Nov 25 12:00:00 myprog: error: disk full");
	cr_assert_null(rec.claimed_host);
	assert_field(rec.tag, rec.tag_len, "myprog");
	assert_field(rec.msg, rec.msg_len, "error: disk full");
}

Test(syslog_3164, reads_a_space_padded_day)
{
	struct record	rec;

	set_utc();
	rec = parse_str("<13>Nov  5 01:02:03 prog: x");
	cr_assert_eq(rec.client_time_ns, SEC(1793840523));
	assert_field(rec.tag, rec.tag_len, "prog");
	assert_field(rec.msg, rec.msg_len, "x");
}

Test(syslog_3164, puts_december_in_last_year_when_it_is_january)
{
	struct record	rec;

	set_utc();
	syslog_parse_local("<13>Dec 31 23:59:59 p: x", 24, SEC(1798761605),
	    &rec);
	cr_assert_eq(rec.client_time_ns, SEC(1798761599));
}

Test(syslog_3164, parses_python_sysloghandler_without_timestamp_or_tag)
{
	static const char	s[] = "<14>hello world\0";
	struct record		rec;

	rec = parse(s, sizeof s - 1);
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 6);
	cr_assert_eq(rec.client_time_ns, 0);
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_null(rec.claimed_host);
	assert_field(rec.msg, rec.msg_len, "hello world");

	rec = parse_str("<14>myapp[9]: hello");
	assert_field(rec.tag, rec.tag_len, "myapp");
	cr_assert_eq(rec.claimed_pid, 9);
	assert_field(rec.msg, rec.msg_len, "hello");
}

Test(syslog_3164, claims_no_pid_when_the_tag_form_is_incomplete)
{
	struct record	rec;

	rec = parse_str("<14>app[9] hello");
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_eq(rec.claimed_pid, 0);
	assert_field(rec.msg, rec.msg_len, "app[9] hello");

	rec = parse_str("<14>Nov 25 12:00:00 app[x]: hello");
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_eq(rec.claimed_pid, 0);
	assert_field(rec.msg, rec.msg_len, "app[x]: hello");
}

Test(syslog_3164, treats_a_missing_pri_as_user_notice)
{
	struct record	rec;

	rec = parse_str("just some text");
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 5);
	cr_assert_eq(rec.tag_len, 0);
	assert_field(rec.msg, rec.msg_len, "just some text");
}

Test(syslog_3164, leaves_an_overlong_tag_in_the_message)
{
	const char	*s = "<13>Nov 25 12:00:00 aaaaaaaaaaaaaaaaaaaaaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaaa: x";
	struct record	rec;

	rec = parse_str(s);
	cr_assert_eq(rec.tag_len, 0);
	assert_field(rec.msg, rec.msg_len,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x");
}

Test(syslog_3164, accepts_an_rfc3339_timestamp_as_rsyslog_writes_it)
{
	struct record	rec;

	rec = parse_relayed("<13>2026-11-25T12:00:00.5+00:00 host prog: x");
	cr_assert_eq(rec.client_time_ns, T_NOON + 500000000);
	assert_field(rec.claimed_host, rec.claimed_host_len, "host");
	assert_field(rec.tag, rec.tag_len, "prog");
	assert_field(rec.msg, rec.msg_len, "x");
}

Test(syslog_5424, parses_what_logger_rfc5424_sends)
{
	struct record	rec;

	rec = parse_str("<13>1 2026-11-25T12:00:00.123456+00:00 host root - - "
	    "[timeQuality tzKnown=\"1\" isSynced=\"0\"] hello");
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 5);
	cr_assert_eq(rec.client_time_ns, T_NOON + 123456000);
	assert_field(rec.claimed_host, rec.claimed_host_len, "host");
	assert_field(rec.tag, rec.tag_len, "root");
	cr_assert_eq(rec.claimed_pid, 0);
	cr_assert_null(rec.msgid);
	assert_field(rec.sd, rec.sd_len,
	    "[timeQuality tzKnown=\"1\" isSynced=\"0\"]");
	assert_field(rec.msg, rec.msg_len, "hello");
}

Test(syslog_5424, parses_rfc5424_example_1_and_drops_the_bom)
{
	struct record	rec;

	rec = parse_str("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on "
	    "/dev/pts/8");
	cr_assert_eq(rec.facility, 4);
	cr_assert_eq(rec.severity, 2);
	cr_assert_eq(rec.client_time_ns, SEC(1065910455) + 3000000);
	assert_field(rec.claimed_host, rec.claimed_host_len, "mymachine.example.com");
	assert_field(rec.tag, rec.tag_len, "su");
	cr_assert_eq(rec.claimed_pid, 0);
	assert_field(rec.msgid, rec.msgid_len, "ID47");
	cr_assert_null(rec.sd);
	assert_field(rec.msg, rec.msg_len,
	    "'su root' failed for lonvick on /dev/pts/8");
}

Test(syslog_5424, parses_rfc5424_example_2_with_procid_and_offset)
{
	struct record	rec;

	rec = parse_str("<165>1 2003-08-24T05:14:15.000003-07:00 127.0.2.1 "
	    "myproc 8710 - - %% It's time to make the do-nuts.");
	cr_assert_eq(rec.facility, 20);
	cr_assert_eq(rec.severity, 5);
	cr_assert_eq(rec.client_time_ns, SEC(1061727255) + 3000);
	assert_field(rec.claimed_host, rec.claimed_host_len, "127.0.2.1");
	assert_field(rec.tag, rec.tag_len, "myproc");
	cr_assert_eq(rec.claimed_pid, 8710);
	cr_assert_null(rec.msgid);
	cr_assert_null(rec.sd);
	assert_field(rec.msg, rec.msg_len, "%% It's time to make the do-nuts.");
}

Test(syslog_5424, parses_rfc5424_examples_3_and_4_with_structured_data)
{
	struct record	rec;

	rec = parse_str("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource="
	    "\"Application\" eventID=\"1011\"] \xef\xbb\xbf" "An application "
	    "event log entry...");
	assert_field(rec.tag, rec.tag_len, "evntslog");
	assert_field(rec.sd, rec.sd_len, "[exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"]");
	assert_field(rec.msg, rec.msg_len, "An application event log entry...");

	rec = parse_str("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource="
	    "\"Application\" eventID=\"1011\"][examplePriority@32473 "
	    "class=\"high\"]");
	assert_field(rec.sd, rec.sd_len, "[exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"]"
	    "[examplePriority@32473 class=\"high\"]");
	cr_assert_eq(rec.msg_len, 0);
}

Test(syslog_5424, keeps_escaped_brackets_and_quotes_inside_sd_values)
{
	struct record	rec;

	rec = parse_str("<13>1 - h a - - [x@1 k=\"a\\]b\\\"c] d\\\\\"] msg");
	assert_field(rec.sd, rec.sd_len, "[x@1 k=\"a\\]b\\\"c] d\\\\\"]");
	assert_field(rec.msg, rec.msg_len, "msg");
}

Test(syslog_5424, maps_every_nilvalue_to_none)
{
	struct record	rec;

	rec = parse_str("<13>1 - - - - - -");
	cr_assert_eq(rec.client_time_ns, 0);
	cr_assert_null(rec.claimed_host);
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_eq(rec.claimed_pid, 0);
	cr_assert_null(rec.msgid);
	cr_assert_null(rec.sd);
	cr_assert_eq(rec.msg_len, 0);
}

Test(syslog_5424, leaves_malformed_structured_data_in_the_message)
{
	struct record	rec;

	rec = parse_str("<13>1 - h a - - [broken msg");
	cr_assert_null(rec.sd);
	assert_field(rec.msg, rec.msg_len, "[broken msg");
}

Test(syslog_malformed, keeps_the_raw_text_as_user_notice)
{
	static const char	*raw[] = {
		"<999>x", "<13", "<192>x", "<>x", "<1a>x", "<-1>x",
		"<13>1 2003-10-11T22:14:15Z host",
		"<13>1 2003-10-11T22:14:15Z  host app - - - m",
		"<165>1",
	};
	struct record		 rec;
	size_t			 i;

	for (i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		rec = parse_str(raw[i]);
		cr_assert_eq(rec.facility, 1, "%s", raw[i]);
		cr_assert_eq(rec.severity, 5, "%s", raw[i]);
		cr_assert_eq(rec.tag_len, 0, "%s", raw[i]);
		cr_assert_null(rec.claimed_host, "%s", raw[i]);
		cr_assert_null(rec.sd, "%s", raw[i]);
		cr_assert_eq(rec.client_time_ns, 0, "%s", raw[i]);
		assert_field(rec.msg, rec.msg_len, raw[i]);
	}
}

Test(syslog_malformed, turns_empty_input_and_bare_pri_into_empty_messages)
{
	struct record	rec;

	rec = parse("", 0);
	cr_assert_eq(rec.facility, 1);
	cr_assert_eq(rec.severity, 5);
	cr_assert_eq(rec.msg_len, 0);

	rec = parse_str("<13>");
	cr_assert_eq(rec.severity, 5);
	cr_assert_eq(rec.msg_len, 0);

	rec = parse_str("<30>");
	cr_assert_eq(rec.facility, 3);
	cr_assert_eq(rec.severity, 6);
	cr_assert_eq(rec.msg_len, 0);
}

Test(syslog_malformed, strips_one_trailing_newline_and_trailing_nuls)
{
	static const char	s[] = "<13>p: a\n\n\0\0";
	struct record		rec;

	rec = parse(s, sizeof s - 1);
	assert_field(rec.msg, rec.msg_len, "a\n");
}

Test(syslog_malformed, never_points_outside_random_input)
{
	char		buf[128];
	uint64_t	seed = 88172645463325252ULL;
	struct record	rec;
	size_t		len, i;
	int		round;

	for (round = 0; round < 10000; round++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		len = seed % sizeof buf;
		/* Start like syslog often, so the deep paths get exercised. */
		for (i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			buf[i] = "<13>1 -[]\"\\:Nov 25 12:00:00x\n"[seed % 30];
			if (seed & 0x100000)
				buf[i] = (char)(seed >> 24);
		}
		if (seed & 0x200000)
			syslog_parse_relayed(buf, len, NOW, &rec);
		else
			syslog_parse_local(buf, len, NOW, &rec);
		cr_assert(rec.facility >= 0 && rec.facility <= 23);
		cr_assert(rec.severity >= 0 && rec.severity <= 7);
		cr_assert(rec.msg >= buf && rec.msg + rec.msg_len <= buf + len);
		cr_assert(rec.tag_len == 0 ||
		    (rec.tag >= buf && rec.tag + rec.tag_len <= buf + len));
		cr_assert(rec.sd == NULL ||
		    (rec.sd >= buf && rec.sd + rec.sd_len <= buf + len));
	}
}

#define LF	SYSLOG_FRAMING_LF
#define NUL	SYSLOG_FRAMING_NUL

/* syslog_frame on a connection whose framing is already decided. */
static ssize_t
frame_as(enum syslog_framing framing, const char *buf, size_t len,
    size_t max_len, const char **msg, size_t *msg_len)
{
	enum syslog_framing f = framing;
	ssize_t n = syslog_frame(buf, len, max_len, &f, msg, msg_len);

	cr_assert_eq(f, framing, "a decided framing changed");
	return n;
}

Test(syslog_frame, splits_a_nul_framed_stream_at_nul_only)
{
	const char	*s = "<11>Traceback\n  x\0<14>b\0<15>c\n", *msg;
	size_t		 len = 30, msg_len;

	/* A newline is data under NUL framing: a traceback is one record. */
	cr_assert_eq(frame_as(NUL, s, len, 1024, &msg, &msg_len), 18);
	assert_field(msg, msg_len, "<11>Traceback\n  x");
	cr_assert_eq(frame_as(NUL, s + 18, len - 18, 1024, &msg, &msg_len), 6);
	assert_field(msg, msg_len, "<14>b");
	/* "<15>c\n" has no NUL yet: more is needed. */
	cr_assert_eq(frame_as(NUL, s + 24, len - 24, 1024, &msg, &msg_len), 0);
	cr_assert_eq(frame_as(LF, "\n", 1, 1024, &msg, &msg_len), 1);
	cr_assert_eq(msg_len, 0);
}

Test(syslog_frame, splits_an_octet_counted_stream)
{
	const char	*s = "5 <13>a11 <14>b\nc\n de", *msg;
	size_t		 msg_len;

	cr_assert_eq(frame_as(LF, s, strlen(s), 1024, &msg, &msg_len), 7);
	assert_field(msg, msg_len, "<13>a");
	cr_assert_eq(frame_as(LF, s + 7, strlen(s) - 7, 1024, &msg, &msg_len),
	    14);
	assert_field(msg, msg_len, "<14>b\nc\n de");
}

Test(syslog_frame, waits_for_the_rest_of_a_split_frame)
{
	const char	*msg;
	size_t		 msg_len;

	cr_assert_eq(frame_as(LF, "", 0, 1024, &msg, &msg_len), 0);
	cr_assert_eq(frame_as(LF, "<13>no newline yet", 18, 1024, &msg,
	    &msg_len), 0);
	cr_assert_eq(frame_as(LF, "12", 2, 1024, &msg, &msg_len), 0);
	cr_assert_eq(frame_as(LF, "12 <13>1 -", 10, 1024, &msg, &msg_len), 0);
}

Test(syslog_frame, rejects_oversize_frames_whole)
{
	char		 buf[100];
	const char	*msg;
	size_t		 msg_len;
	bool		 more;

	/* An octet count above max_len is refused on sight, and all of the
	 * frame is to be discarded, also what has not arrived yet. */
	cr_assert_eq(frame_as(LF, "100 <13>x", 9, 50, &msg, &msg_len),
	    SYSLOG_FRAME_TOO_LARGE);
	cr_assert_eq(msg_len, 104);
	/* A digit run too long to be a count is text, LF-framed. */
	cr_assert_eq(frame_as(LF, "1234567890123", 13, 50, &msg, &msg_len), 0);
	cr_assert_eq(frame_as(LF, "1234567890123 x\n<13>y\n", 22, 50, &msg,
	    &msg_len), 16);
	assert_field(msg, msg_len, "1234567890123 x");

	/* No newline within max_len: drop what is there and the rest of the
	 * line when it comes ... */
	memset(buf, 'a', sizeof buf);
	cr_assert_eq(frame_as(LF, buf, 60, 50, &msg, &msg_len),
	    SYSLOG_FRAME_LONG_LINE);
	cr_assert_eq(msg_len, 60);
	/* ... or the whole line when its end is already buffered. */
	buf[55] = '\n';
	cr_assert_eq(frame_as(LF, buf, 60, 50, &msg, &msg_len),
	    SYSLOG_FRAME_TOO_LARGE);
	cr_assert_eq(msg_len, 56);
	buf[55] = '\0';
	cr_assert_eq(frame_as(NUL, buf, 60, 50, &msg, &msg_len),
	    SYSLOG_FRAME_TOO_LARGE);
	cr_assert_eq(msg_len, 56);
	/* Just under the limit still fits. */
	buf[49] = '\n';
	cr_assert_eq(frame_as(LF, buf, 60, 50, &msg, &msg_len), 50);
	cr_assert_eq(msg_len, 49);

	/* The rest of a long line: up to its terminator, or all of it. */
	cr_assert_eq(syslog_frame_skip_line("aaa", 3, LF, &more), 3);
	cr_assert(more);
	cr_assert_eq(syslog_frame_skip_line("aa\n<13>x\n", 9, LF, &more), 3);
	cr_assert_not(more);
	cr_assert_eq(syslog_frame_skip_line("a\0b", 3, NUL, &more), 2);
	cr_assert_not(more);
	cr_assert_eq(syslog_frame_skip_line("a\0b", 3, LF, &more), 3);
	cr_assert(more, "under LF framing a NUL is data");
}

Test(syslog_frame, treats_digits_without_a_space_as_a_plain_line)
{
	const char	*msg;
	size_t		 msg_len;

	cr_assert_eq(frame_as(LF, "12abc\n", 6, 1024, &msg, &msg_len), 6);
	assert_field(msg, msg_len, "12abc");
}

/*
 * One size rule for every framing: a message of up to max_len bytes, its
 * framing not counted, is accepted; one byte more is too large.
 */
Test(syslog_frame, every_framing_takes_exactly_max_len_bytes)
{
	char		 buf[128];
	const char	*msg;
	size_t		 msg_len;
	bool		 more;

	/* newline-framed: 50 bytes + '\n' accepted, 51 + '\n' refused */
	memset(buf, 'a', sizeof buf);
	buf[50] = '\n';
	cr_assert_eq(frame_as(LF, buf, 51, 50, &msg, &msg_len), 51);
	cr_assert_eq(msg_len, 50);
	buf[50] = 'a';
	buf[51] = '\n';
	cr_assert_eq(frame_as(LF, buf, 52, 50, &msg, &msg_len),
	    SYSLOG_FRAME_TOO_LARGE);
	cr_assert_eq(msg_len, 52);
	/* ... and with no terminator yet, 50 bytes may still end well */
	cr_assert_eq(frame_as(LF, buf, 50, 50, &msg, &msg_len), 0);
	cr_assert_eq(frame_as(LF, buf, 51, 50, &msg, &msg_len),
	    SYSLOG_FRAME_LONG_LINE);
	/* NUL-framed, as Python's SysLogHandler writes */
	buf[50] = '\0';
	cr_assert_eq(frame_as(NUL, buf, 51, 50, &msg, &msg_len), 51);
	cr_assert_eq(msg_len, 50);

	/* octet-counted: a count of 50 accepted, 51 refused */
	memcpy(buf, "50 ", 3);
	memset(buf + 3, 'b', 51);
	cr_assert_eq(frame_as(LF, buf, 53, 50, &msg, &msg_len), 53);
	cr_assert_eq(msg_len, 50);
	memcpy(buf, "51 ", 3);
	cr_assert_eq(frame_as(LF, buf, 54, 50, &msg, &msg_len),
	    SYSLOG_FRAME_TOO_LARGE);

	/* datagrams: the trailing NULs and one '\n' are framing */
	cr_assert_eq(syslog_dgram_len("abc\n\0\0", 6), 3);
	cr_assert_eq(syslog_dgram_len("abc\n\n", 5), 4);
	cr_assert_eq(syslog_dgram_len("abc", 3), 3);
	cr_assert_eq(syslog_dgram_len("", 0), 0);
	(void)more;
}

Test(syslog_frame, a_nul_inside_a_newline_framed_line_is_data)
{
	const char	*s = "<13>a\0b\n<13>c\0<13>forged\n", *msg;
	size_t		 msg_len;

	cr_assert_eq(frame_as(LF, s, 25, 1024, &msg, &msg_len), 8);
	cr_assert_eq(msg_len, 7);
	cr_assert_eq(memcmp(msg, "<13>a\0b", 7), 0);
	cr_assert_eq(frame_as(LF, s + 8, 17, 1024, &msg, &msg_len), 17);
	cr_assert_eq(msg_len, 16, "a NUL and '<' must not start a record");
}

/* The framing of a connection, from the bytes of its first message. */
static enum syslog_framing
framing_of(const char *buf, size_t len)
{
	enum syslog_framing f = SYSLOG_FRAMING_UNKNOWN;
	const char *msg;
	size_t msg_len;

	(void)syslog_frame(buf, len, 1024, &f, &msg, &msg_len);
	return f;
}

Test(syslog_frame, decides_nul_or_newline_framing_from_the_first_message)
{
	/* Python's SysLogHandler: each write ends with a NUL. */
	cr_assert_eq(framing_of("<14>a\0", 6), NUL);
	cr_assert_eq(framing_of("<14>a\0<14>b\0", 12), NUL);
	cr_assert_eq(framing_of("<11>Traceback\n  x\0", 18), NUL);
	/* Lines, with or without a NUL inside them. */
	cr_assert_eq(framing_of("<13>a\n", 6), LF);
	cr_assert_eq(framing_of("<13>a\0b\n", 8), LF);
	cr_assert_eq(framing_of("<13>a\n<13>b", 11), LF);
	cr_assert_eq(framing_of("<13>a\0<13>forged\n", 17), LF);
	/* A read that ends inside a message with a NUL decides nothing:
	 * where the writes split must not choose (a newline-framed sender's
	 * "a\0<10>forged ... \n" cut after "forged" would forge a record). */
	cr_assert_eq(framing_of("<14>a\0<14>b", 11), SYSLOG_FRAMING_UNKNOWN);
	cr_assert_eq(framing_of("<13>a\0b", 7), SYSLOG_FRAMING_UNKNOWN);
	cr_assert_eq(framing_of("<13>a\0<10>forged", 16),
	    SYSLOG_FRAMING_UNKNOWN);
	/* Not decided before the first message can end ... */
	cr_assert_eq(framing_of("<13>no end yet", 14), SYSLOG_FRAMING_UNKNOWN);
	cr_assert_eq(framing_of("12 <13>a", 8), SYSLOG_FRAMING_UNKNOWN);
	/* ... nor by octet-counted messages, which carry their own length. */
	cr_assert_eq(framing_of("5 <13>a", 7), SYSLOG_FRAMING_UNKNOWN);
}

Test(syslog_frame, tells_a_native_frame_or_binary_data_from_syslog)
{
	const char	*why = NULL;
	unsigned char	 hello[128];
	char		 name[57];	/* L = 1 + 7 + 57 = 65 = 'A' */
	size_t		 n;

	n = wire_encode_hello(hello, sizeof(hello), 0, "asynclog", 8);
	cr_assert_eq(syslog_stream_alien((char *)hello, n, &why), 1);
	cr_assert(strstr(why, "HELLO") != NULL, "%s", why);
	/* A HELLO whose length byte is a letter: wait for its magic. */
	memset(name, 'a', sizeof(name));
	n = wire_encode_hello(hello, sizeof(hello), 0, name, sizeof(name));
	cr_assert_eq(hello[0], 'A');
	cr_assert_eq(syslog_stream_alien((char *)hello, 4, &why), -1);
	cr_assert_eq(syslog_stream_alien((char *)hello, n, &why), 1);
	cr_assert_eq(syslog_stream_alien("\x16\x03\x01", 3, &why), 1);
	cr_assert_eq(syslog_stream_alien("\0", 1, &why), 1);
	cr_assert_eq(syslog_stream_alien("", 0, &why), -1);
	/* What a syslog stream starts with. */
	cr_assert_eq(syslog_stream_alien("<13>x", 5, &why), 0);
	cr_assert_eq(syslog_stream_alien("12 <13>x", 8, &why), 0);
	cr_assert_eq(syslog_stream_alien("plain text", 10, &why), 0);
	cr_assert_eq(syslog_stream_alien("\n<13>x", 6, &why), 0);
	cr_assert_eq(syslog_stream_alien("\t", 1, &why), 0);
}

Test(syslog_3164, a_host_in_the_message_is_only_a_claim)
{
	struct record	rec = parse_relayed("<38>Nov 25 12:00:00 bastion "
	    "sshd[999]: Accepted publickey for root");

	assert_field(rec.claimed_host, rec.claimed_host_len, "bastion");
	cr_assert_eq(rec.claimed_pid, 999);
	assert_field(rec.msg, rec.msg_len, "Accepted publickey for root");
}

Test(syslog_5424, the_hostname_field_is_only_a_claim)
{
	struct record	rec = parse_str("<38>1 2026-11-25T12:00:00Z bastion "
	    "sshd 999 - - x");

	assert_field(rec.claimed_host, rec.claimed_host_len, "bastion");
}

/*
 * Local input never has a host taken out of its text: every word after the
 * timestamp that relayed input reads as a HOSTNAME is the tag or the message
 * here, whatever it looks like.
 */
Test(syslog_local, never_parses_a_host_out_of_the_text)
{
	static const char	*lines[] = {
		"<13>Nov 25 12:00:00 web1 nginx[77]: GET /",
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
		"<13>2026-11-25T12:00:00.5+00:00 host prog: x",
		"<14>Aug 30 23:00:05 X4711 AAAA",
		"<14>Aug 30 23:00:05 X4711",
		"Feb 18 16:01:59 serverX -- MARK --",
		"<38>Nov 25 12:00:00 bastion sshd[999]: Accepted",
	};
	struct record	rec, rel;
	size_t		i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		rel = parse_relayed(lines[i]);
		cr_assert_not_null(rel.claimed_host, "relayed: no host in %s",
		    lines[i]);
		rec = parse_str(lines[i]);
		cr_assert_null(rec.claimed_host, "local: host \"%.*s\" in %s",
		    (int)rec.claimed_host_len, rec.claimed_host, lines[i]);
		/* The would-be host is the tag. */
		cr_assert_eq(rec.tag, rel.claimed_host, "%s", lines[i]);
	}

	rec = parse_str("<13>Nov 25 12:00:00 web1 nginx[77]: GET /");
	assert_field(rec.tag, rec.tag_len, "web1");
	cr_assert_eq(rec.claimed_pid, 0);
	assert_field(rec.msg, rec.msg_len, "nginx[77]: GET /");
}

Test(syslog_relayed, parses_what_local_input_parses_when_there_is_no_host)
{
	static const char	*lines[] = {
		"<14>hello world",
		"<14>myapp[9]: hello",
		"<14>Nov 25 12:00:00 myprog[123]: hello",
		"<13>Nov 25 12:00:00 root: hello",
		"<11>Nov 25 12:00:00 myprog: error: disk full",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog"
		    " - ID47 [exampleSDID@32473 iut=\"3\"] An event",
		"<999>raw",
	};
	struct record	loc, rel;
	size_t		i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		loc = parse_str(lines[i]);
		rel = parse_relayed(lines[i]);
		cr_assert_eq(loc.claimed_host, rel.claimed_host, "%s",
		    lines[i]);
		cr_assert_eq(loc.tag, rel.tag, "%s", lines[i]);
		cr_assert_eq(loc.tag_len, rel.tag_len, "%s", lines[i]);
		cr_assert_eq(loc.claimed_pid, rel.claimed_pid, "%s", lines[i]);
		cr_assert_eq(loc.msg, rel.msg, "%s", lines[i]);
		cr_assert_eq(loc.msg_len, rel.msg_len, "%s", lines[i]);
	}
}

/* ---- RFC 3164 variants real devices send ------------------------------ */

#define T_MAR7	SEC(1772910413)		/* 2026-03-07T19:06:53Z */

Test(syslog_3164, reads_the_timestamp_variants_devices_send)
{
	static const char	*lines[] = {
		"<38>Mar  7 19:06:53 example tag: x",	/* RFC 3164 */
		"<38>Mar 7 19:06:53 example tag: x",	/* one-digit day */
		"<38>Mar 07 19:06:53 example tag: x",	/* zero-padded */
		"<38>MAR  7 19:06:53 example tag: x",	/* upper case */
		"<38>mar  7 19:06:53 example tag: x",
		"<38>Mar  7 19:06:53: example tag: x",	/* colon after */
		"<38> Mar  7 19:06:53 example tag: x",	/* space after PRI */
		"<38>Mar  7 2026 19:06:53 example tag: x", /* year */
		"<38>Mar 7 2026 19:06:53: example tag: x",
		"<38>Mar  7 19:06:53.250 example tag: x", /* fraction */
	};
	struct record	rec;
	size_t		i;

	set_utc();
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		rec = parse_relayed(lines[i]);
		cr_assert_eq(rec.facility, 4, "%s", lines[i]);
		cr_assert_eq(rec.client_time_ns, T_MAR7 + (i == 9 ?
		    250000000 : 0), "%s: time %lld", lines[i],
		    (long long)rec.client_time_ns);
		assert_field(rec.claimed_host, rec.claimed_host_len, "example");
		assert_field(rec.tag, rec.tag_len, "tag");
		assert_field(rec.msg, rec.msg_len, "x");
		/* The same time on local input, with no host. */
		rec = parse_str(lines[i]);
		cr_assert_eq(rec.client_time_ns, T_MAR7 + (i == 9 ?
		    250000000 : 0), "local %s", lines[i]);
		assert_field(rec.tag, rec.tag_len, "example");
	}
}

Test(syslog_3164, rejects_what_is_no_timestamp)
{
	static const char	*lines[] = {
		"<38>Mar 32 19:06:53 x",
		"<38>Mar  7 24:06:53 x",
		"<38>Mar  7 19:60:53 x",
		"<38>Mar  7 19:06:61 x",
		"<38>Mak  7 19:06:53 x",
		"<38>Mar  7 19:06:53x",
		"<38>Mar  7 19:06",
		"<38>Mar  0 19:06:53 x",
	};
	struct record	rec;
	size_t		i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		rec = parse_relayed(lines[i]);
		cr_assert_eq(rec.client_time_ns, 0, "%s", lines[i]);
		cr_assert_null(rec.claimed_host, "%s", lines[i]);
		assert_field(rec.msg, rec.msg_len, lines[i] + 4);
	}
}

Test(syslog_3164, reads_cisco_asa_with_and_without_a_device_id)
{
	struct record	rec;

	set_utc();
	rec = parse_relayed("<166>Jul 10 2013 12:00:00: %ASA-6-302015: Built "
	    "outbound UDP connection 1 for outside:127.0.2.1/53");
	cr_assert_eq(rec.facility, 20);
	cr_assert_eq(rec.severity, 6);
	cr_assert_eq(rec.client_time_ns, SEC(1373457600));
	cr_assert_null(rec.claimed_host);
	assert_field(rec.tag, rec.tag_len, "%ASA-6-302015");
	assert_field(rec.msg, rec.msg_len,
	    "Built outbound UDP connection 1 for outside:127.0.2.1/53");

	rec = parse_relayed("<166>Jul 10 2013 12:00:00 fw01 : %ASA-6-302015: "
	    "Built");
	cr_assert_eq(rec.client_time_ns, SEC(1373457600));
	assert_field(rec.claimed_host, rec.claimed_host_len, "fw01");
	assert_field(rec.tag, rec.tag_len, "%ASA-6-302015");
	assert_field(rec.msg, rec.msg_len, "Built");
}

Test(syslog_3164, reads_mark_lines_and_hosts_without_tags_on_relayed_input)
{
	struct record	rec;

	rec = parse_relayed("<13>Feb 18 16:01:59 serverX -- MARK --");
	assert_field(rec.claimed_host, rec.claimed_host_len, "serverX");
	assert_field(rec.tag, rec.tag_len, "--");
	assert_field(rec.msg, rec.msg_len, "MARK --");

	rec = parse_relayed("<14>Aug 30 23:00:05 X4711");
	assert_field(rec.claimed_host, rec.claimed_host_len, "X4711");
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_eq(rec.msg_len, 0);

	rec = parse_relayed("<14>Aug 30 23:00:05 X4711 ");
	assert_field(rec.claimed_host, rec.claimed_host_len, "X4711");
	cr_assert_eq(rec.tag_len, 0);
	cr_assert_eq(rec.msg_len, 0);

	/* No timestamp, no header: never a host, even on relayed input. */
	rec = parse_relayed("<14>disk full on /var");
	cr_assert_null(rec.claimed_host);
	cr_assert_eq(rec.tag_len, 0);
	assert_field(rec.msg, rec.msg_len, "disk full on /var");
}

/* One space after the tag is the separator; any more are the message's. */
Test(syslog_3164, drops_exactly_one_space_after_the_tag)
{
	struct record	rec;

	rec = parse_str("<13>Nov 25 12:00:00 t: x");
	assert_field(rec.msg, rec.msg_len, "x");
	rec = parse_str("<13>Nov 25 12:00:00 t:  x");
	assert_field(rec.msg, rec.msg_len, " x");
	rec = parse_str("<13>Nov 25 12:00:00 t:x");
	assert_field(rec.msg, rec.msg_len, "x");
	rec = parse_str("<13>Nov 25 12:00:00 t x");
	assert_field(rec.msg, rec.msg_len, "x");
	rec = parse_str("<13>t[5]:  x");
	assert_field(rec.msg, rec.msg_len, " x");
}

/* ---- the year of a date that has none --------------------------------- */

static int64_t
stamp_at(const char *line, int64_t now_ns)
{
	struct record	rec;

	memset(&rec, 0, sizeof rec);
	syslog_parse_local(line, strlen(line), now_ns, &rec);
	return rec.client_time_ns;
}

Test(syslog_3164, takes_this_year_or_last_year_when_more_than_a_month_ahead)
{
	set_utc();
	/* On 2026-12-01: March is this year's, not next year's. */
	cr_assert_eq(stamp_at("<13>Mar 10 08:00:00 p: x", SEC(1796083200)),
	    SEC(1773129600));				/* 2026-03-10 */
	/* On 2027-01-01 00:00:05: Dec 31 is last year's. */
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59 p: x", SEC(1798761605)),
	    SEC(1798761599));				/* 2026-12-31 */
	/* On 2026-11-25: Dec 20 is 25 days ahead, a fast clock: this year. */
	cr_assert_eq(stamp_at("<13>Dec 20 12:00:00 p: x", NOW),
	    SEC(1797768000));				/* 2026-12-20 */
	/* ... Dec 30 is 35 days ahead: last year's. */
	cr_assert_eq(stamp_at("<13>Dec 30 12:00:00 p: x", NOW),
	    SEC(1767096000));				/* 2025-12-30 */
	/* A year in the stamp is kept, whatever now is. */
	cr_assert_eq(stamp_at("<13>Dec 30 2030 12:00:00 p: x", NOW),
	    SEC(1924862400));				/* 2030-12-30 */
}

/* The last stamp read is remembered for its second (syslog.c): read again
 * in another second, here a year later, it is worked out afresh. */
Test(syslog_3164, the_same_stamp_in_another_second_is_read_afresh)
{
	set_utc();
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59 p: x", SEC(1798761605)),
	    SEC(1798761599));				/* 2026-12-31 */
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59 p: y", SEC(1798761605)),
	    SEC(1798761599));
	/* On 2027-12-31 23:50:00: this year's. */
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59 p: x", SEC(1830297000)),
	    SEC(1830297599));				/* 2027-12-31 */
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59 p: x", SEC(1798761605)),
	    SEC(1798761599));
	/* A stamp that only starts the same is not the same stamp. */
	cr_assert_eq(stamp_at("<13>Dec 31 23:59:59.5 p: x", SEC(1798761605)),
	    SEC(1798761599) + 500000000);
}

/*
 * New Year's Eve the other way round: a sender whose clock is a few seconds
 * fast sends "Jan  1" on December 31st. That is next year's, seconds ahead,
 * not a date a year ago (syslog-ng and rsyslog read it so).
 */
Test(syslog_3164, puts_january_in_next_year_when_it_is_december)
{
	set_utc();
	/* On 2026-12-31 23:59:55: Jan 1 00:00:05 is 2027's. */
	cr_assert_eq(stamp_at("<13>Jan  1 00:00:05 p: x", SEC(1798761595)),
	    SEC(1798761605));				/* 2027-01-01 */
	/* On 2026-12-20: Jan 15 is 26 days ahead, within the fast clock
	 * allowed for this year's dates: next year's too. */
	cr_assert_eq(stamp_at("<13>Jan 15 00:00:00 p: x", SEC(1797724800)),
	    SEC(1799971200));				/* 2027-01-15 */
	/* On 2026-12-01: Mar 10 is still this year's (in the past). */
	cr_assert_eq(stamp_at("<13>Mar 10 08:00:00 p: x", SEC(1796083200)),
	    SEC(1773129600));				/* 2026-03-10 */
}
