/*
 * test_intake.c -- classification (SPEC 3.2, 3.3), status (SPEC 3.6), the
 * reference syntax and the JSON writer, on small messages written here.
 * Run from the repository root: it loads forms/cencomm-cheetah.form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "form.h"
#include "intake.h"
#include "xmalloc.h"

static struct form *form;

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

static struct intake_result *
parse(const char *raw)
{
	struct intake_opts opts = { "info@cites.org", 0, NULL };

	return intake_parse(form, &opts, raw, strlen(raw));
}

#define REQUEST_BODY \
	"Country: Kenya\n" \
	"Last name: Otieno\n" \
	"First name: Grace\n" \
	"Organisation: Kenya Wildlife Service\n" \
	"Function: Senior Warden\n" \
	"Telephone: +254 20 600 0800\n" \
	"E-mail: g.otieno@kws.go.ke\n"

static void
test_reference_syntax(void **state)
{
	(void)state;
	assert_int_equal(intake_reference_in("Re: access [REQ-000042]"), 42);
	assert_int_equal(intake_reference_in("req-123456"), 123456);
	assert_int_equal(intake_reference_in("REQ-12345"), 0);	/* 5 digits */
	assert_int_equal(intake_reference_in("REQ-0000000000"), 0); /* 10 */
	assert_int_equal(intake_reference_in("REQ-000000"), 0);
	assert_int_equal(intake_reference_in("x REQ- 000001"), 0);
	assert_int_equal(intake_reference_in(NULL), 0);
}

static void
test_complete_request(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse("From: Grace Otieno <g.otieno@KWS.go.ke>\n"
	    "To: info@cites.org\n"
	    "Subject: Access to the cheetah CUG\n"
	    "Date: Mon, 14 May 2018 11:30:00 +0200\n"
	    "Message-ID: <abc@kws.go.ke>\n\n" REQUEST_BODY);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_COMPLETE);
	assert_string_equal(r->from_addr, "g.otieno@kws.go.ke");
	assert_string_equal(r->date, "2018-05-14T09:30:00Z");
	assert_string_equal(r->message_id, "abc@kws.go.ke");
	assert_int_equal(r->nofficials, 1);
	assert_string_equal(r->officials[0].f[FIELD_COUNTRY].value, "KE");
	assert_int_equal(r->flags, 0);
	intake_result_free(r);
}

/* Dates of the usual form and of others read the same as libetpan reads
 * them: the usual ones are read without it. */
static void
test_dates(void **state)
{
	static const char *const cases[][2] = {
		{ "Mon, 14 May 2018 11:30:00 +0200", "2018-05-14T09:30:00Z" },
		{ "14 May 2018 11:30:00 +0200", "2018-05-14T09:30:00Z" },
		{ "Mon, 4 May 2018 23:30:00 -0130", "2018-05-05T01:00:00Z" },
		{ "Mon, 14 May 2018 11:30:00 +0200 (CEST)",
		    "2018-05-14T09:30:00Z" },
		{ "Mon, 14 May 2018 11:30:00 GMT", "2018-05-14T11:30:00Z" },
		{ "mon, 14 may 2018 11:30:00 +0200", "2018-05-14T09:30:00Z" },
		{ "Mon,  14 May 2018 11:30 +0200", "2018-05-14T09:30:00Z" },
		{ "Mon, 14 May 2018 11:30:60 +0000", "2018-05-14T11:30:59Z" },
		{ "Mon, 31 Feb 2018 11:30:00 +0000", "2018-03-03T11:30:00Z" },
		{ "Mon, 14 May 2018 11:30:00 +02000", "2018-05-13T15:30:00Z" },
		{ "Mon, 14 May 2018 11:30:00 +2500", NULL },
		{ "Mon, 14 May 2018 11:30:00 +0000x", "2018-05-14T11:30:00Z" },
		{ "Mon, 14 May 1969 11:30:00 +0000", NULL },
		{ "Mon, 14 May 2018 24:30:00 +0000", NULL },
		{ "Mon, 14 Mai 2018 11:30:00 +0000", NULL },
		{ "Mon 14 May 2018 11:30:00 +0000", "2018-05-14T11:30:00Z" },
		{ "", NULL },
	};
	struct intake_result *r;
	char raw[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(raw, sizeof(raw), "From: a@example.org\n"
		    "Subject: x\nDate: %s\n\nHello.\n", cases[i][0]);
		r = parse(raw);
		if (cases[i][1] == NULL)
			assert_null(r->date);
		else {
			assert_non_null(r->date);
			assert_string_equal(r->date, cases[i][1]);
		}
		intake_result_free(r);
	}
}

