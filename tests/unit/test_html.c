/*
 * test_html.c -- HTML to text: tables as TAB-separated lines, nested
 * tables, breaks, entities, dropped elements, quote markers, forwards,
 * the shape of the parsed tree, hostile nesting and the output cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "html.h"

/* Seconds a hostile document may take: one, or a minute under valgrind,
 * which runs code some fifty times slower (it preloads vgpreload_*.so). */
static double
time_limit(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre != NULL && strstr(pre, "vgpreload") != NULL ? 60.0 : 1.0;
}

static char *
conv(const char *html)
{
	size_t n;
	char *s = html_to_text(html, strlen(html), 1 << 20, &n);

	assert_non_null(s);
	assert_int_equal(n, strlen(s));
	return s;
}

static void
expect(const char *html, const char *text)
{
	char *s = conv(html);

	assert_string_equal(s, text);
	free(s);
}

static void
test_table_rows(void **state)
{
	(void)state;
	expect("<table>"
	    "<tr><th>Country</th><th>Last name</th><th>First name</th></tr>"
	    "<tr><td>Kenya</td><td>Otieno</td><td>Grace</td></tr>"
	    "<tr><td> Chad </td><td></td><td>Idriss</td></tr>"
	    "</table>",
	    "Country\tLast name\tFirst name\n"
	    "Kenya\tOtieno\tGrace\n"
	    "Chad\t\tIdriss\n");
	/* Unclosed cells and rows are recovered. */
	expect("<table><tr><td>a<td>b<tr><td>c<td>d</table>",
	    "a\tb\nc\td\n");
	/* A row of empty cells (a spacer) leaves no line of TABs. */
	expect("<p>x</p><table><tr><td>a</td></tr><tr><td></td><td> </td>"
	    "</tr><tr><td>b</td></tr></table>", "x\na\nb\n");
}

static void
test_breaks_in_cells(void **state)
{
	(void)state;
	expect("<table><tr><td>Ministry of<br>Environment</td>"
	    "<td><p>line one</p><p>line two</p></td>"
	    "<td><div>x</div>\n<div>y</div></td></tr></table>",
	    "Ministry of Environment\tline one line two\tx y\n");
}

static void
test_nested_tables(void **state)
{
	(void)state;
	/* Outlook wraps the whole body in a layout table. */
	expect("<table><tr><td>"
	    "<p>Dear Sir,</p>"
	    "<table><tr><td>Name</td><td>Phone</td></tr>"
	    "<tr><td>Ana</td><td>+34 91 000</td></tr></table>"
	    "<p>Regards</p>"
	    "</td></tr></table>",
	    "Dear Sir,\nName\tPhone\nAna\t+34 91 000\nRegards\n");
	/* A table in the second cell of a row breaks that row. */
	expect("<table><tr><td>left</td><td><table><tr><td>a</td><td>b</td>"
	    "</tr></table></td><td>right</td></tr></table>",
	    "left\na\tb\nright\n");
}

static void
test_blocks_and_spaces(void **state)
{
	(void)state;
	expect("<html><head><title>T</title></head><body>"
	    "<h1>Request</h1><p>Pays&nbsp;:   France</p>"
	    "<div>Nom :\n  Dupont</div><ul><li>one</li><li>two</li></ul>"
	    "text <b>bold</b><span>glued</span><br>next<hr>end"
	    "</body></html>",
	    "Request\nPays : France\nNom : Dupont\none\ntwo\n"
	    "text boldglued\nnext\nend\n");
	/* Outlook's empty paragraphs are blank lines, collapsed. */
	expect("<p class=MsoNormal>Hello<o:p></o:p></p>"
	    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	    "<p class=MsoNormal>World</p>", "Hello\n\nWorld\n");
	/* Gmail's empty line. */
	expect("<div>a</div><div><br></div><div>b</div>", "a\n\nb\n");
	expect("<pre>Name      Phone\n  Ana     123</pre>after",
	    "Name      Phone\n  Ana     123\nafter\n");
}

static void
test_entities(void **state)
{
	(void)state;
	expect("<p>S&eacute;n&eacute;gal &amp; C&ocirc;te d&rsquo;Ivoire "
	    "&lt;x&gt; &#233;&#x41; &euro;</p>",
	    "S\xc3\xa9n\xc3\xa9gal & C\xc3\xb4te d\xe2\x80\x99Ivoire <x> "
	    "\xc3\xa9" "A \xe2\x82\xac\n");
}

