/* SPDX-License-Identifier: ISC */
/*
 * test_logdir.c: a local user who can write the log directory against the
 * real daemon. Each test plants its links for real (as user nobody when we
 * are root, the way an unprivileged attacker would), runs the daemon, and
 * checks that the file the link points at kept its mode, owner and bytes,
 * and that the records still went to a real file. As root, a directory
 * others can write is refused unless allow_shared_dir accepts it.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "asynclog.h"
#include "harness.h"

#define AS_NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

/* A shared log directory (mode 0777, not sticky) the daemon is told to
 * accept, with size rotation and compression. */
#define SHARED_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { chunk_size = \"16K\"; flush_interval_ms = 20; };\n"	\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "	\
	"allow_shared_dir = true; "					\
	"rotate = { size = \"32K\"; keep = 3; compress = \"zstd\"; }; } );\n"

/* The attacker's aim: a private file of someone else's. */
static void
put_target(void)
{
	FILE *f;

	cr_assert_not_null(f = fopen(hd_path(&d, "target"), "w"));
	fputs("secret\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(hd_path(&d, "target"), 0600), 0);
}

static void
expect_target_untouched(void)
{
	struct stat st;
	char *text;

	cr_assert_eq(lstat(hd_path(&d, "target"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "target mode changed to %o",
	    st.st_mode & 07777);
	cr_assert_eq(st.st_uid, geteuid(), "target owner changed to %lu",
	    (unsigned long)st.st_uid);
	cr_assert_eq(st.st_gid, getegid(), "target group changed to %lu",
	    (unsigned long)st.st_gid);
	cr_assert_not_null(text = file_read(hd_path(&d, "target"), NULL));
	cr_assert_str_eq(text, "secret\n", "target written to");
	free(text);
}

/* Run a shell command in DIR as the attacker: nobody when we are root
 * (the directory must then let nobody in), else ourselves. */
static void
as_attacker(const char *cmd)
{
	if (geteuid() == 0) {
		cr_assert_eq(run("command -v setpriv >/dev/null"), 0,
		    "setpriv (util-linux) is needed to act as nobody");
		cr_assert_eq(run("cd %s && " AS_NOBODY "sh -c '%s'", d.dir,
		    cmd), 0, "as nobody: %s", cmd);
	} else
		cr_assert_eq(run("cd %s && sh -c '%s'", d.dir, cmd), 0, "%s",
		    cmd);
}

static void
start_in_shared_dir(void)
{
	hd_prepare(&d, SHARED_CONF);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	put_target();
	hd_restart(&d);
}

/* hd_wait predicate: keep logging until DIR/<arg> exists. */
struct until {
	asynclog_t	*h;
	const char	*name;
};

static bool
logged_until_exists(struct hd *dd, void *arg)
{
	struct until *u = arg;
	int i;

	for (i = 0; i < 200; i++)
		asynclog_log(u->h, LOG_USER | LOG_INFO, "filler %d "
		    "..............................................", i);
	asynclog_flush(u->h, 5000);
	return access(hd_path(dd, u->name), F_OK) == 0;
}

Test(logdir, a_symlink_at_the_output_path_is_refused_and_its_target_untouched,
    .fini = daemon_down, .timeout = 30)
{
	hd_prepare(&d, HD_CONF_BASIC);
	put_target();
	cr_assert_eq(symlink(hd_path(&d, "target"), hd_path(&d, "main.log")),
	    0);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "is a symbolic link; not following it"));
	expect_target_untouched();
}

Test(logdir, a_link_planted_at_the_zst_tmp_leaves_its_target_alone_and_rotation_completes,
    .fini = daemon_down, .timeout = 60)
{
	struct until u = { NULL, "main.log.1.zst" };
	struct stat st;

	start_in_shared_dir();
	as_attacker("ln -s target main.log.1.zst.tmp");
	cr_assert_not_null(u.h = asynclog_open(d.sock, "t", ASYNCLOG_BLOCK));
	cr_assert(hd_wait(logged_until_exists, &d, &u, 20000),
	    "no compressed rotation within 20 s");
	asynclog_close(u.h);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	expect_target_untouched();
	cr_assert_eq(run("zstd -q -t %s", hd_path(&d, "main.log.1.zst")), 0);
	cr_assert_eq(lstat(hd_path(&d, "main.log.1.zst"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_neq(access(hd_path(&d, "main.log.1.zst.tmp"), F_OK), 0);
	cr_assert_not(hd_log_mentions(&d, "stays uncompressed"));
}

Test(logdir, a_link_planted_at_the_output_after_start_is_refused_on_reopen,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;
	char *text;
	int i;

	start_in_shared_dir();
	cr_assert_not_null(h = asynclog_open(d.sock, "t", ASYNCLOG_BLOCK));
	asynclog_log(h, LOG_USER | LOG_INFO, "before");
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));

	/* The directory is not sticky: nobody may move our file away. */
	as_attacker("mv main.log stolen && ln -s target main.log");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d,
	    "is a symbolic link; not following it; still writing to the old "
	    "file", 10000), "the reopen did not refuse the link");
	for (i = 0; i < 10; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "after %d", i);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);

	/* Every record is in the file the daemon had open, none behind the
	 * link. */
	cr_assert(hd_wait_lines(hd_path(&d, "stolen"), 11, 10000));
	cr_assert_not_null(text = file_read(hd_path(&d, "stolen"), NULL));
	cr_assert_not_null(strstr(text, "after 9"));
	free(text);
	cr_assert_eq(hd_stat(&d, "outputs.main.written"), 11);
	expect_target_untouched();
}

