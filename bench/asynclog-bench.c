/* SPDX-License-Identifier: ISC */
/*
 * asynclog-bench.c: throughput, latency and memory of asynclogd, measured
 * against the ceiling of this machine and, on request, rsyslog and syslog-ng.
 *
 *   asynclog-bench [-w W1|W2|W3|all] [-c N -n M -s S] [--compare] [--smoke]
 *   asynclog-bench --idle-latency N [--compare] [--build-b DIR]
 *   asynclog-bench --call-latency N
 *
 * One run = one server (bench-server.c) in a fresh temp dir, N forked
 * clients (bench-client.c) that each send M records of S bytes and then
 * exit, and the parent following the output file (bench-verify.c). The
 * clock starts when the clients are released together and stops when the
 * last of the N*M records is in the file; the server's VmHWM is read before
 * it gets SIGTERM. Results go to one table per workload; docs/PERFORMANCE.md
 * says what every column means and what the numbers were.
 *
 * Exit status: 0, 1 when a run could not be made (a server did not start, a
 * client failed), 2 for bad usage; with --smoke also 1 when any record was
 * lost, duplicated or damaged. The smoke run is part of `make test`.
 * Needs $ASYNCLOG_BUILD (or --build) to find asynclogd.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define SETTLE_MS	2000	/* no new record this long after clients end: done */
#define SETTLE_FWD_MS	15000	/* the same when forwarding: a collector's
				 * queue can hold seconds of records, and a
				 * stalled RELP session gives up after 10 s */
#define MAX_CLIENTS	999	/* the record header has 3 digits for the client */
#define MAX_SIZE	(60 * 1024)	/* under asynclogd's default 64 KiB */
#define MIN_SIZE	20	/* the header, 19 bytes, and one 'x' */

/* A run: which server, fed through which input (and, forwarding, over
 * which protocol to the collector). */
struct bench_run {
	const char		*name;
	enum bench_server_kind	 server;
	enum bench_input	 input;
	bool			 block;		/* handles opened with ASYNCLOG_BLOCK */
	const char		*forward;	/* NULL: to a file */
};

static const struct bench_run bench_runs[] = {
	{ "null-sink",		SERVER_NULL,		INPUT_STREAM, false, NULL },
	{ "asynclog",		SERVER_ASYNCLOGD,	INPUT_LIB, false, NULL },
	{ "asynclog-block",	SERVER_ASYNCLOGD,	INPUT_LIB, true, NULL },
	{ "stream",		SERVER_ASYNCLOGD,	INPUT_STREAM, false, NULL },
	{ "dgram",		SERVER_ASYNCLOGD,	INPUT_DGRAM, false, NULL },
	{ "rsyslog-stream",	SERVER_RSYSLOG,		INPUT_STREAM, false, NULL },
	{ "rsyslog-dgram",	SERVER_RSYSLOG,		INPUT_DGRAM, false, NULL },
	{ "syslog-ng-stream",	SERVER_SYSLOGNG,	INPUT_STREAM, false, NULL },
	{ "syslog-ng-dgram",	SERVER_SYSLOGNG,	INPUT_DGRAM, false, NULL },
	/* Forwarding to a local rsyslog collector (bench-collector.c). */
	{ "fwd-tcp",		SERVER_ASYNCLOGD,	INPUT_STREAM, false, "tcp" },
	{ "fwd-relp",		SERVER_ASYNCLOGD,	INPUT_STREAM, false, "relp" },
	{ "rsyslog-fwd-tcp",	SERVER_RSYSLOG,		INPUT_STREAM, false, "tcp" },
	{ "rsyslog-fwd-relp",	SERVER_RSYSLOG,		INPUT_STREAM, false, "relp" },
	{ "tcp",		SERVER_ASYNCLOGD,	INPUT_TCP, false, NULL },
	{ "rsyslog-tcp",	SERVER_RSYSLOG,		INPUT_TCP, false, NULL },
};
#define NRUNS	(sizeof(bench_runs) / sizeof(bench_runs[0]))

static const struct bench_workload bench_workloads[] = {
	{ "W1", 4, 250000, 128 },
	{ "W2", 1, 1000000, 128 },
	{ "W3", 4, 50000, 2048 },
};
#define NWORKLOADS (sizeof(bench_workloads) / sizeof(bench_workloads[0]))

