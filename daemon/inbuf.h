/* SPDX-License-Identifier: ISC */
/*
 * inbuf.h: the read buffers of client connections and the one memory budget
 * they share (buffer.client_memory). A connection's unparsed bytes are
 * buf[off..len); a buffer is taken when its connection has bytes to
 * read, grows for a large frame, and is given back when the connection goes
 * idle (to a few spares kept for the next reader, or to malloc), so
 * thousands of quiet clients cost nothing here. Growth past the budget is refused: the caller then frees memory
 * elsewhere (conn.c drops the largest unfinished frame) or waits on
 * `freed`. Loop thread only.
 */
#ifndef ASYNCLOG_INBUF_H
#define ASYNCLOG_INBUF_H

#include <stddef.h>

#include "task.h"

struct inbuf_budget {
	size_t		 limit;
	size_t		 used;		/* sum of every buffer's cap, spares too */
	struct task_cond freed;		/* signalled when memory is given back */
	void		*spare;		/* idle buffers of INBUF_INITIAL bytes,
					 * linked through their first bytes */
	unsigned	 nspare;
};

struct inbuf {
	char		*buf;
	size_t		 cap;
	size_t		 len;
	size_t		 off;
};

void	inbuf_budget_init(struct inbuf_budget *, size_t limit);
/* Free the spares; every buffer must have been freed already. */
void	inbuf_budget_free(struct inbuf_budget *);

/* Bytes received and not yet consumed. */
size_t	inbuf_pending(const struct inbuf *);

/*
 * Make room to read: at least min_room free bytes at the end, moving the
 * pending bytes to the front or growing (by doubling, up to max_cap) as
 * needed. Returns the free room, 0 when the buffer is max_cap and full
 * (a frame larger than max_cap), or -1 when growing would pass the budget
 * or memory is short.
 */
ssize_t	inbuf_room(struct inbuf *, struct inbuf_budget *, size_t min_room,
	    size_t max_cap);

/* Nothing pending and the connection going idle: give the buffer back. */
void	inbuf_idle(struct inbuf *, struct inbuf_budget *);

/* Free the buffer, pending bytes or not. */
void	inbuf_free(struct inbuf *, struct inbuf_budget *);

#endif
