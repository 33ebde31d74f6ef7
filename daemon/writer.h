/* SPDX-License-Identifier: ISC */
/*
 * writer.h: the thread that owns one output file.
 *
 * The file kind of sink (sink.h). Every blocking file operation of an
 * output (open, write, fdatasync, ftruncate, fstatvfs, reopen, rotation)
 * happens on its writer thread, so the event loop never waits on a disk,
 * not even to open a file at reload. The loop hands over whole chunks and
 * gets them back, marked written or dropped, through the completion event
 * it passed to writer_new(). The only lock is the one guarding the hand-off
 * queues and the published open result.
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

#include <stddef.h>

#include "config.h"

struct event;
struct sink;

#define WRITER_PROBE_MS	250	/* free-space probe cadence while dropping */
#define WRITER_RESERVE	8192	/* preallocated past EOF for the drop marker */

/*
 * Start the thread, which keeps its own copy of conf and opens conf->path
 * (creating it with conf->file_mode); ask the sink's open_state for the
 * result. done is made active (event_active) each time the open finishes,
 * chunks come back, or the thread ends. Returns NULL with a message in err
 * when the thread cannot be had.
 */
struct sink *writer_new(const struct config_output *conf, const char *host,
	    size_t chunk_size, struct event *done, char *err, size_t errlen);

#endif
