/* SPDX-License-Identifier: ISC */
/*
 * test_perfile.c: outputs whose path holds fields ("apps/${tag}.log"), the
 * disk budget, and a routing table of filters, final and a per-program
 * path, end to end with the real daemon. What each file must hold is
 * computed here from the configuration's meaning (an independent model),
 * never from the daemon's code.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"

static struct hd d;

static void
perfile_down(void)
{
	hd_stop(&d);
}

/* Write all of buf to a stream socket. */
static void
send_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		cr_assert_gt(n, 0, "write to the syslog stream failed");
		buf += n;
		len -= (size_t)n;
	}
}

/* How many of the daemon's descriptors are files under dir. */
static int
fds_under(pid_t pid, const char *dir)
{
	char		 path[320], target[PATH_MAX];
	struct dirent	*de;
	DIR		*dp;
	ssize_t		 n;
	int		 count = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	cr_assert_not_null(dp = opendir(path));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid,
		    de->d_name);
		if ((n = readlink(path, target, sizeof target - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, strlen(dir)) == 0 &&
		    target[strlen(dir)] == '/')
			count++;
	}
	closedir(dp);
	return count;
}

struct written {
	const char	*output;
	long long	 n;
};

static bool
all_written(struct hd *h, void *arg)
{
	struct written	*w = arg;
	char		 key[128];

	snprintf(key, sizeof key, "outputs.%s.written", w->output);
	return hd_stat(h, key) >= w->n;
}

#define NTAGS	10000

Test(perfile, ten_thousand_tags_each_in_its_file_within_the_open_file_limit,
    .fini = perfile_down, .timeout = 600)
{
	char		 apps[300], line[128], *buf, *text, name[64];
	struct written	 w = { "apps", 2 * NTAGS };
	size_t		 len = 0, cap = 4 << 20;
	int		 fd, i, round, maxfds = 0, n;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_stream = \"@DIR@/stream.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"apps\"; path = \"@DIR@/apps/${tag}.log\";\n"
	    "  max_open_files = 64; sync = \"never\"; } );\n");
	snprintf(apps, sizeof apps, "%s/apps", d.dir);
	cr_assert_eq(mkdir(apps, 0755), 0);
	hd_restart(&d);
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	cr_assert_not_null(buf = malloc(cap));
	/* Two rounds over every tag, so each file is closed and reopened. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < NTAGS; i++) {
			n = snprintf(line, sizeof line, "<14>t%05d: record "
			    "%d of t%05d\n", i, round, i);
			memcpy(buf + len, line, (size_t)n);
			len += (size_t)n;
			if (len > cap - sizeof line || i % 500 == 499) {
				send_all(fd, buf, len);
				len = 0;
				n = fds_under(d.pid, apps);
				if (n > maxfds)
					maxfds = n;
			}
		}
	}
	send_all(fd, buf, len);
	close(fd);
	free(buf);
	cr_assert(hd_wait(all_written, &d, &w, 400000),
	    "not every record was written");
	n = fds_under(d.pid, apps);
	if (n > maxfds)
		maxfds = n;
	cr_assert_leq(maxfds, 64, "%d files open at once", maxfds);
	cr_assert_gt(maxfds, 1);
	cr_assert_eq(hd_stat(&d, "outputs.apps.fallback"), 0);

	for (i = 0; i < NTAGS; i++) {
		snprintf(name, sizeof name, "apps/t%05d.log", i);
		cr_assert_not_null(text = file_read(hd_path(&d, name), NULL),
		    "%s is missing", name);
		snprintf(line, sizeof line, "t%05d[", i);
		cr_assert_eq(file_lines(hd_path(&d, name)), 2, "%s", name);
		snprintf(line, sizeof line, ": record 0 of t%05d\n", i);
		cr_assert_not_null(strstr(text, line), "%s: %s", name, text);
		snprintf(line, sizeof line, ": record 1 of t%05d\n", i);
		cr_assert_not_null(strstr(text, line), "%s: %s", name, text);
		cr_assert_lt(strstr(text, "record 0"), strstr(text,
		    "record 1"), "%s out of order", name);
		free(text);
	}
}

/* Every name in dir, counted; fails on a name not in allowed. */
static size_t
entries(const char *dir, const char *const *allowed)
{
	struct dirent	*de;
	DIR		*dp;
	size_t		 n = 0, i;

	cr_assert_not_null(dp = opendir(dir), "%s", dir);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], de->d_name) == 0)
				break;
		cr_assert_not_null(allowed[i], "unexpected file %s/%s", dir,
		    de->d_name);
		n++;
	}
	closedir(dp);
	return n;
}

