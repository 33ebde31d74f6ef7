/* SPDX-License-Identifier: ISC */
/*
 * test_rotation.c: size rotation under load with zstd compression and
 * retention, checked with the real zstd tool: the live file plus every
 * rotated file hold exactly the records sent, each once and whole. And
 * rotate.age counted from the file's first record, through HUPs, restarts
 * and files the daemon finds already there.
 */
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"

#define NCLIENTS	4
#define PER_CLIENT	50000

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

struct client {
	int	 id;
	long	 n;
};

static void *
client_main(void *p)
{
	struct client *c = p;
	asynclog_t *h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	long i;

	for (i = 0; i < c->n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "c%d %ld end", c->id, i);
	cr_assert_eq(asynclog_flush(h, 60000), 0);
	asynclog_close(h);
	return NULL;
}

static void
run_clients(long per_client)
{
	struct client cl[NCLIENTS];
	pthread_t th[NCLIENTS];
	int i;

	for (i = 0; i < NCLIENTS; i++) {
		cl[i] = (struct client){ i, per_client };
		pthread_create(&th[i], NULL, client_main, &cl[i]);
	}
	for (i = 0; i < NCLIENTS; i++)
		pthread_join(th[i], NULL);
}

Test(rotation, rotated_and_live_files_hold_every_record_once_whole,
    .fini = daemon_down, .timeout = 180)
{
	char *text, *p, *seen;
	glob_t g;
	size_t i, nrot;
	long count = 0, seq;
	int id;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"64K\"; max_memory = \"4M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "rotate = { size = \"1M\"; keep = 100; compress = \"zstd\"; }; } );\n");
	run_clients(PER_CLIENT);
	cr_assert_eq(hd_signal(&d, SIGTERM, 30000), 0);

	cr_assert_eq(glob(hd_path(&d, "main.log.*"), 0, NULL, &g), 0);
	nrot = g.gl_pathc;
	cr_assert_gt(nrot, 5, "only %zu rotated files", nrot);
	for (i = 0; i < nrot; i++) {
		cr_assert(strstr(g.gl_pathv[i], ".zst") != NULL,
		    "not compressed: %s", g.gl_pathv[i]);
		cr_assert(strstr(g.gl_pathv[i], ".tmp") == NULL);
		cr_assert_eq(run("zstd -q -t %s", g.gl_pathv[i]), 0,
		    "zstd -t failed on %s", g.gl_pathv[i]);
	}
	cr_assert_eq(run("cd %s && { for f in main.log.*.zst; do zstd -q -dc "
	    "$f; done; cat main.log; } > all.txt", d.dir), 0);
	globfree(&g);

	seen = calloc(NCLIENTS * PER_CLIENT, 1);
	text = file_read(hd_path(&d, "all.txt"), NULL);
	cr_assert_not_null(text);
	for (p = strtok(text, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		char *m = strstr(p, "]: c");

		cr_assert_not_null(m, "not a record: %s", p);
		cr_assert_eq(sscanf(m, "]: c%d %ld end", &id, &seq), 2,
		    "torn: %s", p);
		cr_assert(strlen(m) > 4 && strcmp(m + strlen(m) - 4, " end") == 0,
		    "torn: %s", p);
		cr_assert(id >= 0 && id < NCLIENTS && seq >= 0 &&
		    seq < PER_CLIENT);
		cr_assert_eq(seen[id * PER_CLIENT + seq], 0, "twice: %s", p);
		seen[id * PER_CLIENT + seq] = 1;
		count++;
	}
	cr_assert_eq(count, NCLIENTS * PER_CLIENT);
	free(text);
	free(seen);
}

Test(rotation, no_more_than_keep_rotated_files_remain,
    .fini = daemon_down, .timeout = 120)
{
	glob_t g;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"1M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "rotate = { size = \"64K\"; keep = 3; }; } );\n");
	run_clients(5000);
	cr_assert_eq(hd_signal(&d, SIGTERM, 30000), 0);
	cr_assert_eq(glob(hd_path(&d, "main.log.*"), 0, NULL, &g), 0);
	cr_assert_eq(g.gl_pathc, 3, "%zu rotated files", g.gl_pathc);
	globfree(&g);
	/* Uncompressed, newest first: main.log.1 ... main.log.3. */
	cr_assert_eq(run("test -f %s && test -f %s", hd_path(&d, "main.log.1"),
	    hd_path(&d, "main.log.3")), 0);
}

static bool
rotated_by_age(struct hd *dd, void *arg)
{
	asynclog_t *h = arg;

	/* Only a write can rotate: keep writing until it happens. */
	asynclog_log(h, LOG_USER | LOG_INFO, "c0 0 end");
	asynclog_flush(h, 1000);
	return access(hd_path(dd, "main.log.1"), F_OK) == 0;
}

Test(rotation, a_file_older_than_rotate_age_is_rotated_on_the_next_write,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "rotate = { age = \"1s\"; keep = 2; }; } );\n");
	h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	cr_assert(hd_wait(rotated_by_age, &d, h, 10000),
	    "no rotation within 10 s with rotate.age = 1s");
	asynclog_close(h);
	cr_assert_gt(file_lines(hd_path(&d, "main.log.1")), 0);
}

