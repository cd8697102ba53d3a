/*
 * test_quote.c -- cutting quoted mail and signatures: attributions in
 * English, French and Spanish, Outlook header blocks, "Original Message"
 * separators, '>' lines, "-- " signatures, valedictions with a short or a
 * long tail, forwarded messages kept.
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
#include "quote.h"

static void
expect(const char *in, const char *out)
{
	char *s = quote_strip(in);

	assert_non_null(s);
	assert_string_equal(s, out);
	free(s);
}

static void
test_attributions(void **state)
{
	(void)state;
	expect("Country: Kenya\n\nOn Mon, 14 May 2018 at 10:02, Jane Doe "
	    "<jane@example.org> wrote:\n> old\n> text\n",
	    "Country: Kenya\n");
	/* Wrapped over two lines by the sender's client. */
	expect("Name: Otieno\n\nOn Mon, 14 May 2018 at 10:02, Secretariat "
	    "CITES\n<info@cites.org> wrote:\n\nold text not quoted\n",
	    "Name: Otieno\n");
	expect("Nom : Garnier\nLe lun. 14 mai 2018 \xc3\xa0 10:02, "
	    "Secr\xc3\xa9tariat <info@cites.org> a \xc3\xa9" "crit :\n"
	    "ancien texte\n", "Nom : Garnier\n");
	expect("Apellidos: P\xc3\xa9rez\nEl lun., 14 may. 2018 a las 10:02, "
	    "CITES (<info@cites.org>) escribi\xc3\xb3:\ntexto anterior\n",
	    "Apellidos: P\xc3\xa9rez\n");
	expect("Name: M\xc3\xbcller\nAm 14.05.2018 um 10:02 schrieb CITES:\n"
	    "alt\n", "Name: M\xc3\xbcller\n");
	expect("Data\nJane Doe <jane@example.org> wrote:\nold\n", "Data\n");
	/* Not an attribution: no colon, or the words elsewhere. */
	expect("On Monday the minister wrote to us.\nCountry: Peru\n",
	    "On Monday the minister wrote to us.\nCountry: Peru\n");
	expect("On behalf of the Ministry:\nName: Ana\n",
	    "On behalf of the Ministry:\nName: Ana\n");
}

static void
test_outlook_blocks(void **state)
{
	(void)state;
	expect("Please register me.\n\n"
	    "________________________________\n"
	    "From: CITES Secretariat <info@cites.org>\n"
	    "Sent: Monday, May 14, 2018 10:02 AM\n"
	    "To: Jane Doe\n"
	    "Subject: RE: access\n\nold\n",
	    "Please register me.\n");
	expect("Pays : S\xc3\xa9n\xc3\xa9gal\n"
	    "De : CITES <info@cites.org>\n"
	    "Envoy\xc3\xa9 : lundi 14 mai 2018 10:02\n"
	    "\xc3\x80 : Moi\n"
	    "Objet : RE: acc\xc3\xa8s\n\nancien\n",
	    "Pays : S\xc3\xa9n\xc3\xa9gal\n");
	expect("Pa\xc3\xads: Per\xc3\xba\n"
	    "*De:* CITES <info@cites.org>\n"
	    "*Enviado el:* lunes, 14 de mayo de 2018 10:02\n"
	    "*Para:* Yo\n"
	    "*Asunto:* RE: acceso\n\nanterior\n",
	    "Pa\xc3\xads: Per\xc3\xba\n");
	expect("Reply\n-----Original Message-----\nFrom: x\nold\n",
	    "Reply\n");
	expect("R\xc3\xa9ponse\n-----Message d'origine-----\nDe : x\n",
	    "R\xc3\xa9ponse\n");
	expect("Respuesta\n-----Mensaje original-----\nDe: x\n",
	    "Respuesta\n");
	/* "From" in ordinary text is not a header block. */
	expect("From: the Ministry of Environment\n"
	    "Country: Kenya\nSubject matter: cheetahs\n",
	    "From: the Ministry of Environment\n"
	    "Country: Kenya\nSubject matter: cheetahs\n");
	expect("From: the Ministry\nDate: 14 May 2018\nName: Ana\n",
	    "From: the Ministry\nDate: 14 May 2018\nName: Ana\n");
}