Test(perfile, hostile_tags_are_sanitised_or_go_to_the_fallback,
    .fini = perfile_down, .timeout = 60)
{
	static const char *const apps[] = { "app-_._.._etc_passwd.log",
	    "app-a_nb.log", "app-_hidden.log", "app-fine.log",
	    "app-unknown.log", NULL };
	static const char *const top[] = { "asynclog.sock", "asynclogd.conf",
	    "asynclogd.err", "apps", NULL };
	struct written	 w = { "apps", 6 };
	char		 big[4097], *text;
	const char	*tags[] = { "../../etc/passwd", "a\nb", ".hidden",
			    "fine", big, "" };
	asynclog_t	*h;
	size_t		 i;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"apps\";\n"
	    "  path = \"@DIR@/apps/app-${tag}.log\"; } );\n");
	cr_assert_eq(mkdir(hd_path(&d, "apps"), 0755), 0);
	hd_restart(&d);
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		cr_assert_not_null(h = asynclog_open(d.sock, tags[i], 0));
		cr_assert_eq(asynclog_log(h, 6, "from tag %zu", i), 0);
		cr_assert_eq(asynclog_flush(h, 10000), 0);
		asynclog_close(h);
	}
	cr_assert(hd_wait(all_written, &d, &w, 20000));
	/* The 4 KiB tag and the empty one: unusable, so the fallback. */
	cr_assert_eq(hd_stat(&d, "outputs.apps.fallback"), 2);
	cr_assert_eq(entries(hd_path(&d, "apps"), apps), 5);
	entries(d.dir, top);
	cr_assert_not_null(text = file_read(hd_path(&d,
	    "apps/app-_._.._etc_passwd.log"), NULL));
	cr_assert_not_null(strstr(text, "from tag 0"));
	free(text);
	cr_assert_not_null(text = file_read(hd_path(&d, "apps/app-a_nb.log"),
	    NULL));
	cr_assert_not_null(strstr(text, " a\\nb["), "%s", text);
	free(text);
	cr_assert_eq(file_lines(hd_path(&d, "apps/app-unknown.log")), 2);
}

/*
 * The routing table. Every combination of program, claimed host,
 * facility, severity and content goes in once over the syslog stream;
 * the outputs, in order:
 *   health  msg contains "healthcheck", final    -> health.log
 *   nginx   tag == nginx and not host web3, final -> nginx.log
 *   auth    auth,authpriv.*                        -> auth.log
 *   errors  severity <= err, claimed_host =~ web   -> errors.log
 *   apps    *.info, tag startswith "app"           -> apps/${tag}.log
 *   rest    everything else that got this far      -> rest.log
 */
static const char *const rt_tags[] = { "nginx", "sshd", "app1", "app2",
    "cron" };
static const char *const rt_hosts[] = { "web1", "web2", "web3", "db1" };
static const int rt_facs[] = { 1, 4, 10, 16 };	/* user auth authpriv local0 */
static const char *const rt_msgs[] = { "all fine", "healthcheck ping",
    "error: disk" };

#define RT_N	(5 * 4 * 4 * 8 * 3)

struct rt_rec {
	const char	*tag, *host, *msg;
	int		 fac, sev;
};

static struct rt_rec
rt_rec(int id)
{
	struct rt_rec	r;

	r.msg = rt_msgs[id % 3];
	id /= 3;
	r.sev = id % 8;
	id /= 8;
	r.fac = rt_facs[id % 4];
	id /= 4;
	r.host = rt_hosts[id % 4];
	id /= 4;
	r.tag = rt_tags[id % 5];
	return r;
}