/* What one run measured. */
struct bench_result {
	bool		 done;		/* the run happened */
	bool		 failed;	/* it could not be made */
	bool		 timed_out;
	double		 seconds;	/* release of clients to last record in file */
	double		 rate;		/* records/s */
	double		 mbps;		/* message bytes / s / 1e6 */
	struct bench_latency lat;
	long		 hwm_kib;
	double		 cpu_rec;	/* server CPU ns per record, -1 unknown */
	uint64_t	 lost, dups, corrupt, other;
	uint64_t	 client_dropped;	/* what the clients say they dropped */
	int		 exit_status;	/* the server's, after SIGTERM */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: asynclog-bench [options]\n"
	    "\n"
	    "Sends N client processes x M records of S bytes through asynclogd\n"
	    "(libasynclog, syslog stream, syslog dgram) and through a null sink\n"
	    "(the socket-to-file ceiling), and reports records/s, MB/s, client\n"
	    "call latency, daemon peak RSS, daemon CPU time per record and\n"
	    "records lost.\n"
	    "\n"
	    "  -w, --workload W     W1 (4 x 250000 x 128 B), W2 (1 x 1000000 x\n"
	    "                       128 B), W3 (4 x 50000 x 2 KiB) or all\n"
	    "                       (default W1)\n"
	    "  -c, --clients N      custom workload: N clients...\n"
	    "  -n, --records M      ... of M records each ...\n"
	    "  -s, --size S         ... of S message bytes (%d..%d)\n"
	    "  -i, --runs LIST      comma-separated runs: null-sink, asynclog,\n"
	    "                       asynclog-block, stream, dgram, rsyslog-stream,\n"
	    "                       rsyslog-dgram, syslog-ng-stream, syslog-ng-dgram,\n"
	    "                       fwd-tcp, fwd-relp, rsyslog-fwd-tcp,\n"
	    "                       rsyslog-fwd-relp (forwarding to a local rsyslog\n"
	    "                       collector over TCP or RELP)\n"
	    "                       tcp, rsyslog-tcp (syslog lines over TCP to\n"
	    "                       127.0.0.1: the network input, rsyslog's imtcp)\n"
	    "                       (default: the first five, plus the two\n"
	    "                       -stream ones with --compare)\n"
	    "      --compare        also run rsyslog and syslog-ng where installed\n"
	    "                       (bench/install-comparisons.sh installs them)\n"
	    "      --smoke          2 x 2000 x 100 B through every asynclogd input\n"
	    "                       and the null sink; exit 1 if any record is lost\n"
	    "      --log            time asynclog_log(h, pri, \"%%s\", msg) instead\n"
	    "                       of asynclog_write()\n"
	    "      --block          open every handle with ASYNCLOG_BLOCK (the\n"
	    "                       asynclog-block run always does)\n"
	    "      --sync MODE      asynclogd output sync: never (default),\n"
	    "                       interval, always\n"
	    "      --perf FILE      perf record -g the daemon of every asynclogd\n"
	    "                       run into FILE.RUN\n"
	    "      --build DIR      where asynclogd is (default $ASYNCLOG_BUILD,\n"
	    "                       then ./build)\n"
	    "      --build-b DIR    A/B: also make every asynclogd run with\n"
	    "                       DIR/asynclogd, in rows \"RUN B\"; with --repeat\n"
	    "                       each repetition runs both builds, taking\n"
	    "                       turns at going first (A B, B A, ...), and\n"
	    "                       each build gets its own median\n"
	    "      --syslog-ng-root DIR  where install-comparisons.sh unpacked\n"
	    "                       syslog-ng (default /opt/asynclog-bench/syslog-ng)\n"
	    "      --dir DIR        make the temp dir under DIR (default $TMPDIR\n"
	    "                       or /tmp)\n"
	    "      --keep           keep the temp dir and every output file\n"
	    "      --timeout SEC    give up on a run after SEC s (default 300)\n"
	    "      --repeat N       make every run N times, report the median\n"
	    "                       by records/s (default 1); CPU ns is the\n"
	    "                       median of the N runs' own\n"
	    "      --call-latency N instead of throughput: the cost of one log\n"
	    "                       call in the caller (ASYNCLOG, asynclog_log,\n"
	    "                       asynclog_write, snprintf), N batches of 1000\n"
	    "      --deferred       time ASYNCLOG(h, pri, \"%%s\", msg) instead\n"
	    "                       of asynclog_write\n"
	    "      --idle-latency N instead of throughput: N times, one record\n"
	    "                       from a command (the asynclog CLI; logger(1)\n"
	    "                       to the syslog dgram socket) to an idle\n"
	    "                       server, timed until its line is in the file;\n"
	    "                       asynclogd with its default flush_interval_ms;\n"
	    "                       rsyslog too with --compare\n"
	    "  -v, --verbose        say what happens\n"
	    "  -h, --help           this help\n",
	    MIN_SIZE, MAX_SIZE);
}

/* Start `perf record -g -p PID -o FILE`; 0 when none was asked for. */
static pid_t
bench_perf_start(const char *file, pid_t target)
{
	char	pidarg[32];
	pid_t	pid;

	snprintf(pidarg, sizeof(pidarg), "%ld", (long)target);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "bench: fork: %s\n", strerror(errno));
		return (0);
	}
	if (pid == 0) {
		execlp("perf", "perf", "record", "-q", "-g", "-o", file, "-p",
		    pidarg, (char *)NULL);
		fprintf(stderr, "bench: exec perf: %s\n", strerror(errno));
		_exit(127);
	}
	bench_sleep_ms(300);	/* let it attach before the clock starts */
	return (pid);
}

static void
bench_perf_stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	if (kill(pid, SIGINT) == -1)
		fprintf(stderr, "bench: kill perf: %s\n", strerror(errno));
	if (waitpid(pid, &status, 0) == -1)
		fprintf(stderr, "bench: wait perf: %s\n", strerror(errno));
}

/*
 * Wait for the clients still running; after the deadline kill them. Returns
 * how many exited with a failure.
 */
