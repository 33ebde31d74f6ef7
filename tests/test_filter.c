/* SPDX-License-Identifier: ISC */
/*
 * test_filter.c: filter expressions (daemon/filter.c). The parser: every
 * error it can give, with its column and message. The evaluator: each
 * field and operator against records built here, quoting and escapes, glob
 * and PCRE2 regular expressions over bytes a client chose (NUL, invalid
 * UTF-8), precedence of not / and / or.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "filter.h"

static struct filter *
compile(const char *text)
{
	struct filter	*f;
	char		 err[512] = "";

	f = filter_compile(text, err, sizeof err);
	cr_assert_not_null(f, "'%s' should compile: %s", text, err);
	return (f);
}

static void
fails(const char *text, const char *expected)
{
	struct filter	*f;
	char		 err[512] = "";

	f = filter_compile(text, err, sizeof err);
	cr_assert_null(f, "'%s' should not compile", text);
	cr_assert_str_eq(err, expected, "'%.60s': got \"%s\"", text, err);
}

/* A record as inputs make them: tag, message, the kernel's identity. */
static struct record
rec(const char *tag, const char *msg)
{
	struct record r;

	memset(&r, 0, sizeof r);
	r.facility = 3;		/* daemon */
	r.severity = 6;		/* info */
	r.pid = 1234;
	r.uid = 1000;
	r.gid = 100;
	r.tag = tag;
	r.tag_len = strlen(tag);
	r.msg = msg;
	r.msg_len = strlen(msg);
	return (r);
}

/* Does text pass r (host of this machine: "here")? */
static bool
passes(const char *text, const struct record *r)
{
	struct filter	*f = compile(text);
	bool		 ok = filter_match(f, r, "here");

	filter_free(f);
	return (ok);
}

/* ---- Parser errors: each with its column and message ---- */

Test(filter, an_empty_filter_is_an_error)
{
	fails("", "empty filter");
	fails("   ", "empty filter");
}

Test(filter, an_unknown_field_is_named_with_the_known_ones)
{
	fails("prog == 'x'", "column 1: unknown field 'prog' (tag, program, "
	    "host, claimed_host, msgid, msg, message, unit, uid, gid, pid, "
	    "facility, severity)");
}

Test(filter, a_missing_operator_names_what_was_found)
{
	fails("tag 'x'", "column 5: expected an operator after 'tag', found "
	    "''x''");
	fails("tag", "column 4: expected an operator after 'tag', found the "
	    "end of the filter");
}

Test(filter, a_single_equals_sign_points_at_double)
{
	fails("tag = 'x'", "column 5: unexpected '=' (equality is '==')");
}

Test(filter, c_style_operators_point_at_the_words)
{
	fails("tag == a && tag == b", "column 10: unexpected '&' (write and, "
	    "or, not)");
	fails("tag == a || tag == b", "column 10: unexpected '|' (write and, "
	    "or, not)");
	fails("!(tag == a)", "column 1: unexpected '!' (write and, or, not)");
}

Test(filter, an_unexpected_character_or_byte_is_named)
{
	fails("tag == a; uid == 0", "column 9: unexpected character ';'");
	fails("tag == \x01", "column 8: unexpected byte 0x01");
}

Test(filter, a_missing_value_names_what_was_found)
{
	fails("tag ==", "column 7: expected a value after '==', found the end "
	    "of the filter");
	fails("tag == )", "column 8: expected a value after '==', found ')'");
	fails("tag == and", "column 8: expected a value after '==', found "
	    "'and' (quote it to mean the word)");
}

Test(filter, an_unterminated_string_points_at_its_quote)
{
	fails("tag == 'nginx", "column 8: unterminated string");
	fails("msg contains \"a\\\"", "column 14: unterminated string");
}

Test(filter, double_quoted_escapes_are_checked)
{
	fails("msg =~ \"\\d+\"", "column 9: unknown escape '\\d' in \"...\" "
	    "(write regular expressions in '...', taken as written)");
	fails("msg contains \"\\x4\"", "column 15: \\x needs two hexadecimal "
	    "digits");
}

Test(filter, string_operators_do_not_apply_to_numbers)
{
	fails("uid contains 0", "column 5: 'contains' does not apply to uid "
	    "(a number: == != < <= > >= in)");
	fails("pid =~ '1'", "column 5: '=~' does not apply to pid (a number: "
	    "== != < <= > >= in)");
}

Test(filter, order_operators_do_not_apply_to_strings)
{
	fails("tag < 'm'", "column 5: '<' does not apply to tag (a string: "
	    "== != contains startswith glob =~ !~ in)");
}

