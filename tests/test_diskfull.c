/* SPDX-License-Identifier: ISC */
/*
 * test_diskfull.c: a really full filesystem (a 1 MiB tmpfs, /dev/full),
 * keep_free, and outputs slower than the clients. The daemon must stay up,
 * keep every line whole, count every record it could not write, keep the
 * other output whole, answer stats, and resume by itself with an exact
 * drop marker.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
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

#define NRECORDS	50000

static struct hd d;
static char mnt[256];

/* Mount a 1 MiB tmpfs at DIR/full, with a 256 KiB filler file to free later. */
/*
 * As root the daemon refuses a log directory others can write (see
 * test_logdir.c): the tmpfs is mounted 0755, and outputs that are FIFOs in
 * /tmp (mode 1777) say allow_shared_dir.
 */
static void
mount_small_tmpfs(void)
{
	char dir[] = "/tmp/asynclog-full.XXXXXX";

	if (geteuid() != 0)
		cr_skip_test("needs root to mount a 1 MiB tmpfs (CI runs as root)");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(mnt, sizeof(mnt), "%s", dir);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1M,mode=0755") == -1) {
		rmdir(mnt);
		cr_skip_test("cannot mount tmpfs here: %s", strerror(errno));
	}
	cr_assert_eq(run("head -c 262144 /dev/zero > %s/filler", mnt), 0);
}

static void
unmount_small_tmpfs(void)
{
	hd_stop(&d);
	if (mnt[0] != '\0') {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
	}
}

static void
send_records(const char *sock, long first, long n)
{
	asynclog_t *h = asynclog_open(sock, "filler", ASYNCLOG_BLOCK);
	long i;

	cr_assert_not_null(h);
	for (i = first; i < first + n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %ld padding-to-make-"
		    "the-record-longer-than-a-hundred-bytes-xxxxxxxxxxxxxxxx",
		    i);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);
}

static bool
settled(struct hd *dd, void *name)
{
	char path[128];

	snprintf(path, sizeof(path), "outputs.%s.buffered", (char *)name);
	return hd_stat(dd, path) == 0;
}

/* Every line ends in '\n' and is one whole record: count them, check order. */
static long
whole_record_lines(const char *path, long *markers)
{
	size_t len;
	char *text = file_read(path, &len), *line, *save = NULL, *m;
	long records = 0, last = -1, seq;

	cr_assert_not_null(text);
	cr_assert(len == 0 || text[len - 1] == '\n', "file ends inside a line");
	*markers = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " asynclogd[") != NULL) {
			(*markers)++;
			continue;
		}
		m = strstr(line, "filler[");
		cr_assert_not_null(m, "not a record: %s", line);
		m = strstr(m, "]: t0 ");
		cr_assert_not_null(m, "torn record: %s", line);
		cr_assert_eq(sscanf(m, "]: t0 %ld padding", &seq), 1,
		    "torn record: %s", line);
		cr_assert(strstr(m, "xxxxxxxxxxxxxxxx") != NULL,
		    "torn record: %s", line);
		cr_assert_gt(seq, last, "out of order or duplicate: %s", line);
		last = seq;
		records++;
	}
	free(text);
	return records;
}

static bool
marker_written(struct hd *dd, void *arg)
{
	char *text = file_read((const char *)arg, NULL);
	bool found = text != NULL && strstr(text, "asynclogd[") != NULL;

	(void)dd;
	free(text);
	return found;
}

