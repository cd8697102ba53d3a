/*
 * json.c -- the JSON object of SPEC 4 for one parsed message.
 *
 * Only writing: intaked never parses JSON.  Strings are escaped per RFC
 * 8259 (control characters as \uXXXX); input is valid UTF-8 (text.c), so
 * other bytes pass unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "intake.h"

#define JSON_KEY_MAX	64	/* longest key written in one piece */

/* Per byte of v, the high bit set when the byte is c (exact: no carry
 * leaves a byte). */
#define BYTES_EQ(v, c)							\
	(~(((((v) ^ (c) * ones) & ~highs) + ~highs) | ((v) ^ (c) * ones)) & \
	highs)

/* Whether one of the eight bytes read into v by memcpy() needs an
 * escape: a control character, '"', '\\' or DEL. */
static int
any_escape(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	/* Below 0x20: the low seven bits plus 0x60 do not reach 0x80. */
	uint64_t ctl = ~((v & ~highs) + 0x60 * ones) & ~v & highs;

	return (ctl | BYTES_EQ(v, '"') | BYTES_EQ(v, '\\') |
	    BYTES_EQ(v, 0x7f)) != 0;
}

/* Bytes of p[0..n) from the start that need no escape: eight at a time,
 * as most strings have none. */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t v;

	while (n - i >= 8) {
		memcpy(&v, p + i, 8);
		if (any_escape(v))
			break;
		i += 8;
	}
	while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' &&
	    p[i] != 0x7f)
		i++;
	return i;
}

int
json_add_string(struct buf *b, const char *s)
{
	const unsigned char *p, *end;
	int rc = 0;

	if (s == NULL)
		return buf_addstr(b, "null");
	rc |= buf_addch(b, '"');
	end = (const unsigned char *)s + strlen(s);
	for (p = (const unsigned char *)s; *p; p++) {
		/* Bytes that need no escape go in one piece. */
		const unsigned char *q = p + plain_run(p, (size_t)(end - p));

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

/* A key, after a comma unless first.  The keys are short and need no
 * escape: all of it goes in one piece, or nothing (-1). */
static int
add_key(struct buf *b, const char *key, int first)
{
	char tmp[JSON_KEY_MAX + 4];
	size_t n = strlen(key), o = 0;
	int rc = 0;

	if (n > JSON_KEY_MAX || plain_run((const unsigned char *)key, n) < n) {
		if (!first)
			rc |= buf_addch(b, ',');
		rc |= json_add_string(b, key);
		rc |= buf_addch(b, ':');
		return rc;
	}
	if (!first)
		tmp[o++] = ',';
	tmp[o++] = '"';
	memcpy(tmp + o, key, n);
	o += n;
	tmp[o++] = '"';
	tmp[o++] = ':';
	return buf_add(b, tmp, o);
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
