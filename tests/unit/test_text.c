/*
 * test_text.c -- charset conversion (mislabelled latin-1, undeclared 8-bit,
 * unknown and aliased charsets), sanitising, folding and squeezing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void
conv(const char *cs, const char *in, size_t len, const char *out)
{
	size_t n = 12345;
	char *s = text_to_utf8(cs, in, len, &n);

	assert_non_null(s);
	assert_string_equal(s, out);
	assert_int_equal(n, strlen(out));
	assert_true(text_is_utf8(s, n));
	free(s);
}

/* Length of a literal, NULs included. */
#define CONV(cs, in, out)	conv((cs), (in), sizeof(in) - 1, (out))

static void
test_latin1_as_windows1252(void **state)
{
	(void)state;
	/* Euro sign, right single quote, e acute: what senders mean. */
	CONV("iso-8859-1", "5 \x80 l\x92\xe9t\xe9",
	    "5 \xe2\x82\xac l\xe2\x80\x99\xc3\xa9t\xc3\xa9");
	CONV("ISO-8859-1", "\x93quoted\x94",
	    "\xe2\x80\x9cquoted\xe2\x80\x9d");
	CONV("us-ascii", "caf\xe9", "caf\xc3\xa9");
	CONV("latin1", "\x85", "\xe2\x80\xa6");
	/* A latin-1 label on what is really UTF-8. */
	CONV("iso-8859-1", "caf\xc3\xa9", "caf\xc3\xa9");
}

static void
test_undeclared(void **state)
{
	(void)state;
	CONV(NULL, "caf\xe9", "caf\xc3\xa9");
	CONV("", "caf\xe9", "caf\xc3\xa9");
	CONV(NULL, "caf\xc3\xa9", "caf\xc3\xa9");
	CONV(NULL, "plain", "plain");
	CONV(NULL, "", "");
}

