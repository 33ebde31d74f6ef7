/* SPDX-License-Identifier: ISC */
/*
 * test_top.c: `asynclog --top` in a real terminal (tmux: the screen is
 * read with capture-pane, keys sent with send-keys): it names every
 * output, its records/s follows a client that writes and stops, and q
 * ends it. Without a terminal it prints plain lines and Ctrl-C ends it.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct hd d;
static pid_t writer = -1;

#define TOP_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"	\
	"  { name = \"audit\"; path = \"@DIR@/audit.log\";\n"		\
	"    match = \"auth.*\"; } );\n"

static void
top_down(void)
{
	if (writer > 0) {
		kill(-writer, SIGKILL);
		waitpid(writer, NULL, 0);
		writer = -1;
	}
	if (d.dir[0] != '\0')
		(void)run("tmux -S %s kill-server 2>/dev/null",
		    hd_path(&d, "tmux.sock"));
	hd_stop(&d);
}

/* A client that writes records until stopped, in a process group of its
 * own so that stopping it stops the CLIs it runs. */
static void
writer_start(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "while :; do seq 1 200 | %s -u %s || "
	    "exit 1; sleep 0.05; done", hd_bin("asynclog"), d.sock);
	cr_assert_neq(writer = fork(), -1);
	if (writer == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(writer, writer);
}

static void
writer_stop(void)
{
	kill(-writer, SIGTERM);
	waitpid(writer, NULL, 0);
	writer = -1;
}

/* The screen of the tmux pane now; caller frees. */
static char *
screen(void)
{
	const char *out = hd_path(&d, "screen.txt");

	if (run("tmux -S %s capture-pane -p -t top > %s 2>/dev/null",
	    hd_path(&d, "tmux.sock"), out) != 0)
		return NULL;
	return file_read(out, NULL);
}

/* The in/s column of output name's row on the screen, or -1. */
static double
screen_rate(const char *name)
{
	char *s = screen(), *line, *save = NULL, row[64], state[32];
	double rate = -1, r;

	for (line = s != NULL ? strtok_r(s, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %31s %lf", row, state, &r) == 3 &&
		    strcmp(row, name) == 0)
			rate = r;
	free(s);
	return rate;
}

struct want_rate {
	const char	*name;
	bool		 moving;	/* > 0, or == 0 */
};

static bool
rate_is(struct hd *hd, void *arg)
{
	struct want_rate *w = arg;
	double r = screen_rate(w->name);

	(void)hd;
	return w->moving ? r > 0 : r == 0;
}

static bool
session_gone(struct hd *hd, void *arg)
{
	(void)arg;
	return run("tmux -S %s has-session -t top 2>/dev/null",
	    hd_path(hd, "tmux.sock")) != 0;
}

static bool
screen_has(struct hd *hd, void *what)
{
	char *s = screen();
	bool ok = s != NULL && strstr(s, what) != NULL;

	(void)hd;
	free(s);
	return ok;
}

Test(top, in_a_terminal_it_names_outputs_follows_a_writer_and_q_quits,
    .fini = top_down, .timeout = 90)
{
	struct want_rate moving = { "main", true }, still = { "main", false };
	char *s;

	if (run("command -v tmux >/dev/null") != 0)
		cr_skip_test("tmux is not installed");
	hd_start(&d, TOP_CONF);
	cr_assert_eq(run("tmux -S %s -f /dev/null new-session -d -s top "
	    "-x 160 -y 30 '%s -u %s --top'", hd_path(&d, "tmux.sock"),
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait(screen_has, &d, "OUTPUT", 10000), "no --top screen");
	s = screen();
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "\nmain "), "%s", s);
	cr_assert_not_null(strstr(s, "\naudit "), "%s", s);
	cr_assert_not_null(strstr(s, "in/s"), "%s", s);
	free(s);

	writer_start();
	cr_assert(hd_wait(rate_is, &d, &moving, 20000),
	    "records/s of main never rose while a client wrote");
	cr_assert_eq(screen_rate("audit"), 0, "audit took no record");
	writer_stop();
	cr_assert(hd_wait(rate_is, &d, &still, 20000),
	    "records/s of main never fell back to 0 after the client stopped");

	cr_assert_eq(run("tmux -S %s send-keys -t top q",
	    hd_path(&d, "tmux.sock")), 0);
	cr_assert(hd_wait(session_gone, &d, NULL, 10000), "q did not quit");
}

static bool
plain_lines(struct hd *hd, void *arg)
{
	char *s = file_read(hd_path(hd, "top.out"), NULL), *p;
	int n = 0;

	for (p = s; p != NULL && (p = strstr(p, " output main ")) != NULL; p++)
		n++;
	free(s);
	return n >= *(int *)arg;
}

Test(top, without_a_terminal_it_prints_plain_lines_and_ctrl_c_ends_it,
    .fini = top_down, .timeout = 60)
{
	int two = 2, status;
	pid_t pid;
	char *s;

	hd_start(&d, TOP_CONF);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		if (freopen(hd_path(&d, "top.out"), "w", stdout) == NULL ||
		    freopen("/dev/null", "r", stdin) == NULL)
			_exit(127);
		execl(hd_bin("asynclog"), "asynclog", "-u", d.sock, "--top",
		    (char *)NULL);
		_exit(127);
	}
	cr_assert(hd_wait(plain_lines, &d, &two, 10000));
	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
	cr_assert_not_null(s = file_read(hd_path(&d, "top.out"), NULL));
	cr_assert_null(strchr(s, '\033'), "terminal codes in plain output");
	cr_assert_not_null(strstr(s, " inputs rec/s="), "%s", s);
	cr_assert_not_null(strstr(s, " output audit state=writing in/s="),
	    "%s", s);
	free(s);
}
