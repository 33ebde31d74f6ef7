/* SPDX-License-Identifier: ISC */
/*
 * test_install.c: `make install` into a temporary DESTDIR gives another
 * program everything it needs: the header, the shared library with its
 * soname, the static library and a pkg-config file, so an external program
 * built with `pkg-config --cflags --libs asynclog` logs to a running daemon.
 * The installed pkg-config file and systemd unit name the PREFIX they were
 * installed for. `make uninstall` then takes every file away again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct hd d;
static char destdir[512];

static void
install_up(void)
{
	hd_start(&d, HD_CONF_BASIC);
	snprintf(destdir, sizeof(destdir), "%s/root", d.dir);
}

static void
install_down(void)
{
	hd_stop(&d);
}

/* make's B= (and SANITIZE=1) for the build under test, relative to the
 * repository root the tests run in. */
static const char *
make_build_args(void)
{
	static char buf[600];
	const char *b = getenv("ASYNCLOG_BUILD");
	char cwd[512];
	size_t n;

	buf[0] = '\0';
	if (b == NULL || getcwd(cwd, sizeof(cwd)) == NULL)
		return buf;
	n = strlen(cwd);
	if (strncmp(b, cwd, n) == 0 && b[n] == '/')
		snprintf(buf, sizeof(buf), "B=%s%s", b + n + 1,
		    strstr(b + n + 1, "san") != NULL ? " SANITIZE=1" : "");
	return buf;
}

/* A sanitized libasynclog needs the ASan runtime first in the program. */
static const char *
program_cflags(void)
{
	const char *san = getenv("ASYNCLOG_SANITIZE");

	return san != NULL && strcmp(san, "1") == 0 ?
	    "-fsanitize=address,undefined" : "";
}

/*
 * `make TARGET DESTDIR=...` with make's default PREFIX, or PREFIX=prefix.
 * Tests run in parallel and an install for another PREFIX remakes files in
 * the build directory, so one make at a time (flock(1), util-linux).
 */
static void
make_prefix(const char *target, const char *prefix)
{
	char pfx[300] = "";

	if (prefix != NULL)
		snprintf(pfx, sizeof(pfx), "PREFIX=%s", prefix);
	cr_assert_eq(run("flock %s make -s %s %s DESTDIR=%s %s >%s 2>&1 "
	    "|| { cat %s >&2; exit 1; }", hd_bin(".make.lock"), target, pfx,
	    destdir, make_build_args(), hd_path(&d, "make.log"),
	    hd_path(&d, "make.log")), 0, "make %s %s failed", target, pfx);
}

static void
make(const char *target)
{
	make_prefix(target, "/usr/local");
}

/* An external program: logs one record and waits until the daemon has it. */
static const char program[] =
	"#include <stdio.h>\n"
	"#include <syslog.h>\n"
	"#include <asynclog.h>\n"
	"int main(int argc, char **argv) {\n"
	"	if (argc != 3) return 2;\n"
	"	asynclog_t *h = asynclog_open(argv[1], \"external\", 0);\n"
	"	if (h == NULL) return 1;\n"
	"	if (asynclog_log(h, LOG_USER | LOG_INFO, \"hello from %s\",\n"
	"	    argv[2]) != 0) return 1;\n"
	"	if (asynclog_flush(h, 10000) != 0) return 1;\n"
	"	asynclog_close(h);\n"
	"	puts(ASYNCLOG_VERSION);\n"
	"	return 0;\n"
	"}\n";

static void
write_program(void)
{
	FILE *f;

	cr_assert_not_null(f = fopen(hd_path(&d, "prog.c"), "w"));
	fputs(program, f);
	cr_assert_eq(fclose(f), 0);
}

/*
 * pkg-config as a user of the installed tree sees it: only that tree's
 * .pc files, with the DESTDIR in front of every path (the .pc file itself
 * names /usr/local, where the files will be on the real system).
 */
#define PKG_CONFIG_ENV							\
	"PKG_CONFIG_LIBDIR=%s/usr/local/lib/pkgconfig "			\
	"PKG_CONFIG_SYSROOT_DIR=%s pkg-config"

