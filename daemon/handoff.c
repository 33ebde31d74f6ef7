/*
 * handoff.c: the meeting point of the loop and a sink's thread (see
 * handoff.h). Nothing here blocks for long: the mutex guards only list
 * splices and flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "handoff.h"

void
handoff_init(struct handoff *h, struct event *done_ev, int wake_fd)
{
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->opened, NULL);
	TAILQ_INIT(&h->todo);
	TAILQ_INIT(&h->done);
	h->done_ev = done_ev;
	h->wake_fd = wake_fd;
	h->stop = h->reopen = h->finished = false;
	h->next_conf = NULL;
	h->open = SINK_OPENING;
	h->open_err[0] = '\0';
}

void
handoff_destroy(struct handoff *h)
{
	config_output_free(h->next_conf);
	h->next_conf = NULL;
	pthread_cond_destroy(&h->opened);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}

/* Called with mu held: the thread has something to look at. */
static void
handoff_wake_locked(struct handoff *h)
{
	uint64_t one = 1;

	pthread_cond_signal(&h->cv);
	if (h->wake_fd != -1 && write(h->wake_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		errno = 0;	/* an eventfd only fails when full: it is awake */
}

void
handoff_submit(struct handoff *h, struct chunk *c)
{
	pthread_mutex_lock(&h->mu);
	TAILQ_INSERT_TAIL(&h->todo, c, entry);
	handoff_wake_locked(h);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_take_done(struct handoff *h, struct chunk_list *out)
{
	pthread_mutex_lock(&h->mu);
	TAILQ_CONCAT(out, &h->done, entry);
	pthread_mutex_unlock(&h->mu);
}

enum sink_open
handoff_open_state(struct handoff *h, bool wait, char *err, size_t errlen)
{
	enum sink_open state;

	pthread_mutex_lock(&h->mu);
	while (wait && h->open == SINK_OPENING)
		pthread_cond_wait(&h->opened, &h->mu);
	state = h->open;
	if (state == SINK_FAILED)
		snprintf(err, errlen, "%s", h->open_err);
	pthread_mutex_unlock(&h->mu);
	return state;
}

int
handoff_reconfigure(struct handoff *h, const struct config_output *conf)
{
	struct config_output *copy, *old;

	if ((copy = config_output_dup(conf)) == NULL)
		return -1;
	pthread_mutex_lock(&h->mu);
	old = h->next_conf;
	h->next_conf = copy;
	handoff_wake_locked(h);
	pthread_mutex_unlock(&h->mu);
	config_output_free(old);
	return 0;
}

void
handoff_reopen(struct handoff *h)
{
	pthread_mutex_lock(&h->mu);
	h->reopen = true;
	handoff_wake_locked(h);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_stop(struct handoff *h)
{
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	handoff_wake_locked(h);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_wake(struct handoff *h)
{
	pthread_mutex_lock(&h->mu);
	handoff_wake_locked(h);
	pthread_mutex_unlock(&h->mu);
}

bool
handoff_finished(struct handoff *h)
{
	bool f;

	pthread_mutex_lock(&h->mu);
	f = h->finished;
	pthread_mutex_unlock(&h->mu);
	return f;
}

void
handoff_opened(struct handoff *h, enum sink_open state, const char *err)
{
	pthread_mutex_lock(&h->mu);
	h->open = state;
	if (state == SINK_FAILED) {
		snprintf(h->open_err, sizeof(h->open_err), "%s",
		    err != NULL ? err : "cannot open");
		h->finished = true;
	}
	pthread_cond_broadcast(&h->opened);
	pthread_mutex_unlock(&h->mu);
	event_active(h->done_ev, EV_READ, 0);
}

void
handoff_take(struct handoff *h, bool take_chunk, bool wait,
    const struct timespec *deadline, struct handoff_take *t)
{
	pthread_mutex_lock(&h->mu);
	while (wait && (!take_chunk || TAILQ_EMPTY(&h->todo)) && !h->stop &&
	    !h->reopen && h->next_conf == NULL) {
		if (deadline == NULL)
			pthread_cond_wait(&h->cv, &h->mu);
		else if (pthread_cond_timedwait(&h->cv, &h->mu, deadline) ==
		    ETIMEDOUT)
			break;
	}
	t->chunk = take_chunk ? TAILQ_FIRST(&h->todo) : NULL;
	if (t->chunk != NULL)
		TAILQ_REMOVE(&h->todo, t->chunk, entry);
	t->stop = h->stop;
	t->reopen = h->reopen;
	h->reopen = false;
	t->next_conf = h->next_conf;
	h->next_conf = NULL;
	pthread_mutex_unlock(&h->mu);
}

void
handoff_take_rest(struct handoff *h, struct chunk_list *out)
{
	pthread_mutex_lock(&h->mu);
	TAILQ_CONCAT(out, &h->todo, entry);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_notify(struct handoff *h)
{
	event_active(h->done_ev, EV_READ, 0);
}

void
handoff_return(struct handoff *h, struct chunk *c)
{
	pthread_mutex_lock(&h->mu);
	TAILQ_INSERT_TAIL(&h->done, c, entry);
	pthread_mutex_unlock(&h->mu);
	event_active(h->done_ev, EV_READ, 0);
}

void
handoff_finish(struct handoff *h, struct chunk_list *left)
{
	pthread_mutex_lock(&h->mu);
	if (left != NULL)
		TAILQ_CONCAT(&h->done, left, entry);
	h->finished = true;
	pthread_mutex_unlock(&h->mu);
	event_active(h->done_ev, EV_READ, 0);
}
