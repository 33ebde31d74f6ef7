/* SPDX-License-Identifier: ISC */
/*
 * output.c: the loop-thread side of an output: chunk pool, formatting into
 * the current chunk, hand-off to the sink's thread (group commit, with the
 * flusher task as its upper bound), and the completion callback that moves
 * the counters.
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

#include "chunk.h"
#include "format.h"
#include "forward.h"
#include "kafka.h"
#include "log.h"
#include "filter.h"
#include "match.h"
#include "output.h"
#include "rotate.h"
#include "sink.h"
#include "task.h"
#include "template.h"
#include "writer.h"

struct output {
	struct config_output *conf;	/* private copy */
	unsigned	 index;		/* bit in a record's route mask */
	uint64_t	 id;		/* unique for the daemon's lifetime */
	struct event_base *base;

	struct chunk	*current;	/* being filled, or NULL */
	struct chunk_list free;
	unsigned	 nchunks;
	unsigned	 nfree;
	uint64_t	 next_seq;	/* seq of the next chunk handed off */
	uint64_t	 completed_seq;	/* every chunk below this came back */
	uint64_t	 lossy_seq;	/* 1 + seq of the last one back with drops */
	struct counters	 counters;
	uint64_t	 fallback;	/* records whose file name was unusable */
	bool		 stalled;	/* no room for stall_timeout_ms: drop, don't wait */
	struct task_cond room;		/* signalled when a chunk returns to the pool */
	struct task_cond progress;	/* a chunk came back, the sink opened or ended */
	struct task	 flusher;
	struct event	*commit_ev;	/* idle event: group commit */
	struct event	*done_ev;	/* sink -> loop completion */
	char		 host[256];
	unsigned	 flush_ms;	/* flush_interval_ms */

	struct sink	*sink;		/* NULL once stopped */
	const struct sink_ops *ops;	/* its kind, still known after it stops */
	int64_t		 last_write_ns;	/* the sink's, kept when it stops */
	int64_t		 possibly_lost;	/* the sink's, kept when it stops */
	int64_t		 free_bytes;	/* likewise (-1: unknown) */
	void		(*retired_cb)(struct output *, void *);
	void		*retired_arg;
};

static uint64_t output_next_id = 1;	/* loop thread only */
static struct log_ratelimit output_rl = LOG_RATELIMIT_INIT(10000, 5);

/* A chunk with less room than this left is handed off at once. */
#define OUTPUT_CHUNK_SLACK	512

static void
output_handoff(struct output *o)
{
	struct chunk *c = o->current;

	o->current = NULL;
	c->seq = o->next_seq++;
	o->sink->ops->submit(o->sink, c);
}

/* A sink that holds chunks while it cannot take them gets full chunks
 * only, rather than one of the pool for every partial hand-off. */
static bool
output_partial_ok(const struct output *o)
{
	return !o->ops->holds_while_dropping ||
	    !o->sink->ops->dropping(o->sink, NULL, NULL);
}

/*
 * Group commit. The current chunk goes to the sink once the loop has no
 * more input ready (commit_ev is an idle event, task.h) and the sink has
 * nothing in flight. A quiet system so writes a record at once; under load
 * records keep coming in while the sink writes, and the chunk they fill
 * goes when the sink gives the last one back (output_complete arms the
 * commit again), so chunks grow with the load instead of shrinking to a
 * write per loop pass. flush_interval_ms (the flusher) stays the bound.
 */
static void
output_commit_soon(struct output *o)
{
	if (o->completed_seq == o->next_seq)
		event_active(o->commit_ev, 0, 0);
}

static void
output_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct output *o = arg;

	(void)fd;
	(void)what;
	if (o->sink == NULL || o->retired_cb != NULL ||
	    o->completed_seq != o->next_seq || !output_partial_ok(o))
		return;
	output_flush(o);
}