/* The model: which file record id ends in (and whether rest gets it). */
static void
rt_expect(int id, const char **files, size_t *n)
{
	struct rt_rec	r = rt_rec(id);
	static char	app[64];

	*n = 0;
	if (strstr(r.msg, "healthcheck") != NULL) {
		files[(*n)++] = "health.log";
		return;
	}
	if (strcmp(r.tag, "nginx") == 0 && strcmp(r.host, "web3") != 0) {
		files[(*n)++] = "nginx.log";
		return;
	}
	if (r.fac == 4 || r.fac == 10)
		files[(*n)++] = "auth.log";
	if (r.sev <= 3 && strncmp(r.host, "web", 3) == 0)
		files[(*n)++] = "errors.log";
	if (r.sev <= 6 && strncmp(r.tag, "app", 3) == 0) {
		snprintf(app, sizeof app, "apps/%s.log", r.tag);
		files[(*n)++] = app;
	}
	files[(*n)++] = "rest.log";
}

/* The ids in file, each at most once (a second copy fails). */
static void
rt_ids(const char *file, bool *seen)
{
	char	*text, *p;
	int	 id;

	memset(seen, 0, RT_N * sizeof *seen);
	if ((text = file_read(file, NULL)) == NULL)
		return;
	for (p = text; (p = strstr(p, " id=")) != NULL; p++) {
		id = atoi(p + 4);
		cr_assert(id >= 0 && id < RT_N, "%s: bad id %d", file, id);
		cr_assert_not(seen[id], "%s: id %d twice", file, id);
		seen[id] = true;
	}
	free(text);
}