static void
test_declared(void **state)
{
	(void)state;
	CONV("utf-8", "ok \xff end", "ok \xef\xbf\xbd end");
	CONV("UTF8", "\xc3\xa9", "\xc3\xa9");
	CONV("koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4",
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	CONV("iso-8859-2", "\xb3\xf3\x64\xbc", "\xc5\x82\xc3\xb3\x64\xc5\xba");
	CONV("windows-1251", "\xcf\xf0\xe8", "\xd0\x9f\xd1\x80\xd0\xb8");
	/* Labels iconv does not know by that name. */
	CONV("ks_c_5601-1987", "\xc7\xd1", "\xed\x95\x9c");
	CONV("x-mac-roman", "\x8e", "\xc3\xa9");
	/* Stateful. */
	CONV("iso-2022-jp", "\x1b$B$3$s\x1b(B!",
	    "\xe3\x81\x93\xe3\x82\x93!");
}

static void
test_unknown_and_broken(void **state)
{
	(void)state;
	CONV("x-no-such-charset", "caf\xe9", "caf\xc3\xa9");
	CONV("x-no-such-charset", "caf\xc3\xa9", "caf\xc3\xa9");
	/* An invalid byte costs one U+FFFD, not the rest. */
	CONV("shift_jis", "a\x82\x20" "b", "a\xef\xbf\xbd b");
	/* A sequence cut at the end. */
	CONV("koi8-r", "\xf0", "\xd0\x9f");
	CONV("utf-8", "ab\xc3", "ab\xef\xbf\xbd");
	/* NULs never come out. */
	CONV(NULL, "a\0b", "a b");
	CONV("utf-16le", "a\0\0\0b\0", "a b");
}

static void
test_sanitize(void **state)
{
	size_t n;
	char *s;

	(void)state;
	s = text_sanitize("a\xc0\xaf" "b\xed\xa0\x80" "c\0d\xf4\x90\x80\x80", 14,
	    &n);
	assert_string_equal(s, "a\xef\xbf\xbd\xef\xbf\xbd" "b"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c d"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(n, strlen(s));
	assert_true(text_is_utf8(s, n));
	free(s);
	assert_true(text_is_utf8("\xe2\x82\xac", 3));
	assert_false(text_is_utf8("\xe2\x82", 2));
	assert_false(text_is_utf8("a\0b", 3));
	assert_true(text_is_utf8("", 0));
}

static void
fold(const char *in, const char *out)
{
	char *s = text_fold(in);

	assert_string_equal(s, out);
	free(s);
}

static void
test_fold(void **state)
{
	(void)state;
	fold("C\xc3\xb4te d\xe2\x80\x99Ivoire", "cote d'ivoire");
	fold("\xc3\x89TATS-UNIS", "etats-unis");
	fold("Stra\xc3\x9f" "e", "strasse");
	fold("E-mail :", "e-mail");
	fold("  J\xc3\xbcrgen   M\xc3\x9cLLER  ", "jurgen muller");
	fold("Pr\xc3\xa9nom\xc2\xa0:", "prenom");
	fold("T\xc3\xa9l\xc3\xa9phone / Phone", "telephone phone");
	fold("jane.doe+cites@Example.ORG", "jane.doe+cites@example.org");
	fold("Organizaci\xc3\xb3n", "organizacion");
	fold("Nom\xe2\x80\x94" "famille", "nom-famille");
	fold("\xef\xbc\xa1\xef\xbc\xa2", "ab");		/* fullwidth */
	fold("a\xff" "b", "a b");			/* invalid byte */
	fold("", "");
}

/* Folding a letter the second time (from the cache) gives what the first
 * did, and one that expands to many code points is read whole. */
static void
test_fold_again(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		fold("\xc3\x89l\xc3\xa8ve \xc3\x89L\xc3\x88VE", "eleve eleve");
		/* U+FDFA, eighteen code points folded, spaces among them. */
		fold("x\xef\xb7\xbay", "x\xd8\xb5\xd9\x84\xd9\x89 "
		    "\xd8\xa7\xd9\x84\xd9\x84\xd9\x87 \xd8\xb9\xd9\x84"
		    "\xd9\x8a\xd9\x87 \xd9\x88\xd8\xb3\xd9\x84\xd9\x85y");
		fold("\xe2\x80\x98quoted\xe2\x80\x99", "'quoted'");
	}
}

/* text_fold_mark() of t[0..len) at every cut, a letter's bytes split
 * included: the whole folds to want, and the mark to the length of what
 * the text up to the cut folds to on its own. */
static void
every_mark(const char *t, size_t len, const char *want)
{
	size_t n, m, cut;
	char *s, *p;

	for (cut = 0; cut <= len; cut++) {
		s = text_fold_mark(t, len, cut, &m, &n);
		p = text_fold_n(t, cut, NULL);
		assert_string_equal(s, want);
		assert_int_equal(n, strlen(s));
		assert_int_equal(m, strlen(p));
		assert_memory_equal(s, p, m);
		free(p);
		free(s);
	}
}

/* A length-bounded fold stops at the length and at a NUL; the mark gives
 * the length of what the text up to it folds to on its own. */
static void
test_fold_n_and_mark(void **state)
{
	static const char t[] = "Caf\xc3\xa9 OLE  r\xc3\xa9sum\xc3\xa9 end";
	size_t n;
	char *s;

	(void)state;
	s = text_fold_n("Caf\xc3\xa9 au lait", 7, &n);
	assert_string_equal(s, "cafe a");
	assert_int_equal(n, 6);
	free(s);
	s = text_fold_n("ab\0cd", 5, &n);
	assert_string_equal(s, "ab");
	free(s);
	/* Every cut, a letter's bytes split included. */
	every_mark(t, sizeof(t) - 1, "cafe ole resume end");
	/* The same with words longer than eight bytes, a ligature that
	 * folds to two letters, invalid bytes and a NUL. */
	{
		static const char u[] = "internationalisation \xef\xac\x81nal"
		    "ement, TR\xc3\x88S-longtemps\xff\xfe" "abcdefghijklmnopq"
		    "rstuvw \xe2\x80\x99" "x\0after nul";
		const char *want = "internationalisation finalement tres-"
		    "longtemps abcdefghijklmnopqrstuvw 'x";

		every_mark(u, sizeof(u) - 1, want);
	}
}

static void
test_charset_known(void **state)
{
	(void)state;
	assert_true(text_charset_known("ISO-8859-2"));
	assert_true(text_charset_known("ISO-8859-2"));	/* kept */
	assert_false(text_charset_known("x-no-such-charset"));
	assert_false(text_charset_known("x-no-such-charset"));
	/* More names than are kept: each still converts. */
	CONV("iso-8859-3", "\xb1", "\xc4\xa7");
	CONV("iso-8859-4", "\xb1", "\xc4\x85");
	CONV("iso-8859-5", "\xb1", "\xd0\x91");
	CONV("iso-8859-7", "\xb1", "\xc2\xb1");
	CONV("iso-8859-9", "\xfd", "\xc4\xb1");
	CONV("iso-8859-13", "\xb1", "\xc2\xb1");
	CONV("iso-8859-15", "\xa4", "\xe2\x82\xac");
	CONV("koi8-u", "\xa4", "\xd1\x94");
	CONV("iso-8859-2", "\xb3", "\xc5\x82");
	CONV("iso-2022-jp", "\x1b$B$3\x1b(B!", "\xe3\x81\x93!");
	CONV("iso-2022-jp", "\x1b$B$3$s", "\xe3\x81\x93\xe3\x82\x93");
	CONV("iso-2022-jp", "ab", "ab");
	text_cleanup();
	CONV("iso-8859-2", "\xb3", "\xc5\x82");
}

static void
squeeze(const char *in, const char *out)
{
	char *s = text_squeeze(in);

	assert_string_equal(s, out);
	free(s);
}

static void
test_squeeze(void **state)
{
	(void)state;
	squeeze("\xc2\xa0 Ministry\t\tof  Environment \xc2\xa0",
	    "Ministry of Environment");
	squeeze("a\r\n\tb\xe2\x80\x83" "c", "a b c");
	squeeze("Caf\xc3\xa9", "Caf\xc3\xa9");
	squeeze("   ", "");
	squeeze("x\xff", "x\xef\xbf\xbd");
	/* Valid UTF-8 is read without utf8proc's pass: characters of two,
	 * three and four bytes kept, the spaces, controls and format
	 * characters of each length dropped as separators. */
	squeeze("\xc2\x85\xd0\x96\xc2\xad\xd8\x80x\xe2\x80\x8b\xe4\xb8\xad"
	    "\xe3\x80\x80\xf0\x9f\x98\x80\xf3\xa0\x80\x81\xef\xbb\xbf",
	    "\xd0\x96 x \xe4\xb8\xad \xf0\x9f\x98\x80");
	squeeze("\xe2\x80\xa8\xc3\xa9\x7f\xc3\xa8\xe2\x80\xa9",
	    "\xc3\xa9 \xc3\xa8");
	/* ASCII is copied eight bytes at a time: separators on either side
	 * of a step, at the ends, and a word longer than a step. */
	squeeze("abcdefgh ijklmnop\tq", "abcdefgh ijklmnop q");
	squeeze("  abcdefg\x7fhijklmno\x01\x1f!~", "abcdefg hijklmno !~");
	squeeze("Ministry-of-Environment-and-Tourism  ",
	    "Ministry-of-Environment-and-Tourism");
	/* A byte that is not UTF-8 after some of it was read as such: the
	 * whole is sanitized first, as if it had been seen at once. */
	squeeze("abcdefghij \xc3\xa9\xe2\x80\x83 \xc3 k",
	    "abcdefghij \xc3\xa9 \xef\xbf\xbd k");
	squeeze("\xc2\xa0 x\xc2\xa0\xed\xa0\x80",
	    "x \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* a surrogate */
}

/* Valid UTF-8 without NUL, a byte at a time: what text_is_utf8() says
 * eight and thirty-two bytes at a time. */
static int
ref_is_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned c, min;

	while (i < len) {
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, min = 0x10000;
		else
			return 0;
		if (len - i < n)
			return 0;
		c &= 0x7f >> n;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* Every kind of byte at every place around the eight and thirty-two
 * byte steps, in texts of every length up to 72. */
static void
test_is_utf8_steps(void **state)
{
	static const char *const pieces[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3",
		"\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xff", "\x80",
		"\x01", "\x7f",
	};
	unsigned char buf[80];
	size_t len, at, k, pl;

	(void)state;
	for (len = 0; len <= 72; len++) {
		memset(buf, 'a', len);
		assert_true(text_is_utf8((char *)buf, len));
		for (at = 0; at < len; at++) {
			buf[at] = 0;
			assert_false(text_is_utf8((char *)buf, len));
			buf[at] = 'a';
			for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]);
			    k++) {
				pl = strlen(pieces[k]);
				if (at + pl > len)
					continue;
				memcpy(buf + at, pieces[k], pl);
				assert_int_equal(text_is_utf8((char *)buf, len),
				    ref_is_utf8(buf, len));
				memset(buf + at, 'a', pl);
			}
		}
	}
}

