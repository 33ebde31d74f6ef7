/* SPDX-License-Identifier: ISC */
/*
 * test_format.c: unit tests for daemon/format.c.
 *
 * The property that matters most is that no client byte can forge a line:
 * every format is fed hostile bytes (newlines, NULs, ANSI escapes, invalid
 * UTF-8) in every client-controlled field, and the output must be exactly one
 * line of valid UTF-8 without control bytes. Escaping must also be reversible.
 */

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

#define T_2026_11_24	INT64_C(1795523696)	/* 2026-11-24T12:34:56Z */
#define T_NS(s, us)	((int64_t)(s) * 1000000000 + (int64_t)(us) * 1000)

static const char *hostile[] = {
	"line one\nline two",
	"carriage\rreturn",
	"crlf\r\n2026-01-01T00:00:00.000000+00:00 forged tag: x",
	"nul\0inside",
	"\x1b[31mred\x1b[0m and \x1b]0;title\x07",
	"bad \xff byte",
	"overlong \xc0\xaf slash",
	"truncated \xe2\x82",
	"surrogate \xed\xa0\x80",
	"above max \xf4\x90\x80\x80",
	"c1 csi \xc2\23331m",	/* C1 CSI, in octal so "31m" stays text */
	"quote \" backslash \\ bracket ] equal = space",
	"\xe2\x80\xa8 line separator",
	"",
	"\n",
	"\xc3",
};
#define NHOSTILE	(sizeof hostile / sizeof hostile[0])

/* Length of a hostile string: they may hold NULs, so not strlen. */
static size_t
hostile_len(size_t i)
{
	if (i == 3)
		return sizeof "nul\0inside" - 1;
	return strlen(hostile[i]);
}

static void
set_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct record
make_record(const char *msg)
{
	struct record	rec;

	memset(&rec, 0, sizeof rec);
	rec.time_ns = T_NS(T_2026_11_24, 123456);
	rec.facility = 1;
	rec.severity = 6;
	rec.pid = 123;
	rec.uid = 1000;
	rec.gid = 100;
	rec.tag = "prog";
	rec.tag_len = 4;
	rec.msg = msg;
	rec.msg_len = strlen(msg);
	return rec;
}

/* A small deterministic generator, so failures reproduce. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool
valid_utf8(const unsigned char *p, size_t len)
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
		i += n;
	}
	return true;
}

/* One line: valid UTF-8, no control byte, and '\n' only at the very end. */
static void
assert_one_clean_line(const char *line, ssize_t n)
{
	ssize_t	i;

	cr_assert_gt(n, 0);
	cr_assert_eq(line[n - 1], '\n', "line does not end with a newline");
	for (i = 0; i < n - 1; i++) {
		unsigned char c = (unsigned char)line[i];

		cr_assert(c >= 0x20 && c != 0x7f,
		    "control byte 0x%02x at %zd in: %.*s", c, i, (int)n, line);
	}
	cr_assert(valid_utf8((const unsigned char *)line, (size_t)n),
	    "invalid UTF-8 in: %.*s", (int)n, line);
}

Test(format_escape, round_trips_ten_thousand_random_buffers)
{
	static const unsigned char palette[] = {
		'a', ' ', '\\', 'x', 'n', '\n', '\r', '\t', 0, 0x1b, 0x7f,
		0x80, 0x9b, 0xbf, 0xc0, 0xc2, 0xc3, 0xe2, 0xed, 0xa0, 0xf0,
		0xf4, 0x90, 0xff,
	};
	unsigned char	src[256], back[256];
	char		esc[4 * 256];
	uint64_t	seed = 0x9e3779b97f4a7c15ULL;
	ssize_t		n, m;
	size_t		len, i;
	int		round;

	for (round = 0; round < 10000; round++) {
		len = rng_next(&seed) % sizeof src;
		for (i = 0; i < len; i++) {
			uint64_t r = rng_next(&seed);

			/* Half uniform bytes, half bytes that make UTF-8. */
			if (r & 1)
				src[i] = (unsigned char)(r >> 8);
			else
				src[i] = palette[(r >> 8) % sizeof palette];
		}
		n = format_escape_text((char *)src, len, esc, sizeof esc);
		cr_assert_geq(n, 0, "4 * len must always suffice");
		for (i = 0; i < (size_t)n; i++)
			cr_assert((unsigned char)esc[i] >= 0x20 &&
			    esc[i] != 0x7f, "control byte survived escaping");
		cr_assert(valid_utf8((unsigned char *)esc, (size_t)n));
		m = format_unescape_text(esc, (size_t)n, (char *)back,
		    sizeof back);
		cr_assert_eq(m, (ssize_t)len, "round %d: length %zd != %zu",
		    round, m, len);
		cr_assert_eq(memcmp(src, back, len), 0, "round %d differs",
		    round);
	}
}

Test(format_escape, passes_valid_multibyte_utf8_unchanged)
{
	const char	*s = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
			    "\xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac "
			    "\xc2\xa0";
	char		 out[256];
	ssize_t		 n;

	n = format_escape_text(s, strlen(s), out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(s));
	cr_assert_eq(memcmp(out, s, strlen(s)), 0);
}