static void
test_dropped(void **state)
{
	(void)state;
	expect("<style>td{x:y}</style><script>alert('x')</script>"
	    "<!-- a comment --><p>kept</p><script>var a = '<p>no</p>';"
	    "</script><noscript>shown</noscript>"
	    "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings>"
	    "</o:OfficeDocumentSettings></xml><![endif]-->",
	    "kept\nshown\n");
}

static void
test_quote_markers(void **state)
{
	(void)state;
	expect("<div>My answer</div>"
	    "<blockquote type=\"cite\">Country: Old<br>Name: Quoted</blockquote>"
	    "<div>after</div>",
	    "My answer\n-----Original Message-----\nafter\n");
	expect("<div dir=ltr>Top</div><div class=\"gmail_quote\">"
	    "<div class=gmail_attr>On Mon, X wrote:<br></div>"
	    "<blockquote class=gmail_quote>old</blockquote></div>",
	    "Top\n-----Original Message-----\n");
	expect("<p>Reply</p><div id=\"appendonsend\"></div>"
	    "<p>quoted stuff</p>",
	    "Reply\n-----Original Message-----\nquoted stuff\n");
	expect("<p>Reply</p><div class=\"moz-cite-prefix\">On 1/1/2018, X "
	    "wrote:<br></div><blockquote type=cite>old</blockquote>",
	    "Reply\n-----Original Message-----\n"
	    "-----Original Message-----\n");
	/* Outlook: the border-top header box and divRplyFwdMsg. */
	expect("<p>Reply</p><div style='border:none;border-top:solid #E1E1E1 "
	    "1.0pt;padding:3.0pt 0cm 0cm 0cm'><p><b>From:</b> X<br>"
	    "<b>Sent:</b> Monday<br><b>Subject:</b> RE: access</p></div>"
	    "<p>old text</p>",
	    "Reply\n-----Original Message-----\nold text\n");
	expect("<p>Reply</p><hr><div id=divRplyFwdMsg><b>De :</b> X<br>"
	    "<b>Objet :</b> demande</div><div>old</div>",
	    "Reply\n-----Original Message-----\nold\n");
	/* Among other attributes; a style on a p is not read. */
	expect("<p>Reply</p><div lang=en class=x title=t "
	    "style='border-top:solid 1.0pt' align=left><b>From:</b> X<br>"
	    "<b>Sent:</b> Monday<br><b>Subject:</b> access</div><p>old</p>",
	    "Reply\n-----Original Message-----\nold\n");
	expect("<p>Reply</p><p style='border-top:solid 1.0pt'><b>From:</b> "
	    "X<br><b>Sent:</b> Monday</p><p>more</p>",
	    "Reply\nFrom: X\nSent: Monday\nmore\n");
	expect("<p>Reply</p><div title=t type=x id=divRplyFwdMsg>"
	    "<b>De :</b> X</div><div>old</div>",
	    "Reply\n-----Original Message-----\nold\n");
	/* A table cell is no place for a marker: it gets a line. */
	expect("<table><tr><td>a</td><td><blockquote>q</blockquote>b</td>"
	    "</tr></table>", "a\t\n-----Original Message-----\nb\n");
}

static void
test_forwards_kept(void **state)
{
	(void)state;
	/* Gmail forward: inside gmail_quote, but data. */
	expect("<div>FYI</div><div class=\"gmail_quote\">"
	    "<div class=\"gmail_attr\">---------- Forwarded message ---------"
	    "<br>From: <b>A</b><br>Subject: request<br></div><br>"
	    "<div>Country: Kenya</div></div>",
	    "FYI\n---------- Forwarded message ---------\nFrom: A\n"
	    "Subject: request\n\nCountry: Kenya\n");
	/* Outlook forward: the header box says FW:. */
	expect("<p>FYI</p><div id=divRplyFwdMsg><b>From:</b> A<br>"
	    "<b>Sent:</b> Monday<br><b>Subject:</b> FW: request</div>"
	    "<p>Country: Kenya</p>",
	    "FYI\n---------- Forwarded message ---------\nCountry: Kenya\n");
	/* Apple Mail forward: a cite blockquote after the phrase. */
	expect("<div>Begin forwarded message:</div><br>"
	    "<blockquote type=\"cite\"><div>Country: Kenya</div></blockquote>",
	    "Begin forwarded message:\n\nCountry: Kenya\n");
	/* An indenting blockquote is the writer's own text. */
	expect("<blockquote style=\"margin:0 0 0 40px;border:none;"
	    "padding:0px\"><div>Country: Peru</div></blockquote>",
	    "Country: Peru\n");
}

