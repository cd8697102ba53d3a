/*
 * test_merge.c -- merging a follow-up's officials into its request: which
 * official each given one belongs to, and which values win.
 *
 * Fields are set directly (raw, value, problem) and merge_officials() is
 * called without a form, so most tests exercise the merge rule alone, not
 * the validators.  One test merges with the real form (run from the
 * repository root: it loads forms/cencomm-cheetah.form) to see changed
 * officials validated again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"
#include "fields.h"
#include "form.h"
#include "limits.h"
#include "merge.h"
#include "xmalloc.h"

static struct official *
offs(size_t n)
{
	struct official *o = xcalloc(n ? n : 1, sizeof *o);
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++)
			o[i].f[f].problem = PROBLEM_MISSING;
	return o;
}

static void
offs_free(struct official *o, size_t n)
{
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			free(o[i].f[f].raw);
			free(o[i].f[f].value);
		}
	free(o);
}

/* Set a valid field: raw and value alike. */
static void
ok(struct official *o, enum field f, const char *v)
{
	free(o->f[f].raw);
	free(o->f[f].value);
	o->f[f].raw = xstrdup(v);
	o->f[f].value = xstrdup(v);
	o->f[f].problem = PROBLEM_NONE;
}

/* Set an invalid field. */
static void
bad(struct official *o, enum field f, const char *raw, enum field_problem p)
{
	free(o->f[f].raw);
	free(o->f[f].value);
	o->f[f].raw = xstrdup(raw);
	o->f[f].value = NULL;
	o->f[f].problem = p;
}

/* A complete official. */
static void
person(struct official *o, const char *last, const char *first,
    const char *email)
{
	ok(o, FIELD_COUNTRY, "KE");
	ok(o, FIELD_LAST_NAME, last);
	ok(o, FIELD_FIRST_NAME, first);
	ok(o, FIELD_ORGANISATION, "Kenya Wildlife Service");
	ok(o, FIELD_FUNCTION, "Officer");
	ok(o, FIELD_PHONE, "+254201234567");
	ok(o, FIELD_EMAIL, email);
}

static void
assert_field(const struct official *o, enum field f, const char *raw,
    enum field_problem p)
{
	assert_int_equal(o->f[f].problem, p);
	if (raw == NULL)
		assert_null(o->f[f].raw);
	else
		assert_string_equal(o->f[f].raw, raw);
	if (p == PROBLEM_NONE)
		assert_string_equal(o->f[f].value, raw);
	else
		assert_null(o->f[f].value);
}

