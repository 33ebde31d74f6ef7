/* SPDX-License-Identifier: ISC */
/*
 * task.h: cooperative tasks (stackless coroutines) on one libevent loop.
 *
 * A task is a function that runs until it has to wait, records where it
 * stopped, and returns to the loop; when the awaited event fires the loop
 * calls it again and it jumps back to that point. All state that must survive
 * an await lives in the struct that embeds the struct task, never in locals.
 * This keeps an idle connection at a few hundred bytes and a switch at the
 * cost of a function call. The layer knows nothing about logging.
 *
 * Rules for task functions:
 *   - start with TASK_BEGIN(t) and end with TASK_END(t);
 *   - locals do not survive an await (re-derive them after it);
 *   - no await inside a nested switch statement (the resume point is a case
 *     label of TASK_BEGIN's switch).
 *
 * Everything here runs on the loop thread only; other threads talk to tasks
 * through libevent's thread-safe event_active().
 *
 * The loop has two kinds of event: every task, fd and timer runs at the
 * normal priority; an idle event (task_set_idle) runs only in a pass of the
 * loop in which nothing else was ready, that is once every readable socket
 * has been read to EAGAIN and every woken task has run. That is where work
 * that should batch what a burst brought in, but not wait for a timer, goes
 * (the outputs' group commit).
 */
#ifndef ASYNCLOG_TASK_H
#define ASYNCLOG_TASK_H

#include <stdbool.h>
#include <sys/queue.h>

struct event;
struct event_base;
struct task;

enum task_step {
	TASK_WAIT,		/* suspended at an await */
	TASK_DONE,		/* finished; cleanup runs, the task is gone */
};

enum task_result {
	TASK_READY,		/* the awaited fd is readable/writable */
	TASK_TIMEOUT,		/* the deadline passed first */
	TASK_WOKEN,		/* task_wake() or a condition was signalled */
};

typedef enum task_step (*task_fn)(struct task *);
typedef void (*task_cleanup_fn)(struct task *);

struct task_cond {
	TAILQ_HEAD(, task) waiters;
};

struct task {
	const char	*name;		/* for stats and debugging */
	task_fn		 fn;
	task_cleanup_fn	 cleanup;	/* runs once when the task ends or is cancelled */
	void		*arg;		/* the owner, usually the embedding struct */
	int		 resume;	/* resume point (source line), 0 = start */
	enum task_result result;	/* why the last await returned */
	struct event	*ev;		/* fd / timer / wake-up, one at a time */
	struct event_base *base;
	struct task_cond *cond;		/* condition waited on, or NULL */
	TAILQ_ENTRY(task) cond_entry;
	LIST_ENTRY(task) all_entry;
	bool		 running;	/* inside fn; cancel is deferred */
	bool		 cancelled;
};

#define TASK_BEGIN(t)	switch ((t)->resume) { case 0:
#define TASK_END(t)	} (t)->resume = -1; return TASK_DONE

/* Suspend here; the next run of the task continues after this line. */
#define TASK_SUSPEND(t)							\
	do {								\
		(t)->resume = __LINE__;					\
		return TASK_WAIT;					\
		case __LINE__:;						\
	} while (0)

/* Wait until fd is ready for what (EV_READ / EV_WRITE) or ms pass (-1: no limit). */
#define TASK_AWAIT_FD(t, fd, what, ms)					\
	do {								\
		task_wait_fd((t), (fd), (what), (ms));			\
		TASK_SUSPEND(t);					\
	} while (0)

#define TASK_SLEEP(t, ms)	TASK_AWAIT_FD((t), -1, 0, (ms))

/* Let other ready tasks run, then continue. */
#define TASK_YIELD(t)							\
	do {								\
		task_wake(t);						\
		TASK_SUSPEND(t);					\
	} while (0)

/* Wait until cond is signalled or ms pass (-1: no limit). */
#define TASK_AWAIT_COND(t, c, ms)					\
	do {								\
		task_wait_cond((t), (c), (ms));				\
		TASK_SUSPEND(t);					\
	} while (0)

/* Give base the priorities above: before any event on it is active (right
 * after event_base_new). Returns 0 or -1. */
int	task_loop_init(struct event_base *);

/* Make ev (not active, not pending) an idle event: event_active() on it
 * runs its callback once the loop has nothing else ready. Returns -1 on a
 * base without task_loop_init(), where ev keeps the normal priority. */
int	task_set_idle(struct event *);

/* Start t: it first runs on the next loop iteration. Returns 0, or -1
 * when memory is short or t is still alive (EBUSY). */
int	task_spawn(struct event_base *, struct task *, const char *name,
	    task_fn, task_cleanup_fn, void *arg);

/* Make a waiting task run again soon, with result TASK_WOKEN. */
void	task_wake(struct task *);

/*
 * End a task that is not running: its pending await is dropped and its
 * cleanup runs now. Called from inside its own fn, the task ends when fn
 * returns.
 */
void	task_cancel(struct task *);

void	task_cond_init(struct task_cond *);
void	task_cond_signal(struct task_cond *);	/* wake the longest waiter */
void	task_cond_broadcast(struct task_cond *);	/* wake every waiter */
bool	task_cond_has_waiters(const struct task_cond *);

/* Arm t's single event; used by the TASK_AWAIT_* macros. */
void	task_wait_fd(struct task *, int fd, short what, int ms);
void	task_wait_cond(struct task *, struct task_cond *, int ms);

/* Has t been spawned and not yet ended (or been cancelled)? */
bool	task_alive(const struct task *);

/* Is t parked on a condition (rather than on an fd or a timer)? */
bool	task_waiting_cond(const struct task *);

/* Number of live tasks, for stats. */
unsigned task_count(void);

#endif