Test(install, external_program_builds_with_pkg_config_and_logs_to_the_daemon,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	char log[600];

	snprintf(log, sizeof(log), "%s", hd_path(&d, "main.log"));
	make("install");
	cr_assert_eq(run("test -x %s/usr/local/sbin/asynclogd && "
	    "test -x %s/usr/local/bin/asynclog && "
	    "test -f %s/usr/local/include/asynclog.h && "
	    "test -f %s/usr/local/lib/libasynclog.a && "
	    "test -f %s/usr/local/lib/libasynclog.so.1 && "
	    "test \"$(readlink %s/usr/local/lib/libasynclog.so)\" = "
	    "libasynclog.so.1", destdir, destdir, destdir, destdir, destdir,
	    destdir), 0, "installed files missing");
	cr_assert_eq(run("readelf -d %s/usr/local/lib/libasynclog.so.1 | "
	    "grep -q 'SONAME.*\\[libasynclog.so.1\\]'", destdir), 0,
	    "libasynclog.so.1 lacks its soname");
	cr_assert_eq(run(PKG_CONFIG_ENV " --modversion asynclog | "
	    "grep -qx 0.1.0", destdir, destdir), 0);

	write_program();
	cr_assert_eq(run("cc -Wall -Wextra -Werror %s -o %s %s $("
	    PKG_CONFIG_ENV " --cflags --libs asynclog) -Wl,-rpath,%s/usr/local/lib",
	    program_cflags(), hd_path(&d, "prog"), hd_path(&d, "prog.c"),
	    destdir, destdir, destdir), 0, "the external program does not build");
	cr_assert_eq(run("ldd %s | grep -q '%s/usr/local/lib/libasynclog.so.1'",
	    hd_path(&d, "prog"), destdir), 0,
	    "the program does not use the installed libasynclog.so.1");
	cr_assert_eq(run("%s %s shared | grep -qx 0.1.0", hd_path(&d, "prog"),
	    d.sock), 0);

	/* The static library, as `pkg-config --static` describes it. */
	cr_assert_eq(run("cc %s -o %s %s -static-libgcc $(" PKG_CONFIG_ENV
	    " --cflags asynclog) %s/usr/local/lib/libasynclog.a $("
	    PKG_CONFIG_ENV " --static --libs-only-other asynclog)",
	    program_cflags(), hd_path(&d, "prog-static"), hd_path(&d, "prog.c"),
	    destdir,
	    destdir, destdir, destdir, destdir), 0);
	cr_assert_neq(run("ldd %s | grep -q libasynclog",
	    hd_path(&d, "prog-static")), 0);
	cr_assert_eq(run("%s %s static >/dev/null", hd_path(&d, "prog-static"),
	    d.sock), 0);

	cr_assert(hd_wait_lines(log, 2, 10000));
	cr_assert_eq(run("grep -q 'external\\[[0-9]*\\]: hello from shared$' "
	    "%s && grep -q 'external\\[[0-9]*\\]: hello from static$' %s",
	    log, log), 0, "the records did not reach main.log");
}

Test(install, man_pages_config_example_and_units_are_installed,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	make("install");
	cr_assert_eq(run("cd %s && test -f usr/local/share/man/man8/asynclogd.8 &&"
	    " test -f usr/local/share/man/man5/asynclogd.conf.5 &&"
	    " test -f usr/local/share/man/man1/asynclog.1 &&"
	    " test -f usr/local/share/man/man3/asynclog.3 &&"
	    " test -f etc/asynclog/asynclogd.conf.example &&"
	    " test -f usr/local/lib/systemd/system/asynclogd.service &&"
	    " test -f usr/local/lib/systemd/system/asynclogd.socket &&"
	    " test -f usr/local/lib/systemd/system/asynclogd-syslog.socket &&"
	    " test -f usr/local/lib/systemd/system/asynclogd-network.socket",
	    destdir), 0, "something is not installed");
	/* The installed example is a valid configuration: -t finds nothing
	 * wrong but, on a machine where the package is not installed, the
	 * missing log directory it names (which -t checks too). */
	cr_assert_eq(run("%s/usr/local/sbin/asynclogd --check-config -c "
	    "%s/etc/asynclog/asynclogd.conf.example >/dev/null 2>%s/check.err"
	    " || ! grep -v 'directory /var/log/asynclog: No such file' "
	    "%s/check.err", destdir, destdir, destdir, destdir), 0);
}