Test(format_escape, writes_controls_and_backslash_as_short_escapes)
{
	const char	 s[] = "a\nb\tc\rd\\e\x01\x7f\0";
	const char	*want = "a\\nb\\tc\\rd\\\\e\\x01\\x7f\\x00";
	char		 out[64];
	ssize_t		 n;

	n = format_escape_text(s, sizeof s - 1, out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

Test(format_escape, writes_each_invalid_utf8_byte_as_hex)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "\xff", "\\xff" },
		{ "\xc0\xaf", "\\xc0\\xaf" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "x\xe2\x82", "x\\xe2\\x82" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
		{ "\x80" "a", "\\x80a" },
		{ "\xc2\x9b", "\\xc2\\x9b" },	/* C1 CSI: terminals obey it */
		{ "\x1b[31m", "\\x1b[31m" },
	};
	char	out[64];
	ssize_t	n;
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = format_escape_text(cases[i].in, strlen(cases[i].in), out,
		    sizeof out);
		cr_assert_eq(n, (ssize_t)strlen(cases[i].want), "case %zu", i);
		cr_assert_eq(memcmp(out, cases[i].want, (size_t)n), 0,
		    "case %zu: got %.*s", i, (int)n, out);
	}
}

Test(format_escape, fails_instead_of_overflowing_a_small_buffer)
{
	char	out[8];

	memset(out, 'Z', sizeof out);
	cr_assert_eq(format_escape_text("\n\n\n", 3, out, 5), -1);
	cr_assert_eq(out[5], 'Z', "wrote past cap");
	cr_assert_eq(format_escape_text("\xff\xff", 2, out, 8), 8);
	cr_assert_eq(format_escape_json("\x01", 1, out, 5), -1);
	cr_assert_eq(format_escape_json("\x01", 1, out, 6), 6);
}

Test(format_unescape, rejects_malformed_escapes)
{
	char	out[16];

	cr_assert_eq(format_unescape_text("\\q", 2, out, sizeof out), -1);
	cr_assert_eq(format_unescape_text("\\x1", 3, out, sizeof out), -1);
	cr_assert_eq(format_unescape_text("\\xg0", 4, out, sizeof out), -1);
	cr_assert_eq(format_unescape_text("ab\\", 3, out, sizeof out), -1);
	cr_assert_eq(format_unescape_text("abc", 3, out, 2), -1);
	cr_assert_eq(format_unescape_text("\\x41\\\\", 6, out, sizeof out), 2);
	cr_assert_eq(memcmp(out, "A\\", 2), 0);
}

