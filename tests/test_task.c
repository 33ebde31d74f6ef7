/* SPDX-License-Identifier: ISC */
/*
 * test_task.c: the coroutine task layer on a real libevent loop: awaiting
 * an fd, a timeout, a condition, wake-ups, and cancel running cleanup.
 */
#include <unistd.h>

#include <event2/event.h>

#include <criterion/criterion.h>

#include "task.h"

struct probe {
	struct task	 task;
	int		 fd;
	int		 steps;
	enum task_result results[8];
	struct task_cond *cond;
	int		 ms;		/* condition wait deadline */
	bool		 cleaned;
	bool		 finished;
	int		 idle_at;	/* steps when an idle event ran */
};

static struct event_base *base;

static void
loop_up(void)
{
	base = event_base_new();
	cr_assert_not_null(base);
}

static void
loop_down(void)
{
	event_base_free(base);
}

static void
probe_cleanup(struct task *t)
{
	((struct probe *)t->arg)->cleaned = true;
}

static enum task_step
reader_task(struct task *t)
{
	struct probe *p = t->arg;
	char c;

	TASK_BEGIN(t);
	TASK_AWAIT_FD(t, p->fd, EV_READ, 5000);
	p->results[p->steps++] = t->result;
	cr_assert_eq(read(p->fd, &c, 1), 1);
	cr_assert_eq(c, 'x');
	p->finished = true;
	TASK_END(t);
}

