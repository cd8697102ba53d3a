/*
 * test_reply.c -- replies: templates load and check, every kind and
 * language renders, headers cannot be injected, subjects fold and decode
 * back (libetpan's RFC 2047 decoder), bodies decode back from
 * quoted-printable (libetpan's), threading headers, RFC 3834 recipients.
 * Runs from the repository root (reads templates/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "limits.h"
#include "reply.h"
#include "text.h"

#define TEMPLATES	"templates"

static struct reply_templates *tpl;

/* ---- helpers ---------------------------------------------------------- */

struct hdr {
	char	 name[80];
	char	*value;		/* unfolded, leading white space removed */
};

struct parsed {
	struct hdr	 h[64];
	size_t		 n;
	size_t		 maxline;	/* longest header line, CRLF excluded */
	char		*body;		/* raw (encoded) body */
	size_t		 bodylen;
};

static void
parsed_free(struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->h[i].value);
	p->n = 0;
}

/*
 * Split a rendered message into header fields, checking the syntax of
 * every header line: CRLF only, either a continuation (starts with WSP)
 * or "name:" with a printable name.
 */
static void
parse_message(const char *msg, size_t len, struct parsed *p)
{
	const char *line = msg, *eol, *end;
	size_t i;

	memset(p, 0, sizeof(*p));
	end = strstr(msg, "\r\n\r\n");
	assert_non_null(end);
	end += 2;
	for (i = 0; i < (size_t)(end - msg); i++) {
		if (msg[i] == '\r')
			assert_int_equal(msg[i + 1], '\n');
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		assert_true((unsigned char)msg[i] >= 0x20 || msg[i] == '\r' ||
		    msg[i] == '\n');
		assert_true((unsigned char)msg[i] < 0x7f);
	}
	while (line < end) {
		size_t ll, k, vl;

		eol = strstr(line, "\r\n");
		ll = (size_t)(eol - line);
		if (ll > p->maxline)
			p->maxline = ll;
		if (line[0] == ' ' || line[0] == '\t') {
			assert_true(p->n > 0);
			vl = strlen(p->h[p->n - 1].value);
			p->h[p->n - 1].value = realloc(p->h[p->n - 1].value,
			    vl + ll + 1);
			memcpy(p->h[p->n - 1].value + vl, line, ll);
			p->h[p->n - 1].value[vl + ll] = '\0';
		} else {
			for (k = 0; k < ll && line[k] != ':'; k++)
				assert_true(line[k] > 0x20 && line[k] < 0x7f);
			assert_true(k < ll && k > 0 && k < 80);
			assert_true(p->n < 64);
			memcpy(p->h[p->n].name, line, k);
			p->h[p->n].name[k] = '\0';
			k++;
			while (k < ll && line[k] == ' ')
				k++;
			p->h[p->n].value = strndup(line + k, ll - k);
			p->n++;
		}
		line = eol + 2;
	}
	p->body = (char *)end + 2;
	p->bodylen = len - (size_t)(p->body - msg);
}

static const char *
hval(const struct parsed *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcasecmp(p->h[i].name, name) == 0)
			return p->h[i].value;
	return NULL;
}

/* The header names, in order, must be exactly names (NULL-terminated). */
static void
assert_names(const struct parsed *p, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		assert_true(i < p->n);
		assert_string_equal(p->h[i].name, names[i]);
	}
	assert_int_equal(i, p->n);
}

static const char *const names_full[] = {
	"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "Auto-Submitted", "X-Auto-Response-Suppress",
	"X-Intake-Reference", "X-Intake-Status", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", NULL
};

static const char *const names_nothread[] = {
	"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
	"X-Auto-Response-Suppress", "X-Intake-Reference", "X-Intake-Status",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL
};

/* RFC 2047 decode with libetpan; caller frees. */
static char *
decode_phrase(const char *v)
{
	size_t idx = 0;
	char *out = NULL;

	assert_int_equal(mailmime_encoded_phrase_parse("utf-8", v, strlen(v),
	    &idx, "utf-8", &out), MAILIMF_NO_ERROR);
	assert_non_null(out);
	return out;
}

/* Quoted-printable decode with libetpan, CRLF turned to LF; caller frees. */
static char *
decode_body(const struct parsed *p)
{
	size_t idx = 0, dlen = 0, i, j;
	char *dec = NULL, *out;

	assert_int_equal(mailmime_part_parse(p->body, p->bodylen, &idx,
	    MAILMIME_MECHANISM_QUOTED_PRINTABLE, &dec, &dlen),
	    MAILIMF_NO_ERROR);
	out = malloc(dlen + 1);
	for (i = j = 0; i < dlen; i++)
		if (!(dec[i] == '\r' && i + 1 < dlen && dec[i + 1] == '\n'))
			out[j++] = dec[i];
	out[j] = '\0';
	mmap_string_unref(dec);
	return out;
}

/* Encoded body lines: printable ASCII, <= 76, no trailing white space. */
static void
assert_qp_lines(const struct parsed *p)
{
	const char *s = p->body, *e;

	while (*s) {
		e = strstr(s, "\r\n");
		assert_non_null(e);
		assert_true(e - s <= 76);
		if (e > s)
			assert_true(e[-1] != ' ' && e[-1] != '\t');
		for (; s < e; s++)
			assert_true(*s >= 0x20 && *s < 0x7f);
		s = e + 2;
	}
}

