/*
 * test_mime.c -- raw messages to headers and text parts: transfer
 * encodings, charsets, RFC 2047/2231, part kinds, alternative groups,
 * hostile structure (libetpan's lone-quote boundary, 10,000 parts, 2,000
 * levels, nested comments), line ends, addresses and message-ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "limits.h"
#include "mime.h"
#include "text.h"
#include "xmalloc.h"

static struct mime_message *
parse_len(const char *raw, size_t len)
{
	struct mime_message *m = NULL;
	char err[128];

	assert_int_equal(mime_parse(raw, len, &m, err, sizeof(err)), 0);
	assert_non_null(m);
	return m;
}

static struct mime_message *
parse(const char *raw)
{
	return parse_len(raw, strlen(raw));
}

/* CPU time, not wall time: on a shared machine the wall clock measures
 * the neighbours as much as the parser. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds of CPU a hostile message may take: one; four under the
 * sanitizers, which run this code two to four times slower; a minute under
 * valgrind, some fifty times slower (it preloads vgpreload_*.so). */
static double
time_limit(void)
{
	const char *pre = getenv("LD_PRELOAD");

	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return 60.0;
#if defined(__SANITIZE_ADDRESS__)
	return 4.0;
#else
	return 1.0;
#endif
}

/* The only part's text. */
static const char *
only_text(const struct mime_message *m)
{
	assert_int_equal(m->nparts, 1);
	return m->parts[0].text;
}

/* raw has one part, whose text is want. */
static void
assert_only_text(const char *raw, const char *want)
{
	struct mime_message *m = parse(raw);

	assert_string_equal(only_text(m), want);
	mime_message_free(m);
}

static void
test_qp_body(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("From: a@example.org\r\n"
	    "Subject: qp\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Pays : C=C3=B4te d=E2=80=99Ivoire, a long line that was soft=\r\n"
	    " broken\r\n"
	    "Nom =3D Kon=C3=A9\r\n");
	assert_string_equal(only_text(m),
	    "Pays : C\xc3\xb4te d\xe2\x80\x99Ivoire, a long line that was "
	    "soft broken\nNom = Kon\xc3\xa9\n");
	assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
	assert_int_equal(m->parts[0].alternative, -1);
	assert_null(m->parts[0].filename);
	assert_int_equal(m->truncated, 0);
	mime_message_free(m);
}

/*
 * Quoted-printable bodies of many sizes, with runs of empty lines, soft
 * line breaks and encoded bytes: the line ends are counted sixteen and
 * sixty-four bytes at a time, up to 255 a place, then one at a time.
 */
static void
test_qp_long_bodies(void **state)
{
	static const char head[] = "Subject: qp\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	struct buf raw, want;
	unsigned seed = 3;
	size_t len, i, k;
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		buf_init(&raw, 1 << 20);
		buf_init(&want, 1 << 20);
		buf_addstr(&raw, head);
		buf_addstr(&raw, "x");
		buf_addstr(&want, "x");
		len = 1 + (size_t)round * 31;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 16) {
			case 0:
				/* A run of empty lines. */
				for (k = (seed >> 8) % 300; k > 0; k--) {
					buf_addstr(&raw, "\r\n");
					buf_addch(&want, '\n');
				}
				break;
			case 1:
			case 2:
				buf_addstr(&raw, "\r\n");
				buf_addch(&want, '\n');
				break;
			case 3:
				buf_addstr(&raw, "=\r\n");
				break;
			case 4:
				buf_addstr(&raw, "=C3=A9");
				buf_addstr(&want, "\xc3\xa9");
				break;
			case 5:
				buf_addstr(&raw, "=3D");
				buf_addch(&want, '=');
				break;
			default:
				buf_addch(&raw, (char)('a' + (seed >> 20) % 26));
				buf_addch(&want, (char)('a' + (seed >> 20) % 26));
			}
		}
		buf_addstr(&raw, "y\r\n");
		buf_addstr(&want, "y\n");
		assert_true(raw.len < raw.max / 2);	/* nothing left out */
		assert_only_text(raw.data, want.data);
		buf_free(&raw);
		buf_free(&want);
	}
}

static void
test_base64_body(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Subject: b64\n"
	    "Content-Type: text/plain; charset=\"UTF-8\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "R3XD\n"
	    "qXBhcmRz\n");
	assert_string_equal(only_text(m), "Gu\xc3\xa9pards");
	mime_message_free(m);

	/* Base64 of CRLF text comes out with LF. */
	assert_only_text("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: BASE64\n\n"
	    "YQ0KYg0K\n",
	    "a\nb\n");
}

/*
 * Base64 of every length of text from 1 to 60 bytes, in lines of 4 to
 * 24 letters: each group of four letters gives three bytes whatever its
 * place, the last ones before a line end or the end included.
 */
static void
test_base64_lengths(void **state)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char text[] = "The quick brown fox jumps over the lazy "
	    "dog, and again: the end";
	char raw[256], *r;
	struct mime_message *m;
	size_t len, width, i, col;
	unsigned v;

	(void)state;
	for (len = 1; len <= 60; len++) {
		for (width = 4; width <= 24; width += 4) {
			r = raw + snprintf(raw, sizeof(raw), "Subject: b\n"
			    "Content-Transfer-Encoding: base64\n\n");
			for (i = 0, col = 0; i < len; i += 3) {
				v = (unsigned)(unsigned char)text[i] << 16;
				if (i + 1 < len)
					v |= (unsigned)(unsigned char)text[i + 1] << 8;
				if (i + 2 < len)
					v |= (unsigned char)text[i + 2];
				*r++ = abc[v >> 18 & 63];
				*r++ = abc[v >> 12 & 63];
				*r++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
				*r++ = i + 2 < len ? abc[v & 63] : '=';
				if ((col += 4) == width) {
					*r++ = '\n';
					col = 0;
				}
			}
			*r = '\0';
			m = parse(raw);
			assert_int_equal(m->parts[0].len, len);
			assert_memory_equal(only_text(m), text, len);
			mime_message_free(m);
		}
	}
}

/* Transfer encodings read as libetpan reads them, odd ends included. */
static void
test_transfer_edges(void **state)
{
	static const struct {
		const char *cte, *body, *text;
	} t[] = {
		/* Bytes outside the alphabet are skipped; a last group of
		 * one, two or three letters. */
		{ "base64", "QU!JD\nRA==\n", "ABCD" },
		{ "base64", "QUJDREU", "ABCDE" },
		{ "base64", "QUJDR", "ABCD" },
		{ "base64", "=====", NULL },
		/* A soft break, a '=' at the very end kept, hex in either
		 * case, a digit that is not hex read as 0. */
		{ "quoted-printable", "ab=\ncd=3d=3De=", "abcd==e=" },
		{ "quoted-printable", "x=4G=C3=A9", "x\x40\xc3\xa9" },
		{ "quoted-printable", "one\ntwo\n", "one\ntwo\n" },
		/* Encoded bytes one after the other ("=XX=XX", as accented
		 * text has them), before a soft break, a line end and a
		 * last '='. */
		{ "quoted-printable", "=C3=A9=C3=A8\n", "\xc3\xa9\xc3\xa8\n" },
		{ "quoted-printable", "a=C3=A9=\n=C3=A8b",
		    "a\xc3\xa9\xc3\xa8" "b" },
		{ "quoted-printable", "=41=42=43", "ABC" },
		{ "quoted-printable", "=3D=3D=", "===" },
		{ "quoted-printable", "=41=\n=42\n=43=44x", "AB\nCDx" },
		{ "7bit", "plain\n", "plain\n" },
		{ "x-unknown", "as is\n", "as is\n" },
	};
	struct mime_message *m;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 4096);
		buf_printf(&b, "Subject: t\nContent-Type: text/plain; "
		    "charset=utf-8\nContent-Transfer-Encoding: %s\n\n%s",
		    t[i].cte, t[i].body);
		m = parse(b.data);
		if (t[i].text == NULL)
			assert_int_equal(m->nparts, 0);
		else
			assert_string_equal(only_text(m), t[i].text);
		mime_message_free(m);
		buf_free(&b);
	}
}

static void
test_latin1_mislabelled(void **state)
{
	struct mime_message *m;

	(void)state;
	/* 0x80 and 0x92 are C1 controls in ISO-8859-1, but the sender
	 * meant windows-1252: euro sign and right single quote. */
	m = parse("Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Prix : 5 \x80, l\x92\xe9t\xe9\n");
	assert_string_equal(only_text(m), "Prix : 5 \xe2\x82\xac, "
	    "l\xe2\x80\x99\xc3\xa9t\xc3\xa9\n");
	mime_message_free(m);
}

static void
test_undeclared_8bit(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Subject: x\n\ncaf\xe9 cr\xe8me\n");
	assert_string_equal(only_text(m), "caf\xc3\xa9 cr\xc3\xa8me\n");
	assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
	mime_message_free(m);

	/* Valid UTF-8 without a charset stays UTF-8. */
	assert_only_text("Subject: x\nContent-Type: text/plain\n\n"
	    "caf\xc3\xa9\n",
	    "caf\xc3\xa9\n");
}

static void
test_utf8_declared(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: text/plain; charset=UTF-8\n\n"
	    "\xc5\x81\xc3\xb3\x64\xc5\xba ok \xff end\n");
	/* The one invalid byte becomes U+FFFD. */
	assert_string_equal(only_text(m),
	    "\xc5\x81\xc3\xb3\x64\xc5\xba ok \xef\xbf\xbd end\n");
	mime_message_free(m);
}

static void
test_koi8r_and_latin2(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=XX\n\n"
	    "--XX\n"
	    "Content-Type: text/plain; charset=koi8-r\n\n"
	    "\xf0\xd2\xc9\xd7\xc5\xd4\n"
	    "--XX\n"
	    "Content-Type: text/plain; charset=\"ISO-8859-2\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "=B3=F3d=BC\n"
	    "--XX--\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text, "\xd0\x9f\xd1\x80\xd0\xb8\xd0"
	    "\xb2\xd0\xb5\xd1\x82");
	assert_string_equal(m->parts[1].text, "\xc5\x82\xc3\xb3\x64\xc5\xba");
	mime_message_free(m);
}