Test(diskfull, full_tmpfs_drops_and_counts_without_tearing_then_resumes,
    .init = mount_small_tmpfs, .fini = unmount_small_tmpfs, .timeout = 120)
{
	char conf[1024], out[300], *text, *m;
	long records, markers, written, dropped, n;
	long long t0;

	snprintf(out, sizeof(out), "%s/out.log", mnt);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"64K\"; max_memory = \"2M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"full\"; path = \"%s\"; },\n"
	    "  { name = \"disk\"; path = \"@DIR@/disk.log\"; } );\n", out);
	hd_start(&d, conf);
	send_records(d.sock, 0, NRECORDS);
	cr_assert(hd_wait(settled, &d, "full", 20000));
	cr_assert(hd_wait(settled, &d, "disk", 20000));

	/* Still full: the daemon is up, answers, and says it is dropping. */
	text = hd_stats(&d);
	cr_assert_not_null(text);
	cr_assert(strstr(text, "\"state\":\"dropping\"") != NULL, "%s", text);
	written = json_number(text, "outputs.full.written");
	dropped = json_number(text, "outputs.full.dropped.disk_full");
	cr_assert_eq(written + dropped, NRECORDS);
	cr_assert_gt(dropped, 0);
	cr_assert_eq(json_number(text, "outputs.disk.written"), NRECORDS);
	cr_assert(strstr(text, "\"balanced\":false") == NULL, "%s", text);
	free(text);
	records = whole_record_lines(out, &markers);
	cr_assert_eq(markers, 0);
	cr_assert_eq(records, written);

	/* Free space: writing resumes within a second, marker first. */
	t0 = hd_now_ms();
	cr_assert_eq(run("rm %s/filler", mnt), 0);
	cr_assert(hd_wait(marker_written, &d, out, 1000),
	    "no drop marker within 1 s of freeing space");
	cr_log_info("resumed after %lld ms", hd_now_ms() - t0);
	text = file_read(out, NULL);
	m = strstr(text, "asynclogd[");
	cr_assert_not_null(m = strstr(m, "]: dropped "));
	cr_assert_eq(sscanf(m, "]: dropped %ld records (disk full) from ", &n), 1,
	    "bad marker: %.200s", m);
	cr_assert_eq(n, dropped, "marker says %ld, stats say %ld", n, dropped);
	cr_assert(strstr(m, " to ") != NULL);
	cr_assert(strstr(m, "; most from pid ") != NULL, "marker without senders:"
	    " %.200s", m);
	free(text);

	/* And new records land after the marker. */
	send_records(d.sock, NRECORDS, 100);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	records = whole_record_lines(out, &markers);
	cr_assert_eq(markers, 1);
	cr_assert_eq(records, written + 100);
	cr_assert_eq(file_lines(hd_path(&d, "disk.log")), NRECORDS + 100);
}

Test(diskfull, dev_full_output_drops_everything_and_counts_it,
    .fini = unmount_small_tmpfs, .timeout = 60)
{
	char *text;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"64K\"; max_memory = \"2M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"full\"; path = \"/dev/full\"; },\n"
	    "  { name = \"disk\"; path = \"@DIR@/disk.log\"; } );\n");
	send_records(d.sock, 0, NRECORDS);
	cr_assert(hd_wait(settled, &d, "full", 20000));
	cr_assert(hd_wait(settled, &d, "disk", 20000));
	text = hd_stats(&d);
	cr_assert_eq(json_number(text, "outputs.full.written"), 0);
	cr_assert_eq(json_number(text, "outputs.full.dropped.disk_full"),
	    NRECORDS);
	cr_assert_eq(json_number(text, "outputs.disk.written"), NRECORDS);
	cr_assert(strstr(text, "\"reason\":\"disk full\"") != NULL, "%s", text);
	free(text);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	/* Said once, not once per record or per chunk. */
	cr_assert_eq(run("test $(grep -c 'dropping records' %s) -eq 1",
	    d.errlog), 0);
}

Test(diskfull, keep_free_stops_writing_before_the_filesystem_is_full,
    .init = mount_small_tmpfs, .fini = unmount_small_tmpfs, .timeout = 60)
{
	char conf[1024], out[300], *text;
	struct statvfs sv;

	snprintf(out, sizeof(out), "%s/out.log", mnt);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"1M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"full\"; path = \"%s\"; "
	    "keep_free = \"40%%\"; } );\n", out);
	hd_start(&d, conf);
	send_records(d.sock, 0, 20000);
	cr_assert(hd_wait(settled, &d, "full", 20000));
	text = hd_stats(&d);
	cr_assert(strstr(text, "\"reason\":\"keep_free\"") != NULL, "%s", text);
	cr_assert_gt(json_number(text, "outputs.full.dropped.disk_full"), 0);
	cr_assert_eq(json_number(text, "outputs.full.written") +
	    json_number(text, "outputs.full.dropped.disk_full"), 20000);
	free(text);
	cr_assert_eq(statvfs(mnt, &sv), 0);
	cr_assert_geq((double)sv.f_bavail / sv.f_blocks, 0.39,
	    "keep_free did not keep 40%% free");
}