static struct official offs[3];

static void
set_field(struct official *o, int f, const char *raw, const char *value,
    enum field_problem pb)
{
	o->f[f].raw = (char *)raw;
	o->f[f].value = (char *)value;
	o->f[f].problem = pb;
}

static void
fill_officials(void)
{
	memset(offs, 0, sizeof(offs));
	set_field(&offs[0], FIELD_COUNTRY, "Kenya", "KE", PROBLEM_NONE);
	set_field(&offs[0], FIELD_LAST_NAME, "Mwangi", "Mwangi", PROBLEM_NONE);
	set_field(&offs[0], FIELD_FIRST_NAME, "John", "John", PROBLEM_NONE);
	set_field(&offs[0], FIELD_ORGANISATION, "Kenya Wildlife Service",
	    "Kenya Wildlife Service", PROBLEM_NONE);
	set_field(&offs[0], FIELD_FUNCTION, "Senior Warden", "Senior Warden",
	    PROBLEM_NONE);
	set_field(&offs[0], FIELD_PHONE, "+254 722 123 456", "+254722123456",
	    PROBLEM_NONE);
	set_field(&offs[0], FIELD_EMAIL, "j.mwangi@kws.go.ke",
	    "j.mwangi@kws.go.ke", PROBLEM_NONE);
	offs[1] = offs[0];
	set_field(&offs[1], FIELD_FIRST_NAME, "Amélie", "Amélie",
	    PROBLEM_NONE);
	set_field(&offs[1], FIELD_FUNCTION, NULL, NULL, PROBLEM_MISSING);
	set_field(&offs[1], FIELD_PHONE, "123", NULL, PROBLEM_PHONE);
	set_field(&offs[1], FIELD_COUNTRY, "Narnia", NULL, PROBLEM_COUNTRY);
	set_field(&offs[1], FIELD_EMAIL, "not-an-address", NULL,
	    PROBLEM_EMAIL);
	offs[2] = offs[0];
}

static const unsigned char token[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
static char *refs2[] = { "root@example.org", "<mid@example.org>" };

static struct reply_input
base_input(enum reply_kind k, enum lang l)
{
	struct reply_input in;

	memset(&in, 0, sizeof(in));
	in.kind = k;
	in.lang = l;
	in.reference = "REQ-000042";
	in.from_name = "CITES Secretariat";
	in.from_addr = "info@cites.example";
	in.to_name = "Jean Dupont";
	in.to_addr = "jean.dupont@environnement.example";
	in.subject = "Demande d'accès CENcomm";
	in.message_id = "orig.1@mail.example";
	in.references = refs2;
	in.nreferences = 2;
	in.officials = offs;
	in.nofficials = k == REPLY_MISSING ? 2 : 1;
	in.date = 1525687200;	/* 2018-05-07 10:00:00 UTC */
	in.token = token;
	in.token_len = sizeof(token);
	return in;
}

/* Render in, parse it; returns the raw message (caller frees). */
static char *
render_ok(const struct reply_input *in, struct parsed *p)
{
	struct buf b;
	char err[256] = "";
	size_t len;

	buf_init(&b, LIMIT_REPLY_BYTES);
	if (reply_render(tpl, in, &b, err, sizeof(err)) != 0)
		fail_msg("render failed: %s", err);
	len = b.len;
	parse_message(b.data, len, p);
	return buf_release(&b);
}

static int
render_fails(const struct reply_input *in, char *err, size_t errlen)
{
	struct buf b;
	int rc;

	buf_init(&b, LIMIT_REPLY_BYTES);
	rc = reply_render(tpl, in, &b, err, errlen);
	buf_free(&b);
	return rc == -1;
}

/* The template file's body as the loader sees it. */
static char *
template_text(const char *kind, const char *lang)
{
	char path[256], *text, *p, *e;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), TEMPLATES "/%s.%s", kind, lang);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	p = text;
	while (*p == '#')
		p = strchr(p, '\n') + 1;
	while (*p == '\n')
		p++;
	e = p + strlen(p);
	while (e > p && e[-1] == '\n')
		e--;
	*e = '\0';
	p = strdup(p);
	free(text);
	return p;
}

/* Replace every "{{name}}" in s by v; returns a new string. */
static char *
replace(const char *s, const char *name, const char *v)
{
	char pat[64], *out, *q;
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "{{%s}}", name);
	for (p = s; (p = strstr(p, pat)); p += strlen(pat))
		n++;
	out = malloc(strlen(s) + n * strlen(v) + 1);
	q = out;
	while ((p = strstr(s, pat))) {
		memcpy(q, s, (size_t)(p - s));
		q += p - s;
		memcpy(q, v, strlen(v));
		q += strlen(v);
		s = p + strlen(pat);
	}
	memcpy(q, s, strlen(s) + 1);
	return out;
}

/* ---- setup ------------------------------------------------------------ */

