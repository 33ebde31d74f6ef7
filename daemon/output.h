/*
 * output.h: one configured log file, as seen from the event loop.
 *
 * Records are formatted straight into the output's current chunk; a full
 * chunk (or, every flush_interval_ms, a partial one) is handed whole to the
 * output's writer thread (writer.h) and comes back through a libevent
 * completion event with the number of records written or dropped. Memory is
 * a fixed pool of chunks allocated at start-up, so it cannot grow: when the
 * pool is empty the caller either waits on output->space (backpressure) or
 * counts an overflow drop.
 */
#ifndef ASYNCLOG_OUTPUT_H
#define ASYNCLOG_OUTPUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "record.h"
#include "stats.h"
#include "tally.h"
#include "task.h"

struct event_base;
struct writer;

/*
 * A chunk is handed to the writer whole and never split, so a failed write
 * can be undone with one ftruncate to where it started: no torn record
 * survives.
 */
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
	/* Set by the writer thread before it returns the chunk. */
	uint32_t	 nwritten;
	uint32_t	 ndropped;	/* disk_full */
};
TAILQ_HEAD(chunk_list, chunk);

enum output_state {
	OUTPUT_WRITING,
	OUTPUT_DROPPING,
};

struct output {
	TAILQ_ENTRY(output) entry;
	struct config_output *conf;	/* private copy */
	unsigned	 index;		/* bit in a record's route mask */
	uint64_t	 id;		/* unique for the daemon's lifetime */
	struct event_base *base;

	/* Loop thread only. */
	struct chunk	*current;	/* being filled, or NULL */
	struct chunk_list free;
	unsigned	 nchunks;
	unsigned	 nfree;
	uint64_t	 next_seq;	/* seq of the next chunk handed off */
	uint64_t	 completed_seq;	/* every chunk below this came back */
	struct counters	 counters;
	bool		 stalled;	/* no room for stall_timeout_ms: drop, don't wait */
	struct task_cond space;		/* signalled when a chunk returns to the pool */
	struct task_cond completed;	/* signalled when any chunk comes back */
	struct task	 flusher;
	struct event	*done_ev;	/* writer -> loop completion */
	char		 host[256];
	unsigned	 conf_flush_ms;	/* flush_interval_ms */

	struct writer	*writer;
	void		(*retired_cb)(struct output *, void *);
	void		*retired_arg;
};
TAILQ_HEAD(output_list, output);

/* Fails (-1 with a message in err) when memory or the writer thread cannot be had. */
struct output *output_new(struct event_base *, struct config_output *,
	    unsigned index, size_t chunk_size, unsigned nchunks,
	    unsigned flush_interval_ms, char *err, size_t errlen);

/*
 * Format rec into the current chunk. Returns 0 when it was buffered, -1 when
 * no chunk is free (the caller waits on output->space or counts overflow),
 * and -2 when the record cannot fit in any chunk (counted here as too_large).
 */
int	output_append(struct output *, const struct record *);

/* Count a record this output received and dropped at once (overflow). */
void	output_count_drop(struct output *, enum drop_reason);

/* Hand the current chunk (if it holds anything) to the writer now. */
void	output_flush(struct output *);

/* Sequence number that, once completed_seq passes it, means every record
 * appended so far is on disk. Flushes the current chunk. */
uint64_t output_sync_point(struct output *);

bool	output_idle(const struct output *);	/* nothing buffered */
enum output_state output_state(const struct output *, int64_t *since_ns,
	    const char **reason);

int64_t	output_free_bytes(const struct output *);	/* -1 = unknown */
int64_t	output_last_write_ns(const struct output *);	/* 0 = never */

/* Ask the writer to reopen its file (SIGHUP, external logrotate). */
void	output_reopen(struct output *);

/* New settings for the same name and path (SIGHUP reload). */
int	output_reconfigure(struct output *, const struct config_output *);

/*
 * Take the output out of service without waiting: its writer writes what is
 * queued and ends; then cb runs on the loop (and may output_free it).
 */
void	output_retire(struct output *, void (*cb)(struct output *, void *),
	    void *arg);

/*
 * Stop the writer thread after it wrote every queued chunk; counters are
 * final afterwards. With a deadline, -1 means the writer is stuck in a
 * write and was left running: do not output_free such an output.
 * output_free stops first (without a deadline) if needed.
 */
struct timespec;
int	output_stop(struct output *, const struct timespec *deadline);
void	output_free(struct output *);

#endif
