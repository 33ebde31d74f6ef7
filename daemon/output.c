/*
 * output.c: the loop-thread side of an output: chunk pool, formatting into
 * the current chunk, hand-off to the writer thread, the flusher task, and
 * the completion callback that moves the counters.
 *
 * Counters change only here, on the loop thread, and a record's counters
 * move in one step when its chunk comes back (buffered -> written or
 * dropped), so received = written + dropped + buffered holds whenever
 * anyone on the loop looks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "format.h"
#include "log.h"
#include "output.h"
#include "writer.h"

static uint64_t output_next_id = 1;	/* loop thread only */

/* A chunk with less room than this left is handed off at once. */
#define OUTPUT_CHUNK_SLACK	512

static void
output_handoff(struct output *o)
{
	struct chunk *c = o->current;

	o->current = NULL;
	c->seq = o->next_seq++;
	writer_submit(o->writer, c);
}

/* Chunks came back from the writer: move their counters, refill the pool. */
static void
output_complete(struct output *o, struct chunk_list *done)
{
	struct chunk *c;

	while ((c = TAILQ_FIRST(done)) != NULL) {
		TAILQ_REMOVE(done, c, entry);
		o->counters.written += c->nwritten;
		o->counters.dropped[DROP_DISK_FULL] += c->ndropped;
		o->counters.buffered -= c->nrecords;
		o->completed_seq = c->seq + 1;
		c->len = 0;
		c->nrecords = 0;
		/* Last in, first out: the chunk just written is the one still
		 * in cache and already paged in; chunks at the tail of the pool
		 * are never touched unless a burst needs them, so the resident
		 * size follows the load, not max_memory. */
		TAILQ_INSERT_HEAD(&o->free, c, entry);
		o->nfree++;
	}
	o->stalled = false;
	task_cond_broadcast(&o->space);
	task_cond_broadcast(&o->completed);
}

static void
output_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct output *o = arg;
	struct chunk_list done;

	(void)fd;
	(void)what;
	TAILQ_INIT(&done);
	writer_take_done(o->writer, &done);
	output_complete(o, &done);
	if (o->retired_cb != NULL && writer_finished(o->writer))
		o->retired_cb(o, o->retired_arg);	/* may free o */
}

static enum task_step
output_flusher_task(struct task *t)
{
	struct output *o = t->arg;

	TASK_BEGIN(t);
	for (;;) {
		TASK_SLEEP(t, (int)o->conf_flush_ms);
		output_flush(o);
	}
	TASK_END(t);
}

struct output *
output_new(struct event_base *base, struct config_output *conf,
    unsigned index, size_t chunk_size, unsigned nchunks,
    unsigned flush_interval_ms, char *err, size_t errlen)
{
	struct output *o;
	struct chunk *c;
	unsigned i;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->conf = config_output_dup(conf)) == NULL)
		goto oom;
	o->index = index;
	o->id = output_next_id++;
	o->base = base;
	o->conf_flush_ms = flush_interval_ms;
	TAILQ_INIT(&o->free);
	task_cond_init(&o->space);
	task_cond_init(&o->completed);
	if (gethostname(o->host, sizeof(o->host) - 1) == -1)
		strcpy(o->host, "localhost");
	for (i = 0; i < nchunks; i++) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			goto oom;
		if ((c->buf = malloc(chunk_size)) == NULL) {
			free(c);
			goto oom;
		}
		c->cap = chunk_size;
		TAILQ_INSERT_TAIL(&o->free, c, entry);
		o->nchunks++;
		o->nfree++;
	}
	o->done_ev = event_new(base, -1, 0, output_done_cb, o);
	if (o->done_ev == NULL)
		goto oom;
	o->writer = writer_new(conf, o->host, chunk_size, o->done_ev, err, errlen);
	if (o->writer == NULL)
		goto fail;
	if (task_spawn(base, &o->flusher, "flusher", output_flusher_task,
	    NULL, o) == -1) {
		snprintf(err, errlen, "output %s: cannot start flusher", conf->name);
		goto fail;
	}
	return o;
oom:
	snprintf(err, errlen, "output %s: out of memory", conf->name);
	if (o != NULL && o->conf == NULL) {
		free(o);
		return NULL;
	}
fail:
	if (o != NULL) {
		output_free(o);
	}
	return NULL;
}

