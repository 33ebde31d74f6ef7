/* SPDX-License-Identifier: ISC */
/*
 * test_filtering.c: output filters and final, end to end through the real
 * daemon and its syslog datagram socket: what a syslog administrator
 * writes first ("nginx to its own file and not to syslog", "drop the
 * health checks", "root's records apart"), each file checked line by line,
 * and the counters balanced: what final withholds from later outputs is
 * not received there (not a drop), and a record no output takes is
 * no_output. Filters survive a reload; a broken one keeps the old config.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct hd d;

static void
filtering_down(void)
{
	hd_stop(&d);
}

static void
up(const char *conf)
{
	hd_start(&d, conf);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
}

static void
send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
send(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hd_send_dgram(hd_path(&d, "dgram.sock"), buf, (size_t)n);
}

/* Lines of DIR/name that contain needle (0 when the file is absent). */
static size_t
lines_with(const char *name, const char *needle)
{
	char	*text, *line, *save = NULL;
	size_t	 n = 0;

	if ((text = file_read(hd_path(&d, name), NULL)) == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		n += strstr(line, needle) != NULL;
	free(text);
	return n;
}

#define HEAD								\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"

Test(filtering, nginx_goes_to_its_file_and_not_to_syslog,
    .fini = filtering_down, .timeout = 60)
{
	int i;

	up(HEAD "outputs = (\n"
	    "  { name = \"nginx\"; path = \"@DIR@/nginx.log\";\n"
	    "    filter = \"tag == 'nginx'\"; final = true; },\n"
	    "  { name = \"syslog\"; path = \"@DIR@/syslog.log\"; },\n"
	    "  { name = \"all\"; path = \"@DIR@/all.log\"; } );\n");
	for (i = 0; i < 100; i++) {
		send("<30>nginx[7]: request %d", i);
		send("<30>sshd[8]: login %d", i);
	}
	cr_assert(hd_wait_lines(hd_path(&d, "syslog.log"), 100, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "nginx.log"), 100, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	cr_assert_eq(file_lines(hd_path(&d, "nginx.log")), 100);
	cr_assert_eq(lines_with("nginx.log", "]: request "), 100);
	cr_assert_eq(file_lines(hd_path(&d, "syslog.log")), 100);
	cr_assert_eq(lines_with("syslog.log", "]: login "), 100);
	/* After a final output too: it never sees what nginx took. */
	cr_assert_eq(file_lines(hd_path(&d, "all.log")), 100);
	cr_assert_eq(lines_with("all.log", "request"), 0);
}

Test(filtering, what_final_withholds_is_neither_received_nor_dropped,
    .fini = filtering_down, .timeout = 60)
{
	up(HEAD "outputs = (\n"
	    "  { name = \"nginx\"; path = \"@DIR@/nginx.log\";\n"
	    "    filter = \"tag == nginx\"; final = true; },\n"
	    "  { name = \"mail\"; path = \"@DIR@/mail.log\";\n"
	    "    match = \"mail.*\"; } );\n");
	send("<30>nginx: taken, and withheld from mail");
	send("<22>nginx: taken by nginx although mail would take it");
	send("<30>cron: taken by nobody");
	send("<22>postfix: taken by mail");
	cr_assert(hd_wait_lines(hd_path(&d, "mail.log"), 1, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "nginx.log"), 2, 10000));

	cr_assert_eq(hd_stat(&d, "outputs.nginx.received"), 2);
	cr_assert_eq(hd_stat(&d, "outputs.mail.received"), 1);
	cr_assert_eq(hd_stat(&d, "total.dropped.no_output"), 1);
	/* received = written + dropped + buffered, in total: 2 + 1 + 1. */
	cr_assert_eq(hd_stat(&d, "total.received"), 4);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(lines_with("mail.log", "taken by mail"), 1);
	cr_assert_eq(file_lines(hd_path(&d, "mail.log")), 1);
}

Test(filtering, the_noisy_health_check_is_dropped,
    .fini = filtering_down, .timeout = 60)
{
	int i;

	up(HEAD "outputs = (\n"
	    "  { name = \"access\"; path = \"@DIR@/access.log\";\n"
	    "    filter = \"tag == nginx and not msg =~ '\\\"GET "
	    "/health(z)? HTTP'\"; } );\n");
	for (i = 0; i < 50; i++) {
		send("<30>nginx: 127.0.0.%d \"GET /healthz HTTP/1.1\" 200", i);
		send("<30>nginx: 127.0.0.%d \"GET /health HTTP/1.1\" 200", i);
		send("<30>nginx: 127.0.0.%d \"GET /health/report HTTP/1.1\" 200",
		    i);
		send("<30>nginx: 127.0.0.%d \"GET /index.html HTTP/1.1\" 200 "
		    "/health", i);
	}
	send("<30>nginx: last");
	cr_assert(hd_wait_lines(hd_path(&d, "access.log"), 101, 10000));
	cr_assert_eq(hd_stat(&d, "total.dropped.no_output"), 100);
	cr_assert_eq(hd_stat(&d, "outputs.access.received"), 101);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "access.log")), 101);
	cr_assert_eq(lines_with("access.log", "GET /health/report"), 50);
	cr_assert_eq(lines_with("access.log", "GET /index.html"), 50);
	cr_assert_eq(lines_with("access.log", "GET /healthz "), 0);
	cr_assert_eq(lines_with("access.log", "GET /health "), 0);
}

