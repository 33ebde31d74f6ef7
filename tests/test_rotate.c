/* SPDX-License-Identifier: ISC */
/*
 * test_rotate.c: rotation, retention and compression of output files.
 *
 * Calls daemon/rotate.c directly in a fresh temp dir per test. Compressed
 * files are checked with the real zstd tool ("zstd -dc", "zstd -t"), not
 * with libzstd, so a file we wrote and then misread the same way cannot
 * pass. The live file is always DIR/out.log, reached as "out.log" in the
 * directory descriptor t_dfd, as the writer does.
 */

#include <criterion/criterion.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rotate.h"

static char	t_dir[128];	/* short: paths built from it must fit */
static char	t_live[PATH_MAX];
static int	t_dfd = -1;	/* t_dir */

static void
t_setup(void)
{
	snprintf(t_dir, sizeof(t_dir), "/tmp/asynclog-rotate-XXXXXX");
	cr_assert_not_null(mkdtemp(t_dir), "mkdtemp: %s", strerror(errno));
	/* Searchable by others: the permission test may run as nobody. */
	cr_assert_eq(chmod(t_dir, 0755), 0);
	snprintf(t_live, sizeof(t_live), "%s/out.log", t_dir);
	t_dfd = open(t_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_neq(t_dfd, -1, "%s: %s", t_dir, strerror(errno));
}

static int
t_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
t_teardown(void)
{
	char ro[PATH_MAX];

	snprintf(ro, sizeof(ro), "%s/ro", t_dir);
	(void)chmod(ro, 0755);	/* may not exist */
	cr_assert_eq(close(t_dfd), 0);
	cr_assert_eq(nftw(t_dir, t_rm, 16, FTW_DEPTH | FTW_PHYS), 0);
}

TestSuite(rotate, .init = t_setup, .fini = t_teardown, .timeout = 60);

/* DIR/name */
static const char *
at(const char *name)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", t_dir, name);
	return b;
}