static void
test_unknown_charset_noted(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: text/plain; charset=x-foo\n\ncaf\xe9\n");
	assert_string_equal(only_text(m), "caf\xc3\xa9\n");
	assert_non_null(m->notes);
	assert_non_null(strstr(m->notes, "charset x-foo unknown"));
	mime_message_free(m);
}

static void
test_rfc2047_headers(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("From: =?UTF-8?Q?Andr=c3=a9s_Rodr=c3=adguez?= "
	    "<AR@MinAmbiente.GOV.co>\n"
	    "Subject: =?utf-8?B?R3XDqXBhcmRz?= =?iso-8859-1?Q?_caf=E9?=\n"
	    "X-Folded: first\n"
	    "\tsecond\n"
	    "X-Raw: Ren\xe9\n"
	    "X-Raw-Utf8: Ren\xc3\xa9\n"
	    "X-Empty:\n"
	    "\nbody\n");
	assert_int_equal(m->nheaders, 6);
	assert_string_equal(m->headers[0].name, "From");
	assert_string_equal(mime_header_get(m, "subject"),
	    "Gu\xc3\xa9pards caf\xc3\xa9");
	assert_string_equal(mime_header_get(m, "X-FOLDED"), "first second");
	assert_string_equal(mime_header_get(m, "x-raw"), "Ren\xc3\xa9");
	assert_string_equal(mime_header_get(m, "x-raw-utf8"), "Ren\xc3\xa9");
	assert_string_equal(mime_header_get(m, "x-empty"), "");
	assert_null(mime_header_get(m, "To"));
	mime_message_free(m);
}

/* Encoded words of the shape read without libetpan's phrase parser, and
 * near misses left to it: words in a row with one charset and encoding
 * decoded as one (a character split between them), a B text ending with
 * '=' decoded alone, blanks as one space but none between two encoded
 * words, blanks at the end; as libetpan 1.9.4 reads them. */
static void
test_rfc2047_plain_words(void **state)
{
	static const char *const t[][2] = {
		{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
		{ "=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", "\xc3\xa9\xc3\xa9" },
		{ "=?utf-8?b?w?= =?utf-8?b?6k?=", "\xc3\xa9" },
		{ "=?utf-8?q?=C3?=\t=?UTF-8?Q?=A9?=", "\xc3\xa9" },
		{ "Re:  =?utf-8?q?caf=C3=A9_au_lait?=  x  ",
		    "Re: caf\xc3\xa9 au lait x" },
		{ "a=?utf-8?q?b?=c", "abc" },
		{ "=?utf-8?q?a?= =?utf-8?b?Yg==?= c", "ab c" },
		{ "=?utf8?q?=C3=A9?=", "\xc3\xa9" },
		{ "=?utf-8?q?a?=?= b", "a?= b" },
		/* Left to libetpan: a NUL, half a character, a bad escape,
		 * a blank in the text. */
		{ "x =?utf-8?q?=00?= y", "x  y" },
		{ "x =?utf-8?q?=C3?= y", "x  y" },
		{ "x =?utf-8?q?a=3?= y", "x a3 y" },
		{ "x =?utf-8?q?a b?= y", "x a b y" },
	};
	struct mime_message *m;
	char raw[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(raw, sizeof(raw), "Subject: %s\n\nbody\n", t[i][0]);
		m = parse(raw);
		assert_string_equal(mime_header_get(m, "subject"), t[i][1]);
		mime_message_free(m);
	}
}

/* Fields nothing reads (MIME-Version, Content-Language, Content-ID,
 * Content-Description...) are not handed to libetpan: the fields read
 * around them, before or after, and a block of nothing else, read the
 * same. */
static void
test_mime_fields_unread(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("MIME-Version: 1.0\n"
	    "Content-Language: fr\n"
	    "Subject: s\n"
	    "Content-Type: text/plain; charset=iso-8859-1; name=\"a.csv\"\n"
	    "Content-ID: <a@b>\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Description: =?utf-8?q?note?=\n"
	    "Content-Disposition: attachment\n"
	    "Content-Foo: bar\n"
	    "\ncaf=E9;1\n");
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].kind, MIME_PART_CSV);
	assert_string_equal(m->parts[0].filename, "a.csv");
	assert_string_equal(m->parts[0].text, "caf\xc3\xa9;1\n");
	assert_string_equal(mime_header_get(m, "content-language"), "fr");
	mime_message_free(m);

	m = parse("MIME-Version: 1.0\nContent-Language: en\n\nhello\n");
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
	assert_string_equal(m->parts[0].text, "hello\n");
	mime_message_free(m);

	m = parse("Content-Type: multipart/mixed; boundary=b\n"
	    "MIME-Version: 1.0\n"
	    "\n--b\nContent-Type: text/plain\nContent-ID: <x@y>\n\none\n"
	    "--b\nContent-Language: en\n\ntwo\n--b--\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text, "one");
	assert_string_equal(m->parts[1].text, "two");
	mime_message_free(m);
}

/* A Content-Transfer-Encoding of 7bit, 8bit or binary is not handed to
 * libetpan, which reads no field at all the same way; with another such
 * field after it, the first one still wins. */
static void
test_identity_encoding_unread(void **state)
{
	(void)state;
	assert_only_text("Content-Transfer-Encoding: 7bit\n\na=3Db\n",
	    "a=3Db\n");
	assert_only_text("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding:  8BIT \n\na=3Db\n", "a=3Db\n");
	assert_only_text("Content-Transfer-Encoding: binary\n"
	    "Content-Transfer-Encoding: quoted-printable\n\na=3Db\n",
	    "a=3Db\n");
	assert_only_text("Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Transfer-Encoding: 7bit\n\na=3Db\n", "a=b\n");
	assert_only_text("Content-Transfer-Encoding: 7bit\n"
	    "Content-Transfer-Encoding: base64\n\naGk=\n", "aGk=\n");
	assert_only_text("Content-Transfer-Encoding: 7bit\n"
	    "Content-Transfer-Encoding:\n base64\n\naGk=\n", "aGk=\n");
	assert_only_text("Content-Transfer-Encoding: base64\n"
	    "Content-Transfer-Encoding: 8bit\n\naGk=\n", "hi");
	assert_only_text("Content-Transfer-Encoding: base64 \n\naGk=\n",
	    "hi");
	/* With a text type libetpan read before, quoted-printable and
	 * base64 are not handed to it either. */
	assert_only_text("Content-Transfer-Encoding: base64\n"
	    "Content-Type: text/plain; charset=utf-8\n\naGk=\n", "hi");
	assert_only_text("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding:  Quoted-Printable\n\na=3Db\n",
	    "a=b\n");
	assert_only_text("Content-Transfer-Encoding: base64\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\naGk=\n", "hi");
	assert_only_text("Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n\na=3Db\n", "a=b\n");
	assert_only_text("Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Type: text/plain\nContent-Type: text/html\n\na=3Db\n",
	    "a=b\n");
	assert_only_text("Content-Type: text/plain; name=a\n"
	    "Content-Transfer-Encoding: base64\n\naGk=\n", "hi");
}

/*
 * A message's text type is not handed to libetpan when it read the same
 * field before: read again and again, and past as many other types as
 * are kept, it reads as the first time; a "name" in it still names the
 * part, and with a second type after it the first still wins.
 */
static void
test_message_type_kept(void **state)
{
	struct mime_message *m;
	char raw[512];
	int i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 12; i++) {
			snprintf(raw, sizeof(raw), "Subject: s\n"
			    "Content-Type: text/plain; charset=\"koi8-r\"; "
			    "format=flowed; x=%d\n\nabc \n\xc1\n", i * k);
			m = parse(raw);
			assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
			assert_string_equal(only_text(m),
			    "abc \xd0\xb0\n");
			mime_message_free(m);
		}
		m = parse("Content-Type: text/html; charset=utf-8\n"
		    "\n<p>a</p>\n");
		assert_int_equal(m->parts[0].kind, MIME_PART_HTML);
		assert_string_equal(only_text(m), "a\n");
		mime_message_free(m);
		m = parse("Content-Type: text/csv; name=\"a.txt\"\n\na;b\n");
		assert_int_equal(m->parts[0].kind, MIME_PART_CSV);
		assert_string_equal(m->parts[0].filename, "a.txt");
		mime_message_free(m);
		m = parse("Content-Type: text/html; charset=utf-8\n"
		    "Content-Type: text/plain\n\n<p>a</p>\n");
		assert_int_equal(m->parts[0].kind, MIME_PART_HTML);
		mime_message_free(m);
		m = parse("Content-Type: text/plain; charset=utf-8\n"
		    "MIME-Version: 1.0\nContent-Type: text/html\n\n<p>a</p>\n");
		assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
		mime_message_free(m);
	}
}

/*
 * CR and CRLF line ends become LF however they fall against the blocks
 * the text is copied in (32 bytes, then a tail): a CR at the end of a
 * block, its LF in the next, CRs in a row, a CR at the very end.
 */
static void
test_line_ends_blocks(void **state)
{
	static const char head[] = "Subject: s\r\n\r\n";
	char raw[256], want[256];
	size_t len, at, i, w;
	unsigned seed = 1;
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		memcpy(raw, head, sizeof(head) - 1);
		len = 1 + (size_t)round % 130;
		at = sizeof(head) - 1;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 8) {
			case 0:
				raw[at + i] = '\r';
				break;
			case 1:
				raw[at + i] = '\n';
				break;
			default:
				raw[at + i] = (char)('a' + (seed >> 20) % 26);
			}
		}
		raw[at] = 'x';		/* never a blank text */
		raw[at + len] = '\0';
		for (i = w = 0; i < len; i++) {
			if (raw[at + i] == '\r') {
				want[w++] = '\n';
				if (i + 1 < len && raw[at + i + 1] == '\n')
					i++;
			} else
				want[w++] = raw[at + i];
		}
		want[w] = '\0';
		assert_only_text(raw, want);
	}
}

