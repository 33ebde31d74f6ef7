/* SPDX-License-Identifier: ISC */
/*
 * test_logger.c: util-linux's own logger(1) tests (tests/ts/logger/ and
 * tests/expected/logger/ of util-linux 2.38.1, copied with their licence in
 * tests/util-linux/) run against util-linux logger, the reference, and the
 * asynclog command, in three modes:
 *
 *   suite   the suite's own procedure: a stream listener at the socket,
 *           `-u SOCKET --stderr --no-act` (the errors subtests send for
 *           real, with "socket data" markers between them); the output
 *           of both programs must be util-linux's expected files;
 *   stream  the same invocations without --no-act on a stream listener:
 *           what asynclog prints, returns and sends must be what logger
 *           does, byte for byte;
 *   dgram   the same on a datagram listener (each datagram a line).
 *
 * Times, host names and pids are masked as util-linux pins them for its
 * test build of logger (tests/util-linux/README). Every subtest passes for
 * asynclog in every mode; a difference would be listed in asynclog(1)
 * under COMPATIBILITY, and asserted here.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

enum ul_mode { UL_SUITE, UL_STREAM, UL_DGRAM };

struct ul_call {
	const char	*args;		/* shell words after the socket options */
	const char	*input;		/* printf(1) format piped in, or NULL */
};

static char ul_tmp[64];

static const char *
ul_path(const char *name)
{
	static char buf[4][256];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof buf[n], "%s/%s", ul_tmp, name);
	return buf[n];
}

/* The suite's socat: everything that reaches DIR/devlog, in DIR/socketin. */
static void
ul_listen(struct hd_capture *l, bool dgram)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	strcpy(sun.sun_path, ul_path("devlog"));
	cr_assert_neq(fd = socket(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM,
	    0), -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	if (!dgram)
		cr_assert_eq(listen(fd, 128), 0);
	hd_capture_start(l, fd, dgram, ul_path("socketin"));
}

/* What the suite writes with `echo ... | socat - UNIX-CONNECT:$DEVLOG`. */
static void
ul_say(const struct hd_capture *l, const char *text)
{
	int fd;

	if (l->dgram) {
		hd_send_dgram(ul_path("devlog"), text, strlen(text));
		return;
	}
	cr_assert_neq(fd = unix_connect(ul_path("devlog")), -1);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
ul_listen_end(struct hd_capture *l)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, ul_path("devlog"));
	hd_capture_end(l, (struct sockaddr *)&sun, sizeof sun);
	close(l->fd);
}

static char *
ul_read(const char *path)
{
	char *s = file_read(path, NULL);

	return s != NULL ? s : strdup("");
}