Test(perfile, the_routing_table_puts_each_record_where_the_model_says,
    .fini = perfile_down, .timeout = 120)
{
	static const char *const files[] = { "health.log", "nginx.log",
	    "auth.log", "errors.log", "apps/app1.log", "apps/app2.log",
	    "rest.log" };
	struct written	 w = { "rest", 0 };
	const char	*want[8];
	bool		 seen[RT_N], expect;
	char		 line[256], *buf;
	size_t		 f, k, n, len = 0;
	struct rt_rec	 r;
	int		 fd, id, total = 0;

	buf = malloc(RT_N * sizeof line);
	cr_assert_not_null(buf);
	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_stream = \"@DIR@/stream.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = (\n"
	    "  { name = \"health\"; path = \"@DIR@/health.log\";\n"
	    "    filter = \"msg contains healthcheck\"; final = true; },\n"
	    "  { name = \"nginx\"; path = \"@DIR@/nginx.log\";\n"
	    "    filter = \"tag == nginx and not claimed_host == web3\";\n"
	    "    final = true; format = \"traditional\"; },\n"
	    "  { name = \"auth\"; path = \"@DIR@/auth.log\";\n"
	    "    match = \"auth,authpriv.*\"; },\n"
	    "  { name = \"errors\"; path = \"@DIR@/errors.log\";\n"
	    "    filter = \"severity <= err and claimed_host =~ '^web'\"; },\n"
	    "  { name = \"apps\"; path = \"@DIR@/apps/${tag}.log\";\n"
	    "    match = \"*.info\"; filter = \"tag startswith app\";\n"
	    "    format = \"rfc3164\"; },\n"
	    "  { name = \"rest\"; path = \"@DIR@/rest.log\"; } );\n");
	cr_assert_eq(mkdir(hd_path(&d, "apps"), 0755), 0);
	hd_restart(&d);
	for (id = 0; id < RT_N; id++) {
		r = rt_rec(id);
		len += (size_t)snprintf(buf + len, sizeof line,
		    "<%d>1 - %s %s - - - %s id=%d \n", r.fac * 8 + r.sev,
		    r.host, r.tag, r.msg, id);
		rt_expect(id, want, &n);
		for (k = 0; k < n; k++)
			total += strcmp(want[k], "rest.log") == 0;
	}
	w.n = total;
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	send_all(fd, buf, len);
	close(fd);
	free(buf);
	cr_assert(hd_wait(all_written, &d, &w, 30000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	for (f = 0; f < sizeof files / sizeof files[0]; f++) {
		rt_ids(hd_path(&d, files[f]), seen);
		for (id = 0; id < RT_N; id++) {
			rt_expect(id, want, &n);
			expect = false;
			for (k = 0; k < n; k++)
				expect |= strcmp(want[k], files[f]) == 0;
			r = rt_rec(id);
			cr_assert_eq(seen[id], expect, "%s %s id %d (%s %s "
			    "fac %d sev %d \"%s\")", files[f], expect ?
			    "lacks" : "has", id, r.tag, r.host, r.fac, r.sev,
			    r.msg);
		}
	}
}

/* Set a file's size and modification time (seconds ago). */
static void
aged_file(const char *path, size_t size, int age_s)
{
	struct timespec	 ts[2];
	FILE		*f;

	cr_assert_not_null(f = fopen(path, "w"), "%s", path);
	cr_assert_eq(ftruncate(fileno(f), (off_t)size), 0);
	cr_assert_eq(fclose(f), 0);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool
gone(struct hd *h, void *arg)
{
	return access(hd_path(h, arg), F_OK) == -1;
}

Test(perfile, the_disk_budget_removes_the_oldest_rotated_files_first,
    .fini = perfile_down, .timeout = 60)
{
	static const char *const kept[] = { "main.log", "main.log.1",
	    "main.log.2", "apps/x.log", "apps/x.log.1.zst", "other.txt",
	    "apps/notes" };
	char		 name[64];
	struct stat	 st;
	size_t		 i;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "disk_budget = { max_use = \"400K\"; interval_ms = 100; };\n"
	    "outputs = (\n"
	    "  { name = \"main\"; path = \"@DIR@/main.log\"; },\n"
	    "  { name = \"apps\"; path = \"@DIR@/apps/${tag}.log\"; } );\n");
	cr_assert_eq(mkdir(hd_path(&d, "apps"), 0755), 0);
	/* 100K each; older as the number grows, apps' between main's. */
	aged_file(hd_path(&d, "main.log"), 100 << 10, 0);
	for (i = 1; i <= 4; i++) {
		snprintf(name, sizeof name, "main.log.%zu", i);
		aged_file(hd_path(&d, name), 100 << 10, (int)(i * 100));
	}
	aged_file(hd_path(&d, "apps/x.log"), 50 << 10, 0);
	aged_file(hd_path(&d, "apps/x.log.1.zst"), 50 << 10, 50);
	aged_file(hd_path(&d, "apps/x.log.2.zst"), 50 << 10, 250);
	/* Not an output's: never counted, never removed. */
	aged_file(hd_path(&d, "other.txt"), 1 << 20, 1000);
	aged_file(hd_path(&d, "apps/notes"), 1 << 20, 1000);
	/* 500K + 150K (and an empty fallback), over 400K: main.log.4
	 * (400 s old), then .3 (300 s), then x.log.2.zst (250 s) must go,
	 * and then it is at 400K: main.log.2 (200 s) stays. */
	hd_restart(&d);
	cr_assert(hd_wait(gone, &d, "apps/x.log.2.zst", 10000));
	cr_assert(gone(&d, "main.log.4"));
	cr_assert(gone(&d, "main.log.3"));
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		cr_assert_eq(stat(hd_path(&d, kept[i]), &st), 0, "%s was "
		    "removed", kept[i]);
	cr_assert(hd_log_mentions(&d, "disk budget: removed"));
	cr_assert_eq(hd_stat(&d, "disk_budget.removed"), 3);
	cr_assert_leq(hd_stat(&d, "disk_budget.used"), 400 << 10);
}

Test(perfile, a_reload_with_one_file_under_two_paths_is_refused,
    .fini = perfile_down, .timeout = 60)
{
	asynclog_t	*h;
	char		 conf[1024];

	hd_start(&d, HD_CONF_BASIC);
	snprintf(conf, sizeof conf,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"
	    "  { name = \"twice\"; path = \"@DIR@/../%s/main.log\"; } );\n",
	    strrchr(d.dir, '/') + 1);
	hd_write_conf(&d, conf);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "reload failed, the running "
	    "configuration stays", 10000));
	cr_assert(hd_log_mentions(&d, "is the same file as"));
	cr_assert_not_null(h = asynclog_open(d.sock, "once", 0));
	cr_assert_eq(asynclog_log(h, 6, "written once"), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 1);
}