/*
 * A message found to be ASCII as its line ends are made keeps its text
 * where it lies when its charset reads ASCII as it is, and is still
 * converted from one that does not.
 */
static void
test_ascii_text_charsets(void **state)
{
	(void)state;
	assert_only_text("Subject: a message long enough for blocks\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
	    "abcd\r\n", "abcd\n");
	assert_only_text("Subject: a message long enough for blocks\r\n"
	    "Content-Type: text/plain; charset=utf-16le\r\n\r\n"
	    "abcd", "\xe6\x89\xa1\xe6\x91\xa3");
	assert_only_text("Subject: a message long enough for blocks\r\n"
	    "Content-Type: text/plain; charset=utf-16le\r\n\r\n"
	    "ab\xc3\xa9", "\xe6\x89\xa1\xea\xa7\x83");
	assert_only_text("Subject: a message long enough for blocks, "
	    "\xc3\xa9\r\n\r\nabcd \xe9\r\n", "abcd \xc3\xa9\n");
}

/*
 * Part types libetpan read before are hidden from it as it parses: each
 * part reads as the first time, with more kinds in one message than are
 * kept, two types in a part (the first wins), a "name", a digest (whose
 * parts libetpan reads otherwise), and the text left as it was.
 */
static void
test_part_types_kept(void **state)
{
	struct buf b;
	struct mime_message *m;
	int i, k;

	(void)state;
	for (k = 0; k < 2; k++) {
		buf_init(&b, 1 << 16);
		buf_addstr(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
		for (i = 0; i < 12; i++) {
			char part[160];

			snprintf(part, sizeof(part), "--b\nContent-Type: "
			    "text/plain; charset=utf-8; x=%d\n\n"
			    "Content-Type: part %d\n", i, i);
			buf_addstr(&b, part);
		}
		buf_addstr(&b, "--b\nContent-Type: text/html\n"
		    "Content-Type: text/plain\n\n<p>h</p>\n"
		    "--b\ncontent-type: text/csv; name=\"n.csv\"\n\na;b\n"
		    "--b--\n");
		m = parse_len(b.data, b.len);
		assert_int_equal(m->nparts, 14);
		for (i = 0; i < 12; i++) {
			char want[40];

			snprintf(want, sizeof(want), "Content-Type: part %d", i);
			assert_int_equal(m->parts[i].kind, MIME_PART_PLAIN);
			assert_string_equal(m->parts[i].text, want);
		}
		assert_int_equal(m->parts[12].kind, MIME_PART_HTML);
		assert_string_equal(mime_part_text(m, &m->parts[12]), "h\n");
		assert_int_equal(m->parts[13].kind, MIME_PART_CSV);
		assert_string_equal(m->parts[13].filename, "n.csv");
		mime_message_free(m);
		buf_free(&b);
	}
	m = parse("Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\nContent-Type: text/plain\n\none\n"
	    "--d\n\nSubject: two\n\ntwo\n--d--\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text, "one");
	assert_string_equal(m->parts[1].text, "two");
	mime_message_free(m);
}

/* Multipart types of the usual shape are read by the pre-scan without
 * libetpan: folded, quoted or not, the boundary after other parameters;
 * a line of blanks in the field is left to libetpan, which stops there
 * and reads no type at all. */
static void
test_multipart_type_forms(void **state)
{
	static const char *const ct[] = {
		"multipart/mixed; boundary=\"b1\"",
		"Multipart/Mixed;\n\tboundary=b1",
		"multipart / mixed ; charset=x; BOUNDARY = \"b1\" ;",
		"multipart/report; report-type=delivery-status;\n boundary=b1",
	};
	struct mime_message *m;
	char raw[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ct) / sizeof(ct[0]); i++) {
		snprintf(raw, sizeof(raw), "Content-Type: %s\n\n"
		    "--b1\nContent-Type: text/plain\n\none\n"
		    "--b1\n\ntwo\n--b1--\n", ct[i]);
		m = parse(raw);
		assert_int_equal(m->nparts, 2);
		assert_string_equal(m->parts[0].text, "one");
		assert_string_equal(m->parts[1].text, "two");
		assert_int_equal(m->is_report, i == 3);
		mime_message_free(m);
	}
	m = parse("Content-Type: multipart/mixed;\n \n boundary=b1\n\n"
	    "--b1\n\none\n--b1--\n");
	assert_int_equal(m->nparts, 1);
	assert_non_null(strstr(m->parts[0].text, "--b1"));
	mime_message_free(m);
}

/*
 * mime_header_get() finds the first field of a name whatever its case,
 * and nothing for names the header lacks: names of one to three bytes of
 * a few letters, digits and '-', asked in every case, against a search
 * through all the fields.
 */
static void
test_header_get_names(void **state)
{
	static const char bytes[] = "aBx-1";
	struct buf b;
	struct mime_message *m;
	char name[4], asked[4], line[32];
	const char *want, *got;
	unsigned seed = 5;
	size_t i, k, n;
	int round;

	(void)state;
	for (round = 0; round < 50; round++) {
		buf_init(&b, 1 << 16);
		for (i = 0; i < 12; i++) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 3;
			for (k = 0; k < n; k++)
				name[k] = bytes[(seed >> (20 + 2 * k)) % 5];
			name[n] = '\0';
			snprintf(line, sizeof(line), "%s: v%zu\n", name, i);
			buf_addstr(&b, line);
		}
		buf_addstr(&b, "\nbody\n");
		m = parse(b.data);
		assert_int_equal(m->nheaders, 12);
		for (i = 0; i < 200; i++) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 3;
			for (k = 0; k < n; k++) {
				asked[k] = bytes[(seed >> (20 + 2 * k)) % 5];
				if ((seed >> (26 + k)) & 1)
					asked[k] ^= 0x20 * (asked[k] >= 'A');
			}
			asked[n] = '\0';
			want = NULL;
			for (k = 0; k < m->nheaders && want == NULL; k++)
				if (strcasecmp(m->headers[k].name, asked) == 0)
					want = m->headers[k].value;
			got = mime_header_get(m, asked);
			assert_ptr_equal(got, want);
		}
		assert_null(mime_header_get(m, ""));
		mime_message_free(m);
		buf_free(&b);
	}
}

static void
test_header_values_clean(void **state)
{
	struct mime_message *m;
	struct buf b;
	size_t i, j;

	(void)state;
	buf_init(&b, 1 << 22);
	buf_addstr(&b, "Subject: a =?utf-8?q?b=0Dc=0Ad?= e\n");
	buf_addstr(&b, "X-Long: ");
	for (i = 0; i < 100000; i++)
		buf_addstr(&b, "xyz ");
	buf_addstr(&b, "\n");
	for (i = 0; i < 600; i++)
		buf_printf(&b, "Received: hop %zu\n", i);
	buf_addstr(&b, "\nbody\n");
	m = parse_len(b.data, b.len);
	assert_int_equal(m->nheaders, LIMIT_HEADER_COUNT);
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "header fields"));
	for (i = 0; i < m->nheaders; i++) {
		const char *v = m->headers[i].value;

		assert_true(strlen(v) <= LIMIT_HEADER_BYTES);
		for (j = 0; v[j]; j++)
			assert_true((unsigned char)v[j] >= 32);
	}
	assert_string_equal(mime_header_get(m, "subject"), "a b c d e");
	buf_free(&b);
	mime_message_free(m);
}

/* What a header value is read as: its lines joined, control bytes and
 * DEL as spaces, both ends trimmed, at most max bytes. */
static void
value_model(const char *v, char *out, size_t max)
{
	size_t o = 0, k;
	char *w;

	for (; *v; v++)
		if (*v != '\n')
			out[o++] = (unsigned char)*v < 0x20 || *v == 0x7f ?
			    ' ' : *v;
	out[o] = '\0';
	for (w = out; *w == ' '; w++)
		;
	k = strlen(w);
	while (k > 0 && w[k - 1] == ' ')
		k--;
	if (k > max)
		k = max;
	memmove(out, w, k);
	out[k] = '\0';
}

/* Each value of the alphabet with odd[i] in place of its letter j, for
 * every i and j, read as value_model() says. */
static void
odd_values(const char *const *odd, size_t nodd)
{
	const char base[] = "abcdefghijklmnopqrstuvw";
	struct mime_message *m;
	char val[128], raw[160], want[128];
	size_t i, j, len = sizeof(base) - 1;

	for (i = 0; i < nodd; i++) {
		for (j = 0; j < len; j++) {
			snprintf(val, sizeof(val), "%.*s%s%s", (int)j, base,
			    odd[i], base + j + 1);
			snprintf(raw, sizeof(raw), "X-V: %s\n\nbody\n", val);
			value_model(val, want, LIMIT_HEADER_BYTES);
			m = parse(raw);
			assert_string_equal(mime_header_get(m, "x-v"), want);
			mime_message_free(m);
		}
	}
}

/* Header values with a control byte, DEL or a UTF-8 letter at each
 * place, on either side of the eight-byte steps of the printable-ASCII
 * scan: control bytes and DEL become spaces, the ends are trimmed. */
static void
test_header_values_bytes(void **state)
{
	static const char *const odd[] = { "\t", "\x01", "\x7f", "\x1f",
	    "\xc3\xa9", "~", " " };
	struct mime_message *m;

	(void)state;
	odd_values(odd, sizeof(odd) / sizeof(odd[0]));
	/* Only spaces, and nothing. */
	m = parse("X-A:         \nX-B:\n\nbody\n");
	assert_string_equal(mime_header_get(m, "x-a"), "");
	assert_string_equal(mime_header_get(m, "x-b"), "");
	mime_message_free(m);
}

/* Folded values, read without joining their lines first when they are
 * ASCII without "=?": a fold, a control byte, DEL or a UTF-8 letter at
 * each place; an empty first line; blanks only at the end; a value
 * folded past the longest kept, cut where the joined text is. */