static unsigned
bench_reap(pid_t *pids, unsigned n, uint64_t deadline)
{
	unsigned	i, failed = 0;
	int		status;
	pid_t		r;

	for (i = 0; i < n; i++) {
		while (pids[i] > 0) {
			r = waitpid(pids[i], &status, WNOHANG);
			if (r == pids[i]) {
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					failed++;
				pids[i] = 0;
			} else if (r == -1 && errno != EINTR) {
				pids[i] = 0;
				failed++;
			} else if (bench_now_ns() > deadline) {
				if (kill(pids[i], SIGKILL) == -1)
					fprintf(stderr, "bench: kill: %s\n",
					    strerror(errno));
				deadline = UINT64_MAX;
			} else
				bench_sleep_ms(1);
		}
	}
	return (failed);
}

static int
bench_one(const struct bench_run *run, const struct bench_workload *w,
    const struct bench_opts *o, const char *tmpdir, const char *perf_out,
    struct bench_result *res)
{
	struct bench_opts		 ro = *o;
	struct bench_server		 srv;
	struct bench_collector		 col = { .pid = -1 };
	struct bench_verify		 v;
	struct bench_client_result	*cres;
	struct bench_latency		*lat;
	const char			*sock;
	char				 perf_file[512], label[64];
	pid_t				*pids, perf_pid = 0;
	size_t				 shsize;
	uint64_t			 expected, t0, t_last, clients_done = 0;
	uint64_t			 deadline, prev, now, cpu0, cpu1;
	unsigned			 i, left, failed = 0;
	int				 go[2];

	memset(res, 0, sizeof(*res));
	res->done = true;
	ro.block = o->block || run->block;
	res->hwm_kib = -1;
	res->cpu_rec = -1;
	expected = (uint64_t)w->clients * w->records;
	shsize = sizeof(*lat) + w->clients * sizeof(*cres);
	if ((pids = calloc(w->clients, sizeof(*pids))) == NULL) {
		res->failed = true;
		return (-1);
	}
	lat = mmap(NULL, shsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED) {
		fprintf(stderr, "bench: mmap: %s\n", strerror(errno));
		free(pids);
		res->failed = true;
		return (-1);
	}
	memset(lat, 0, shsize);
	cres = (struct bench_client_result *)(lat + 1);

	if (o->verbose)
		fprintf(stderr, "bench: %s %s: starting %s\n", w->name,
		    run->name, server_name(run->server));
	snprintf(label, sizeof(label), "%s-%s", w->name, run->name);
	/* Forwarding: the collector first, then the forwarder, and the
	 * records must reach the collector's file. */
	ro.forward = run->forward;
	if (run->forward != NULL) {
		if (collector_start(&col, tmpdir, label, run->forward) == -1) {
			collector_stop(&col, true);
			munmap(lat, shsize);
			free(pids);
			res->failed = true;
			return (-1);
		}
		ro.forward_port = col.port;
	}
	if (server_start(&srv, run->server, tmpdir, label, &ro) == -1 ||
	    verify_init(&v, run->forward != NULL ? col.out : srv.out, w) == -1) {
		server_cleanup(&srv, true);
		collector_stop(&col, true);
		munmap(lat, shsize);
		free(pids);
		res->failed = true;
		return (-1);
	}
	sock = run->input == INPUT_LIB ? srv.native :
	    run->input == INPUT_STREAM ? srv.stream :
	    run->input == INPUT_TCP ? srv.tcp : srv.dgram;

	if (pipe2(go, O_CLOEXEC) == -1) {
		fprintf(stderr, "bench: pipe: %s\n", strerror(errno));
		res->failed = true;
		goto out;
	}
	for (i = 0; i < w->clients; i++) {
		pids[i] = client_spawn(i, run->input, sock, w, &ro, go, &cres[i],
		    i == 0 ? lat : NULL);
		if (pids[i] == -1) {
			fprintf(stderr, "bench: fork: %s\n", strerror(errno));
			pids[i] = 0;
			failed++;
		}
	}
	close(go[0]);
	if (perf_out != NULL && run->server == SERVER_ASYNCLOGD) {
		snprintf(perf_file, sizeof(perf_file), "%s.%s.%s", perf_out,
		    w->name, run->name);
		perf_pid = bench_perf_start(perf_file, srv.pid);
	}
	/* Let every client connect and settle; they wait on the pipe. */
	bench_sleep_ms(200);

	cpu0 = server_cpu_ns(&srv);
	t0 = t_last = bench_now_ns();
	deadline = t0 + (uint64_t)o->timeout_s * 1000000000u;
	close(go[1]);
	for (;;) {
		prev = v.unique;
		if (verify_poll(&v) == -1) {
			res->failed = true;
			break;
		}
		now = bench_now_ns();
		if (v.unique != prev)
			t_last = now;
		if (v.unique >= expected)
			break;
		if (clients_done == 0) {
			for (left = 0, i = 0; i < w->clients; i++) {
				int status;
				pid_t r;

				if (pids[i] == 0)
					continue;
				r = waitpid(pids[i], &status, WNOHANG);
				if (r == pids[i]) {
					if (!WIFEXITED(status) ||
					    WEXITSTATUS(status) != 0)
						failed++;
					pids[i] = 0;
				} else
					left++;
			}
			if (left == 0)
				clients_done = now;
		} else if (now - (t_last > clients_done ? t_last : clients_done) >
		    (uint64_t)(run->forward != NULL ? SETTLE_FWD_MS :
		    SETTLE_MS) * 1000000)
			break;
		if (now > deadline) {
			res->timed_out = true;
			break;
		}
		if (v.unique == prev)
			bench_sleep_ms(1);
	}
	res->seconds = (double)(t_last - t0) / 1e9;
	cpu1 = server_cpu_ns(&srv);
	res->hwm_kib = server_vmhwm_kib(&srv);
	bench_perf_stop(perf_pid);
	failed += bench_reap(pids, w->clients, bench_now_ns() + 10000000000u);
	res->exit_status = server_stop(&srv, 120);
	if (verify_poll(&v) == -1)	/* whatever the drain wrote */
		res->failed = true;

