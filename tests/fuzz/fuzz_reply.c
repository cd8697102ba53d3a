/*
 * fuzz_reply.c -- reply rendering (daemon/reply.c) with hostile field
 * values.
 *
 * The input is split at NUL bytes into the values a sender controls:
 * language, display name, address, subject, Message-ID, References
 * (split at spaces), then any number of officials' seven fields, each
 * field's problem taken from its length.  Every reply kind is rendered
 * and the message is checked, not just survived:
 *   - the header block holds only printable ASCII, SP and HTAB, CR only
 *     in CRLF line ends, no NUL; every line is a header we write
 *     (each once, the required ones present) or the continuation of one,
 *     at most 998 characters, never blank;
 *   - encoded words are well formed, at most 75 characters, and decode
 *     to UTF-8 without control characters; message-ids are <...> tokens;
 *   - To: carries the recipient's address; Subject ends with the
 *     reference;
 *   - the body is valid quoted-printable (lines of at most 76
 *     characters, '=' only in =XX escapes or soft breaks, no trailing
 *     white space, no line starting "From ") whose decoded text is UTF-8
 *     with no control character but LF, and names the reference.
 * A recipient address that is not a valid addr-spec must make rendering
 * fail; the same input is then rendered again to a good address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "extract.h"
#include "fields.h"
#include "limits.h"
#include "reply.h"
#include "text.h"

#include "common.h"

#define MAX_VALUES	(6 + LIMIT_OFFICIALS * FIELD_COUNT)
#define GOOD_ADDR	"sender@example.net"
#define REFERENCE	"REQ-000042"
#define FROM_ADDR	"info@example.org"

static struct reply_templates *templates;
static const unsigned char token[16] = {
	0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71,
	0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9
};

static const char *const our_headers[] = {
	"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "Auto-Submitted", "X-Auto-Response-Suppress",
	"X-Intake-Reference", "X-Intake-Status", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding"
};
#define NHEADERS	(sizeof(our_headers) / sizeof(our_headers[0]))
/* Those every reply has (all but In-Reply-To and References). */
#define REQUIRED	(~((1u << 5) | (1u << 6)) & ((1u << NHEADERS) - 1))

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024], *dir;

	(void)argc;
	(void)argv;
	dir = fuzz_path("templates");
	if (reply_templates_load(dir, &templates, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_reply: %s\n", err);
		exit(2);
	}
	free(dir);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decoded text: UTF-8 and free of control characters but what allow
 * lets through. */
static void
check_text(const char *what, const char *s, size_t n, const char *allow)
{
	size_t i;

	FUZZ_CHECK(text_is_utf8(s, n), what);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 || c == 0x7f) && strchr(allow, c) == NULL)
			fuzz_fail("control character in decoded text", what);
		/* C1 controls: U+0080..U+009F. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			fuzz_fail("C1 control in decoded text", what);
		/* Line and paragraph separators, bidi embeddings and
		 * overrides U+2028..U+202E, isolates U+2066..U+2069, BOM. */
		if (c == 0xe2 && i + 2 < n && (((unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] >= 0xa8 &&
		    (unsigned char)s[i + 2] <= 0xae) ||
		    ((unsigned char)s[i + 1] == 0x81 &&
		    (unsigned char)s[i + 2] >= 0xa6 &&
		    (unsigned char)s[i + 2] <= 0xa9)))
			fuzz_fail("separator or bidi control in decoded text",
			    what);
		if (c == 0xef && i + 2 < n && (unsigned char)s[i + 1] == 0xbb &&
		    (unsigned char)s[i + 2] == 0xbf)
			fuzz_fail("BOM in decoded text", what);
	}
}

/*
 * One encoded word at w (n bytes, "=?UTF-8?X?...?="): well formed, and
 * its bytes appended to dec.
 */