static void
test_header_values_folded(void **state)
{
	static const char *const odd[] = { "\n\t", "\n ", "\n\t\x01",
	    "\x01\n\t", "\x7f", "\xc3\xa9\n\t", "\t", "\n\t\n " };
	struct mime_message *m;
	struct buf b;
	char *big, *bigwant;
	size_t i;

	(void)state;
	odd_values(odd, sizeof(odd) / sizeof(odd[0]));
	m = parse("X-A:\n\tfirst\n  second \n\t\nX-B: \x01\n \x7f\n\nbody\n");
	assert_string_equal(mime_header_get(m, "x-a"), "first  second");
	assert_string_equal(mime_header_get(m, "x-b"), "");
	mime_message_free(m);

	/* Past the limit, with a fold every 50 bytes and one at the cut. */
	buf_init(&b, LIMIT_HEADER_BYTES * 2 + 64);
	buf_addstr(&b, "X-Big: ");
	for (i = 0; b.len < LIMIT_HEADER_BYTES * 2; i++) {
		buf_addstr(&b, i % 7 == 3 ? "=x\tyz" : "abcde");
		if (i % 10 == 9)
			buf_addstr(&b, "\n\t");
	}
	buf_addstr(&b, "\n\nbody\n");
	big = xstrndup(b.data + 7, b.len - 7 - 7);
	bigwant = xmalloc(strlen(big) + 1);
	value_model(big, bigwant, LIMIT_HEADER_BYTES);
	m = parse_len(b.data, b.len);
	assert_string_equal(mime_header_get(m, "x-big"), bigwant);
	mime_message_free(m);
	free(big);
	free(bigwant);
	buf_free(&b);
}

/* Decoded words with control bytes and UTF-8 letters, and a UTF-8 value
 * past the limit: cut before a letter, not through it. */
static void
test_header_values_utf8(void **state)
{
	struct mime_message *m;
	struct buf b;
	const char *v;
	size_t i, j;

	(void)state;
	m = parse("Subject: =?utf-8?q?caf=C3=A9=09au=7Flait?= x\n"
	    "X-A: \xc3\xa9t\xc3\xa9\x01\t\xc3\xa9\n\nbody\n");
	assert_string_equal(mime_header_get(m, "subject"),
	    "caf\xc3\xa9 au lait x");
	assert_string_equal(mime_header_get(m, "x-a"),
	    "\xc3\xa9t\xc3\xa9  \xc3\xa9");
	mime_message_free(m);
	for (j = 0; j < 2; j++) {
		buf_init(&b, LIMIT_HEADER_BYTES * 2 + 64);
		buf_addstr(&b, "X-Big: ");
		for (i = 0; i < j; i++)
			buf_addch(&b, 'a');
		while (b.len < LIMIT_HEADER_BYTES + 64)
			buf_addstr(&b, "\xc3\xa9\x01");
		buf_addstr(&b, "\n\nbody\n");
		m = parse_len(b.data, b.len);
		v = mime_header_get(m, "x-big");
		assert_true(strlen(v) <= LIMIT_HEADER_BYTES);
		assert_true(strlen(v) >= LIMIT_HEADER_BYTES - 2);
		assert_true(text_is_utf8(v, strlen(v)));
		mime_message_free(m);
		buf_free(&b);
	}
}

static void
test_rfc2231_filename(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=\"=_b\"\n\n"
	    "--=_b\n"
	    "Content-Type: text/plain\n\n"
	    "See attached.\n"
	    "--=_b\n"
	    "Content-Type: text/csv; charset=utf-8\n"
	    "Content-Disposition: attachment;\n"
	    " filename*=utf-8''caf%C3%A9%20list.csv\n\n"
	    "a,b\n"
	    "--=_b\n"
	    "Content-Type: text/plain; name*0*=iso-8859-1''r%E9sum;\n"
	    " name*1=\"e final.txt\"\n\n"
	    "resume\n"
	    "--=_b\n"
	    "Content-Type: text/plain\n"
	    "Content-Disposition: attachment; filename=\"=?utf-8?B?"
	    "Y2Fmw6kudHh0?=\"\n\n"
	    "encoded word name\n"
	    "--=_b\n"
	    "Content-Type: text/plain; name=\"na\xc3\xafve.txt\"\n\n"
	    "raw utf-8 name\n"
	    "--=_b\n"
	    "Content-Type: text/plain; charset=us-ascii;\n"
	    "\tNAME*0=\"up\"; Name*1=\"per.txt\"\n\n"
	    "upper-case parameter names\n"
	    "--=_b--\n");
	assert_int_equal(m->nparts, 6);
	assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
	assert_null(m->parts[0].filename);
	assert_int_equal(m->parts[1].kind, MIME_PART_CSV);
	assert_string_equal(m->parts[1].filename, "caf\xc3\xa9 list.csv");
	assert_string_equal(m->parts[1].text, "a,b");
	assert_int_equal(m->parts[2].kind, MIME_PART_ATTACHED_TEXT);
	assert_string_equal(m->parts[2].filename, "r\xc3\xa9sume final.txt");
	assert_string_equal(m->parts[3].filename, "caf\xc3\xa9.txt");
	assert_int_equal(m->parts[3].kind, MIME_PART_ATTACHED_TEXT);
	assert_string_equal(m->parts[4].filename, "na\xc3\xafve.txt");
	assert_string_equal(m->parts[5].filename, "upper.txt");
	mime_message_free(m);
}

static void
test_html_only(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Subject: table\n"
	    "Content-Type: text/html; charset=windows-1252\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "<html><head><style>p {color: red}</style></head><body>\n"
	    "<p>Dear Secretariat,</p>\n"
	    "<table><tr><th>Pays</th><th>Nom</th></tr>\n"
	    "<tr><td>C=F4te d=92Ivoire</td><td>Kon=E9</td></tr></table>\n"
	    "</body></html>\n");
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].kind, MIME_PART_HTML);
	assert_string_equal(m->parts[0].text, "Dear Secretariat,\n"
	    "Pays\tNom\n"
	    "C\xc3\xb4te d\xe2\x80\x99Ivoire\tKon\xc3\xa9\n");
	assert_int_equal(m->parts[0].len, strlen(m->parts[0].text));
	mime_message_free(m);
}

static void
test_alternative_groups(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=alt1\n\n"
	    "--alt1\n"
	    "Content-Type: text/plain\n\n"
	    "plain one\n"
	    "--alt1\n"
	    "Content-Type: multipart/related; boundary=rel\n\n"
	    "--rel\n"
	    "Content-Type: text/html\n\n"
	    "<p>html one</p>\n"
	    "--rel\n"
	    "Content-Type: image/png\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "iVBORw0KGgo=\n"
	    "--rel--\n"
	    "--alt1--\n"
	    "--outer\n"
	    "Content-Type: text/plain\n\n"
	    "outside\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=alt2\n\n"
	    "--alt2\n"
	    "Content-Type: text/plain\n\n"
	    "plain two\n"
	    "--alt2\n"
	    "Content-Type: text/html\n\n"
	    "<b>html two</b>\n"
	    "--alt2--\n"
	    "--outer--\n");
	assert_int_equal(m->nparts, 5);
	assert_string_equal(m->parts[0].text, "plain one");
	assert_int_equal(m->parts[0].alternative, 0);
	assert_int_equal(m->parts[1].kind, MIME_PART_HTML);
	/* After its plain twin: flattened only when asked for. */
	assert_int_equal(m->parts[1].html_pending, 1);
	assert_string_equal(mime_part_text(m, &m->parts[1]), "html one\n");
	assert_int_equal(m->parts[1].html_pending, 0);
	assert_string_equal(mime_part_text(m, &m->parts[1]), "html one\n");
	assert_int_equal(m->parts[1].alternative, 0);
	assert_string_equal(m->parts[2].text, "outside");
	assert_int_equal(m->parts[2].alternative, -1);
	assert_int_equal(m->parts[3].alternative, 1);
	assert_int_equal(m->parts[4].alternative, 1);
	assert_string_equal(mime_part_text(m, &m->parts[4]), "html two\n");
	assert_int_equal(m->nattachments, 1);	/* the inline image */
	mime_message_free(m);
}

static void
test_csv_attachments(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n"
	    "Content-Type: application/vnd.ms-excel; name=\"officials.csv\"\n"
	    "Content-Disposition: attachment; filename=\"officials.csv\"\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "Q291bnRyeTtOYW1lDQpLZW55YTtPdGlldG8NCg==\n"
	    "--b\n"
	    "Content-Type: application/octet-stream; name=\"bin.csv\"\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "AAECAwQFBgc=\n"
	    "--b\n"
	    "Content-Type: text/comma-separated-values\n\n"
	    "x,y\n"
	    "--b\n"
	    "Content-Type: application/pdf; name=form.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "JVBERi0xLjQK\n"
	    "--b--\n");
	assert_int_equal(m->nparts, 2);
	assert_int_equal(m->parts[0].kind, MIME_PART_CSV);
	assert_string_equal(m->parts[0].filename, "officials.csv");
	assert_string_equal(m->parts[0].text, "Country;Name\nKenya;Otieto\n");
	assert_int_equal(m->parts[1].kind, MIME_PART_CSV);
	assert_string_equal(m->parts[1].text, "x,y");
	/* The binary "csv" and the pdf. */
	assert_int_equal(m->nattachments, 2);
	mime_message_free(m);
}

static void
test_nested_rfc822(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("From: forwarder@example.org\n"
	    "Subject: Fwd: request\n"
	    "Content-Type: multipart/mixed; boundary=\"fw\"\n\n"
	    "--fw\n"
	    "Content-Type: text/plain\n\n"
	    "Please see the request below.\n"
	    "--fw\n"
	    "Content-Type: message/rfc822\n\n"
	    "From: official@example.gov\n"
	    "Subject: Inner subject\n"
	    "Content-Type: multipart/alternative; boundary=in\n\n"
	    "--in\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Pays : S=E9n=E9gal\n"
	    "--in\n"
	    "Content-Type: text/html\n\n"
	    "<p>Pays : S&eacute;n&eacute;gal</p>\n"
	    "--in--\n"
	    "--fw--\n");
	assert_int_equal(m->nparts, 3);
	assert_string_equal(m->parts[1].text, "Pays : S\xc3\xa9n\xc3\xa9gal");
	assert_int_equal(m->parts[1].alternative, 0);
	assert_string_equal(mime_part_text(m, &m->parts[2]),
	    "Pays : S\xc3\xa9n\xc3\xa9gal\n");
	/* The inner message's header is not the message's header. */
	assert_string_equal(mime_header_get(m, "Subject"), "Fwd: request");
	assert_int_equal(m->nheaders, 3);
	assert_int_equal(m->nattachments, 0);
	mime_message_free(m);
}