/*
 * Text and HTML twins: the HTML one is read only when the plain one left
 * something missing or invalid.  An HTML twin naming a second official is
 * therefore not seen when the plain one is complete; when the plain one
 * lacks a field, the HTML one is read and wins with its two officials.
 */
#define TWIN_HTML \
	"--b\nContent-Type: text/html; charset=utf-8\n\n" \
	"<table><tr><th>Country</th><th>Last name</th><th>First name</th>" \
	"<th>Organisation</th><th>Function</th><th>Telephone</th>" \
	"<th>E-mail</th></tr>" \
	"<tr><td>Kenya</td><td>Otieno</td><td>Grace</td>" \
	"<td>Kenya Wildlife Service</td><td>Senior Warden</td>" \
	"<td>+254 20 600 0800</td><td>g.otieno@kws.go.ke</td></tr>" \
	"<tr><td>Kenya</td><td>Kamau</td><td>Peter</td>" \
	"<td>Kenya Wildlife Service</td><td>Warden</td>" \
	"<td>+254 20 600 0801</td><td>p.kamau@kws.go.ke</td></tr>" \
	"</table>\n--b--\n"
#define TWIN_HEAD \
	"From: Grace Otieno <g.otieno@kws.go.ke>\n" \
	"Subject: Access to the cheetah CUG\n" \
	"Message-ID: <twin@kws.go.ke>\n" \
	"Content-Type: multipart/alternative; boundary=b\n\n" \
	"--b\nContent-Type: text/plain; charset=utf-8\n\n"

static void
test_alternative_twins(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse(TWIN_HEAD REQUEST_BODY TWIN_HTML);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_COMPLETE);
	assert_int_equal(r->nofficials, 1);
	intake_result_free(r);

	r = parse(TWIN_HEAD "Country: Kenya\nLast name: Otieno\n"
	    "First name: Grace\n" TWIN_HTML);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_COMPLETE);
	assert_int_equal(r->nofficials, 2);
	assert_string_equal(r->officials[1].f[FIELD_LAST_NAME].value,
	    "Kamau");
	intake_result_free(r);
}

static void
test_not_a_request(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse("From: someone@example.com\nSubject: Visit to Geneva\n\n"
	    "Dear colleagues, when is the library open? Thanks.\n");
	assert_int_equal(r->class, CLASS_OTHER);
	assert_int_equal(r->status, STATUS_NONE);
	assert_int_equal(r->nofficials, 0);
	intake_result_free(r);
}

static void
test_trigger_without_data_is_incomplete(void **state)
{
	struct intake_result *r;
	int f;

	(void)state;
	r = parse("From: a@gov.example.org\nSubject: CENcomm\n\n"
	    "Please give our officers access to the closed user group.\n");
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_INCOMPLETE);
	assert_int_equal(r->nofficials, 1);
	for (f = 0; f < FIELD_COUNT; f++)
		assert_int_equal(r->officials[0].f[f].problem,
		    PROBLEM_MISSING);
	intake_result_free(r);
}

static void
test_machine_mail(void **state)
{
	static const char *const heads[] = {
		"Auto-Submitted: auto-replied\n",
		"Precedence: bulk\n",
		"List-Id: <cheetah.lists.example.org>\n",
		"X-Autoreply: yes\n",
		"Return-Path: <>\n",
	};
	struct intake_result *r;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		buf_init(&b, 4096);
		buf_printf(&b, "From: x@gov.example.org\n%sSubject: cheetah"
		    " closed user group\n\n" REQUEST_BODY, heads[i]);
		r = parse(b.data);
		assert_int_equal(r->class, CLASS_IGNORED);
		assert_int_equal(r->status, STATUS_NONE);
		assert_non_null(r->reason);
		assert_int_equal(r->machine, 1);
		intake_result_free(r);
		buf_free(&b);
		/* The same header on mail about something else: other. */
		buf_init(&b, 4096);
		buf_printf(&b, "From: x@gov.example.org\n%sSubject: news\n\n"
		    "Our weekly newsletter.\n", heads[i]);
		r = parse(b.data);
		assert_int_equal(r->class, CLASS_OTHER);
		intake_result_free(r);
		buf_free(&b);
	}
	/* Auto-Submitted: no is a person. */
	r = parse("From: x@gov.example.org\nAuto-Submitted: no\n"
	    "Subject: cheetah\n\n" REQUEST_BODY);
	assert_int_equal(r->class, CLASS_REQUEST);
	intake_result_free(r);
}

