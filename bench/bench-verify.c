/* SPDX-License-Identifier: ISC */
/*
 * bench-verify.c: follow the output file during a run and check it.
 *
 * The bench's clock stops when the last expected record is in the file, so
 * the parent polls the file while the clients run: it reads what was
 * appended, and for every whole line takes the last S bytes as the message
 * (every server under test writes the message last on the line), checks its
 * header and 'x' filler, and marks (client, sequence) in a bitmap. A record
 * seen twice is a duplicate, a damaged one is corrupt, a line that is not a
 * bench record (a daemon's own notice) is "other"; lost = N*M - unique.
 * Reading from the page cache costs the run a few percent of one core at
 * most, the same for every server.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define VERIFY_BUF	(8 * 1024 * 1024)	/* longest line it can take */
#define VERIFY_MAX_READ	(64 * 1024 * 1024)	/* per poll, to keep polling */

/* The 'x' run every message ends with, compared a block at a time. */
static char verify_filler[4096];

int
verify_init(struct bench_verify *v, const char *path,
    const struct bench_workload *w)
{
	uint64_t bits = (uint64_t)w->clients * w->records;

	memset(v, 0, sizeof(*v));
	memset(verify_filler, 'x', sizeof(verify_filler));
	v->fd = -1;
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->clients = w->clients;
	v->records = w->records;
	v->size = w->size;
	if ((v->seen = calloc(bits / 8 + 1, 1)) == NULL ||
	    (v->buf = malloc(VERIFY_BUF)) == NULL) {
		fprintf(stderr, "bench: verify: %s\n", strerror(errno));
		verify_free(v);
		return (-1);
	}
	return (0);
}

static uint64_t
verify_number(const char *p, int width, bool *ok)
{
	uint64_t v = 0;

	while (width-- > 0) {
		if (*p < '0' || *p > '9')
			*ok = false;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	return (v);
}

static void
verify_line(struct bench_verify *v, const char *line, size_t len)
{
	const char	*m;
	uint64_t	 id, seq, bit;
	size_t		 i;
	bool		 ok = true;

	if (len < v->size) {
		v->other++;
		return;
	}
	m = line + len - v->size;
	if (memcmp(m, "c=", 2) != 0 || m[5] != ' ' ||
	    memcmp(m + 6, "s=", 2) != 0 || m[18] != ' ') {
		v->other++;
		return;
	}
	id = verify_number(m + 2, 3, &ok);
	seq = verify_number(m + 8, 10, &ok);
	for (i = 19; i < v->size && ok; i += sizeof(verify_filler)) {
		size_t n = v->size - i < sizeof(verify_filler) ?
		    v->size - i : sizeof(verify_filler);

		if (memcmp(m + i, verify_filler, n) != 0)
			ok = false;
	}
	if (!ok || id >= v->clients || seq >= v->records) {
		v->corrupt++;
		return;
	}
	bit = id * v->records + seq;
	if (v->seen[bit / 8] & (1u << (bit % 8)))
		v->dups++;
	else {
		v->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
		v->unique++;
	}
}

/*
 * Read whatever was appended since the last call and check its whole lines.
 * Returns 0 (also when the file does not exist yet) or -1 on a read error.
 */
int
verify_poll(struct bench_verify *v)
{
	size_t	 total = 0, start, i;
	ssize_t	 n;
	char	*nl;

	if (v->fd == -1) {
		if ((v->fd = open(v->path, O_RDONLY | O_CLOEXEC)) == -1)
			return (errno == ENOENT ? 0 : -1);
	}
	while (total < VERIFY_MAX_READ) {
		if (v->len == VERIFY_BUF) {	/* a line longer than the buffer */
			v->other++;
			v->len = 0;
		}
		n = read(v->fd, v->buf + v->len, VERIFY_BUF - v->len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "bench: read %s: %s\n", v->path,
			    strerror(errno));
			return (-1);
		}
		if (n == 0)
			break;
		total += (size_t)n;
		v->bytes += (uint64_t)n;
		v->len += (size_t)n;
		start = 0;
		while ((nl = memchr(v->buf + start, '\n', v->len - start)) !=
		    NULL) {
			i = (size_t)(nl - v->buf);
			verify_line(v, v->buf + start, i - start);
			start = i + 1;
		}
		memmove(v->buf, v->buf + start, v->len - start);
		v->len -= start;
	}
	return (0);
}

void
verify_free(struct bench_verify *v)
{
	if (v->fd != -1 && close(v->fd) == -1)
		fprintf(stderr, "bench: close %s: %s\n", v->path,
		    strerror(errno));
	v->fd = -1;
	free(v->seen);
	free(v->buf);
	v->seen = NULL;
	v->buf = NULL;
}