/* Two users through the same socket; the kernel says which is which. */
Test(filtering, uid_filters_use_the_kernels_word,
    .fini = filtering_down, .timeout = 60)
{
	bool nobody = geteuid() == 0 && run("command -v setpriv >/dev/null "
	    "&& command -v logger >/dev/null") == 0;
	char conf[1024];

	snprintf(conf, sizeof conf, HEAD "outputs = (\n"
	    "  { name = \"mine\"; path = \"@DIR@/mine.log\";\n"
	    "    filter = \"uid == %u\"; },\n"
	    "  { name = \"nobody\"; path = \"@DIR@/nobody.log\";\n"
	    "    filter = \"uid == 65534 and gid == 65534\"; } );\n",
	    (unsigned)geteuid());
	up(conf);
	send("<13>me: hello from uid %u", (unsigned)geteuid());
	cr_assert(hd_wait_lines(hd_path(&d, "mine.log"), 1, 10000));
	if (nobody) {
		/* mkdtemp made the directory 0700: let nobody reach it. */
		cr_assert_eq(chmod(d.dir, 0711), 0);
		cr_assert_eq(run("setpriv --reuid=65534 --regid=65534 "
		    "--clear-groups logger -u %s -t spoof --id=1 "
		    "'hello from nobody'", hd_path(&d, "dgram.sock")), 0);
		cr_assert(hd_wait_lines(hd_path(&d, "nobody.log"), 1, 10000));
	}
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "mine.log")), 1);
	cr_assert_eq(lines_with("mine.log", "hello from uid"), 1);
	if (!nobody) {
		cr_assert_eq(file_lines(hd_path(&d, "nobody.log")), 0);
		cr_skip_test("not root, or no setpriv/logger: the second user "
		    "was not tried");
	}
	cr_assert_eq(file_lines(hd_path(&d, "nobody.log")), 1);
	cr_assert_eq(lines_with("nobody.log", "hello from nobody"), 1);
}

#define RELOAD_CONF(filter)						\
	HEAD "outputs = (\n"						\
	"  { name = \"sel\"; path = \"@DIR@/sel.log\";\n"		\
	"    filter = \"" filter "\"; final = true; },\n"		\
	"  { name = \"rest\"; path = \"@DIR@/rest.log\"; } );\n"

Test(filtering, a_reload_applies_a_new_filter_and_keeps_the_old_on_error,
    .fini = filtering_down, .timeout = 60)
{
	up(RELOAD_CONF("tag == a"));
	send("<14>a: a-one");
	send("<14>b: b-one");
	cr_assert(hd_wait_lines(hd_path(&d, "sel.log"), 1, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "rest.log"), 1, 10000));

	hd_write_conf(&d, RELOAD_CONF("tag == b"));
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "configuration reloaded",
	    10000));
	send("<14>a: a-two");
	send("<14>b: b-two");
	cr_assert(hd_wait_lines(hd_path(&d, "sel.log"), 2, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "rest.log"), 2, 10000));

	/* Broken: the error names file, line and column; "tag == b" stays. */
	hd_write_conf(&d, RELOAD_CONF("tag == a and"));
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "asynclogd.conf:6: output "
	    "'sel': filter: column 13: expected a field name", 10000),
	    "reload error without file:line and column");
	send("<14>a: a-three");
	send("<14>b: b-three");
	cr_assert(hd_wait_lines(hd_path(&d, "sel.log"), 3, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "rest.log"), 3, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	cr_assert_eq(lines_with("sel.log", "a-one"), 1);
	cr_assert_eq(lines_with("sel.log", "b-two"), 1);
	cr_assert_eq(lines_with("sel.log", "b-three"), 1);
	cr_assert_eq(lines_with("rest.log", "b-one"), 1);
	cr_assert_eq(lines_with("rest.log", "a-two"), 1);
	cr_assert_eq(lines_with("rest.log", "a-three"), 1);
	cr_assert_eq(file_lines(hd_path(&d, "sel.log")), 3);
	cr_assert_eq(file_lines(hd_path(&d, "rest.log")), 3);
}