static void
put_at(const char *path, const char *data, size_t len)
{
	FILE *f;

	cr_assert_not_null(f = fopen(path, "w"), "%s: %s", path,
	    strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void
put(const char *name, const char *text)
{
	put_at(at(name), text, strlen(text));
}

static bool
exists(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0;
}

/* Whole contents of a stream, NUL-terminated; the caller frees. */
static char *
slurp_stream(FILE *f, size_t *lenp)
{
	size_t len = 0, cap = 1 << 16, r;
	char *b = malloc(cap + 1);

	cr_assert_not_null(b);
	while ((r = fread(b + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			cap *= 2;
			cr_assert_not_null(b = realloc(b, cap + 1));
		}
	}
	cr_assert_eq(ferror(f), 0);
	b[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return b;
}

static char *
slurp(const char *name, size_t *lenp)
{
	FILE *f;
	char *b;

	cr_assert_not_null(f = fopen(at(name), "r"), "%s: %s", name,
	    strerror(errno));
	b = slurp_stream(f, lenp);
	cr_assert_eq(fclose(f), 0);
	return b;
}

/* Decompress with the real zstd tool; fails the test if zstd does. */
static char *
zcat(const char *name, size_t *lenp)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	char *b;

	snprintf(cmd, sizeof(cmd), "zstd -dc -q '%s'", at(name));
	cr_assert_not_null(p = popen(cmd, "r"));
	b = slurp_stream(p, lenp);
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	return b;
}

static bool
zstd_test_passes(const char *name)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "zstd -t -q '%s' 2>/dev/null", at(name));
	return system(cmd) == 0;
}

static void
expect_text(const char *name, const char *want)
{
	char *got = slurp(name, NULL);

	cr_assert_str_eq(got, want, "%s", name);
	free(got);
}

static void
expect_ztext(const char *name, const char *want)
{
	char *got = zcat(name, NULL);

	cr_assert_str_eq(got, want, "%s", name);
	free(got);
	cr_assert(zstd_test_passes(name), "zstd -t %s", name);
}

/* Files in DIR; the names of rotated ones follow out.log.<N>[.zst]. */
static int
count_files(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	cr_assert_not_null(d = opendir(t_dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	cr_assert_eq(closedir(d), 0);
	return n;
}

/* Write "gen i" into the live file and rotate it, for i in 1..n. */
static void
rotate_generations(int n, unsigned keep, bool compress)
{
	char text[32], err[256];
	bool moved;
	int i;

	for (i = 1; i <= n; i++) {
		snprintf(text, sizeof(text), "gen %d\n", i);
		put("out.log", text);
		cr_assert_eq(rotate_shift(t_dfd, "out.log", keep, compress,
		    ROTATE_ZSTD_LEVEL, &moved, err, sizeof(err)), 0, "%s", err);
		cr_assert(moved);
		cr_assert_not(exists("out.log"));
	}
}

Test(rotate, several_rotations_keep_exactly_keep_files_newest_first)
{
	rotate_generations(6, 3, false);

	cr_assert_eq(count_files(), 3);
	expect_text("out.log.1", "gen 6\n");
	expect_text("out.log.2", "gen 5\n");
	expect_text("out.log.3", "gen 4\n");
}

Test(rotate, several_compressed_rotations_keep_exactly_keep_files_newest_first)
{
	rotate_generations(6, 3, true);

	cr_assert_eq(count_files(), 3);
	expect_ztext("out.log.1.zst", "gen 6\n");
	expect_ztext("out.log.2.zst", "gen 5\n");
	expect_ztext("out.log.3.zst", "gen 4\n");
}

Test(rotate, keep_one_with_compression_leaves_only_the_newest)
{
	rotate_generations(3, 1, true);

	cr_assert_eq(count_files(), 1);
	expect_ztext("out.log.1.zst", "gen 3\n");
}

Test(rotate, keep_zero_leaves_no_rotated_file)
{
	put("out.log.1", "old 1\n");
	put("out.log.2.zst", "not really zstd\n");
	rotate_generations(2, 0, true);

	cr_assert_eq(count_files(), 0);
}

Test(rotate, keep_larger_than_the_existing_files_deletes_nothing)
{
	rotate_generations(3, 10, false);

	cr_assert_eq(count_files(), 3);
	expect_text("out.log.1", "gen 3\n");
	expect_text("out.log.3", "gen 1\n");
}

Test(rotate, lowering_keep_deletes_the_generations_beyond_it)
{
	char err[256];
	bool moved;

	rotate_generations(5, 5, false);
	put("out.log", "live\n");
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 2, false, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(count_files(), 2);
	expect_text("out.log.1", "live\n");
	expect_text("out.log.2", "gen 5\n");
}

Test(rotate, a_gap_in_the_numbering_is_shifted_without_overwriting)
{
	char err[256];
	bool moved;

	put("out.log.1", "a\n");
	put("out.log.3", "c\n");
	put("out.log", "live\n");
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 5, false, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(count_files(), 3);
	expect_text("out.log.1", "live\n");
	expect_text("out.log.2", "a\n");
	cr_assert_not(exists("out.log.3"));
	expect_text("out.log.4", "c\n");
}

Test(rotate, a_plain_and_a_compressed_file_of_one_number_shift_together)
{
	char err[256];
	bool moved;

	/* A crash after PATH.1.zst was renamed into place, before PATH.1
	 * was unlinked. */
	put("out.log.1", "one\n");
	cr_assert_eq(rotate_compress_file(t_dfd, "out.log.1", "out.log.1.zst",
	    ROTATE_ZSTD_LEVEL, err, sizeof(err)), 0, "%s", err);
	put("out.log", "live\n");
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 3, true, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(count_files(), 3);
	expect_ztext("out.log.1.zst", "live\n");
	expect_text("out.log.2", "one\n");
	expect_ztext("out.log.2.zst", "one\n");
}

Test(rotate, a_large_file_compresses_and_round_trips)
{
	static const char *words[] = { "alpha", "bravo", "charlie", "delta",
	    "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo" };
	size_t cap = 5 << 20, len = 0, zlen, glen;
	unsigned long x = 12345;
	struct stat st;
	char err[256];
	char *orig, *got;
	bool moved;
	int i;

	cr_assert_not_null(orig = malloc(cap + 128));
	for (i = 0; len < cap; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		len += (size_t)sprintf(orig + len,
		    "%08d %016lx %s %s message=%lu\n", i, x,
		    words[(x >> 33) % 11], words[(x >> 17) % 11], x % 100000);
	}
	put_at(t_live, orig, len);
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 2, true, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);

	cr_assert(moved);
	cr_assert_not(exists("out.log.1"));
	cr_assert(zstd_test_passes("out.log.1.zst"));
	cr_assert_eq(stat(at("out.log.1.zst"), &st), 0);
	zlen = (size_t)st.st_size;
	cr_assert_lt(zlen, len / 2, "compressed %zu of %zu bytes", zlen, len);
	got = zcat("out.log.1.zst", &glen);
	cr_assert_eq(glen, len);
	cr_assert(memcmp(got, orig, len) == 0);
	free(got);
	free(orig);
}

Test(rotate, an_empty_file_compresses_to_a_valid_frame)
{
	char err[256];

	put("empty", "");
	cr_assert_eq(rotate_compress_file(t_dfd, "empty", "empty.zst",
	    ROTATE_ZSTD_LEVEL, err, sizeof(err)), 0, "%s", err);
	expect_ztext("empty.zst", "");
	cr_assert_not(exists("empty.zst.tmp"));
}

Test(rotate, the_compressed_file_keeps_the_mode_of_the_original)
{
	struct stat st;
	char err[256];
	bool moved;

	put("out.log", "private\n");
	cr_assert_eq(chmod(t_live, 0640), 0);
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 2, true, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(at("out.log.1.zst"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);
}

Test(rotate, an_unwritable_directory_gives_minus_one_with_a_clear_message)
{
	char live[PATH_MAX], err[256] = "";
	bool moved = true, was_root = geteuid() == 0;
	int r, saved, rofd;

	cr_assert_eq(mkdir(at("ro"), 0755), 0);
	snprintf(live, sizeof(live), "%s/out.log", at("ro"));
	put_at(live, "keep me\n", 8);
	cr_assert_eq(chmod(at("ro"), 0555), 0);
	cr_assert_neq(rofd = open(at("ro"), O_RDONLY | O_DIRECTORY), -1);

	/* root ignores directory permissions: act as nobody for the call. */
	if (was_root)
		cr_assert_eq(seteuid(65534), 0);
	r = rotate_shift(rofd, "out.log", 3, true, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err));
	saved = errno;
	if (was_root)
		cr_assert_eq(seteuid(0), 0);
	cr_assert_eq(close(rofd), 0);

	cr_assert_eq(r, -1);
	cr_assert_eq(saved, EACCES);
	cr_assert_not(moved);
	cr_assert_not_null(strstr(err, "out.log"), "message: %s", err);
	cr_assert_not_null(strstr(err, "Permission denied"), "message: %s",
	    err);
	expect_text("ro/out.log", "keep me\n");
}

Test(rotate, a_failed_compression_leaves_the_rotated_file_whole_and_says_so)
{
	char err[256] = "";
	bool moved = false;

	/* A directory where the .tmp must go makes creating it fail. */
	cr_assert_eq(mkdir(at("out.log.1.zst.tmp"), 0755), 0);
	put("out.log", "whole\n");
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 3, true, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), -1);

	cr_assert(moved);
	cr_assert_not_null(strstr(err, "out.log.1.zst.tmp"), "message: %s",
	    err);
	expect_text("out.log.1", "whole\n");
	cr_assert_not(exists("out.log.1.zst"));
}