Test(format_escape, makes_json_string_bodies_that_stay_valid)
{
	const char	 s[] = "q\" b\\ \x01 \n \xff \xc2\x85 "
			    "\xe2\x80\xa8 \xc3\xa9";
	const char	*want = "q\\\" b\\\\ \\u0001 \\n \\udcff \\u0085 "
			    "\\u2028 \xc3\xa9";
	char		 out[128];
	ssize_t		 n;

	n = format_escape_json(s, sizeof s - 1, out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

Test(format_time, writes_rfc3339_with_microseconds_in_utc)
{
	char	out[64];
	ssize_t	n;

	set_utc();
	n = format_time(T_NS(T_2026_11_24, 123456) + 789, out, sizeof out);
	cr_assert_eq(n, 32);
	cr_assert_eq(memcmp(out, "2026-11-24T12:34:56.123456+00:00", 32), 0,
	    "got %.*s", (int)n, out);

	/* Same second from the cache, then the next second rebuilds it. */
	n = format_time(T_NS(T_2026_11_24, 7), out, sizeof out);
	cr_assert_eq(memcmp(out, "2026-11-24T12:34:56.000007+00:00", 32), 0);
	n = format_time(T_NS(T_2026_11_24 + 1, 999999), out, sizeof out);
	cr_assert_eq(memcmp(out, "2026-11-24T12:34:57.999999+00:00", 32), 0);
}

Test(format_time, writes_negative_offsets_and_times_before_1970)
{
	char	out[64];

	setenv("TZ", "<-0530>5:30", 1);
	tzset();
	cr_assert_eq(format_time(T_NS(T_2026_11_24, 0), out, sizeof out), 32);
	cr_assert_eq(memcmp(out, "2026-11-24T07:04:56.000000-05:30", 32), 0,
	    "got %.32s", out);

	set_utc();
	cr_assert_eq(format_time(-1000, out, sizeof out), 32);
	cr_assert_eq(memcmp(out, "1969-12-31T23:59:59.999999+00:00", 32), 0,
	    "got %.32s", out);
}

Test(format_time, refuses_a_buffer_shorter_than_33_bytes)
{
	char	out[64];

	cr_assert_eq(format_time(0, out, 32), -1);
	cr_assert_eq(format_time(0, out, 33), 32);
}

Test(format_time, a_line_s_time_reads_back_in_every_format_and_offset)
{
	static const char *const lines[] = {
	    "2026-11-24T12:34:56.123456+00:00 host tag[1]: x",
	    "{\"time\":\"2026-11-24T07:04:56.123456-05:30\",\"host\":\"h\"}",
	    "<14>1 2026-11-24T14:34:56.123456+02:00 host tag 1 - - x",
	    "2026-11-24T12:34:56.123456Z rest",
	};
	int64_t ns;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		cr_assert_eq(format_line_time(lines[i], strlen(lines[i]), &ns),
		    0, "%s", lines[i]);
		cr_assert_eq(ns, T_NS(T_2026_11_24, 123456), "%s", lines[i]);
	}
}

Test(format_time, a_line_that_does_not_start_with_our_time_is_refused)
{
	static const char *const lines[] = { "", "garbage",
	    "2026-11-24 12:34:56 host", "2026-13-24T12:34:56.1+00:00 x",
	    "2026-11-24T12:34:56.123456", "<14>2 2026-11-24T12:34:56Z x",
	    "{\"host\":\"2026-11-24T12:34:56Z\"}" };
	int64_t ns;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert_eq(format_line_time(lines[i], strlen(lines[i]), &ns),
		    -1, "%s", lines[i]);
}

Test(format_record, writes_the_text_line_of_the_design)
{
	struct record	rec = make_record("hello world");
	char		out[512];
	ssize_t		n;
	const char	*want = "2026-11-24T12:34:56.123456+00:00 myhost "
			    "prog[123]: hello world\n";

	set_utc();
	n = format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, "myhost", out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

Test(format_record, text_omits_unknown_pid_and_dashes_empty_tag_and_host)
{
	struct record	rec = make_record("m");
	char		out[512];
	ssize_t		n;
	const char	*want = "2026-11-24T12:34:56.123456+00:00 - -: m\n";

	set_utc();
	rec.pid = -1;
	rec.tag = "";
	rec.tag_len = 0;
	n = format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, NULL, out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0);
}

Test(format_record, text_keeps_host_tag_and_fields_one_word_each)
{
	struct wire_field	f[2] = {
		{ "user id", 7, "john doe", 8 },
		{ "a=b", 3, "c=d", 3 },
	};
	struct record		rec = make_record("msg");
	char			out[512];
	ssize_t			n;
	const char		*want = "2026-11-24T12:34:56.123456+00:00 "
				    "evil\\x20host my\\x20tag[123]: msg "
				    "user\\x20id=john\\x20doe a\\x3db=c=d\n";

	set_utc();
	rec.host = "evil host";
	rec.host_len = 9;
	rec.tag = "my tag";
	rec.tag_len = 6;
	rec.fields = f;
	rec.nfields = 2;
	n = format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, "local", out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

Test(format_record, writes_the_json_object_with_every_member)
{
	struct wire_field	f = { "k", 1, "v", 1 };
	struct record		rec = make_record("hi");
	char			out[1024];
	ssize_t			n;
	const char		*want = "{\"time\":\"2026-11-24T12:34:56.123456"
		"+00:00\",\"host\":\"h\",\"facility\":\"local7\",\"severity\":"
		"\"debug\",\"tag\":\"prog\",\"pid\":123,\"uid\":1000,\"gid\":"
		"100,\"claimed_pid\":77,\"client_time\":\"2026-11-24T12:34:55"
		".000000+00:00\",\"msgid\":\"ID1\",\"sd\":\"[a b=\\\"c\\\"]\","
		"\"message\":\"hi\",\"fields\":{\"k\":\"v\"}}\n";

	set_utc();
	rec.facility = 23;
	rec.severity = 7;
	rec.claimed_pid = 77;
	rec.client_time_ns = T_NS(T_2026_11_24 - 1, 0);
	rec.msgid = "ID1";
	rec.msgid_len = 3;
	rec.sd = "[a b=\"c\"]";
	rec.sd_len = 9;
	rec.fields = &f;
	rec.nfields = 1;
	n = format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

/* The Kafka key: a client's message, claimed host or field keys cannot
 * pose as the host or tag member, however they try. */
Test(format_record, json_member_finds_host_and_tag_not_what_a_client_forged)
{
	struct wire_field	f[2] = { { "tag", 3, "ff", 2 },
				    { "host", 4, "fh", 2 } };
	struct record		rec = make_record(
	    "x\",\"tag\":\"forged\",\"host\":\"forged");
	char			out[1024];
	const char		*v;
	ssize_t			n;
	size_t			vlen;

	rec.tag = "we\"b";
	rec.tag_len = 4;
	rec.claimed_host = "\",\"host\":\"forged";
	rec.claimed_host_len = strlen(rec.claimed_host);
	rec.fields = f;
	rec.nfields = 2;
	n = format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT, &rec, "h1", out,
	    sizeof out);
	cr_assert_gt(n, 0);
	cr_assert_eq(format_json_member(out, (size_t)n, "host", &v, &vlen), 0);
	cr_assert_eq(vlen, 2);
	cr_assert_eq(memcmp(v, "h1", 2), 0);
	cr_assert_eq(format_json_member(out, (size_t)n, "tag", &v, &vlen), 0);
	cr_assert_eq(vlen, 5, "got %.*s", (int)vlen, v);
	cr_assert_eq(memcmp(v, "we\\\"b", 5), 0);
	cr_assert_eq(format_json_member(out, (size_t)n, "msgid", &v, &vlen),
	    -1);
	/* A cut line has no value to give. */
	cr_assert_eq(format_json_member("{\"time\":\"t\",\"host\":\"ab", 20,
	    "host", &v, &vlen), -1);
}

Test(format_record, json_writes_null_for_unknown_credentials)
{
	struct record	rec = make_record("x");
	char		out[1024];
	ssize_t		n;

	rec.pid = -1;
	rec.uid = (uid_t)-1;
	rec.gid = (gid_t)-1;
	n = format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert(strstr(out, "\"pid\":null,\"uid\":null,\"gid\":null") != NULL,
	    "got %s", out);
	cr_assert(strstr(out, "claimed_pid") == NULL);
	cr_assert(strstr(out, "fields") == NULL);
}

Test(format_record, json_lines_parse_with_python_whatever_the_input)
{
	struct wire_field	 f[NHOSTILE];
	struct record		 rec;
	char			 out[4096];
	FILE			*py;
	ssize_t			 n;
	size_t			 i;

	/* Each line must parse, and valid UTF-8 messages must come back. */
	py = popen("python3 -c '"
	    "import json,sys\n"
	    "n=0\n"
	    "for l in sys.stdin.buffer:\n"
	    "  o=json.loads(l.decode(\"utf-8\"))\n"
	    "  assert o[\"tag\"]==\"t\\u00e9\", o\n"
	    "  n+=1\n"
	    "assert n==17, n\n"
	    "'", "w");
	cr_assert_not_null(py);
	for (i = 0; i < NHOSTILE; i++) {
		f[i].key = hostile[i];
		f[i].key_len = hostile_len(i);
		f[i].value = hostile[i];
		f[i].value_len = hostile_len(i);
	}
	for (i = 0; i < NHOSTILE; i++) {
		rec = make_record("");
		rec.msg = hostile[i];
		rec.msg_len = hostile_len(i);
		rec.host = hostile[i];
		rec.host_len = hostile_len(i);
		rec.tag = "t\xc3\xa9";
		rec.tag_len = 3;
		rec.msgid = hostile[i];
		rec.msgid_len = hostile_len(i);
		rec.sd = hostile[i];
		rec.sd_len = hostile_len(i);
		rec.fields = f;
		rec.nfields = NHOSTILE;
		n = format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT,
		    &rec, "h", out, sizeof out);
		assert_one_clean_line(out, n);
		cr_assert_eq(fwrite(out, 1, (size_t)n, py), (size_t)n);
	}
	/* One valid UTF-8 message that must arrive intact. */
	rec = make_record("caf\xc3\xa9 \xe2\x9c\x93 \"q\"");
	rec.tag = "t\xc3\xa9";
	rec.tag_len = 3;
	n = format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	cr_assert_eq(fwrite(out, 1, (size_t)n, py), (size_t)n);
	cr_assert_eq(pclose(py), 0, "python3 rejected the JSON");
}

Test(format_record, every_format_writes_one_clean_line_for_hostile_input)
{
	static const enum format_kind	kinds[] = {
		FORMAT_TEXT, FORMAT_JSON, FORMAT_RFC5424,
	};
	struct wire_field	 f[NHOSTILE];
	struct record		 rec;
	char			 out[8192];
	ssize_t			 n;
	size_t			 i, j, k;

	for (i = 0; i < NHOSTILE; i++) {
		f[i].key = hostile[i];
		f[i].key_len = hostile_len(i);
		f[i].value = hostile[NHOSTILE - 1 - i];
		f[i].value_len = hostile_len(NHOSTILE - 1 - i);
	}
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		for (i = 0; i < NHOSTILE; i++) {
			for (j = 0; j < 2; j++) {
				rec = make_record("");
				rec.msg = hostile[i];
				rec.msg_len = hostile_len(i);
				rec.tag = hostile[(i + 1) % NHOSTILE];
				rec.tag_len = hostile_len((i + 1) % NHOSTILE);
				rec.host = hostile[(i + 2) % NHOSTILE];
				rec.host_len = hostile_len((i + 2) % NHOSTILE);
				rec.msgid = hostile[(i + 3) % NHOSTILE];
				rec.msgid_len = hostile_len((i + 3) % NHOSTILE);
				rec.sd = hostile[(i + 4) % NHOSTILE];
				rec.sd_len = hostile_len((i + 4) % NHOSTILE);
				if (j == 1) {
					rec.fields = f;
					rec.nfields = NHOSTILE;
				}
				n = format_record(kinds[k], FORMAT_SD_ID_DEFAULT,
				    &rec, "local\nhost",
				    out, sizeof out);
				assert_one_clean_line(out, n);
				cr_assert_leq((size_t)n, format_max_len(&rec),
				    "format_max_len is not an upper bound");
			}
		}
	}
}

