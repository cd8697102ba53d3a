/*
 * test_buf.c -- the capped buffer: growth, the cap, release and printf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_grow_and_terminate(void **state)
{
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_addstr(&b, "abc"), 0);
	assert_int_equal(b.len, 3000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data + 2997, "abc", 3);
	buf_free(&b);
	assert_null(b.data);
}

static void
test_cap_refuses_whole_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_addstr(&b, "abcd"), 0);
	assert_int_equal(buf_addstr(&b, "ef"), -1);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "abcd");
	assert_int_equal(buf_addch(&b, 'e'), 0);
	assert_int_equal(buf_addch(&b, 'f'), -1);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_string_equal(b.data, "abcde");
	buf_free(&b);
}

/* Appends that fill the room there is exactly, or the cap exactly, and
 * one byte past either. */
static void
test_room_and_cap_edges(void **state)
{
	struct buf b;
	char big[200];
	size_t room;

	(void)state;
	memset(big, 'x', sizeof(big));
	buf_init(&b, 1000);
	assert_int_equal(buf_add(&b, big, 1), 0);
	room = b.size - b.len - 1;	/* bytes that fit without growing */
	assert_int_equal(buf_add(&b, big, room), 0);
	assert_int_equal(b.len + 1, b.size);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_add(&b, "y", 1), 0);	/* grows */
	assert_int_equal(b.data[b.len - 1], 'y');
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_add(&b, big, 0), 0);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	buf_free(&b);

	/* Room allocated past the cap: the cap still holds. */
	buf_init(&b, 100);
	assert_int_equal(buf_add(&b, big, 60), 0);
	assert_int_equal(buf_add(&b, big, 10), 0);	/* grows */
	assert_true(b.size > 101);
	assert_int_equal(buf_add(&b, big, 31), -1);
	assert_int_equal(b.len, 70);
	assert_int_equal(buf_add(&b, big, 30), 0);
	assert_int_equal(b.len, 100);
	assert_int_equal(buf_add(&b, big, 1), -1);
	assert_int_equal(buf_add(&b, big, 0), 0);
	assert_int_equal(b.data[100], '\0');
	buf_free(&b);
}

static void
test_printf_and_truncate(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%s-%04d", "REQ", 42), 0);
	assert_string_equal(b.data, "REQ-0042");
	buf_truncate(&b, 3);
	assert_string_equal(b.data, "REQ");
	buf_truncate(&b, 50);	/* longer than len: no change */
	assert_int_equal(b.len, 3);
	s = buf_release(&b);
	assert_string_equal(s, "REQ");
	assert_null(b.data);
	free(s);
}

static void
test_release_empty(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 10);
	s = buf_release(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void
test_binary_with_nul(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_and_terminate),
		cmocka_unit_test(test_cap_refuses_whole_append),
		cmocka_unit_test(test_room_and_cap_edges),
		cmocka_unit_test(test_printf_and_truncate),
		cmocka_unit_test(test_release_empty),
		cmocka_unit_test(test_binary_with_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