/* Undeclared 8-bit text read as windows-1252: a byte that is not ASCII
 * at every place around the steps of the ASCII runs. */
static void
test_cp1252_steps(void **state)
{
	static const struct {
		char	 in;
		const char *out;
	} bytes[] = {
		{ '\xe9', "\xc3\xa9" }, { '\x80', "\xe2\x82\xac" },
		{ '\0', " " },
	};
	char in[48], want[160], *s;
	size_t len, at, k, n, ol;

	(void)state;
	for (len = 1; len <= 40; len++)
		for (at = 0; at < len; at++)
			for (k = 0; k < sizeof(bytes) / sizeof(bytes[0]); k++) {
				memset(in, 'a', len);
				in[at] = bytes[k].in;
				/* Another 8-bit byte at the end, so that the
				 * text is not UTF-8 either way. */
				in[len - 1] = at == len - 1 ? in[at] : '\xff';
				memset(want, 'a', at);
				ol = at;
				memcpy(want + ol, bytes[k].out,
				    strlen(bytes[k].out));
				ol += strlen(bytes[k].out);
				if (at < len - 1) {
					memset(want + ol, 'a', len - 2 - at);
					ol += len - 2 - at;
					memcpy(want + ol, "\xc3\xbf", 2);
					ol += 2;
				}
				want[ol] = '\0';
				s = text_to_utf8(NULL, in, len, &n);
				assert_string_equal(s, want);
				assert_int_equal(n, ol);
				free(s);
			}
}