/* A FIFO output read slowly by a thread: the slowest possible disk. */
struct slow_reader {
	int		 fd;
	char		 path[300];
	long		 lines;
	volatile int	 go_fast;
};

static void *
slow_read(void *p)
{
	struct slow_reader *r = p;
	char buf[8192];
	FILE *f = fopen(r->path, "w");
	ssize_t n, i;

	cr_assert_not_null(f);
	for (;;) {
		n = read(r->fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			break;
		}
		fwrite(buf, 1, n, f);
		for (i = 0; i < n; i++)
			r->lines += buf[i] == '\n';
		if (!r->go_fast)
			usleep(2000);
	}
	fclose(f);
	return NULL;
}

static long
count_records(const char *path)
{
	char *text = file_read(path, NULL), *p;
	long n = 0;

	for (p = text; p != NULL && (p = strstr(p, "]: t0 ")) != NULL; p++)
		n++;
	free(text);
	return n;
}

static long
vm_hwm_kib(pid_t pid)
{
	char path[64], *text, *p;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = file_read(path, NULL);
	if (text != NULL && (p = strstr(text, "VmHWM:")) != NULL)
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
}

static void
overflow_run(const char *policy, int flags, long n, long *logged,
    long *in_file, long *client_dropped, long *daemon_dropped, long *hwm)
{
	char conf[1024], fifo[300], *text;
	struct slow_reader r = { 0 };
	pthread_t th;
	asynclog_t *h;
	long i;

	snprintf(fifo, sizeof(fifo), "/tmp/asynclog-fifo.%d", (int)getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	r.fd = open(fifo, O_RDONLY | O_NONBLOCK);
	cr_assert_neq(r.fd, -1);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"64K\"; max_memory = \"1M\"; "
	    "flush_interval_ms = 50; overflow = \"%s\"; "
	    "stall_timeout_ms = 30000; };\n"
	    "outputs = ( { name = \"slow\"; path = \"%s\"; "
	    "allow_shared_dir = true; } );\n",
	    policy, fifo);
	hd_start(&d, conf);
	snprintf(r.path, sizeof(r.path), "%s", hd_path(&d, "slow.copy"));
	pthread_create(&th, NULL, slow_read, &r);

	h = asynclog_open(d.sock, "overflow", flags);
	for (i = 0; i < n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %ld %0100d", i, 0);
	*logged = n;
	r.go_fast = 1;
	cr_assert_eq(asynclog_flush(h, 60000), 0);
	*client_dropped = asynclog_dropped(h);
	asynclog_close(h);
	cr_assert(hd_wait(settled, &d, "slow", 30000));
	text = hd_stats(&d);
	*daemon_dropped = json_number(text, "outputs.slow.dropped_total");
	cr_assert(strstr(text, "\"balanced\":false") == NULL, "%s", text);
	free(text);
	*hwm = vm_hwm_kib(d.pid);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	pthread_join(th, NULL);
	close(r.fd);
	unlink(fifo);
	*in_file = count_records(r.path);
}

Test(diskfull, backpressure_accounts_for_every_record_and_bounds_memory,
    .fini = unmount_small_tmpfs, .timeout = 120)
{
	long logged, in_file, cdrop, ddrop, hwm;

	overflow_run("backpressure", 0, 100000, &logged, &in_file, &cdrop,
	    &ddrop, &hwm);
	cr_log_info("backpressure: logged %ld, file %ld, client dropped %ld, "
	    "daemon dropped %ld, VmHWM %ld KiB", logged, in_file, cdrop, ddrop,
	    hwm);
	cr_assert_eq(ddrop, 0, "backpressure must not drop in the daemon");
	cr_assert_gt(cdrop, 0, "the slow reader should have made the client "
	    "drop");
	cr_assert_eq(in_file + cdrop + ddrop, logged);
	if (getenv("ASYNCLOG_SANITIZE") == NULL ||
	    strcmp(getenv("ASYNCLOG_SANITIZE"), "1") != 0)
		cr_assert_lt(hwm, 1024 + 8 * 1024, "VmHWM %ld KiB", hwm);
}

Test(diskfull, drop_policy_counts_overflow_for_what_is_missing,
    .fini = unmount_small_tmpfs, .timeout = 120)
{
	long logged, in_file, cdrop, ddrop, hwm;

	overflow_run("drop", ASYNCLOG_BLOCK, 100000, &logged, &in_file, &cdrop,
	    &ddrop, &hwm);
	cr_log_info("drop: logged %ld, file %ld, client dropped %ld, daemon "
	    "dropped %ld, VmHWM %ld KiB", logged, in_file, cdrop, ddrop, hwm);
	cr_assert_eq(cdrop, 0);
	cr_assert_gt(ddrop, 0, "the slow reader should have caused overflow");
	cr_assert_eq(in_file + ddrop, logged);
	if (getenv("ASYNCLOG_SANITIZE") == NULL ||
	    strcmp(getenv("ASYNCLOG_SANITIZE"), "1") != 0)
		cr_assert_lt(hwm, 1024 + 8 * 1024, "VmHWM %ld KiB", hwm);
}

Test(diskfull, a_stalled_output_does_not_hold_up_the_others,
    .fini = unmount_small_tmpfs, .timeout = 60)
{
	char conf[1024], fifo[300], *text;
	asynclog_t *h;
	int rfd, i;

	snprintf(fifo, sizeof(fifo), "/tmp/asynclog-stall.%d", (int)getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	/* Opened for the daemon to open its end, then never read. */
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	cr_assert_neq(rfd, -1);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"128K\"; "
	    "flush_interval_ms = 50; stall_timeout_ms = 100; };\n"
	    "shutdown = { drain_timeout_ms = 300; };\n"
	    "outputs = ( { name = \"stalled\"; path = \"%s\"; "
	    "allow_shared_dir = true; },\n"
	    "  { name = \"disk\"; path = \"@DIR@/disk.log\"; } );\n", fifo);
	hd_start(&d, conf);
	h = asynclog_open(d.sock, "filler", ASYNCLOG_BLOCK);
	for (i = 0; i < 20000; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %d %0100d", i, 0);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "disk.log"), 20000, 10000),
	    "the healthy output did not get every record");
	text = hd_stats(&d);
	cr_assert_gt(json_number(text, "outputs.stalled.dropped.overflow"), 0);
	cr_assert_eq(json_number(text, "outputs.disk.written"), 20000);
	free(text);
	/* SIGTERM still ends the daemon: the stuck writer is left behind. */
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 1);
	cr_assert_eq(run("grep -q 'still blocked in a write' %s", d.errlog), 0);
	cr_assert_eq(file_lines(hd_path(&d, "disk.log")), 20000);
	close(rfd);
	unlink(fifo);
}

