/* SPDX-License-Identifier: ISC */
/*
 * bench-client.c: one benchmark client process, forked by the bench.
 *
 * Every client sends records 0..M-1 whose message is exactly S bytes:
 *	"c=NNN s=SSSSSSSSSS " followed by 'x' up to S
 * so the verifier can find the message as the last S bytes of any output
 * line, whatever the server put in front of it, and count each (client,
 * sequence) once. Through libasynclog the message goes to asynclog_write()
 * (or asynclog_log(h, pri, "%s", msg) with --log); through the syslog inputs
 * it is the MSG of an RFC 3164 line "<13>Nov 25 12:00:00 bench[PID]: ".
 *
 * Clients set everything up (connect, allocate, fault in buffers) and then
 * block reading the "go" pipe, so the parent's clock starts when every
 * client starts sending. Client 0 times each call with CLOCK_MONOTONIC into
 * a preallocated array and reports p50/p99/p99.9 after the run.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "asynclog.h"
#include "bench.h"

#define STREAM_BATCH	(256 * 1024)	/* bytes per write() on the stream */
#define FLUSH_MS	60000
#define HDR_LEN		19		/* "c=NNN s=SSSSSSSSSS " */

static void
client_digits(char *dst, uint64_t v, int width)
{
	while (width-- > 0) {
		dst[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Write record (id, seq) of exactly size bytes (size >= HDR_LEN + 1) to dst;
 * returns size. Only the header changes between records, so the client
 * fills the 'x' once and calls client_patch() per record.
 */
static void
client_patch(char *dst, unsigned id, uint64_t seq)
{
	client_digits(dst + 2, id, 3);
	client_digits(dst + 8, seq, 10);
}

size_t
client_record(char *dst, unsigned id, uint64_t seq, size_t size)
{
	memcpy(dst, "c=000 s=0000000000 ", HDR_LEN);
	memset(dst + HDR_LEN, 'x', size - HDR_LEN);
	client_patch(dst, id, seq);
	return (size);
}

static inline uint64_t
client_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static int
client_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return ((x > y) - (x < y));
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t
client_pct(const uint64_t *v, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)(p * (double)n + 0.999999);

	if (rank == 0)
		rank = 1;
	return (v[rank > n ? n - 1 : rank - 1]);
}

static void
client_latency(uint64_t *lat, uint64_t n, struct bench_latency *out)
{
	if (lat == NULL || n == 0)
		return;
	qsort(lat, n, sizeof(*lat), client_cmp_u64);
	out->p50 = client_pct(lat, n, 0.50);
	out->p99 = client_pct(lat, n, 0.99);
	out->p999 = client_pct(lat, n, 0.999);
	out->max = lat[n - 1];
	out->valid = true;
}

/* Block until the parent closes the write end of the go pipe. */
static void
client_wait_go(int go_fd)
{
	char	c;
	ssize_t	n;

	while ((n = read(go_fd, &c, 1)) == -1 && errno == EINTR)
		;
	close(go_fd);
}

/* One record, the way the options say: write, log("%s") or ASYNCLOG("%s"). */
static int
client_call(asynclog_t *h, const struct bench_opts *o, const char *msg,
    size_t len)
{
	if (o->use_deferred)
		return ASYNCLOG(h, LOG_USER | LOG_INFO, "%s", msg);
	if (o->use_log)
		return asynclog_log(h, LOG_USER | LOG_INFO, "%s", msg);
	return asynclog_write(h, LOG_USER | LOG_INFO, msg, len);
}

static void
client_lib(unsigned id, const char *sock, const struct bench_workload *w,
    const struct bench_opts *o, int go_fd, struct bench_client_result *res,
    uint64_t *lat)
{
	asynclog_t	*h;
	char		*msg;
	uint64_t	 i, t0;
	int		 rc;

	if ((msg = malloc(w->size + 1)) == NULL ||
	    (h = asynclog_open(sock, "bench", o->block ? ASYNCLOG_BLOCK : 0)) ==
	    NULL) {
		res->error = errno;
		_exit(1);
	}
	client_record(msg, id, 0, w->size);
	msg[w->size] = '\0';
	/* A first flush makes sure the sender is connected before the clock. */
	if (asynclog_flush(h, 10000) == -1) {
		res->error = errno;
		_exit(1);
	}
	client_wait_go(go_fd);
	for (i = 0; i < w->records; i++) {
		client_patch(msg, id, i);
		if (lat != NULL) {
			t0 = client_now();
			rc = client_call(h, o, msg, w->size);
			lat[i] = client_now() - t0;
		} else
			rc = client_call(h, o, msg, w->size);
		(void)rc;	/* a drop is counted by the library */
		res->sent++;
	}
	res->flush_ok = asynclog_flush(h, FLUSH_MS) == 0;
	if (!res->flush_ok)
		res->error = errno;
	res->dropped = asynclog_dropped(h);
	asynclog_close(h);
	free(msg);
}

/* The RFC 3164 prefix every syslog client line starts with. */
static size_t
client_syslog_prefix(char *dst, size_t cap)
{
	int n = snprintf(dst, cap, "<13>Nov 25 12:00:00 bench[%ld]: ",
	    (long)getpid());

	return (n < 0 || (size_t)n >= cap ? 0 : (size_t)n);
}

/* Lines in STREAM_BATCH-sized write()s; the bytes the null sink gets too. */
static void
client_stream(unsigned id, const char *sock, const struct bench_workload *w,
    int go_fd, struct bench_client_result *res)
{
	char		 prefix[64];
	char		*batch, *line;
	size_t		 plen, llen, len = 0;
	uint64_t	 i;
	int		 fd;

	plen = client_syslog_prefix(prefix, sizeof(prefix));
	llen = plen + w->size + 1;
	if ((batch = malloc(STREAM_BATCH + llen)) == NULL ||
	    (line = malloc(llen)) == NULL ||
	    (fd = bench_connect(sock, SOCK_STREAM)) == -1) {
		res->error = errno;
		_exit(1);
	}
	memcpy(line, prefix, plen);
	client_record(line + plen, id, 0, w->size);
	line[llen - 1] = '\n';
	memset(batch, 0, STREAM_BATCH + llen);
	client_wait_go(go_fd);
	for (i = 0; i < w->records; i++) {
		if (len + llen > STREAM_BATCH) {
			if (bench_write_all(fd, batch, len) == -1) {
				res->error = errno;
				break;
			}
			res->sent += len / llen;
			len = 0;
		}
		client_patch(line + plen, id, i);
		memcpy(batch + len, line, llen);
		len += llen;
	}
	if (res->error == 0 && len > 0) {
		if (bench_write_all(fd, batch, len) == -1)
			res->error = errno;
		else
			res->sent += len / llen;
	}
	res->dropped = w->records - res->sent;
	res->flush_ok = res->error == 0;
	if (close(fd) == -1 && res->error == 0)
		res->error = errno;
	free(batch);
	free(line);
}

/* One send() per record, like syslog(3) to /dev/log. */
static void
client_dgram(unsigned id, const char *sock, const struct bench_workload *w,
    int go_fd, struct bench_client_result *res, uint64_t *lat)
{
	char		 prefix[64];
	char		*line;
	size_t		 plen, llen;
	uint64_t	 i, t0;
	ssize_t		 n;
	int		 fd;

	plen = client_syslog_prefix(prefix, sizeof(prefix));
	llen = plen + w->size;
	if ((line = malloc(llen)) == NULL ||
	    (fd = bench_connect(sock, SOCK_DGRAM)) == -1) {
		res->error = errno;
		_exit(1);
	}
	memcpy(line, prefix, plen);
	client_record(line + plen, id, 0, w->size);
	client_wait_go(go_fd);
	for (i = 0; i < w->records; i++) {
		client_patch(line + plen, id, i);
		t0 = lat != NULL ? client_now() : 0;
		while ((n = send(fd, line, llen, 0)) == -1 && errno == EINTR)
			;
		if (lat != NULL)
			lat[i] = client_now() - t0;
		if (n == -1) {
			res->dropped++;
			res->error = errno;
		} else
			res->sent++;
	}
	res->flush_ok = 1;
	if (close(fd) == -1 && res->error == 0)
		res->error = errno;
	free(line);
}

pid_t
client_spawn(unsigned id, enum bench_input input, const char *sock,
    const struct bench_workload *w, const struct bench_opts *o,
    const int go[2], struct bench_client_result *res,
    struct bench_latency *latency)
{
	uint64_t	*lat = NULL;
	pid_t		 pid;
	int		 go_fd = go[0];

	if ((pid = fork()) != 0)
		return (pid);

	/* Only the parent holds the write end: its close() is the start. */
	close(go[1]);

	/* Child. Latency array touched now, not while the clock runs. */
	if (id == 0 && input != INPUT_STREAM && input != INPUT_TCP) {
		if ((lat = malloc(w->records * sizeof(*lat))) == NULL) {
			res->error = errno;
			_exit(1);
		}
		memset(lat, 0, w->records * sizeof(*lat));
	}
	switch (input) {
	case INPUT_LIB:
		client_lib(id, sock, w, o, go_fd, res, lat);
		break;
	case INPUT_STREAM:
	case INPUT_TCP:
		client_stream(id, sock, w, go_fd, res);
		break;
	case INPUT_DGRAM:
		client_dgram(id, sock, w, go_fd, res, lat);
		break;
	}
	client_latency(lat, w->records, latency);
	free(lat);
	_exit(res->error != 0 ? 1 : 0);
}