static void
test_senders_and_subjects(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse("From: MAILER-DAEMON@mx.example.org\nSubject: cheetah\n\n"
	    REQUEST_BODY);
	assert_int_equal(r->class, CLASS_IGNORED);
	intake_result_free(r);
	r = parse("From: info@cites.org\nSubject: Re: cheetah [REQ-000001]\n\n"
	    REQUEST_BODY);
	assert_int_equal(r->class, CLASS_IGNORED);	/* our own mail */
	intake_result_free(r);
	r = parse("From: a@gov.example.org\nSubject: =?utf-8?q?R=C3=A9ponse_"
	    "automatique=3A_CENcomm?=\n\nJe suis absent.\n");
	assert_int_equal(r->class, CLASS_IGNORED);
	intake_result_free(r);
	r = parse("From: a@gov.example.org\nSubject: Out of Office: hello\n\n"
	    "I am away.\n");
	assert_int_equal(r->class, CLASS_OTHER);
	intake_result_free(r);
}

static void
test_follow_up_and_suppress(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse("From: a@gov.example.org\n"
	    "In-Reply-To: <intaked.REQ-000007.k3j@cites.org>\n"
	    "Subject: Re: something\n\nTelephone: +254 20 600 0800\n");
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_true(r->flags & FLAG_FOLLOW_UP);
	intake_result_free(r);
	r = parse("From: a@gov.example.org\nSubject: Re: x [REQ-000007]\n\n"
	    "Thanks.\n");
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_string_equal(r->reference, "REQ-000007");
	intake_result_free(r);
	r = parse("From: a@gov.example.org\nSubject: cheetah\n"
	    "X-Auto-Response-Suppress: DR, All\n\n" REQUEST_BODY);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_true(r->flags & FLAG_REPLY_SUPPRESSED);
	intake_result_free(r);
}

static void
test_quarantine(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse("");
	assert_int_equal(r->class, CLASS_QUARANTINED);
	assert_int_equal(r->status, STATUS_QUARANTINED);
	assert_non_null(r->reason);
	intake_result_free(r);
	r = parse("From: a@b.example\nContent-Type: multipart/mixed; "
	    "boundary=\"\\\"\"\n\n--\"\nContent-Type: text/plain\n\nx\n"
	    "--\"--\n");
	assert_int_equal(r->class, CLASS_QUARANTINED);
	intake_result_free(r);
}

static void
test_json(void **state)
{
	struct intake_result *r;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(json_add_string(&b, "a\"b\\c\n\x01\t"), 0);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\\t\"");
	buf_truncate(&b, 0);
	assert_int_equal(json_add_string(&b, NULL), 0);
	assert_string_equal(b.data, "null");
	buf_truncate(&b, 0);

	r = intake_quarantined("parser crashed: signal 11");
	assert_int_equal(intake_result_json(r, &b), 0);
	assert_string_equal(b.data, "{\"class\":\"quarantined\","
	    "\"reference\":null,\"status\":\"quarantined\","
	    "\"reason\":\"parser crashed: signal 11\",\"received_at\":null,"
	    "\"from\":null,\"subject\":null,\"language\":\"en\","
	    "\"missing\":[],\"flags\":[],\"officials\":[],\"messages\":[]}");
	intake_result_free(r);
	buf_truncate(&b, 0);

	r = parse("From: g@kws.go.ke\nSubject: cheetah\nMessage-ID: <m1@x>\n\n"
	    "Country: Kenya\nLast name: Otieno\nFirst name: Grace\n"
	    "Organisation: KWS\nFunction: Warden\nTelephone: 12\n"
	    "E-mail: grace@gmail.com\n");
	assert_int_equal(intake_result_json(r, &b), 0);
	assert_non_null(strstr(b.data, "\"missing\":[\"1.phone\"]"));
	assert_non_null(strstr(b.data, "\"flags\":[\"non_official_email\",\"domain_mismatch\"]"));
	assert_non_null(strstr(b.data, "\"phone\":\"12\""));
	assert_non_null(strstr(b.data, "\"country\":\"KE\""));
	assert_non_null(strstr(b.data, "\"messages\":[\"m1@x\"]"));
	intake_result_free(r);
	buf_truncate(&b, 0);

	/* Missing fields of officials past the ninth: indexes of two
	 * digits, each after a comma; a DEL escaped. */
	r = xcalloc(1, sizeof(*r));
	r->nofficials = 12;
	r->officials = xcalloc(r->nofficials, sizeof(*r->officials));
	r->officials[0].f[FIELD_EMAIL].problem = PROBLEM_MISSING;
	r->officials[9].f[FIELD_COUNTRY].problem = PROBLEM_COUNTRY;
	r->officials[11].f[FIELD_PHONE].problem = PROBLEM_MISSING;
	r->subject = xstrdup("a\x7f""b");
	assert_int_equal(intake_result_json(r, &b), 0);
	assert_non_null(strstr(b.data,
	    "\"missing\":[\"1.email\",\"10.country\",\"12.phone\"]"));
	assert_non_null(strstr(b.data, "\"subject\":\"a\\u007fb\""));
	intake_result_free(r);
	buf_free(&b);
}