static void
test_quoted_lines(void **state)
{
	(void)state;
	expect("> quoted\nmine\n  >> deeper\nalso mine\n",
	    "mine\nalso mine\n");
	expect("> only quotes\n", "");
}

static void
test_signature(void **state)
{
	(void)state;
	expect("Country: Somalia\n\nThank you.\n\n-- \nHodan Warsame\n"
	    "Tel: +252 61 5540 112\n",
	    "Country: Somalia\n\nThank you.\n");
	expect("text\n--\nsig\n", "text\n");
	/* Not a separator. */
	expect("a\n---\nb\n-- x\n", "a\n---\nb\n-- x\n");
}

static void
test_valediction(void **state)
{
	struct buf b;
	char *s;
	int i;

	(void)state;
	/* Short tail: a signature, cut. */
	expect("Nombre: Andr\xc3\xa9s\n\nAtentamente,\n\n"
	    "Andr\xc3\xa9s Rodr\xc3\xadguez\nMinisterio\nTel: +57 1 332\n",
	    "Nombre: Andr\xc3\xa9s\n");
	expect("Nom : Garnier\n\nBien cordialement.\nJulien\n",
	    "Nom : Garnier\n");
	expect("Name: X\nBEST REGARDS\nX\n", "Name: X\n");
	expect("Name: X\nSalutations distingu\xc3\xa9" "es,\nX\n",
	    "Name: X\n");
	/* The longest valediction, and one letter more. */
	expect("Name: X\nMit freundlichen Gr\xc3\xbc\xc3\x9f" "en\nX\n",
	    "Name: X\n");
	expect("Name: X\nMIT FREUNDLICHEN GRUSSEN...\nX\n", "Name: X\n");
	expect("Name: X\nMit freundlichen Grussenn\nX\n",
	    "Name: X\nMit freundlichen Grussenn\nX\n");
	/* Long tail: the text goes on, kept. */
	buf_init(&b, 1 << 16);
	buf_addstr(&b, "Intro\nKind regards,\n");
	for (i = 0; i < 13; i++)
		buf_printf(&b, "Official %d: data\n", i);
	s = quote_strip(b.data);
	assert_string_equal(s, b.data);
	free(s);
	buf_free(&b);
	/* "Regards" inside a line is not a valediction. */
	expect("Regards to the team, here is the list:\nName: A\n",
	    "Regards to the team, here is the list:\nName: A\n");
}

/* The oldest valediction among the last thirteen non-blank lines kept
 * cuts, however many valedictions came before. */
static void
test_signature_window(void **state)
{
	struct buf b, want;
	char *s;
	int i;

	(void)state;
	/* Twelve lines after it, blank lines between them not counted. */
	buf_init(&b, 1 << 16);
	buf_addstr(&b, "Intro\nKind regards,\n");
	for (i = 0; i < 12; i++)
		buf_printf(&b, "Official %d: data\n\n", i);
	s = quote_strip(b.data);
	assert_string_equal(s, "Intro\n");
	free(s);
	buf_free(&b);
	/* Twenty valedictions and a line: the ninth is the oldest of the
	 * last thirteen lines. */
	buf_init(&b, 1 << 16);
	buf_init(&want, 1 << 16);
	buf_addstr(&b, "Intro\n");
	buf_addstr(&want, "Intro\n");
	for (i = 0; i < 20; i++) {
		buf_addstr(&b, "Regards\n");
		if (i < 8)
			buf_addstr(&want, "Regards\n");
	}
	buf_addstr(&b, "X\n");
	s = quote_strip(b.data);
	assert_string_equal(s, want.data);
	free(s);
	buf_free(&b);
	buf_free(&want);
	/* One too far back, one in reach. */
	buf_init(&b, 1 << 16);
	buf_addstr(&b, "Intro\nRegards\n");
	for (i = 0; i < 13; i++)
		buf_printf(&b, "Official %d: data\n", i);
	buf_init(&want, 1 << 16);
	buf_addstr(&want, b.data);
	buf_addstr(&b, "Cordialement\nJulien\n");
	s = quote_strip(b.data);
	assert_string_equal(s, want.data);
	free(s);
	buf_free(&b);
	buf_free(&want);
}

