/* SPDX-License-Identifier: ISC */
/*
 * test_tally.c: per-sender counts behind "most from pid 42 (1200), ...".
 */
#include <string.h>

#include <criterion/criterion.h>

#include "tally.h"

Test(tally, top_senders_come_most_first)
{
	struct tally t;
	char buf[128];

	tally_clear(&t);
	tally_add(&t, 77, 34);
	tally_add(&t, 42, 1000);
	tally_add(&t, 9, 3);
	tally_add(&t, 42, 200);
	cr_assert_gt(tally_top(&t, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "pid 42 (1200), pid 77 (34), pid 9 (3)");
	tally_top(&t, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pid 42 (1200)");
}

Test(tally, senders_past_the_slots_are_counted_as_others)
{
	struct tally a, b;
	char buf[16];
	int i;

	tally_clear(&a);
	tally_clear(&b);
	for (i = 0; i < TALLY_SLOTS + 5; i++)
		tally_add(&a, 100 + i, 1);
	cr_assert_eq(a.used, TALLY_SLOTS);
	cr_assert_eq(a.others, 5);
	tally_merge(&b, &a);
	tally_merge(&b, &a);
	cr_assert_eq(b.slot[0].n, 2);
	cr_assert_eq(b.others, 10);
	/* Too small a buffer: nothing half-written. */
	tally_top(&b, 3, buf, sizeof(buf));
	cr_assert_str_eq(buf, "pid 100 (2)");
}