/*
 * glibc syslog(3) and logger block in send() when the datagram socket's
 * queue is full. So the datagram input never waits for buffer space: with
 * the only output stalled, datagrams are still read at once and counted as
 * overflow drops, and the sender is never held up.
 */
Test(diskfull, datagram_senders_are_never_held_up_by_a_stalled_output,
    .fini = unmount_small_tmpfs, .timeout = 60)
{
	char conf[1024], fifo[300], *text;
	long long t0;
	int rfd;

	snprintf(fifo, sizeof(fifo), "/tmp/asynclog-dgstall.%d", (int)getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);	/* never read */
	cr_assert_neq(rfd, -1);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"64K\"; "
	    "flush_interval_ms = 20; };\n"
	    "shutdown = { drain_timeout_ms = 200; };\n"
	    "outputs = ( { name = \"stalled\"; path = \"%s\"; "
	    "allow_shared_dir = true; } );\n", fifo);
	hd_start(&d, conf);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	t0 = hd_now_ms();
	cr_assert_eq(run("seq 1 20000 | logger -u %s -t dg", hd_path(&d,
	    "dgram.sock")), 0);
	cr_log_info("20000 datagrams sent in %lld ms", hd_now_ms() - t0);
	text = hd_stats(&d);
	cr_assert_gt(json_number(text, "outputs.stalled.dropped.overflow"),
	    15000, "%s", text);
	cr_assert(strstr(text, "\"balanced\":false") == NULL, "%s", text);
	free(text);
	hd_signal(&d, SIGKILL, 5000);
	close(rfd);
	unlink(fifo);
}

struct dgram_flood {
	const char	*path;
	volatile int	 stop;
};