Test(rotate, a_missing_live_file_moves_nothing)
{
	char err[256];
	bool moved = true;

	put("out.log.1", "old\n");
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 3, false, ROTATE_ZSTD_LEVEL, &moved,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_not(moved);
	expect_text("out.log.1", "old\n");
	cr_assert_eq(count_files(), 1);
}

Test(rotate, cleanup_removes_leftover_zst_tmp_files_only)
{
	put("out.log.1.zst.tmp", "partial\n");
	put("out.log.2.zst.tmp", "partial\n");
	put("out.log.1", "rotated\n");
	put("out.log.1.zst", "final\n");
	put("out.log.01.zst.tmp", "not ours\n");
	put("other.log.1.zst.tmp", "not ours\n");
	put("out.log.tmp", "not ours\n");

	cr_assert_eq(rotate_cleanup(t_dfd, "out.log", 3), 2);
	cr_assert_not(exists("out.log.1.zst.tmp"));
	cr_assert_not(exists("out.log.2.zst.tmp"));
	cr_assert_eq(count_files(), 5);
	cr_assert_eq(rotate_cleanup(t_dfd, "out.log", 3), 0);
}

Test(rotate, files_not_matching_the_pattern_are_untouched)
{
	static const char *others[] = { "out.log.old", "out.log.1.gz",
	    "out.log.01", "out.log.x1", "out.log.1x", "out.logx.1",
	    "xout.log.1", "other.log.1", "out.log.1.zst.bak", "out.log.",
	    "out.log.2.zst.tmp", "out.log.-1", "out.log.0",
	    "out.log.99999999999999999999999" };
	size_t nothers = sizeof(others) / sizeof(others[0]), i;

	for (i = 0; i < nothers; i++)
		put(others[i], others[i]);
	rotate_generations(3, 2, true);
	rotate_generations(2, 0, false);

	cr_assert_eq(count_files(), (int)nothers);
	for (i = 0; i < nothers; i++)
		expect_text(others[i], others[i]);
}