	res->lost = expected - v.unique;
	res->dups = v.dups;
	res->corrupt = v.corrupt;
	res->other = v.other;
	for (i = 0; i < w->clients; i++) {
		res->client_dropped += cres[i].dropped;
		if (cres[i].error != 0 && o->verbose)
			fprintf(stderr, "bench: %s client %u: %s\n", run->name,
			    i, strerror(cres[i].error));
	}
	res->lat = *lat;
	if (cpu0 != UINT64_MAX && cpu1 != UINT64_MAX && cpu1 >= cpu0 &&
	    v.unique > 0)
		res->cpu_rec = (double)(cpu1 - cpu0) / (double)v.unique;
	if (res->seconds > 0) {
		res->rate = (double)v.unique / res->seconds;
		res->mbps = (double)v.unique * (double)w->size / res->seconds /
		    1e6;
	}
	if (failed > 0) {
		fprintf(stderr, "bench: %s %s: %u client(s) failed\n", w->name,
		    run->name, failed);
		res->failed = true;
	}
	if (res->timed_out)
		fprintf(stderr, "bench: %s %s: timed out after %u s\n", w->name,
		    run->name, o->timeout_s);
	if (run->server == SERVER_ASYNCLOGD && (!WIFEXITED(res->exit_status) ||
	    WEXITSTATUS(res->exit_status) != 0))
		fprintf(stderr, "bench: asynclogd did not exit 0 after SIGTERM "
		    "(status %#x); see %s\n", (unsigned)res->exit_status, srv.log);
out:
	verify_free(&v);
	bench_reap(pids, w->clients, bench_now_ns() + 10000000000u);
	server_cleanup(&srv, o->keep || res->failed);
	collector_stop(&col, o->keep || res->failed);
	munmap(lat, shsize);
	free(pids);
	return (res->failed ? -1 : 0);
}

