/* SPDX-License-Identifier: ISC */
/*
 * test_spool.c: daemon/spool.c on its own, in a temporary directory:
 * records come back whole and in order, across a close and reopen, from
 * where delivery stopped; a torn last record (a crash mid-append) is cut
 * off; a full spool refuses an append whole; a segment that is a symbolic
 * link is refused; two spools never share a directory; a head file that
 * is garbled or at a segment's end, and an empty segment, cost at most
 * records sent twice, never half a record or a count gone wrong.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "spool.h"

static char dir[64];

static void
spool_dir_up(void)
{
	snprintf(dir, sizeof(dir), "/tmp/asynclog-spool.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
spool_dir_down(void)
{
	(void)run("rm -rf %s", dir);
}

static struct spool *
spool_up(uint64_t max_size)
{
	struct spool *sp;
	char err[512] = "";

	sp = spool_open(dir, "t", max_size, SYNC_NEVER, err, sizeof(err));
	cr_assert_not_null(sp, "spool_open: %s", err);
	return sp;
}

static void
append(struct spool *sp, const char *text, uint32_t n)
{
	char err[256] = "";

	cr_assert_eq(spool_append(sp, text, strlen(text), n, err,
	    sizeof(err)), 0, "%s", err);
}

/* The next read, as a string; "" when nothing is unread. */
static const char *
read_next(struct spool *sp, uint32_t *n)
{
	static char buf[4096];
	char err[256] = "";
	uint32_t skipped;
	ssize_t len;

	len = spool_read(sp, buf, sizeof(buf) - 1, n, &skipped, err,
	    sizeof(err));
	cr_assert_geq(len, 0, "%s", err);
	cr_assert_eq(skipped, 0);
	buf[len] = '\0';
	return buf;
}

Test(spool, gives_records_back_in_order_from_where_delivery_stopped,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp = spool_up(1 << 20);
	uint32_t n;

	append(sp, "one\ntwo\n", 2);
	append(sp, "three\n", 1);
	cr_assert_eq(spool_records(sp), 3);
	cr_assert_str_eq(read_next(sp, &n), "one\ntwo\nthree\n");
	cr_assert_eq(n, 3);
	cr_assert_not(spool_unread(sp));
	/* Only "one" delivered before the stop. */
	spool_consume(sp, 4, 1);
	cr_assert_eq(spool_records(sp), 2);
	spool_close(sp);

	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 2, "what the next start finds");
	cr_assert_eq(spool_bytes(sp), 10);
	cr_assert_str_eq(read_next(sp, &n), "two\nthree\n");
	cr_assert_eq(n, 2);
	spool_consume(sp, 10, 2);
	cr_assert_eq(spool_records(sp), 0);
	cr_assert_str_eq(read_next(sp, &n), "");
	spool_close(sp);
	cr_assert_eq(run("ls %s/*.seg 2>/dev/null | grep -q .", dir), 1,
	    "a delivered segment is removed");
}

Test(spool, cuts_off_a_torn_last_record, .init = spool_dir_up,
    .fini = spool_dir_down)
{
	struct spool *sp;
	char path[128];
	uint32_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("whole\nalso whole\ncut in the mid", f);
	fclose(f);
	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 2);
	cr_assert_str_eq(read_next(sp, &n), "whole\nalso whole\n");
	/* New records follow the whole ones, not the torn bytes. */
	append(sp, "after\n", 1);
	cr_assert_str_eq(read_next(sp, &n), "after\n");
	spool_close(sp);
}

Test(spool, refuses_an_append_that_does_not_fit_whole, .init = spool_dir_up,
    .fini = spool_dir_down)
{
	struct spool *sp = spool_up(16);
	char err[256] = "";
	uint32_t n;

	append(sp, "0123456789\n", 1);
	cr_assert_eq(spool_append(sp, "abcdefgh\n", 9, 1, err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "spool full") != NULL, "%s", err);
	cr_assert_eq(spool_records(sp), 1);
	cr_assert_eq(spool_bytes(sp), 11);
	cr_assert_str_eq(read_next(sp, &n), "0123456789\n");
	/* Delivered: room again. */
	spool_consume(sp, 11, 1);
	append(sp, "abcdefgh\n", 1);
	spool_close(sp);
}

Test(spool, refuses_a_segment_that_is_a_symbolic_link, .init = spool_dir_up,
    .fini = spool_dir_down)
{
	char path[128], err[512] = "";

	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
	cr_assert_null(spool_open(dir, "t", 1 << 20, SYNC_NEVER, err,
	    sizeof(err)));
	cr_assert(strstr(err, "symbolic link") != NULL, "%s", err);
}