Test(filter, bad_numbers_and_names_are_errors)
{
	fails("uid == root", "column 8: uid: bad number 'root' (0 to "
	    "4294967295)");
	fails("uid == 4294967296", "column 8: uid: bad number '4294967296' "
	    "(0 to 4294967295)");
	fails("pid > -1", "column 7: pid: bad number '-1' (0 to 2147483647)");
	fails("facility == mial", "column 13: unknown facility 'mial' (a name "
	    "or 0 to 23)");
	fails("severity <= 8", "column 13: unknown severity '8' (a name or 0 "
	    "to 7)");
}

Test(filter, a_bad_regular_expression_is_reported_with_pcre2s_words)
{
	fails("msg =~ 'a(b'", "column 8: bad regular expression 'a(b': "
	    "missing closing parenthesis at offset 3");
}

Test(filter, a_bad_glob_is_an_error)
{
	fails("tag glob 'a[bc'", "column 10: unterminated '[' in glob");
	fails("tag glob 'a\\'", "column 10: glob ends in '\\'");
}

Test(filter, in_needs_a_parenthesised_list)
{
	fails("tag in nginx", "column 8: expected '(' after 'in', found "
	    "'nginx'");
	fails("tag in (a b)", "column 11: expected ',' or ')' in the list of "
	    "'in', found 'b'");
	fails("tag in ()", "column 9: expected a value after 'in (', found "
	    "')'");
	fails("tag in (a,", "column 11: expected a value after 'in (', found "
	    "the end of the filter");
}

Test(filter, parentheses_must_balance)
{
	fails("(tag == a", "column 10: expected ')' to close the '(' at column "
	    "1, found the end of the filter");
	fails("tag == a)", "column 9: expected 'and', 'or' or the end, found "
	    "')'");
}

Test(filter, and_or_not_need_an_operand)
{
	fails("tag == a and", "column 13: expected a field name, 'not' or '(', "
	    "found the end of the filter");
	fails("not", "column 4: expected a field name, 'not' or '(', found the "
	    "end of the filter");
	fails("tag == a or or tag == b", "column 13: expected a field name, "
	    "'not' or '(', found 'or'");
	fails("tag == a tag == b", "column 10: expected 'and', 'or' or the "
	    "end, found 'tag'");
}

Test(filter, nesting_and_size_are_bounded)
{
	char	text[8192];
	size_t	i, n = 0;

	for (i = 0; i < 33; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "not ");
	snprintf(text + n, sizeof text - n, "tag == a");
	fails(text, "column 129: nested more than 32 deep");

	n = 0;
	for (i = 0; i < 33; i++)
		text[n++] = '(';
	snprintf(text + n, sizeof text - n, "tag == a");
	fails(text, "column 33: nested more than 32 deep");

	memset(text, ' ', 4097);
	text[4097] = '\0';
	fails(text, "longer than 4096 characters");

	n = 0;
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%suid == %zu",
		    i == 0 ? "" : " or ", i);
	fails(text, "column 3461: more than 256 tests and operators");
}

/* ---- Evaluation ---- */

Test(filter, equality_is_exact_on_the_whole_field)
{
	struct record r = rec("nginx", "GET / 200");

	cr_assert(passes("tag == 'nginx'", &r));
	cr_assert(passes("tag == nginx", &r));
	cr_assert(passes("program == \"nginx\"", &r));
	cr_assert_not(passes("tag == 'ngin'", &r));
	cr_assert_not(passes("tag == 'nginx2'", &r));
	cr_assert_not(passes("tag == 'NGINX'", &r));
	cr_assert(passes("tag != 'sshd'", &r));
	cr_assert_not(passes("tag != 'nginx'", &r));
}

Test(filter, contains_and_startswith_look_at_bytes)
{
	struct record r = rec("nginx-worker", "GET /health 200");

	cr_assert(passes("msg contains '/health'", &r));
	cr_assert(passes("message contains ''", &r));
	cr_assert_not(passes("msg contains '/healthz'", &r));
	cr_assert(passes("tag startswith nginx", &r));
	cr_assert(passes("tag startswith 'nginx-worker'", &r));
	cr_assert_not(passes("tag startswith 'nginx-worker-'", &r));
	cr_assert_not(passes("tag startswith worker", &r));
}