/*
 * An ASCII line is folded here, any other by text_fold_n(): the same line
 * with an accent on one letter (which folding strips) must be cut or kept
 * alike.  Case, '`', punctuation and runs of separators are folded.
 */
static void
test_fold_ascii_alike(void **state)
{
	static const struct {
		const char *line;
		int cut;
	} cases[] = {
		{ "  Best,   Regards!!! ...", 1 },
		{ "BEST\tREGARDS", 1 },
		{ "*Kind* _regards_ :-)", 0 },
		{ "Kind regards 2", 0 },
		{ "Yours`truly", 0 },
		{ "Bien a vous.", 1 },
		{ "bien@a vous", 0 },
		{ "-----ORIGINAL   message-----", 1 },
		{ "--- Original+Message ---", 0 },
		{ "ON Monday, JANE <j@x.example> WROTE:", 1 },
		{ "On Monday, Jane wrote-:", 0 },
		{ "Am 14.05. schrieb Jane:", 1 },
	};
	static const char vowels[] = "eaoEAO";
	static const char *const accents[] = { "\xc3\xa9", "\xc3\xa0",
	    "\xc3\xb4", "\xc3\x89", "\xc3\x80", "\xc3\x94" };
	char in[160], accented[160], *s, *t, *e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(in, sizeof(in), "Name: X\n%s\nX\n", cases[i].line);
		/* The first vowel after "Name: X" accented. */
		e = strpbrk(in + 8, vowels);
		assert_non_null(e);
		snprintf(accented, sizeof(accented), "%.*s%s%s", (int)(e - in),
		    in, accents[strchr(vowels, *e) - vowels], e + 1);
		s = quote_strip(in);
		t = quote_strip(accented);
		assert_int_equal(strcmp(s, "Name: X\n") == 0, cases[i].cut);
		assert_int_equal(strcmp(t, "Name: X\n") == 0, cases[i].cut);
		free(s);
		free(t);
	}
}

static void
test_forward_kept(void **state)
{
	(void)state;
	expect("FYI, see below.\n\n"
	    "---------- Forwarded message ---------\n"
	    "From: Official <o@gov.example>\n"
	    "Date: Mon, May 14, 2018 at 10:02 AM\n"
	    "Subject: Access request\n"
	    "To: <info@cites.org>\n"
	    "\n"
	    "Country: Kenya\nName: Otieno\n",
	    "FYI, see below.\n\nCountry: Kenya\nName: Otieno\n");
	expect("Begin forwarded message:\n\n"
	    "From: A <a@b.example>\n"
	    "Subject: request\n"
	    "Date: 14 May 2018\n"
	    "To: info@cites.org\n\n"
	    "Pays : Tchad\n",
	    "Pays : Tchad\n");
	expect("-------- Message transf\xc3\xa9r\xc3\xa9 --------\n"
	    "Sujet : demande\nDe : x\n\nNom : Mahamat\n",
	    "Nom : Mahamat\n");
	/* A reply inside the forwarded text is still cut. */
	expect("---------- Forwarded message ---------\n"
	    "From: A\n\nName: B\n\nOn Mon, X wrote:\n> q\n",
	    "Name: B\n");
}

static void
test_edges(void **state)
{
	struct buf b;
	char *s;
	int i;

	(void)state;
	expect("", "");
	expect("no newline at end", "no newline at end\n");
	s = quote_strip(NULL);
	assert_string_equal(s, "");
	free(s);
	/* Many lines: linear, nothing lost. */
	buf_init(&b, 1 << 24);
	for (i = 0; i < 200000; i++)
		buf_printf(&b, "Label %d: value\n", i);
	s = quote_strip(b.data);
	assert_int_equal(strlen(s), b.len);
	free(s);
	buf_free(&b);
}

