/*
 * test_worker.c -- the isolated parse worker: same answers as in-process
 * parsing, and a crash, a hang or runaway memory costs one message only.
 * Run from the repository root (loads forms/cencomm-cheetah.form).
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "form.h"
#include "intake.h"
#include "worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

static struct form *form;
static struct intake_opts opts = { "info@cites.org", 0, NULL };

static const char request[] =
	"From: Grace Otieno <g.otieno@kws.go.ke>\n"
	"Subject: Access to the cheetah CUG\n"
	"Message-ID: <w1@kws.go.ke>\n\n"
	"Country: Kenya\nLast name: Otieno\nFirst name: Grace\n"
	"Organisation: Kenya Wildlife Service\nFunction: Senior Warden\n"
	"Telephone: +254 20 600 0800\nE-mail: g.otieno@kws.go.ke\n";

static int
setup(void **state)
{
	char err[1024];

	(void)state;
	if (form_load("forms/cencomm-cheetah.form", &form, err,
	    sizeof(err)) == -1) {
		print_error("%s\n", err);
		return -1;
	}
	intake_init();
	setenv("INTAKED_TEST_HOOKS", "1", 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	intake_cleanup();
	form_free(form);
	return 0;
}

static char *
json_of(const struct intake_result *r)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(intake_result_json(r, &b), 0);
	return buf_release(&b);
}

static struct worker *
start(unsigned timeout_ms, int isolate)
{
	struct worker_limits l = worker_default_limits;
	struct worker *w;
	char err[256];

	l.timeout_ms = timeout_ms;
	w = worker_start(form, &opts, &l, isolate, NULL, err, sizeof(err));
	assert_non_null(w);
	return w;
}

static void
test_same_answer_as_in_process(void **state)
{
	struct worker *iso = start(10000, 1), *direct = start(10000, 0);
	struct intake_result *a, *b;
	char *ja, *jb;

	(void)state;
	a = worker_parse(iso, request, strlen(request), 0);
	b = worker_parse(direct, request, strlen(request), 0);
	ja = json_of(a);
	jb = json_of(b);
	assert_string_equal(ja, jb);
	assert_int_equal(a->class, CLASS_REQUEST);
	assert_int_equal(a->status, STATUS_COMPLETE);
	assert_true(worker_pid(iso) > 0);
	assert_int_equal(worker_pid(direct), -1);
	free(ja);
	free(jb);
	intake_result_free(a);
	intake_result_free(b);
	worker_stop(iso);
	worker_stop(direct);
}

static void
test_header_only(void **state)
{
	struct worker *w = start(10000, 1);
	struct intake_result *r;

	(void)state;
	r = worker_parse(w, request, strlen(request), 1);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_REVIEW);
	assert_true(r->flags & FLAG_OVERSIZE);
	intake_result_free(r);
	worker_stop(w);
}

/* One bad message, then a good one through the same worker object. */
static void
bad_then_good(const char *bad, const char *reason, unsigned timeout_ms)
{
	struct worker *w = start(timeout_ms, 1);
	struct intake_result *r;
	unsigned long parsed, restarts;
	int pid1;

	r = worker_parse(w, request, strlen(request), 0);
	assert_int_equal(r->class, CLASS_REQUEST);
	intake_result_free(r);
	pid1 = worker_pid(w);

	r = worker_parse(w, bad, strlen(bad), 0);
	assert_int_equal(r->class, CLASS_QUARANTINED);
	assert_int_equal(r->status, STATUS_QUARANTINED);
	assert_string_equal(r->reason, reason);
	intake_result_free(r);

	r = worker_parse(w, request, strlen(request), 0);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_COMPLETE);
	intake_result_free(r);
	assert_true(worker_pid(w) > 0);
	assert_int_not_equal(worker_pid(w), pid1);
	worker_stats(w, &parsed, &restarts);
	assert_int_equal(parsed, 3);
	assert_int_equal(restarts, 1);
	worker_stop(w);
}

static void
test_crash(void **state)
{
	(void)state;
	bad_then_good("X-Intaked-Test: crash\nSubject: x\n\nbody\n",
	    "parser crashed: signal 11", 10000);
}