static void
test_fill_missing_phone(void **state)
{
	struct official *have = offs(1), *given = offs(1);
	size_t n = 1;

	(void)state;
	person(&have[0], "Kamau", "Wanjiru", "w.kamau@kws.go.ke");
	free(have[0].f[FIELD_PHONE].raw);
	free(have[0].f[FIELD_PHONE].value);
	have[0].f[FIELD_PHONE].raw = NULL;
	have[0].f[FIELD_PHONE].value = NULL;
	have[0].f[FIELD_PHONE].problem = PROBLEM_MISSING;

	ok(&given[0], FIELD_PHONE, "+254 20 999 0000");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 1);
	assert_field(&have[0], FIELD_PHONE, "+254 20 999 0000", PROBLEM_NONE);
	/* Fields not given are untouched. */
	assert_field(&have[0], FIELD_LAST_NAME, "Kamau", PROBLEM_NONE);
	assert_field(&have[0], FIELD_EMAIL, "w.kamau@kws.go.ke", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_correct_invalid_email(void **state)
{
	struct official *have = offs(1), *given = offs(1);
	size_t n = 1;

	(void)state;
	person(&have[0], "Dupont", "Jean", "x");
	bad(&have[0], FIELD_EMAIL, "jean.dupont@", PROBLEM_EMAIL);
	/* The correction names the person and the right address. */
	ok(&given[0], FIELD_LAST_NAME, "DUPONT");
	ok(&given[0], FIELD_FIRST_NAME, "jean");
	ok(&given[0], FIELD_EMAIL, "jean.dupont@environnement.gouv.fr");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 1);
	assert_field(&have[0], FIELD_EMAIL, "jean.dupont@environnement.gouv.fr",
	    PROBLEM_NONE);
	/* A valid name given again (other case) replaces the old one. */
	assert_field(&have[0], FIELD_LAST_NAME, "DUPONT", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_invalid_keeps_valid(void **state)
{
	struct official *have = offs(1), *given = offs(1);
	size_t n = 1;

	(void)state;
	person(&have[0], "Dupont", "Jean", "jean@gouv.fr");
	bad(&have[0], FIELD_FUNCTION, "n/a", PROBLEM_TEXT);
	have[0].f[FIELD_ORGANISATION].problem = PROBLEM_MISSING;
	free(have[0].f[FIELD_ORGANISATION].raw);
	free(have[0].f[FIELD_ORGANISATION].value);
	have[0].f[FIELD_ORGANISATION].raw = NULL;
	have[0].f[FIELD_ORGANISATION].value = NULL;

	ok(&given[0], FIELD_EMAIL, "jean@gouv.fr");
	bad(&given[0], FIELD_PHONE, "12", PROBLEM_PHONE);	/* valid kept */
	bad(&given[0], FIELD_FUNCTION, "-", PROBLEM_TEXT); /* replaces bad */
	bad(&given[0], FIELD_ORGANISATION, "?", PROBLEM_TEXT); /* missing */
	bad(&given[0], FIELD_COUNTRY, "Atlantis", PROBLEM_COUNTRY);
	/* Given as missing: changes nothing. */
	given[0].f[FIELD_LAST_NAME].raw = xstrdup("");
	given[0].f[FIELD_LAST_NAME].problem = PROBLEM_MISSING;
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 1);
	assert_field(&have[0], FIELD_PHONE, "+254201234567", PROBLEM_NONE);
	assert_field(&have[0], FIELD_COUNTRY, "KE", PROBLEM_NONE);
	assert_field(&have[0], FIELD_LAST_NAME, "Dupont", PROBLEM_NONE);
	assert_field(&have[0], FIELD_FUNCTION, "-", PROBLEM_TEXT);
	assert_field(&have[0], FIELD_ORGANISATION, "?", PROBLEM_TEXT);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_match_by_email(void **state)
{
	struct official *have = offs(3), *given = offs(2);
	size_t n = 3;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	person(&have[2], "Charlie", "C", "c@gov.ke");
	bad(&have[1], FIELD_PHONE, "1", PROBLEM_PHONE);
	bad(&have[2], FIELD_PHONE, "2", PROBLEM_PHONE);
	/* Out of order, address in another case. */
	ok(&given[0], FIELD_EMAIL, "C@GOV.KE");
	ok(&given[0], FIELD_PHONE, "+254333");
	ok(&given[1], FIELD_EMAIL, "b@gov.ke");
	ok(&given[1], FIELD_PHONE, "+254222");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 2), 0);
	assert_int_equal(n, 3);
	assert_field(&have[0], FIELD_PHONE, "+254201234567", PROBLEM_NONE);
	assert_field(&have[1], FIELD_PHONE, "+254222", PROBLEM_NONE);
	assert_field(&have[2], FIELD_PHONE, "+254333", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 2);
}