/*
 * The tree has the shape libxml2's own tree builder gives: Word's <o:p>
 * is a p, a top-level element after </html> joins the root unless a
 * comment came first, a comment counts as a sibling, and the parse stops
 * where libxml2 stops it for depth.
 */
static void
test_tree_shape(void **state)
{
	struct buf b;
	size_t n;
	char *s;
	int i, depth;

	(void)state;
	expect("<p>a<o:p></o:p>b</p><p>c</p>", "a\nb\nc\n");
	expect("<div>x<o:p>y</o:p><:p>z</:p><a:>w</a:></div>",
	    "x\ny\n<:p>zw\n");
	expect("<p>a</p></html><p>b</p>", "a\nb\n");
	expect("<!-- c --><p>a</p></html><p>b</p>", "a\n");
	expect("<p>a</p><!-- c --><p>b<!-- c -->c</p>", "a\nbc\n");
	expect("<div id=\"appendonsend\"></div><!-- c --><hr>"
	    "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\">"
	    "<b>From:</b> A</div><p>kept</p>",
	    "-----Original Message-----\nkept\n");
	for (depth = 250; depth <= 300; depth += 50) {
		buf_init(&b, 1 << 16);
		buf_addstr(&b, "<p>top</p>");
		for (i = 0; i < depth; i++)
			buf_addstr(&b, "<div>");
		buf_addstr(&b, "deep");
		for (i = 0; i < depth; i++)
			buf_addstr(&b, "</div>");
		buf_addstr(&b, "<p>bottom</p>");
		s = html_to_text(b.data, b.len, 1 << 20, &n);
		assert_string_equal(s, depth == 250 ? "top\ndeep\nbottom\n" :
		    "top\n");
		free(s);
		buf_free(&b);
	}
}

static void
test_deep_nesting_bounded(void **state)
{
	struct buf b;
	struct timespec t0, t1;
	size_t n;
	char *s;
	int i;

	(void)state;
	buf_init(&b, 1 << 22);
	buf_addstr(&b, "<p>top</p>");
	for (i = 0; i < 5000; i++)
		buf_addstr(&b, "<div>");
	buf_addstr(&b, "deep");
	for (i = 0; i < 5000; i++)
		buf_addstr(&b, "</div>");
	buf_addstr(&b, "<p>bottom</p>");
	for (i = 0; i < 3000; i++)
		buf_addstr(&b, "<table><tr><td>");
	buf_addstr(&b, "cell");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = html_to_text(b.data, b.len, 1 << 20, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < time_limit());
	assert_non_null(strstr(s, "top"));
	assert_true(n < 1000);
	free(s);
	buf_free(&b);
}