static int
group_setup(void **state)
{
	char err[512];

	(void)state;
	if (reply_templates_load(TEMPLATES, &tpl, err, sizeof(err)) != 0) {
		fprintf(stderr, "templates: %s\n", err);
		return -1;
	}
	fill_officials();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	reply_templates_free(tpl);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static const char *const kinds[REPLY_KIND_COUNT] = { "ack", "missing",
	"review" };
static const char *const statuses[REPLY_KIND_COUNT] = { "complete",
	"incomplete", "review" };

/* Every kind in every language: the header set, the body decoding back to
 * the template with its placeholders filled. */
static void
test_each_kind_and_language(void **state)
{
	struct reply_input in;
	struct parsed p;
	char *msg, *body, *tt, *t1, *t2, *split;
	int k, l;

	(void)state;
	for (k = 0; k < REPLY_KIND_COUNT; k++)
		for (l = 0; l < LANG_COUNT; l++) {
			in = base_input((enum reply_kind)k, (enum lang)l);
			msg = render_ok(&in, &p);
			assert_names(&p, names_full);
			assert_true(p.maxline <= 78);
			assert_string_equal(hval(&p, "X-Intake-Status"),
			    statuses[k]);
			assert_string_equal(hval(&p, "X-Intake-Reference"),
			    "REQ-000042");
			assert_string_equal(hval(&p, "Content-Type"),
			    "text/plain; charset=UTF-8");
			assert_string_equal(hval(&p,
			    "Content-Transfer-Encoding"), "quoted-printable");
			assert_qp_lines(&p);
			body = decode_body(&p);
			assert_true(text_is_utf8(body, strlen(body)));

			tt = template_text(kinds[k], lang_key((enum lang)l));
			t1 = replace(tt, "reference", "REQ-000042");
			t2 = replace(t1, "notification", "2018/046");
			free(t1);
			split = strstr(t2, "{{officials}}");
			if (split == NULL) {
				/* whole body, with its final newline */
				assert_int_equal(strlen(body), strlen(t2) + 1);
				assert_memory_equal(body, t2, strlen(t2));
			} else {
				*split = '\0';
				assert_memory_equal(body, t2, strlen(t2));
				split += strlen("{{officials}}");
				assert_true(strlen(body) > strlen(split));
				assert_memory_equal(body + strlen(body) -
				    strlen(split) - 1, split, strlen(split));
				assert_int_equal(body[strlen(body) - 1], '\n');
				assert_non_null(strstr(body, "Mwangi"));
			}
			assert_null(strstr(body, "{{"));
			assert_non_null(strstr(body, "2018/046"));
			free(t2);
			free(tt);
			free(body);
			parsed_free(&p);
			free(msg);
		}
}

/* The missing reply lists what was understood and what is wrong, per
 * official, in the language's words. */
static void
test_missing_lists_problems(void **state)
{
	struct reply_input in = base_input(REPLY_MISSING, LANG_EN);
	struct parsed p;
	char *msg, *body;

	(void)state;
	msg = render_ok(&in, &p);
	body = decode_body(&p);
	assert_non_null(strstr(body, "Official 1\n"));
	assert_non_null(strstr(body, "Official 2\n"));
	assert_non_null(strstr(body, "  Country: Kenya (KE)\n"));
	assert_non_null(strstr(body, "  First name: Amélie\n"));
	assert_non_null(strstr(body, "  Function: missing\n"));
	assert_non_null(strstr(body, "  Country: \"Narnia\" - not recognised "
	    "as a CITES Party\n"));
	assert_non_null(strstr(body, "  E-mail: \"not-an-address\" - not a "
	    "valid e-mail address\n"));
	/* Long lines wrap at 76 with a hanging indent. */
	assert_non_null(strstr(body, "  Telephone: \"123\" - not a valid "
	    "telephone number (at least 7 digits, with\n      the country "
	    "code)\n"));
	free(body);
	parsed_free(&p);
	free(msg);

	in.lang = LANG_FR;
	msg = render_ok(&in, &p);
	body = decode_body(&p);
	assert_non_null(strstr(body, "Fonctionnaire 2\n"));
	assert_non_null(strstr(body, "  Fonction : information manquante\n"));
	assert_non_null(strstr(body, "  Pays : « Narnia » – ne correspond"));
	free(body);
	parsed_free(&p);
	free(msg);

	in.lang = LANG_ES;
	msg = render_ok(&in, &p);
	body = decode_body(&p);
	assert_non_null(strstr(body, "Funcionario 1\n"));
	assert_non_null(strstr(body, "  Función: dato no indicado\n"));
	free(body);
	parsed_free(&p);
	free(msg);
}

/* No official found at all: the reply says so and names the fields. */
static void
test_missing_without_officials(void **state)
{
	struct reply_input in = base_input(REPLY_MISSING, LANG_EN);
	struct parsed p;
	char *msg, *body;

	(void)state;
	in.nofficials = 0;
	msg = render_ok(&in, &p);
	body = decode_body(&p);
	assert_non_null(strstr(body, "We could not identify any official"));
	assert_non_null(strstr(body, "Country, Last name, First name,"));
	assert_null(strstr(body, "Official 1"));
	free(body);
	parsed_free(&p);
	free(msg);
}

static void
test_headers_basic(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);
	struct parsed p;
	char *msg;

	(void)state;
	msg = render_ok(&in, &p);
	assert_string_equal(hval(&p, "From"),
	    "CITES Secretariat <info@cites.example>");
	assert_string_equal(hval(&p, "To"),
	    "Jean Dupont <jean.dupont@environnement.example>");
	assert_string_equal(hval(&p, "Date"),
	    "Mon, 07 May 2018 10:00:00 +0000");
	assert_string_equal(hval(&p, "Message-ID"),
	    "<intaked.REQ-000042.deadbeef01020304@cites.example>");
	assert_string_equal(hval(&p, "In-Reply-To"), "<orig.1@mail.example>");
	assert_string_equal(hval(&p, "References"),
	    "<root@example.org> <mid@example.org> <orig.1@mail.example>");
	assert_string_equal(hval(&p, "Auto-Submitted"), "auto-replied");
	assert_string_equal(hval(&p, "X-Auto-Response-Suppress"), "All");
	assert_string_equal(hval(&p, "MIME-Version"), "1.0");
	parsed_free(&p);
	free(msg);

	/* Our own Message-ID domain, their name absent, a status given. */
	in.msgid_domain = "intake.cites.example";
	in.to_name = NULL;
	in.status = "incomplete";
	msg = render_ok(&in, &p);
	assert_string_equal(hval(&p, "Message-ID"),
	    "<intaked.REQ-000042.deadbeef01020304@intake.cites.example>");
	assert_string_equal(hval(&p, "To"),
	    "jean.dupont@environnement.example");
	assert_string_equal(hval(&p, "X-Intake-Status"), "incomplete");
	parsed_free(&p);
	free(msg);
}