Test(format_record, writes_a_valid_rfc5424_line)
{
	struct record	rec = make_record("hello");
	char		out[1024];
	ssize_t		n;
	const char	*want = "<14>1 2026-11-24T12:34:56.123456+00:00 myhost "
			    "prog 123 - [asynclog@32473 uid=\"1000\" "
			    "gid=\"100\" claimed_pid=\"5\"] hello\n";

	set_utc();
	rec.claimed_pid = 5;
	n = format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
	    &rec, "myhost", out, sizeof out);
	cr_assert_eq(n, (ssize_t)strlen(want), "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got %.*s", (int)n,
	    out);
}

Test(format_record, rfc5424_header_fields_hold_only_printable_ascii)
{
	char		 longtag[100], out[2048];
	struct record	 rec;
	ssize_t		 n;
	size_t		 i, field, flen;
	const char	*p;
	static const size_t	maxlen[] = { 5, 32, 255, 48, 128, 32 };

	memset(longtag, 'a', sizeof longtag);
	for (i = 0; i < NHOSTILE; i++) {
		rec = make_record("m");
		rec.host = hostile[i];
		rec.host_len = hostile_len(i);
		rec.tag = i == 0 ? longtag : hostile[(i + 1) % NHOSTILE];
		rec.tag_len = i == 0 ? sizeof longtag :
		    hostile_len((i + 1) % NHOSTILE);
		rec.msgid = hostile[(i + 2) % NHOSTILE];
		rec.msgid_len = hostile_len((i + 2) % NHOSTILE);
		n = format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
		    &rec, "h", out, sizeof out);
		assert_one_clean_line(out, n);
		/* PRI+VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
		p = out;
		for (field = 0; field < 6; field++) {
			for (flen = 0; p[flen] != ' '; flen++)
				cr_assert(p[flen] >= 33 && p[flen] <= 126,
				    "field %zu has byte 0x%02x", field,
				    (unsigned char)p[flen]);
			cr_assert_gt(flen, 0, "empty header field %zu", field);
			cr_assert_leq(flen, maxlen[field], "field %zu too long",
			    field);
			p += flen + 1;
		}
		cr_assert_eq(*p, '[', "no SD after header");
	}
}

Test(format_record, rfc5424_copies_valid_sd_and_quotes_invalid_sd)
{
	struct record	rec = make_record("m");
	char		out[1024];
	ssize_t		n;

	rec.uid = (uid_t)-1;
	rec.gid = (gid_t)-1;
	rec.sd = "[ex@32473 a=\"x\\]y\\\"z\"][b c=\"\xc3\xa9\"]";
	rec.sd_len = strlen(rec.sd);
	n = format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert(strstr(out, " [asynclog@32473][ex@32473 a=\"x\\]y\\\"z\"]"
	    "[b c=\"\xc3\xa9\"] m\n") != NULL, "got %s", out);

	rec.sd = "[broken \"]\n";
	rec.sd_len = strlen(rec.sd);
	n = format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	assert_one_clean_line(out, n);
	out[n] = '\0';
	cr_assert(strstr(out, " [asynclog@32473 origsd="
	    "\"[broken \\\"\\]\\\\n\"] m\n") != NULL, "got %s", out);
}

Test(format_record, fails_cleanly_when_the_line_does_not_fit)
{
	struct record	rec = make_record("hello");
	char		out[1024];
	ssize_t		n;

	n = format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out);
	cr_assert_gt(n, 0);
	cr_assert_eq(format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, (size_t)n - 1),
	    -1);
	cr_assert_eq(format_record(FORMAT_TEXT, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, (size_t)n), n);
	cr_assert_eq(format_record(FORMAT_JSON, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, 10), -1);
	cr_assert_eq(format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, 10), -1);
}

Test(format_names, parse_and_print_the_three_formats)
{
	cr_assert_eq(format_parse("text"), FORMAT_TEXT);
	cr_assert_eq(format_parse("json"), FORMAT_JSON);
	cr_assert_eq(format_parse("rfc5424"), FORMAT_RFC5424);
	cr_assert_eq(format_parse("xml"), -1);
	cr_assert_eq(format_parse(""), -1);
	cr_assert_str_eq(format_name(FORMAT_JSON), "json");
	cr_assert_str_eq(format_name(FORMAT_RFC5424), "rfc5424");
}

/* ---- what a line claims: host and SD-ID ------------------------------ */

static ssize_t
format_str(enum format_kind kind, const struct record *rec, char *out,
    size_t cap)
{
	ssize_t	n = format_record(kind, FORMAT_SD_ID_DEFAULT,
	    rec, "myhost", out, cap - 1);

	cr_assert_gt(n, 0);
	out[n] = '\0';
	return n;
}

Test(format_claims, a_claimed_host_never_takes_the_host_position)
{
	struct record	rec = make_record("Accepted publickey for root");
	char		out[1024];

	set_utc();
	rec.claimed_host = "bastion";
	rec.claimed_host_len = 7;

	format_str(FORMAT_TEXT, &rec, out, sizeof out);
	cr_assert_str_eq(out, "2026-11-24T12:34:56.123456+00:00 myhost "
	    "prog[123]: Accepted publickey for root\n");

	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert(strstr(out, "\"host\":\"myhost\",\"claimed_host\":"
	    "\"bastion\",") != NULL, "got %s", out);

	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert_str_eq(out, "<14>1 2026-11-24T12:34:56.123456+00:00 myhost "
	    "prog 123 - [asynclog@32473 uid=\"1000\" gid=\"100\" "
	    "claimed_host=\"bastion\"] Accepted publickey for root\n");
}

Test(format_claims, a_claim_of_this_very_host_is_not_repeated)
{
	struct record	rec = make_record("m");
	char		out[1024];

	rec.claimed_host = "myhost";
	rec.claimed_host_len = 6;
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "claimed_host"), "got %s", out);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "claimed_host"), "got %s", out);
}