/* A text_words reader that writes the words it is told, a space between. */
struct word_log {
	struct text_words	 tw;	/* first */
	char			 s[256];
	size_t			 len;
};

static void
log_word(struct text_words *tw, const char *out, size_t start, size_t end,
    uint32_t entry)
{
	struct word_log *wl = (struct word_log *)tw;

	assert_int_equal(entry, 0);	/* no filter */
	assert_true(end > start);
	assert_true(wl->len + 1 + (end - start) < sizeof(wl->s));
	if (wl->len > 0)
		wl->s[wl->len++] = ' ';
	memcpy(wl->s + wl->len, out + start, end - start);
	wl->len += end - start;
	wl->s[wl->len] = '\0';
}

/* The words told are the folding's, whatever separators (runs of them,
 * before a letter of several bytes, a NUL or the end) come between and
 * wherever the mark cuts, and the mark is text_fold_mark()'s. */
static void
test_fold_words_separators(void **state)
{
	static const char t[] = "one, two  three;\tfour\n\n\xc3\xa9t\xc3\xa9 "
	    "Five:six .. seven longerwordhere,\xc3\x89nd  x\0hidden";
	const char *want = "one two three four ete five six .. seven "
	    "longerwordhere end x";
	struct word_log wl;
	size_t n, m, cut;
	char *s, *f;

	(void)state;
	for (cut = 0; cut <= sizeof(t) - 1; cut++) {
		memset(&wl, 0, sizeof(wl));
		wl.tw.word = log_word;
		s = text_fold_words(t, sizeof(t) - 1, cut, &wl.tw, &n);
		f = text_fold_mark(t, sizeof(t) - 1, cut, &m, NULL);
		assert_string_equal(s, want);
		assert_string_equal(wl.s, want);
		assert_int_equal(n, strlen(want));
		assert_true(wl.tw.marked);
		assert_int_equal(wl.tw.mark, m);
		free(f);
		free(s);
	}
}