static int
bench_cmp_rate(const void *a, const void *b)
{
	double x = ((const struct bench_result *)a)->rate;
	double y = ((const struct bench_result *)b)->rate;

	return ((x > y) - (x < y));
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/*
 * The run with the median records/s of n, whole; but its CPU per record is
 * the median of the n runs' own (each run's CPU over its own records).
 */
static void
bench_median(struct bench_result *all, unsigned n, struct bench_result *res)
{
	double		cpu[99];
	unsigned	k, ncpu = 0;

	for (k = 0; k < n && k < 99; k++)
		if (all[k].cpu_rec >= 0)
			cpu[ncpu++] = all[k].cpu_rec;
	qsort(all, n, sizeof(*all), bench_cmp_rate);
	*res = all[n / 2];
	qsort(cpu, ncpu, sizeof(*cpu), bench_cmp_double);
	res->cpu_rec = ncpu == n ? cpu[ncpu / 2] : -1;
}

/* Records lost that no client counted as dropped, where that is a fault. */
static bool
bench_lossy(const struct bench_run *run, const struct bench_result *r)
{
	return (r->lost > r->client_dropped && !(run->input == INPUT_DGRAM ||
	    run->server != SERVER_ASYNCLOGD));
}

/*
 * A shared 2-CPU machine is noisy: with --repeat N every run is made N
 * times and the one with the median records/s is reported, whole (its
 * latency, memory and losses with it, not a mix of runs). Any failed or
 * lossy repetition is reported instead, so a median never hides a loss.
 *
 * With nbuilds 2 (--build-b) every repetition runs both builds back to back,
 * taking turns at going first (A B, B A, A B, ...), so that both see the
 * same machine; res[b] is build b's median.
 */
static int
bench_repeat(const struct bench_run *run, const struct bench_workload *w,
    const struct bench_opts *const opts[], unsigned nbuilds,
    const char *tmpdir, const char *perf, unsigned repeat,
    struct bench_result res[])
{
	struct bench_result	*all;
	const char		*bperf;
	char			 perf_b[400];
	unsigned		 k, i = 0, b, done;
	int			 rc = 0;

	if ((all = calloc((size_t)nbuilds * repeat, sizeof(*all))) == NULL) {
		for (b = 0; b < nbuilds; b++)
			res[b].done = res[b].failed = true;
		return (-1);
	}
	for (b = 0; b < nbuilds; b++)
		memset(&res[b], 0, sizeof(res[b]));
	for (k = 0; k < repeat; k++) {
		for (i = 0; i < nbuilds; i++) {
			b = k % 2 == 0 ? i : nbuilds - 1 - i;
			bperf = perf;
			if (perf != NULL && b > 0) {
				snprintf(perf_b, sizeof(perf_b), "%s.B", perf);
				bperf = perf_b;
			}
			if (bench_one(run, w, opts[b], tmpdir, bperf,
			    &all[b * repeat + k]) == -1 ||
			    bench_lossy(run, &all[b * repeat + k])) {
				res[b] = all[b * repeat + k];
				rc = res[b].failed ? -1 : 0;
				goto out;
			}
		}
	}
out:
	/* The others: the median of the repetitions they made. */
	for (b = 0; b < nbuilds; b++) {
		if (res[b].done)
			continue;
		done = k < repeat && (k % 2 == 0 ? b < i : nbuilds - 1 - b < i) ?
		    k + 1 : k;
		if (done > 0)
			bench_median(&all[b * repeat], done, &res[b]);
	}
	free(all);
	return (rc);
}

static void
bench_ratio(char *dst, size_t cap, const struct bench_result *r,
    const struct bench_result *base)
{
	if (base == NULL || !base->done || base->failed || base->rate <= 0 ||
	    r->rate <= 0)
		snprintf(dst, cap, "-");
	else
		snprintf(dst, cap, "%.2f", r->rate / base->rate);
}

static void
bench_ns(char *dst, size_t cap, bool valid, uint64_t ns)
{
	if (!valid)
		snprintf(dst, cap, "-");
	else
		snprintf(dst, cap, "%llu", (unsigned long long)ns);
}

/* One table row: run i (name), its result r. */
static void
bench_row(const char *name, size_t i, const struct bench_result *r,
    const struct bench_result *res)
{
	const struct bench_result	*rs_s = &res[5], *rs_d = &res[6];
	const struct bench_result	*ng_s = &res[7], *ng_d = &res[8];
	const struct bench_result	*rs_t = &res[10];
	const struct bench_result	*rs, *ng;
	size_t				 j;
	char				 p50[24], p99[24], p999[24], hwm[24];
	char				 cpu[24], xnull[16], xrs[16], xng[16];

	if (r->failed && r->rate <= 0) {
		printf("%-17s failed (see messages above)\n", name);
		return;
	}
	/* Against rsyslog fed the same way (TCP against its imtcp). */
	rs = bench_runs[i].input == INPUT_DGRAM ? rs_d :
	    bench_runs[i].input == INPUT_TCP ? rs_t : rs_s;
	ng = bench_runs[i].input == INPUT_DGRAM ? ng_d : ng_s;
	if (bench_runs[i].forward != NULL) {
		/* Against rsyslog forwarding over the same protocol. */
		rs = ng = NULL;
		for (j = 0; j < NRUNS; j++)
			if (bench_runs[j].server == SERVER_RSYSLOG &&
			    bench_runs[j].forward != NULL &&
			    strcmp(bench_runs[j].forward,
			    bench_runs[i].forward) == 0)
				rs = &res[j];
	}
	bench_ns(p50, sizeof(p50), r->lat.valid, r->lat.p50);
	bench_ns(p99, sizeof(p99), r->lat.valid, r->lat.p99);
	bench_ns(p999, sizeof(p999), r->lat.valid, r->lat.p999);
	if (r->hwm_kib < 0)
		snprintf(hwm, sizeof(hwm), "-");
	else
		snprintf(hwm, sizeof(hwm), "%.1f", (double)r->hwm_kib / 1024);
	if (r->cpu_rec < 0)
		snprintf(cpu, sizeof(cpu), "-");
	else
		snprintf(cpu, sizeof(cpu), "%.0f", r->cpu_rec);
	bench_ratio(xnull, sizeof(xnull), r, &res[0]);
	bench_ratio(xrs, sizeof(xrs), r, rs);
	bench_ratio(xng, sizeof(xng), r, ng);
	printf("%-17s %10.0f %7.1f %7.3f %7s %8s %8s %6s %7s %8llu %5llu "
	    "%7s %9s %10s%s\n",
	    name, r->rate, r->mbps, r->seconds, p50, p99, p999, hwm, cpu,
	    (unsigned long long)r->lost, (unsigned long long)r->dups, xnull,
	    xrs, xng, r->timed_out ? "  (timed out)" : "");
	if (r->corrupt > 0 || r->client_dropped > 0)
		printf("%-17s   %llu damaged records, clients report "
		    "%llu dropped\n", "", (unsigned long long)r->corrupt,
		    (unsigned long long)r->client_dropped);
}

/* res: every run's result; res_b: the second build's, NULL without one. */
static void
bench_table(const struct bench_workload *w, const struct bench_result *res,
    const struct bench_result *res_b)
{
	char	name[32];
	size_t	i;

	printf("\n%s: %u client%s x %llu records x %zu B = %.1f MB of messages\n",
	    w->name, w->clients, w->clients == 1 ? "" : "s",
	    (unsigned long long)w->records, w->size,
	    (double)w->clients * (double)w->records * (double)w->size / 1e6);
	printf("%-17s %10s %7s %7s %7s %8s %8s %6s %7s %8s %5s %7s %9s %10s\n",
	    "run", "records/s", "MB/s", "time s", "p50 ns", "p99 ns",
	    "p99.9 ns", "RSS MiB", "CPU ns", "lost", "dup", "x null",
	    "x rsyslog", "x syslog-ng");
	for (i = 0; i < NRUNS; i++) {
		if (res[i].done)
			bench_row(bench_runs[i].name, i, &res[i], res);
		if (res_b != NULL && res_b[i].done) {
			snprintf(name, sizeof(name), "%s B", bench_runs[i].name);
			bench_row(name, i, &res_b[i], res);
		}
	}
	fflush(stdout);
}

static int
bench_select_runs(const char *list, bool *sel)
{
	char	*copy, *tok, *save = NULL;
	size_t	 i;
	int	 rc = 0;

	if ((copy = strdup(list)) == NULL)
		return (-1);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NRUNS; i++)
			if (strcmp(tok, bench_runs[i].name) == 0)
				break;
		if (i == NRUNS) {
			fprintf(stderr, "asynclog-bench: unknown run '%s'\n",
			    tok);
			rc = -1;
		} else
			sel[i] = true;
	}
	free(copy);
	return (rc);
}