static void
test_match_by_name(void **state)
{
	struct official *have = offs(2), *given = offs(2);
	size_t n = 2;

	(void)state;
	person(&have[0], "Dupré", "Hélène", "h@gouv.fr");
	person(&have[1], "Martin", "Luc", "l@gouv.fr");
	bad(&have[0], FIELD_FUNCTION, "?", PROBLEM_TEXT);
	bad(&have[1], FIELD_FUNCTION, "?", PROBLEM_TEXT);
	/* Folded: case and accents do not matter; no e-mail given. */
	ok(&given[0], FIELD_LAST_NAME, "MARTIN");
	ok(&given[0], FIELD_FIRST_NAME, "luc");
	ok(&given[0], FIELD_FUNCTION, "Directeur");
	ok(&given[1], FIELD_LAST_NAME, "DUPRE");
	ok(&given[1], FIELD_FIRST_NAME, "Helene");
	ok(&given[1], FIELD_FUNCTION, "Juriste");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 2), 0);
	assert_int_equal(n, 2);
	/* Not by position: given[0] is Martin, have[1]. */
	assert_field(&have[0], FIELD_FUNCTION, "Juriste", PROBLEM_NONE);
	assert_field(&have[1], FIELD_FUNCTION, "Directeur", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 2);
}

static void
test_match_by_last_name(void **state)
{
	struct official *have = offs(3), *given = offs(1);
	size_t n = 3;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	person(&have[2], "Charlie", "C", "c@gov.ke");
	bad(&have[0], FIELD_PHONE, "1", PROBLEM_PHONE);
	bad(&have[1], FIELD_PHONE, "1", PROBLEM_PHONE);
	ok(&given[0], FIELD_LAST_NAME, "bravo");
	ok(&given[0], FIELD_PHONE, "+254222");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 3);
	assert_field(&have[0], FIELD_PHONE, "1", PROBLEM_PHONE);
	assert_field(&have[1], FIELD_PHONE, "+254222", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 1);
}

/* Two officials share the last name: neither is guessed, none appended. */
static void
test_ambiguous_last_name(void **state)
{
	struct official *have = offs(3), *given = offs(1);
	size_t n = 3;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	person(&have[2], "Bravo", "C", "c@gov.ke");
	bad(&have[1], FIELD_PHONE, "1", PROBLEM_PHONE);
	bad(&have[2], FIELD_PHONE, "2", PROBLEM_PHONE);
	ok(&given[0], FIELD_LAST_NAME, "Bravo");
	ok(&given[0], FIELD_PHONE, "+254222");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 3);
	assert_field(&have[1], FIELD_PHONE, "1", PROBLEM_PHONE);
	assert_field(&have[2], FIELD_PHONE, "2", PROBLEM_PHONE);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_match_by_position(void **state)
{
	struct official *have = offs(2), *given = offs(2);
	size_t n = 2;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	bad(&have[0], FIELD_PHONE, "1", PROBLEM_PHONE);
	bad(&have[1], FIELD_PHONE, "2", PROBLEM_PHONE);
	bad(&have[1], FIELD_FUNCTION, "?", PROBLEM_TEXT);
	/* Two numbered blocks with only what was missing. */
	ok(&given[0], FIELD_PHONE, "+254111");
	ok(&given[1], FIELD_PHONE, "+254222");
	ok(&given[1], FIELD_FUNCTION, "Director");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 2), 0);
	assert_int_equal(n, 2);
	assert_field(&have[0], FIELD_PHONE, "+254111", PROBLEM_NONE);
	assert_field(&have[1], FIELD_PHONE, "+254222", PROBLEM_NONE);
	assert_field(&have[1], FIELD_FUNCTION, "Director", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 2);
}