/* text_to_utf8_take() gives what text_to_utf8() gives; valid UTF-8 comes
 * back in the very memory handed over. */
static void
test_to_utf8_take(void **state)
{
	static const struct {
		const char *cs;
		const char *in;
		int same;
	} cases[] = {
		{ NULL, "plain ascii", 1 },
		{ "utf-8", "caf\xc3\xa9", 1 },
		{ "UTF-8", "bad \xff byte", 0 },
		{ "iso-8859-1", "caf\xe9", 0 },
		{ "us-ascii", "caf\xc3\xa9", 1 },
		{ "koi8-r", "\xf0\xd2\xc9", 0 },
		{ "x-no-such-charset", "caf\xe9", 0 },
		{ "", "", 1 },
	};
	size_t i, n, wn, len;
	char *s, *r, *want;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		want = text_to_utf8(cases[i].cs, cases[i].in, len, &wn);
		s = malloc(len + 1);
		assert_non_null(s);
		memcpy(s, cases[i].in, len);
		s[len] = 'Z';		/* the NUL is put in */
		r = text_to_utf8_take(cases[i].cs, s, len, &n);
		assert_int_equal(n, wn);
		assert_memory_equal(r, want, wn + 1);
		if (cases[i].same)
			assert_ptr_equal(r, s);
		free(r);
		free(want);
	}
}

/* Characters of two bytes in a word fold in place as on their own:
 * accents dropped, capitals lowered, one letter to two, letters of other
 * scripts kept, punctuation a separator, a lone lead or continuation
 * byte a separator, and a character cut by the mark or the end. */
static void
test_fold_two_byte_letters(void **state)
{
	static const char t[] = "stra\xc3\x9f" "e na\xc3\xafve"
	    "\xc3\x89T\xc3\x89 gr\xc3\xb8n m\xce\x91\xce\xb8 "
	    "x\xd0\x96y ab\xc2\xab" "cd ef\xc2\xb4gh ij\xc3kl mn\x80op "
	    "\xc3\x89" "cole,\xc3\xa0 \xd0\x96uk qr\xc4\xb0st uv\xc3\xa9";
	const char *want = "strasse naiveete gr\xc3\xb8n m\xce\xb1\xce\xb8 "
	    "x\xd0\xb6y ab cd ef'gh ij kl mn op ecole a \xd0\xb6uk qrist uve";
	size_t n;
	char *s;

	(void)state;
	every_mark(t, sizeof(t) - 1, want);
	/* Cut inside the last character: its lead byte alone. */
	s = text_fold_n(t, sizeof(t) - 2, &n);
	assert_string_equal(s, "strasse naiveete gr\xc3\xb8n m\xce\xb1\xce\xb8 "
	    "x\xd0\xb6y ab cd ef'gh ij kl mn op ecole a \xd0\xb6uk qrist uv");
	free(s);
}

/* The word loop takes eight bytes at a time while eight are left: each
 * length of a text, in a buffer of just that size (a read past it is
 * the sanitizers' to catch), folds as the same bytes do when a NUL stops
 * them instead, with more bytes after. */
