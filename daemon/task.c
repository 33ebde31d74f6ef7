/* SPDX-License-Identifier: ISC */
/*
 * task.c: the coroutine task layer over libevent (see task.h).
 *
 * Each task owns exactly one struct event, re-armed for whatever it awaits
 * next: an fd, a timer, or nothing (a wake-up delivered with event_active).
 * Waiting on a condition puts the task on the condition's queue and, when a
 * deadline is given, arms the event as a timer; whichever comes first removes
 * the other, so a task is never woken twice for one await.
 */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "task.h"

/*
 * libevent gives a new event the middle one of a base's priorities, and
 * runs a pass of the loop on the most urgent level that has active events
 * only. With three levels every event made anywhere (tasks, listeners,
 * signals, completions) lands on the middle one without being told, and
 * an idle event on the last runs only when the other levels are empty.
 */
#define TASK_PRIORITIES		3
#define TASK_PRIORITY_IDLE	2

static LIST_HEAD(, task) task_all = LIST_HEAD_INITIALIZER(task_all);
static unsigned task_live;

static void	task_event_cb(evutil_socket_t, short, void *);

static void
task_finish(struct task *t)
{
	if (t->cond != NULL) {
		TAILQ_REMOVE(&t->cond->waiters, t, cond_entry);
		t->cond = NULL;
	}
	event_free(t->ev);
	t->ev = NULL;
	LIST_REMOVE(t, all_entry);
	task_live--;
	if (t->cleanup != NULL)
		t->cleanup(t);	/* may free the memory t lives in */
}

static void
task_run(struct task *t)
{
	enum task_step step;

	t->running = true;
	step = t->fn(t);
	t->running = false;
	if (step == TASK_DONE || t->cancelled)
		task_finish(t);
}

static void
task_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct task *t = arg;

	(void)fd;
	if (t->cond != NULL) {
		/* The deadline of a condition wait passed first. */
		TAILQ_REMOVE(&t->cond->waiters, t, cond_entry);
		t->cond = NULL;
	}
	if (what & (EV_READ | EV_WRITE))
		t->result = TASK_READY;
	else if (what & EV_TIMEOUT)
		t->result = TASK_TIMEOUT;
	else
		t->result = TASK_WOKEN;
	task_run(t);
}

int
task_loop_init(struct event_base *base)
{
	return event_base_priority_init(base, TASK_PRIORITIES);
}

int
task_set_idle(struct event *ev)
{
	return event_priority_set(ev, TASK_PRIORITY_IDLE);
}

int
task_spawn(struct event_base *base, struct task *t, const char *name,
    task_fn fn, task_cleanup_fn cleanup, void *arg)
{
	if (t->ev != NULL) {
		errno = EBUSY;	/* still alive: it would be listed twice */
		return -1;
	}
	t->name = name;
	t->fn = fn;
	t->cleanup = cleanup;
	t->arg = arg;
	t->resume = 0;
	t->base = base;
	t->cond = NULL;
	t->running = false;
	t->cancelled = false;
	t->ev = event_new(base, -1, 0, task_event_cb, t);
	if (t->ev == NULL)
		return -1;
	LIST_INSERT_HEAD(&task_all, t, all_entry);
	task_live++;
	t->result = TASK_WOKEN;
	event_active(t->ev, 0, 0);
	return 0;
}

static void
task_arm(struct task *t, int fd, short what, int ms)
{
	struct timeval tv;

	event_del(t->ev);
	event_assign(t->ev, t->base, fd, what, task_event_cb, t);
	if (ms >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		event_add(t->ev, &tv);
	} else if (what != 0)
		event_add(t->ev, NULL);
}

void
task_wait_fd(struct task *t, int fd, short what, int ms)
{
	task_arm(t, fd, what, ms);
}

void
task_wait_cond(struct task *t, struct task_cond *c, int ms)
{
	task_arm(t, -1, 0, ms);
	t->cond = c;
	TAILQ_INSERT_TAIL(&c->waiters, t, cond_entry);
}

void
task_wake(struct task *t)
{
	if (t->cond != NULL) {
		TAILQ_REMOVE(&t->cond->waiters, t, cond_entry);
		t->cond = NULL;
	}
	task_arm(t, -1, 0, -1);
	event_active(t->ev, 0, 0);
}

void
task_cancel(struct task *t)
{
	t->cancelled = true;
	if (!t->running)
		task_finish(t);
}

void
task_cond_init(struct task_cond *c)
{
	TAILQ_INIT(&c->waiters);
}

void
task_cond_signal(struct task_cond *c)
{
	struct task *t;

	if ((t = TAILQ_FIRST(&c->waiters)) != NULL)
		task_wake(t);
}

void
task_cond_broadcast(struct task_cond *c)
{
	while (!TAILQ_EMPTY(&c->waiters))
		task_wake(TAILQ_FIRST(&c->waiters));
}

bool
task_cond_has_waiters(const struct task_cond *c)
{
	return !TAILQ_EMPTY(&c->waiters);
}

bool
task_alive(const struct task *t)
{
	return t->ev != NULL;
}

bool
task_waiting_cond(const struct task *t)
{
	return t->cond != NULL;
}

unsigned
task_count(void)
{
	return task_live;
}
