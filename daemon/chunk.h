/*
 * chunk.h: the unit an output hands to its sink, shared by output.c and the
 * sinks only (writer.c, forward.c). The loop fills a chunk with formatted records
 * and passes it whole to the sink's thread, which marks how many of its
 * records were written or dropped and passes it back. Between the two
 * hand-offs only the sink's thread touches it.
 *
 * A chunk is handed over whole and never split, so a failed write can be
 * undone with one ftruncate to where it started: no torn record survives.
 *
 * CHUNK_NAMED: an output whose path has fields writes each record as one
 * byte N, the N bytes of its file's name (N = 0: the fallback file), then
 * the line, which ends at its only '\n' (format.c escapes every other).
 */
#ifndef ASYNCLOG_CHUNK_H
#define ASYNCLOG_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "tally.h"

struct chunk {
	TAILQ_ENTRY(chunk) entry;
	char		*buf;
	size_t		 len;
	size_t		 cap;
	uint32_t	 nrecords;
	int64_t		 first_ns;	/* receive time of its first record */
	int64_t		 last_ns;	/* and of its last */
	uint64_t	 seq;		/* hand-off order, for SYNC on sync=always */
	struct tally	 senders;	/* for the drop marker */
	/* Set by the sink's thread before it returns the chunk. */
	uint32_t	 nwritten;
	uint32_t	 ndropped;	/* disk_full (file), undelivered (forward) */
	uint32_t	 nspooled;	/* kept in the sink's spool: still buffered */
	uint32_t	 nfull;		/* dropped because the spool was full */
	bool		 sink_own;	/* the sink's own (a spool read), never
					 * handed back to the loop */
	/* The sink's own: for RELP (forward.c), the number of its first
	 * record in the session, CHUNK_UNSENT when not sent in it. */
	int64_t		 sink_first;
};
#define CHUNK_UNSENT	INT64_MIN
TAILQ_HEAD(chunk_list, chunk);

#endif