static void
decode_word(const char *w, size_t n, struct buf *dec)
{
	const char *t;
	size_t i, tn;
	unsigned v = 0;
	int bits = 0, x, y, pad = 0;

	FUZZ_CHECK(n <= 75, "encoded word longer than 75");
	FUZZ_CHECK(n >= 12 && (strncmp(w, "=?UTF-8?B?", 10) == 0 ||
	    strncmp(w, "=?UTF-8?Q?", 10) == 0) && w[n - 2] == '?' &&
	    w[n - 1] == '=', "malformed encoded word");
	t = w + 10;
	tn = n - 12;
	if (w[8] == 'Q') {
		for (i = 0; i < tn; i++) {
			if (t[i] == '_')
				buf_addch(dec, ' ');
			else if (t[i] == '=') {
				FUZZ_CHECK(i + 2 < tn, "short Q escape");
				x = hexval((unsigned char)t[i + 1]);
				y = hexval((unsigned char)t[i + 2]);
				FUZZ_CHECK(x >= 0 && y >= 0, "bad Q escape");
				buf_addch(dec, (char)(x * 16 + y));
				i += 2;
			} else {
				FUZZ_CHECK(strchr("?= \t", t[i]) == NULL &&
				    t[i] > 0x20 && t[i] < 0x7f,
				    "character not allowed in a Q word");
				buf_addch(dec, t[i]);
			}
		}
		return;
	}
	FUZZ_CHECK(tn % 4 == 0, "B word not a multiple of 4");
	for (i = 0; i < tn; i++) {
		if (t[i] == '=') {
			FUZZ_CHECK(i + 2 >= tn, "padding inside a B word");
			pad++;
			continue;
		}
		FUZZ_CHECK(pad == 0, "data after padding");
		x = b64val((unsigned char)t[i]);
		FUZZ_CHECK(x >= 0, "bad base64 character");
		v = (v << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(dec, (char)((v >> bits) & 0xff));
		}
	}
}

/*
 * The value of one unfolded header: each encoded word is checked and
 * decoded; what decodes is checked as text.  addr (may be NULL) is the
 * address the field carries, which is an addr-spec and may hold "=?" as
 * any other atext.
 */
static void
check_header_value(const char *name, const char *v, size_t n,
    const char *addr)
{
	struct buf dec;
	size_t i = 0, j, alen = addr ? strlen(addr) : 0;

	buf_init(&dec, 64 * 1024);
	while (i < n) {
		while (i < n && v[i] == ' ')
			i++;
		j = i;
		while (j < n && v[j] != ' ')
			j++;
		if (addr != NULL && ((j - i == alen && memcmp(v + i, addr,
		    alen) == 0) || (j - i == alen + 2 && v[i] == '<' &&
		    memcmp(v + i + 1, addr, alen) == 0 && v[j - 1] == '>'))) {
			i = j;
			continue;
		}
		if (j - i >= 2 && v[i] == '=' && v[i + 1] == '?')
			decode_word(v + i, j - i, &dec);
		else
			FUZZ_CHECK(strstr(v + i, "=?") == NULL ||
			    (size_t)(strstr(v + i, "=?") - v) >= j,
			    "\"=?\" inside a plain word");
		i = j;
	}
	check_text(name, dec.data ? dec.data : "", dec.len, "");
	buf_free(&dec);
}

/* In-Reply-To, References: "<id>" tokens only. */
static void
check_msgids(const char *name, const char *v, size_t n)
{
	size_t i = 0, j, k;

	while (i < n) {
		while (i < n && v[i] == ' ')
			i++;
		if (i == n)
			break;
		j = i;
		while (j < n && v[j] != ' ')
			j++;
		FUZZ_CHECK(j - i >= 3 && v[i] == '<' && v[j - 1] == '>', name);
		for (k = i + 1; k < j - 1; k++)
			FUZZ_CHECK(v[k] != '<' && v[k] != '>' && v[k] != '"' &&
			    v[k] != '(' && v[k] != ')' && v[k] != ',' &&
			    v[k] != '\\', name);
		i = j;
	}
}

/* One whole field (its value unfolded): the checks of its kind. */
static void
check_field(size_t k, const char *v, size_t n, const char *to_addr)
{
	const char *name = our_headers[k];
	char want[300];

	if (strcmp(name, "In-Reply-To") == 0 ||
	    strcmp(name, "References") == 0 ||
	    strcmp(name, "Message-ID") == 0) {
		check_msgids(name, v, n);
		return;
	}
	check_header_value(name, v, n, strcmp(name, "To") == 0 ? to_addr :
	    strcmp(name, "From") == 0 ? FROM_ADDR : NULL);
	if (strcmp(name, "To") == 0) {
		snprintf(want, sizeof(want), "<%s>", to_addr);
		FUZZ_CHECK(strstr(v, want) != NULL || strcmp(v + 1, to_addr)
		    == 0, "To: does not carry the recipient");
	}
	if (strcmp(name, "Subject") == 0)
		FUZZ_CHECK(n > strlen(REFERENCE) + 2 &&
		    strcmp(v + n - strlen(REFERENCE) - 2, "[" REFERENCE "]")
		    == 0, "Subject does not end with the reference");
}