static unsigned long long
bench_number(const char *s, const char *what, unsigned long long min,
    unsigned long long max)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "asynclog-bench: %s must be %llu..%llu\n", what,
		    min, max);
		exit(2);
	}
	return (v);
}

/*
 * Smoke verdict for one run. A handle without ASYNCLOG_BLOCK may drop when
 * its ring is full (the library's promise is never to block, and a loaded
 * CI machine can starve the sender), but then exactly the records it
 * counted must be missing: a silent loss fails. Every other asynclogd
 * input must lose nothing at this load.
 */
static bool
bench_smoke_failed(const struct bench_run *run, const struct bench_result *r)
{
	if (run->server != SERVER_ASYNCLOGD)
		return (false);
	if (r->failed || r->dups > 0 || r->corrupt > 0)
		return (true);
	if (run->input == INPUT_LIB && !run->block)
		return (r->lost != r->client_dropped);
	return (r->lost > 0);
}

/* One idle-latency row: start the server, time tries records, stop it. */
static int
bench_idle_row(const char *name, enum bench_server_kind kind, bool cli,
    const struct bench_opts *o, const char *cli_path, const char *tmpdir,
    unsigned tries)
{
	struct bench_server	 srv;
	struct bench_latency	 lat;
	const char		*argv[8];
	char			 label[64];
	unsigned		 failed;
	int			 rc;

	snprintf(label, sizeof(label), "idle-%s-%s", name, cli ? "cli" :
	    "logger");
	if (server_start(&srv, kind, tmpdir, label, o) == -1) {
		server_cleanup(&srv, true);
		return (-1);
	}
	if (cli) {
		argv[0] = cli_path;
		argv[1] = "-u";
		argv[2] = srv.native;
	} else {
		argv[0] = "logger";
		argv[1] = "-u";
		argv[2] = srv.dgram;
	}
	argv[3] = "-t";
	argv[4] = "idle";
	argv[5] = "%s";
	argv[6] = NULL;
	rc = idle_latency(srv.out, argv, tries, &lat, &failed);
	printf("%-14s %-18s %8.2f %8.2f %8.2f %6u\n", name, cli ?
	    "asynclog (CLI)" : "logger (dgram)", lat.p50 / 1e6, lat.p99 / 1e6,
	    lat.max / 1e6, failed);
	fflush(stdout);
	if (server_stop(&srv, o->timeout_s) == -1)
		rc = -1;
	server_cleanup(&srv, o->keep);
	return (rc);
}

static int
bench_idle(const struct bench_opts *a, const struct bench_opts *b,
    bool compare, const char *tmpdir, unsigned tries)
{
	struct bench_opts	 oa = *a, ob = *b;
	char			 cli[600];
	int			 status = 0;

	/* The shipped flush_interval_ms: the bound, not the usual delay. */
	oa.flush_ms = ob.flush_ms = 0;
	snprintf(cli, sizeof(cli), "%s/asynclog", a->build);
	printf("\nidle latency: one record, client started -> its line in the "
	    "file; %u tries, each after %d ms of quiet\n", tries, 30);
	printf("%-14s %-18s %8s %8s %8s %6s\n", "server", "client", "p50 ms",
	    "p99 ms", "max ms", "failed");
	if (bench_idle_row("asynclogd", SERVER_ASYNCLOGD, true, &oa, cli,
	    tmpdir, tries) == -1)
		status = 1;
	if (b != a && bench_idle_row("asynclogd B", SERVER_ASYNCLOGD, true,
	    &ob, cli, tmpdir, tries) == -1)
		status = 1;
	if (bench_idle_row("asynclogd", SERVER_ASYNCLOGD, false, &oa, cli,
	    tmpdir, tries) == -1)
		status = 1;
	if (b != a && bench_idle_row("asynclogd B", SERVER_ASYNCLOGD, false,
	    &ob, cli, tmpdir, tries) == -1)
		status = 1;
	if (compare && server_available(SERVER_RSYSLOG, a) &&
	    bench_idle_row("rsyslog", SERVER_RSYSLOG, false, &oa, cli, tmpdir,
	    tries) == -1)
		status = 1;
	return (status);
}

