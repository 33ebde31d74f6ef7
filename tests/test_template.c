/* SPDX-License-Identifier: ISC */
/*
 * test_template.c: daemon/template.c compiles "${field}" templates and
 * renders records through them. The expected lines are written out here by
 * hand from the field's meaning, not produced by format.c; every client
 * byte that could forge a line or a file name must come out escaped or
 * sanitised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "template.h"

/* 2026-11-24 12:34:56.123456 UTC */
#define T_NS	(1795523696LL * 1000000000LL + 123456789LL)

static struct record
rec_of(const char *tag, const char *msg)
{
	struct record	r;

	memset(&r, 0, sizeof r);
	r.time_ns = T_NS;
	r.facility = 3;		/* daemon */
	r.severity = 4;		/* warning */
	r.pid = 42;
	r.uid = 1000;
	r.gid = 100;
	r.tag = tag;
	r.tag_len = strlen(tag);
	r.msg = msg;
	r.msg_len = strlen(msg);
	return (r);
}

static struct template *
compile(const char *text, enum template_use use)
{
	struct template	*t;
	char		 err[1024];

	t = template_compile(text, use, err, sizeof err);
	cr_assert_not_null(t, "%s: %s", text, err);
	return (t);
}

static void
renders(const char *text, const struct record *r, const char *expected)
{
	struct template	*t = compile(text, TEMPLATE_LINE);
	char		 buf[8192];
	ssize_t		 n;

	n = template_render(t, r, "myhost", buf, sizeof buf);
	cr_assert_geq(n, 0, "%s did not render", text);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert_eq(memchr(buf, '\n', (size_t)n - 1), NULL,
	    "a second line in \"%.*s\"", (int)n, buf);
	buf[n - 1] = '\0';
	cr_assert_str_eq(buf, expected);
	template_free(t);
}

static void
refused(const char *text, enum template_use use, const char *expected)
{
	char	err[1024];

	cr_assert_null(template_compile(text, use, err, sizeof err), "%s",
	    text);
	cr_assert_eq(strncmp(err, expected, strlen(expected)), 0,
	    "got \"%s\", expected it to begin with \"%s\"", err, expected);
}

static void
utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

Test(template, traditional_is_the_syslogd_file_line, .init = utc)
{
	struct record	r = rec_of("nginx", "GET / 200");

	renders(template_builtin("traditional"), &r,
	    "Nov 24 12:34:56 myhost nginx[42]: GET / 200");
}

Test(template, rfc3164_puts_the_priority_first, .init = utc)
{
	struct record	r = rec_of("nginx", "GET / 200");

	/* daemon (3) * 8 + warning (4) */
	renders(template_builtin("rfc3164"), &r,
	    "<28>Nov 24 12:34:56 myhost nginx[42]: GET / 200");
}

Test(template, a_single_digit_day_is_padded_with_a_space, .init = utc)
{
	struct record	r = rec_of("a", "m");

	r.time_ns = 1764590400LL * 1000000000LL;	/* 2025-12-01 12:00:00 */
	renders("${time:rfc3164}", &r, "Dec  1 12:00:00");
}

Test(template, msghdr_leaves_out_an_unknown_pid, .init = utc)
{
	struct record	r = rec_of("cron", "tick");

	r.pid = -1;
	renders("${msghdr}${message}", &r, "cron: tick");
}

Test(template, every_field_renders, .init = utc)
{
	struct record	r = rec_of("app", "hello");

	r.msgid = "ID7";
	r.msgid_len = 3;
	renders("${time}|${time:rfc3339}|${time:unix}|${host}|${tag}|${pid}|"
	    "${uid}|${gid}|${facility}|${facility:num}|${severity}|"
	    "${severity:num}|${pri}|${msgid}|${message}|${unit}", &r,
	    "2026-11-24T12:34:56.123456+00:00|"
	    "2026-11-24T12:34:56.123456+00:00|1795523696.123456|myhost|app|"
	    "42|1000|100|daemon|3|warning|4|28|ID7|hello|-");
}

Test(template, dollar_dollar_is_a_dollar_and_literals_stay, .init = utc)
{
	struct record	r = rec_of("a", "m");

	renders("cost: $$5 [${tag}]", &r, "cost: $5 [a]");
}

Test(template, client_bytes_are_escaped_in_every_field)
{
	struct record	r = rec_of("evil tag\n", "line1\nline2\x1b[31m");

	renders("${tag} ${message}", &r, "evil\\x20tag\\n line1\\nline2\\x1b[31m");
	renders("{\"m\":\"${message:json}\",\"t\":\"${tag:json}\"}", &r,
	    "{\"m\":\"line1\\nline2\\u001b[31m\",\"t\":\"evil tag\\n\"}");
}