static void
test_fold_run_ends(void **state)
{
	static const char t[] = "one two  three fourfive six\tseven eight "
	    "ninetyninebottles x yz Ab CD \xc3\xa9t\xc3\xa9 ab\xc3\xa9 "
	    "last";
	char buf[sizeof(t) + 9], *own, *s, *p;
	size_t n, len, plen;

	(void)state;
	for (n = 0; n < sizeof(t); n++) {
		own = malloc(n > 0 ? n : 1);
		assert_non_null(own);
		memcpy(own, t, n);
		memcpy(buf, t, n);
		buf[n] = '\0';
		memset(buf + n + 1, 'z', 8);
		s = text_fold_n(own, n, &len);
		p = text_fold_n(buf, n + 9, &plen);
		assert_string_equal(s, p);
		assert_int_equal(len, plen);
		free(p);
		free(s);
		free(own);
	}
	s = text_fold_n(t, sizeof(t) - 1, NULL);
	assert_string_equal(s, "one two three fourfive six seven eight "
	    "ninetyninebottles x yz ab cd ete abe last");
	free(s);
}

/* Pieces of the random texts below and what each folds to on its own
 * (NULL: a separator).  Lower-case letters and single spaces come most
 * often, as in mail, so that the word loop's long steps are taken. */
static const struct {
	const char	*in;
	const char	*fold;
} pieces[] = {
	{ "a", "a" }, { "e", "e" }, { "i", "i" }, { "n", "n" }, { "o", "o" },
	{ "s", "s" }, { "t", "t" }, { "z", "z" }, { "q", "q" }, { "m", "m" },
	{ " ", NULL }, { " ", NULL }, { " ", NULL }, { "\n", NULL },
	{ ", ", NULL }, { "\t", NULL }, { "/", NULL }, { "|", NULL },
	{ "A", "a" }, { "Z", "z" }, { "0", "0" }, { "9", "9" }, { "@", "@" },
	{ "+", "+" }, { ".", "." }, { "-", "-" }, { "'", "'" }, { "`", "'" },
	{ "\xc3\xa9", "e" }, { "\xc3\x89", "e" }, { "\xc3\xb3", "o" },
	{ "\xc3\x9f", "ss" }, { "\xc3\xb1", "n" }, { "\xc2\xa0", NULL },
	{ "\xc2\xab", NULL }, { "\xe2\x80\x99", "'" },
};
#define NPIECES	(sizeof(pieces) / sizeof(pieces[0]))

/* The folding of pieces pick[0..n), one word of them at a time. */
static void
ref_fold(const size_t *pick, size_t n, char *out)
{
	size_t i, o = 0;
	int space = 0;

	for (i = 0; i < n; i++) {
		if (pieces[pick[i]].fold == NULL) {
			space = 1;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		memcpy(out + o, pieces[pick[i]].fold,
		    strlen(pieces[pick[i]].fold));
		o += strlen(pieces[pick[i]].fold);
	}
	out[o] = '\0';
}

/* Random mixes of ASCII and accented letters, each cut at every piece,
 * at every alignment (and in a buffer of just its size, for the
 * sanitizers), fold as one piece at a time does; the words told are the
 * folding's, and the mark is where the pieces before it fold to. */
static void
test_fold_random_mixes(void **state)
{
	size_t pick[64], at[65], n, i, k, a, len, ol, m;
	char in[64 * 3 + 1], buf[64 * 3 + 16], want[64 * 3 + 1], *s, *own;
	uint32_t seed = 12345;
	struct word_log wl;

	(void)state;
	for (k = 0; k < 400; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 65;
		len = 0;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Half the pieces a lower-case letter, a tenth a
			 * space, the rest any. */
			switch ((seed >> 16) % 10) {
			case 0: case 1: case 2: case 3: case 4:
				pick[i] = (seed >> 20) % 10;
				break;
			case 5:
				pick[i] = 10;
				break;
			default:
				pick[i] = (seed >> 20) % NPIECES;
				break;
			}
			at[i] = len;
			memcpy(in + len, pieces[pick[i]].in,
			    strlen(pieces[pick[i]].in));
			len += strlen(pieces[pick[i]].in);
		}
		at[n] = len;
		for (i = 0; i <= n; i++) {
			ref_fold(pick, i, want);
			for (a = 0; a < 16; a++) {
				memcpy(buf + a, in, at[i]);
				s = text_fold_n(buf + a, at[i], &ol);
				assert_string_equal(s, want);
				assert_int_equal(ol, strlen(want));
				free(s);
			}
			own = malloc(at[i] > 0 ? at[i] : 1);
			assert_non_null(own);
			memcpy(own, in, at[i]);
			s = text_fold_n(own, at[i], NULL);
			assert_string_equal(s, want);
			free(s);
			free(own);
		}
		/* The whole, its words told, marked at each piece. */
		ref_fold(pick, n, want);
		for (i = 0; i <= n; i++) {
			memset(&wl, 0, sizeof(wl));
			wl.tw.word = log_word;
			s = text_fold_words(in, len, at[i], &wl.tw, &ol);
			assert_string_equal(s, want);
			assert_string_equal(wl.s, want);
			assert_true(wl.tw.marked);
			free(s);
			s = text_fold_mark(in, len, at[i], &m, NULL);
			assert_int_equal(wl.tw.mark, m);
			ref_fold(pick, i, buf);
			assert_int_equal(m, strlen(buf));
			free(s);
		}
	}
}

