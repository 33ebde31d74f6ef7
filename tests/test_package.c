/* SPDX-License-Identifier: ISC */
/*
 * test_package.c: the Debian packaging (debian/) builds asynclogd,
 * libasynclog1 and libasynclog-dev with `dpkg-buildpackage -us -uc -b`
 * from a copy of the source tree, and each .deb holds what it should
 * (dpkg-deb -c): the daemon with its units, sysusers.d entry and a
 * configuration the units run with, Provides: system-log-daemon, the
 * maintainer scripts that create the user and purge the logs; the shared
 * library alone; the development files. lintian finds no error.
 *
 * Built once, in one test, since a package build takes a minute or more;
 * skipped, saying why, where dpkg-buildpackage or debhelper is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static char top[] = "/tmp/asynclog-package.XXXXXX";

static void
package_down(void)
{
	if (strchr(top, 'X') == NULL)
		(void)run("rm -rf %s", top);
}

/* Does the .deb's file list have a line ending in path? */
static bool
deb_has(const char *deb, const char *path)
{
	return run("dpkg-deb -c %s/%s 2>/dev/null | awk '{print $6}' | grep -qx '%s'",
	    top, deb, path) == 0;
}

Test(package, dpkg_buildpackage_builds_three_packages_with_their_files,
    .fini = package_down, .timeout = 900)
{
	const char *daemon = "asynclogd_0.1.0_*.deb";
	const char *lib = "libasynclog1_0.1.0_*.deb";
	const char *dev = "libasynclog-dev_0.1.0_*.deb";

	if (run("command -v dpkg-buildpackage >/dev/null && "
	    "command -v dh >/dev/null") != 0)
		cr_skip_test("dpkg-buildpackage or debhelper is not installed "
		    "(packages dpkg-dev, debhelper): package not built");
	cr_assert_not_null(mkdtemp(top));
	/* A copy of the tree as it is, without build output: the package
	 * build writes beside its source and must not touch this one. */
	cr_assert_eq(run("mkdir %s/src && tar --exclude=./build "
	    "--exclude=./.git --exclude=./debian/build -cf - . | "
	    "tar -xf - -C %s/src", top, top), 0);
	/* One job, niced: the other tests run meanwhile and wait with
	 * deadlines. */
	cr_assert_eq(run("cd %s/src && DEB_BUILD_OPTIONS='parallel=1 noddebs' "
	    "nice -n 10 dpkg-buildpackage -us -uc -b >%s/build.log 2>&1 || "
	    "{ tail -40 %s/build.log >&2; exit 1; }", top, top, top), 0,
	    "dpkg-buildpackage failed");

	/* asynclogd: the programs, units, user, configuration, manuals. */
	cr_assert(deb_has(daemon, "./usr/sbin/asynclogd"));
	cr_assert(deb_has(daemon, "./usr/bin/asynclog"));
	cr_assert(deb_has(daemon, "./lib/systemd/system/asynclogd.service"));
	cr_assert(deb_has(daemon, "./lib/systemd/system/asynclogd.socket"));
	cr_assert(deb_has(daemon,
	    "./lib/systemd/system/asynclogd-syslog.socket"));
	cr_assert(deb_has(daemon,
	    "./lib/systemd/system/asynclogd-devlog.socket"));
	cr_assert(deb_has(daemon, "./usr/lib/sysusers.d/asynclog.conf"));
	cr_assert(deb_has(daemon, "./etc/asynclog/asynclogd.conf"));
	cr_assert(deb_has(daemon, "./usr/share/man/man8/asynclogd.8.gz"));
	cr_assert(deb_has(daemon, "./usr/share/man/man5/asynclogd.conf.5.gz"));
	cr_assert(deb_has(daemon, "./usr/share/man/man1/asynclog.1.gz"));
	cr_assert_not(deb_has(daemon, "./usr/include/asynclog.h"));
	/* One system logger at a time, as rsyslog and syslog-ng declare. */
	cr_assert_eq(run("dpkg-deb -f %s/%s Provides | grep -qw "
	    "system-log-daemon && dpkg-deb -f %s/%s Conflicts | grep -qw "
	    "system-log-daemon", top, daemon, top, daemon), 0);
	/* The unit runs the packaged daemon as the static user. */
	cr_assert_eq(run("cd %s && mkdir x && dpkg-deb -x %s x && "
	    "grep -qx 'ExecStart=/usr/sbin/asynclogd -c "
	    "/etc/asynclog/asynclogd.conf' x/lib/systemd/system/"
	    "asynclogd.service && grep -qx 'User=asynclog' "
	    "x/lib/systemd/system/asynclogd.service && "
	    "grep -qx 'm asynclog adm' x/usr/lib/sysusers.d/asynclog.conf",
	    top, daemon), 0);
	/* The shipped configuration is valid, checked by the shipped
	 * daemon itself, deep checks included, once its log directory
	 * exists as the unit's LogsDirectory= makes it (a tmpfs of a mount
	 * namespace of our own stands in for /var/log). */
	cr_assert_eq(run("cd %s && unshare -rm sh -c 'mount -t tmpfs tmpfs "
	    "/var/log && mkdir /var/log/asynclog && x/usr/sbin/asynclogd -t "
	    "-c x/etc/asynclog/asynclogd.conf' >/dev/null", top), 0);
	/* postinst makes the user before it starts the units; postrm
	 * purge takes the logs. */
	cr_assert_eq(run("cd %s && dpkg-deb -e %s ctl && "
	    "grep -q 'systemd-sysusers.* asynclog.conf' ctl/postinst && "
	    "grep -n 'systemd-sysusers\\|deb-systemd-invoke' ctl/postinst | "
	    "head -1 | grep -q sysusers && "
	    "grep -q 'rm -rf /var/log/asynclog' ctl/postrm && "
	    "grep -qx /etc/asynclog/asynclogd.conf ctl/conffiles", top, daemon),
	    0);

	/* libasynclog1: the shared library, by its soname, and nothing to
	 * build with. */
	cr_assert_eq(run("dpkg-deb -c %s/%s 2>/dev/null | awk '{print $6}' | "
	    "grep -q '^./usr/lib/[a-z0-9_-]*/libasynclog.so.1$'", top, lib), 0);
	cr_assert_neq(run("dpkg-deb -c %s/%s 2>/dev/null | grep -q "
	    "'libasynclog.so \\|\\.a$\\|include'", top, lib), 0);
	/* libasynclog-dev: header, link, static library, pkg-config. */
	cr_assert(deb_has(dev, "./usr/include/asynclog.h"));
	cr_assert(deb_has(dev, "./usr/share/man/man3/asynclog.3.gz"));
	cr_assert_eq(run("dpkg-deb -c %s/%s 2>/dev/null | grep -q "
	    "'/libasynclog.so -> libasynclog.so.1$' && dpkg-deb -c %s/%s | "
	    "grep -q '/libasynclog.a$' && dpkg-deb -c %s/%s 2>/dev/null | grep -q "
	    "'/pkgconfig/asynclog.pc$'", top, dev, top, dev, top, dev), 0);
	cr_assert_eq(run("dpkg-deb -f %s/%s Depends | grep -q "
	    "'libasynclog1 (= 0.1.0)'", top, dev), 0);

	if (run("command -v lintian >/dev/null") != 0) {
		cr_log_warn("lintian is not installed: not run");
		return;
	}
	cr_assert_eq(run("cd %s && nice -n 10 lintian --fail-on error "
	    "asynclog_0.1.0_*.changes >lintian.out 2>&1 || "
	    "{ cat lintian.out >&2; exit 1; }", top), 0,
	    "lintian found errors");
}