/* Chunks came back from the sink: move their counters, refill the pool. */
static void
output_complete(struct output *o, struct chunk_list *done)
{
	struct chunk *c;

	while ((c = TAILQ_FIRST(done)) != NULL) {
		TAILQ_REMOVE(done, c, entry);
		o->counters.written += c->nwritten;
		o->counters.dropped[o->ops->drop_reason] += c->ndropped;
		o->counters.dropped[DROP_SPOOL_FULL] += c->nfull;
		/* What went to the sink's spool stays buffered, out of the
		 * pool: take_counts says when it is delivered. */
		o->counters.buffered -= c->nrecords - c->nspooled;
		o->completed_seq = c->seq + 1;
		/* A full spool's drops are losses too, for the barrier. */
		if (c->ndropped > 0 || c->nfull > 0)
			o->lossy_seq = c->seq + 1;
		c->len = 0;
		c->nrecords = 0;
		c->nspooled = 0;
		c->nfull = 0;
		/* Last in, first out: the chunk just written is the one still
		 * in cache and already paged in; chunks at the tail of the pool
		 * are never touched unless a burst needs them, so the resident
		 * size follows the load, not max_memory. */
		TAILQ_INSERT_HEAD(&o->free, c, entry);
		o->nfree++;
	}
	o->stalled = false;
	if (o->current != NULL && o->current->len > 0)
		output_commit_soon(o);
	task_cond_broadcast(&o->room);
	task_cond_broadcast(&o->progress);
}

/* Records a sink's spool brought in or delivered: received and buffered,
 * or written, in one step like a chunk's. */
static void
output_add_counts(struct output *o, const struct sink_counts *sc)
{
	o->counters.received += sc->added;
	o->counters.buffered += sc->added;
	o->counters.written += sc->written;
	o->counters.buffered -= sc->written;
	o->counters.dropped[DROP_TOO_LARGE] += sc->too_large;
	o->counters.buffered -= sc->too_large;
}

static void
output_take_counts(struct output *o)
{
	struct sink_counts sc = { 0, 0, 0 };

	if (o->sink->ops->take_counts == NULL)
		return;
	o->sink->ops->take_counts(o->sink, &sc);
	output_add_counts(o, &sc);
}

static void
output_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct output *o = arg;
	struct chunk_list done;

	(void)fd;
	(void)what;
	TAILQ_INIT(&done);
	o->sink->ops->take_done(o->sink, &done);
	output_complete(o, &done);
	output_take_counts(o);
	if (o->retired_cb != NULL && o->sink->ops->finished(o->sink))
		o->retired_cb(o, o->retired_arg);	/* may free o */
}

static enum task_step
output_flusher_task(struct task *t)
{
	struct output *o = t->arg;

	TASK_BEGIN(t);
	for (;;) {
		TASK_SLEEP(t, (int)o->flush_ms);
		/* The bound on group commit: a chunk waits no longer than
		 * this, even for a sink that is still writing. */
		if (output_partial_ok(o))
			output_flush(o);
	}
	TASK_END(t);
}