/* The label of an Outlook block's first line is found whatever comes
 * before its first letter, a letter that folds from a byte that is not
 * ASCII, or a '*' inside it; a label that merely holds "from" is not. */
static void
test_outlook_from_forms(void **state)
{
	static const char *const froms[] = {
		"From:", "  **FROM** :", "Fr*om:", "Von:", "da:", "DE :",
		"\xef\xbc\xa6rom:", "__From:", "\t(From):",
	};
	const char *tail = " A <a@b.example>\nSent: Monday\nTo: B\n\nold\n";
	char in[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		snprintf(in, sizeof(in), "Hello\n%s%s", froms[i], tail);
		expect(in, "Hello\n");
	}
	expect("Hello\n1From: A\nSent: Monday\nTo: B\n",
	    "Hello\n1From: A\nSent: Monday\nTo: B\n");
	expect("Hello\nFrom me: A\nSent: Monday\nTo: B\n",
	    "Hello\nFrom me: A\nSent: Monday\nTo: B\n");
}

/* Every valediction is found whatever its first letter and length, in
 * capitals, with stops; a line one letter shorter or longer is not. */
static void
test_valediction_each(void **state)
{
	static const char *const vals[] = {
		"best regards", "kind regards", "regards", "warm regards",
		"with best regards", "with kind regards", "best wishes",
		"sincerely", "sincerely yours", "yours sincerely",
		"yours faithfully", "yours truly", "thanks and regards",
		"thanks regards", "cordialement", "bien cordialement",
		"tres cordialement", "salutations distinguees",
		"meilleures salutations", "sinceres salutations",
		"cordiales salutations", "bien a vous", "atentamente",
		"muy atentamente", "saludos", "saludos cordiales",
		"un saludo", "un cordial saludo", "cordialmente",
		"mit freundlichen grussen", "freundliche grusse",
	};
	char in[128], out[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		n = strlen(vals[i]);
		snprintf(in, sizeof(in), "Name: X\n%s\nX\n", vals[i]);
		expect(in, "Name: X\n");
		snprintf(in, sizeof(in), "Name: X\n%c%s..\nX\n",
		    vals[i][0] - 'a' + 'A', vals[i] + 1);
		expect(in, "Name: X\n");
		snprintf(in, sizeof(in), "Name: X\n%.*s\nX\n", (int)n - 1,
		    vals[i]);
		snprintf(out, sizeof(out), "%s", in);
		expect(in, out);
		snprintf(in, sizeof(in), "Name: X\n%ss\nX\n", vals[i]);
		snprintf(out, sizeof(out), "%s", in);
		expect(in, out);
	}
}

/* Lines taken without their tests: prose, blank lines, and short lines
 * whose first two bytes no valediction has; a line whose second byte is
 * not ASCII is still folded and can be a valediction. */
static void
test_plain_lines(void **state)
{
	(void)state;
	expect("Name: X\nR\xc3\xa9gards\nX\n", "Name: X\n");
	expect("Name: X\nK\xc3\xafnd regards.\nX\n", "Name: X\n");
	expect("Name: X\nRx regards\nX\n", "Name: X\nRx regards\nX\n");
	expect("Name: X\nR egards\nX\n", "Name: X\nR egards\nX\n");
	expect("Name: X\nr\nX\n", "Name: X\nr\nX\n");
	expect("a\n\n   \n\t\nb\n", "a\n\n   \n\t\nb\n");
	/* The first letters of a From label, with a colon or none. */
	expect("Dear X\nfor the record\nvia post\n",
	    "Dear X\nfor the record\nvia post\n");
	expect("Name: X\nFreundliche Gr\xc3\xbc\xc3\x9f" "e\nX\n", "Name: X\n");
	expect("Hello\nDe : A <a@b.example>\nEnvoy\xc3\xa9 : lundi\n"
	    "\xc3\x80 : B\n\nold\n", "Hello\n");
	/* Before a line ending with ':' a plain line is still asked. */
	expect("Hello\nOn Monday Jane Doe\n<jane@example.org> wrote:\n> x\n",
	    "Hello\n");
	expect("Name: X\n"
	    "This line is long enough to be prose, not a valediction at all\n"
	    "Regards\nJane\n", "Name: X\n"
	    "This line is long enough to be prose, not a valediction at all\n");
}

