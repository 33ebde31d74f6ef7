/* SPDX-License-Identifier: ISC */
/*
 * lineread.h: the asynclog command's input, read in large blocks. Lines of
 * a pipe (`seq N | asynclog`) are cut out of 256 KiB reads with memchr, not
 * one getc(3) at a time, so a system call brings thousands of lines and the
 * cost per line is a copy. The reader only reads: what a line means (its
 * --prio-prefix, --size pieces) stays with cli.c.
 */
#ifndef ASYNCLOG_LINEREAD_H
#define ASYNCLOG_LINEREAD_H

#include <stdbool.h>
#include <stddef.h>

#define LINEREAD_EOF	(-1)

struct lineread {
	int		 fd;
	char		*buf;
	size_t		 cap;
	size_t		 off;		/* next byte to hand out */
	size_t		 len;		/* bytes in buf */
	bool		 eof;
	int		 error;		/* errno of a failed read, or 0 */
};

/* Read fd (not through stdio). Returns 0, or -1 when memory is short. */
int	lineread_init(struct lineread *, int fd);
void	lineread_free(struct lineread *);

/* The next byte, not consumed, or LINEREAD_EOF at the end (or after a
 * read error: see error). */
int	lineread_peek(struct lineread *);

/* Consume the byte lineread_peek() returned. */
static inline void
lineread_skip(struct lineread *r)
{
	r->off++;
}

/*
 * Copy the rest of the current line, up to max bytes, into dst and consume
 * it; the newline (or the byte after max) is left unread. Returns the
 * number of bytes copied.
 */
size_t	lineread_span(struct lineread *, char *dst, size_t max);

#endif