/* Call latency: a daemon of its own, the four forms in one process. */
static int
bench_calls(const struct bench_opts *o, const char *tmpdir, unsigned batches)
{
	struct bench_server	 srv;
	int			 rc;

	if (server_start(&srv, SERVER_ASYNCLOGD, tmpdir, "calls", o) == -1) {
		server_cleanup(&srv, true);
		return (-1);
	}
	rc = call_latency(srv.native, batches);
	if (server_stop(&srv, o->timeout_s) == -1)
		rc = -1;
	server_cleanup(&srv, o->keep);
	return (rc);
}

static void
bench_machine(void)
{
	char	 line[512], model[256] = "?";
	FILE	*f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "model name : %255[^\n]", model) == 1)
				break;
		fclose(f);
	}
	printf("machine: %ld CPUs, %s\n", sysconf(_SC_NPROCESSORS_ONLN), model);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "clients", required_argument, NULL, 'c' },
		{ "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'i' },
		{ "compare", no_argument, NULL, 'C' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "log", no_argument, NULL, 'L' },
		{ "block", no_argument, NULL, 'B' },
		{ "sync", required_argument, NULL, 'Y' },
		{ "perf", required_argument, NULL, 'P' },
		{ "build", required_argument, NULL, 'b' },
		{ "build-b", required_argument, NULL, 'A' },
		{ "syslog-ng-root", required_argument, NULL, 'R' },
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "idle-latency", required_argument, NULL, 'I' },
		{ "call-latency", required_argument, NULL, 'K' },
		{ "deferred", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench_opts	 o, ob;
	const struct bench_opts	*opts[2] = { &o, &ob };
	struct bench_workload	 custom = { "custom", 0, 0, 0 }, smoke =
				    { "smoke", 2, 2000, 100 };
	struct bench_workload	 todo[NWORKLOADS + 1];
	struct bench_result	 res[NRUNS], res_b[NRUNS], *r;
	const char		*workload = NULL, *runs = NULL, *perf = NULL;
	const char		*parent, *build_b = NULL;
	char			 tmpdir[512], asynclogd[600], asynclogd_b[600];
	bool			 compare = false, smoke_mode = false;
	bool			 sel[NRUNS] = { false };
	size_t			 ntodo = 0, i, j;
	unsigned		 repeat = 1, b, nbuilds, idle_tries = 0;
	unsigned		 call_batches = 0;
	int			 ch, status = 0;

	memset(&o, 0, sizeof(o));
	o.sync = "never";
	o.flush_ms = 20;
	o.timeout_s = 300;
	o.syslogng_root = "/opt/asynclog-bench/syslog-ng";
	o.build = getenv("ASYNCLOG_BUILD");
	parent = getenv("TMPDIR");

	while ((ch = getopt_long(argc, argv, "w:c:n:s:i:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'w': workload = optarg; break;
		case 'c': custom.clients = (unsigned)bench_number(optarg,
			    "clients", 1, MAX_CLIENTS); break;
		case 'n': custom.records = bench_number(optarg, "records", 1,
			    10000000000ull); break;
		case 's': custom.size = bench_number(optarg, "size", MIN_SIZE,
			    MAX_SIZE); break;
		case 'i': runs = optarg; break;
		case 'C': compare = true; break;
		case 'S': smoke_mode = true; break;
		case 'L': o.use_log = true; break;
		case 'B': o.block = true; break;
		case 'Y':
			if (strcmp(optarg, "never") != 0 &&
			    strcmp(optarg, "interval") != 0 &&
			    strcmp(optarg, "always") != 0) {
				fprintf(stderr, "asynclog-bench: --sync: never, "
				    "interval or always\n");
				return (2);
			}
			o.sync = optarg;
			break;
		case 'P': perf = optarg; break;
		case 'b': o.build = optarg; break;
		case 'A': build_b = optarg; break;
		case 'R': o.syslogng_root = optarg; break;
		case 'd': parent = optarg; break;
		case 'k': o.keep = true; break;
		case 'T': o.timeout_s = (unsigned)bench_number(optarg,
			    "timeout", 1, 86400); break;
		case 'r': repeat = (unsigned)bench_number(optarg, "repeat",
			    1, 99); break;
		case 'I': idle_tries = (unsigned)bench_number(optarg,
			    "idle-latency", 1, 100000); break;
		case 'K': call_batches = (unsigned)bench_number(optarg,
			    "call-latency", 1, 100000); break;
		case 'D': o.use_deferred = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return (0);
		default: usage(stderr); return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}
	if (o.build == NULL)
		o.build = "build";
	if (parent == NULL || *parent == '\0')
		parent = "/tmp";

	/* Which workloads. */
	if (smoke_mode) {
		todo[ntodo++] = smoke;
		compare = false;
	} else if (custom.clients || custom.records || custom.size) {
		if (!custom.clients || !custom.records || !custom.size) {
			fprintf(stderr, "asynclog-bench: -c, -n and -s go "
			    "together\n");
			return (2);
		}
		todo[ntodo++] = custom;
	} else if (workload == NULL || strcasecmp(workload, "W1") == 0)
		todo[ntodo++] = bench_workloads[0];
	else if (strcasecmp(workload, "all") == 0)
		for (i = 0; i < NWORKLOADS; i++)
			todo[ntodo++] = bench_workloads[i];
	else {
		for (i = 0; i < NWORKLOADS; i++)
			if (strcasecmp(workload, bench_workloads[i].name) == 0)
				todo[ntodo++] = bench_workloads[i];
		if (ntodo == 0) {
			fprintf(stderr, "asynclog-bench: unknown workload '%s'\n",
			    workload);
			return (2);
		}
	}

	/* Which runs. */
	if (runs != NULL && !smoke_mode) {
		if (bench_select_runs(runs, sel) == -1)
			return (2);
	} else {
		for (i = 0; i < 5; i++)
			sel[i] = true;
		if (compare) {
			sel[5] = true;		/* rsyslog-stream */
			sel[7] = true;		/* syslog-ng-stream */
			sel[9] = true;		/* tcp: the network input */
			sel[10] = true;		/* rsyslog-tcp: its imtcp */
		}
	}
	for (i = 0; i < NRUNS; i++) {
		if (sel[i] && bench_runs[i].forward != NULL &&
		    !collector_available(bench_runs[i].forward)) {
			fprintf(stderr, "asynclog-bench: rsyslog (and rsyslog-"
			    "relp) is not installed: no collector; skipping "
			    "%s\n", bench_runs[i].name);
			sel[i] = false;
		}
		if (sel[i] && !server_available(bench_runs[i].server, &o)) {
			fprintf(stderr, "asynclog-bench: %s is not installed; "
			    "skipping %s (bench/install-comparisons.sh)\n",
			    server_name(bench_runs[i].server),
			    bench_runs[i].name);
			sel[i] = false;
		}
	}
	snprintf(asynclogd, sizeof(asynclogd), "%s/asynclogd", o.build);
	if (access(asynclogd, X_OK) == -1) {
		fprintf(stderr, "asynclog-bench: %s: %s (set ASYNCLOG_BUILD or "
		    "--build)\n", asynclogd, strerror(errno));
		return (2);
	}
	ob = o;
	if (build_b != NULL) {
		ob.build = build_b;
		snprintf(asynclogd_b, sizeof(asynclogd_b), "%s/asynclogd",
		    build_b);
		if (access(asynclogd_b, X_OK) == -1) {
			fprintf(stderr, "asynclog-bench: %s: %s (--build-b)\n",
			    asynclogd_b, strerror(errno));
			return (2);
		}
	}

	/* A client writing into a closed socket gets EPIPE, not death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return (1);
	snprintf(tmpdir, sizeof(tmpdir), "%s/asynclog-bench.XXXXXX", parent);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "asynclog-bench: mkdtemp %s: %s\n", tmpdir,
		    strerror(errno));
		return (1);
	}
	bench_machine();
	printf("asynclogd: %s (sync=%s), calls: %s%s; median of %u\n",
	    asynclogd, o.sync, o.use_deferred ? "ASYNCLOG (deferred)" :
	    o.use_log ? "asynclog_log" : "asynclog_write",
	    o.block ? ", ASYNCLOG_BLOCK" : "", repeat);
	if (build_b != NULL)
		printf("asynclogd B: %s, rows \"RUN B\"; each repetition runs "
		    "both, taking turns at going first\n", asynclogd_b);
	fflush(stdout);

	if (idle_tries > 0 || call_batches > 0)
		ntodo = 0;	/* instead of the throughput runs */
	if (call_batches > 0 && bench_calls(&o, tmpdir, call_batches) != 0)
		status = 1;
	if (idle_tries > 0 && bench_idle(&o, build_b != NULL ? &ob : &o,
	    compare, tmpdir, idle_tries) != 0)
		status = 1;
	for (j = 0; j < ntodo; j++) {
		memset(res, 0, sizeof(res));
		memset(res_b, 0, sizeof(res_b));
		for (i = 0; i < NRUNS; i++) {
			struct bench_result two[2];

			if (!sel[i])
				continue;
			nbuilds = build_b != NULL &&
			    bench_runs[i].server == SERVER_ASYNCLOGD ? 2 : 1;
			if (bench_repeat(&bench_runs[i], &todo[j], opts, nbuilds,
			    tmpdir, perf, repeat, two) == -1)
				status = 1;
			res[i] = two[0];
			if (nbuilds == 2)
				res_b[i] = two[1];
			for (b = 0; b < nbuilds; b++) {
				r = b == 0 ? &res[i] : &res_b[i];
				if (!smoke_mode ||
				    !bench_smoke_failed(&bench_runs[i], r))
					continue;
				fprintf(stderr, "asynclog-bench: smoke: %s%s lost "
				    "%llu (clients counted %llu dropped), "
				    "duplicated %llu, damaged %llu records\n",
				    bench_runs[i].name, b == 0 ? "" : " B",
				    (unsigned long long)r->lost,
				    (unsigned long long)r->client_dropped,
				    (unsigned long long)r->dups,
				    (unsigned long long)r->corrupt);
				status = 1;
			}
		}
		bench_table(&todo[j], res, build_b != NULL ? res_b : NULL);
	}
	if (o.keep)
		printf("\nkept: %s\n", tmpdir);
	else if (rmdir(tmpdir) == -1)
		fprintf(stderr, "asynclog-bench: rmdir %s: %s\n", tmpdir,
		    strerror(errno));
	if (smoke_mode)
		printf("\nsmoke: %s\n", status == 0 ? "ok" : "FAILED");
	return (status);
}