Test(rotate, a_name_with_a_slash_is_refused)
{
	char err[256] = "";
	bool moved = true;

	put("out.log", "live\n");
	cr_assert_eq(rotate_shift(t_dfd, "../out.log", 2, false,
	    ROTATE_ZSTD_LEVEL, &moved, err, sizeof(err)), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_not(moved);
	expect_text("out.log", "live\n");
}

/* A 0600 file that must come out of every attack as it went in. */
static void
put_secret(const char *name)
{
	put(name, "secret\n");
	cr_assert_eq(chmod(at(name), 0600), 0);
}

static void
expect_secret(const char *name)
{
	struct stat st;

	cr_assert_eq(lstat(at(name), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "%s: mode %o", name,
	    st.st_mode & 07777);
	cr_assert_eq(st.st_uid, geteuid());
	expect_text(name, "secret\n");
}

Test(rotate, a_link_planted_as_the_zst_tmp_is_replaced_and_its_target_untouched)
{
	char err[256];
	bool moved;

	put_secret("secret");
	cr_assert_eq(symlink(at("secret"), at("out.log.1.zst.tmp")), 0);
	put("out.log", "rotated\n");
	cr_assert_eq(chmod(t_live, 0666), 0);
	cr_assert_eq(rotate_shift(t_dfd, "out.log", 3, true, ROTATE_ZSTD_LEVEL,
	    &moved, err, sizeof(err)), 0, "%s", err);

	expect_secret("secret");
	expect_ztext("out.log.1.zst", "rotated\n");
	cr_assert_not(exists("out.log.1.zst.tmp"));
}

Test(rotate, a_link_in_place_of_the_rotated_file_is_not_compressed)
{
	char err[256] = "";

	put_secret("secret");
	cr_assert_eq(symlink(at("secret"), at("out.log.1")), 0);
	cr_assert_eq(rotate_compress_file(t_dfd, "out.log.1", "out.log.1.zst",
	    ROTATE_ZSTD_LEVEL, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "is a symbolic link; not following it"),
	    "message: %s", err);
	cr_assert_not(exists("out.log.1.zst"));
	cr_assert_not(exists("out.log.1.zst.tmp"));
	expect_secret("secret");
}

Test(rotate, the_compressed_copy_never_gets_setuid_setgid_or_sticky_bits)
{
	struct stat st;
	char err[256];

	put("out.log.1", "x\n");
	cr_assert_eq(chmod(at("out.log.1"), 07755), 0);
	cr_assert_eq(rotate_compress_file(t_dfd, "out.log.1", "out.log.1.zst",
	    ROTATE_ZSTD_LEVEL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(at("out.log.1.zst"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
}