Test(task, await_fd_resumes_when_the_fd_is_readable, .init = loop_up,
    .fini = loop_down)
{
	struct probe p = { 0 };
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	p.fd = fds[0];
	cr_assert_eq(task_spawn(base, &p.task, "reader", reader_task,
	    probe_cleanup, &p), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_not(p.finished, "ran before the fd was readable");
	cr_assert_eq(write(fds[1], "x", 1), 1);
	event_base_dispatch(base);
	cr_assert(p.finished);
	cr_assert_eq(p.results[0], TASK_READY);
	cr_assert(p.cleaned);
	cr_assert_eq(task_count(), 0);
	close(fds[0]);
	close(fds[1]);
}

static enum task_step
sleeper_task(struct task *t)
{
	struct probe *p = t->arg;

	TASK_BEGIN(t);
	TASK_AWAIT_FD(t, p->fd, EV_READ, 20);
	p->results[p->steps++] = t->result;
	TASK_SLEEP(t, 10);
	p->results[p->steps++] = t->result;
	p->finished = true;
	TASK_END(t);
}

Test(task, await_times_out_when_nothing_happens, .init = loop_up,
    .fini = loop_down)
{
	struct probe p = { 0 };
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	p.fd = fds[0];
	task_spawn(base, &p.task, "sleeper", sleeper_task, probe_cleanup, &p);
	event_base_dispatch(base);
	cr_assert(p.finished);
	cr_assert_eq(p.steps, 2);
	cr_assert_eq(p.results[0], TASK_TIMEOUT);
	cr_assert_eq(p.results[1], TASK_TIMEOUT);
	close(fds[0]);
	close(fds[1]);
}

static enum task_step
waiter_task(struct task *t)
{
	struct probe *p = t->arg;

	TASK_BEGIN(t);
	while (p->steps < 3) {
		TASK_AWAIT_COND(t, p->cond, p->ms);
		p->results[p->steps++] = t->result;
	}
	p->finished = true;
	TASK_END(t);
}

static enum task_step
signaller_task(struct task *t)
{
	struct probe *p = t->arg;

	TASK_BEGIN(t);
	while (!p->finished) {
		TASK_YIELD(t);
		task_cond_signal(p->cond);
	}
	TASK_END(t);
}

Test(task, condition_wakes_the_waiter_each_time_it_is_signalled,
    .init = loop_up, .fini = loop_down)
{
	struct task_cond c;
	struct probe w = { 0 }, s = { 0 };

	task_cond_init(&c);
	w.cond = &c;
	w.ms = 5000;
	task_spawn(base, &w.task, "waiter", waiter_task, probe_cleanup, &w);
	/* The signaller watches the waiter's progress through its probe. */
	task_spawn(base, &s.task, "signaller", signaller_task, NULL, &w);
	event_base_dispatch(base);
	cr_assert(w.finished);
	cr_assert_eq(w.results[0], TASK_WOKEN);
	cr_assert_eq(w.results[2], TASK_WOKEN);
	cr_assert_not(task_cond_has_waiters(&c));
}

Test(task, condition_wait_times_out_and_leaves_the_queue, .init = loop_up,
    .fini = loop_down)
{
	struct task_cond c;
	struct probe w = { 0 };

	task_cond_init(&c);
	w.cond = &c;
	w.ms = 20;
	w.steps = 2;		/* one wait only */
	task_spawn(base, &w.task, "waiter", waiter_task, probe_cleanup, &w);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert(task_cond_has_waiters(&c));
	event_base_dispatch(base);
	cr_assert(w.finished);
	cr_assert_eq(w.results[2], TASK_TIMEOUT);
	cr_assert_not(task_cond_has_waiters(&c));
}

Test(task, wake_takes_a_task_out_of_its_condition_wait, .init = loop_up,
    .fini = loop_down)
{
	struct task_cond c;
	struct probe w = { 0 };

	task_cond_init(&c);
	w.cond = &c;
	w.ms = -1;
	w.steps = 2;
	task_spawn(base, &w.task, "waiter", waiter_task, probe_cleanup, &w);
	event_base_loop(base, EVLOOP_NONBLOCK);
	task_wake(&w.task);
	cr_assert_not(task_cond_has_waiters(&c));
	event_base_dispatch(base);
	cr_assert(w.finished);
	cr_assert_eq(w.results[2], TASK_WOKEN);
}

static enum task_step
forever_task(struct task *t)
{
	struct probe *p = t->arg;

	TASK_BEGIN(t);
	for (;;) {
		TASK_AWAIT_COND(t, p->cond, -1);
		p->steps++;
	}
	TASK_END(t);
}

Test(task, cancel_runs_cleanup_and_removes_the_task, .init = loop_up,
    .fini = loop_down)
{
	struct task_cond c;
	struct probe p = { 0 };
	unsigned before = task_count();

	task_cond_init(&c);
	p.cond = &c;
	task_spawn(base, &p.task, "forever", forever_task, probe_cleanup, &p);
	cr_assert_eq(task_count(), before + 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	task_cond_broadcast(&c);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_eq(p.steps, 1);
	task_cancel(&p.task);
	cr_assert(p.cleaned);
	cr_assert_not(task_cond_has_waiters(&c));
	cr_assert_eq(task_count(), before);
	/* Nothing of the task is left in the loop. */
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

Test(task, thousands_of_tasks_wait_on_one_condition, .init = loop_up,
    .fini = loop_down)
{
	static struct probe p[5000];
	struct task_cond c;
	int i, total = 0;

	task_cond_init(&c);
	for (i = 0; i < 5000; i++) {
		p[i].cond = &c;
		task_spawn(base, &p[i].task, "forever", forever_task,
		    probe_cleanup, &p[i]);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	task_cond_broadcast(&c);
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (i = 0; i < 5000; i++) {
		total += p[i].steps;
		task_cancel(&p[i].task);
	}
	cr_assert_eq(total, 5000);
	cr_assert_eq(task_count(), 0);
}

static enum task_step
yielder_task(struct task *t)
{
	struct probe *p = t->arg;

	TASK_BEGIN(t);
	while (p->steps < 5) {
		p->steps++;
		TASK_YIELD(t);
	}
	p->finished = true;
	TASK_END(t);
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	(void)fd;
	(void)what;
	p->idle_at = p->steps;
}

Test(task, an_idle_event_runs_only_once_every_ready_task_has_run)
{
	struct probe p = { 0 };
	struct event *idle;

	base = event_base_new();
	cr_assert_not_null(base);
	cr_assert_eq(task_loop_init(base), 0);
	p.idle_at = -1;
	cr_assert_not_null(idle = event_new(base, -1, 0, idle_cb, &p));
	cr_assert_eq(task_set_idle(idle), 0);
	event_active(idle, 0, 0);
	cr_assert_eq(task_spawn(base, &p.task, "yielder", yielder_task, NULL,
	    &p), 0);
	event_base_dispatch(base);
	cr_assert(p.finished);
	cr_assert_eq(p.idle_at, 5, "idle ran after %d of 5 yields", p.idle_at);
	event_free(idle);
	event_base_free(base);
}
