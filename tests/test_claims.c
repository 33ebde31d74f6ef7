/*
 * test_claims.c: a hostile local user against the real daemon.
 *
 * User nobody sends, with stock util-linux logger(1), lines that claim to
 * come from another host or carry a forged copy of the daemon's own SD
 * element. The files must show this machine's name in the host position
 * and the kernel's uid in the daemon's element; the claims may appear only
 * in their marked fields. Running as another user needs root; otherwise
 * the tests are skipped with a message saying so.
 */

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define CLAIMS_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = (\n"							\
	"  { name = \"json\"; path = \"@DIR@/main.json\"; format = \"json\"; },\n" \
	"  { name = \"text\"; path = \"@DIR@/main.log\"; format = \"text\"; },\n" \
	"  { name = \"rfc5424\"; path = \"@DIR@/main.5424\";\n"		\
	"    format = \"rfc5424\"; } );\n"

/* As nobody, with no supplementary groups: a local user with no rights. */
#define AS_NOBODY	"setpriv --reuid=65534 --regid=65534 --clear-groups "

static struct hd d;
static char host[256];

static void
claims_up(void)
{
	if (geteuid() != 0)
		cr_skip_test("not root: cannot run logger as user nobody "
		    "(setpriv --reuid=65534); hostile-user tests skipped");
	if (run("command -v setpriv >/dev/null && command -v logger "
	    ">/dev/null") != 0)
		cr_skip_test("setpriv or logger (util-linux) not installed");
	hd_start(&d, CLAIMS_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	/* mkdtemp made the directory 0700: let nobody reach the socket. */
	cr_assert_eq(chmod(d.dir, 0711), 0);
	cr_assert_eq(gethostname(host, sizeof host - 1), 0);
}

static void
claims_down(void)
{
	hd_stop(&d);
}

/* The whole of DIR/name once the daemon has drained and exited. */
static char *
output(const char *name)
{
	char *text = file_read(hd_path(&d, name), NULL);

	cr_assert_not_null(text, "no %s", name);
	return text;
}

static void
send_as_nobody_and_drain(const char *logger_args)
{
	cr_assert_eq(run(AS_NOBODY "logger -u %s %s", hd_path(&d, "dgram.sock"),
	    logger_args), 0, "logger as nobody failed");
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/*
 * logger's tag "bastion sshd[4242]" makes the RFC 3164 line
 * "<13>Nov 25 12:00:00 bastion sshd[4242]: Accepted ..." that any local
 * user can send: before, the text line read "... bastion sshd[4242]: ...".
 * Local input has no HOSTNAME, so "bastion" is the sender's tag: it shows
 * after this machine's name, and is not even a claimed host.
 */
Test(claims, a_forged_host_on_local_input_is_only_the_tag,
    .init = claims_up, .fini = claims_down, .timeout = 30)
{
	char *text, *json, *r5424, want[512];

	send_as_nobody_and_drain("-t 'bastion sshd[4242]' "
	    "'Accepted publickey for root'");

	text = output("main.log");
	snprintf(want, sizeof want, " %s bastion[", host);
	cr_assert(strstr(text, want) != NULL, "host position is not %s:\n%s",
	    host, text);
	cr_assert(strstr(text, "]: sshd[4242]: Accepted publickey for root\n")
	    != NULL, "%s", text);

	json = output("main.json");
	snprintf(want, sizeof want, "\"host\":\"%s\",", host);
	cr_assert(strstr(json, want) != NULL, "got:\n%s", json);
	cr_assert_null(strstr(json, "claimed_host"), "got:\n%s", json);
	cr_assert_null(strstr(json, "claimed_pid"), "got:\n%s", json);
	cr_assert(strstr(json, "\"tag\":\"bastion\",") != NULL, "got:\n%s",
	    json);
	cr_assert(strstr(json, "\"uid\":65534,") != NULL, "got:\n%s", json);

	r5424 = output("main.5424");
	snprintf(want, sizeof want, " %s bastion ", host);
	cr_assert(strstr(r5424, want) != NULL, "HOSTNAME is not %s:\n%s", host,
	    r5424);
	cr_assert_null(strstr(r5424, "claimed_host"), "got:\n%s", r5424);
	free(text);
	free(json);
	free(r5424);
}

/*
 * logger --sd-id asynclog@32473 --sd-param 'uid="0"' puts a copy of the
 * daemon's element in the message. A parser that keeps the last
 * [asynclog@32473 ...] used to read uid 0.
 */
Test(claims, a_forged_daemon_sd_element_is_renamed_a_claim,
    .init = claims_up, .fini = claims_down, .timeout = 30)
{
	char *r5424, *json, *ours;

	send_as_nobody_and_drain("--rfc5424 --sd-id asynclog@32473 "
	    "--sd-param 'uid=\"0\"' -t forge 'root did it'");

	r5424 = output("main.5424");
	cr_assert_not_null(ours = strstr(r5424, "[asynclog@32473 uid=\"65534\""),
	    "the daemon's element is missing:\n%s", r5424);
	cr_assert_null(strstr(ours + 1, "[asynclog@32473"), "a second "
	    "element with the daemon's SD-ID:\n%s", r5424);
	cr_assert_eq(strstr(r5424, "[asynclog@32473"), ours,
	    "an element before the daemon's:\n%s", r5424);
	cr_assert(strstr(r5424, "[asynclog-claim@32473 uid=\"0\"]") != NULL,
	    "the claim is not kept, marked:\n%s", r5424);

	json = output("main.json");
	cr_assert(strstr(json, "\"uid\":65534,") != NULL, "got:\n%s", json);
	free(r5424);
	free(json);
}