struct output *
output_new(struct event_base *base, const struct config_output *conf,
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
	o->flush_ms = flush_interval_ms;
	o->free_bytes = -1;
	TAILQ_INIT(&o->free);
	task_cond_init(&o->room);
	task_cond_init(&o->progress);
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
	o->commit_ev = event_new(base, -1, 0, output_commit_cb, o);
	if (o->done_ev == NULL || o->commit_ev == NULL)
		goto oom;
	/* On a loop without priorities (a test's), commit at once. */
	(void)task_set_idle(o->commit_ev);
	switch (conf->type) {
	case CONFIG_OUTPUT_FORWARD:
		o->sink = forward_new(conf, o->host, chunk_size, o->done_ev,
		    err, errlen);
		break;
	case CONFIG_OUTPUT_KAFKA:
		o->sink = kafka_new(conf, o->done_ev, err, errlen);
		break;
	default:
		o->sink = writer_new(conf, o->host, chunk_size, o->done_ev,
		    err, errlen);
		break;
	}
	if (o->sink == NULL)
		goto fail;
	o->ops = o->sink->ops;
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

/*
 * A line by template, and for an output whose path has fields, behind the
 * name of its file (chunk.h: CHUNK_NAMED), rendered here where the record
 * still is; the writer sorts a chunk's lines into their files. An
 * unusable name (template.h), or one that reads as a rotated copy
 * (rotate.h), is an empty one: the fallback file.
 */
static ssize_t __attribute__((noinline))
output_format_other(struct output *o, const struct record *rec, char *dst,
    size_t cap)
{
	char	name[TEMPLATE_NAME_MAX + 1];
	ssize_t	nlen, n;

	if (o->conf->name_template == NULL)
		return template_line(o->conf->format, o->conf->template,
		    o->conf->sd_id, rec, o->host, dst, cap);

	if ((nlen = template_render_name(o->conf->name_template, rec, o->host,
	    name, sizeof(name))) < 0 || rotate_is_copy(name))
		nlen = 0;
	if (cap < (size_t)nlen + 1)
		return -1;
	if ((n = template_line(o->conf->format, o->conf->template,
	    o->conf->sd_id, rec, o->host, dst + 1 + nlen,
	    cap - 1 - (size_t)nlen)) < 0)
		return -1;
	dst[0] = (char)(unsigned char)nlen;
	memcpy(dst + 1, name, (size_t)nlen);
	if (nlen == 0)
		o->fallback++;
	return 1 + nlen + n;
}

enum output_offer
output_offer(struct output *o, const struct record *rec)
{
	struct chunk *c;
	ssize_t n;

	for (;;) {
		if (o->current == NULL &&
		    (o->current = output_take_chunk(o)) == NULL)
			return OUTPUT_FULL;
		c = o->current;
		/* The built-in formats first: the common case stays as
		 * cheap as it was before templates. */
		if (o->conf->template == NULL && o->conf->name_template == NULL)
			n = format_record(o->conf->format, o->conf->sd_id, rec,
			    o->host, c->buf + c->len, c->cap - c->len);
		else
			n = output_format_other(o, rec, c->buf + c->len,
			    c->cap - c->len);
		if (n >= 0)
			break;
		if (c->len == 0) {
			/* Does not fit even in an empty chunk. */
			o->counters.received++;
			o->counters.dropped[DROP_TOO_LARGE]++;
			return OUTPUT_REFUSED;
		}
		output_handoff(o);
	}
	if (c->nrecords == 0) {
		c->first_ns = rec->time_ns;
		output_commit_soon(o);
	}
	c->last_ns = rec->time_ns;
	c->len += n;
	c->nrecords++;
	tally_add(&c->senders, rec->pid, 1);
	o->counters.received++;
	o->counters.buffered++;
	if (c->cap - c->len < OUTPUT_CHUNK_SLACK)
		output_handoff(o);
	return OUTPUT_TAKEN;
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

void
output_give_up(struct output *o, unsigned waited_ms)
{
	if (!o->stalled)
		log_limited(&output_rl, "output %s: no room for %u ms; dropping "
		    "its records until it takes a chunk again", o->conf->name,
		    waited_ms);
	o->stalled = true;
	output_count_drop(o, DROP_OVERFLOW);
}

bool
output_stalled(const struct output *o)
{
	return o->stalled;
}

struct task_cond *
output_room(struct output *o)
{
	return &o->room;
}

struct task_cond *
output_progress(struct output *o)
{
	return &o->progress;
}

uint64_t
output_sync_point(struct output *o)
{
	output_flush(o);
	return o->next_seq;
}

bool
output_synced(const struct output *o, uint64_t seq)
{
	return o->completed_seq >= seq;
}

uint64_t
output_written_seq(const struct output *o)
{
	return o->completed_seq;
}

bool
output_lossy_since(const struct output *o, uint64_t seq)
{
	return o->lossy_seq > seq;
}

int64_t
output_fallback(const struct output *o)
{
	return o->conf->name_template != NULL ? (int64_t)o->fallback : -1;
}

const char *
output_name(const struct output *o)
{
	return o->conf->name;
}

const char *
output_path(const struct output *o)
{
	return o->conf->path;
}

unsigned
output_index(const struct output *o)
{
	return o->index;
}

uint64_t
output_id(const struct output *o)
{
	return o->id;
}

bool
output_takes(const struct output *o, const struct record *rec)
{
	return match_record(&o->conf->selector, rec->facility, rec->severity);
}

bool
output_filtered(const struct output *o)
{
	return o->conf->filter != NULL;
}

bool
output_passes(const struct output *o, const struct record *rec)
{
	return filter_match(o->conf->filter, rec, o->host);
}

bool
output_final(const struct output *o)
{
	return o->conf->final;
}

bool
output_sync_always(const struct output *o)
{
	return o->conf->sync == SYNC_ALWAYS;
}

const struct counters *
output_counters(const struct output *o)
{
	return &o->counters;
}

int
output_opened(struct output *o, bool wait, char *err, size_t errlen)
{
	switch (o->sink->ops->open_state(o->sink, wait, err, errlen)) {
	case SINK_OPENING:
		return 1;
	case SINK_OPEN:
		return 0;
	default:
		return -1;
	}
}

bool
output_idle(const struct output *o)
{
	return o->counters.buffered == 0;
}

const char *
output_state_name(const struct output *o, enum output_state state)
{
	uint64_t n;

	switch (state) {
	case OUTPUT_DROPPING:
		return o->ops->dropping_name;
	case OUTPUT_STOPPED:
		return "stopped";
	default:
		/* Taking records, but from its spool first. */
		if (output_spool(o, NULL, &n) && n > 0)
			return "spooling";
		return o->ops->taking_name;
	}
}

bool
output_held(const struct output *o)
{
	if (o->sink == NULL)
		return false;
	/* A spool keeps what is left across the stop. */
	if (output_spool(o, NULL, NULL))
		return true;
	return o->ops->holds_while_dropping &&
	    o->sink->ops->dropping(o->sink, NULL, NULL);
}

const char *
output_last_error(const struct output *o, int64_t *when_ns)
{
	*when_ns = 0;
	if (o->sink == NULL || o->sink->ops->last_error == NULL)
		return NULL;
	return o->sink->ops->last_error(o->sink, when_ns);
}

int64_t
output_possibly_lost(const struct output *o)
{
	if (o->ops->possibly_lost == NULL)
		return -1;
	return o->sink != NULL ? (int64_t)o->sink->ops->possibly_lost(o->sink) :
	    o->possibly_lost;
}

bool
output_spool(const struct output *o, uint64_t *bytes, uint64_t *records)
{
	uint64_t b, r;

	if (o->sink == NULL || o->sink->ops->spool == NULL ||
	    !o->sink->ops->spool(o->sink, &b, &r))
		return false;
	if (bytes != NULL)
		*bytes = b;
	if (records != NULL)
		*records = r;
	return true;
}

enum output_state
output_state(const struct output *o, int64_t *since_ns, const char **reason)
{
	if (o->sink == NULL) {
		*since_ns = 0;
		*reason = NULL;
		return OUTPUT_STOPPED;
	}
	return o->sink->ops->dropping(o->sink, since_ns, reason) ?
	    OUTPUT_DROPPING : OUTPUT_WRITING;
}

int64_t
output_free_bytes(const struct output *o)
{
	return o->sink != NULL ? o->sink->ops->free_bytes(o->sink) :
	    o->free_bytes;
}

int64_t
output_last_write_ns(const struct output *o)
{
	return o->sink != NULL ? o->sink->ops->last_write_ns(o->sink) :
	    o->last_write_ns;
}

void
output_reopen(struct output *o)
{
	o->sink->ops->reopen(o->sink);
}

int
output_stop(struct output *o, const struct timespec *deadline)
{
	struct sink_counts sc = { 0, 0, 0 };
	struct chunk_list done;
	int rc;

	if (o->sink == NULL)
		return 0;
	output_flush(o);
	TAILQ_INIT(&done);
	/* The sink writes what is queued first. When it last wrote is kept
	 * for the final counters (as of now: the sink is gone after close). */
	o->last_write_ns = o->sink->ops->last_write_ns(o->sink);
	o->possibly_lost = output_possibly_lost(o);
	o->free_bytes = o->sink->ops->free_bytes(o->sink);
	if ((rc = o->sink->ops->close(o->sink, &done, &sc, deadline)) == 0)
		o->sink = NULL;
	output_complete(o, &done);
	output_add_counts(o, &sc);
	return rc;
}

void
output_free(struct output *o)
{
	struct chunk *c;

	output_stop(o, NULL);
	if (task_alive(&o->flusher))
		task_cancel(&o->flusher);
	if (o->current != NULL)
		TAILQ_INSERT_TAIL(&o->free, o->current, entry);
	while ((c = TAILQ_FIRST(&o->free)) != NULL) {
		TAILQ_REMOVE(&o->free, c, entry);
		free(c->buf);
		free(c);
	}
	if (o->commit_ev != NULL)
		event_free(o->commit_ev);
	if (o->done_ev != NULL)
		event_free(o->done_ev);
	config_output_free(o->conf);
	free(o);
}

int
output_reconfigure(struct output *o, const struct config_output *conf,
    unsigned flush_interval_ms)
{
	struct config_output *copy;

	o->flush_ms = flush_interval_ms;
	o->free_bytes = -1;
	if ((copy = config_output_dup(conf)) == NULL ||
	    o->sink->ops->reconfigure(o->sink, conf) == -1) {
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
	o->sink->ops->stop(o->sink);
	/* Whoever waits on this output re-routes and finds it gone. */
	task_cond_broadcast(&o->room);
	task_cond_broadcast(&o->progress);
}