static void
test_hang(void **state)
{
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bad_then_good("X-Intaked-Test: loop\nSubject: x\n\nbody\n",
	    "parser timed out", 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

static void
test_out_of_memory(void **state)
{
	(void)state;
#ifdef UNDER_ASAN
	/* The sanitizer's shadow memory rules out an address-space limit,
	 * so this build cannot bound the child's memory: the plain build
	 * runs this test. */
	skip();
#else
	bad_then_good("X-Intaked-Test: alloc\nSubject: x\n\nbody\n",
	    "parser out of memory", 30000);
#endif
}

static void
test_crafted_boundary(void **state)
{
	static const char msg[] =
	    "From: a@b.example\n"
	    "Subject: cheetah\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"\\\"\"\n"
	    "\n"
	    "--\"\n"
	    "Content-Type: text/plain\n\nx\n"
	    "--\"--\n";
	struct worker *w = start(10000, 1);
	struct intake_result *r;

	(void)state;
	r = worker_parse(w, msg, strlen(msg), 0);
	assert_int_equal(r->class, CLASS_QUARANTINED);
	assert_non_null(r->reason);
	intake_result_free(r);
	r = worker_parse(w, request, strlen(request), 0);
	assert_int_equal(r->status, STATUS_COMPLETE);
	intake_result_free(r);
	worker_stop(w);
}

/* The child holds its two pipes and stdio, nothing the parent opened. */
static void
test_child_descriptors(void **state)
{
	struct worker *w;
	struct intake_result *r;
	char path[64], target[256];
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	(void)state;
	fd = open("forms/cencomm-cheetah.form", O_RDONLY);	/* inheritable */
	assert_true(fd >= 0);
	w = start(10000, 1);
	r = worker_parse(w, request, strlen(request), 0);
	intake_result_free(r);
	snprintf(path, sizeof(path), "/proc/%d/fd", worker_pid(w));
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char link[320];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		assert_true(len > 0);
		target[len] = '\0';
		assert_null(strstr(target, "cencomm-cheetah.form"));
		n++;
	}
	closedir(d);
	assert_true(n <= 5);	/* 0, 1, 2 and the two pipes */
	close(fd);
	worker_stop(w);
}

/*
 * A batch with a bad message in the middle: the bad one alone is
 * quarantined with its reason, every other gets the answer it gets on its
 * own, in order, and a large message (over a pipe's default buffer) and a
 * header-only one go through too.
 */
static void
batch_with(const char *bad, const char *reason, unsigned timeout_ms)
{
	enum { N = 12, BAD = 5, BIG = 8, HDR = 9 };
	struct worker *w = start(timeout_ms, 1);
	struct intake_result *out[N], *one;
	const char *raw[N];
	size_t len[N];
	int hdr[N], i;
	unsigned long parsed, restarts;
	struct buf big;
	char *ja, *jb;

	buf_init(&big, 1 << 22);
	buf_addstr(&big, request);
	for (i = 0; i < 50000; i++)
		buf_addstr(&big, "Some more words of prose here.\n");
	for (i = 0; i < N; i++) {
		raw[i] = request;
		len[i] = strlen(request);
		hdr[i] = 0;
	}
	raw[BAD] = bad;
	len[BAD] = strlen(bad);
	raw[BIG] = big.data;
	len[BIG] = big.len;
	hdr[HDR] = 1;
	worker_parse_batch(w, N, raw, len, hdr, out);
	for (i = 0; i < N; i++) {
		assert_non_null(out[i]);
		if (i == BAD) {
			assert_int_equal(out[i]->class, CLASS_QUARANTINED);
			assert_string_equal(out[i]->reason, reason);
			intake_result_free(out[i]);
			continue;
		}
		one = worker_parse(w, raw[i], len[i], hdr[i]);
		ja = json_of(out[i]);
		jb = json_of(one);
		assert_string_equal(ja, jb);
		assert_int_equal(out[i]->class, CLASS_REQUEST);
		assert_int_equal(out[i]->status, i == HDR ? STATUS_REVIEW :
		    STATUS_COMPLETE);
		free(ja);
		free(jb);
		intake_result_free(one);
		intake_result_free(out[i]);
	}
	worker_stats(w, &parsed, &restarts);
	assert_int_equal(parsed, N + N - 1);
	assert_int_equal(restarts, 1);
	buf_free(&big);
	worker_stop(w);
}

static void
test_batch_crash(void **state)
{
	(void)state;
	batch_with("X-Intaked-Test: crash\nSubject: x\n\nbody\n",
	    "parser crashed: signal 11", 10000);
}

static void
test_batch_hang(void **state)
{
	(void)state;
	batch_with("X-Intaked-Test: loop\nSubject: x\n\nbody\n",
	    "parser timed out", 1000);
}

/* A batch through no worker at all gives the same answers. */
static void
test_batch_in_process(void **state)
{
	struct worker *iso = start(10000, 1), *direct = start(10000, 0);
	struct intake_result *a[3], *b[3];
	const char *raw[3] = { request, "Subject: hello\n\nJust a note.\n",
	    request };
	size_t len[3];
	int hdr[3] = { 0, 0, 1 }, i;
	char *ja, *jb;

	(void)state;
	for (i = 0; i < 3; i++)
		len[i] = strlen(raw[i]);
	worker_parse_batch(iso, 3, raw, len, hdr, a);
	worker_parse_batch(direct, 3, raw, len, hdr, b);
	for (i = 0; i < 3; i++) {
		ja = json_of(a[i]);
		jb = json_of(b[i]);
		assert_string_equal(ja, jb);
		free(ja);
		free(jb);
		intake_result_free(a[i]);
		intake_result_free(b[i]);
	}
	worker_stop(iso);
	worker_stop(direct);
}

/*
 * Messages that go through the shared window several times over, one too
 * large for it in the middle, and an empty one: each gets the answer it
 * gets in process, so no message was overwritten before its result came
 * back.  Most are header-only, so the parser reads little of them.
 */
static void
test_batch_window(void **state)
{
	enum { N = 48, HUGE = 21, EMPTY = 30 };
	struct worker *iso = start(10000, 1), *direct = start(10000, 0);
	struct intake_result *a[N], *b[N];
	struct buf msg[N];
	const char *raw[N];
	size_t len[N], fill;
	int hdr[N], i;
	char *ja, *jb;

	(void)state;
	for (i = 0; i < N; i++) {
		buf_init(&msg[i], 16u << 20);
		buf_printf(&msg[i], "From: a%d@kws.go.ke\nSubject: cheetah %d"
		    "\nMessage-ID: <%d@kws.go.ke>\n\n", i, i, i);
		if (i % 8 == 0) {
			buf_addstr(&msg[i], request);
			hdr[i] = 0;
		} else {
			/* Sizes that do not divide the window evenly. */
			fill = i == HUGE ? 9u << 20 : 300000u + 7919u * i;
			while (msg[i].len < fill)
				buf_addstr(&msg[i], "Words of prose.\n");
			hdr[i] = 1;
		}
		raw[i] = msg[i].data;
		len[i] = i == EMPTY ? 0 : msg[i].len;
	}
	worker_parse_batch(iso, N, raw, len, hdr, a);
	worker_parse_batch(direct, N, raw, len, hdr, b);
	for (i = 0; i < N; i++) {
		ja = json_of(a[i]);
		jb = json_of(b[i]);
		assert_string_equal(ja, jb);
		if (i != EMPTY)
			assert_non_null(strstr(ja, "kws.go.ke"));
		free(ja);
		free(jb);
		intake_result_free(a[i]);
		intake_result_free(b[i]);
		buf_free(&msg[i]);
	}
	worker_stop(iso);
	worker_stop(direct);
}

/*
 * Messages the caller read into the worker's window are parsed where
 * they lie: each answer is the one in-process parsing gives the same
 * bytes, with a message from elsewhere in the middle of the batch (it
 * must not be copied over the others) and one that kills the child (the
 * ones after it go to a new child and are still intact).  A lone message
 * in the window, not at its start, goes by worker_parse().
 */
static void
test_batch_in_window(void **state)
{
	enum { N = 12, OUTSIDE = 5, CRASH = 8 };
	struct worker *iso = start(10000, 1), *direct = start(10000, 0);
	struct intake_result *a[N], *b;
	struct buf msg[N];
	const char *raw[N];
	size_t len[N], size, used = 0;
	int hdr[N] = { 0 }, i, round;
	char *win, *ja, *jb;

	(void)state;
	assert_null(worker_window(direct, &size));
	assert_int_equal(size, 0);
	win = worker_window(iso, &size);
	assert_non_null(win);
	assert_true(size >= 1u << 20);
	for (round = 0; round < 2; round++) {
		/* The second round's results keep their strings in one
		 * block each: the same answers, freed whole. */
		if (round == 1)
			worker_pool_results(iso);
		used = 0;
		for (i = 0; i < N; i++) {
			buf_init(&msg[i], 1 << 20);
			if (i == CRASH)
				buf_addstr(&msg[i], "X-Intaked-Test: crash\n");
			buf_printf(&msg[i], "From: o%d@kws.go.ke\nSubject: "
			    "cheetah %d.%d\nMessage-ID: <%d.%d@kws.go.ke>\n\n"
			    "Country: Kenya\nLast name: Otieno%d\n"
			    "First name: Grace\nE-mail: o%d@kws.go.ke\n",
			    i, round, i, round, i, i, i);
			len[i] = msg[i].len;
			if (i == OUTSIDE) {
				raw[i] = msg[i].data;
				continue;
			}
			memcpy(win + used, msg[i].data, len[i]);
			raw[i] = win + used;
			used += len[i] + 1 + (size_t)i * 3;
		}
		worker_parse_batch(iso, N, raw, len, hdr, a);
		for (i = 0; i < N; i++) {
			if (i == CRASH) {
				assert_int_equal(a[i]->class,
				    CLASS_QUARANTINED);
				assert_string_equal(a[i]->reason,
				    "parser crashed: signal 11");
			} else {
				b = worker_parse(direct, msg[i].data, len[i],
				    0);
				ja = json_of(a[i]);
				jb = json_of(b);
				assert_string_equal(ja, jb);
				assert_non_null(strstr(ja, "Otieno"));
				assert_true((a[i]->strings != NULL) == round);
				assert_null(b->strings);
				free(ja);
				free(jb);
				intake_result_free(b);
			}
			intake_result_free(a[i]);
		}
		/* One message alone, not at the start of the window. */
		memcpy(win + 4096, msg[3].data, len[3]);
		a[0] = worker_parse(iso, win + 4096, len[3], 0);
		b = worker_parse(direct, msg[3].data, len[3], 0);
		ja = json_of(a[0]);
		jb = json_of(b);
		assert_string_equal(ja, jb);
		free(ja);
		free(jb);
		intake_result_free(a[0]);
		intake_result_free(b);
		for (i = 0; i < N; i++)
			buf_free(&msg[i]);
	}
	worker_stop(iso);
	worker_stop(direct);
}

/* A message the child quarantines keeps its Message-ID, which the parent
 * reads from the raw header, with pooled strings too (and leaks nothing,
 * under the sanitizers). */
static void
test_pooled_quarantine(void **state)
{
	static const char boundary[] =
	    "From: b@test.example.org\r\n"
	    "Subject: cheetah\r\n"
	    "Message-ID: <boundary.1@test.example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n\r\n"
	    "--\"\r\nContent-Type: text/plain\r\n\r\nCountry: Kenya\r\n"
	    "--\"--\r\n";
	struct worker *iso = start(10000, 1);
	struct intake_result *out[2];
	const char *raw[2] = { boundary, request };
	size_t len[2] = { sizeof(boundary) - 1, strlen(request) };
	int hdr[2] = { 0, 0 };

	(void)state;
	worker_pool_results(iso);
	worker_parse_batch(iso, 2, raw, len, hdr, out);
	assert_int_equal(out[0]->class, CLASS_QUARANTINED);
	assert_string_equal(out[0]->reason, "unsafe MIME boundary");
	assert_string_equal(out[0]->message_id, "boundary.1@test.example.org");
	assert_int_equal(out[1]->class, CLASS_REQUEST);
	assert_non_null(out[1]->strings);
	intake_result_free(out[0]);
	intake_result_free(out[1]);
	worker_stop(iso);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_answer_as_in_process),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_crafted_boundary),
		cmocka_unit_test(test_child_descriptors),
		cmocka_unit_test(test_batch_crash),
		cmocka_unit_test(test_batch_hang),
		cmocka_unit_test(test_batch_in_process),
		cmocka_unit_test(test_batch_window),
		cmocka_unit_test(test_batch_in_window),
		cmocka_unit_test(test_pooled_quarantine),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