/*
 * rotate.age is the age of the file's first record, not of the descriptor:
 * neither a HUP (reopen and reload) nor a restart may start it again.
 */
struct hup_writer {
	asynclog_t	*h;
	long long	 last_hup_ms;
};

static bool
rotated_while_hupping(struct hd *dd, void *arg)
{
	struct hup_writer *hw = arg;

	if (hd_now_ms() - hw->last_hup_ms >= 500) {
		hw->last_hup_ms = hd_now_ms();
		kill(dd->pid, SIGHUP);
		asynclog_log(hw->h, LOG_USER | LOG_INFO, "c0 0 end");
		asynclog_flush(hw->h, 1000);
	}
	return access(hd_path(dd, "main.log.1"), F_OK) == 0;
}

Test(rotation, rotate_age_is_not_postponed_by_a_hup_every_half_second,
    .fini = daemon_down, .timeout = 60)
{
	struct hup_writer hw = { NULL, 0 };
	long long t0;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "rotate = { age = \"2s\"; keep = 2; }; } );\n");
	hw.h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	asynclog_log(hw.h, LOG_USER | LOG_INFO, "first");
	cr_assert_eq(asynclog_flush(hw.h, 5000), 0);
	t0 = hd_now_ms();
	hw.last_hup_ms = t0;
	cr_assert(hd_wait(rotated_while_hupping, &d, &hw, 7000),
	    "no rotation within 7 s with rotate.age = 2s and a HUP every "
	    "500 ms");
	cr_assert_lt(hd_now_ms() - t0, 4000, "rotated only after %lld ms",
	    hd_now_ms() - t0);
	asynclog_close(hw.h);
}

static bool
time_passed(struct hd *dd, void *arg)
{
	(void)dd;
	return hd_now_ms() >= *(long long *)arg;
}

Test(rotation, rotate_age_is_not_restarted_by_a_restart,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;
	long long t0, restart_at;
	char *text;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "rotate = { age = \"4s\"; keep = 2; }; } );\n");
	h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	asynclog_log(h, LOG_USER | LOG_INFO, "before the restart");
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	t0 = hd_now_ms();
	asynclog_close(h);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	/* Down for a while, then up again: 2.5 s of the 4 have passed. */
	restart_at = t0 + 2500;
	cr_assert(hd_wait(time_passed, &d, &restart_at, 5000));
	hd_restart(&d);
	h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	cr_assert(hd_wait(rotated_by_age, &d, h, 10000),
	    "no rotation within 10 s of the restart");
	/* From the restart it would take 4 s more, to t0 + 6.5 s at least. */
	cr_assert_lt(hd_now_ms() - t0, 5800, "rotated only %lld ms after the "
	    "first record", hd_now_ms() - t0);
	asynclog_close(h);
	cr_assert_not_null(text = file_read(hd_path(&d, "main.log.1"), NULL));
	cr_assert_not_null(strstr(text, "before the restart"));
	free(text);
}

/* DIR/main.log with first as its first line and mtime ago_s seconds back. */
static void
put_old_log(const char *first, long ago_s)
{
	FILE *f;

	cr_assert_not_null(f = fopen(hd_path(&d, "main.log"), "w"));
	fprintf(f, "%s\n", first);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(run("touch -d @%lld %s", (long long)time(NULL) - ago_s,
	    hd_path(&d, "main.log")), 0);
}

#define AGE_1H_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "	\
	"rotate = { age = \"1h\"; keep = 2; }; } );\n"

Test(rotation, an_existing_file_is_as_old_as_the_time_on_its_first_line,
    .fini = daemon_down, .timeout = 30)
{
	char line[128], stamp[64];
	time_t two_hours_ago = time(NULL) - 7200;
	struct tm tm;
	asynclog_t *h;

	/* Modified just now, but its first record is two hours old. */
	gmtime_r(&two_hours_ago, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S.000000+00:00", &tm);
	snprintf(line, sizeof(line), "%s host old[1]: from before", stamp);
	hd_prepare(&d, AGE_1H_CONF);
	put_old_log(line, 0);
	hd_restart(&d);
	h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	cr_assert(hd_wait(rotated_by_age, &d, h, 10000),
	    "a file whose first record is 2 h old was not rotated with "
	    "rotate.age = 1h");
	asynclog_close(h);
}

Test(rotation, without_a_time_on_its_first_line_a_file_is_as_old_as_its_mtime,
    .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h;

	hd_prepare(&d, AGE_1H_CONF);
	put_old_log("not a record of ours", 7200);
	hd_restart(&d);
	h = asynclog_open(d.sock, "rot", ASYNCLOG_BLOCK);
	cr_assert(hd_wait(rotated_by_age, &d, h, 10000),
	    "a file last modified 2 h ago was not rotated with rotate.age = "
	    "1h");
	asynclog_close(h);
}