/* The first byte of s[0..len) not in lo..hi, a byte at a time. */
static size_t
ref_range_run(const char *s, size_t len, unsigned lo, unsigned hi)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > hi)
			break;
	return i;
}

/* text_range_run() stops where a byte loop stops, for a byte of each
 * kind at each place of a word and past it, whatever the range, and
 * for two such bytes: the borrows and carries of the first must not hide
 * where it is. */
static void
test_range_run(void **state)
{
	static const unsigned ranges[][2] = {
		{ 0x20, 0x7e }, { 0x21, 0x7f }, { 0x01, 0x7f }, { 'a', 'z' },
	};
	static const unsigned char odd[] = {
		0x00, 0x09, 0x1f, 0x20, 0x21, 0x60, 0x7b, 0x7e, 0x7f, 0x80,
		0xc3, 0xff,
	};
	char s[40];
	size_t r, at, k, want, at2, k2;
	unsigned lo, hi;

	(void)state;
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		lo = ranges[r][0];
		hi = ranges[r][1];
		for (at = 0; at < 20; at++)
			for (k = 0; k < sizeof(odd); k++) {
				memset(s, 'm', sizeof(s));
				s[at] = (char)odd[k];
				want = odd[k] >= lo && odd[k] <= hi ? 20 : at;
				assert_int_equal(text_range_run(s, 20, lo, hi),
				    want);
				for (at2 = at + 1; at2 < 20; at2++)
					for (k2 = 0; k2 < sizeof(odd); k2++) {
						s[at2] = (char)odd[k2];
						assert_int_equal(text_range_run(s,
						    20, lo, hi),
						    ref_range_run(s, 20, lo, hi));
						s[at2] = 'm';
					}
			}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_run),
		cmocka_unit_test(test_latin1_as_windows1252),
		cmocka_unit_test(test_undeclared),
		cmocka_unit_test(test_declared),
		cmocka_unit_test(test_unknown_and_broken),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_is_utf8_steps),
		cmocka_unit_test(test_cp1252_steps),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_again),
		cmocka_unit_test(test_fold_n_and_mark),
		cmocka_unit_test(test_charset_known),
		cmocka_unit_test(test_squeeze),
		cmocka_unit_test(test_fold_words_separators),
		cmocka_unit_test(test_to_utf8_take),
		cmocka_unit_test(test_fold_two_byte_letters),
		cmocka_unit_test(test_fold_run_ends),
		cmocka_unit_test(test_fold_random_mixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
