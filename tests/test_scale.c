/* SPDX-License-Identifier: ISC */
/*
 * test_scale.c: asynclogd under many connections. 10 000 native clients
 * say HELLO and stay idle; the daemon holds them all, still serves a new
 * client, and what each idle connection costs it in resident memory stays
 * within the budget of issue 14 (2 KiB). A memory bound, not a timing.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "wire.h"

#define SCALE_CONNS		10000
#define SCALE_IDLE_BUDGET	2048	/* bytes of daemon RSS per idle client */

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

static bool
scale_clients_at_least(struct hd *dd, void *arg)
{
	/* The STATS connection asking is one of them. */
	return hd_stat(dd, "clients") >= *(long long *)arg + 1;
}

Test(scale, ten_thousand_idle_clients_are_held_and_cost_at_most_2_kib_each,
    .fini = daemon_down, .timeout = 300)
{
	static int fds[SCALE_CONNS];
	unsigned char hello[64];
	long long want = SCALE_CONNS;
	long rss0, rss1, per_conn;
	size_t n;
	int i;

	hd_need_files(SCALE_CONNS + 256);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "max_clients = 10100; max_clients_per_user = 10100; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	/* Warm: the first record touches the chunk and formatting memory a
	 * new client's record would touch later. */
	cr_assert_eq(run("%s -u %s -t scale warm", hd_bin("asynclog"), d.sock),
	    0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 30000));
	cr_assert_gt(rss0 = hd_proc_kib(d.pid, "VmRSS:"), 0);

	n = wire_encode_hello(hello, sizeof(hello), 0, "idle", 4);
	for (i = 0; i < SCALE_CONNS; i++) {
		cr_assert_neq(fds[i] = unix_connect(d.sock), -1,
		    "connection %d refused", i);
		cr_assert_eq(send(fds[i], hello, n, MSG_NOSIGNAL), (ssize_t)n);
	}
	cr_assert(hd_wait(scale_clients_at_least, &d, &want, 120000),
	    "the daemon does not hold %d connections (clients=%lld)",
	    SCALE_CONNS, hd_stat(&d, "clients"));

	cr_assert_eq(run("%s -u %s -t scale 'with 10000 idle clients'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 60000),
	    "a new client's record did not land");
	cr_assert_eq(run("grep -q 'with 10000 idle clients' %s",
	    hd_path(&d, "main.log")), 0);
	/* A few spare buffers at most (inbuf.c), not one per client. */
	cr_assert_lt(hd_stat(&d, "client_memory"), 1 << 20,
	    "idle clients hold read buffers");

	rss1 = hd_proc_kib(d.pid, "VmRSS:");
	per_conn = (rss1 - rss0) * 1024 / SCALE_CONNS;
	cr_log_info("asynclogd RSS: %ld KiB idle, %ld KiB with %d idle "
	    "clients: %ld bytes each", rss0, rss1, SCALE_CONNS, per_conn);
	/* Under ASan the resident size is mostly shadow memory. */
	if (getenv("ASYNCLOG_SANITIZE") == NULL ||
	    strcmp(getenv("ASYNCLOG_SANITIZE"), "1") != 0)
		cr_assert_leq(per_conn, SCALE_IDLE_BUDGET, "an idle client "
		    "costs %ld bytes of daemon memory", per_conn);
	for (i = 0; i < SCALE_CONNS; i++)
		close(fds[i]);
}