/* Without their Message-ID or References there is nothing to thread on. */
static void
test_no_threading(void **state)
{
	struct reply_input in = base_input(REPLY_REVIEW, LANG_ES);
	struct parsed p;
	char *msg;
	char *bad[] = { "a b@c", "x@y>\r\nBcc: z@w" };

	(void)state;
	in.message_id = NULL;
	in.references = NULL;
	in.nreferences = 0;
	msg = render_ok(&in, &p);
	assert_names(&p, names_nothread);
	parsed_free(&p);
	free(msg);

	/* Malformed ids are dropped, never copied. */
	in.message_id = "<evil@x>\r\nBcc: victim@example.org";
	in.references = bad;
	in.nreferences = 2;
	msg = render_ok(&in, &p);
	assert_names(&p, names_nothread);
	assert_null(strstr(msg, "victim"));
	parsed_free(&p);
	free(msg);
}

/* References: their References + their Message-ID, distinct, the last 10. */
static void
test_references_capped(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);
	struct parsed p;
	char *ids[30], expect[2048], one[64], *msg;
	size_t i, len = 0;
	const char *v;

	(void)state;
	for (i = 0; i < 30; i++) {
		ids[i] = malloc(64);
		snprintf(ids[i], 64, "<ref%02zu.somewhat-long-id@mail.example>",
		    i);
	}
	free(ids[28]);
	ids[28] = strdup("not valid\r\nX: y");
	free(ids[27]);
	ids[27] = strdup(ids[29]);	/* a duplicate */
	in.references = ids;
	in.nreferences = 30;
	msg = render_ok(&in, &p);
	assert_true(p.maxline <= 78);
	/* The last 10 distinct valid ids, oldest first: ref19 .. ref26,
	 * ref29 (ref27 duplicates it, ref28 is invalid), their Message-ID. */
	expect[0] = '\0';
	for (i = 19; i <= 26; i++) {
		snprintf(one, sizeof(one), "%s<ref%02zu.somewhat-long-id@"
		    "mail.example>", len ? " " : "", i);
		len += strlen(one);
		strncat(expect, one, sizeof(expect) - strlen(expect) - 1);
	}
	strncat(expect, " <ref29.somewhat-long-id@mail.example> "
	    "<orig.1@mail.example>", sizeof(expect) - strlen(expect) - 1);
	v = hval(&p, "References");
	assert_string_equal(v, expect);
	parsed_free(&p);
	free(msg);
	for (i = 0; i < 30; i++)
		free(ids[i]);
}

static void
assert_subject(const struct reply_input *in, const char *want)
{
	struct parsed p;
	char *msg, *dec;

	msg = render_ok(in, &p);
	assert_true(p.maxline <= 78);
	dec = decode_phrase(hval(&p, "Subject"));
	assert_string_equal(dec, want);
	free(dec);
	parsed_free(&p);
	free(msg);
}