static void
test_report(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("From: MAILER-DAEMON@example.org\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"rep\"\n\n"
	    "--rep\n"
	    "Content-Type: text/plain\n\n"
	    "Delivery failed.\n"
	    "--rep\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example.org\n"
	    "--rep--\n");
	assert_int_equal(m->is_report, 1);
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->nattachments, 0);
	mime_message_free(m);

	m = parse("Content-Type: text/plain\n\nnot a report\n");
	assert_int_equal(m->is_report, 0);
	mime_message_free(m);
}

static void
test_unsafe_boundary(void **state)
{
	static const char *const raws[] = {
		/* As in the library notes: libetpan 1.9.4 overflows. */
		"From: a@b.c\n"
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\n\n"
		"--\"\n"
		"Content-Type: text/plain\n\nx\n",
		/* Spelled otherwise, CRLF, a comment, upper case. */
		"From: a@b.c\r\n"
		"CONTENT-TYPE: Multipart/Mixed;\r\n"
		" BOUNDARY = (c) \"\\\"\"\r\n\r\nbody\r\n",
		/* An encoded word libetpan decodes before parsing. */
		"Content-Type: multipart/mixed; boundary= "
		"=?us-ascii?q?=22=5C=22=22?=\n\nbody\n",
		/* In a nested part. */
		"Content-Type: multipart/mixed; boundary=ok\n\n"
		"--ok\n"
		"Content-Type: multipart/alternative; boundary=\"\\\"\"\n\n"
		"--\"\n\nx\n"
		"--ok--\n",
		/* In a forwarded message's header. */
		"Content-Type: message/rfc822\n\n"
		"Subject: inner\n"
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\n\nx\n",
		/* The type on a line of its own, in upper case, or as an
		 * encoded word (the message header's Content-Type is only
		 * parsed when it may name a multipart or message type). */
		"Content-Type:\n MULTIPART/mixed;\n boundary=\"\\\"\"\n\nx\n",
		"Content-Type: =?us-ascii?b?bXVsdGlwYXJ0?=/mixed; "
		"boundary=\"\\\"\"\n\nx\n",
		"Content-Type: MESSAGE/RFC822\n\n"
		"Content-Type: Multipart/Mixed; boundary=\"\\\"\"\n\nx\n",
		NULL
	};
	struct mime_message *m = NULL;
	char err[128];
	int i;

	(void)state;
	for (i = 0; raws[i]; i++) {
		err[0] = '\0';
		assert_int_equal(mime_parse(raws[i], strlen(raws[i]), &m, err,
		    sizeof(err)), -1);
		assert_null(m);
		assert_string_equal(err, "unsafe MIME boundary");
	}
	/* A quote inside a longer boundary is fine. */
	m = parse("Content-Type: multipart/mixed; boundary=\"a\\\"b\"\n\n"
	    "--a\"b\nContent-Type: text/plain\n\nok\n--a\"b--\n");
	assert_string_equal(only_text(m), "ok");
	mime_message_free(m);
	/* Merely mentioning it in a body is fine too. */
	m = parse("Subject: about the bug\n\n"
	    "Text\nContent-Type: multipart/mixed; boundary=\"\\\"\"\n");
	assert_int_equal(m->nparts, 1);
	mime_message_free(m);
}

static void
test_encoded_forward(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Subject: outer\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\n"
	    "Content-Type: text/plain\n\n"
	    "see attached\n"
	    "--m\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "U3ViamVjdDogaW5uZXINCkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbjsgY2hh\n"
	    "cnNldD11dGYtOA0KDQpQYXlzIDogTWFsaQ0K\n"
	    "--m\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PSJcIiIN\n"
	    "Cg0KeA0K\n"
	    "--m--\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text, "see attached");
	assert_string_equal(m->parts[1].text, "Pays : Mali\n");
	assert_int_equal(m->nheaders, 2);
	assert_string_equal(mime_header_get(m, "Subject"), "outer");
	/* The unsafe one inside is left out, not fatal. */
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "unsafe MIME boundary, left out"));
	mime_message_free(m);
}

static void
test_broken_multipart(void **state)
{
	struct mime_message *m;

	(void)state;
	/* The boundary never comes: the body is still read. */
	m = parse("Content-Type: multipart/mixed; boundary=zz\n\n"
	    "Hello there\nCountry: Peru\n");
	assert_string_equal(only_text(m), "Hello there\nCountry: Peru");
	assert_int_equal(m->parts[0].kind, MIME_PART_PLAIN);
	mime_message_free(m);

	/* A boundary libetpan cannot read (RFC 2231). */
	m = parse("Content-Type: multipart/report; report-type=x;\n"
	    "\tboundary*=\"us-ascii''abc\"\n\n"
	    "--abc\nContent-Type: text/plain\n\nDelivery failed\n--abc--\n");
	assert_int_equal(m->is_report, 1);
	assert_int_equal(m->nparts, 1);
	assert_non_null(strstr(m->parts[0].text, "Delivery failed"));
	mime_message_free(m);
}

static void
test_many_parts(void **state)
{
	struct mime_message *m;
	struct buf b;
	double t;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 24);
	buf_addstr(&b, "Subject: many\n"
	    "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "--p\nContent-Type: text/plain\n\npart %zu\n", i);
	buf_addstr(&b, "--p--\n");
	t = now();
	m = parse_len(b.data, b.len);
	t = now() - t;
	assert_true(t < time_limit());
	assert_int_equal(m->nparts, LIMIT_MIME_PARTS);
	assert_string_equal(m->parts[999].text, "part 999");
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "left out"));
	mime_message_free(m);
	buf_free(&b);
}

static void
test_deep_nesting(void **state)
{
	struct mime_message *m;
	struct buf b;
	double t;
	int i;

	(void)state;
	/* 2,000 nested multiparts, properly closed. */
	buf_init(&b, 1 << 24);
	buf_addstr(&b, "Subject: deep\n"
	    "Content-Type: multipart/mixed; boundary=b0000\n\n");
	for (i = 1; i < 2000; i++)
		buf_printf(&b, "--b%04d\nContent-Type: multipart/mixed; "
		    "boundary=b%04d\n\n", i - 1, i);
	buf_addstr(&b, "--b1999\nContent-Type: text/plain\n\ndeep text\n");
	for (i = 1999; i >= 0; i--)
		buf_printf(&b, "--b%04d--\n", i);
	t = now();
	m = parse_len(b.data, b.len);
	t = now() - t;
	assert_true(t < time_limit());
	assert_int_equal(m->truncated, 1);
	assert_int_equal(m->nparts, 0);
	assert_string_equal(mime_header_get(m, "Subject"), "deep");
	assert_non_null(strstr(m->notes, "header only"));
	mime_message_free(m);
	buf_free(&b);

	/* 2,000 nested forwarded messages. */
	buf_init(&b, 1 << 24);
	buf_addstr(&b, "Subject: deep\n");
	for (i = 0; i < 2000; i++)
		buf_addstr(&b, "Content-Type: message/rfc822\n\n");
	buf_addstr(&b, "Subject: inner\n\ntext\n");
	t = now();
	m = parse_len(b.data, b.len);
	assert_true(now() - t < time_limit());
	assert_int_equal(m->truncated, 1);
	assert_int_equal(m->nparts, 0);
	mime_message_free(m);
	buf_free(&b);

	/* 40 levels: parsed, but parts deeper than LIMIT_MIME_DEPTH are
	 * left out. */
	buf_init(&b, 1 << 20);
	buf_addstr(&b, "Content-Type: multipart/mixed; boundary=b0000\n\n"
	    "--b0000\nContent-Type: text/plain\n\nshallow\n");
	for (i = 1; i < 40; i++)
		buf_printf(&b, "--b%04d\nContent-Type: multipart/mixed; "
		    "boundary=b%04d\n\n", i - 1, i);
	buf_addstr(&b, "--b0039\nContent-Type: text/plain\n\ndeep text\n");
	for (i = 39; i >= 0; i--)
		buf_printf(&b, "--b%04d--\n", i);
	m = parse_len(b.data, b.len);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "shallow");
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "deeper"));
	mime_message_free(m);
	buf_free(&b);
}

static void
test_costly_structure_bounded(void **state)
{
	struct mime_message *m;
	struct buf b;
	double t;
	size_t i;

	(void)state;
	/* Comments nested 100,000 deep overflow libetpan's stack. */
	buf_init(&b, 1 << 22);
	buf_addstr(&b, "From: ");
	for (i = 0; i < 100000; i++)
		buf_addch(&b, '(');
	buf_addstr(&b, "\nContent-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain; x=");
	for (i = 0; i < 50000; i++)
		buf_addch(&b, '(');
	buf_addstr(&b, "\n\nstill read\n--x--\n");
	m = parse_len(b.data, b.len);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "still read");
	assert_non_null(strstr(m->notes, "flattened"));
	mime_message_free(m);
	buf_free(&b);

	/* Millions of header fields in a part. */
	buf_init(&b, 1 << 24);
	buf_addstr(&b, "Subject: fields\n"
	    "Content-Type: multipart/mixed; boundary=x\n\n--x\n");
	for (i = 0; i < 2000000; i++)
		buf_addstr(&b, "a:b\n");
	buf_addstr(&b, "\nbody\n--x--\n");
	t = now();
	m = parse_len(b.data, b.len);
	assert_true(now() - t < time_limit());
	assert_int_equal(m->truncated, 1);
	assert_int_equal(m->nparts, 0);
	mime_message_free(m);
	buf_free(&b);

	/* 100 nested multiparts around 8 MiB: libetpan would scan it 100
	 * times. */
	buf_init(&b, 1 << 24);
	buf_addstr(&b, "Content-Type: multipart/mixed; boundary=b000\n\n");
	for (i = 1; i < 100; i++)
		buf_printf(&b, "--b%03zu\nContent-Type: multipart/mixed; "
		    "boundary=b%03zu\n\n", i - 1, i);
	buf_addstr(&b, "--b099\n\n");
	for (i = 0; i < 8 * 1024 * 1024 / 64; i++)
		buf_addstr(&b, "0123456789012345678901234567890123456789012345"
		    "678901234567890\n");
	t = now();
	m = parse_len(b.data, b.len);
	assert_true(now() - t < time_limit());
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "header only"));
	mime_message_free(m);
	buf_free(&b);
}