static struct chunk *
output_take_chunk(struct output *o)
{
	struct chunk *c;

	if ((c = TAILQ_FIRST(&o->free)) == NULL)
		return NULL;
	TAILQ_REMOVE(&o->free, c, entry);
	o->nfree--;
	c->len = 0;
	c->nrecords = 0;
	tally_clear(&c->senders);
	return c;
}

int
output_append(struct output *o, const struct record *rec)
{
	struct chunk *c;
	ssize_t n;

	for (;;) {
		if (o->current == NULL &&
		    (o->current = output_take_chunk(o)) == NULL)
			return -1;
		c = o->current;
		n = format_record(o->conf->format, rec, o->host,
		    c->buf + c->len, c->cap - c->len);
		if (n >= 0)
			break;
		if (c->len == 0) {
			/* Does not fit even in an empty chunk. */
			o->counters.received++;
			o->counters.dropped[DROP_TOO_LARGE]++;
			return -2;
		}
		output_handoff(o);
	}
	if (c->nrecords == 0)
		c->first_ns = rec->time_ns;
	c->last_ns = rec->time_ns;
	c->len += n;
	c->nrecords++;
	tally_add(&c->senders, rec->pid, 1);
	o->counters.received++;
	o->counters.buffered++;
	if (c->cap - c->len < OUTPUT_CHUNK_SLACK)
		output_handoff(o);
	return 0;
}

void
output_count_drop(struct output *o, enum drop_reason reason)
{
	o->counters.received++;
	o->counters.dropped[reason]++;
}

void
output_flush(struct output *o)
{
	if (o->current != NULL && o->current->len > 0)
		output_handoff(o);
}

uint64_t
output_sync_point(struct output *o)
{
	output_flush(o);
	return o->next_seq;
}

bool
output_idle(const struct output *o)
{
	return o->counters.buffered == 0;
}

enum output_state
output_state(const struct output *o, int64_t *since_ns, const char **reason)
{
	if (o->writer == NULL) {
		*since_ns = 0;
		*reason = "stopped";
		return OUTPUT_WRITING;
	}
	return writer_dropping(o->writer, since_ns, reason) ?
	    OUTPUT_DROPPING : OUTPUT_WRITING;
}

int64_t
output_free_bytes(const struct output *o)
{
	return o->writer != NULL ? writer_free_bytes(o->writer) : -1;
}

int64_t
output_last_write_ns(const struct output *o)
{
	return o->writer != NULL ? writer_last_write_ns(o->writer) : 0;
}

void
output_reopen(struct output *o)
{
	writer_reopen(o->writer);
}

int
output_stop(struct output *o, const struct timespec *deadline)
{
	struct chunk_list done;
	int rc;

	if (o->writer == NULL)
		return 0;
	output_flush(o);
	TAILQ_INIT(&done);
	/* The writer writes what is queued first. */
	if ((rc = writer_free(o->writer, &done, deadline)) == 0)
		o->writer = NULL;
	output_complete(o, &done);
	return rc;
}

void
output_free(struct output *o)
{
	struct chunk *c;

	output_stop(o, NULL);
	if (o->flusher.ev != NULL)
		task_cancel(&o->flusher);
	if (o->current != NULL)
		TAILQ_INSERT_TAIL(&o->free, o->current, entry);
	while ((c = TAILQ_FIRST(&o->free)) != NULL) {
		TAILQ_REMOVE(&o->free, c, entry);
		free(c->buf);
		free(c);
	}
	if (o->done_ev != NULL)
		event_free(o->done_ev);
	config_output_free(o->conf);
	free(o);
}

int
output_reconfigure(struct output *o, const struct config_output *conf)
{
	struct config_output *copy;

	if ((copy = config_output_dup(conf)) == NULL ||
	    writer_reconfigure(o->writer, conf) == -1) {
		config_output_free(copy);
		return -1;
	}
	config_output_free(o->conf);
	o->conf = copy;
	return 0;
}

void
output_retire(struct output *o, void (*cb)(struct output *, void *),
    void *arg)
{
	output_flush(o);
	o->retired_cb = cb;
	o->retired_arg = arg;
	task_cancel(&o->flusher);
	writer_stop(o->writer);
	/* Whoever waits on this output re-routes and finds it gone. */
	task_cond_broadcast(&o->space);
	task_cond_broadcast(&o->completed);
}
