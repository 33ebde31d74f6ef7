/*
 * handoff.h: where the loop and a sink's thread meet. Every sink kind
 * (writer.c, forward.c, ...) embeds one: the queue of chunks to write and
 * the queue of chunks that came back, the requests of the loop (stop,
 * reopen, new settings), the result of the sink's first open, and whether
 * its thread has ended. One mutex guards all of it; the thread is woken
 * through a condition variable and, for a sink that sleeps in poll(2),
 * also through an eventfd; the loop is told through the sink's completion
 * event (event_active, thread-safe in libevent).
 *
 * Functions marked (loop) are called on the loop thread, (thread) on the
 * sink's own.
 */
#ifndef ASYNCLOG_HANDOFF_H
#define ASYNCLOG_HANDOFF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk.h"
#include "config.h"
#include "sink.h"

struct event;
struct timespec;

struct handoff {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* work for the thread */
	pthread_cond_t	 opened;	/* open left SINK_OPENING */
	struct chunk_list todo;
	struct chunk_list done;
	struct event	*done_ev;
	int		 wake_fd;	/* eventfd the thread polls, or -1 */
	bool		 stop;
	bool		 reopen;
	bool		 finished;	/* the thread is done; join will not wait */
	struct config_output *next_conf;	/* new settings, not taken yet */
	enum sink_open	 open;
	char		 open_err[512];
};

/* What the thread takes from the hand-off in one go. */
struct handoff_take {
	struct chunk	*chunk;		/* the next chunk, or NULL */
	bool		 stop;		/* the loop asked the thread to end */
	bool		 reopen;
	struct config_output *next_conf;	/* the thread owns it now */
};

/* (loop) wake_fd: an eventfd to write on every wake-up, or -1. */
void	handoff_init(struct handoff *, struct event *done_ev, int wake_fd);
void	handoff_destroy(struct handoff *);

void	handoff_submit(struct handoff *, struct chunk *);	/* (loop) */
void	handoff_take_done(struct handoff *, struct chunk_list *out); /* (loop) */
enum sink_open handoff_open_state(struct handoff *, bool wait, char *err,
	    size_t errlen);					/* (loop) */
/* (loop) A private copy of conf for the thread; -1 when out of memory. */
int	handoff_reconfigure(struct handoff *, const struct config_output *);
void	handoff_reopen(struct handoff *);			/* (loop) */
void	handoff_stop(struct handoff *);				/* (loop) */
/* (loop) Wake the thread for a request of the sink's own. */
void	handoff_wake(struct handoff *);
bool	handoff_finished(struct handoff *);			/* (loop) */

/* (thread) Publish the first open's result; SINK_FAILED (with err) also
 * means the thread ends now. */
void	handoff_opened(struct handoff *, enum sink_open, const char *err);
/*
 * (thread) Take the next chunk (when take_chunk) and the requests. With
 * wait, sleep on the condition variable first until there is something,
 * or until deadline (CLOCK_REALTIME; NULL: no limit).
 */
void	handoff_take(struct handoff *, bool take_chunk, bool wait,
	    const struct timespec *deadline, struct handoff_take *);
/* (thread) Every chunk still queued, to give back unwritten at the end. */
void	handoff_take_rest(struct handoff *, struct chunk_list *out);
/* (thread) Tell the loop something changed besides chunks (a sink's
 * counts). */
void	handoff_notify(struct handoff *);
/* (thread) A chunk is done (nwritten / ndropped set): back to the loop. */
void	handoff_return(struct handoff *, struct chunk *);
/* (thread) The end: chunks in left (and any still queued) go back, marked
 * by the caller, and the thread is finished. */
void	handoff_finish(struct handoff *, struct chunk_list *left);

#endif