/* "Re:" and "[REQ-...]" are never doubled. */
static void
test_subject_prefixes(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);

	(void)state;
	in.subject = "Request for access";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	in.subject = "Re: Request for access";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	in.subject = "RE: Re: re[2]: AW: Request for access";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	in.subject = "RE : Rép. : Ré: Demande d'accès";
	assert_subject(&in, "Re: Demande d'accès [REQ-000042]");
	in.subject = "Re: Request for access [REQ-000042]";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	in.subject = "[REQ-000042] Re: Request for access";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	in.subject = "Request [REQ-000042] for access [req-000042]";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	/* Someone else's reference gives way to this request's. */
	in.subject = "Re: Request for access [REQ-000007]";
	assert_subject(&in, "Re: Request for access [REQ-000042]");
	/* Words that only look like prefixes stay. */
	in.subject = "Reunion: Request";
	assert_subject(&in, "Re: Reunion: Request [REQ-000042]");
	in.subject = "Re union of data";
	assert_subject(&in, "Re: Re union of data [REQ-000042]");
	in.subject = "Réf. : Demande";
	assert_subject(&in, "Re: Réf. : Demande [REQ-000042]");
}

/* No subject, or nothing left of it: the language's default. */
static void
test_subject_default(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_FR);

	(void)state;
	in.subject = NULL;
	assert_subject(&in, "Re: Accès au groupe fermé d'utilisateurs sur les "
	    "guépards [REQ-000042]");
	in.lang = LANG_ES;
	in.subject = "  \r\n ";
	assert_subject(&in, "Re: Acceso al grupo cerrado de usuarios sobre "
	    "guepardos [REQ-000042]");
	in.lang = LANG_EN;
	in.subject = "Re: [REQ-000042]";
	assert_subject(&in, "Re: Access to the closed user group on cheetahs "
	    "[REQ-000042]");
}

/* Every encoded word of a header value: <= 75 characters, and decoding
 * each on its own gives whole UTF-8 (no sequence split between words):
 * the words decoded one by one, end to end, give back whole. */
static void
assert_encoded_words(const char *v, const char *whole)
{
	const char *p = v, *e;
	char *w, *dec, cat[4096];
	int words = 0;

	cat[0] = '\0';
	while ((p = strstr(p, "=?")) != NULL) {
		e = strstr(p + 10, "?=");	/* past "=?UTF-8?Q?" */
		assert_non_null(e);
		e += 2;
		assert_true(e - p <= 75);
		w = strndup(p, (size_t)(e - p));
		dec = decode_phrase(w);
		assert_true(text_is_utf8(dec, strlen(dec)));
		assert_true(strlen(cat) + strlen(dec) < sizeof(cat));
		strncat(cat, dec, sizeof(cat) - strlen(cat) - 1);
		free(dec);
		free(w);
		words++;
		p = e;
	}
	assert_true(words > 1);
	assert_string_equal(cat, whole);
}

/* Long and non-ASCII subjects fold at 78 and decode back. */
static void
test_subject_folding(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);
	struct parsed p;
	char subj[512], want[600], *msg, *dec;
	static const char *const samples[] = {
		"Demande d'accès au groupe fermé d'utilisateurs sur les "
		    "guépards — CENcomm, notification n° 2018/046 (Côte d'Ivoire)",
		"Запрос на доступ к закрытой группе пользователей по гепардам "
		    "на платформе CENcomm",
		"关于获取猎豹封闭用户组访问权限的请求，世界海关组织CENcomm平台，"
		    "第2018/046号通知",
		"🐆🐆🐆 cheetah 🐆🐆🐆 access 🐆🐆🐆🐆🐆🐆🐆🐆🐆🐆🐆🐆🐆🐆 request",
		"Solicitud de acceso — guepardos — ñandú — árbol — "
		    "información — Organización Mundial de Aduanas",
		NULL
	};
	size_t i;

	(void)state;
	/* Long ASCII: plain words, folded. */
	subj[0] = '\0';
	for (i = 0; i < 12; i++)
		strncat(subj, "request access ", sizeof(subj) - strlen(subj) - 1);
	strncat(subj, "end", sizeof(subj) - strlen(subj) - 1);
	in.subject = subj;
	msg = render_ok(&in, &p);
	assert_true(p.maxline <= 78);
	assert_null(strstr(hval(&p, "Subject"), "=?"));
	snprintf(want, sizeof(want), "Re: %s [REQ-000042]", subj);
	assert_string_equal(hval(&p, "Subject"), want);
	parsed_free(&p);
	free(msg);

	for (i = 0; samples[i]; i++) {
		in.subject = samples[i];
		msg = render_ok(&in, &p);
		assert_true(p.maxline <= 78);
		dec = decode_phrase(hval(&p, "Subject"));
		snprintf(want, sizeof(want), "Re: %s [REQ-000042]", samples[i]);
		assert_string_equal(dec, want);
		assert_encoded_words(hval(&p, "Subject"), samples[i]);
		free(dec);
		parsed_free(&p);
		free(msg);
	}

	/* One ASCII word too long to fold is encoded instead. */
	memset(subj, 'x', 150);
	subj[150] = '\0';
	in.subject = subj;
	msg = render_ok(&in, &p);
	assert_true(p.maxline <= 78);
	dec = decode_phrase(hval(&p, "Subject"));
	snprintf(want, sizeof(want), "Re: %s [REQ-000042]", subj);
	assert_string_equal(dec, want);
	free(dec);
	parsed_free(&p);
	free(msg);
}

