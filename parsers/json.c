/*
 * json.c -- the JSON object of SPEC 4 for one parsed message.
 *
 * Only writing: intaked never parses JSON.  Strings are escaped per RFC
 * 8259 (control characters as \uXXXX); input is valid UTF-8 (text.c), so
 * other bytes pass unchanged.
 */
#include <stdint.h>
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

/* The escape of byte c, which plain_run() stopped at, into b. */
static int
add_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':
		return buf_add(b, "\\\"", 2);
	case '\\':
		return buf_add(b, "\\\\", 2);
	case '\n':
		return buf_add(b, "\\n", 2);
	case '\r':
		return buf_add(b, "\\r", 2);
	case '\t':
		return buf_add(b, "\\t", 2);
	default:
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		return buf_add(b, u, sizeof(u));
	}
}

int
json_add_string(struct buf *b, const char *s)
{
	const unsigned char *p, *end;
	size_t n, run;
	int rc = 0;

	if (s == NULL)
		return buf_add(b, "null", 4);
	p = (const unsigned char *)s;
	n = strlen(s);
	end = p + n;
	run = plain_run(p, n);
	/* Most strings need no escape: quotes and all in one piece. */
	if (run == n) {
		if (buf_reserve(b, n + 2) == -1)
			return -1;
		b->data[b->len] = '"';
		memcpy(b->data + b->len + 1, s, n);
		b->data[b->len + 1 + n] = '"';
		b->len += n + 2;
		b->data[b->len] = '\0';
		return 0;
	}
	rc |= buf_addch(b, '"');
	for (;;) {
		rc |= buf_add(b, p, run);
		p += run;
		if (p == end)
			break;
		rc |= add_escape(b, *p++);
		run = plain_run(p, (size_t)(end - p));
	}
	rc |= buf_addch(b, '"');
	return rc ? -1 : 0;
}

/* A literal of the program's own (a key and its punctuation). */
#define ADD_LIT(b, lit)	buf_add((b), (lit), sizeof(lit) - 1)

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

/* "<index>.<field>" of a missing or invalid field, after a comma unless
 * first: the index in decimal without printf. */
static int
add_missing(struct buf *b, size_t index, enum field f, int first)
{
	char tmp[JSON_KEY_MAX + 24], digits[20];	/* ,"<index>.<key>" */
	const char *key = field_key(f);
	size_t n = strlen(key), o = 0, d = 0;

	if (n > JSON_KEY_MAX)
		return -1;
	do {
		digits[d++] = (char)('0' + index % 10);
		index /= 10;
	} while (index > 0);
	if (!first)
		tmp[o++] = ',';
	tmp[o++] = '"';
	while (d > 0)
		tmp[o++] = digits[--d];
	tmp[o++] = '.';
	memcpy(tmp + o, key, n);
	o += n;
	tmp[o++] = '"';
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

	rc |= ADD_LIT(b, "{\"class\":");
	rc |= json_add_string(b, class_key(r->class));
	rc |= ADD_LIT(b, ",\"reference\":null,\"status\":");
	rc |= json_add_string(b, status_key(r->status));
	rc |= ADD_LIT(b, ",\"reason\":");
	rc |= json_add_string(b, r->reason);
	rc |= ADD_LIT(b, ",\"received_at\":");
	rc |= json_add_string(b, r->date);
	rc |= ADD_LIT(b, ",\"from\":");
	rc |= json_add_string(b, r->from_addr);
	rc |= ADD_LIT(b, ",\"subject\":");
	rc |= json_add_string(b, r->subject);
	rc |= ADD_LIT(b, ",\"language\":");
	rc |= json_add_string(b, lang_key(r->lang));

	rc |= ADD_LIT(b, ",\"missing\":[");
	first = 1;
	for (i = 0; i < r->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			if (r->officials[i].f[f].problem == PROBLEM_NONE)
				continue;
			rc |= add_missing(b, i + 1, (enum field)f, first);
			first = 0;
		}
	rc |= ADD_LIT(b, "],\"flags\":[");
	first = 1;
	for (bit = 1; bit < (1u << FLAG_COUNT_BITS); bit <<= 1) {
		if (!(r->flags & bit))
			continue;
		if (!first)
			rc |= buf_addch(b, ',');
		rc |= json_add_string(b, flag_key(bit));
		first = 0;
	}
	rc |= ADD_LIT(b, "],\"officials\":[");
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
	rc |= ADD_LIT(b, "],\"messages\":[");
	if (r->message_id)
		rc |= json_add_string(b, r->message_id);
	rc |= ADD_LIT(b, "]}");
	return rc ? -1 : 0;
}
