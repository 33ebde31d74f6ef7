/*
 * output.h: one configured destination of records, as the rest of the
 * daemon sees it. Loop thread only.
 *
 * Records are formatted straight into the output's current chunk; a full
 * chunk, or a partial one once the loop has no more input ready and the
 * sink nothing in flight (group commit; flush_interval_ms at the latest),
 * is handed whole to the output's sink (sink.h: the file writer or the
 * forwarder), which writes it on its own thread and gives it back with the
 * number of records written or dropped.
 * Memory is a fixed pool of chunks allocated at start-up, so it cannot grow:
 * when the pool is empty the caller either waits on output_room()
 * (backpressure) or counts an overflow drop.
 *
 * These calls are all other modules use; struct output, its chunks and its
 * sink are private to output.c.
 */
#ifndef ASYNCLOG_OUTPUT_H
#define ASYNCLOG_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "record.h"
#include "counters.h"

struct event_base;
struct output;
struct task_cond;
struct timespec;

/* Named by the sink kind: "writing" / "dropping" for a file, "connected"
 * / "backing_off" for a forward output (whose records then wait). */
enum output_state {
	OUTPUT_WRITING,
	OUTPUT_DROPPING,
	OUTPUT_STOPPED,		/* its sink has ended (final counters) */
};

enum output_offer {
	OUTPUT_TAKEN,		/* buffered */
	OUTPUT_FULL,		/* no free chunk: wait on output_room() or drop */
	OUTPUT_REFUSED,		/* cannot fit any chunk; counted as too_large */
};

/*
 * Create the output and start its sink, which opens the destination on its
 * own thread: ask output_opened() for the result. index is the output's bit
 * in a record's route mask. Returns NULL with a message in err when memory
 * or the thread cannot be had.
 */
struct output *output_new(struct event_base *, const struct config_output *,
	    unsigned index, size_t chunk_size, unsigned nchunks,
	    unsigned flush_interval_ms, char *err, size_t errlen);

/* 1 while the sink is still opening, 0 once open, -1 (err set) when it
 * failed. With wait (start-up only, before the loop runs) never 1. */
int	output_opened(struct output *, bool wait, char *err, size_t errlen);

/* Identity and settings. */
const char *output_name(const struct output *);
const char *output_path(const struct output *);
unsigned output_index(const struct output *);
/* Unique for the daemon's lifetime (a reload may reuse an index). */
uint64_t output_id(const struct output *);
bool	output_takes(const struct output *, const struct record *);	/* selector */
/* Its filter (if any) passes rec; ask only when it has one. */
bool	output_filtered(const struct output *);
bool	output_passes(const struct output *, const struct record *);
bool	output_final(const struct output *);	/* final = true */
bool	output_sync_always(const struct output *);	/* sync = "always" */

/* Offer rec to the output (format it into the current chunk). */
enum output_offer output_offer(struct output *, const struct record *);

/* Count a record this output received and dropped at once. */
void	output_count_drop(struct output *, enum drop_reason);

/*
 * Give up waiting for room for one record: count it as an overflow drop
 * and mark the output stalled, so that it is not waited on again until it
 * takes a chunk back (said once in the daemon's log).
 */
void	output_give_up(struct output *, unsigned waited_ms);
bool	output_stalled(const struct output *);

/* Signalled when a chunk returns to the pool (room to offer again). */
struct task_cond *output_room(struct output *);
/* Signalled when any chunk comes back, the sink opened, or it ended. */
struct task_cond *output_progress(struct output *);

/* Hand the current chunk (if it holds anything) to the sink now. */
void	output_flush(struct output *);

/* Sequence number that, once output_synced() reaches it, means every
 * record offered so far was written (or dropped). Flushes first. */
uint64_t output_sync_point(struct output *);
bool	output_synced(const struct output *, uint64_t seq);
/* Every chunk below this sequence came back from the sink (barrier.h). */
uint64_t output_written_seq(const struct output *);
/* Did a chunk of sequence seq or later come back with drops? */
bool	output_lossy_since(const struct output *, uint64_t seq);

const struct counters *output_counters(const struct output *);
bool	output_idle(const struct output *);	/* nothing buffered */
/* Its sink holds records it cannot deliver now (a forward output backing
 * off): waiting for it to finish is waiting for the peer. */
bool	output_held(const struct output *);
enum output_state output_state(const struct output *, int64_t *since_ns,
	    const char **reason);
/* The state as stats say it: "writing"/"dropping" for a file,
 * "connected"/"backing_off" for a forward output. */
const char *output_state_name(const struct output *, enum output_state);
int64_t	output_free_bytes(const struct output *);	/* -1 = unknown */
int64_t	output_last_write_ns(const struct output *);	/* 0 = never */

/* Ask the sink to reopen its destination (SIGHUP, external logrotate). */
void	output_reopen(struct output *);

/* New settings for the same name and path (SIGHUP reload). The chunk pool
 * keeps its size until a restart. */
int	output_reconfigure(struct output *, const struct config_output *,
	    unsigned flush_interval_ms);

/*
 * Take the output out of service without waiting: its sink writes what is
 * queued and ends; then cb runs on the loop (and may output_free it).
 */
void	output_retire(struct output *, void (*cb)(struct output *, void *),
	    void *arg);

/*
 * Stop the sink after it wrote every queued chunk; counters are final
 * afterwards. With a deadline, -1 means the sink is stuck in a write and
 * was left running: do not output_free such an output. output_free stops
 * first (without a deadline) if needed.
 */
int	output_stop(struct output *, const struct timespec *deadline);
void	output_free(struct output *);

#endif