/* A record from the network: text shows the host its message names (the
 * machine it is about, as rsyslog does for relayed logs); JSON and RFC 5424
 * keep the peer as the host and the name as the claim. */
Test(format_claims, a_network_record_shows_the_host_its_message_names)
{
	struct record	rec = make_record("m");
	char		out[1024];

	rec.host = "127.0.2.7";
	rec.host_len = 9;
	rec.claimed_host = "bastion";
	rec.claimed_host_len = 7;
	format_str(FORMAT_TEXT, &rec, out, sizeof out);
	cr_assert(strstr(out, " bastion prog[123]: m\n") != NULL, "%s", out);
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert(strstr(out, "\"host\":\"127.0.2.7\",\"claimed_host\":"
	    "\"bastion\"") != NULL, "got %s", out);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert(strstr(out, " 127.0.2.7 prog 123 - [") != NULL, "got %s", out);
	cr_assert(strstr(out, " claimed_host=\"bastion\"") != NULL, "got %s",
	    out);
}

Test(format_claims, a_network_record_naming_no_host_shows_its_peer)
{
	struct record	rec = make_record("m");
	char		out[1024];

	rec.host = "127.0.2.7";
	rec.host_len = 9;
	format_str(FORMAT_TEXT, &rec, out, sizeof out);
	cr_assert(strstr(out, " 127.0.2.7 prog[123]: m\n") != NULL, "%s", out);
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "claimed_host"), "got %s", out);
}

