/*
 * json.c -- the JSON object of SPEC 4 for one parsed message.
 *
 * Only writing: intaked never parses JSON.  Strings are escaped per RFC
 * 8259 (control characters as \uXXXX); input is valid UTF-8 (text.c), so
 * other bytes pass unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "intake.h"

int
json_add_string(struct buf *b, const char *s)
{
	const unsigned char *p;
	int rc = 0;

	if (s == NULL)
		return buf_addstr(b, "null");
	rc |= buf_addch(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		/* Bytes that need no escape go in one piece. */
		const unsigned char *q = p;

		while (*q >= 0x20 && *q != '"' && *q != '\\' && *q != 0x7f)
			q++;
		if (q > p) {
			rc |= buf_add(b, p, (size_t)(q - p));
			p = q;
			if (*p == '\0')
				break;
		}
		switch (*p) {
		case '"':
			rc |= buf_addstr(b, "\\\"");
			break;
		case '\\':
			rc |= buf_addstr(b, "\\\\");
			break;
		case '\n':
			rc |= buf_addstr(b, "\\n");
			break;
		case '\r':
			rc |= buf_addstr(b, "\\r");
			break;
		case '\t':
			rc |= buf_addstr(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc |= buf_printf(b, "\\u%04x", *p);
			else
				rc |= buf_addch(b, (char)*p);
		}
	}
	rc |= buf_addch(b, '"');
	return rc ? -1 : 0;
}

static int
add_key(struct buf *b, const char *key, int first)
{
	int rc = 0;

	if (!first)
		rc |= buf_addch(b, ',');
	rc |= json_add_string(b, key);
	rc |= buf_addch(b, ':');
	return rc;
}

/* An official's field: the normalised value when valid, what was written
 * when not, null when not given. */
static int
add_field(struct buf *b, const struct field_value *v)
{
	if (v->problem == PROBLEM_NONE && v->value)
		return json_add_string(b, v->value);
	return json_add_string(b, v->raw);
}

int
intake_result_json(const struct intake_result *r, struct buf *b)
{
	size_t i;
	int f, rc = 0, first;
	unsigned bit;

	rc |= buf_addch(b, '{');
	rc |= add_key(b, "class", 1);
	rc |= json_add_string(b, class_key(r->class));
	rc |= add_key(b, "reference", 0);
	rc |= buf_addstr(b, "null");
	rc |= add_key(b, "status", 0);
	rc |= json_add_string(b, status_key(r->status));
	rc |= add_key(b, "reason", 0);
	rc |= json_add_string(b, r->reason);
	rc |= add_key(b, "received_at", 0);
	rc |= json_add_string(b, r->date);
	rc |= add_key(b, "from", 0);
	rc |= json_add_string(b, r->from_addr);
	rc |= add_key(b, "subject", 0);
	rc |= json_add_string(b, r->subject);
	rc |= add_key(b, "language", 0);
	rc |= json_add_string(b, lang_key(r->lang));

	rc |= add_key(b, "missing", 0);
	rc |= buf_addch(b, '[');
	first = 1;
	for (i = 0; i < r->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			if (r->officials[i].f[f].problem == PROBLEM_NONE)
				continue;
			rc |= buf_printf(b, "%s\"%zu.%s\"", first ? "" : ",",
			    i + 1, field_key((enum field)f));
			first = 0;
		}
	rc |= buf_addch(b, ']');

	rc |= add_key(b, "flags", 0);
	rc |= buf_addch(b, '[');
	first = 1;
	for (bit = 1; bit < (1u << FLAG_COUNT_BITS); bit <<= 1) {
		if (!(r->flags & bit))
			continue;
		if (!first)
			rc |= buf_addch(b, ',');
		rc |= json_add_string(b, flag_key(bit));
		first = 0;
	}
	rc |= buf_addch(b, ']');

	rc |= add_key(b, "officials", 0);
	rc |= buf_addch(b, '[');
	for (i = 0; i < r->nofficials; i++) {
		if (i > 0)
			rc |= buf_addch(b, ',');
		rc |= buf_addch(b, '{');
		for (f = 0; f < FIELD_COUNT; f++) {
			rc |= add_key(b, field_key((enum field)f), f == 0);
			rc |= add_field(b, &r->officials[i].f[f]);
		}
		rc |= buf_addch(b, '}');
	}
	rc |= buf_addch(b, ']');

	rc |= add_key(b, "messages", 0);
	rc |= buf_addch(b, '[');
	if (r->message_id)
		rc |= json_add_string(b, r->message_id);
	rc |= buf_addch(b, ']');
	rc |= buf_addch(b, '}');
	return rc ? -1 : 0;
}
