/*
 * fields.h -- the seven fields of a request, their keys, and the problems a
 * value can have.  Shared by the extractor, the store, replies and exports.
 */
#ifndef INTAKE_FIELDS_H
#define INTAKE_FIELDS_H

enum field {
	FIELD_COUNTRY,
	FIELD_LAST_NAME,
	FIELD_FIRST_NAME,
	FIELD_ORGANISATION,
	FIELD_FUNCTION,
	FIELD_PHONE,
	FIELD_EMAIL,
	FIELD_COUNT
};

enum field_problem {
	PROBLEM_NONE,		/* valid */
	PROBLEM_MISSING,	/* not given, or empty */
	PROBLEM_COUNTRY,	/* not a CITES Party we know */
	PROBLEM_EMAIL,		/* not a valid e-mail address */
	PROBLEM_PHONE,		/* fewer than 7 digits, or not a number */
	PROBLEM_TEXT,		/* placeholder ("n/a", "-", "tbd") or no letters */
	PROBLEM_TOO_LONG,	/* over LIMIT_FIELD_BYTES */
	PROBLEM_COUNT
};

enum lang {
	LANG_EN,
	LANG_FR,
	LANG_ES,
	LANG_COUNT
};

/* "country", "last_name", ... ; NULL for out of range. */
const char	*field_key(enum field);
/* FIELD_COUNT when unknown. */
enum field	 field_from_key(const char *);
/* "missing", "country", "email", "phone", "text", "too_long". */
const char	*problem_key(enum field_problem);
/* "en", "fr", "es" */
const char	*lang_key(enum lang);
/* LANG_COUNT when unknown */
enum lang	 lang_from_key(const char *);

#endif