/* A huge subject is cut on a character boundary, with an ellipsis. */
static void
test_subject_capped(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);
	struct parsed p;
	char *subj, *msg, *dec;
	size_t i, n = 20000;

	(void)state;
	subj = malloc(n + 1);
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(subj + i, "\xc3\xa9", 2);	/* é */
	subj[i] = '\0';
	in.subject = subj;
	msg = render_ok(&in, &p);
	assert_true(p.maxline <= 78);
	dec = decode_phrase(hval(&p, "Subject"));
	assert_true(text_is_utf8(dec, strlen(dec)));
	assert_true(strlen(dec) <= LIMIT_REPLY_SUBJECT + 30);
	assert_non_null(strstr(dec, "éé… [REQ-000042]"));
	free(dec);
	parsed_free(&p);
	free(msg);
	free(subj);
}

/* Header injection: nothing a sender wrote adds a header line. */
static void
test_injection_subject_and_names(void **state)
{
	static const char *const evil[] = {
		"Hello\r\nBcc: victim@example.org",
		"Hello\nBcc: victim@example.org",
		"Hello\rBcc: victim@example.org",
		"Hello\r\n\r\nBody: injected",
		"Hello\x0b\x0c\x1b\x7f\tBcc: victim@example.org",
		"Hello\xc2\x85" "Bcc: victim@example.org",	/* NEL */
		"Hello\xe2\x80\xa8" "Bcc: victim@example.org",	/* LS */
		"=?utf-8?q?=0D=0ABcc:_victim@example.org?=",
		"=?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==?=",
		"\"quoted\" \\ name <fake@evil.example>, other@evil.example",
		"Hello\xff\xfe invalid UTF-8 \xc3",
		"Hello\r\n Bcc: folded@example.org",
		NULL
	};
	struct reply_input in;
	struct parsed p;
	char *msg, *dec;
	size_t i;
	int which;

	(void)state;
	for (i = 0; evil[i]; i++)
		for (which = 0; which < 3; which++) {
			in = base_input(REPLY_MISSING, LANG_FR);
			if (which == 0)
				in.subject = evil[i];
			else if (which == 1)
				in.to_name = evil[i];
			else
				in.from_name = evil[i];
			msg = render_ok(&in, &p);
			assert_names(&p, names_full);
			assert_true(p.maxline <= 78);
			/* Decoded, still one line with no controls. */
			dec = decode_phrase(hval(&p, which == 0 ? "Subject" :
			    which == 1 ? "To" : "From"));
			assert_null(strchr(dec, '\r'));
			assert_null(strchr(dec, '\n'));
			if (which == 0 && strncmp(evil[i], "=?", 2) == 0) {
				/* An encoded-word lookalike comes back as
				 * the literal text the sender wrote. */
				char want[256];

				snprintf(want, sizeof(want), "Re: %s "
				    "[REQ-000042]", evil[i]);
				assert_string_equal(dec, want);
			}
			free(dec);
			parsed_free(&p);
			free(msg);
		}
}

/* Addresses and our own values are refused, not repaired. */
static void
test_injection_refused(void **state)
{
	struct reply_input in;
	char err[256];

	(void)state;
	in = base_input(REPLY_ACK, LANG_EN);
	in.to_addr = "x@example.org\r\nBcc: victim@example.org";
	assert_true(render_fails(&in, err, sizeof(err)));
	assert_non_null(strstr(err, "recipient"));

	in = base_input(REPLY_ACK, LANG_EN);
	in.to_addr = "x@example.org>, <victim@example.org";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.to_addr = "jürgen@example.de";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.from_addr = "info@cites.example\n";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.reference = "REQ-000042\r\nBcc: victim@example.org";
	assert_true(render_fails(&in, err, sizeof(err)));
	in.reference = "REQ-42";
	assert_true(render_fails(&in, err, sizeof(err)));
	in.reference = "=?utf-8?q?=0D=0A?=";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.status = "complete\r\nBcc: x@y";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.msgid_domain = "example.org>\r\nBcc: x@y";
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.token_len = 0;
	assert_true(render_fails(&in, err, sizeof(err)));

	in = base_input(REPLY_ACK, LANG_EN);
	in.lang = LANG_COUNT;
	assert_true(render_fails(&in, err, sizeof(err)));
}

/* Values in the body: controls stripped, capped, never a line of their own
 * that could pass for anything. */