/* The header block h[0..hlen), which ends with the CRLF of its last
 * line. */
static void
check_header(const char *h, size_t hlen, const char *to_addr)
{
	unsigned seen = 0;
	struct buf val;
	size_t i, ls, le, k, cur = NHEADERS, nl;

	buf_init(&val, LIMIT_REPLY_BYTES);
	for (ls = 0; ls < hlen; ls = le + 2) {
		/* A line: up to CRLF; a CR or LF alone is a finding. */
		for (le = ls; le < hlen && h[le] != '\r' && h[le] != '\n'; le++)
			;
		FUZZ_CHECK(le + 1 < hlen && h[le] == '\r' && h[le + 1] == '\n',
		    "bare CR or LF in the header");
		FUZZ_CHECK(le - ls <= 998, "header line over 998 characters");
		FUZZ_CHECK(le > ls, "blank line inside the header");
		for (i = ls; i < le; i++)
			FUZZ_CHECK((h[i] >= 0x20 && h[i] < 0x7f) || h[i] == '\t',
			    "byte not allowed in a header");
		if (h[ls] == ' ' || h[ls] == '\t') {
			FUZZ_CHECK(cur < NHEADERS, "continuation first");
			for (i = ls; i < le && (h[i] == ' ' || h[i] == '\t'); i++)
				;
			FUZZ_CHECK(i < le, "white-space-only line");
			buf_add(&val, h + ls, le - ls);
			continue;
		}
		/* A new field: the one before is whole. */
		if (cur < NHEADERS)
			check_field(cur, val.data, val.len, to_addr);
		for (k = 0; k < NHEADERS; k++) {
			nl = strlen(our_headers[k]);
			if (le - ls > nl && strncmp(h + ls, our_headers[k], nl)
			    == 0 && h[ls + nl] == ':')
				break;
		}
		if (k == NHEADERS)
			fuzz_fail("a header line we do not write", NULL);
		FUZZ_CHECK(!(seen & (1u << k)), "a header written twice");
		seen |= 1u << k;
		cur = k;
		buf_truncate(&val, 0);
		buf_add(&val, h + ls + nl + 1, le - ls - nl - 1);
	}
	if (cur < NHEADERS)
		check_field(cur, val.data, val.len, to_addr);
	FUZZ_CHECK((seen & REQUIRED) == REQUIRED, "a required header missing");
	buf_free(&val);
}

static void
check_body(const char *b, size_t blen)
{
	struct buf dec;
	size_t ls, le, i;
	int x, y, soft;

	buf_init(&dec, LIMIT_REPLY_BYTES);
	FUZZ_CHECK(blen >= 2 && b[blen - 2] == '\r' && b[blen - 1] == '\n',
	    "body does not end in CRLF");
	for (ls = 0; ls < blen; ls = le + 2) {
		for (le = ls; le < blen && b[le] != '\r' && b[le] != '\n'; le++)
			;
		FUZZ_CHECK(le + 1 < blen && b[le] == '\r' && b[le + 1] == '\n',
		    "bare CR or LF in the body");
		FUZZ_CHECK(le - ls <= 76, "quoted-printable line over 76");
		FUZZ_CHECK(le - ls < 5 || strncmp(b + ls, "From ", 5) != 0,
		    "body line starting \"From \"");
		if (le > ls)
			FUZZ_CHECK(b[le - 1] != ' ' && b[le - 1] != '\t',
			    "white space at the end of a line");
		soft = 0;
		for (i = ls; i < le && !soft; i++) {
			unsigned char c = (unsigned char)b[i];

			if (c == '=') {
				if (i + 1 == le) {
					soft = 1;
					continue;
				}
				FUZZ_CHECK(i + 2 < le, "short =XX");
				x = hexval((unsigned char)b[i + 1]);
				y = hexval((unsigned char)b[i + 2]);
				FUZZ_CHECK(x >= 0 && y >= 0, "bad =XX");
				buf_addch(&dec, (char)(x * 16 + y));
				i += 2;
				continue;
			}
			FUZZ_CHECK(c == ' ' || c == '\t' || (c > 0x20 &&
			    c < 0x7f), "byte not allowed in quoted-printable");
			buf_addch(&dec, (char)c);
		}
		if (!soft)
			buf_addch(&dec, '\n');
	}
	check_text("body", dec.data ? dec.data : "", dec.len, "\n");
	FUZZ_CHECK(dec.data && strstr(dec.data, REFERENCE) != NULL,
	    "body does not name the reference");
	buf_free(&dec);
}