/* A TLS peer's certificate name is a trusted field of JSON and RFC 5424,
 * escaped like everything a peer chose; text does not show it. */
Test(format_claims, a_peer_certificate_name_is_shown_escaped)
{
	struct record	rec = make_record("m");
	char		out[1024];
	ssize_t		n;

	rec.host = "127.0.2.7";
	rec.host_len = 9;
	rec.peer_cert = "web\"1";
	rec.peer_cert_len = 5;
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert(strstr(out, "\"peer_cert\":\"web\\\"1\"") != NULL, "got %s",
	    out);
	n = format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	assert_one_clean_line(out, n);
	cr_assert(strstr(out, " peer_cert=\"web\\\"1\"") != NULL, "got %s", out);
	format_str(FORMAT_TEXT, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "web"), "got %s", out);
}

Test(format_claims, a_hostile_claimed_host_is_escaped_in_our_sd_element)
{
	struct record	rec = make_record("m");
	char		out[1024];
	ssize_t		n;

	rec.claimed_host = "a\"] [x\n\xc2\x9b";
	rec.claimed_host_len = strlen(rec.claimed_host);
	n = format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	assert_one_clean_line(out, n);
	cr_assert(strstr(out, " claimed_host=\"a\\\"\\] [x\\\\n\\\\xc2\\\\x9b\"]"
	    " m\n") != NULL, "got %s", out);
}

Test(format_claims, a_client_sd_element_with_our_sd_id_is_renamed_a_claim)
{
	struct record	rec = make_record("m");
	char		out[1024];

	rec.sd = "[asynclog@32473 uid=\"0\"][x@1 a=\"\\]\"]"
	    "[ASYNCLOG@32473][asynclog@324730 b=\"c\"]";
	rec.sd_len = strlen(rec.sd);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert(strstr(out, " [asynclog@32473 uid=\"1000\" gid=\"100\"]"
	    "[asynclog-claim@32473 uid=\"0\"][x@1 a=\"\\]\"]"
	    "[ASYNCLOG-claim@32473][asynclog@324730 b=\"c\"] m\n") != NULL,
	    "got %s", out);
	/* Exactly one element is the daemon's. */
	cr_assert_null(strstr(strstr(out, "[asynclog@32473 ") + 1,
	    "[asynclog@32473 "), "got %s", out);
	cr_assert_null(strstr(out, "[asynclog@32473]"), "got %s", out);
}

Test(format_claims, the_sd_id_is_the_configured_one)
{
	struct record	rec = make_record("m");
	char		out[1024];
	ssize_t		n;

	rec.sd = "[site@99999 uid=\"0\"][asynclog@32473 uid=\"0\"]";
	rec.sd_len = strlen(rec.sd);
	n = format_record(FORMAT_RFC5424, "site@99999", &rec, "h", out,
	    sizeof out - 1);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert(strstr(out, " [site@99999 uid=\"1000\" gid=\"100\"]"
	    "[site-claim@99999 uid=\"0\"][asynclog@32473 uid=\"0\"] m\n")
	    != NULL, "got %s", out);
}

Test(format_claims, sd_ids_are_validated_as_private_ids)
{
	cr_assert(format_sd_id_valid("asynclog@32473"));
	cr_assert(format_sd_id_valid("x@1.2.3"));
	cr_assert(format_sd_id_valid("abcdefghijklmnopqrstu@1234"));	/* 26 */
	cr_assert_not(format_sd_id_valid("abcdefghijklmnopqrstuv@1234"));
	cr_assert_not(format_sd_id_valid("timeQuality"));
	cr_assert_not(format_sd_id_valid("a@b"));
	cr_assert_not(format_sd_id_valid("a@1..2"));
	cr_assert_not(format_sd_id_valid("a\x7f@1"));
}

/* ---- C1 controls in every field of every format ----------------------- */