static void
test_injection_body_values(void **state)
{
	struct reply_input in = base_input(REPLY_MISSING, LANG_EN);
	struct official o;
	struct parsed p;
	char *msg, *body, big[2000];

	(void)state;
	memset(&o, 0, sizeof(o));
	o = offs[1];
	set_field(&o, FIELD_LAST_NAME, "Smith\r\nBcc: victim@example.org\r\n"
	    "\r\n.\r\nMAIL FROM:<x@y>", "Smith\r\nBcc: victim@example.org"
	    "\r\n\r\n.\r\nMAIL FROM:<x@y>", PROBLEM_NONE);
	set_field(&o, FIELD_ORGANISATION, "Org\x1b[31m red\x7f\xc2\x9b end",
	    NULL, PROBLEM_TEXT);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	set_field(&o, FIELD_FUNCTION, big, NULL, PROBLEM_TOO_LONG);
	in.officials = &o;
	in.nofficials = 1;
	in.subject = "=?x?q?a?= {{reference}}";
	msg = render_ok(&in, &p);
	assert_names(&p, names_full);
	assert_qp_lines(&p);
	body = decode_body(&p);
	assert_null(strstr(body, "\nBcc:"));
	assert_null(strstr(body, "\n.\n"));
	assert_null(strstr(body, "\nMAIL FROM"));
	assert_null(strchr(body, '\x1b'));
	assert_null(strchr(body, '\x7f'));
	assert_null(strstr(body, "\xc2\x9b"));
	assert_non_null(strstr(body, "  Last name: Smith Bcc: "
	    "victim@example.org"));
	assert_non_null(strstr(body, "  Organisation: \"Org [31m red end\" - "
	    "not a usable value"));
	/* The long value is capped (256 bytes and an ellipsis). */
	assert_non_null(strstr(body, "  Function:\n      \"AAA"));
	assert_non_null(strstr(body, "AAA…\"\n      - too long\n"));
	assert_null(strstr(body, big + sizeof(big) - 300));
	free(body);
	parsed_free(&p);
	free(msg);
}

/* Quoted-printable details: '=' escaped, trailing white space escaped,
 * "From " at a line's start escaped, long lines soft-broken, and the body
 * still decodes back exactly. */
static void
test_qp_encoding(void **state)
{
	struct reply_input in = base_input(REPLY_ACK, LANG_EN);
	struct official o;
	struct parsed p;
	char *msg, *body, longword[300];

	(void)state;
	o = offs[0];
	set_field(&o, FIELD_ORGANISATION, "A=B ministry", "A=B ministry",
	    PROBLEM_NONE);
	memset(longword, 'w', 200);
	longword[200] = '\0';
	set_field(&o, FIELD_FUNCTION, longword, longword, PROBLEM_NONE);
	in.officials = &o;
	in.nofficials = 1;
	msg = render_ok(&in, &p);
	assert_qp_lines(&p);
	assert_non_null(strstr(p.body, "A=3DB ministry"));
	body = decode_body(&p);
	assert_non_null(strstr(body, "  Organisation: A=B ministry\n"));
	assert_non_null(strstr(body, longword));
	free(body);
	parsed_free(&p);
	free(msg);
}

static void
test_message_id(void **state)
{
	char out[REPLY_MSGID_MAX];
	unsigned char big[REPLY_TOKEN_MAX + 1];

	(void)state;
	memset(big, 0xab, sizeof(big));
	assert_int_equal(reply_message_id("REQ-000042", token, 8,
	    "example.org", out, sizeof(out)), 0);
	assert_string_equal(out,
	    "<intaked.REQ-000042.deadbeef01020304@example.org>");
	assert_int_equal(reply_message_id("REQ-000042", big, REPLY_TOKEN_MAX,
	    "example.org", out, sizeof(out)), 0);
	assert_int_equal(reply_message_id("REQ-000042", big, sizeof(big),
	    "example.org", out, sizeof(out)), -1);
	assert_int_equal(reply_message_id("REQ-000042", token, 8,
	    "exa mple.org", out, sizeof(out)), -1);
	assert_int_equal(reply_message_id("REQ-000042", token, 8,
	    "-bad.org", out, sizeof(out)), -1);
	assert_int_equal(reply_message_id("REQ-00004", token, 8,
	    "example.org", out, sizeof(out)), -1);
	assert_int_equal(reply_message_id("REQ-000042", token, 8,
	    "example.org", out, 20), -1);
}

static void
test_recipient_rfc3834(void **state)
{
	(void)state;
	/* Reply-To wins when valid. */
	assert_string_equal(reply_recipient("a@x.org", "b@y.org",
	    "<bounce@x.org>"), "b@y.org");
	/* Else From. */
	assert_string_equal(reply_recipient("a@x.org", NULL, "<a@x.org>"),
	    "a@x.org");
	assert_string_equal(reply_recipient("a@x.org", "not an address",
	    NULL), "a@x.org");
	assert_string_equal(reply_recipient("a@x.org", "b@y.org\r\nBcc: c@z",
	    NULL), "a@x.org");
	/* Never to a null Return-Path, whatever From and Reply-To say. */
	assert_null(reply_recipient("a@x.org", "b@y.org", "<>"));
	assert_null(reply_recipient("a@x.org", NULL, ""));
	assert_null(reply_recipient("a@x.org", NULL, " < > "));
	/* Nothing valid. */
	assert_null(reply_recipient(NULL, NULL, NULL));
	assert_null(reply_recipient("jürgen@x.de", NULL, NULL));
}