/* Log one record under tag and wait until the output has written n. */
static void
log_as(const char *tag, const char *msg, long long n)
{
	struct written	 w = { "apps", n };
	asynclog_t	*h;

	cr_assert_not_null(h = asynclog_open(d.sock, tag, 0));
	cr_assert_eq(asynclog_log(h, 6, "%s", msg), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert(hd_wait(all_written, &d, &w, 20000));
}

/*
 * A path that ends in a field: a tag such as "x.1" would name what
 * rotation and the disk budget take for a rotated copy of "x", a live file
 * the budget removes (and rotation compresses away) while it is written.
 * Such a name goes to the fallback file instead, and its records stay.
 */
Test(perfile, a_tag_naming_a_rotated_file_goes_to_the_fallback,
    .fini = perfile_down, .timeout = 60)
{
	char	*text;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "disk_budget = { max_use = \"3K\"; interval_ms = 100; };\n"
	    "outputs = ( { name = \"apps\"; path = \"@DIR@/apps/${tag}\"; "
	    "} );\n");
	cr_assert_eq(mkdir(hd_path(&d, "apps"), 0755), 0);
	/* A live file at the cap: one more byte puts the output over. */
	aged_file(hd_path(&d, "apps/big"), 3 << 10, 100);
	hd_restart(&d);
	log_as("x.1", "kept from x.1", 1);
	log_as("y.2.zst", "kept from y.2.zst", 2);
	cr_assert(hd_wait(hd_log_mentions, &d, "disk budget: ", 10000));
	cr_assert_not_null(text = file_read(hd_path(&d, "apps/unknown"),
	    NULL), "the fallback file is missing");
	cr_assert_not_null(strstr(text, "kept from x.1"), "%s", text);
	cr_assert_not_null(strstr(text, "kept from y.2.zst"), "%s", text);
	free(text);
	cr_assert_eq(hd_stat(&d, "outputs.apps.fallback"), 2);
	cr_assert(gone(&d, "apps/x.1"));
	cr_assert(gone(&d, "apps/y.2.zst"));
}

/*
 * A tag that names the fallback file ("unknown" for "${tag}.log") is
 * written through the fallback's own descriptor: two descriptors on one
 * file would each rotate it, and compressing the copy one of them still
 * writes would lose what it writes next.
 */
Test(perfile, a_tag_naming_the_fallback_file_shares_its_descriptor,
    .fini = perfile_down, .timeout = 60)
{
	char	 msg[351], *text;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"apps\"; path = \"@DIR@/apps/${tag}.log\";\n"
	    "  rotate = { size = \"1K\"; keep = 5; compress = \"zstd\"; }; "
	    "} );\n");
	cr_assert_eq(mkdir(hd_path(&d, "apps"), 0755), 0);
	hd_restart(&d);
	memset(msg, 'a', sizeof msg - 1);
	msg[sizeof msg - 1] = '\0';
	/* Two lines of some 400 bytes through the fallback (an empty tag),
	 * a third as "unknown" rotates unknown.log, then a short one. */
	log_as("", msg, 1);
	log_as("", msg, 2);
	log_as("unknown", msg, 3);
	log_as("", "the last line", 4);
	cr_assert_not_null(text = file_read(hd_path(&d, "apps/unknown.log"),
	    NULL));
	cr_assert_not_null(strstr(text, "the last line"), "%s", text);
	free(text);
	cr_assert_eq(fds_under(d.pid, hd_path(&d, "apps")), 1);
}