static void
ul_write(const char *name, const char *text)
{
	FILE *f = fopen(ul_path(name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

struct ul_result {
	char	*out, *err, *sock;
};

static const char *
ul_prog(bool reference)
{
	return reference ? "logger" : hd_bin("asynclog");
}

/*
 * Run one subtest's calls as util-linux's script does, with prog. errors:
 * logger_fun/logger_printf (send for real, "ret" on stdout, markers on the
 * socket); the others: logger_fun with --no-act in suite mode ("ret" on
 * stderr). Then mask.
 */
static void
ul_run(const char *suite, const char *name, const struct ul_call *calls,
    enum ul_mode mode, bool reference, char *dir)
{
	struct hd_capture l;
	char marker[128];
	bool errors = strcmp(suite, "errors") == 0;
	bool journald = strcmp(suite, "journald") == 0;
	const char *opts, *noact;
	size_t i;

	strcpy(ul_tmp, "/tmp/asynclog-ul.XXXXXX");
	cr_assert_not_null(mkdtemp(ul_tmp));
	ul_write("pids", "");
	/* The options suite's input files, as its script makes them. */
	ul_write("input_simple", "a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 c1 c2 c3 c4 "
	    "c5\n");
	ul_write("input_empty_line", "a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 c1 c2 c3 "
	    "c4 c5\n\n5{c..1} 4{c..1} 3{c..1} 2{c..1} 1{c..1}\n");
	ul_write("input_prio_prefix", "<66> prio_prefix\n");
	ul_listen(&l, mode == UL_DGRAM);

	opts = errors ? "--socket" : "-u";
	noact = errors || (mode != UL_SUITE && !journald) ? "" : "--no-act";
	for (i = 0; calls[i].args != NULL; i++) {
		if (errors) {
			snprintf(marker, sizeof marker, "socket data, %s:\n",
			    name);
			ul_say(&l, marker);
		}
		cr_assert_neq(run("cd %s && %s%s%s TZ=GMT sh -c 'echo $$ >> "
		    "pids; exec \"$@\"' sh %s %s %s --stderr %s %s %s "
		    ">> out 2>> err; echo \"ret: $?\" >> %s", ul_tmp,
		    calls[i].input != NULL ? "printf '" : "",
		    calls[i].input != NULL ? calls[i].input : "",
		    calls[i].input != NULL ? "' |" : "", ul_prog(reference),
		    journald ? "" : opts, journald ? "" : ul_path("devlog"),
		    noact, calls[i].args, calls[i].input != NULL ? "" :
		    "< /dev/null", errors ? "out" : "err"), -1);
		if (errors)
			ul_say(&l, "\n");
	}
	ul_listen_end(&l);
	strcpy(dir, ul_tmp);
}

/* The masked output of a run (see mask_py), without the sentinel. */
static void
ul_result(const char *dir, struct ul_result *r)
{
	strcpy(ul_tmp, dir);
	r->out = ul_read(ul_path("out.masked"));
	r->err = ul_read(ul_path("err.masked"));
	r->sock = ul_read(ul_path("socketin.masked"));
	cr_assert(strlen(r->sock) >= strlen(HD_CAPTURE_END));
	r->sock[strlen(r->sock) - strlen(HD_CAPTURE_END)] = '\0';
	run("rm -rf %s", dir);
}

static void
ul_free(struct ul_result *r)
{
	free(r->out);
	free(r->err);
	free(r->sock);
}

static char *
ul_expected(const char *file)
{
	char path[256], *s;

	snprintf(path, sizeof path, "tests/util-linux/expected/%s", file);
	cr_assert_not_null(s = file_read(hd_src(path), NULL),
	    "expected file %s not found", hd_src(path));
	return s;
}

/*
 * The errors suite's socket data for one subtest: the sections of
 * errors-check_socket that its markers open.
 */
static char *
ul_expected_socket(const char *name)
{
	char *all = ul_expected("errors-check_socket"), *out, *p, *next;
	char head[128];
	size_t n = 0, len;

	cr_assert_not_null(out = calloc(1, strlen(all) + 1));
	snprintf(head, sizeof head, "socket data, %s:\n", name);
	p = strstr(all, "socket data, ");
	while (p != NULL) {
		next = strstr(p + 1, "\nsocket data, ");
		len = next != NULL ? (size_t)(next + 1 - p) : strlen(p);
		if (strncmp(p, head, strlen(head)) == 0) {
			memcpy(out + n, p, len);
			n += len;
		}
		p = next != NULL ? next + 1 : NULL;
	}
	free(all);
	return out;
}

static void
ul_compare(const char *what, const char *mode, const char *prog,
    const char *got, const char *exp)
{
	cr_expect_str_eq(got, exp, "%s, %s mode, %s:\n--- got\n%s\n--- "
	    "expected\n%s", what, mode, prog, got, exp);
}

static void
ul_subtest(const char *suite, const char *name, const struct ul_call *calls,
    enum ul_mode mode)
{
	static const char *const modes[] = { "suite", "stream", "dgram" };
	struct ul_result ref, got;
	char file[128], dir[2][64], *exp_out, *exp_err, *exp_sock;

	if (run("command -v logger >/dev/null && command -v python3 "
	    ">/dev/null") != 0)
		cr_skip_test("util-linux logger or python3 missing");
	ul_run(suite, name, calls, mode, true, dir[0]);
	ul_run(suite, name, calls, mode, false, dir[1]);
	cr_assert_eq(run("python3 %s %s %s", hd_src("tests/logger-mask.py"),
	    dir[0], dir[1]), 0);
	ul_result(dir[0], &ref);
	ul_result(dir[1], &got);
	if (mode == UL_SUITE) {
		/* util-linux's expected files, for both programs. */
		snprintf(file, sizeof file, strcmp(suite, "journald") == 0 ?
		    "%s" : "%s-%s", suite, name);
		exp_out = ul_expected(file);
		strcat(file, ".err");
		exp_err = ul_expected(file);
		exp_sock = strcmp(suite, "errors") == 0 ?
		    ul_expected_socket(name) : strdup("");
		ul_compare("stdout", modes[mode], "logger", ref.out, exp_out);
		ul_compare("stderr", modes[mode], "logger", ref.err, exp_err);
		ul_compare("socket", modes[mode], "logger", ref.sock, exp_sock);
	} else {
		/* Not nothing: logger printed or sent something. */
		cr_assert(*ref.out != '\0' || *ref.err != '\0' ||
		    *ref.sock != '\0');
		exp_out = strdup(ref.out);
		exp_err = strdup(ref.err);
		exp_sock = strdup(ref.sock);
	}
	ul_compare("stdout", modes[mode], "asynclog", got.out, exp_out);
	ul_compare("stderr", modes[mode], "asynclog", got.err, exp_err);
	ul_compare("socket", modes[mode], "asynclog", got.sock, exp_sock);
	free(exp_out);
	free(exp_err);
	free(exp_sock);
	ul_free(&ref);
	ul_free(&got);
}

/* One subtest, three tests: NAME_suite, NAME_stream, NAME_dgram. */
#define UL_SUBTEST(suite, name, id, ...)				\
	static const struct ul_call ul_##suite##_##id[] = {		\
		__VA_ARGS__, { NULL, NULL } };				\
	Test(logger_##suite, id##_suite, .timeout = 120)		\
	{ ul_subtest(#suite, name, ul_##suite##_##id, UL_SUITE); }	\
	Test(logger_##suite, id##_stream, .timeout = 120)		\
	{ ul_subtest(#suite, name, ul_##suite##_##id, UL_STREAM); }	\
	Test(logger_##suite, id##_dgram, .timeout = 120)		\
	{ ul_subtest(#suite, name, ul_##suite##_##id, UL_DGRAM); }

/* ---- tests/ts/logger/errors ------------------------------------------ */

UL_SUBTEST(errors, "kern_priority", kern_priority,
    { "--tag prio --priority kern.emerg message", NULL })
UL_SUBTEST(errors, "kern_priority_numeric", kern_priority_numeric,
    { "--tag prio --priority 0 message", NULL })
UL_SUBTEST(errors, "invalid_prio", invalid_prio,
    { "--tag prio --priority 8 message", NULL })
UL_SUBTEST(errors, "rfc5424_exceed_size", rfc5424_exceed_size,
    { "--tag rfc5424_exceed_size --rfc5424 --size 3 abcd", NULL })
UL_SUBTEST(errors, "id_with_space", id_with_space,
    { "--tag id_with_space --id='A B' message", NULL },
    { "--tag rfc5424_id_with_space --rfc5424 --id='A B' message", NULL },
    { "--tag id_with_space --id='1 23' message", NULL },
    { "--tag 'id_with_leading space' --id=' 123' message", NULL },
    { "--tag 'id_with_trailing space' --id='123 ' message", NULL })
UL_SUBTEST(errors, "tag_with_space", tag_with_space,
    { "--tag 'A B' tag_with_space", NULL },
    { "--tag 'A B' --rfc5424 tag_with_space_rfc5424", NULL })
UL_SUBTEST(errors, "tcp", tcp,
    { "--tcp --tag tcp message", NULL })
UL_SUBTEST(errors, "multi-line", multi_line,
    { "--tag multi", "AAA\\nBBB\\nCCC\\n" })
UL_SUBTEST(errors, "rfc5424_msgid_with_space", rfc5424_msgid_with_space,
    { "--tag rfc5424_msgid_with_space --rfc5424 --msgid='A B' message",
      NULL })
UL_SUBTEST(errors, "invalid_socket", invalid_socket,
    { "--socket /bad/boy --tag invalid_socket message", NULL })

/* ---- tests/ts/logger/formats ----------------------------------------- */

UL_SUBTEST(formats, "rfc3164", rfc3164,
    { "-t rfc3164 --rfc3164 message", NULL })
UL_SUBTEST(formats, "rfc5424_simple", rfc5424_simple,
    { "-t rfc5424 --rfc5424 message", NULL })
UL_SUBTEST(formats, "rfc5424_notime", rfc5424_notime,
    { "-t rfc5424 --rfc5424=notime message", NULL })
UL_SUBTEST(formats, "rfc5424_nohost", rfc5424_nohost,
    { "-t rfc5424 --rfc5424=nohost message", NULL })
UL_SUBTEST(formats, "rfc5424_msgid", rfc5424_msgid,
    { "-t rfc5424 --rfc5424 --msgid MSGID message", NULL })
UL_SUBTEST(formats, "octet_counting", octet_counting,
    { "-t octen --octet-count message", NULL })

#define UL_PRIO(f)							\
    { "-t prio -p " #f ".emerg " #f ".emerg", NULL },			\
    { "-t prio -p " #f ".alert " #f ".alert", NULL },			\
    { "-t prio -p " #f ".crit " #f ".crit", NULL },			\
    { "-t prio -p " #f ".err " #f ".err", NULL },			\
    { "-t prio -p " #f ".warning " #f ".warning", NULL },		\
    { "-t prio -p " #f ".notice " #f ".notice", NULL },			\
    { "-t prio -p " #f ".info " #f ".info", NULL },			\
    { "-t prio -p " #f ".debug " #f ".debug", NULL }
UL_SUBTEST(formats, "priorities", priorities,
    UL_PRIO(auth), UL_PRIO(authpriv), UL_PRIO(cron), UL_PRIO(daemon),
    UL_PRIO(ftp), UL_PRIO(lpr), UL_PRIO(mail), UL_PRIO(news),
    UL_PRIO(syslog), UL_PRIO(user), UL_PRIO(uucp), UL_PRIO(local0),
    UL_PRIO(local1), UL_PRIO(local2), UL_PRIO(local3), UL_PRIO(local4),
    UL_PRIO(local5), UL_PRIO(local6), UL_PRIO(local7))

/* ---- tests/ts/logger/options ----------------------------------------- */

UL_SUBTEST(options, "simple", simple,
    { "-t test_tag test", NULL })
UL_SUBTEST(options, "log_pid", log_pid,
    { "-t test_tag -i test", NULL })
UL_SUBTEST(options, "log_pid_long", log_pid_long,
    { "-t test_tag --id test", NULL })
UL_SUBTEST(options, "log_pid_define", log_pid_define,
    { "-t test_tag --id=12345 test", NULL })
UL_SUBTEST(options, "log_pid_no_arg", log_pid_no_arg,
    { "-t test_tag -is test", NULL })
UL_SUBTEST(options, "input_file_simple", input_file_simple,
    { "-t test_tag -f input_simple", NULL })
UL_SUBTEST(options, "input_file_empty_line", input_file_empty_line,
    { "-t test_tag -f input_empty_line", NULL })
UL_SUBTEST(options, "input_file_skip_empty", input_file_skip_empty,
    { "-t test_tag --file input_empty_line -e", NULL })
UL_SUBTEST(options, "input_file_prio_prefix", input_file_prio_prefix,
    { "-t test_tag --file input_prio_prefix --skip-empty --prio-prefix",
      NULL })

/* ---- tests/ts/logger/journald ---------------------------------------- */

UL_SUBTEST(journald, "journald", journald,
    { "-u /bad/boy --no-act --journald",
      "%s\\n%s\\n%s\\n' MESSAGE_ID=b8f74e14bc714bfc8040a5106dc9376a "
      "MESSAGE='a b c 1 2 3" })

/* ---- beyond util-linux's cases: asynclog against logger only ---------- */

/* Our own cases, written for this port: stream and datagram modes, where
 * the reference is logger's output itself. */
#define UL_EXTRA(id, ...)						\
	static const struct ul_call ul_extra_##id[] = {		\
		__VA_ARGS__, { NULL, NULL } };				\
	Test(logger_extra, id##_stream, .timeout = 120)			\
	{ ul_subtest("extra", #id, ul_extra_##id, UL_STREAM); }		\
	Test(logger_extra, id##_dgram, .timeout = 120)			\
	{ ul_subtest("extra", #id, ul_extra_##id, UL_DGRAM); }

UL_EXTRA(structured_data,
    { "-t sd --rfc5424 --sd-id zoo@123 --sd-param 'tiger=\"hungry\"' "
      "--sd-param 'zebra=\"a \\\"b\\\" \\]\"' --sd-id empty@1 x", NULL },
    { "-t sd --rfc5424=notq --sd-id timeQuality "
      "--sd-param 'tzKnown=\"0\"' --msgid M x", NULL },
    { "-t sd --rfc5424 --sd-id 'bad id@1' x", NULL },
    { "-t sd --rfc5424 --sd-id x@ x", NULL },
    { "-t sd --rfc5424 --sd-id x@1. x", NULL },
    { "-t sd --rfc5424 --sd-id noat x", NULL },
    { "-t sd --rfc5424 --sd-param 'a=\"b\"' x", NULL },
    { "-t sd --rfc5424 --sd-id a@1 --sd-param 'a=b' x", NULL },
    { "-t sd --rfc5424 --sd-id a@1 --sd-param 'a=\"]\"' x", NULL },
    { "-t sd --rfc5424 --sd-id a@1 --sd-param 'a=\"\\\\x\"' x", NULL },
    { "-t sd --rfc5424 --sd-id a@1 --sd-id a@1 x", NULL })
UL_EXTRA(priorities_and_sizes,
    { "-t p -p local0 x", NULL },
    { "-t p -p foo.info x", NULL },
    { "-t p -p 24.3 -p WARNING x", NULL },
    { "-t p -p daemon.7 x", NULL },
    { "-t p -p security.panic x", NULL },
    { "-t s -S 5 ab cd ef abcdefgh", NULL },
    { "-t s -S 3", "abcdefg\\nhi\\n" },
    { "-t s -S 2K x", NULL },
    { "-t s -S 1KB x", NULL },
    { "-t s -S 12x x", NULL },
    { "-t s -S -3 x", NULL })
UL_EXTRA(formats_and_ids,
    { "-t f --rfc5424 -i x", NULL },
    { "-t f --rfc5424=notq,nohost,bogus --id=77 x", NULL },
    { "-t f --rfc3164 --octet-count --id=8 one two", NULL },
    { "-t 0123456789012345678901234567890123456789012345678 --rfc5424 x",
      NULL },
    { "-t f --id=0x10 x", NULL },
    { "-t f --socket-errors=maybe x", NULL },
    { "-t f -f missing-file x", NULL },
    { "-t f -e --prio-prefix", "<13>a\\n<>b\\n<191>c\\n<192>d\\n<x\\n<5\\n\\n" })

/*
 * The differences asynclog(1) lists under COMPATIBILITY that these tests
 * can see, each asserted for both programs, so that a logger that changes
 * shows up here. What a program prints (-s, --no-act) is one line, its
 * lines joined by '|', the time and the program's name masked.
 */
static void
ul_differs(const char *input, const char *args, const char *logger_says,
    const char *we_say)
{
	char *got;
	int i;

	if (run("command -v logger >/dev/null") != 0)
		cr_skip_test("util-linux logger missing");
	strcpy(ul_tmp, "/tmp/asynclog-ul.XXXXXX");
	cr_assert_not_null(mkdtemp(ul_tmp));
	ul_write("input_simple", "from the file\n");
	for (i = 0; i < 2; i++) {
		cr_assert_eq(run("cd %s && printf '%s' | %s -u /dev/null "
		    "--socket-errors=off --no-act -s %s 2>&1 | sed -E "
		    "-e 's/^(logger|asynclog): /PROG: /' -e 's/[A-Z][a-z]{2} "
		    "[ 0-9][0-9] [0-9:]{8} //' | tr '\\n' '|' > got", ul_tmp,
		    input, ul_prog(i == 0), args), 0);
		got = ul_read(ul_path("got"));
		cr_assert_str_eq(got, i == 0 ? logger_says : we_say, "%s %s",
		    ul_prog(i == 0), args);
		free(got);
	}
	run("rm -rf %s", ul_tmp);
}

/* logger's manual says a line without a --prio-prefix gets -p's priority;
 * logger 2.38 keeps the previous line's. "<999>" is no prefix for both. */
Test(logger_compat, prio_prefix_does_not_stick_to_the_next_line,
    .timeout = 60)
{
	ul_differs("<11>one\\ntwo\\n<999>three\\nfour\\n", "--prio-prefix -t pp",
	    "<11>pp: one|<11>pp: two|<13>pp: <999>three|<13>pp: four|",
	    "<11>pp: one|<13>pp: two|<13>pp: <999>three|<13>pp: four|");
}

/* logger 2.38 takes a negative --id (and prints it); it is no pid. */
Test(logger_compat, a_negative_id_is_refused, .timeout = 60)
{
	ul_differs("", "-t f --id=-5 x", "<13>f[-5]: x|",
	    "PROG: failed to parse id: '-5'|");
}

/* logger 2.38 takes -S 0 and sends every message empty; a size that
 * logs nothing is a mistake, refused. */
Test(logger_compat, a_size_of_0_is_refused, .timeout = 60)
{
	ul_differs("", "-t s -S 0 x", "<13>s: |",
	    "PROG: failed to parse message size: '0': Invalid argument|");
}

/* Both log the message and not the file; logger's warning says the
 * opposite. */
Test(logger_compat, file_and_message_warn_that_the_file_is_ignored,
    .timeout = 60)
{
	ul_differs("", "-t f -f input_simple the-message",
	    "PROG: --file <file> and <message> are mutually exclusive, message "
	    "is ignored|<13>f: the-message|",
	    "PROG: --file and a message are mutually exclusive; the file is "
	    "ignored|<13>f: the-message|");
}
