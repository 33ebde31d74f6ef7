/* SPDX-License-Identifier: ISC */
/*
 * test_routing.c: several outputs with syslog.conf-style match selectors,
 * end to end. Every facility x severity goes in, through the syslog datagram
 * socket and the native protocol, and each output must hold exactly the
 * records its selector matches: no more, no fewer, none twice. The expected
 * sets are computed here from the selector's meaning, not from match.c.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"

#define NFAC	24
#define NSEV	8

enum { EMERG, ALERT, CRIT, ERR, WARNING, NOTICE, INFO, DEBUG };
enum { KERN, USER, MAIL, DAEMON, AUTH, SYSLOG, LPR, NEWS, UUCP, CRON,
    AUTHPRIV, FTP, LOCAL0 = 16 };

#define ROUTING_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = (\n"							\
	"  { name = \"messages\"; path = \"@DIR@/messages.log\";\n"	\
	"    match = \"*.info;mail.none\"; },\n"			\
	"  { name = \"secure\"; path = \"@DIR@/secure.log\";\n"		\
	"    match = \"auth,authpriv.*\"; },\n"				\
	"  { name = \"debug\"; path = \"@DIR@/debug.log\";\n"		\
	"    match = \"*.=debug\"; },\n"				\
	"  { name = \"local0\"; path = \"@DIR@/local0.log\";\n"		\
	"    match = \"local0.*\"; },\n"				\
	"  { name = \"quiet\"; path = \"@DIR@/quiet.log\";\n"		\
	"    match = \"*.*;*.!err;mail.!=debug\"; },\n"			\
	"  { name = \"all\"; path = \"@DIR@/all.log\"; match = \"*.*\"; } );\n"

struct route {
	const char	*file;
	bool		(*wants)(int fac, int sev);
};

static bool
messages_wants(int fac, int sev)
{
	return sev <= INFO && fac != MAIL;
}

static bool
secure_wants(int fac, int sev)
{
	return fac == AUTH || fac == AUTHPRIV;
}

static bool
debug_wants(int fac, int sev)
{
	return sev == DEBUG;
}

static bool
local0_wants(int fac, int sev)
{
	return fac == LOCAL0;
}

/* "*.!err": only what is less severe than err; then mail without debug. */
static bool
quiet_wants(int fac, int sev)
{
	return sev > ERR && !(fac == MAIL && sev == DEBUG);
}

static bool
all_wants(int fac, int sev)
{
	return true;
}

static const struct route routes[] = {
	{ "messages.log", messages_wants },
	{ "secure.log", secure_wants },
	{ "debug.log", debug_wants },
	{ "local0.log", local0_wants },
	{ "quiet.log", quiet_wants },
	{ "all.log", all_wants },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static struct hd d;


static void
routing_up(void)
{
	hd_start(&d, ROUTING_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
}

static void
routing_down(void)
{
	hd_stop(&d);
}

/*
 * Check one output file: every "SRC fF sS" record in it is one the selector
 * wants, none appears twice, and every wanted one is there.
 */
static void
check_route(const struct route *r, int nsrc, const bool sent[2][NFAC][NSEV])
{
	char *text, *line, *save = NULL, *m, src[16];
	int seen[2][NFAC][NSEV], fac, sev, s, want = 0, got = 0;

	memset(seen, 0, sizeof(seen));
	text = file_read(hd_path(&d, r->file), NULL);
	cr_assert_not_null(text, "no output %s", r->file);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cr_assert_not_null(m = strstr(line, "]: "), "%s: %s", r->file,
		    line);
		cr_assert_eq(sscanf(m + 3, "%15s f%d s%d", src, &fac, &sev), 3,
		    "%s: unexpected record %s", r->file, line);
		s = strcmp(src, "native") == 0;
		cr_assert(fac >= 0 && fac < NFAC && sev >= 0 && sev < NSEV);
		cr_assert(r->wants(fac, sev), "%s took f%d s%d, which its "
		    "selector does not match", r->file, fac, sev);
		cr_assert_eq(seen[s][fac][sev]++, 0, "%s has %s f%d s%d twice",
		    r->file, src, fac, sev);
		got++;
	}
	for (s = 0; s < nsrc; s++)
		for (fac = 0; fac < NFAC; fac++)
			for (sev = 0; sev < NSEV; sev++) {
				if (!sent[s][fac][sev] || !r->wants(fac, sev))
					continue;
				want++;
				cr_assert(seen[s][fac][sev], "%s lacks %s f%d "
				    "s%d", r->file, s ? "native" : "dgram",
				    fac, sev);
			}
	cr_assert_eq(got, want, "%s: %d records, expected %d", r->file, got,
	    want);
	free(text);
}

Test(routing, each_output_gets_exactly_what_its_selector_matches,
    .init = routing_up, .fini = routing_down, .timeout = 30)
{
	static bool sent[2][NFAC][NSEV];
	char msg[128];
	asynclog_t *h;
	size_t i, total = 0;
	int fac, sev;

	/* Every PRI through the datagram socket, as syslog(3) sends them. */
	for (fac = 0; fac < NFAC; fac++)
		for (sev = 0; sev < NSEV; sev++) {
			snprintf(msg, sizeof(msg), "<%d>route: dgram f%d s%d",
			    fac * 8 + sev, fac, sev);
			hd_send_dgram(hd_path(&d, "dgram.sock"), msg, strlen(msg));
			sent[0][fac][sev] = true;
			total++;
		}
	/* And through the native protocol (kern is not for user space: the
	 * library sends facility 0 as user, as syslog(3) does). */
	cr_assert_not_null(h = asynclog_open(d.sock, "route", ASYNCLOG_BLOCK));
	for (fac = 1; fac < NFAC; fac++)
		for (sev = 0; sev < NSEV; sev++) {
			cr_assert_eq(asynclog_log(h, fac * 8 + sev,
			    "native f%d s%d", fac, sev), 0);
			sent[1][fac][sev] = true;
			total++;
		}
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "all.log"), total, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	for (i = 0; i < NROUTES; i++)
		check_route(&routes[i], 2, (const bool (*)[NFAC][NSEV])sent);
}

/* A record no output wants is counted, not silently lost. */
Test(routing, a_record_no_output_matches_is_counted,
    .init = NULL, .fini = routing_down, .timeout = 30)
{
	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"mail\"; path = \"@DIR@/mail.log\";\n"
	    "    match = \"mail.*\"; } );\n");
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	hd_send_dgram(hd_path(&d, "dgram.sock"), "<14>nobody: wants this", strlen("<14>nobody: wants this"));
	hd_send_dgram(hd_path(&d, "dgram.sock"), "<22>mail: wanted", strlen("<22>mail: wanted"));
	cr_assert(hd_wait_lines(hd_path(&d, "mail.log"), 1, 10000));
	cr_assert_eq(hd_stat(&d, "total.dropped.no_output"), 1);
	cr_assert_eq(hd_stat(&d, "total.received"), 2);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "mail.log")), 1);
}