static void
check_message(const struct buf *m, const char *to_addr)
{
	const char *end;
	size_t hlen;

	FUZZ_CHECK(m->len > 0 && memchr(m->data, '\0', m->len) == NULL,
	    "NUL in the message");
	end = strstr(m->data, "\r\n\r\n");
	FUZZ_CHECK(end != NULL, "no end of header");
	hlen = (size_t)(end - m->data) + 2;
	check_header(m->data, hlen, to_addr);
	check_body(end + 4, m->len - hlen - 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *values[MAX_VALUES], *refs[LIMIT_REFERENCES], *p, *e;
	char err[256];
	struct official offs[LIMIT_OFFICIALS];
	struct reply_input in;
	struct buf out;
	size_t nvalues = 0, nrefs = 0, noff = 0, i, len;
	enum lang lang;
	int kind, f, rc, addr_ok, pass;

	if (size > 256 * 1024)
		return 0;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* Split at NULs. */
	for (p = copy; p <= copy + size && nvalues < MAX_VALUES; p = e + 1) {
		e = p + strlen(p);
		values[nvalues++] = p;
	}
	for (i = nvalues; i < 6; i++)
		values[i] = NULL;

	/* The language is ours (decided by intake), never out of range. */
	lang = lang_from_key(values[0]);
	if (lang == LANG_COUNT)
		lang = (enum lang)((unsigned char)values[0][0] % LANG_COUNT);
	if (values[5] != NULL)
		for (p = values[5]; nrefs < LIMIT_REFERENCES; p = e + 1) {
			e = strchr(p, ' ');
			refs[nrefs++] = p;
			if (e == NULL)
				break;
			*e = '\0';
		}
	memset(offs, 0, sizeof(offs));
	for (i = 6; i < nvalues && noff < LIMIT_OFFICIALS; noff++) {
		for (f = 0; f < FIELD_COUNT && i < nvalues; f++, i++) {
			struct field_value *fv = &offs[noff].f[f];

			len = strlen(values[i]);
			fv->problem = (enum field_problem)(len % PROBLEM_COUNT);
			fv->raw = len ? values[i] : NULL;
			fv->value = fv->problem == PROBLEM_NONE ? fv->raw : NULL;
		}
	}

	addr_ok = reply_addr_valid(values[2]);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && addr_ok)
			break;
		for (kind = 0; kind < REPLY_KIND_COUNT; kind++) {
			memset(&in, 0, sizeof(in));
			in.kind = (enum reply_kind)kind;
			in.lang = lang;
			in.reference = REFERENCE;
			in.notification = "2018/046";
			in.from_name = "CITES Secretariat";
			in.from_addr = FROM_ADDR;
			in.to_name = values[1];
			in.to_addr = pass == 0 ? values[2] : GOOD_ADDR;
			in.subject = values[3];
			in.message_id = values[4];
			in.references = refs;
			in.nreferences = nrefs;
			in.officials = offs;
			in.nofficials = noff;
			in.date = 1764633600;
			in.token = token;
			in.token_len = sizeof(token);
			buf_init(&out, LIMIT_REPLY_BYTES);
			err[0] = '\0';
			rc = reply_render(templates, &in, &out, err,
			    sizeof(err));
			if (pass == 0 && !addr_ok) {
				FUZZ_CHECK(rc == -1, "a bad address accepted");
			} else {
				if (rc != 0)
					fuzz_fail("rendering failed", err);
				check_message(&out, in.to_addr);
			}
			buf_free(&out);
		}
	}
	free(copy);
	return 0;
}