Test(template, an_empty_tag_is_a_dash_not_a_missing_word)
{
	struct record	r = rec_of("", "m");

	renders("${tag}: ${message}", &r, "-: m");
}

Test(template, bad_templates_are_refused_with_their_column)
{
	refused("${time} ${nope}", TEMPLATE_LINE, "column 9: unknown field 'nope'");
	refused("${tag", TEMPLATE_LINE, "column 1: '$' starts a field");
	refused("a $ b", TEMPLATE_LINE, "column 3: '$' starts a field");
	refused("${time:json}", TEMPLATE_LINE, "column 1: unknown field");
	refused("a\tb", TEMPLATE_LINE, "column 2: a control character");
	refused("${message}.log", TEMPLATE_NAME,
	    "column 1: field 'message' cannot be part of a file name");
	refused("a b${tag}", TEMPLATE_NAME, "column 2: a file name may hold");
	refused("x-${time:unix}", TEMPLATE_NAME,
	    "column 3: field 'time:unix' cannot be part of a file name");
}

Test(template, a_line_that_does_not_fit_is_refused_not_cut)
{
	struct template	*t = compile("${tag}: ${message}", TEMPLATE_LINE);
	struct record	 r = rec_of("tag", "a long message");
	char		 buf[8];

	cr_assert_eq(template_render(t, &r, "h", buf, sizeof buf), -1);
	template_free(t);
}

Test(template, max_line_bounds_the_worst_escaping)
{
	struct template	*t = compile("${tag} ${message} ${host}",
			    TEMPLATE_LINE);
	char		 msg[1000], *buf;
	struct record	 r;
	size_t		 bound = template_max_line(t, sizeof msg);
	ssize_t		 n;

	memset(msg, 0x01, sizeof msg);	/* each byte escapes to \x01 */
	r = rec_of("t", "");
	r.msg = msg;
	r.msg_len = sizeof msg;
	cr_assert_not_null(buf = malloc(bound));
	n = template_render(t, &r, "h", buf, bound);
	cr_assert_gt(n, (ssize_t)(4 * sizeof msg));
	cr_assert_leq((size_t)n, bound);
	free(buf);
	template_free(t);
}

static const char *
name_of(const char *tmpl, const char *tag)
{
	static char	 buf[TEMPLATE_NAME_MAX + 1];
	struct template	*t = compile(tmpl, TEMPLATE_NAME);
	struct record	 r = rec_of(tag, "m");
	ssize_t		 n;

	n = template_render_name(t, &r, "myhost", buf, sizeof buf);
	template_free(t);
	if (n < 0)
		return (NULL);
	cr_assert_eq(strlen(buf), (size_t)n);
	return (buf);
}

Test(template, names_keep_plain_tags)
{
	cr_assert_str_eq(name_of("${tag}.log", "nginx"), "nginx.log");
	cr_assert_str_eq(name_of("${host}-${tag}.log", "php-fpm7.4"),
	    "myhost-php-fpm7.4.log");
	cr_assert_str_eq(name_of("app-${facility}.log", "x"),
	    "app-daemon.log");
}

Test(template, hostile_tags_become_one_plain_entry)
{
	const char	*n;

	n = name_of("${tag}.log", "../../etc/passwd");
	cr_assert_not_null(n);
	cr_assert_str_eq(n, "_._.._etc_passwd.log");
	cr_assert_str_eq(name_of("${tag}.log", ".."), "_..log");
	cr_assert_str_eq(name_of("${tag}.log", "."), "_.log");
	cr_assert_str_eq(name_of("${tag}.log", ".hidden"), "_hidden.log");
	cr_assert_str_eq(name_of("${tag}.log", "a\nb"), "a_nb.log");
	cr_assert_str_eq(name_of("${tag}.log", "sp ace/\x7f\xff"),
	    "sp_ace__x7f_xff.log");
}

Test(template, unusable_names_are_refused_for_the_fallback)
{
	char	big[4097];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_null(name_of("${tag}.log", big));
	cr_assert_null(name_of("${tag}.log", ""));
	memset(big, 'y', TEMPLATE_PART_MAX + 1);
	big[TEMPLATE_PART_MAX + 1] = '\0';
	cr_assert_null(name_of("${tag}.log", big));
	big[TEMPLATE_PART_MAX] = '\0';
	cr_assert_not_null(name_of("${tag}.log", big));
}

Test(template, plain_name_and_affixes)
{
	struct template	*t = compile("app-${tag}.log", TEMPLATE_NAME);
	char		 name[64], pre[16], suf[16];

	cr_assert_eq(template_plain_name(t, "unknown", name, sizeof name), 0);
	cr_assert_str_eq(name, "app-unknown.log");
	template_affixes(t, pre, sizeof pre, suf, sizeof suf);
	cr_assert_str_eq(pre, "app-");
	cr_assert_str_eq(suf, ".log");
	template_free(t);
}