Test(spool, is_never_shared_by_two, .init = spool_dir_up,
    .fini = spool_dir_down)
{
	struct spool *sp = spool_up(1 << 20);
	char err[512] = "";

	cr_assert_null(spool_open(dir, "u", 1 << 20, SYNC_NEVER, err,
	    sizeof(err)));
	cr_assert(strstr(err, "in use") != NULL, "%s", err);
	spool_close(sp);
}

static void
put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A head that is not where a record begins (edited, garbage, a disk that
 * lied) must not make the spool send half a record or miscount. */
Test(spool, a_head_in_the_middle_of_a_record_is_not_trusted,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp;
	uint32_t n;

	put("0000000000000001.seg", "one\ntwo\n");
	put("head", "0000000000000001 00000000000000000002 "
	    "00000000000000000000\n");
	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 2);
	cr_assert_str_eq(read_next(sp, &n), "one\ntwo\n", "whole records");
	cr_assert_eq(n, 2);
	spool_close(sp);
}

Test(spool, a_head_counts_the_records_it_passed_itself,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp;
	uint32_t n;

	put("0000000000000001.seg", "one\ntwo\n");
	/* Says 0 records before offset 4, where there is one. */
	put("head", "0000000000000001 00000000000000000004 "
	    "00000000000000000000\n");
	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 1);
	cr_assert_str_eq(read_next(sp, &n), "two\n");
	spool_consume(sp, 4, n);
	cr_assert_eq(spool_records(sp), 0, "nothing left to deliver");
	spool_close(sp);
}

/* A head at the very end of the oldest segment (everything in it was
 * delivered): what is delivered from the next one must leave the spool
 * too, not come back at the next start. */
Test(spool, a_head_at_the_end_of_a_segment_moves_on_to_the_next,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp;
	uint32_t n;

	put("0000000000000001.seg", "one\n");
	put("0000000000000002.seg", "two\nthree\n");
	put("head", "0000000000000001 00000000000000000004 "
	    "00000000000000000001\n");
	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 2);
	cr_assert_str_eq(read_next(sp, &n), "two\nthree\n");
	spool_consume(sp, 10, n);
	cr_assert_eq(spool_records(sp), 0);
	spool_close(sp);

	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 0, "delivered records come back");
	cr_assert_str_eq(read_next(sp, &n), "");
	spool_close(sp);
}

/* An empty segment before others (a crash just after one was created, or
 * a full disk): delivery from the next one is not put on its account. */
Test(spool, an_empty_segment_does_not_swallow_what_the_next_delivered,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp;
	uint32_t n;

	put("0000000000000001.seg", "");
	put("0000000000000002.seg", "two\n");
	sp = spool_up(1 << 20);
	append(sp, "three\n", 1);
	cr_assert_str_eq(read_next(sp, &n), "two\n");
	spool_consume(sp, 4, n);
	spool_close(sp);

	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 1, "only \"three\" is left");
	cr_assert_str_eq(read_next(sp, &n), "three\n");
	spool_close(sp);
}

/*
 * A record longer than the reader's buffer (an earlier run had a larger
 * chunk_size, or the segment is garbage) cannot be sent: it must not stop
 * the spool for good. Once what came before it was delivered, it leaves
 * the spool, said to the caller, and the records after it follow.
 */
Test(spool, a_record_longer_than_the_buffer_is_skipped_not_stuck,
    .init = spool_dir_up, .fini = spool_dir_down)
{
	struct spool *sp;
	char buf[16], err[256] = "";
	uint32_t n, skipped;
	ssize_t len;

	put("0000000000000001.seg", "one\nthis one is far too long\ntwo\n");
	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 3);
	len = spool_read(sp, buf, sizeof(buf), &n, &skipped, err, sizeof(err));
	cr_assert_eq(len, 4, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(skipped, 0);
	/* "one" not delivered yet: the long one waits behind it. */
	len = spool_read(sp, buf, sizeof(buf), &n, &skipped, err, sizeof(err));
	cr_assert_eq(len, 0, "%s", err);
	cr_assert_eq(skipped, 0);
	spool_consume(sp, 4, 1);
	len = spool_read(sp, buf, sizeof(buf), &n, &skipped, err, sizeof(err));
	cr_assert_eq(skipped, 1, "%s", err);
	cr_assert_eq(len, 4, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert(memcmp(buf, "two\n", 4) == 0);
	spool_consume(sp, 4, 1);
	cr_assert_eq(spool_records(sp), 0);
	cr_assert_eq(spool_bytes(sp), 0);
	spool_close(sp);

	sp = spool_up(1 << 20);
	cr_assert_eq(spool_records(sp), 0, "nothing comes back");
	spool_close(sp);
}