Test(format_escape, c1_controls_reach_no_field_of_any_format)
{
	static const char	 c1[] = "x\xc2\x9b" "31m\xc2\x85y";
	static const char	 sd[] = "[ex@1 v=\"\xc2\x9b" "2J\"]";
	struct wire_field	 f = { c1, sizeof c1 - 1, c1, sizeof c1 - 1 };
	struct record		 rec = make_record(c1);
	enum format_kind	 k;
	char			 out[2048];
	ssize_t			 n;

	rec.tag = c1;
	rec.tag_len = sizeof c1 - 1;
	rec.claimed_host = c1;
	rec.claimed_host_len = sizeof c1 - 1;
	rec.msgid = c1;
	rec.msgid_len = sizeof c1 - 1;
	rec.sd = sd;
	rec.sd_len = sizeof sd - 1;
	rec.fields = &f;
	rec.nfields = 1;
	for (k = FORMAT_TEXT; k <= FORMAT_RFC5424; k++) {
		n = format_record(k, FORMAT_SD_ID_DEFAULT,
		    &rec, c1, out, sizeof out - 1);
		assert_one_clean_line(out, n);
		out[n] = '\0';
		cr_assert_null(memmem(out, (size_t)n, "\xc2\x9b", 2),
		    "%s: %s", format_name(k), out);
		cr_assert_null(memmem(out, (size_t)n, "\xc2\x85", 2),
		    "%s: %s", format_name(k), out);
	}
	/* The SD went to origsd, escaped, rather than verbatim. */
	n = format_record(FORMAT_RFC5424, FORMAT_SD_ID_DEFAULT,
	    &rec, "h", out, sizeof out - 1);
	out[n] = '\0';
	cr_assert(strstr(out, "origsd=\"[ex@1 v=\\\"\\\\xc2\\\\x9b2J\\\"\\]\"")
	    != NULL, "got %s", out);
}

/* ---- reversibility: reference unescapers and a property test ----------- */

/* The text escaping, undone without format.c: \\ \n \t \r \xNN. */
static ssize_t
ref_unescape_text(const char *s, size_t len, unsigned char *out)
{
	size_t	i, o = 0;
	unsigned v;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i];
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
			if (len - i < 3 || sscanf(s + i + 1, "%2x", &v) != 1 ||
			    !strchr("0123456789abcdef", s[i + 1]) ||
			    !strchr("0123456789abcdef", s[i + 2]))
				return -1;
			out[o++] = (unsigned char)v;
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)o;
}

