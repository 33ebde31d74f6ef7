/* SPDX-License-Identifier: ISC */
/*
 * lineread.c: block reads of the asynclog command's input (see lineread.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineread.h"

#define LINEREAD_BLOCK	(256 * 1024)

int
lineread_init(struct lineread *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = LINEREAD_BLOCK;
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

void
lineread_free(struct lineread *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Refill an emptied buffer; false at the end of the input or an error. */
static bool
lineread_fill(struct lineread *r)
{
	ssize_t n;

	if (r->eof)
		return false;
	do
		n = read(r->fd, r->buf, r->cap);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		r->eof = true;
		r->error = n == -1 ? errno : 0;
		return false;
	}
	r->off = 0;
	r->len = (size_t)n;
	return true;
}

int
lineread_peek(struct lineread *r)
{
	if (r->off == r->len && !lineread_fill(r))
		return LINEREAD_EOF;
	return (unsigned char)r->buf[r->off];
}

size_t
lineread_span(struct lineread *r, char *dst, size_t max)
{
	const char *nl;
	size_t n, done = 0;

	while (done < max && (r->off < r->len || lineread_fill(r))) {
		n = r->len - r->off;
		if (n > max - done)
			n = max - done;
		nl = memchr(r->buf + r->off, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - (r->buf + r->off));
		memcpy(dst + done, r->buf + r->off, n);
		r->off += n;
		done += n;
		if (nl != NULL)
			break;
	}
	return done;
}