Test(filter, glob_matches_the_whole_field)
{
	struct record r = rec("php-fpm7.4", "x");

	cr_assert(passes("tag glob 'php-fpm*'", &r));
	cr_assert(passes("tag glob php-fpm*", &r));
	cr_assert(passes("tag glob '*fpm*'", &r));
	cr_assert(passes("tag glob 'php-fpm?.?'", &r));
	cr_assert(passes("tag glob 'php-fpm[0-9].[!a-z]'", &r));
	cr_assert(passes("tag glob '*'", &r));
	cr_assert_not(passes("tag glob 'php'", &r));
	cr_assert_not(passes("tag glob 'fpm*'", &r));
	cr_assert_not(passes("tag glob 'php-fpm[!0-9]*'", &r));
	r = rec("a*b", "x");
	cr_assert(passes("tag glob 'a\\*b'", &r));
	cr_assert_not(passes("tag glob 'a\\*c'", &r));
	r = rec("", "x");
	cr_assert(passes("tag glob '*'", &r));
	cr_assert_not(passes("tag glob '?'", &r));
}

Test(filter, in_takes_any_value_of_its_list)
{
	struct record r = rec("sshd", "x");

	cr_assert(passes("tag in (nginx, 'sshd', \"cron\")", &r));
	cr_assert_not(passes("tag in (nginx, cron)", &r));
	cr_assert(passes("uid in (0, 1000)", &r));
	cr_assert_not(passes("uid in (0, 33)", &r));
	cr_assert(passes("facility in (auth, daemon)", &r));
}

Test(filter, a_regular_expression_matches_anywhere_unless_anchored)
{
	struct record r = rec("nginx", "127.0.0.1 \"GET /health HTTP/1.1\" 200");

	cr_assert(passes("msg =~ 'GET /health(z)? '", &r));
	cr_assert(passes("msg =~ '\" 2\\d\\d$'", &r));
	cr_assert(passes("msg =~ '^\\d+\\.'", &r));
	cr_assert_not(passes("msg =~ '^GET'", &r));
	cr_assert(passes("msg !~ '^GET'", &r));
	cr_assert(passes("msg =~ '(?i)get /HEALTH'", &r));
	cr_assert(passes("tag =~ '^ng'", &r));
}

Test(filter, a_regular_expression_runs_over_any_bytes)
{
	static const char msg[] = "bad \xff\xfe utf-8 and a \0 NUL";
	struct record r = rec("t", "");

	r.msg = msg;
	r.msg_len = sizeof msg - 1;
	cr_assert(passes("msg =~ 'utf-8'", &r));
	cr_assert(passes("msg =~ 'NUL$'", &r));
	cr_assert(passes("msg =~ 'a \\x00 NUL'", &r));
	cr_assert(passes("msg =~ 'é' or msg =~ 'bad'", &r));
}

Test(filter, double_quoted_escapes_give_bytes)
{
	static const char msg[] = "a\tb\nc\"d\\e\0f";
	struct record r = rec("t", "");

	r.msg = msg;
	r.msg_len = sizeof msg - 1;
	cr_assert(passes("msg contains \"a\\tb\\nc\"", &r));
	cr_assert(passes("msg contains \"c\\\"d\\\\e\"", &r));
	cr_assert(passes("msg contains \"e\\x00f\"", &r));
	cr_assert(passes("msg contains \"\\x61\"", &r));
	cr_assert_not(passes("msg contains \"e\\x00g\"", &r));
	/* Single quotes take backslashes as they are. */
	cr_assert_not(passes("msg contains 'a\\tb'", &r));
	r = rec("t", "C:\\dir");
	cr_assert(passes("msg contains ':\\d'", &r));
	r = rec("it's", "x");
	cr_assert(passes("tag == \"it's\"", &r));
}

Test(filter, numbers_compare_as_numbers)
{
	struct record r = rec("t", "x");

	cr_assert(passes("uid == 1000", &r));
	cr_assert(passes("uid >= 1000 and uid < 60000", &r));
	cr_assert_not(passes("uid > 1000", &r));
	cr_assert(passes("uid <= 1000", &r));
	cr_assert(passes("gid == 100", &r));
	cr_assert(passes("pid == 1234", &r));
	cr_assert(passes("pid != 1", &r));
	cr_assert(passes("uid == '1000'", &r));
}

Test(filter, an_unknown_identity_passes_only_not_equal)
{
	struct record r = rec("t", "x");

	r.uid = (uid_t)-1;
	r.gid = (gid_t)-1;
	r.pid = -1;
	cr_assert_not(passes("uid == 0", &r));
	cr_assert_not(passes("uid < 1000", &r));
	cr_assert_not(passes("uid >= 0", &r));
	cr_assert_not(passes("uid in (0, 4294967295)", &r));
	cr_assert(passes("uid != 0", &r));
	cr_assert_not(passes("gid == 0", &r));
	cr_assert_not(passes("pid < 100", &r));
	cr_assert(passes("pid != 1", &r));
}

