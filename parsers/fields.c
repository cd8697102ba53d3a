/*
 * fields.c -- names of fields, problems and languages (see fields.h).
 */
#include <string.h>

#include "fields.h"

static const char *const field_keys[FIELD_COUNT] = {
	"country", "last_name", "first_name", "organisation", "function",
	"phone", "email"
};

static const char *const problem_keys[PROBLEM_COUNT] = {
	"none", "missing", "country", "email", "phone", "text", "too_long"
};

static const char *const lang_keys[LANG_COUNT] = { "en", "fr", "es" };

const char *
field_key(enum field f)
{
	return (unsigned)f < FIELD_COUNT ? field_keys[f] : NULL;
}

enum field
field_from_key(const char *s)
{
	int i;

	for (i = 0; i < FIELD_COUNT; i++)
		if (strcmp(s, field_keys[i]) == 0)
			return (enum field)i;
	return FIELD_COUNT;
}

const char *
problem_key(enum field_problem p)
{
	return (unsigned)p < PROBLEM_COUNT ? problem_keys[p] : NULL;
}

const char *
lang_key(enum lang l)
{
	return (unsigned)l < LANG_COUNT ? lang_keys[l] : NULL;
}

enum lang
lang_from_key(const char *s)
{
	int i;

	for (i = 0; i < LANG_COUNT; i++)
		if (strcmp(s, lang_keys[i]) == 0)
			return (enum lang)i;
	return LANG_COUNT;
}