static void
test_oversized_message(void **state)
{
	struct mime_message *m;
	size_t len = LIMIT_MESSAGE_BYTES + 1000;
	char *raw = malloc(len);
	static const char hdr[] = "Subject: big\n\n";

	(void)state;
	assert_non_null(raw);
	memset(raw, 'a', len);
	memcpy(raw, hdr, sizeof(hdr) - 1);
	m = parse_len(raw, len);
	assert_int_equal(m->truncated, 1);
	assert_non_null(strstr(m->notes, "MiB cut"));
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].len, LIMIT_PART_TEXT);
	mime_message_free(m);
	free(raw);
}

/* Filler lines, a multiple of 64 bytes long, each line ending in eol. */
static void
add_filler(struct buf *b, size_t bytes, const char *eol)
{
	static const char fill[] = "Country: Kenya, with text to fill a "
	    "line of sixty-four bytes";
	size_t n = sizeof(fill) - 1 + strlen(eol), i;

	for (i = 0; i < bytes / n; i++) {
		buf_addstr(b, fill);
		buf_addstr(b, eol);
	}
}

/*
 * Delimiters among lines with dashes elsewhere: the pre-scan passes over
 * body lines to the next one that opens with "--", and counts those.
 */
static void
test_delimiter_lines(void **state)
{
	struct mime_message *m;
	struct buf b;
	size_t k, extra;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "pre-amble - with - dashes\n-\n- -\n--\n"
	    "--b\nContent-Type: text/plain\n\n"
	    "one-two\n -- b\n---b\n-b\nlast-\n"
	    "--b\nContent-Type: text/plain\n\nsecond-\n-\n--b--");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text,
	    "one-two\n -- b\n---b\n-b\nlast-");
	assert_string_equal(m->parts[1].text, "second-\n-");
	mime_message_free(m);

	/* A delimiter as the last line, without a newline, after a line
	 * that ends with a dash. */
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nx-\n--b");
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "x-");
	mime_message_free(m);

	/* Lines opening with "--" counted among others, the last without
	 * a newline. */
	for (extra = 0; extra < 2; extra++) {
		buf_init(&b, LIMIT_MESSAGE_BYTES);
		buf_addstr(&b, "Subject: dashes\n\ntext\n");
		for (k = 1; k < LIMIT_MIME_DELIMS + extra; k++)
			buf_addstr(&b, k % 2 ? "a-b\n--\n" : "-\n -- \n--x\n");
		buf_addstr(&b, "--");
		m = parse_len(b.data, b.len);
		if (extra) {
			assert_int_equal(m->nparts, 0);
			assert_non_null(strstr(m->notes,
			    "too many boundary lines"));
		} else {
			assert_int_equal(m->nparts, 1);
			assert_memory_equal(m->parts[0].text,
			    "text\na-b\n--\n-\n -- \n", 19);
		}
		mime_message_free(m);
		buf_free(&b);
	}
}

/*
 * A single-part body far longer than what is decoded of it: the text is
 * cut and says so, and the boundary lines after the part read still
 * count (past LIMIT_MIME_DELIMS only the header is read), however lines
 * end.
 */
static void
test_large_single_part(void **state)
{
	static const char *const eols[] = { "\n", "\r\n", "\r" };
	struct mime_message *m;
	struct buf b;
	size_t i, k, extra;

	(void)state;
	for (i = 0; i < 3; i++) {
		for (extra = 0; extra < 2; extra++) {
			buf_init(&b, LIMIT_MESSAGE_BYTES);
			buf_printf(&b, "Subject: big%sContent-Type: text/plain"
			    "%s%sfirst line%s", eols[i], eols[i], eols[i],
			    eols[i]);
			add_filler(&b, 9 * 1024 * 1024, eols[i]);
			/* A lone "-" line, then boundary-like lines. */
			buf_printf(&b, "-%s", eols[i]);
			for (k = 0; k < LIMIT_MIME_DELIMS + extra; k++)
				buf_printf(&b, "--%s", eols[i]);
			assert_true(b.len < LIMIT_MESSAGE_BYTES);
			m = parse_len(b.data, b.len);
			assert_string_equal(mime_header_get(m, "Subject"),
			    "big");
			assert_int_equal(m->truncated, 1);
			if (extra) {
				assert_int_equal(m->nparts, 0);
				assert_non_null(strstr(m->notes,
				    "too many boundary lines"));
			} else {
				assert_int_equal(m->nparts, 1);
				assert_int_equal(m->parts[0].len,
				    LIMIT_PART_TEXT);
				assert_memory_equal(m->parts[0].text,
				    "first line\nCountry", 18);
				assert_non_null(strstr(m->notes, "text cut"));
			}
			mime_message_free(m);
			buf_free(&b);
		}
	}

	/* A part just under the text cap, a NUL and bare CRs at its end:
	 * read whole. */
	buf_init(&b, LIMIT_MESSAGE_BYTES);
	buf_addstr(&b, "Subject: fits\n\n");
	add_filler(&b, LIMIT_PART_TEXT - 64, "\n");
	k = b.len - 15;
	buf_add(&b, "a\0b\rc\r\n", 7);
	m = parse_len(b.data, b.len);
	assert_int_equal(m->truncated, 0);
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].len, k + 6);
	assert_string_equal(m->parts[0].text + k, "a b\nc\n");
	mime_message_free(m);
	buf_free(&b);
}

/* A multipart body longer than one part's reading: later parts are all
 * found, and so is a boundary far into a part its header said nothing
 * of (the first Content-Type field is not multipart). */
static void
test_large_multipart(void **state)
{
	struct mime_message *m;
	struct buf b;

	(void)state;
	buf_init(&b, LIMIT_MESSAGE_BYTES);
	buf_addstr(&b, "Subject: parts\n"
	    "Content-Type: multipart/mixed; boundary=zz\n\n"
	    "--zz\nContent-Type: text/plain\n\nfirst\n");
	add_filler(&b, 10 * 1024 * 1024, "\n");
	buf_addstr(&b, "--zz\nContent-Type: text/plain\n\nsecond\n--zz--\n");
	m = parse_len(b.data, b.len);
	assert_int_equal(m->nparts, 2);
	assert_int_equal(m->parts[0].len, LIMIT_PART_TEXT);
	assert_string_equal(m->parts[1].text, "second");
	assert_int_equal(m->truncated, 1);
	mime_message_free(m);
	buf_free(&b);

	buf_init(&b, LIMIT_MESSAGE_BYTES);
	buf_addstr(&b, "Subject: late\nContent-Type: text/plain\n"
	    "Content-Type: multipart/mixed; boundary=zz\n\n");
	add_filler(&b, 10 * 1024 * 1024, "\n");
	buf_addstr(&b, "--zz\nContent-Type: text/plain\n\nlate\n--zz--\n");
	m = parse_len(b.data, b.len);
	assert_true(m->nparts >= 1);
	assert_non_null(strstr(m->parts[0].text, "Country: Kenya"));
	assert_int_equal(m->truncated, 1);
	mime_message_free(m);
	buf_free(&b);
}

/* Decoding stops past the text cap, and a text of exactly the cap is not
 * cut. */
static void
test_decode_at_cap(void **state)
{
	static const char *const ctes[] = { "base64", "quoted-printable" };
	struct mime_message *m;
	struct buf b;
	size_t i, n, extra;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (extra = 0; extra < 4; extra += 3) {
			buf_init(&b, LIMIT_MESSAGE_BYTES);
			buf_printf(&b, "Subject: d\nContent-Type: text/plain\n"
			    "Content-Transfer-Encoding: %s\n\n", ctes[i]);
			/* "abc" over and over, then "ab". */
			assert_int_equal((LIMIT_PART_TEXT + extra) % 3, 2);
			for (n = 0; n < (LIMIT_PART_TEXT + extra) / 3; n++)
				buf_addstr(&b, i == 0 ? "YWJj" : "a=62c");
			buf_addstr(&b, i == 0 ? "YWI=" : "ab");
			m = parse_len(b.data, b.len);
			assert_int_equal(m->nparts, 1);
			assert_int_equal(m->parts[0].len, LIMIT_PART_TEXT);
			assert_int_equal(m->truncated, extra > 0);
			assert_memory_equal(m->parts[0].text +
			    LIMIT_PART_TEXT - 3, "cab", 3);
			mime_message_free(m);
			buf_free(&b);
		}
	}
}

static void
test_line_ends(void **state)
{
	static const char lf[] = "Subject: ends\n"
	    "Content-Type: multipart/mixed; boundary=e\n\n"
	    "--e\nContent-Type: text/plain\n\nline one\nline two\n--e--\n";
	static const char crlf[] = "Subject: ends\r\n"
	    "Content-Type: multipart/mixed; boundary=e\r\n\r\n"
	    "--e\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n"
	    "--e--\r\n";
	/* Classic Mac OS: bare CR. */
	static const char cr[] = "Subject: ends\r"
	    "Content-Type: multipart/mixed; boundary=e\r\r"
	    "--e\rContent-Type: text/plain\r\rline one\rline two\r--e--\r";
	const char *const raws[] = { lf, crlf, cr };
	struct mime_message *m;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		m = parse(raws[i]);
		assert_string_equal(mime_header_get(m, "Subject"), "ends");
		assert_string_equal(only_text(m), "line one\nline two");
		mime_message_free(m);
	}
	/* Mixed in one body: CR CR LF is two line ends, a CR at the very
	 * end one; in a quoted-printable body too, where a decoded "=0D"
	 * is a CR of its own. */
	assert_only_text("Subject: mixed\r\n\r\na\r\r\nb\rc\n\rd\r",
	    "a\n\nb\nc\n\nd\n");
	assert_only_text("Subject: mixed\r\nContent-Transfer-Encoding: "
	    "quoted-printable\r\n\r\na=0D\r\nb=0D=0Ac\r\rd=0D",
	    "a\n\nb\nc\n\nd\n");
}

