/* SPDX-License-Identifier: ISC */
/*
 * test_relp.c: daemon/relp.c cuts RELP frames out of a stream and writes
 * the server's responses. Every malformed header is refused, a frame cut
 * anywhere asks for more bytes, and one whose data is over the limit is
 * said to be too large with its size, so the caller can skip it.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "relpserver.h"

static ssize_t
frame(const char *s, size_t max, struct relp_frame *f, const char **why)
{
	*why = NULL;
	return relp_frame(s, strlen(s), max, f, why);
}

Test(relp, a_syslog_frame_is_cut_with_its_data)
{
	const char *s = "12 syslog 5 <13>x\n3 close 0\n", *why;
	struct relp_frame f;

	cr_assert_eq(frame(s, 100, &f, &why), 18);
	cr_assert_eq(f.txnr, 12);
	cr_assert_str_eq(f.command, "syslog");
	cr_assert_eq(f.len, 5);
	cr_assert_eq(memcmp(f.data, "<13>x", 5), 0);
	cr_assert_eq(frame(s + 18, 100, &f, &why), 10);
	cr_assert_eq(f.txnr, 3);
	cr_assert_str_eq(f.command, "close");
	cr_assert_eq(f.len, 0);
}

Test(relp, a_frame_cut_anywhere_asks_for_more)
{
	const char *s = "7 open 86 relp_version=0\nrelp_software=librelp,"
	    "1.11.0,http://librelp.adiscon.com\ncommands=syslog\n", *why;
	struct relp_frame f;
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++)
		cr_assert_eq(relp_frame(s, i, 1000, &f, &why), 0,
		    "cut at %zu", i);
	cr_assert_eq(relp_frame(s, len, 1000, &f, &why), (ssize_t)len);
	cr_assert_str_eq(f.command, "open");
}

Test(relp, data_over_the_limit_is_too_large_with_its_size)
{
	const char *s = "4 syslog 999999999 <13>", *why;
	struct relp_frame f;

	cr_assert_eq(frame(s, 65536, &f, &why), RELP_FRAME_TOO_LARGE);
	cr_assert_eq(f.txnr, 4);
	cr_assert_eq(f.len, 999999999);
	cr_assert_eq(f.header, 19);
}

Test(relp, malformed_headers_are_refused)
{
	static const char *bad[] = {
		"x syslog 1 a\n",		/* no number */
		"1234567890 syslog 1 a\n",	/* ten digits */
		"1  syslog 1 a\n",		/* two spaces */
		"1 sys-log 1 a\n",		/* not a letter */
		"1 syslog 1234567890 a\n",	/* ten digits of length */
		"1 syslog 1 ab\n",		/* no LF after the data */
		"1 close 0 \n",			/* a space after length 0 */
		"1 syslog 2\nab\n",		/* no space before data */
		"1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n", /* 33 letters */
		"\x16\x03\x01\x02\x00",		/* TLS */
	};
	struct relp_frame f;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(frame(bad[i], 100, &f, &why), -1, "%s", bad[i]);
		cr_assert_not_null(why);
	}
}

Test(relp, responses_carry_the_transaction_and_the_status)
{
	char buf[128];
	size_t n;

	n = relp_rsp(buf, sizeof(buf), 42, RELP_OK, strlen(RELP_OK));
	cr_assert_eq(n, strlen("42 rsp 6 200 OK\n"));
	cr_assert_eq(memcmp(buf, "42 rsp 6 200 OK\n", n), 0);
	n = relp_rsp(buf, sizeof(buf), 9, "", 0);
	cr_assert_eq(n, strlen("9 rsp 0\n"));
	cr_assert_eq(memcmp(buf, "9 rsp 0\n", n), 0);
	cr_assert_eq(relp_rsp(buf, 8, 42, RELP_OK, strlen(RELP_OK)), 0);
}
