/*
 * fuzz_parse.c -- raw message bytes to the whole decision, in process:
 * what the parse worker does with one message (MIME, HTML, quote
 * stripping, extraction, validation, classification) and the JSON that
 * `intakectl parse` prints, plus the Message-ID peek the daemon makes on
 * raw bytes it does not trust the parser with.
 *
 * Beyond "no crash, no leak, no hang", every result must pass the checks
 * the daemon makes on what the worker sends back (worker.c, wire_decode):
 * a result the daemon would refuse turns a readable message into a
 * quarantined one, so it is a finding too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "intake.h"
#include "limits.h"
#include "mime.h"
#include "text.h"

#include "common.h"

static struct form *form;
static const struct intake_opts opts = {
	.own_address = "info@example.org",
	.header_only = 0,
	.trusted_authserv_id = "mx.example.org",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[4096], *path;

	(void)argc;
	(void)argv;
	intake_init();
	path = fuzz_path("forms/cencomm-cheetah.form");
	if (form_load(path, &form, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_parse: %s\n", err);
		exit(2);
	}
	free(path);
	return 0;
}

/* What the daemon accepts for one string of a result. */
static void
check_str(const char *what, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (n > max)
		fuzz_fail("string longer than the daemon accepts", what);
	if (!text_is_utf8(s, n))
		fuzz_fail("string is not valid UTF-8", what);
}

static void
check_result(const struct intake_result *r)
{
	size_t i;
	int f;

	FUZZ_CHECK((unsigned)r->class < CLASS_COUNT, "class");
	FUZZ_CHECK((unsigned)r->status < STATUS_COUNT, "status");
	FUZZ_CHECK((unsigned)r->lang < LANG_COUNT, "lang");
	FUZZ_CHECK(r->flags < (1u << FLAG_COUNT_BITS), "flags");
	FUZZ_CHECK(r->machine == 0 || r->machine == 1, "machine");
	FUZZ_CHECK(r->nreferences <= LIMIT_REFERENCES, "nreferences");
	FUZZ_CHECK(r->nofficials <= LIMIT_OFFICIALS, "nofficials");
	FUZZ_CHECK(r->nreferences == 0 || r->references != NULL, "references");
	FUZZ_CHECK(r->nofficials == 0 || r->officials != NULL, "officials");
	FUZZ_CHECK(memchr(r->reference, '\0', sizeof(r->reference)) != NULL,
	    "reference not terminated");
	/* A request has a request status, anything else none (or the
	 * quarantine's). */
	if (r->class == CLASS_REQUEST)
		FUZZ_CHECK(r->status == STATUS_COMPLETE ||
		    r->status == STATUS_INCOMPLETE ||
		    r->status == STATUS_REVIEW, "request status");
	else if (r->class == CLASS_QUARANTINED)
		FUZZ_CHECK(r->status == STATUS_QUARANTINED, "quarantine status");
	else
		FUZZ_CHECK(r->status == STATUS_NONE, "status of a non-request");
	if (r->status == STATUS_COMPLETE)
		FUZZ_CHECK(r->nofficials > 0, "complete without officials");

	check_str("reason", r->reason, LIMIT_HEADER_BYTES);
	check_str("suppress_reason", r->suppress_reason, LIMIT_HEADER_BYTES);
	check_str("message_id", r->message_id, LIMIT_HEADER_BYTES);
	check_str("in_reply_to", r->in_reply_to, LIMIT_HEADER_BYTES);
	check_str("subject", r->subject, LIMIT_HEADER_BYTES);
	check_str("from_addr", r->from_addr, LIMIT_HEADER_BYTES);
	check_str("from_name", r->from_name, LIMIT_HEADER_BYTES);
	check_str("reply_to", r->reply_to, LIMIT_HEADER_BYTES);
	check_str("date", r->date, 64);
	check_str("reference", r->reference, sizeof(r->reference) - 1);
	for (i = 0; i < r->nreferences; i++) {
		FUZZ_CHECK(r->references[i] != NULL, "a NULL reference");
		check_str("references[i]", r->references[i],
		    LIMIT_HEADER_BYTES);
	}
	for (i = 0; i < r->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			const struct field_value *v = &r->officials[i].f[f];

			check_str("field raw", v->raw, LIMIT_FIELD_BYTES * 4);
			check_str("field value", v->value,
			    LIMIT_FIELD_BYTES * 4);
			FUZZ_CHECK((unsigned)v->problem < PROBLEM_COUNT,
			    "field problem");
			if (v->problem == PROBLEM_NONE && r->class ==
			    CLASS_REQUEST && r->status == STATUS_COMPLETE)
				FUZZ_CHECK(v->value != NULL,
				    "valid field without a value");
		}
}

/* The JSON: it must fit, hold no raw control character and be UTF-8. */
static void
check_json(const struct intake_result *r)
{
	struct buf out;
	size_t i;

	buf_init(&out, 64u * 1024 * 1024);
	FUZZ_CHECK(intake_result_json(r, &out) == 0, "JSON did not fit");
	FUZZ_CHECK(out.len >= 2 && out.data[0] == '{' &&
	    out.data[out.len - 1] == '}', "JSON is not an object");
	for (i = 0; i < out.len; i++)
		FUZZ_CHECK((unsigned char)out.data[i] >= 0x20,
		    "raw control character in JSON");
	FUZZ_CHECK(text_is_utf8(out.data, out.len), "JSON is not UTF-8");
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct intake_result *r;
	char *id;

	if (size > LIMIT_MESSAGE_BYTES)
		return 0;
	r = intake_parse(form, &opts, raw, size);
	FUZZ_CHECK(r != NULL, "no result");
	check_result(r);
	check_json(r);
	intake_result_free(r);

	id = mime_peek_msgid(raw, size);
	if (id != NULL)
		check_str("peeked message-id", id, LIMIT_PEEK_HEADER_BYTES);
	free(id);
	return 0;
}