/* RFC 5424 PARAM-VALUE unescaping: \" \\ \] stand for the character. */
static size_t
ref_unescape_sd(const char *s, size_t len, char *out)
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
ref_utf8(uint32_t cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A JSON string body (from after the opening quote) decoded as RFC 8259
 * says, then encoded back to bytes with "surrogateescape": a lone
 * U+DC80..U+DCFF is the byte 0x80..0xFF it stands for. Sets *end past the
 * closing quote. -1 on anything else (bad escape, other lone surrogate).
 */
static ssize_t
ref_unescape_json(const char *s, const char **end, unsigned char *out)
{
	size_t		o = 0;
	unsigned	u, lo;

	for (;;) {
		if (*s == '"') {
			*end = s + 1;
			return (ssize_t)o;
		}
		if ((unsigned char)*s < 0x20)
			return -1;
		if (*s != '\\') {
			out[o++] = (unsigned char)*s++;
			continue;
		}
		s++;
		switch (*s++) {
		case '"': out[o++] = '"'; continue;
		case '\\': out[o++] = '\\'; continue;
		case '/': out[o++] = '/'; continue;
		case 'b': out[o++] = '\b'; continue;
		case 'f': out[o++] = '\f'; continue;
		case 'n': out[o++] = '\n'; continue;
		case 'r': out[o++] = '\r'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'u': break;
		default: return -1;
		}
		if (sscanf(s, "%4x", &u) != 1)
			return -1;
		s += 4;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (s[0] != '\\' || s[1] != 'u' ||
			    sscanf(s + 2, "%4x", &lo) != 1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return -1;
			s += 6;
			o += ref_utf8(0x10000 + ((u - 0xd800) << 10) +
			    (lo - 0xdc00), out + o);
		} else if (u >= 0xdc80 && u <= 0xdcff)
			out[o++] = (unsigned char)(u - 0xdc00);
		else if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		else
			o += ref_utf8(u, out + o);
	}
}

/* Random bytes, rich in what escaping must get right. */
static size_t
random_hostile(uint64_t *s, unsigned char *buf, size_t cap)
{
	static const char *const bits[] = { "\\x41", "\\", "\\\\", "\\n",
	    "\\udc80", "\\u0041", "\xc2\x9b", "\xc2\x85", "\xc2\xa0",
	    "\xed\xa0\x80", "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "\xf4\x90",
	    "\"", "]", "=", " ", "\x1b[2J", "\r\n", "\xc3\xa9" };
	size_t	n = rng_next(s) % 48, len = 0, k;

	for (k = 0; k < n && len + 8 < cap; k++) {
		switch (rng_next(s) % 3) {
		case 0: {
			const char *b = bits[rng_next(s) % (sizeof bits /
			    sizeof bits[0])];

			memcpy(buf + len, b, strlen(b));
			len += strlen(b);
			break;
		}
		case 1:
			buf[len++] = (unsigned char)(rng_next(s) & 0xff);
			break;
		default:
			buf[len++] = (unsigned char)(rng_next(s) % 0x80);
			if (buf[len - 1] == 0x7f)
				buf[len - 1] = 0;	/* NULs too */
			break;
		}
	}
	return len;
}

Test(format_escape, every_format_unescapes_to_exactly_the_client_bytes)
{
	unsigned char	 msg[512], back[512];
	char		 out[8192], val[4096];
	const char	*p, *e, *end;
	uint64_t	 seed = 0x5eed1e55c1a1b5ULL;
	struct record	 rec;
	ssize_t		 n, m;
	size_t		 len, hlen, v;
	int		 iter;

	set_utc();
	for (iter = 0; iter < 20000; iter++) {
		len = random_hostile(&seed, msg, sizeof msg);
		hlen = rng_next(&seed) % (len + 1);
		rec = make_record("");
		rec.msg = (const char *)msg;
		rec.msg_len = len;
		rec.claimed_host = (const char *)msg + len - hlen;
		rec.claimed_host_len = hlen;

		/* text: the message follows "prog[123]: " */
		n = format_str(FORMAT_TEXT, &rec, out, sizeof out);
		p = strstr(out, " prog[123]: ") + 12;
		m = ref_unescape_text(p, (size_t)(out + n - 1 - p), back);
		cr_assert(m == (ssize_t)len && memcmp(back, msg, len) == 0,
		    "text, iteration %d: %s", iter, out);

		/* JSON: the message member, and the claimed host */
		format_str(FORMAT_JSON, &rec, out, sizeof out);
		p = strstr(out, ",\"message\":\"");
		cr_assert_not_null(p);
		m = ref_unescape_json(p + 12, &end, back);
		cr_assert(m == (ssize_t)len && memcmp(back, msg, len) == 0,
		    "json, iteration %d: %s", iter, out);
		if ((p = strstr(out, ",\"claimed_host\":\"")) != NULL) {
			m = ref_unescape_json(p + 17, &end, back);
			cr_assert(m == (ssize_t)hlen &&
			    memcmp(back, rec.claimed_host, hlen) == 0,
			    "json claimed_host, iteration %d: %s", iter, out);
		} else
			cr_assert(hlen == 6 && memcmp(rec.claimed_host,
			    "myhost", 6) == 0, "json lost the claimed host");

		/* RFC 5424: MSG after our element, claimed_host inside it */
		n = format_str(FORMAT_RFC5424, &rec, out, sizeof out);
		if ((p = strstr(out, " claimed_host=\"")) != NULL) {
			p += 15;
			for (e = p; *e != '"'; e++)
				if (*e == '\\')
					e++;
			v = ref_unescape_sd(p, (size_t)(e - p), val);
			m = ref_unescape_text(val, v, back);
			cr_assert(m == (ssize_t)hlen &&
			    memcmp(back, rec.claimed_host, hlen) == 0,
			    "5424 claimed_host, iteration %d: %s", iter, out);
			p = e;
		} else
			p = out;
		p = strstr(p, "\"]");
		cr_assert_not_null(p);
		p += 2;
		if (len == 0)
			cr_assert_str_eq(p, "\n");
		else {
			cr_assert_eq(*p, ' ');
			p++;
			m = ref_unescape_text(p, (size_t)(out + n - 1 - p),
			    back);
			cr_assert(m == (ssize_t)len &&
			    memcmp(back, msg, len) == 0,
			    "5424, iteration %d: %s", iter, out);
		}
	}
}

Test(format_escape, json_tells_an_invalid_byte_from_the_text_of_its_escape)
{
	char	a[64], b[64];
	ssize_t	na, nb;

	na = format_escape_json("\xff", 1, a, sizeof a);
	nb = format_escape_json("\\xff", 4, b, sizeof b);
	cr_assert_eq(na, 6);
	cr_assert_eq(memcmp(a, "\\udcff", 6), 0);
	cr_assert_eq(nb, 5);
	cr_assert_eq(memcmp(b, "\\\\xff", 5), 0);
}

/* The sender's systemd unit, from the kernel's cgroup of the sender. */
Test(format_unit, the_unit_is_a_trusted_field_in_json_and_rfc5424_only)
{
	struct record	rec = make_record("m");
	char		out[1024];

	set_utc();
	rec.unit = "foo.service";
	rec.unit_len = 11;
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert(strstr(out, "\"gid\":100,\"unit\":\"foo.service\",") != NULL,
	    "got %s", out);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert_str_eq(out, "<14>1 2026-11-24T12:34:56.123456+00:00 myhost "
	    "prog 123 - [asynclog@32473 uid=\"1000\" gid=\"100\" "
	    "unit=\"foo.service\"] m\n");
	format_str(FORMAT_TEXT, &rec, out, sizeof out);
	cr_assert_str_eq(out, "2026-11-24T12:34:56.123456+00:00 myhost "
	    "prog[123]: m\n", "the text format is unchanged");
}

Test(format_unit, no_unit_member_when_the_unit_is_unknown)
{
	struct record	rec = make_record("m");
	char		out[1024];

	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "unit"), "got %s", out);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert_null(strstr(out, "unit"), "got %s", out);
}

Test(format_unit, a_unit_is_escaped_like_every_other_field)
{
	struct record	rec = make_record("m");
	char		out[1024];

	rec.unit = "a\"]\n\\b.service";
	rec.unit_len = strlen(rec.unit);
	format_str(FORMAT_JSON, &rec, out, sizeof out);
	cr_assert(strstr(out, "\"unit\":\"a\\\"]\\n\\\\b.service\"") != NULL,
	    "got %s", out);
	format_str(FORMAT_RFC5424, &rec, out, sizeof out);
	cr_assert(strstr(out, " unit=\"a\\\"\\]\\\\n\\\\\\\\b.service\"]") !=
	    NULL, "got %s", out);
	cr_assert_leq(strlen(out), format_max_len(&rec));
}
