/* SPDX-License-Identifier: ISC */
/*
 * sink.h: what an output's records are written to, on a thread of the
 * sink's own. An output (output.c, loop thread) fills chunks and talks to
 * its sink only through these calls; every blocking operation (open, write,
 * sync, connect, rotate) happens on the sink's thread, never on the loop.
 *
 * A sink kind is one module that fills a struct sink_ops and embeds a
 * struct sink as the first member of its own state: the file writer
 * (writer.c) is the first kind; a network forwarder or a Kafka producer is
 * another, with the same chunk accounting (chunk->nwritten / ndropped).
 *
 * The sink's thread makes the completion event given at creation active
 * (event_active, thread-safe in libevent) whenever it has finished opening,
 * returned chunks, or ended.
 */
#ifndef ASYNCLOG_SINK_H
#define ASYNCLOG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "counters.h"

struct chunk;
struct chunk_list;
struct timespec;

enum sink_open {
	SINK_OPENING,		/* the thread is still opening */
	SINK_OPEN,
	SINK_FAILED,		/* could not open; the thread has ended */
};

struct sink;

/* What a sink with a spool reports besides its chunks: counts since the
 * last take_counts. */
struct sink_counts {
	uint64_t	 added;		/* records the sink brought itself: left in
					 * its spool by an earlier run, and its
					 * drop markers */
	uint64_t	 written;	/* records of its spool delivered */
	uint64_t	 too_large;	/* records of its spool it cannot send */
};

struct sink_ops {
	const char	*kind;
	/* How stats name the two states ("writing" / "dropping" for a
	 * file), and whether chunks wait while dropping (then the output
	 * hands over only full chunks meanwhile, so an outage holds a pool
	 * of full chunks, not one chunk per flush tick). */
	const char	*taking_name;
	const char	*dropping_name;
	bool		 holds_while_dropping;
	/* What the records a chunk comes back with as ndropped are. */
	enum drop_reason drop_reason;
	/* Opening result; with wait, block until it is known (start-up
	 * only, before the loop runs). SINK_FAILED fills err. */
	enum sink_open	(*open_state)(struct sink *, bool wait, char *err,
			    size_t errlen);
	void		(*submit)(struct sink *, struct chunk *);
	/* Move every chunk that came back to out, in submission order. */
	void		(*take_done)(struct sink *, struct chunk_list *out);
	void		(*reopen)(struct sink *);
	/* New settings for the same destination, applied between chunks. */
	int		(*reconfigure)(struct sink *, const struct config_output *);
	/* Write what is queued and end, without waiting; finished() says
	 * when it has (the completion event fires then). */
	void		(*stop)(struct sink *);
	bool		(*finished)(struct sink *);
	/* State as last published by the thread, read from the loop. */
	bool		(*dropping)(const struct sink *, int64_t *since_ns,
			    const char **reason);
	int64_t		(*last_write_ns)(const struct sink *);
	int64_t		(*free_bytes)(const struct sink *);	/* -1 = unknown */
	/* Stop, join and free. Chunks not taken yet go to done, and counts
	 * not taken yet (take_counts) are added to counts. With a
	 * deadline (CLOCK_REALTIME), a thread still blocked by then is left
	 * running and -1 returned: the sink is not freed, and nothing it may
	 * still touch (its chunks, the completion event) may be freed. */
	int		(*close)(struct sink *, struct chunk_list *done,
			    struct sink_counts *counts,
			    const struct timespec *deadline);
	/* A sink with a spool (NULL: none). take_counts moves its counts to
	 * the loop; spool says what the spool holds now, and whether the
	 * sink has one. */
	void		(*take_counts)(struct sink *, struct sink_counts *);
	bool		(*spool)(const struct sink *, uint64_t *bytes,
			    uint64_t *records);
	/* The last error (and when), kept after the sink recovered; NULL
	 * when none yet. NULL op: the sink has none to say. */
	const char	*(*last_error)(const struct sink *, int64_t *when_ns);
	/* Records written (handed to the kernel) that a broken connection
	 * may have lost, so far; NULL for a sink that cannot lose them. */
	uint64_t	(*possibly_lost)(const struct sink *);
};

struct sink {
	const struct sink_ops *ops;
};

#endif
