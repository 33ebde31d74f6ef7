/* SPDX-License-Identifier: ISC */
/*
 * test_match.c: syslog.conf-style selectors (daemon/match.c), compiled into
 * a facility x severity bitmap. Each test states one rule of the grammar in
 * match.h and checks it against every facility and severity it touches.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "match.h"

#define NSEV	8

static struct match
compile(const char *selector)
{
	struct match	m;
	char		err[256] = "";

	cr_assert_eq(match_compile(selector, &m, err, sizeof err), 0,
	    "'%s' should compile: %s", selector, err);
	return (m);
}

static void
compile_fails(const char *selector, const char *expected)
{
	struct match	m;
	char		err[256] = "";

	cr_assert_eq(match_compile(selector, &m, err, sizeof err), -1,
	    "'%s' should not compile", selector);
	cr_assert_str_eq(err, expected);
}

Test(match, star_info_takes_info_and_more_severe_of_every_facility)
{
	struct match	m = compile("*.info");
	int		f, s;

	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s <= 6; s++)
			cr_assert(match_record(&m, f, s), "%d.%d", f, s);
		cr_assert_not(match_record(&m, f, 7), "%d.debug", f);
	}
}

Test(match, star_star_takes_everything)
{
	struct match	m = compile("*.*");
	int		f, s;

	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s < NSEV; s++)
			cr_assert(match_record(&m, f, s));
	}
}

Test(match, facility_list_takes_only_those_facilities)
{
	struct match	m = compile("auth,authpriv.*");
	int		f, s;

	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s < NSEV; s++) {
			cr_assert_eq(match_record(&m, f, s), f == 4 || f == 10,
			    "%d.%d", f, s);
		}
	}
}

Test(match, none_removes_a_facility_taken_before)
{
	struct match	m = compile("*.info;mail.none");
	int		s;

	for (s = 0; s < NSEV; s++)
		cr_assert_not(match_record(&m, 2, s), "mail.%d", s);
	cr_assert(match_record(&m, 1, 6));
	cr_assert(match_record(&m, 3, 0));
	cr_assert_not(match_record(&m, 1, 7));
}

Test(match, equals_takes_exactly_one_severity)
{
	struct match	m = compile("*.=debug");
	int		f, s;

	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s < NSEV; s++)
			cr_assert_eq(match_record(&m, f, s), s == 7);
	}
}

Test(match, bang_takes_only_what_is_less_severe)
{
	struct match	m = compile("*.!err");
	int		f, s;

	/* Alone, "!err" removes from nothing: it takes nothing. */
	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s < NSEV; s++)
			cr_assert_not(match_record(&m, f, s));
	}

	m = compile("*.*;*.!err");
	for (f = 0; f < MATCH_NFACILITIES; f++) {
		for (s = 0; s < NSEV; s++)
			cr_assert_eq(match_record(&m, f, s), s > 3,
			    "%d.%d", f, s);
	}
}

Test(match, bang_equals_removes_exactly_one_severity)
{
	struct match	m = compile("kern.*;kern.!=crit");
	int		s;

	for (s = 0; s < NSEV; s++)
		cr_assert_eq(match_record(&m, 0, s), s != 2, "kern.%d", s);
	for (s = 0; s < NSEV; s++)
		cr_assert_not(match_record(&m, 1, s), "user.%d", s);
}

Test(match, bang_star_removes_everything_like_none)
{
	struct match	m = compile("*.*;mail.!*");
	int		s;

	for (s = 0; s < NSEV; s++) {
		cr_assert_not(match_record(&m, 2, s));
		cr_assert(match_record(&m, 3, s));
	}
}

Test(match, aliases_and_blanks_are_accepted)
{
	struct match	m = compile(" user.warn ; mail , daemon.error ");

	cr_assert(match_record(&m, 1, 4));
	cr_assert_not(match_record(&m, 1, 5));
	cr_assert(match_record(&m, 2, 3));
	cr_assert(match_record(&m, 3, 3));
	cr_assert_not(match_record(&m, 3, 4));
	m = compile("local7.panic");
	cr_assert(match_record(&m, 23, 0));
	cr_assert_not(match_record(&m, 23, 1));
}

Test(match, unknown_facility_is_rejected_by_name)
{
	compile_fails("*.info;mial.*", "unknown facility 'mial'");
}

Test(match, unknown_severity_is_rejected_by_name)
{
	compile_fails("mail.inf", "unknown severity 'inf'");
	compile_fails("mail.!=nonsense", "unknown severity 'nonsense'");
}

Test(match, empty_selector_is_rejected)
{
	compile_fails("", "empty selector");
	compile_fails("  ", "empty selector");
	compile_fails("*.info;", "empty selector");
	compile_fails(";*.info", "empty selector");
}

Test(match, selector_without_dot_or_parts_is_rejected)
{
	compile_fails("mail", "missing '.' in 'mail'");
	compile_fails("mail.", "missing severity");
	compile_fails("mail.=", "missing severity");
	compile_fails(".info", "missing facility in '.info'");
	compile_fails("mail,,auth.info",
	    "missing facility in 'mail,,auth.info'");
}

Test(match, failed_compile_leaves_the_result_untouched)
{
	struct match	m, before;
	char		err[64];

	memset(&m, 0x5a, sizeof m);
	before = m;
	cr_assert_eq(match_compile("*.*;bogus.*", &m, err, sizeof err), -1);
	cr_assert_eq(memcmp(&m, &before, sizeof m), 0);
}

Test(match, names_map_to_syslog_numbers_and_back)
{
	cr_assert_eq(match_facility("kern", 4), 0);
	cr_assert_eq(match_facility("authpriv", 8), 10);
	cr_assert_eq(match_facility("ftp", 3), 11);
	cr_assert_eq(match_facility("ntp", 3), 12);
	cr_assert_eq(match_facility("solaris-cron", 12), 15);
	cr_assert_eq(match_facility("local0", 6), 16);
	cr_assert_eq(match_facility("local7", 6), 23);
	cr_assert_eq(match_facility("local8", 6), -1);
	cr_assert_eq(match_facility("mailx", 4), 2, "only len bytes count");
	cr_assert_eq(match_severity("emerg", 5), 0);
	cr_assert_eq(match_severity("panic", 5), 0);
	cr_assert_eq(match_severity("error", 5), 3);
	cr_assert_eq(match_severity("warn", 4), 4);
	cr_assert_eq(match_severity("debug", 5), 7);
	cr_assert_eq(match_severity("*", 1), -1);
	cr_assert_str_eq(match_facility_name(10), "authpriv");
	cr_assert_str_eq(match_severity_name(3), "err");
	cr_assert_null(match_facility_name(24));
	cr_assert_null(match_severity_name(-1));
}

Test(match, out_of_range_records_never_match)
{
	struct match	m = compile("*.*");

	cr_assert_not(match_record(&m, -1, 0));
	cr_assert_not(match_record(&m, 24, 0));
	cr_assert_not(match_record(&m, 0, 8));
	cr_assert_not(match_record(&m, 0, -1));
}
