/* SPDX-License-Identifier: ISC */
/*
 * main.c: asynclogd start-up and signal wiring; no logic of its own.
 *
 *   asynclogd [-c FILE] [-t]
 *
 * Start-up order: parse arguments, load and validate the config (exit 2 on
 * any error, with file:line), open outputs and sockets (exit 1 on failure),
 * tell systemd we are ready, run the loop. Signals:
 *   SIGTERM, SIGINT  stop accepting, drain within shutdown.drain_timeout_ms,
 *                    fsync, print final counters, exit 0
 *   SIGHUP           reopen every output file (after an external logrotate)
 *                    and reload the config file; an invalid one is reported
 *                    with file:line and the running one stays
 *   SIGUSR1          print every counter to stderr
 *   SIGUSR2          restart without loss: stop accepting (the sockets stay
 *                    open, so new clients wait in the kernel), drain as on
 *                    SIGTERM, then exec ourselves with the same argv and
 *                    the sockets (LISTEN_FDS, as systemd passes them)
 *   SIGPIPE          ignored: a vanished client is an error return, not death
 * Under systemd the sockets also go to the service manager's fd store, so
 * a plain restart of the service keeps them too.
 */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "clock.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "counters.h"
#include "stats.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: asynclogd [-t] [-c FILE]\n"
	    "\n"
	    "The asynclog daemon: takes log records from clients over Unix\n"
	    "sockets and writes them to files, or forwards them to a\n"
	    "collector, without ever blocking the clients.\n"
	    "\n"
	    "  -c, --config FILE    configuration file (default: built-in,\n"
	    "                       writing under ./var)\n"
	    "  -t, --check-config   validate the configuration and exit\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "Signals: TERM drains and exits, HUP reopens files and reloads\n"
	    "the -c file, USR1 prints counters, USR2 drains and restarts\n"
	    "keeping the sockets. See asynclogd(8) and asynclogd.conf(5).\n");
}

static const char *main_conffile;	/* NULL: the built-in config */
static struct config *main_conf;	/* the one running */

static bool main_reload_again;	/* a SIGHUP came during a reload */
/* A reload that must wait for an output the last one removed to close is
 * tried again every MAIN_RELOAD_RETRY_MS, at most MAIN_RELOAD_RETRIES times:
 * the admin's last SIGHUP is not lost to a race with the close. */
#define MAIN_RELOAD_RETRY_MS	100
#define MAIN_RELOAD_RETRIES	100
static int main_reload_retries;

static void	main_reload(struct server *);

static void
main_reload_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	main_reload(arg);
}

static void
main_reloaded(struct server *srv, struct config *conf, const char *err)
{
	if (err != NULL) {
		log_warn("reload failed, the running configuration stays: %s",
		    err);
		config_free(conf);
	} else {
		config_free(main_conf);
		main_conf = conf;
		log_info("%s: configuration reloaded, %u outputs", conf->file,
		    server_noutputs(srv));
	}
	if (server_draining(srv))
		return;
	notify_ready(srv);
	if (main_reload_again) {
		/* Not from here: this runs inside the reload task, which
		 * has not ended yet. */
		main_reload_again = false;
		if (event_base_once(server_base(srv), -1, EV_TIMEOUT,
		    main_reload_later, srv, NULL) == -1)
			log_warn("cannot schedule the reload asked for during "
			    "the last one; send SIGHUP again");
	}
}

/* Reopen files, then load the -c file and let the server switch to it
 * once its new outputs are open; main_reloaded says how it ended. */
static void
main_reload(struct server *srv)
{
	struct config *conf;
	char err[1024];

	if (server_reloading(srv)) {
		main_reload_again = true;
		return;
	}
	notify_reloading();
	server_reopen(srv);
	if (main_conffile == NULL) {
		notify_ready(srv);
		return;
	}
	if ((conf = config_load_file(main_conffile, err, sizeof(err))) == NULL) {
		log_warn("reload failed, the running configuration stays: %s",
		    err);
		notify_ready(srv);
		return;
	}
	switch (server_reload(srv, conf, main_reloaded, err, sizeof(err))) {
	case 0:
		main_reload_retries = 0;
		return;
	case SERVER_RELOAD_BUSY:
		config_free(conf);
		if (main_reload_retries++ < MAIN_RELOAD_RETRIES) {
			struct timeval tv = { 0, MAIN_RELOAD_RETRY_MS * 1000 };

			if (event_base_once(server_base(srv), -1, EV_TIMEOUT,
			    main_reload_later, srv, &tv) == 0)
				return;
		}
		break;
	default:
		config_free(conf);
		break;
	}
	main_reload_retries = 0;
	log_warn("reload failed, the running configuration stays: %s", err);
	notify_ready(srv);
}