static void
test_addr_valid(void **state)
{
	(void)state;
	assert_true(reply_addr_valid("a@b.org"));
	assert_true(reply_addr_valid("first.last+tag@sub.example.co.uk"));
	assert_true(reply_addr_valid("o'brien@example.ie"));
	assert_false(reply_addr_valid(NULL));
	assert_false(reply_addr_valid(""));
	assert_false(reply_addr_valid("a@"));
	assert_false(reply_addr_valid("@b.org"));
	assert_false(reply_addr_valid("a..b@c.org"));
	assert_false(reply_addr_valid(".a@c.org"));
	assert_false(reply_addr_valid("a b@c.org"));
	assert_false(reply_addr_valid("\"a b\"@c.org"));
	assert_false(reply_addr_valid("a@b.org\r\n"));
	assert_false(reply_addr_valid("a@b.org>"));
	assert_false(reply_addr_valid("a@-b.org"));
	assert_false(reply_addr_valid("a@b..org"));
	assert_false(reply_addr_valid("josé@b.org"));
	assert_false(reply_addr_valid("a@exämple.org"));
}

/* The output cap is an error, not a silent truncation. */
static void
test_output_cap(void **state)
{
	struct reply_input in = base_input(REPLY_MISSING, LANG_EN);
	struct buf b;
	char err[128];

	(void)state;
	buf_init(&b, 600);
	assert_int_equal(reply_render(tpl, &in, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	buf_free(&b);

	/* Officials past the cap: an error too, whatever the output's cap. */
	{
		struct official *many = calloc(5000, sizeof(*many));
		size_t i;

		for (i = 0; i < 5000; i++)
			many[i] = offs[1];
		in.officials = many;
		in.nofficials = 5000;
		buf_init(&b, (size_t)-1 / 2);
		assert_int_equal(reply_render(tpl, &in, &b, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "too large"));
		buf_free(&b);
		free(many);
	}
}

/* ---- template loading ---------------------------------------------- */

static char tmpdir[256];

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
copy_templates(void)
{
	static const char *const files[] = {
		"ack", "missing", "review", "strings"
	};
	char src[256], dst[512], data[70000];
	FILE *in, *out;
	size_t i, l, n;

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_reply.XXXXXX",
	    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	for (i = 0; i < 4; i++)
		for (l = 0; l < LANG_COUNT; l++) {
			snprintf(src, sizeof(src), TEMPLATES "/%s.%s",
			    files[i], lang_key((enum lang)l));
			snprintf(dst, sizeof(dst), "%s/%s.%s", tmpdir,
			    files[i], lang_key((enum lang)l));
			in = fopen(src, "r");
			out = fopen(dst, "w");
			assert_non_null(in);
			assert_non_null(out);
			n = fread(data, 1, sizeof(data), in);
			assert_int_equal(fwrite(data, 1, n, out), n);
			fclose(in);
			fclose(out);
		}
}

static void
remove_templates(void)
{
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
expect_load_error(const char *what)
{
	struct reply_templates *t = (void *)1;
	char err[512] = "";

	assert_int_equal(reply_templates_load(tmpdir, &t, err, sizeof(err)),
	    -1);
	assert_null(t);
	if (strstr(err, what) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", err, what);
}

static void
test_load_errors(void **state)
{
	struct reply_templates *t;
	char err[512], path[512];

	(void)state;
	copy_templates();
	assert_int_equal(reply_templates_load(tmpdir, &t, err, sizeof(err)),
	    0);
	reply_templates_free(t);

	/* An unknown placeholder, with its file and line. */
	write_file("ack.en", "# c\n\nDear {{name}},\n{{reference}} "
	    "{{officials}}\n");
	expect_load_error("ack.en:3: unknown placeholder {{name}}");
	write_file("ack.en", "# c\nHello {{reference}} {{officials}} {{\n");
	expect_load_error("ack.en:2:");
	/* A body without its required placeholder. */
	write_file("ack.en", "Hello {{reference}}\n");
	expect_load_error("{{officials}} is required");
	write_file("ack.en", "Hello {{reference}} {{officials}}\n");

	/* strings: placeholder not allowed there, unknown key, missing key. */
	write_file("strings.es", "field.country = {{officials}}\n");
	expect_load_error("strings.es:1: misplaced placeholder {{officials}}");
	write_file("strings.es", "colour = blue\n");
	expect_load_error("strings.es:1: unknown key");
	write_file("strings.es", "field.country = País\n");
	expect_load_error("is missing");

	/* A missing file. */
	remove_templates();
	copy_templates();
	snprintf(path, sizeof(path), "%s/review.es", tmpdir);
	assert_int_equal(unlink(path), 0);
	expect_load_error("review.es");

	/* Control characters and invalid UTF-8 are refused. */
	write_file("review.es", "Hola {{reference}}\x1b\n");
	expect_load_error("control character");
	write_file("review.es", "Hola {{reference}} \xff\n");
	expect_load_error("UTF-8");
	remove_templates();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_kind_and_language),
		cmocka_unit_test(test_missing_lists_problems),
		cmocka_unit_test(test_missing_without_officials),
		cmocka_unit_test(test_headers_basic),
		cmocka_unit_test(test_no_threading),
		cmocka_unit_test(test_references_capped),
		cmocka_unit_test(test_subject_prefixes),
		cmocka_unit_test(test_subject_default),
		cmocka_unit_test(test_subject_folding),
		cmocka_unit_test(test_subject_capped),
		cmocka_unit_test(test_injection_subject_and_names),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_injection_body_values),
		cmocka_unit_test(test_qp_encoding),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_recipient_rfc3834),
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