static void
test_match_the_one_lacking(void **state)
{
	struct official *have = offs(3), *given = offs(1);
	size_t n = 3;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	person(&have[2], "Charlie", "C", "c@gov.ke");
	bad(&have[2], FIELD_PHONE, "x", PROBLEM_PHONE);
	ok(&given[0], FIELD_PHONE, "+254333");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 3);
	assert_field(&have[0], FIELD_PHONE, "+254201234567", PROBLEM_NONE);
	assert_field(&have[2], FIELD_PHONE, "+254333", PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 1);

	/* Two lacking and nothing to tell them apart: dropped, not guessed. */
	have = offs(3);
	given = offs(1);
	n = 3;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	person(&have[1], "Bravo", "B", "b@gov.ke");
	person(&have[2], "Charlie", "C", "c@gov.ke");
	bad(&have[1], FIELD_PHONE, "x", PROBLEM_PHONE);
	bad(&have[2], FIELD_PHONE, "x", PROBLEM_PHONE);
	ok(&given[0], FIELD_PHONE, "+254333");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 3);
	assert_field(&have[1], FIELD_PHONE, "x", PROBLEM_PHONE);
	assert_field(&have[2], FIELD_PHONE, "x", PROBLEM_PHONE);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_append_new_official(void **state)
{
	struct official *have = offs(1), *given = offs(3);
	size_t n = 1;
	int f;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	/* Another person: a different name and address. */
	person(&given[0], "Delta", "D", "d@gov.ke");
	bad(&given[0], FIELD_PHONE, "12", PROBLEM_PHONE);
	/* The same person again: merged, not appended. */
	ok(&given[1], FIELD_EMAIL, "a@gov.ke");
	ok(&given[1], FIELD_FUNCTION, "Head");
	/* A lone field that fits nobody: dropped. */
	ok(&given[2], FIELD_ORGANISATION, "Somewhere");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 3), 0);
	assert_int_equal(n, 2);
	assert_field(&have[0], FIELD_FUNCTION, "Head", PROBLEM_NONE);
	assert_field(&have[0], FIELD_LAST_NAME, "Alpha", PROBLEM_NONE);
	assert_field(&have[1], FIELD_LAST_NAME, "Delta", PROBLEM_NONE);
	assert_field(&have[1], FIELD_PHONE, "12", PROBLEM_PHONE);
	for (f = 0; f < FIELD_COUNT; f++)
		if (f != FIELD_PHONE)
			assert_int_equal(have[1].f[f].problem, PROBLEM_NONE);
	offs_free(have, n);
	offs_free(given, 3);
}

/* Position never writes one person over another. */
static void
test_position_conflict_appends(void **state)
{
	struct official *have = offs(1), *given = offs(1);
	size_t n = 1;

	(void)state;
	person(&have[0], "Alpha", "A", "a@gov.ke");
	bad(&have[0], FIELD_PHONE, "1", PROBLEM_PHONE);
	ok(&given[0], FIELD_LAST_NAME, "Echo");
	ok(&given[0], FIELD_PHONE, "+254555");
	assert_int_equal(merge_officials(NULL, &have, &n, given, 1), 0);
	assert_int_equal(n, 2);
	assert_field(&have[0], FIELD_PHONE, "1", PROBLEM_PHONE);
	assert_field(&have[0], FIELD_LAST_NAME, "Alpha", PROBLEM_NONE);
	assert_field(&have[1], FIELD_LAST_NAME, "Echo", PROBLEM_NONE);
	assert_field(&have[1], FIELD_PHONE, "+254555", PROBLEM_NONE);
	assert_field(&have[1], FIELD_EMAIL, NULL, PROBLEM_MISSING);
	offs_free(have, n);
	offs_free(given, 1);
}

static void
test_into_empty_and_cap(void **state)
{
	struct official *have = NULL, *given = offs(LIMIT_OFFICIALS + 5);
	size_t n = 0, i;
	char name[32];

	(void)state;
	for (i = 0; i < LIMIT_OFFICIALS + 5; i++) {
		snprintf(name, sizeof name, "Person%zu", i);
		ok(&given[i], FIELD_LAST_NAME, name);
		snprintf(name, sizeof name, "p%zu@gov.ke", i);
		ok(&given[i], FIELD_EMAIL, name);
	}
	assert_int_equal(merge_officials(NULL, &have, &n, given,
	    LIMIT_OFFICIALS + 5), 0);
	assert_int_equal(n, LIMIT_OFFICIALS);
	assert_field(&have[0], FIELD_LAST_NAME, "Person0", PROBLEM_NONE);
	assert_field(&have[LIMIT_OFFICIALS - 1], FIELD_LAST_NAME,
	    "Person49", PROBLEM_NONE);
	/* Full: the same ones again merge, a new one is not appended. */
	assert_int_equal(merge_officials(NULL, &have, &n, given,
	    LIMIT_OFFICIALS + 5), 0);
	assert_int_equal(n, LIMIT_OFFICIALS);
	offs_free(have, n);
	offs_free(given, LIMIT_OFFICIALS + 5);
}