static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct config *conf = NULL;
	char *text, err[1024];

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (!server_draining(srv)) {
			log_info("signal %d: draining", (int)sig);
			notify_stopping();
		} else if (server_handing_off(srv)) {
			/* A stop wins over a restart asked for before it. */
			log_info("signal %d: stopping instead of restarting",
			    (int)sig);
			server_cancel_handoff(srv);
			notify_stopping();
		}
		server_drain(srv);
		break;
	case SIGUSR2:
		if (server_draining(srv))
			break;
		/* The new image must be able to start: a config it cannot
		 * load would leave the sockets with nobody to serve them. */
		if (main_conffile != NULL && (conf = config_load_file(
		    main_conffile, err, sizeof(err))) == NULL) {
			log_warn("SIGUSR2: not restarting, the configuration "
			    "does not load: %s", err);
			break;
		}
		config_free(conf);
		log_info("SIGUSR2: draining, then restarting with the same "
		    "sockets");
		notify_reloading();
		server_handoff(srv);
		break;
	case SIGHUP:
		if (server_draining(srv))
			break;
		log_info("SIGHUP: reopening files and reloading");
		main_reload(srv);
		break;
	case SIGUSR1:
		if ((text = stats_render(server_route(srv), STATS_TEXT)) != NULL) {
			log_info("counters:\n%s", text);
			free(text);
		}
		break;
	}
}

/*
 * Each client is a descriptor: raise the soft limit on open files to what
 * max_clients needs (plus room for outputs, listeners and files being
 * rotated), up to the hard limit. Under the unit's SystemCallFilter
 * setrlimit is refused; LimitNOFILE= there sets it instead. Start-up only:
 * a reload that raises max_clients beyond the limit gets EMFILE, counted
 * and not spun on (listen.c).
 */
static void
main_raise_files(const struct config *conf)
{
	rlim_t want = (rlim_t)conf->max_clients + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){ want, rl.rlim_max }) == 0)
		rl.rlim_cur = want;
	if (rl.rlim_cur < (rlim_t)conf->max_clients + 256)
		log_warn("open files limited to %llu: fewer than max_clients "
		    "(%u) can connect", (unsigned long long)rl.rlim_cur,
		    conf->max_clients);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGUSR2 };
	struct event *sigev[sizeof(signals) / sizeof(signals[0])];
	const char *conffile = NULL;
	bool check = false;
	struct event_base *base;
	struct config *conf;
	struct server srv;
	char err[8192], *text;
	size_t i;
	int ch, stuck, fds[LISTEN_NKINDS];

	while ((ch = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("asynclogd %s\n", ASYNCLOG_VERSION_STRING);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	conf = conffile != NULL ?
	    config_load_file(conffile, err, sizeof(err)) :
	    config_load_string(config_builtin, "(built-in)", err, sizeof(err));
	if (conf == NULL)
		log_fatal(2, "%s", err);
	main_conffile = conffile;
	main_conf = conf;
	if (check) {
		/* -t also checks what would fail at start: owners, directories. */
		if (config_check_system(conf, err, sizeof(err)) > 0) {
			config_free(conf);
			log_fatal(2, "%s", err);
		}
		printf("%s: configuration OK\n", conf->file);
		config_free(conf);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	main_raise_files(conf);
	listen_note_exe();
	if (evthread_use_pthreads() == -1)
		log_fatal(1, "libevent has no thread support");
	if ((base = event_base_new()) == NULL)
		log_fatal(1, "cannot create the event loop");
	counters_start_ns = clock_now_ns();
	counters_start_mono_ns = clock_mono_ns();
	/* Signals first: once the socket accepts, a client or the service
	 * manager may send HUP or TERM, whose default action would kill us. */
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		sigev[i] = evsignal_new(base, signals[i], main_signal_cb, &srv);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) == -1)
			log_fatal(1, "cannot watch signal %d", signals[i]);
	}
	/* After a re-exec they arrive blocked (listen_exec): what came
	 * meanwhile is pending, and is handled now, not lost or fatal. */
	listen_block_signals(false);
	if (server_start(&srv, base, conf, err, sizeof(err)) == -1)
		log_fatal(1, "%s", err);
	log_info("%s %s ready: socket %s, %u outputs", conf->file,
	    ASYNCLOG_VERSION_STRING, conf->socket, server_noutputs(&srv));
	listen_fds(srv.listeners, fds);
	if (notify_fdstore(fds, listen_names, LISTEN_NKINDS))
		listen_persist(srv.listeners);
	notify_ready(&srv);

	if (event_base_dispatch(base) == -1)
		log_warn("event loop failed");
	if (server_handing_off(&srv)) {
		/* From here signals wait for the new image; one the loop
		 * caught but had no pass left to handle (a SIGTERM that must
		 * turn the restart into a stop) is handled now. */
		listen_block_signals(true);
		(void)event_base_loop(base, EVLOOP_NONBLOCK);
	}

	notify_stop();
	stuck = server_stop(&srv);
	if ((text = stats_render(server_route(&srv), STATS_TEXT)) != NULL) {
		log_info("final counters:\n%s", text);
		free(text);
	}
	if (server_handing_off(&srv)) {
		/* A writer still stuck in write(2) after the drain ends with
		 * the exec; what it held shows as buffered just above. */
		log_info("restarting: exec %s with the listening sockets",
		    argv[0]);
		if (server_exec(&srv, argv) == -1)
			log_fatal(1, "cannot restart: %s", strerror(errno));
	}
	if (stuck > 0) {
		/* A writer thread still blocked in write(2) owns memory we would
		 * free: leave without tearing anything down. What it holds is
		 * counted as buffered above. */
		log_warn("%d output(s) still blocked in a write; exiting without "
		    "them", stuck);
		_exit(1);
	}
	server_free(&srv);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		event_free(sigev[i]);
	event_base_free(base);
	config_free(main_conf);
	return 0;
}