Test(filter, severity_compares_by_code_so_lower_is_more_severe)
{
	struct record r = rec("t", "x");

	r.severity = 4;		/* warning */
	cr_assert(passes("severity <= warning", &r));
	cr_assert(passes("severity <= warn", &r));
	cr_assert(passes("severity == 4", &r));
	cr_assert(passes("severity > err", &r));
	cr_assert_not(passes("severity <= err", &r));
	cr_assert(passes("severity == 'warning'", &r));
	r.facility = 10;
	cr_assert(passes("facility == authpriv", &r));
	cr_assert(passes("facility >= local0 or facility == 10", &r));
	cr_assert_not(passes("facility == auth", &r));
}

Test(filter, host_is_the_trusted_one_and_this_machine_by_default)
{
	struct record r = rec("t", "x");

	cr_assert(passes("host == here", &r));
	r.claimed_host = "forged";
	r.claimed_host_len = 6;
	cr_assert(passes("host == here", &r));
	cr_assert_not(passes("host == forged", &r));
	cr_assert(passes("claimed_host == forged", &r));
	r.host = "web1.example.com";
	r.host_len = strlen(r.host);
	cr_assert(passes("host glob 'web*.example.com'", &r));
	cr_assert_not(passes("host == here", &r));
}

Test(filter, absent_strings_are_empty)
{
	struct record r = rec("", "");

	cr_assert(passes("claimed_host == ''", &r));
	cr_assert(passes("msgid == ''", &r));
	cr_assert(passes("tag == ''", &r));
	r.msgid = "ID47";
	r.msgid_len = 4;
	cr_assert(passes("msgid == ID47", &r));
}

Test(filter, not_binds_tighter_than_and_which_binds_tighter_than_or)
{
	struct record r = rec("nginx", "GET /health");

	/* (tag == sshd and uid == 0) or tag == nginx */
	cr_assert(passes("tag == sshd and uid == 0 or tag == nginx", &r));
	/* tag == nginx and (not msg contains health) */
	cr_assert_not(passes("tag == nginx and not msg contains health", &r));
	cr_assert(passes("not (tag == nginx and msg contains x)", &r));
	cr_assert(passes("not not tag == nginx", &r));
	cr_assert_not(passes("tag == nginx and (uid == 0 or uid == 1)", &r));
	cr_assert(passes("(tag == a or tag == b or tag == nginx) and uid == "
	    "1000", &r));
	cr_assert(passes("tag == a or tag == b or tag == c or tag == nginx",
	    &r));
	cr_assert_not(passes("tag == nginx and uid == 1000 and pid == 1",
	    &r));
}

Test(filter, words_are_case_sensitive_and_blanks_free)
{
	struct record r = rec("nginx", "x");

	cr_assert(passes("tag=='nginx'", &r));
	cr_assert(passes("(tag==nginx)and(uid==1000)", &r));
	cr_assert(passes("\ttag\n==\r\nnginx ", &r));
	fails("TAG == nginx", "column 1: unknown field 'TAG' (tag, program, "
	    "host, claimed_host, msgid, msg, message, unit, uid, gid, pid, "
	    "facility, severity)");
	fails("tag == nginx AND uid == 0", "column 14: expected 'and', 'or' "
	    "or the end, found 'AND'");
}

Test(filter, a_runaway_regular_expression_is_stopped_and_counted)
{
	char		 msg[64];
	struct record	 r;
	struct filter	*f;

	memset(msg, 'a', sizeof msg - 2);
	msg[sizeof msg - 2] = '!';
	msg[sizeof msg - 1] = '\0';
	r = rec("t", msg);
	f = compile("msg =~ '^(a|aa)+$'");
	cr_assert_not(filter_match(f, &r, "here"));
	cr_assert_eq(filter_errors(f), 1);
	filter_free(f);
}

Test(filter, text_is_kept_as_written)
{
	struct filter *f = compile("tag == nginx");

	cr_assert_str_eq(filter_text(f), "tag == nginx");
	filter_free(f);
}

Test(filter, the_unit_field_is_the_senders_systemd_unit)
{
	struct record r = rec("nginx", "GET / 200");

	r.unit = "nginx.service";
	r.unit_len = strlen(r.unit);
	cr_assert(passes("unit == 'nginx.service'", &r));
	cr_assert(passes("unit glob '*.service' and not unit startswith 'ssh'",
	    &r));
	r.unit = NULL;
	r.unit_len = 0;
	cr_assert(passes("unit == ''", &r), "an unknown unit is empty");
}
