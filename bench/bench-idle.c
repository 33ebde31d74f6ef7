/* SPDX-License-Identifier: ISC */
/*
 * bench-idle.c: idle latency. One record at a time, sent by a command-line
 * client (the asynclog CLI, or logger(1) for the syslog daemons) to a
 * server that has nothing else to do: the time from starting the client to
 * the record's line being in the output file (the page cache, not fsynced).
 * Between tries the server is left alone for a while, so every try meets
 * it idle. This is what a person typing `asynclog hello; tail file` waits.
 *
 * Calls only bench-util.c.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define IDLE_GAP_MS		30	/* quiet time before each try */
#define IDLE_TRY_TIMEOUT_NS	(5ull * 1000000000u)

extern char **environ;

/* Has the file, from *off on, a line that ends with msg? Moves *off past
 * whole lines read. */
static int
idle_seen(int fd, off_t *off, const char *msg)
{
	char	 buf[65536], *p, *nl, *start;
	size_t	 mlen = strlen(msg);
	ssize_t	 n;

	n = pread(fd, buf, sizeof(buf) - 1, *off);
	if (n <= 0)
		return (n == 0 ? 0 : -1);
	buf[n] = '\0';
	for (start = buf; (nl = memchr(start, '\n', (size_t)(buf + n - start)))
	    != NULL; start = nl + 1) {
		p = nl - mlen;
		if (p >= start && memcmp(p, msg, mlen) == 0) {
			*off += nl + 1 - buf;
			return (1);
		}
	}
	*off += start - buf;
	return (0);
}

static int
idle_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
idle_pct(const uint64_t *v, unsigned n, double p)
{
	unsigned i = (unsigned)(p * n + 0.999999);

	return (v[i == 0 ? 0 : i - 1]);
}

int
idle_latency(const char *out_path, const char *const *argv_fmt,
    unsigned tries, struct bench_latency *res, unsigned *failed)
{
	char		 msg[64], *argv[16];
	uint64_t	*lat, t0, now;
	unsigned	 i, j, n = 0;
	off_t		 off = 0;
	pid_t		 pid;
	int		 fd = -1, status, rc;

	memset(res, 0, sizeof(*res));
	*failed = 0;
	if ((lat = calloc(tries, sizeof(*lat))) == NULL)
		return (-1);
	for (i = 0; i < tries; i++) {
		bench_sleep_ms(IDLE_GAP_MS);
		snprintf(msg, sizeof(msg), "idle-latency try %u", i);
		/* argv_fmt: the command, "%s" where the message goes. */
		for (j = 0; argv_fmt[j] != NULL && j < 15; j++)
			argv[j] = strcmp(argv_fmt[j], "%s") == 0 ? msg :
			    (char *)argv_fmt[j];
		argv[j] = NULL;
		t0 = bench_now_ns();
		if ((rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv,
		    environ)) != 0) {
			fprintf(stderr, "bench: spawn %s: %s\n", argv[0],
			    strerror(rc));
			break;
		}
		for (;;) {
			if (fd == -1)
				fd = open(out_path, O_RDONLY | O_CLOEXEC);
			if (fd != -1 && (rc = idle_seen(fd, &off, msg)) != 0)
				break;
			if ((now = bench_now_ns()) - t0 > IDLE_TRY_TIMEOUT_NS)
				break;
			usleep(50);
		}
		now = bench_now_ns();
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (fd != -1 && rc == 1)
			lat[n++] = now - t0;
		else
			(*failed)++;
	}
	if (fd != -1)
		close(fd);
	if (n > 0) {
		qsort(lat, n, sizeof(*lat), idle_cmp);
		res->valid = true;
		res->p50 = idle_pct(lat, n, 0.50);
		res->p99 = idle_pct(lat, n, 0.99);
		res->p999 = idle_pct(lat, n, 0.999);
		res->max = lat[n - 1];
	}
	free(lat);
	return (n > 0 ? 0 : -1);
}