/* quote_strip_to() appends after what the buffer holds, trims and cuts
 * back only what it wrote, and writes nothing past its cap. */
static void
test_strip_to(void **state)
{
	struct buf b;
	const char *t;

	(void)state;
	buf_init(&b, 64);
	buf_addstr(&b, "head\n\n");
	t = "x\n\n\n";
	assert_int_equal(quote_strip_to(&b, t, strlen(t)), 0);
	assert_string_equal(b.data, "head\n\nx\n");
	buf_truncate(&b, 0);
	buf_addstr(&b, "head\n\n");
	t = "> quoted\n";
	assert_int_equal(quote_strip_to(&b, t, strlen(t)), 0);
	assert_string_equal(b.data, "head\n\n");
	t = "Name: X\nBest regards\nJane\n";
	assert_int_equal(quote_strip_to(&b, t, strlen(t)), 0);
	assert_string_equal(b.data, "head\n\nName: X\n");
	buf_free(&b);
	buf_init(&b, 16);
	buf_addstr(&b, "0123456789");
	t = "abcdef";
	assert_int_equal(quote_strip_to(&b, t, strlen(t)), -1);
	assert_string_equal(b.data, "0123456789");
	t = "abcde";
	assert_int_equal(quote_strip_to(&b, t, strlen(t)), 0);
	assert_string_equal(b.data, "0123456789abcde\n");
	buf_free(&b);
}

/* Each line is copied as it is found, 32 bytes at a time, and a
 * dropped line has the next moved into its place: lines of every length
 * about the blocks, quoted lines among them, with and without a newline
 * at the end, come out whole. */
static void
test_copy_blocks(void **state)
{
	char text[256], want[256];
	struct buf b;
	size_t a, q, t, w;
	int nl;

	(void)state;
	for (a = 1; a < 40; a++)
		for (q = 0; q < 40; q += 3)
			for (nl = 0; nl < 2; nl++) {
				t = w = 0;
				memset(text + t, 'x', a);
				memset(want + w, 'x', a);
				t += a;
				w += a;
				text[t++] = want[w++] = '\n';
				text[t++] = '>';
				memset(text + t, 'q', q);
				t += q;
				text[t++] = '\n';
				memset(text + t, 'y', a + 7);
				memset(want + w, 'y', a + 7);
				t += a + 7;
				w += a + 7;
				text[t++] = want[w++] = '\n';
				text[t++] = ' ';
				text[t++] = '>';
				text[t++] = '\n';
				memset(text + t, 'z', q + 1);
				memset(want + w, 'z', q + 1);
				t += q + 1;
				w += q + 1;
				if (nl)
					text[t++] = '\n';
				want[w++] = '\n';
				text[t] = want[w] = '\0';
				buf_init(&b, t + 1);
				assert_int_equal(quote_strip_to(&b, text, t),
				    0);
				assert_string_equal(b.data, want);
				buf_free(&b);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributions),
		cmocka_unit_test(test_outlook_blocks),
		cmocka_unit_test(test_quoted_lines),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_signature_window),
		cmocka_unit_test(test_valediction),
		cmocka_unit_test(test_fold_ascii_alike),
		cmocka_unit_test(test_forward_kept),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_outlook_from_forms),
		cmocka_unit_test(test_valediction_each),
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_strip_to),
		cmocka_unit_test(test_copy_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