static void *
dgram_flood(void *p)
{
	struct dgram_flood *f = p;
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	while (!f->stop) {
		if (sendto(fd, "<13>dg: flood", 13, MSG_DONTWAIT,
		    (struct sockaddr *)&sun, sizeof(sun)) == -1)
			usleep(500);
	}
	close(fd);
	return NULL;
}

/*
 * Datagrams that find the pool empty are dropped one by one; that must not
 * mark the output stalled, or stream clients would lose backpressure too.
 */
Test(diskfull, datagram_drops_leave_backpressure_to_stream_clients,
    .fini = unmount_small_tmpfs, .timeout = 120)
{
	char conf[1024], fifo[300];
	struct slow_reader r = { 0 };
	struct dgram_flood f = { 0 };
	pthread_t th, fl;
	asynclog_t *h;
	long i;

	snprintf(fifo, sizeof(fifo), "/tmp/asynclog-mix.%d", (int)getpid());
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	r.fd = open(fifo, O_RDONLY | O_NONBLOCK);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"64K\"; "
	    "flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"slow\"; path = \"%s\"; "
	    "allow_shared_dir = true; } );\n", fifo);
	hd_start(&d, conf);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	snprintf(r.path, sizeof(r.path), "%s", hd_path(&d, "slow.copy"));
	pthread_create(&th, NULL, slow_read, &r);
	f.path = hd_path(&d, "dgram.sock");
	pthread_create(&fl, NULL, dgram_flood, &f);

	h = asynclog_open(d.sock, "overflow", ASYNCLOG_BLOCK);
	for (i = 0; i < 20000; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %ld %0100d", i, 0);
	r.go_fast = 1;
	cr_assert_eq(asynclog_flush(h, 60000), 0);
	f.stop = 1;
	pthread_join(fl, NULL);
	asynclog_close(h);
	cr_assert(hd_wait(settled, &d, "slow", 30000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	pthread_join(th, NULL);
	close(r.fd);
	unlink(fifo);
	cr_assert_eq(count_records(r.path), 20000,
	    "library records were dropped: backpressure was switched off");
	cr_assert_eq(run("grep -c 'no room for' %s | grep -qx 0", d.errlog), 0);
}

Test(diskfull, stopping_while_the_disk_is_still_full_leaves_the_marker,
    .init = mount_small_tmpfs, .fini = unmount_small_tmpfs, .timeout = 60)
{
	char conf[1024], out[300], *text, *last;
	long records, markers, written, dropped, n;
	struct statvfs sv;

	snprintf(out, sizeof(out), "%s/out.log", mnt);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"64K\"; max_memory = \"2M\"; "
	    "flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"full\"; path = \"%s\"; } );\n", out);
	hd_start(&d, conf);
	send_records(d.sock, 0, 20000);
	cr_assert(hd_wait(settled, &d, "full", 20000));
	text = hd_stats(&d);
	written = json_number(text, "outputs.full.written");
	dropped = json_number(text, "outputs.full.dropped.disk_full");
	free(text);
	cr_assert_gt(dropped, 0);
	/* The writer keeps blocks allocated past the end of the file for the
	 * marker (8 KiB; tmpfs counts them in st_blocks). */
	{
		struct stat st;

		cr_assert_eq(stat(out, &st), 0);
		cr_assert_geq((long long)st.st_blocks * 512,
		    (long long)st.st_size + 4096, "no reserve past EOF: %lld "
		    "bytes allocated for %lld", (long long)st.st_blocks * 512,
		    (long long)st.st_size);
	}
	/* Not one free block: only the writer's reserve (or the slack in the
	 * last page) can take the marker. */
	cr_assert_eq(run("head -c 1048576 /dev/zero > %s/plug 2>/dev/null; "
	    "true", mnt), 0);
	cr_assert_eq(statvfs(mnt, &sv), 0);
	cr_assert_lt(sv.f_bavail, 2, "the filesystem still has %lu blocks",
	    (unsigned long)sv.f_bavail);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	records = whole_record_lines(out, &markers);
	cr_assert_eq(records, written);
	cr_assert_eq(markers, 1, "no drop marker at shutdown");
	text = file_read(out, NULL);
	last = strstr(text, " asynclogd[");
	cr_assert_not_null(last);
	cr_assert_eq(sscanf(strstr(last, "]: dropped "), "]: dropped %ld", &n), 1);
	cr_assert_eq(n, dropped);
	free(text);
}