static struct intake_result *
parse_trusting(const char *raw)
{
	struct intake_opts opts = { "info@cites.org", 0, "mx.cites.org" };

	return intake_parse(form, &opts, raw, strlen(raw));
}

static void
test_authentication_results(void **state)
{
	struct intake_result *r;

	(void)state;
	r = parse_trusting("Authentication-Results: mx.cites.org; spf=pass "
	    "smtp.mailfrom=kws.go.ke; dkim=pass; dmarc=pass\n"
	    "From: g@kws.go.ke\nSubject: cheetah\n\n" REQUEST_BODY);
	assert_false(r->flags & FLAG_UNAUTHENTICATED);
	intake_result_free(r);
	r = parse_trusting("Authentication-Results: mx.cites.org; spf=pass; "
	    "dmarc=fail header.from=kws.go.ke\n"
	    "From: g@kws.go.ke\nSubject: cheetah\n\n" REQUEST_BODY);
	assert_true(r->flags & FLAG_UNAUTHENTICATED);
	intake_result_free(r);
	/* Only our id counts: another server's pass proves nothing. */
	r = parse_trusting("Authentication-Results: mx.evil.example; "
	    "dmarc=pass\nFrom: g@kws.go.ke\nSubject: cheetah\n\n"
	    REQUEST_BODY);
	assert_true(r->flags & FLAG_UNAUTHENTICATED);
	intake_result_free(r);
	/* The topmost header of our id wins over one further down. */
	r = parse_trusting("Authentication-Results: mx.cites.org; spf=fail\n"
	    "Authentication-Results: mx.cites.org; dmarc=pass\n"
	    "From: g@kws.go.ke\nSubject: cheetah\n\n" REQUEST_BODY);
	assert_true(r->flags & FLAG_UNAUTHENTICATED);
	intake_result_free(r);
	/* Without a trusted id nothing is judged. */
	r = parse("Authentication-Results: mx.cites.org; dmarc=fail\n"
	    "From: g@kws.go.ke\nSubject: cheetah\n\n" REQUEST_BODY);
	assert_false(r->flags & FLAG_UNAUTHENTICATED);
	intake_result_free(r);
}

static void
test_domain_mismatch(void **state)
{
	struct intake_result *r;

	(void)state;
	/* The official's address at the sender's domain: fine. */
	r = parse("From: head@kws.go.ke\nSubject: cheetah\n\n" REQUEST_BODY);
	assert_false(r->flags & FLAG_DOMAIN_MISMATCH);
	intake_result_free(r);
	/* Sent from elsewhere, but under the Party's country domain. */
	r = parse("From: someone@example.org\nSubject: cheetah\n\n"
	    REQUEST_BODY);
	assert_false(r->flags & FLAG_DOMAIN_MISMATCH);
	intake_result_free(r);
	/* Neither the sender's domain nor Kenya's. */
	r = parse("From: someone@example.org\nSubject: cheetah\n\n"
	    "Country: Kenya\nLast name: Otieno\nFirst name: Grace\n"
	    "Organisation: KWS\nFunction: Warden\n"
	    "Telephone: +254 20 600 0800\nE-mail: grace@wildlife.example.com\n");
	assert_true(r->flags & FLAG_DOMAIN_MISMATCH);
	intake_result_free(r);
}

