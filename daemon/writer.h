/*
 * writer.h: the thread that owns one output file.
 *
 * Every blocking file operation of an output (open, write, fdatasync,
 * ftruncate, fstatvfs, reopen) happens on its writer thread, so the event
 * loop never waits on a disk. The loop hands over whole chunks with
 * writer_submit() and gets them back, marked written or dropped, through the
 * completion event it passed to writer_new(). The only lock is the one
 * guarding the two hand-off queues.
 *
 * Disk full (ENOSPC, EDQUOT, EFBIG, a short write, or less free space than
 * keep_free): the chunk is undone with ftruncate, its records are counted as
 * dropped, and the writer enters the dropping state, in which chunks are
 * dropped on arrival. Every 250 ms it probes free space; once there is room
 * it writes a drop marker record and resumes. It logs once on entering and
 * once on leaving the dropping state, never per record.
 */
#ifndef ASYNCLOG_WRITER_H
#define ASYNCLOG_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct chunk;
struct chunk_list;
struct event;
struct writer;

#define WRITER_PROBE_MS	250	/* free-space probe cadence while dropping */
#define WRITER_RESERVE	8192	/* preallocated past EOF for the drop marker */

/*
 * Open conf->path (creating it with conf->file_mode) and start the thread,
 * which keeps its own copy of conf.
 * done is made active (event_active) each time chunks come back.
 * Returns NULL with a message in err.
 */
struct writer *writer_new(const struct config_output *conf, const char *host,
	    size_t chunk_size, struct event *done, char *err, size_t errlen);

void	writer_submit(struct writer *, struct chunk *);
/* Move every completed chunk to out, in submission order. */
void	writer_take_done(struct writer *, struct chunk_list *out);
void	writer_reopen(struct writer *);
/* New settings for the same file (a reload); applied between two chunks. */
int	writer_reconfigure(struct writer *, const struct config_output *);
/* Ask the thread to write what is queued and end, without waiting; the
 * completion event fires once more when it has (writer_finished). */
void	writer_stop(struct writer *);
bool	writer_finished(struct writer *);

/* State as last published by the thread (read from any thread). */
int	writer_dropping(const struct writer *, int64_t *since_ns,
	    const char **reason);
int64_t	writer_last_write_ns(const struct writer *);
int64_t	writer_free_bytes(const struct writer *);	/* -1 = unknown */

/*
 * Write what is queued, fdatasync, stop the thread, close, free; chunks that
 * came back and were not taken yet are moved to done. With a deadline
 * (CLOCK_REALTIME), a thread still blocked in a write by then is left
 * running and -1 is returned: the writer is then not freed, and the caller
 * must not free what it may still touch (its chunks, its completion event).
 */
struct timespec;
int	writer_free(struct writer *, struct chunk_list *done,
	    const struct timespec *deadline);

#endif