/*
 * The unit starts the installed daemon on the documented config, wherever
 * PREFIX put it: make's default (/usr/local) and a distribution's /usr.
 */
static void
unit_runs_installed_daemon(const char *prefix, const char *sbindir)
{
	char unit[600];

	make_prefix("install", prefix);
	snprintf(unit, sizeof(unit), "%s%s/lib/systemd/system/asynclogd.service",
	    destdir, prefix != NULL ? prefix : "/usr/local");
	cr_assert_eq(run("test -x %s%s/asynclogd", destdir, sbindir), 0,
	    "no %s/asynclogd", sbindir);
	cr_assert_eq(run("grep -qx 'ExecStart=%s/asynclogd -c "
	    "/etc/asynclog/asynclogd.conf' %s", sbindir, unit), 0,
	    "%s does not start %s/asynclogd", unit, sbindir);
	cr_assert_eq(run("! grep -rn '@[A-Z]*@' %s%s/lib/systemd/system",
	    destdir, prefix != NULL ? prefix : "/usr/local"), 0,
	    "a template variable is left in an installed unit");
}

Test(install, default_prefix_unit_starts_usr_local_sbin_asynclogd,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	unit_runs_installed_daemon(NULL, "/usr/local/sbin");
}

Test(install, prefix_usr_unit_starts_usr_sbin_asynclogd,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	unit_runs_installed_daemon("/usr", "/usr/sbin");
	cr_assert_eq(run("grep -qx 'prefix=/usr' %s/usr/lib/pkgconfig/"
	    "asynclog.pc", destdir), 0, "asynclog.pc is not for /usr");
	/* The next plain make goes back to the default paths. */
	make_prefix("install", NULL);
	cr_assert_eq(run("grep -q 'ExecStart=/usr/local/sbin/asynclogd ' "
	    "%s/usr/local/lib/systemd/system/asynclogd.service", destdir), 0);
}

/*
 * A PREFIX that is not the system's (/usr, /usr/local) keeps everything
 * under itself, the configuration too, and the unit says where.
 */
Test(install, a_non_system_prefix_keeps_its_configuration_under_it,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	make_prefix("install", "/opt/asynclog");
	cr_assert_eq(run("test -f %s/opt/asynclog/etc/asynclog/"
	    "asynclogd.conf.example", destdir), 0);
	cr_assert_eq(run("test -f %s/opt/asynclog/lib/sysusers.d/"
	    "asynclog.conf", destdir), 0);
	cr_assert_neq(run("test -e %s/etc", destdir), 0,
	    "installed outside PREFIX");
	cr_assert_eq(run("grep -qx 'ExecStart=/opt/asynclog/sbin/asynclogd -c "
	    "/opt/asynclog/etc/asynclog/asynclogd.conf' "
	    "%s/opt/asynclog/lib/systemd/system/asynclogd.service", destdir),
	    0);
	/* Back to the default paths for the tests after this one. */
	make_prefix("all", NULL);
}

Test(install, uninstall_leaves_no_file_behind,
    .init = install_up, .fini = install_down, .timeout = 120)
{
	char *left;

	make("install");
	cr_assert_eq(run("test -n \"$(find %s ! -type d)\"", destdir), 0);
	make("uninstall");
	cr_assert_eq(run("find %s ! -type d > %s", destdir,
	    hd_path(&d, "left")), 0);
	left = file_read(hd_path(&d, "left"), NULL);
	cr_assert_str_empty(left, "make uninstall left:\n%s", left);
	free(left);
}