/* Every byte that needs an escape, at every place in strings of up to
 * twenty bytes of plain ASCII and UTF-8, is escaped as one at a time
 * would; the others pass. */
static void
test_json_escape_places(void **state)
{
	static const struct {
		char c;
		const char *esc;
	} bytes[] = {
		{ '"', "\\\"" }, { '\\', "\\\\" }, { '\n', "\\n" },
		{ '\r', "\\r" }, { '\t', "\\t" }, { 0x01, "\\u0001" },
		{ 0x1f, "\\u001f" }, { 0x7f, "\\u007f" }, { ' ', " " },
		{ '!', "!" }, { '#', "#" }, { '[', "[" }, { ']', "]" },
		{ '~', "~" }, { (char)0x80, "\x80" }, { (char)0xa2, "\xa2" },
		{ (char)0xdc, "\xdc" }, { (char)0xff, "\xff" },
	};
	char in[32], want[64];
	struct buf b;
	size_t len, at, k, o;

	(void)state;
	buf_init(&b, 1 << 16);
	for (len = 1; len <= 20; len++)
		for (at = 0; at < len; at++)
			for (k = 0; k < sizeof(bytes) / sizeof(bytes[0]); k++) {
				memset(in, 'a', len);
				in[len] = '\0';
				in[at] = bytes[k].c;
				o = 0;
				want[o++] = '"';
				memset(want + o, 'a', at);
				o += at;
				memcpy(want + o, bytes[k].esc,
				    strlen(bytes[k].esc));
				o += strlen(bytes[k].esc);
				memset(want + o, 'a', len - at - 1);
				o += len - at - 1;
				want[o++] = '"';
				want[o] = '\0';
				buf_truncate(&b, 0);
				assert_int_equal(json_add_string(&b, in), 0);
				assert_string_equal(b.data, want);
			}
	buf_free(&b);
}

/* A quoted part's text is read where it is written into all the text,
 * after the parts before it; a part that would take that text past its
 * cap is read whole all the same. */
static void
test_parts_into_all_text(void **state)
{
	struct intake_result *r;
	struct buf b;
	size_t i;
	int k;

	(void)state;
	r = parse("From: Grace Otieno <g.otieno@kws.go.ke>\n"
	    "Subject: Access\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\n"
	    "Please give our officers access to the closed user group.\n"
	    "--b\nContent-Type: text/plain\n\n" REQUEST_BODY
	    "\nOn Monday Jane <j@example.org> wrote:\n> Country: Peru\n"
	    "--b--\n");
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->status, STATUS_COMPLETE);
	assert_int_equal(r->nofficials, 1);
	assert_string_equal(r->officials[0].f[FIELD_COUNTRY].value, "KE");
	intake_result_free(r);

	/* Three parts of nearly 2 MiB: the third does not fit in 4 MiB. */
	buf_init(&b, 8u * 1024 * 1024);
	buf_addstr(&b, "From: Grace Otieno <g.otieno@kws.go.ke>\n"
	    "Subject: Access to the cheetah CUG\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n");
	for (k = 0; k < 3; k++) {
		buf_addstr(&b, "--b\nContent-Type: text/plain\n\n");
		if (k == 2)
			buf_addstr(&b, REQUEST_BODY "\n");
		for (i = 0; i < 30000; i++)
			buf_addstr(&b, "the weather was fine and the sea was "
			    "calm all the week long\n");
	}
	buf_addstr(&b, "--b--\n");
	r = intake_parse(form, NULL, b.data, b.len);
	assert_int_equal(r->class, CLASS_REQUEST);
	assert_int_equal(r->nofficials, 1);
	assert_string_equal(r->officials[0].f[FIELD_COUNTRY].value, "KE");
	intake_result_free(r);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_syntax),
		cmocka_unit_test(test_complete_request),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_alternative_twins),
		cmocka_unit_test(test_not_a_request),
		cmocka_unit_test(test_trigger_without_data_is_incomplete),
		cmocka_unit_test(test_machine_mail),
		cmocka_unit_test(test_senders_and_subjects),
		cmocka_unit_test(test_follow_up_and_suppress),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_authentication_results),
		cmocka_unit_test(test_domain_mismatch),
		cmocka_unit_test(test_json_escape_places),
		cmocka_unit_test(test_parts_into_all_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