static void
test_cap_and_odd_input(void **state)
{
	struct buf b;
	struct timespec t0, t1;
	size_t n;
	char *s;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		buf_addstr(&b, "<p>caf\xc3\xa9 line</p>");
	s = html_to_text(b.data, b.len, 1001, &n);
	assert_true(n <= 1001);
	assert_int_equal(n, strlen(s));
	/* Cut on a character boundary. */
	assert_true(n == 0 || ((unsigned char)s[n - 1] & 0xc0) != 0xc0);
	free(s);
	buf_free(&b);

	s = html_to_text("", 0, 100, &n);
	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	free(s);
	s = html_to_text("<p>x</p>", 8, 0, &n);
	assert_string_equal(s, "");
	free(s);
	/* Runs of printable ASCII of every length around the eight bytes
	 * read at once, ended by each kind of byte that stops them. */
	{
		static const struct {
			const char *in, *out;
		} stops[] = {
			{ "  ", " " }, { "\t", " " }, { "\n", " " },
			{ "\xc2\xa0", " " }, { "\xc3\xa9", "\xc3\xa9" },
			{ "\xe2\x82\xac", "\xe2\x82\xac" },
			{ "\xe2\x80\x8b", "" }, { " ", " " },
		};
		struct buf in, want;
		size_t k, j;

		for (j = 0; j < sizeof(stops) / sizeof(stops[0]); j++)
			for (k = 1; k < 20; k++) {
				buf_init(&in, 256);
				buf_init(&want, 256);
				buf_addstr(&in, "<p>");
				for (i = 0; i < (int)k; i++) {
					buf_addch(&in, (char)('a' + i));
					buf_addch(&want, (char)('a' + i));
				}
				buf_addstr(&in, stops[j].in);
				buf_addstr(&want, stops[j].out);
				for (i = 0; i < (int)(20 - k); i++) {
					buf_addch(&in, (char)('A' + i));
					buf_addch(&want, (char)('A' + i));
				}
				buf_addstr(&in, "</p>");
				buf_addch(&want, '\n');
				expect(in.data, want.data);
				buf_free(&in);
				buf_free(&want);
			}
	}
	/* Invalid UTF-8 and NUL bytes are replaced, not passed on. */
	s = html_to_text("<p>a\xff" "b\0c</p>", 12, 100, &n);
	assert_string_equal(s, "a\xef\xbf\xbd" "b c\n");
	free(s);
	/* A cap inside words and the single spaces between them cuts after
	 * the last whole character that fits, less a trailing space (the
	 * paragraph's end trims it). */
	for (i = 1; i < 14; i++) {
		static const size_t cut[14] = {
			0, 1, 2, 2, 4, 5, 5, 7, 7, 9, 9, 11, 12, 12
		};
		const char *h = "<p>ab cd\xc3\xa9 f  g</p>";

		s = html_to_text(h, strlen(h), (size_t)i, &n);
		assert_int_equal(n, cut[i]);
		assert_memory_equal(s, "ab cd\xc3\xa9 f g\n", n);
		free(s);
	}
	expect("<pre>a b  c\td</pre><p>a b  c\td \xc2\xa0" "e</p>",
	    "a b  c\td\na b c d e\n");
	/* A paragraph of words far past the cap is cut in one go. */
	buf_init(&b, 1 << 22);
	buf_addstr(&b, "<p>");
	for (i = 0; i < 400000; i++)
		buf_addstr(&b, "word ");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = html_to_text(b.data, b.len, 100001, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < time_limit());
	assert_int_equal(n, 100001);
	assert_memory_equal(s + 99995, "word w", 6);
	free(s);
	buf_free(&b);
	/* Plain text without markup. */
	expect("just text, no tags", "just text, no tags\n");
	/* A meta charset does not override UTF-8, nor does a charset in
	 * an http-equiv meta, and text before any meta is UTF-8 too. */
	expect("<meta charset=iso-8859-1><p>\xc3\xa9t\xc3\xa9</p>",
	    "\xc3\xa9t\xc3\xa9\n");
	expect("<p>\xc3\xa9t\xc3\xa9</p><meta http-equiv=Content-Type "
	    "content=\"text/html; charset=windows-1252\"><p>\xe2\x82\xac "
	    "\xc3\xa0</p>", "\xc3\xa9t\xc3\xa9\n\xe2\x82\xac \xc3\xa0\n");
	expect("\xc3\xa9t\xc3\xa9 <b>\xc3\xa0</b>",
	    "\xc3\xa9t\xc3\xa9 \xc3\xa0\n");
	/* A UTF-8 byte order mark is no text. */
	expect("\xef\xbb\xbf<p>\xc3\xa9t\xc3\xa9</p>", "\xc3\xa9t\xc3\xa9\n");
	expect("\xef\xbb\xbf\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_breaks_in_cells),
		cmocka_unit_test(test_nested_tables),
		cmocka_unit_test(test_blocks_and_spaces),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_quote_markers),
		cmocka_unit_test(test_forwards_kept),
		cmocka_unit_test(test_tree_shape),
		cmocka_unit_test(test_deep_nesting_bounded),
		cmocka_unit_test(test_cap_and_odd_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
