/*
 * test_faults.c: every record accounted for under faults: the daemon's own
 * words about its counters are never cut, and what a drain deadline leaves
 * behind is counted, not lost.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

Test(faults, counters_of_many_outputs_are_never_cut,
    .fini = daemon_down, .timeout = 30)
{
	char conf[4096];
	int n, i;

	n = snprintf(conf, sizeof(conf), "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = (\n");
	for (i = 0; i < 12; i++)
		n += snprintf(conf + n, sizeof(conf) - n, "%s{ name = "
		    "\"output_with_a_rather_long_name_%02d\"; path = "
		    "\"@DIR@/out%02d.log\"; }\n", i ? "," : "", i, i);
	snprintf(conf + n, sizeof(conf) - n, ");\n");
	hd_start(&d, conf);
	kill(d.pid, SIGUSR1);
	cr_assert(hd_wait(hd_log_mentions, &d, "balanced=yes", 5000),
	    "SIGUSR1 counters lost their end");
	cr_assert(hd_wait(hd_log_mentions, &d,
	    "output output_with_a_rather_long_name_11 state=writing", 5000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(hd_log_mentions(&d, "final counters:"));
	cr_assert_eq(run("grep -c 'balanced=yes' %s | grep -qx 2", d.errlog), 0,
	    "the final counters lost their end");
}