static void
test_empty_and_header_only(void **state)
{
	struct mime_message *m = NULL;
	char err[128];

	(void)state;
	assert_int_equal(mime_parse("", 0, &m, err, sizeof(err)), -1);
	assert_null(m);
	assert_string_equal(err, "empty message");
	assert_int_equal(mime_parse("\n \r\n", 4, &m, err, sizeof(err)), -1);
	assert_null(m);

	m = parse("From: a@b.c\nSubject: only a header\n");
	assert_int_equal(m->nheaders, 2);
	assert_int_equal(m->nparts, 0);
	assert_int_equal(m->truncated, 0);
	mime_message_free(m);

	/* No header at all: the text is the body. */
	m = parse("just some text\nand more\n");
	assert_int_equal(m->nheaders, 0);
	assert_string_equal(only_text(m), "just some text\nand more\n");
	mime_message_free(m);

	/* An mbox separator line is not the body. */
	m = parse("From someone@example.org Mon Jan  1 00:00:00 2018\n"
	    "Subject: mbox\n\nbody\n");
	assert_string_equal(mime_header_get(m, "Subject"), "mbox");
	assert_string_equal(only_text(m), "body\n");
	mime_message_free(m);
}

static void
test_nul_bytes(void **state)
{
	static const char raw[] = "Subject: n\0ul\n\nbefore\0after\n";
	struct mime_message *m;

	(void)state;
	m = parse_len(raw, sizeof(raw) - 1);
	assert_string_equal(mime_header_get(m, "Subject"), "n ul");
	assert_string_equal(only_text(m), "before after\n");
	assert_int_equal(m->parts[0].len, 13);
	mime_message_free(m);
}

static void
test_flowed(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("Content-Type: text/plain; charset=utf-8; format=flowed; "
	    "delsp=no\n\n"
	    "Organisation: Ministry of the Environment and \n"
	    "Natural Resources\n"
	    " >not a quote\n"
	    "-- \n"
	    "sig\n");
	assert_string_equal(only_text(m), "Organisation: Ministry of the "
	    "Environment and Natural Resources\n>not a quote\n-- \nsig\n");
	mime_message_free(m);
}

static void
test_address(void **state)
{
	static const struct {
		const char *in, *addr, *name;
	} t[] = {
		{ "Jane Doe <Jane.Doe@Example.ORG>", "Jane.Doe@example.org",
		    "Jane Doe" },
		{ "\"Doe, Jane\" <jd@ex.org>", "jd@ex.org", "Doe, Jane" },
		{ "=?UTF-8?Q?Andr=c3=a9s?= <a@ex.org>", "a@ex.org",
		    "Andr\xc3\xa9s" },
		{ "jd@ex.org (Jane Doe)", "jd@ex.org", "Jane Doe" },
		{ "bare@EX.org", "bare@ex.org", NULL },
		/* Decoded names with specials defeat the grammar. */
		{ "Doe, Jane <jd@ex.org>", "jd@ex.org", "Doe, Jane" },
		{ "Undisclosed: first@ex.org, second@ex.org;", "first@ex.org",
		    NULL },
		{ "<weird@ex.org>", "weird@ex.org", NULL },
		{ "Name with <broken <ok@ex.org>", "ok@ex.org", NULL },
		/* A decoded header value, as mime_header_get() gives it. */
		{ "Andr\xc3\xa9s Rodr\xc3\xadguez <AR@MinAmbiente.GOV.co>",
		    "AR@minambiente.gov.co", "Andr\xc3\xa9s Rodr\xc3\xadguez" },
		{ NULL, NULL, NULL }
	};
	char *addr, *name;
	int i;

	(void)state;
	for (i = 0; t[i].in; i++) {
		assert_int_equal(mime_address(t[i].in, &addr, &name), 0);
		assert_string_equal(addr, t[i].addr);
		if (t[i].name != NULL)
			assert_string_equal(name, t[i].name);
		else if (i != 8)
			assert_null(name);
		free(addr);
		free(name);
	}
	assert_int_equal(mime_address("no address here", &addr, &name), -1);
	assert_int_equal(mime_address("Name <a@b@c>", &addr, &name), -1);
	assert_int_equal(mime_address("<>", &addr, &name), -1);
	assert_null(addr);
	assert_null(name);
	assert_int_equal(mime_address("", &addr, &name), -1);
	assert_int_equal(mime_address(NULL, &addr, &name), -1);
}

static void
test_address_hostile(void **state)
{
	struct buf b;
	char *addr, *name;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 60000; i++)
		buf_addch(&b, '(');
	buf_addstr(&b, "x@ex.org");
	assert_int_equal(mime_address(b.data, &addr, &name), 0);
	assert_string_equal(addr, "x@ex.org");
	free(addr);
	free(name);
	buf_free(&b);
}

static void
test_msgids(void **state)
{
	char **ids;
	size_t n, i;
	struct buf b;

	(void)state;
	n = mime_msgids("<a@b.c> <d@e.f>\n\t<g@h.i>", &ids, 10);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "a@b.c");
	assert_string_equal(ids[2], "g@h.i");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);

	n = mime_msgids("<a@b.c> <d@e.f> <g@h.i>", &ids, 2);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);

	/* Junk libetpan refuses: found by hand. */
	n = mime_msgids("junk <x y@z> <[weird]@q>", &ids, 10);
	assert_true(n >= 1);
	assert_string_equal(ids[0], "xy@z");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);

	/* Values of "<id>" items only, and others near them: the same ids
	 * whichever way they are read. */
	{
		static const struct {
			const char *v, *want;	/* ids joined by '|' */
		} c[] = {
			{ "<a@b>", "a@b" },
			{ "  <a@b>\t<c.d+e@f-g.h>  <x>", "a@b|c.d+e@f-g.h|x" },
			{ "<a@b><c@d>", "a@b|c@d" },
			{ "<caf\xc3\xa9@b.example>", "caf\xc3\xa9@b.example" },
			{ "<a@b> (comment) <c@d>", "a@b|c@d" },
			{ "<a b@c> <d@e>", "ab@c|d@e" },
			{ "<a@b> junk <c@d>", "a@b|c@d" },
			{ "<a@b>, <c@d>;", "a@b|c@d" },
			{ "<<a@b>> <c@d>", "a@b|c@d" },
			{ "<a@b> <", "a@b" },
			{ "<a@b> <>", "a@b" },
			{ "<a@b> <c\"d@e>", "a@b|c\"d@e" },
			{ "<a@b> c@d", "a@b" },
			{ "<a@[1.2.3.4]> <b;c@d>", "a@[1.2.3.4]|b;c@d" },
			{ "<\xff@b> <c@d>", "c@d" },
			{ "   ", NULL },
		};
		struct buf got;
		size_t k;

		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			n = mime_msgids(c[i].v, &ids, 10);
			buf_init(&got, 256);
			for (k = 0; k < n; k++) {
				if (k > 0)
					buf_addch(&got, '|');
				buf_addstr(&got, ids[k]);
				free(ids[k]);
			}
			free(ids);
			if (c[i].want == NULL)
				assert_int_equal(n, 0);
			else
				assert_string_equal(got.data ? got.data : "",
				    c[i].want);
			buf_free(&got);
		}
	}

	/* A message-id is kept to its first 998 bytes, those left out
	 * not counted. */
	buf_init(&b, 1 << 12);
	buf_addstr(&b, "<a b\t");
	for (i = 0; i < 1200; i++)
		buf_addch(&b, (char)('a' + i % 26));
	buf_addstr(&b, "@x.example>");
	n = mime_msgids(b.data, &ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(ids[0]), 998);
	assert_memory_equal(ids[0], "ababcdefg", 9);
	free(ids[0]);
	free(ids);
	buf_free(&b);

	n = mime_msgids("bare@id.example", &ids, 10);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "bare@id.example");
	free(ids[0]);
	free(ids);

	assert_int_equal(mime_msgids("", &ids, 10), 0);
	assert_null(ids);
	assert_int_equal(mime_msgids(NULL, &ids, 10), 0);

	buf_init(&b, 1 << 20);
	for (i = 0; i < 5000; i++)
		buf_printf(&b, "<id%zu@ex.org> ", i);
	n = mime_msgids(b.data, &ids, LIMIT_REFERENCES);
	assert_int_equal(n, LIMIT_REFERENCES);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	buf_free(&b);
}

static void
test_peek_msgid(void **state)
{
	static const struct {
		const char	*raw;
		const char	*want;	/* NULL: none */
	} cases[] = {
		{ "From: a@b.example\r\nMessage-ID: <1.x@b.example>\r\n\r\n",
		  "1.x@b.example" },
		{ "message-id:\r\n <folded.2@b.example>\r\nSubject: s\r\n\r\n",
		  "folded.2@b.example" },
		{ "MESSAGE-ID: <3@b\r\n .example>\n\nbody", "3@b.example" },
		/* In the body, not the header: not ours. */
		{ "From: a@b\r\n\r\nMessage-ID: <4@b.example>\r\n", NULL },
		/* Another field's brackets are not the Message-ID's. */
		{ "Message-ID: none\r\nTo: <5@b.example>\r\n\r\n", NULL },
		{ "Message-ID: <no-at-sign>\r\n\r\n", NULL },
		{ "Message-ID: <6@b.example", NULL },
		{ "X-Message-ID: <7@b.example>\r\n\r\n", NULL },
		{ "", NULL },
	};
	size_t i;
	char *id;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = mime_peek_msgid(cases[i].raw, strlen(cases[i].raw));
		if (cases[i].want == NULL)
			assert_null(id);
		else {
			assert_non_null(id);
			assert_string_equal(id, cases[i].want);
		}
		free(id);
	}
}