/* Changed officials are validated again, in their own context. */
static void
test_revalidate_with_form(void **state)
{
	struct official *have = offs(2), *given = offs(1);
	struct form *form;
	size_t n = 2;
	char err[512];

	(void)state;
	if (form_load("forms/cencomm-cheetah.form", &form, err,
	    sizeof err) != 0)
		fail_msg("form: %s", err);
	person(&have[0], "Kamau", "Wanjiru", "w.kamau@kws.go.ke");
	free(have[0].f[FIELD_COUNTRY].raw);
	have[0].f[FIELD_COUNTRY].raw = xstrdup("Kenya");
	free(have[0].f[FIELD_PHONE].raw);
	free(have[0].f[FIELD_PHONE].value);
	have[0].f[FIELD_PHONE].raw = NULL;
	have[0].f[FIELD_PHONE].value = NULL;
	have[0].f[FIELD_PHONE].problem = PROBLEM_MISSING;
	/* Official 2 is not touched: not validated again either. */
	person(&have[1], "Otieno", "Peter", "p.otieno@kws.go.ke");
	bad(&have[1], FIELD_FUNCTION, "untouched", PROBLEM_TEXT);

	/* The follow-up knew no country: a national number, unnormalised. */
	ok(&given[0], FIELD_EMAIL, "W.Kamau@kws.go.ke");
	ok(&given[0], FIELD_PHONE, "020 123 4567");
	free(given[0].f[FIELD_PHONE].value);
	given[0].f[FIELD_PHONE].value = xstrdup("0201234567");
	assert_int_equal(merge_officials(form, &have, &n, given, 1), 0);
	assert_int_equal(n, 2);
	assert_int_equal(have[0].f[FIELD_PHONE].problem, PROBLEM_NONE);
	assert_string_equal(have[0].f[FIELD_PHONE].raw, "020 123 4567");
	assert_string_equal(have[0].f[FIELD_PHONE].value, "+254201234567");
	assert_string_equal(have[0].f[FIELD_COUNTRY].value, "KE");
	assert_field(&have[1], FIELD_FUNCTION, "untouched", PROBLEM_TEXT);
	offs_free(have, n);
	offs_free(given, 1);
	form_free(form);
}

static void
test_bad_arguments(void **state)
{
	struct official *have = offs(1), *given = offs(1);
	size_t n = 1;

	(void)state;
	assert_int_equal(merge_officials(NULL, NULL, &n, given, 1), -1);
	assert_int_equal(merge_officials(NULL, &have, NULL, given, 1), -1);
	assert_int_equal(merge_officials(NULL, &have, &n, NULL, 1), -1);
	assert_int_equal(merge_officials(NULL, &have, &n, NULL, 0), 0);
	assert_int_equal(n, 1);
	offs_free(have, n);
	offs_free(given, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_missing_phone),
		cmocka_unit_test(test_correct_invalid_email),
		cmocka_unit_test(test_invalid_keeps_valid),
		cmocka_unit_test(test_match_by_email),
		cmocka_unit_test(test_match_by_name),
		cmocka_unit_test(test_match_by_last_name),
		cmocka_unit_test(test_ambiguous_last_name),
		cmocka_unit_test(test_match_by_position),
		cmocka_unit_test(test_match_the_one_lacking),
		cmocka_unit_test(test_append_new_official),
		cmocka_unit_test(test_position_conflict_appends),
		cmocka_unit_test(test_into_empty_and_cap),
		cmocka_unit_test(test_revalidate_with_form),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