static void
need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("not root: the shared log directory rule applies "
		    "only to a daemon running as root");
}

/* DIR itself becomes the shared directory: nobody's, mode 0777. */
static void
share_dir_with_nobody(void)
{
	cr_assert_eq(chown(d.dir, 65534, 65534), 0);
	cr_assert_eq(chmod(d.dir, 0777), 0);
}

Test(logdir, as_root_a_log_directory_others_can_write_is_refused,
    .fini = daemon_down, .timeout = 30)
{
	char want[512];

	need_root();
	hd_prepare(&d, HD_CONF_BASIC);
	share_dir_with_nobody();
	cr_assert_eq(hd_start_fails(&d), 1);
	snprintf(want, sizeof(want), "output main: log directory %s is "
	    "writable by group and others (mode 0777, owner 65534); refusing "
	    "to run as root there (set allow_shared_dir = true to accept the "
	    "risk)", d.dir);
	cr_assert(hd_log_mentions(&d, want), "no '%s' in the daemon's words",
	    want);
	cr_assert_neq(access(hd_path(&d, "main.log"), F_OK), 0,
	    "the output was created anyway");
}

Test(logdir, as_root_a_log_directory_of_another_user_is_refused,
    .fini = daemon_down, .timeout = 30)
{
	char want[512];

	need_root();
	hd_prepare(&d, HD_CONF_BASIC);
	cr_assert_eq(chown(d.dir, 65534, 65534), 0);
	cr_assert_eq(chmod(d.dir, 0755), 0);
	cr_assert_eq(hd_start_fails(&d), 1);
	snprintf(want, sizeof(want), "output main: log directory %s is owned "
	    "by uid 65534", d.dir);
	cr_assert(hd_log_mentions(&d, want), "no '%s' in the daemon's words",
	    want);
}

Test(logdir, as_root_allow_shared_dir_accepts_it_with_a_warning,
    .fini = daemon_down, .timeout = 30)
{
	char want[512];

	need_root();
	hd_prepare(&d, SHARED_CONF);
	share_dir_with_nobody();
	hd_restart(&d);
	snprintf(want, sizeof(want), "output main: log directory %s is "
	    "writable by group and others (mode 0777, owner 65534); running "
	    "as root there because allow_shared_dir is set", d.dir);
	cr_assert(hd_log_mentions(&d, want), "no '%s' in the daemon's words",
	    want);
	cr_assert_eq(access(hd_path(&d, "main.log"), F_OK), 0);
}