/*
 * Quoted-printable text is made with LF line ends as it is decoded: the
 * same text as decoding to CRLF and converting after, also where the cap
 * falls inside a line end or after a decoded CR; an attachment that must
 * look like text is still judged on its bytes as decoded (a NUL).
 */
/*
 * Quoted-printable where the next '=' lies lines away, where one follows
 * another, where a soft line break or the line end taken as the X of
 * "=X" comes just before a plain line, and an '=' too near the end.
 */
static void
test_qp_runs(void **state)
{
	(void)state;
	assert_only_text("Subject: q\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "one\ntwo\n\nthree=3D=3D\n=\nfour=\nfive=4\nsix\n=41=42\nseven\n"
	    "eight=",
	    "one\ntwo\n\nthree==\nfourfive@six\nAB\nseven\neight=");
	assert_only_text("Subject: q\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "=\n=\nend\n\n",
	    "end\n\n");
}

static void
test_qp_lf_at_cap(void **state)
{
	static const char *const ends[] = { "\n", "=0D\n" };
	static const char att[] = "Subject: csv\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"a.csv\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "a;b%s\n--b--\n";
	struct mime_message *m;
	struct buf b;
	char raw[512];
	size_t i, n, pad;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* The text up to the cap ends with the CR of a line end
		 * (after a decoded CR, in the second case). */
		pad = LIMIT_PART_TEXT - 1 - i;
		buf_init(&b, LIMIT_MESSAGE_BYTES);
		buf_addstr(&b, "Subject: q\nContent-Transfer-Encoding: "
		    "quoted-printable\n\n");
		for (n = 0; n < pad; n++)
			buf_addch(&b, 'x');
		buf_addstr(&b, ends[i]);
		buf_addstr(&b, "tail\n");
		m = parse_len(b.data, b.len);
		assert_int_equal(m->nparts, 1);
		assert_int_equal(m->truncated, 1);
		assert_int_equal(m->parts[0].len, pad + 1 + i);
		assert_memory_equal(m->parts[0].text + pad - 1, i ? "x\n\n" :
		    "x\n", 2 + i);
		mime_message_free(m);
		buf_free(&b);
	}
	snprintf(raw, sizeof(raw), att, "=0D=0Ac=0D\nd");
	m = parse(raw);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "a;b\nc\n\nd");
	mime_message_free(m);
	snprintf(raw, sizeof(raw), att, "=00c");
	m = parse(raw);
	assert_int_equal(m->nparts, 0);
	assert_int_equal(m->nattachments, 1);
	mime_message_free(m);
}

/*
 * A part typed text/... is read by the pre-scan without libetpan's field
 * parsers: its body is body text, not a header (a boundary there that
 * libetpan would choke on is not looked at); an encoded or folded type is
 * still parsed.
 */
static void
test_text_part_type(void **state)
{
	static const char *const types[] = {
		"text/plain; charset=us-ascii",
		"TEXT/plain; charset=\"utf-8\"; format=flowed",
		"text/plain;\n charset=us-ascii",
		"=?us-ascii?q?text/plain?=",
	};
	struct mime_message *m;
	char raw[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(raw, sizeof(raw), "Subject: t\n"
		    "Content-Type: multipart/mixed; boundary=b\n\n"
		    "--b\nContent-Type: %s\n\n"
		    "Content-Type: multipart/mixed; boundary=\"\\\"\"\n\n"
		    "hello\n--b--\n", types[i]);
		m = parse(raw);
		assert_int_equal(m->nparts, 1);
		assert_non_null(strstr(m->parts[0].text, "hello"));
		mime_message_free(m);
	}
}

/*
 * Parts without transfer encoding that are UTF-8 already keep their
 * text where it lies in the message: each still ends where it should
 * (a NUL put after one does not cut the next), an HTML twin flattened
 * later reads its source intact, and text cut at the cap is cut there.
 */
static void
test_text_in_place(void **state)
{
	static const char raw[] = "Subject: s\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	    "--a\nContent-Type: text/plain; charset=utf-8\n\n"
	    "caf\xc3\xa9 one\n"
	    "--a\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>two</p>\n--a--\n"
	    "--m\nContent-Type: text/plain; format=flowed\n\n"
	    "three \nfour\n"
	    "--m\nContent-Type: text/plain\n\n   \n"
	    "--m\nContent-Type: text/csv\n\na,b\n"
	    "--m--\n";
	struct mime_message *m;
	struct buf b;
	size_t n;

	(void)state;
	m = parse(raw);
	assert_int_equal(m->nparts, 4);
	assert_string_equal(m->parts[0].text, "caf\xc3\xa9 one");
	assert_int_equal(m->parts[0].len, 9);
	assert_int_equal(m->parts[1].html_pending, 1);
	assert_string_equal(mime_part_text(m, &m->parts[1]), "two\n");
	assert_string_equal(m->parts[2].text, "three four");
	assert_string_equal(m->parts[3].text, "a,b");
	mime_message_free(m);

	/* A single part over the cap: cut at the cap, in place. */
	buf_init(&b, LIMIT_MESSAGE_BYTES);
	buf_addstr(&b, "Subject: big\n\n");
	for (n = 0; n < LIMIT_PART_TEXT / 4 + 1; n++)
		buf_addstr(&b, "abc\n");
	m = parse_len(b.data, b.len);
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->truncated, 1);
	assert_int_equal(m->parts[0].len, LIMIT_PART_TEXT);
	assert_int_equal(strlen(m->parts[0].text), LIMIT_PART_TEXT);
	mime_message_free(m);
	buf_free(&b);
}

/* The usual address forms, read without libetpan, and their near
 * misses, read by it: the same addresses and names either way. */
static void
test_address_simple_forms(void **state)
{
	static const struct {
		const char *v, *addr, *name;
	} cases[] = {
		{ "jane.doe@Example.COM", "jane.doe@example.com", NULL },
		{ "<j+x@ex-ample.org>", "j+x@ex-ample.org", NULL },
		{ "Jane Doe <j_d@a.b>", "j_d@a.b", "Jane Doe" },
		{ "Jane  Doe <j@a.b>", "j@a.b", "Jane Doe" },
		{ "Jane Doe<j@a.b>", "j@a.b", "Jane Doe" },
		{ "\"Doe, Jane\" <j@a.b>", "j@a.b", "Doe, Jane" },
		{ "\"CITES Secretariat\" <info@cites.org>", "info@cites.org",
		    "CITES Secretariat" },
		{ "\"'Jane'\" <j@a.b>", "j@a.b", "Jane" },
		{ "\"Jane  Doe\" <j@a.b>", "j@a.b", "Jane Doe" },
		{ "\"Jane\" Doe <j@a.b>", "j@a.b", "Jane Doe" },
		{ "Lettre d'information Faune & Flore <l@a.b>", "l@a.b",
		    "Lettre d'information Faune & Flore" },
		{ "Brigitte Traor\xc3\xa9 <b.t@a.b>", "b.t@a.b",
		    "Brigitte Traor\xc3\xa9" },
		{ "J. Doe-Smith <j@a.b>", "j@a.b", "J. Doe-Smith" },
		/* Not the quoted form: libetpan reads these its way. */
		{ "\"Jane\" j@a.b>", "\"Jane\"j@a.b", NULL },
		{ "\"Jane\"<j@a.b>", "j@a.b", "Jane" },
		{ "j@a.b (Jane)", "j@a.b", "Jane" },
		{ "Jane <j..x@a.b>", NULL, NULL },
	};
	char *addr, *name;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = mime_address(cases[i].v, &addr, &name);

		if (cases[i].addr == NULL) {
			if (r == 0) {
				free(addr);
				free(name);
			}
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(addr, cases[i].addr);
		if (cases[i].name == NULL)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].name);
		free(addr);
		free(name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp_body),
		cmocka_unit_test(test_qp_long_bodies),
		cmocka_unit_test(test_base64_body),
		cmocka_unit_test(test_base64_lengths),
		cmocka_unit_test(test_transfer_edges),
		cmocka_unit_test(test_latin1_mislabelled),
		cmocka_unit_test(test_undeclared_8bit),
		cmocka_unit_test(test_utf8_declared),
		cmocka_unit_test(test_koi8r_and_latin2),
		cmocka_unit_test(test_unknown_charset_noted),
		cmocka_unit_test(test_rfc2047_headers),
		cmocka_unit_test(test_rfc2047_plain_words),
		cmocka_unit_test(test_mime_fields_unread),
		cmocka_unit_test(test_identity_encoding_unread),
		cmocka_unit_test(test_message_type_kept),
		cmocka_unit_test(test_line_ends_blocks),
		cmocka_unit_test(test_ascii_text_charsets),
		cmocka_unit_test(test_part_types_kept),
		cmocka_unit_test(test_multipart_type_forms),
		cmocka_unit_test(test_header_values_clean),
		cmocka_unit_test(test_header_get_names),
		cmocka_unit_test(test_header_values_bytes),
		cmocka_unit_test(test_header_values_folded),
		cmocka_unit_test(test_header_values_utf8),
		cmocka_unit_test(test_rfc2231_filename),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative_groups),
		cmocka_unit_test(test_csv_attachments),
		cmocka_unit_test(test_nested_rfc822),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_unsafe_boundary),
		cmocka_unit_test(test_encoded_forward),
		cmocka_unit_test(test_broken_multipart),
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_costly_structure_bounded),
		cmocka_unit_test(test_oversized_message),
		cmocka_unit_test(test_delimiter_lines),
		cmocka_unit_test(test_large_single_part),
		cmocka_unit_test(test_large_multipart),
		cmocka_unit_test(test_decode_at_cap),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_empty_and_header_only),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_flowed),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_address_hostile),
		cmocka_unit_test(test_msgids),
		cmocka_unit_test(test_peek_msgid),
		cmocka_unit_test(test_qp_lf_at_cap),
		cmocka_unit_test(test_qp_runs),
		cmocka_unit_test(test_text_part_type),
		cmocka_unit_test(test_text_in_place),
		cmocka_unit_test(test_address_simple_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
