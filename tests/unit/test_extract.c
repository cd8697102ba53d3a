/*
 * test_extract.c -- the field extractor against the real form: label lines
 * in three languages, several officials, vertical pairs and cells, tables
 * (tab, pipe, markdown, aligned, CSV, transposed), names, problems, caps,
 * junk, and language scores.
 *
 * Run from the repository root: it loads forms/cencomm-cheetah.form.
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
#include "extract.h"
#include "form.h"
#include "limits.h"
#include "validate.h"

static struct form *form;

static int
setup(void **state)
{
	char err[4096];

	(void)state;
	if (form_load("forms/cencomm-cheetah.form", &form, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return extract_init();
}

static int
teardown(void **state)
{
	(void)state;
	extract_cleanup();
	form_free(form);
	return 0;
}

/* Extract text into a fresh ex; returns the number of officials. */
static size_t
run(const char *text, int csv, struct extraction *ex)
{
	size_t n;

	memset(ex, 0, sizeof(*ex));
	n = extract_text(form, text, csv, ex);
	assert_int_equal(n, ex->nofficials);
	return n;
}

static const char *
raw(const struct extraction *ex, size_t i, enum field f)
{
	assert_true(i < ex->nofficials);
	return ex->officials[i].f[f].raw;
}

static enum field_problem
problem(const struct extraction *ex, size_t i, enum field f)
{
	assert_true(i < ex->nofficials);
	return ex->officials[i].f[f].problem;
}

/* Every field of official i, NULL for not given. */
static void
expect_official(const struct extraction *ex, size_t i, const char *country,
    const char *last, const char *first, const char *org, const char *fn,
    const char *phone, const char *email)
{
	const char *want[FIELD_COUNT] = { country, last, first, org, fn, phone,
	    email };
	int f;

	for (f = 0; f < FIELD_COUNT; f++) {
		const char *got = raw(ex, i, f);

		if (want[f] == NULL) {
			if (got != NULL)
				fail_msg("official %zu %s: want nothing, got "
				    "\"%s\"", i + 1, field_key(f), got);
			continue;
		}
		if (got == NULL || strcmp(got, want[f]) != 0)
			fail_msg("official %zu %s: want \"%s\", got \"%s\"",
			    i + 1, field_key(f), want[f], got ? got : "(null)");
	}
}

static int
all_valid(const struct extraction *ex, size_t i)
{
	int f;

	for (f = 0; f < FIELD_COUNT; f++)
		if (problem(ex, i, f) != PROBLEM_NONE)
			return 0;
	return 1;
}

#define ALL_FIELDS	((1u << FIELD_COUNT) - 1)

static void
test_en_label_lines(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Dear Sir or Madam,\n"
	    "\n"
	    "Please find below the details of our official.\n"
	    "\n"
	    "Country: Kenya\n"
	    "Last name: Otieno\n"
	    "First name: Jane\n"
	    "Organisation: Kenya Wildlife Service\n"
	    "Function: Senior Warden\n"
	    "Telephone: +254 20 600 0800\n"
	    "E-mail: jane.otieno@kws.go.ke\n"
	    "\n"
	    "Best regards,\n"
	    "John Smith\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane",
	    "Kenya Wildlife Service", "Senior Warden", "+254 20 600 0800",
	    "jane.otieno@kws.go.ke");
	assert_true(all_valid(&ex, 0));
	assert_string_equal(ex.officials[0].f[FIELD_COUNTRY].value, "KE");
	assert_int_equal(ex.labels_seen, ALL_FIELDS);
	assert_int_equal(ex.truncated, 0);
	extraction_free(&ex);
	assert_null(ex.officials);
	assert_int_equal(ex.nofficials, 0);
}

static void
test_fr_label_lines_french_spacing(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Madame, Monsieur,\n"
	    "Pays : Sénégal\n"
	    "Nom : DIOP\n"
	    "Prénom : Awa\n"
	    "Organisation : Direction des Eaux et Forêts\n"
	    "Fonction : Chef de division\n"
	    "Téléphone : +221 33 889 02 34\n"
	    "Courriel (adresse officielle à utiliser pour les communications)"
	    " : awa.diop@environnement.gouv.sn\n"
	    "Cordialement\n", 0, &ex), 1);
	expect_official(&ex, 0, "Sénégal", "DIOP", "Awa",
	    "Direction des Eaux et Forêts", "Chef de division",
	    "+221 33 889 02 34", "awa.diop@environnement.gouv.sn");
	assert_true(all_valid(&ex, 0));
	assert_string_equal(ex.officials[0].f[FIELD_COUNTRY].value, "SN");
	extraction_free(&ex);
}

/* Labels whose first word has Latin-1 letters, in capitals too, among
 * lines of prose that start with such words. */
static void
test_latin1_first_words(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "\xc3\x80 l'attention du Secr\xc3\xa9tariat,\n"
	    "\xc3\x89tant donn\xc3\xa9 les d\xc3\xa9lais :\n"
	    "PAYS : S\xc3\xa9n\xc3\xa9gal\n"
	    "NOM : DIOP\n"
	    "PR\xc3\x89NOM : Awa\n"
	    "Organisation : DEFCCS\n"
	    "Fonction : Chef de division\n"
	    "T\xc3\x89L\xc3\x89PHONE : +221 33 889 02 34\n"
	    "Courriel : awa.diop@environnement.gouv.sn\n"
	    "\xc3\x80 bient\xc3\xb4t\n", 0, &ex), 1);
	expect_official(&ex, 0, "S\xc3\xa9n\xc3\xa9gal", "DIOP", "Awa",
	    "DEFCCS", "Chef de division", "+221 33 889 02 34",
	    "awa.diop@environnement.gouv.sn");
	extraction_free(&ex);
}

static void
test_es_label_lines(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Estimados señores:\n"
	    "País: México\n"
	    "Apellidos: García López\n"
	    "Nombre: María\n"
	    "Organización: PROFEPA\n"
	    "Cargo: Inspectora federal\n"
	    "Teléfono: +52 55 5449 6300\n"
	    "Correo electrónico: maria.garcia@profepa.gob.mx\n", 0, &ex), 1);
	expect_official(&ex, 0, "México", "García López", "María",
	    "PROFEPA", "Inspectora federal", "+52 55 5449 6300",
	    "maria.garcia@profepa.gob.mx");
	assert_true(all_valid(&ex, 0));
	assert_string_equal(ex.officials[0].f[FIELD_COUNTRY].value, "MX");
	extraction_free(&ex);
}

static void
test_other_separators(void **state)
{
	struct extraction ex;

	(void)state;
	/* " - ", "=", TAB, aligned spaces, fullwidth colon, no space. */
	assert_int_equal(run(
	    "Country - Kenya\n"
	    "Surname = Otieno\n"
	    "Given name\tJane\n"
	    "Agency        Kenya Wildlife Service\n"
	    "Position\xef\xbc\x9a Warden\n"
	    "Tel.:+254 20 600 0800\n"
	    "Email:jane@kws.go.ke;\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane",
	    "Kenya Wildlife Service", "Warden", "+254 20 600 0800",
	    "jane@kws.go.ke");
	extraction_free(&ex);
}

/* Dashes of three widths after a space, a colon after one, and words
 * with single spaces and hyphens before the separator. */
static void
test_dash_separators(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country \xe2\x80\x93 Kenya\n"
	    "Surname \xe2\x80\x94 Otieno\n"
	    "Given name : Jane\n"
	    "E-mail address - jane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
}

/* Runs of blanks in a value become one space; a value without any, of
 * the longest that is read whole, is kept as it is. */
static void
test_value_blanks(void **state)
{
	struct extraction ex;
	struct buf b;
	int i;

	(void)state;
	assert_int_equal(run("Country: Kenya\n"
	    "Organisation:  Kenya  Wildlife\t\tService \n"
	    "Function: Chief\tWarden\n"
	    "Email: jane@kws.go.ke\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_ORGANISATION),
	    "Kenya Wildlife Service");
	assert_string_equal(raw(&ex, 0, FIELD_FUNCTION), "Chief Warden");
	extraction_free(&ex);
	buf_init(&b, 1 << 16);
	buf_addstr(&b, "Country: Kenya\nEmail: jane@kws.go.ke\nFunction: ");
	for (i = 0; i < 4 * LIMIT_FIELD_BYTES; i++)
		buf_addstr(&b, i % 2 ? "a" : " ");
	buf_addstr(&b, "\n");
	assert_int_equal(run(b.data, 0, &ex), 1);
	assert_int_equal(problem(&ex, 0, FIELD_FUNCTION), PROBLEM_TOO_LONG);
	extraction_free(&ex);
	buf_free(&b);
}

static void
test_nom_nombre_name(void **state)
{
	struct extraction ex;

	(void)state;
	/* French "Nom" is the last name, Spanish "Nombre" the first name. */
	assert_int_equal(run("Nom : Dupont\nPrénom : Marie\nPays : France\n",
	    0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Dupont");
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Marie");
	extraction_free(&ex);
	assert_int_equal(run("Nombre: Juan\nApellido: Pérez\nPaís: Chile\n",
	    0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Juan");
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Pérez");
	extraction_free(&ex);
}

static void
test_bullets_and_numbering(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "1. Country: Kenya\n"
	    "2) Last name: Otieno\n"
	    "a) First name: Jane\n"
	    "- Organisation: KWS\n"
	    "* Function: Warden\n"
	    "\xe2\x80\xa2 Telephone: +254 20 600 0800\n"
	    "**E-mail:** jane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", "KWS", "Warden",
	    "+254 20 600 0800", "jane@kws.go.ke");
	assert_true(all_valid(&ex, 0));
	extraction_free(&ex);
	/* Roman numbers, in capitals too, and the bullet "o ". */
	assert_int_equal(run(
	    "i. Country: Kenya\n"
	    "ii) Last name: Otieno\n"
	    "III. First name: Jane\n"
	    "iv. Organisation: KWS\n"
	    "o Function: Warden\n"
	    "xiv) Telephone: +254 20 600 0800\n"
	    "viii. E-mail: jane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", "KWS", "Warden",
	    "+254 20 600 0800", "jane@kws.go.ke");
	extraction_free(&ex);
}

static const char three_by_labels[] =
    "Country: Kenya\n"
    "Name: Jane OTIENO\n"
    "Email: jane@kws.go.ke\n"
    "Phone: +254 20 600 0800\n"
    "Country: Kenya\n"
    "Name: Peter KAMAU\n"
    "Email: peter@kra.go.ke\n"
    "Phone: +254 20 281 7000\n"
    "\n"
    "Country: Kenya\n"
    "Name: Mary WANJIRU\n"
    "Email: mary@kws.go.ke\n"
    "Phone: +254 722 000 111\n";

static void
test_several_by_repeated_labels(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(three_by_labels, 0, &ex), 3);
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "OTIENO");
	assert_string_equal(raw(&ex, 1, FIELD_FIRST_NAME), "Peter");
	assert_string_equal(raw(&ex, 1, FIELD_EMAIL), "peter@kra.go.ke");
	assert_string_equal(raw(&ex, 2, FIELD_LAST_NAME), "WANJIRU");
	assert_string_equal(raw(&ex, 2, FIELD_PHONE), "+254 722 000 111");
	assert_null(raw(&ex, 2, FIELD_ORGANISATION));
	assert_int_equal(problem(&ex, 2, FIELD_ORGANISATION), PROBLEM_MISSING);
	extraction_free(&ex);
}

static void
test_numbered_headings(void **state)
{
	static const char *const heads[][2] = {
		{ "Official 1", "Official 2" },
		{ "1.", "2." },
		{ "Participant 1:", "Participant 2:" },
		{ "First official", "Second official" },
		{ "Personne 1", "Personne 2" },
		{ "Funcionario 1", "Funcionario 2" },
		{ "**Oficial 1**", "**Oficial 2**" },
		{ "Official No. 1", "Official No. 2" },
		/* An ordinal two or three words from the end, after the
		 * words before it, bold marks, a noun of two words, an
		 * accent in the noun or in the ordinal; a number there. */
		{ "Details of the first official",
		    "Details of the second official" },
		{ "** First focal point **", "** Second focal point **" },
		{ "Premier d\xc3\xa9l\xc3\xa9gu\xc3\xa9",
		    "Deuxi\xc3\xa8me d\xc3\xa9l\xc3\xa9gu\xc3\xa9" },
		{ "1st participant", "2nd participant" },
		{ "Primer funcionario", "S\xc3\xa9ptimo funcionario" },
	};
	struct extraction ex;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		/* The second official is written in another order: only the
		 * heading separates the two. */
		snprintf(text, sizeof(text),
		    "%s\n"
		    "Country: Kenya\nLast name: Otieno\nFirst name: Jane\n"
		    "Organisation: KWS\n"
		    "%s\n"
		    "Organisation: KRA\nFirst name: Peter\nLast name: Kamau\n"
		    "Country: Kenya\n", heads[i][0], heads[i][1]);
		if (run(text, 0, &ex) != 2)
			fail_msg("headings \"%s\": %zu officials", heads[i][1],
			    ex.nofficials);
		assert_string_equal(raw(&ex, 0, FIELD_ORGANISATION), "KWS");
		assert_string_equal(raw(&ex, 1, FIELD_ORGANISATION), "KRA");
		assert_string_equal(raw(&ex, 1, FIELD_LAST_NAME), "Kamau");
		extraction_free(&ex);
	}
}

static void
test_vertical_pairs(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country\nKenya\nLast name\nOtieno\nFirst name\nJane\n"
	    "Organisation\nKenya Wildlife Service\nFunction\nWarden\n"
	    "Phone\n+254 20 600 0800\nEmail\njane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane",
	    "Kenya Wildlife Service", "Warden", "+254 20 600 0800",
	    "jane@kws.go.ke");
	extraction_free(&ex);
	/* With colons, and a blank line between label and value where the
	 * label has no colon. */
	assert_int_equal(run(
	    "Country:\nKenya\nLast name:\nOtieno\nFirst name\n\nJane\n"
	    "E-mail:\njane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
	/* A value that starts with a label ("Department") is a value. */
	assert_int_equal(run("Country\nSouth Africa\nOrganisation\n"
	    "Department of Environmental Affairs\nFunction\nDirector\n", 0,
	    &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_ORGANISATION),
	    "Department of Environmental Affairs");
	extraction_free(&ex);
}

static void
test_vertical_cells(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country\nLast name\nFirst name\nOrganisation\nFunction\n"
	    "Telephone\nE-mail\n"
	    "Kenya\nOtieno\nJane\nKWS\nWarden\n+254 20 600 0800\n"
	    "jane@kws.go.ke\n"
	    "Kenya\nWanjiru\nMary\nKWS\nRanger\n+254 722 000 111\n"
	    "mary@kws.go.ke\n"
	    "\n"
	    "Kind regards\nJohn\n", 0, &ex), 2);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", "KWS", "Warden",
	    "+254 20 600 0800", "jane@kws.go.ke");
	expect_official(&ex, 1, "Kenya", "Wanjiru", "Mary", "KWS", "Ranger",
	    "+254 722 000 111", "mary@kws.go.ke");
	extraction_free(&ex);
	/* Cells with a blank line between each (Outlook paragraphs). */
	assert_int_equal(run(
	    "Pays\n\nNom\n\nPrénom\n\nCourriel\n\n"
	    "France\n\nDUPONT\n\nMarie\n\nmarie.dupont@ofb.gouv.fr\n", 0,
	    &ex), 1);
	expect_official(&ex, 0, "France", "DUPONT", "Marie", NULL, NULL, NULL,
	    "marie.dupont@ofb.gouv.fr");
	extraction_free(&ex);
}

static void
test_template_then_signature(void **state)
{
	struct extraction ex;

	(void)state;
	/* An empty template, then a signature: the signature's lines are not
	 * the template's values. */
	assert_int_equal(run("Please fill in:\nCountry\nName\nPhone\nEmail\n"
	    "\nBest regards\nJohn Smith\nKWS\nNairobi\n", 0, &ex), 0);
	extraction_free(&ex);
	assert_int_equal(run("Country:\nName:\nPhone:\nBest regards\n"
	    "John Smith\n", 0, &ex), 0);
	extraction_free(&ex);
	/* A telephone or an address on the next line is one. */
	assert_int_equal(run("Country: Kenya\nPhone:\nBest regards\n"
	    "Email\njane@kws.go.ke\n", 0, &ex), 1);
	assert_null(raw(&ex, 0, FIELD_PHONE));
	assert_string_equal(raw(&ex, 0, FIELD_EMAIL), "jane@kws.go.ke");
	extraction_free(&ex);
}

static void
test_tab_table(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Please register:\n"
	    "Country\tLast name\tFirst name\tOrganisation\tFunction\t"
	    "Telephone\tE-mail\n"
	    "Kenya\tOtieno\tJane\tKWS\tWarden\t+254 20 600 0800\t"
	    "jane@kws.go.ke\n"
	    "Kenya\tWanjiru\tMary\tKWS\tRanger\t\tmary@kws.go.ke\n"
	    "Kenya\tKamau\tPeter\tKRA Customs\tOfficer\t+254 733 111 222\t"
	    "pkamau@kra.go.ke\n"
	    "\n"
	    "Thank you\n", 0, &ex), 3);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", "KWS", "Warden",
	    "+254 20 600 0800", "jane@kws.go.ke");
	expect_official(&ex, 1, "Kenya", "Wanjiru", "Mary", "KWS", "Ranger",
	    NULL, "mary@kws.go.ke");
	expect_official(&ex, 2, "Kenya", "Kamau", "Peter", "KRA Customs",
	    "Officer", "+254 733 111 222", "pkamau@kra.go.ke");
	assert_int_equal(problem(&ex, 1, FIELD_PHONE), PROBLEM_MISSING);
	assert_int_equal(ex.labels_seen, ALL_FIELDS);
	extraction_free(&ex);
}

static void
test_pipe_table(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country | Name | Organization | Position | Phone | Email\n"
	    "Namibia | Anna SHIKONGO | MEFT | Warden | +264 61 284 2111 | "
	    "anna@meft.gov.na\n", 0, &ex), 1);
	expect_official(&ex, 0, "Namibia", "SHIKONGO", "Anna", "MEFT",
	    "Warden", "+264 61 284 2111", "anna@meft.gov.na");
	extraction_free(&ex);
}

static void
test_markdown_table(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "| País | Apellidos | Nombre | Organización | Cargo | Teléfono "
	    "| Correo electrónico |\n"
	    "|------|-----------|--------|:------------:|-------|----------"
	    "|--------------------|\n"
	    "| México | García López | María | PROFEPA | Inspectora | "
	    "+52 55 5449 6300 | maria.garcia@profepa.gob.mx |\n"
	    "| México | Pérez | Juan | Aduanas | Oficial | +52 55 1111 2222 "
	    "| jperez@sat.gob.mx |\n", 0, &ex), 2);
	expect_official(&ex, 1, "México", "Pérez", "Juan", "Aduanas",
	    "Oficial", "+52 55 1111 2222", "jperez@sat.gob.mx");
	assert_true(all_valid(&ex, 0));
	extraction_free(&ex);
}

static void
test_aligned_table(void **state)
{
	struct extraction ex;

	(void)state;
	/* The second row lacks a first name and a phone: columns are read
	 * from the header's positions.  In the third, a long last name
	 * leaves one space before the first name. */
	assert_int_equal(run(
	    "Country    Last name    First name    Organisation       "
	    "Phone              Email\n"
	    "Namibia    Shikongo     Anna          MEFT               "
	    "+264 61 284 2111   anna@meft.gov.na\n"
	    "Namibia    Amutenya                   Customs            "
	    "                   amutenya@mof.gov.na\n"
	    "Namibia    Nghipandulwa Peter         Namibian Police    "
	    "+264 61 209 4111   pnghip@nampol.gov.na\n", 0, &ex), 3);
	expect_official(&ex, 0, "Namibia", "Shikongo", "Anna", "MEFT", NULL,
	    "+264 61 284 2111", "anna@meft.gov.na");
	expect_official(&ex, 1, "Namibia", "Amutenya", NULL, "Customs", NULL,
	    NULL, "amutenya@mof.gov.na");
	expect_official(&ex, 2, "Namibia", "Nghipandulwa", "Peter",
	    "Namibian Police", NULL, "+264 61 209 4111",
	    "pnghip@nampol.gov.na");
	extraction_free(&ex);
}

static void
test_csv_semicolon(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Pays;Nom;Prénom;Organisation;Fonction;Téléphone;Courriel\r\n"
	    "France;\"DUPONT\";Marie;\"Office français de la biodiversité; "
	    "OFB\";Inspectrice;+33 1 45 14 36 00;marie.dupont@ofb.gouv.fr\r\n"
	    "France;MARTIN;Luc;\"Douane \"\"DNRED\"\"\";Agent;0145143600;"
	    "luc.martin@douane.finances.gouv.fr\r\n", 1, &ex), 2);
	expect_official(&ex, 0, "France", "DUPONT", "Marie",
	    "Office français de la biodiversité; OFB", "Inspectrice",
	    "+33 1 45 14 36 00", "marie.dupont@ofb.gouv.fr");
	assert_string_equal(raw(&ex, 1, FIELD_ORGANISATION),
	    "Douane \"DNRED\"");
	extraction_free(&ex);
}

static void
test_csv_comma_only_for_csv(void **state)
{
	static const char text[] =
	    "Country,Last name,First name,Email\n"
	    "Kenya,Otieno,Jane,jane@kws.go.ke\n";
	struct extraction ex;

	(void)state;
	assert_int_equal(run(text, 1, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
	/* In a body, commas are prose. */
	assert_int_equal(run(text, 0, &ex), 0);
	extraction_free(&ex);
}

static void
test_transposed_table(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country\tKenya\tKenya\n"
	    "Last name\tOtieno\tWanjiru\n"
	    "First name\tJane\tMary\n"
	    "Organisation\tKWS\tKWS\n"
	    "Function\tWarden\tRanger\n"
	    "Telephone\t+254 20 600 0800\t+254 722 000 111\n"
	    "E-mail\tjane@kws.go.ke\tmary@kws.go.ke\n", 0, &ex), 2);
	expect_official(&ex, 1, "Kenya", "Wanjiru", "Mary", "KWS", "Ranger",
	    "+254 722 000 111", "mary@kws.go.ke");
	extraction_free(&ex);
	/* With a row of column headings first. */
	assert_int_equal(run(
	    "\tOfficial 1\tOfficial 2\n"
	    "Country\tKenya\tKenya\n"
	    "Name\tJane OTIENO\tMary WANJIRU\n"
	    "Email\tjane@kws.go.ke\tmary@kws.go.ke\n", 0, &ex), 2);
	assert_string_equal(raw(&ex, 1, FIELD_LAST_NAME), "WANJIRU");
	assert_string_equal(raw(&ex, 1, FIELD_FIRST_NAME), "Mary");
	extraction_free(&ex);
}

static void
test_full_name_split(void **state)
{
	static const char *const cases[][3] = {
		{ "Name: Dr. Jane WANJIRU", "Jane", "WANJIRU" },
		{ "Name: Jane Mary Otieno", "Jane Mary", "Otieno" },
		{ "Full name: OTIENO Jane Achieng", "Jane Achieng", "OTIENO" },
		{ "Nom complet : M. Jean-Pierre Dupont", "Jean-Pierre",
		    "Dupont" },
		{ "Nombre completo: Sra. Ana María RODRÍGUEZ PÉREZ",
		    "Ana María", "RODRÍGUEZ PÉREZ" },
		{ "Name: Otieno, Jane", "Jane", "Otieno" },
		{ "Name: Mrs JANE OTIENO", "JANE", "OTIENO" },
		{ "Name: Prof. Ing. Hans Müller", "Hans", "Müller" },
	};
	struct extraction ex;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s\nCountry: Kenya\n",
		    cases[i][0]);
		assert_int_equal(run(text, 0, &ex), 1);
		if (strcmp(raw(&ex, 0, FIELD_FIRST_NAME), cases[i][1]) != 0 ||
		    strcmp(raw(&ex, 0, FIELD_LAST_NAME), cases[i][2]) != 0)
			fail_msg("\"%s\": first \"%s\", last \"%s\"",
			    cases[i][0], raw(&ex, 0, FIELD_FIRST_NAME),
			    raw(&ex, 0, FIELD_LAST_NAME));
		extraction_free(&ex);
	}
}

static void
test_full_name_with_explicit_parts(void **state)
{
	struct extraction ex;

	(void)state;
	/* "Name" next to "Surname": the name is the first name. */
	assert_int_equal(run("Surname: Otieno\nName: Jane\nCountry: Kenya\n",
	    0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Otieno");
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Jane");
	extraction_free(&ex);
	assert_int_equal(run("Surname: Kamau\nName: Peter Kamau\n"
	    "Country: Kenya\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Peter");
	extraction_free(&ex);
	/* "Title" is a job title, unless it holds a form of address. */
	assert_int_equal(run("Title: Dr\nName: Jane\nSurname: Otieno\n"
	    "Position: Director\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FUNCTION), "Director");
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Jane");
	extraction_free(&ex);
	/* The longest form of address, with its marks, and a word longer. */
	assert_int_equal(run("Title: (PROFESSOR.)\nName: Jane\n"
	    "Surname: Otieno\nCountry: Kenya\n", 0, &ex), 1);
	assert_null(raw(&ex, 0, FIELD_FUNCTION));
	extraction_free(&ex);
	assert_int_equal(run("Title: Professors\nName: Jane\n"
	    "Surname: Otieno\nCountry: Kenya\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FUNCTION), "Professors");
	extraction_free(&ex);
	/* Explicit first and last names win over the whole name. */
	assert_int_equal(run("Name: J. Otieno\nFirst name: Jane\n"
	    "Last name: Otieno\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Jane");
	extraction_free(&ex);
}

static void
test_empty_values(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country: Kenya\n"
	    "Last name: Otieno\n"
	    "First name:\n"
	    "Organisation: KWS\n"
	    "Function:   \n"
	    "Phone:\n"
	    "Email: jane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", NULL, "KWS", NULL, NULL,
	    "jane@kws.go.ke");
	assert_int_equal(problem(&ex, 0, FIELD_FIRST_NAME), PROBLEM_MISSING);
	assert_int_equal(problem(&ex, 0, FIELD_PHONE), PROBLEM_MISSING);
	assert_null(ex.officials[0].f[FIELD_PHONE].value);
	extraction_free(&ex);
}

static void
test_one_value(void **state)
{
	struct extraction ex;

	(void)state;
	/* One field given, but the block shows the form: kept so that the
	 * reply can list what is missing. */
	assert_int_equal(run("Country: Kenya\nName:\nPhone:\nEmail:\n", 0,
	    &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_COUNTRY), "Kenya");
	extraction_free(&ex);
	/* One stray line next to a real official is not an official. */
	assert_int_equal(run("Country: Kenya\nName: Jane OTIENO\n"
	    "Email: jane@kws.go.ke\n\nSee you soon.\nTel: +41 22 917 8139\n",
	    0, &ex), 1);
	assert_null(raw(&ex, 0, FIELD_PHONE));
	extraction_free(&ex);
	/* Alone, it is all the message gives (a follow-up). */
	assert_int_equal(run("Dear Secretariat,\n\nTelephone: +264 61 284 2333"
	    "\n\nRegards\n", 0, &ex), 1);
	expect_official(&ex, 0, NULL, NULL, NULL, NULL, NULL,
	    "+264 61 284 2333", NULL);
	assert_int_equal(ex.labels_seen, 0);
	extraction_free(&ex);
}

static void
test_values_that_are_labels(void **state)
{
	struct extraction ex;

	(void)state;
	/* The header again in French under the English one is no official. */
	assert_int_equal(run(
	    "Country\tLast name\tFirst name\tE-mail\n"
	    "Pays\tNom\tPrénom\tCourriel\n"
	    "Kenya\tOtieno\tJane\tjane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
	/* "Country: Country" is a template, not a value. */
	assert_int_equal(run("Country: Country\nLast name: Otieno\n"
	    "Email: jane@kws.go.ke\n", 0, &ex), 1);
	assert_null(raw(&ex, 0, FIELD_COUNTRY));
	extraction_free(&ex);
	/* A label of another field is still a value: "Mel" is a first name
	 * as well as a French label of e-mail. */
	assert_int_equal(run("First name: Mel\nLast name: Otieno\n"
	    "Country: Kenya\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Mel");
	extraction_free(&ex);
	/* The same in a table's rows, whose cells are looked up once: by
	 * the votes when none is a label, by the row itself otherwise. */
	assert_int_equal(run(
	    "Country\tLast name\tFirst name\tE-mail\n"
	    "Country\tOtieno\tJane\tjane@kws.go.ke\n"
	    "Kenya\tMel\tMary\tmary@kws.go.ke\n"
	    "Kenya\tWanjiru\tRosé\tcountry@kws.go.ke\n"
	    "Kenya\tKamau\tPeter\tpeter@kws.go.ke\n", 0, &ex), 4);
	assert_null(raw(&ex, 0, FIELD_COUNTRY));
	assert_string_equal(raw(&ex, 1, FIELD_LAST_NAME), "Mel");
	assert_string_equal(raw(&ex, 2, FIELD_FIRST_NAME), "Rosé");
	expect_official(&ex, 3, "Kenya", "Kamau", "Peter", NULL, NULL, NULL,
	    "peter@kws.go.ke");
	extraction_free(&ex);
}

static void
test_ordinary_paragraph(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Hello,\n"
	    "\n"
	    "My colleague will phone you next week. Our country is very\n"
	    "interested in the project and the organisation of the meeting.\n"
	    "Please send an email to my office: we will reply.\n"
	    "Name of the game: patience.\n"
	    "\n"
	    "Regards\n", 0, &ex), 0);
	assert_int_equal(ex.labels_seen & ~(1u << FIELD_LAST_NAME |
	    1u << FIELD_FIRST_NAME), 0);
	extraction_free(&ex);
}

static void
test_signature_is_not_a_form(void **state)
{
	struct extraction ex;

	(void)state;
	/* A signature's contact lines do not count as form labels. */
	run("Thanks, I will call you.\n\n--\nJohn Smith\n"
	    "Phone: +41 22 917 8139\nEmail: john@example.org\n", 0, &ex);
	assert_int_equal(ex.labels_seen, 0);
	extraction_free(&ex);
	/* Next to a real official, they are not a second official. */
	assert_int_equal(run(
	    "Country: Kenya\nLast name: Otieno\nFirst name: Jane\n"
	    "Organisation: KWS\nFunction: Warden\nPhone: +254 20 600 0800\n"
	    "Email: jane@kws.go.ke\n\nBest regards,\nPeter\n"
	    "Tel: +254 20 111 2222\nEmail: peter@kws.go.ke\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_EMAIL), "jane@kws.go.ke");
	extraction_free(&ex);
}

static void
test_several_labels_on_a_line(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Name: Jane Otieno   Country: Kenya   Email: jane@kws.go.ke\n"
	    "Organisation: KWS; Function: Warden; Tel: +254 20 600 0800\n", 0,
	    &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", "KWS", "Warden",
	    "+254 20 600 0800", "jane@kws.go.ke");
	extraction_free(&ex);
}

static void
test_shared_country(void **state)
{
	struct extraction ex;

	(void)state;
	/* Country and organisation written once, before the people. */
	assert_int_equal(run(
	    "Country: Kenya\nOrganisation: Kenya Wildlife Service\n\n"
	    "Official 1\nSurname: Otieno\nName: Jane\nEmail: jane@kws.go.ke\n"
	    "Official 2\nSurname: Kamau\nName: Peter\n"
	    "Email: peter@kws.go.ke\n", 0, &ex), 2);
	assert_string_equal(raw(&ex, 1, FIELD_COUNTRY), "Kenya");
	assert_string_equal(raw(&ex, 1, FIELD_ORGANISATION),
	    "Kenya Wildlife Service");
	extraction_free(&ex);
	/* A country given for the first official only. */
	assert_int_equal(run(
	    "Country: Kenya\nName: Jane OTIENO\nEmail: jane@kws.go.ke\n"
	    "Name: Peter KAMAU\nEmail: peter@kws.go.ke\n", 0, &ex), 2);
	assert_string_equal(raw(&ex, 1, FIELD_COUNTRY), "Kenya");
	extraction_free(&ex);
}

static void
test_loose_labels(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country of the official: Kenya\n"
	    "Last name(s): Otieno\n"
	    "First name (given): Jane\n"
	    "E-mail address (official): jane@kws.go.ke\n"
	    "Telephone (with country code): +254 20 600 0800\n"
	    "Nom / Last name: ignored-by-order\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_COUNTRY), "Kenya");
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Otieno");
	assert_string_equal(raw(&ex, 0, FIELD_FIRST_NAME), "Jane");
	assert_string_equal(raw(&ex, 0, FIELD_EMAIL), "jane@kws.go.ke");
	assert_string_equal(raw(&ex, 0, FIELD_PHONE), "+254 20 600 0800");
	extraction_free(&ex);
}

static void
test_mail_client_decoration(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country: Kenya\nLast name: Otieno\n"
	    "E-mail: jane@kws.go.ke <mailto:jane@kws.go.ke>\n"
	    "Phone: +254 20 600 0800,\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_EMAIL), "jane@kws.go.ke");
	assert_string_equal(raw(&ex, 0, FIELD_PHONE), "+254 20 600 0800");
	assert_int_equal(problem(&ex, 0, FIELD_EMAIL), PROBLEM_NONE);
	extraction_free(&ex);
}

static void
test_invalid_email_and_short_phone(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "Country: Atlantis\nLast name: Otieno\nFirst name: N/A\n"
	    "Phone: 12345\nEmail: jane(at)kws.go.ke\n", 0, &ex), 1);
	assert_int_equal(problem(&ex, 0, FIELD_EMAIL), PROBLEM_EMAIL);
	assert_null(ex.officials[0].f[FIELD_EMAIL].value);
	assert_string_equal(raw(&ex, 0, FIELD_EMAIL), "jane(at)kws.go.ke");
	assert_int_equal(problem(&ex, 0, FIELD_PHONE), PROBLEM_PHONE);
	assert_int_equal(problem(&ex, 0, FIELD_COUNTRY), PROBLEM_COUNTRY);
	assert_int_equal(problem(&ex, 0, FIELD_FIRST_NAME), PROBLEM_TEXT);
	assert_int_equal(problem(&ex, 0, FIELD_LAST_NAME), PROBLEM_NONE);
	assert_int_equal(problem(&ex, 0, FIELD_FUNCTION), PROBLEM_MISSING);
	extraction_free(&ex);
}

static void
test_phone_validated_with_country(void **state)
{
	struct validate_ctx ctx = { NULL, NULL, "KE" };
	struct extraction ex;
	char *norm = NULL;

	(void)state;
	ctx.parties = form->parties;
	ctx.freemail = form->freemail;
	/* The country comes after the phone in the text; it is validated
	 * first, and the phone with it. */
	assert_int_equal(run("Phone: 020 600 0800\nLast name: Otieno\n"
	    "Country: Kenya\n", 0, &ex), 1);
	assert_int_equal(form->validator[FIELD_PHONE]->fn(&ctx,
	    "020 600 0800", &norm), PROBLEM_NONE);
	assert_non_null(ex.officials[0].f[FIELD_PHONE].value);
	assert_string_equal(ex.officials[0].f[FIELD_PHONE].value, norm);
	free(norm);
	extraction_free(&ex);
}

static void
test_too_long_value(void **state)
{
	struct extraction ex;
	struct buf b;
	const char *r;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_addstr(&b, "Country: Kenya\nLast name: Otieno\nOrganisation: ");
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "Kenya Wildlife Service ");
	buf_addstr(&b, "\n");
	assert_int_equal(run(b.data, 0, &ex), 1);
	r = raw(&ex, 0, FIELD_ORGANISATION);
	assert_true(strlen(r) > LIMIT_FIELD_BYTES);
	assert_true(strlen(r) <= LIMIT_FIELD_BYTES + 3);
	assert_string_equal(r + strlen(r) - 3, "\xe2\x80\xa6");
	assert_int_equal(problem(&ex, 0, FIELD_ORGANISATION),
	    PROBLEM_TOO_LONG);
	/* Validating again gives the same answer. */
	extract_validate(form, &ex.officials[0]);
	assert_int_equal(problem(&ex, 0, FIELD_ORGANISATION),
	    PROBLEM_TOO_LONG);
	extraction_free(&ex);
	buf_free(&b);
}

static void
test_extract_validate(void **state)
{
	struct official o;

	(void)state;
	memset(&o, 0, sizeof(o));
	extract_validate(form, &o);
	assert_int_equal(o.f[FIELD_COUNTRY].problem, PROBLEM_MISSING);
	assert_int_equal(o.f[FIELD_EMAIL].problem, PROBLEM_MISSING);
	o.f[FIELD_COUNTRY].raw = strdup("Kenya");
	o.f[FIELD_EMAIL].raw = strdup("jane@kws.go.ke");
	extract_validate(form, &o);
	assert_int_equal(o.f[FIELD_COUNTRY].problem, PROBLEM_NONE);
	assert_string_equal(o.f[FIELD_COUNTRY].value, "KE");
	assert_int_equal(o.f[FIELD_EMAIL].problem, PROBLEM_NONE);
	/* A corrected value is validated again. */
	free(o.f[FIELD_COUNTRY].raw);
	o.f[FIELD_COUNTRY].raw = strdup("Narnia");
	extract_validate(form, &o);
	assert_int_equal(o.f[FIELD_COUNTRY].problem, PROBLEM_COUNTRY);
	assert_null(o.f[FIELD_COUNTRY].value);
	official_free(&o);
	official_free(NULL);
}

static void
test_duplicates_kept_once(void **state)
{
	static const char one[] =
	    "Country: Kenya\nLast name: Otieno\nFirst name: Jane\n"
	    "Email: jane@kws.go.ke\n";
	struct extraction ex;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	buf_printf(&b, "%s\n%s", one, one);
	/* Twice in one text. */
	assert_int_equal(run(b.data, 0, &ex), 1);
	/* And the same text again (an HTML part saying the same). */
	assert_int_equal(extract_text(form, "COUNTRY: kenya\nLast name: "
	    "OTIENO\nFirst name: Jane\nEmail: JANE@kws.go.ke\n", 0, &ex), 0);
	assert_int_equal(ex.nofficials, 1);
	extraction_free(&ex);
	buf_free(&b);
}

static void
test_officials_capped(void **state)
{
	struct extraction ex;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < LIMIT_OFFICIALS + 20; i++)
		buf_printf(&b, "Name: Person%d TEST\nEmail: p%d@kws.go.ke\n", i,
		    i);
	assert_int_equal(run(b.data, 0, &ex), LIMIT_OFFICIALS);
	assert_int_equal(ex.truncated, 1);
	assert_string_equal(raw(&ex, LIMIT_OFFICIALS - 1, FIELD_EMAIL),
	    "p49@kws.go.ke");
	extraction_free(&ex);
	buf_free(&b);
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_junk_bounded(void **state)
{
	const size_t size = 4u << 20;
	struct extraction ex;
	char *junk = malloc(size + 1);
	uint32_t x = 2463534242u;
	double t0, ms;
	size_t i;

	(void)state;
	assert_non_null(junk);
	/* Binary junk (no NUL: texts are C strings). */
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (char)(x % 255 + 1);
	}
	junk[size] = '\0';
	t0 = cpu_ms();
	assert_int_equal(run(junk, 0, &ex), 0);
	ms = cpu_ms() - t0;
	extraction_free(&ex);
	/* Well under 100 ms in an optimised build; sanitizers are slower. */
	if (ms > 2000)
		fail_msg("4 MB of junk took %.0f ms", ms);
	/* One long line, lines of separators, many short lines. */
	memset(junk, 'x', size);
	assert_int_equal(run(junk, 0, &ex), 0);
	extraction_free(&ex);
	for (i = 0; i < size; i++)
		junk[i] = "\t|; :\n"[i % 6];
	t0 = cpu_ms();
	assert_int_equal(run(junk, 1, &ex), 0);
	assert_int_equal(ex.truncated, 1);	/* LIMIT_LINES */
	extraction_free(&ex);
	for (i = 0; i + 1 < size; i += 2) {
		junk[i] = ':';
		junk[i + 1] = i % 4000 == 0 ? '\n' : 'a';
	}
	assert_int_equal(run(junk, 0, &ex), 0);
	extraction_free(&ex);
	ms = cpu_ms() - t0;
	if (ms > 4000)
		fail_msg("junk lines took %.0f ms", ms);
	free(junk);
}

static void
test_many_lines_truncated(void **state)
{
	struct extraction ex;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 22);
	for (i = 0; i < LIMIT_LINES + 10; i++)
		buf_addstr(&b, "hello\n");
	buf_addstr(&b, "Country: Kenya\nName: Jane OTIENO\n"
	    "Email: jane@kws.go.ke\n");
	assert_int_equal(run(b.data, 0, &ex), 0);
	assert_int_equal(ex.truncated, 1);
	extraction_free(&ex);
	buf_free(&b);
}

/* Candidates that are not ASCII count against LIMIT_LABEL_FOLDS even
 * when their first word rules them out before any folding: three a line
 * here ("Noé 12: x" as a label, loosely, then the whole line). */
static void
test_fold_budget(void **state)
{
	static const int lines[] = { 6000, 7000 };
	struct extraction ex;
	struct buf b;
	char line[64];
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < 2; k++) {
		buf_init(&b, 1 << 20);
		buf_addstr(&b, "Country: Kenya\nName: Jane OTIENO\n"
		    "Email: jane@kws.go.ke\n\n");
		for (i = 0; i < lines[k]; i++) {
			snprintf(line, sizeof(line), "No\xc3\xa9 %d: x\n", i);
			buf_addstr(&b, line);
		}
		assert_int_equal(run(b.data, 0, &ex), 1);
		assert_int_equal(ex.truncated, k == 1);
		assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "OTIENO");
		extraction_free(&ex);
		buf_free(&b);
	}
}

/* Whether k lines of prose with a semicolon, each starting with a word
 * that is not ASCII, run the fold budget out. */
static int
semi_prose_truncates(int k)
{
	struct extraction ex;
	struct buf b;
	char line[64];
	int i, trunc;

	buf_init(&b, 1 << 20);
	buf_addstr(&b, "Country: Kenya\nName: Jane OTIENO\n"
	    "Email: jane@kws.go.ke\n\n");
	for (i = 0; i < k; i++) {
		snprintf(line, sizeof(line), "No\xc3\xa9 %d, dit-il; et %d\n",
		    i, i);
		buf_addstr(&b, line);
	}
	assert_int_equal(run(b.data, 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "OTIENO");
	trunc = ex.truncated;
	extraction_free(&ex);
	buf_free(&b);
	return trunc;
}

/*
 * The first cell of a line split by ';' is looked up by the votes, and
 * loosely by the transposed layout, twice (as the row that ends a try,
 * then as the first of the next), which reuses what the votes found but
 * counts the cell against LIMIT_LABEL_FOLDS as a loose search does (twice
 * a look).  With the line itself, six foldings a line: the budget runs
 * out past LIMIT_LABEL_FOLDS / 6 lines.
 */
static void
test_fold_budget_cells(void **state)
{
	(void)state;
	assert_int_equal(semi_prose_truncates(LIMIT_LABEL_FOLDS / 6), 0);
	assert_int_equal(semi_prose_truncates(LIMIT_LABEL_FOLDS / 6 + 1), 1);
}

static void
test_invalid_utf8_and_long_lines(void **state)
{
	struct extraction ex;
	struct buf b;
	int i;

	(void)state;
	/* Bad bytes in values are replaced, and the official is found. */
	assert_int_equal(run("Country: Kenya\nLast name: Oti\xff\xfeno\n"
	    "Email: jane@kws.go.ke\n", 0, &ex), 1);
	assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME),
	    "Oti\xef\xbf\xbd\xef\xbf\xbdno");
	extraction_free(&ex);
	/* A line longer than LIMIT_LINE_BYTES is cut, not skipped. */
	buf_init(&b, 1 << 20);
	buf_addstr(&b, "Country: Kenya\nEmail: jane@kws.go.ke\nFunction: ");
	for (i = 0; i < LIMIT_LINE_BYTES; i++)
		buf_addstr(&b, "\xc3\xa9");
	buf_addstr(&b, "\n");
	assert_int_equal(run(b.data, 0, &ex), 1);
	assert_int_equal(problem(&ex, 0, FIELD_FUNCTION), PROBLEM_TOO_LONG);
	extraction_free(&ex);
	buf_free(&b);
	/* Nothing at all. */
	assert_int_equal(run("", 0, &ex), 0);
	assert_int_equal(ex.labels_seen, 0);
	extraction_free(&ex);
	assert_int_equal(run(NULL, 0, &ex), 0);
	extraction_free(&ex);
}

/* Two extractions agree: officials, fields, labels, votes, truncation. */
static void
expect_same(const struct extraction *a, const struct extraction *b)
{
	size_t i;
	int f;

	assert_int_equal(a->nofficials, b->nofficials);
	assert_int_equal(a->labels_seen, b->labels_seen);
	assert_int_equal(a->truncated, b->truncated);
	assert_memory_equal(a->lang_score, b->lang_score,
	    sizeof(a->lang_score));
	for (i = 0; i < a->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			const struct field_value *x = &a->officials[i].f[f];
			const struct field_value *y = &b->officials[i].f[f];

			assert_int_equal(x->problem, y->problem);
			assert_true((x->raw == NULL) == (y->raw == NULL));
			if (x->raw != NULL)
				assert_string_equal(x->raw, y->raw);
			assert_true((x->value == NULL) == (y->value == NULL));
			if (x->value != NULL)
				assert_string_equal(x->value, y->value);
		}
}

/* The votes of a row split by ';' or TAB are the same read in place as
 * split with a CSV quote in the row (which other layouts may read as part
 * of a value). */
static void
test_votes_in_place(void **state)
{
	static const char *const rows[][2] = {
		{ "Nom;Pr\xc3\xa9nom;Pays\n",
		  "Nom;Pr\xc3\xa9nom;\"Pays\"\n" },
		{ " Nom ; Pr\xc3\xa9nom\t;Pays ;\n",
		  " Nom ; Pr\xc3\xa9nom\t;\"Pays\" ;\n" },
		{ "**Nom**;Pr\xc3\xa9nom:;;Pays\n",
		  "**Nom**;Pr\xc3\xa9nom:;;\"Pays\"\n" },
		{ "Apellido\tNombre\tPa\xc3\xads\t\n",
		  "Apellido\tNombre\t\"Pa\xc3\xads\"\t\n" },
		{ "Apellido \t Nombre  \t\tPa\xc3\xads\n",
		  "Apellido \t Nombre  \t\t\"Pa\xc3\xads\"\n" },
	};
	struct extraction a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(rows[i][0], 0, &a);
		run(rows[i][1], 0, &b);
		assert_true(a.lang_score[i < 3 ? LANG_FR : LANG_ES] > 0);
		assert_memory_equal(a.lang_score, b.lang_score,
		    sizeof(a.lang_score));
		extraction_free(&a);
		extraction_free(&b);
	}
}

/*
 * extract_text_utf8(), for text known to be valid UTF-8, skips only the
 * check: on such text it finds what extract_text() finds, also where a
 * long line is cut next to a character of two, three or four bytes.
 */
static void
test_text_known_valid(void **state)
{
	static const char *const chars[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"
	};
	static const char *const texts[] = {
		"Country: Kenya\nLast name: Otieno\nFirst name: Jane\n"
		    "Email: jane@kws.go.ke\nTelephone: +254 20 1234567\n",
		"Pays\tNom\tPr\xc3\xa9nom\tCourriel\nS\xc3\xa9n\xc3\xa9gal\t"
		    "Diop\tAwa\ta@b.sn\n",
		"Pa\xc3\xads: M\xc3\xa9xico\r\nApellidos: P\xc3\xa9rez\r\n"
		    "Cargo: Oficial \xe2\x80\x93 jefe\r\nCorreo: x@y.mx",
		"",
	};
	struct extraction a, b;
	struct buf t;
	size_t i, k, pad;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		extract_text(form, texts[i], 0, &a);
		extract_text_utf8(form, texts[i], 0, &b);
		expect_same(&a, &b);
		extraction_free(&a);
		extraction_free(&b);
	}
	/* A line of LIMIT_LINE_BYTES and more, a character across the cut
	 * at each of its bytes. */
	for (k = 0; k < sizeof(chars) / sizeof(chars[0]); k++)
		for (pad = 0; pad < 4; pad++) {
			buf_init(&t, 1 << 20);
			buf_addstr(&t, "Country: Kenya\nEmail: jane@kws.go.ke\n"
			    "Function: ");
			for (i = 0; i < pad; i++)
				buf_addch(&t, 'x');
			while (t.len < 2 * LIMIT_LINE_BYTES)
				buf_addstr(&t, chars[k]);
			buf_addstr(&t, "\nLast name: Otieno\n");
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			extract_text(form, t.data, 0, &a);
			extract_text_utf8(form, t.data, 0, &b);
			expect_same(&a, &b);
			assert_int_equal(b.nofficials, 1);
			extraction_free(&a);
			extraction_free(&b);
			buf_free(&t);
		}
}

static void
test_language_scores(void **state)
{
	static const struct {
		const char	*text;
		enum lang	 lang;
	} cases[] = {
		{ "Dear Sir, please find below the details of the officials "
		    "for the group.\nBest regards", LANG_EN },
		{ "Madame, Monsieur, veuillez trouver ci-dessous les "
		    "informations demandées pour nos agents.\nCordialement",
		    LANG_FR },
		{ "Estimados señores: por medio de la presente enviamos los "
		    "datos de los funcionarios.\nAtentamente", LANG_ES },
		/* Labels alone tell too. */
		{ "Nom : Diop\nPrénom : Awa\nFonction : Chef\n", LANG_FR },
		{ "Apellidos: Pérez\nCargo: Oficial\nCorreo: x@y.mx\n",
		    LANG_ES },
		{ "Pays\tNom\tPrénom\tCourriel\nSénégal\tDiop\tAwa\t"
		    "a@b.sn\n", LANG_FR },
	};
	struct extraction ex;
	size_t i;
	int l;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* As intake.c does: labels vote while extracting, words
		 * after. */
		memset(&ex, 0, sizeof(ex));
		extract_text(form, cases[i].text, 0, &ex);
		extract_language(form, cases[i].text, &ex);
		for (l = 0; l < LANG_COUNT; l++)
			if (l != (int)cases[i].lang &&
			    ex.lang_score[l] >= ex.lang_score[cases[i].lang])
				fail_msg("case %zu: %s %d >= %s %d", i,
				    lang_key(l), ex.lang_score[l],
				    lang_key(cases[i].lang),
				    ex.lang_score[cases[i].lang]);
		/* Scores add up over calls. */
		extract_language(form, cases[i].text, &ex);
		assert_true(ex.lang_score[cases[i].lang] >= 2);
		extraction_free(&ex);
	}
	/* "organisation" and "e-mail" are English and French alike. */
	memset(&ex, 0, sizeof(ex));
	extract_language(form, "Organisation: KWS\nE-mail: a@b.ke\n", &ex);
	assert_int_equal(ex.lang_score[LANG_EN], 0);
	assert_int_equal(ex.lang_score[LANG_FR], 0);
	extract_language(form, NULL, &ex);
}

static void
test_crlf_and_html_flattened(void **state)
{
	struct extraction ex;

	(void)state;
	/* html.c gives a row per line, cells split by TABs, empty cells
	 * kept. */
	assert_int_equal(run(
	    "Pays\tNom\tPrénom\tOrganisation\tFonction\tTéléphone\t"
	    "Courriel (adresse officielle à utiliser pour les "
	    "communications)\r\n"
	    "Burkina Faso\tOUEDRAOGO\tIssa\tMinistère de l'Environnement\t"
	    "Directeur\t\tissa.ouedraogo@environnement.gov.bf\r\n", 0, &ex), 1);
	expect_official(&ex, 0, "Burkina Faso", "OUEDRAOGO", "Issa",
	    "Ministère de l'Environnement", "Directeur", NULL,
	    "issa.ouedraogo@environnement.gov.bf");
	extraction_free(&ex);
}

static void
test_init_idempotent(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(extract_init(), 0);
	assert_int_equal(extract_init(), 0);
	extract_cleanup();
	extract_cleanup();
	/* extract_text initialises on its own after a cleanup. */
	assert_int_equal(run("Official 1\nCountry: Kenya\nName: Jane OTIENO\n"
	    "Official 2\nCountry: Kenya\nName: Peter KAMAU\n", 0, &ex), 2);
	extraction_free(&ex);
	assert_int_equal(extract_init(), 0);
}

static void
test_lines_of_one_pass(void **state)
{
	static const char table[] =
	    "Hello all, \r\n"
	    " here are our officials: \r\n"
	    "\r\n"
	    "Country    Last name    First name    Organisation       "
	    "Phone              Email\r\n"
	    "Namibia    Shikongo     Anna          MEFT               "
	    "+264 61 284 2111   anna@meft.gov.na\r\n"
	    "Namibia    Amutenya                   Customs            "
	    "                   amutenya@mof.gov.na \r\n";
	struct extraction ex;
	struct buf b;
	int i, k;

	(void)state;
	/* Two spaces are looked for once for many lines: a space ending a
	 * line and one starting the next are not two, and CRLF lines and
	 * a first line that holds none do not hide the table's. */
	assert_int_equal(run(table, 0, &ex), 2);
	expect_official(&ex, 0, "Namibia", "Shikongo", "Anna", "MEFT", NULL,
	    "+264 61 284 2111", "anna@meft.gov.na");
	expect_official(&ex, 1, "Namibia", "Amutenya", NULL, "Customs", NULL,
	    NULL, "amutenya@mof.gov.na");
	extraction_free(&ex);
	/* After many lines with two spaces (blank ones), each a search
	 * through the rest of the text until each line is looked at on
	 * its own, the table's are found all the same. */
	for (k = 0; k < 40; k++) {
		buf_init(&b, 1 << 20);
		for (i = 0; i < k; i++)
			buf_addstr(&b, i % 2 ? "  \r\n" : "   \n");
		buf_addstr(&b, table);
		assert_int_equal(run(b.data, 0, &ex), 2);
		expect_official(&ex, 0, "Namibia", "Shikongo", "Anna", "MEFT",
		    NULL, "+264 61 284 2111", "anna@meft.gov.na");
		expect_official(&ex, 1, "Namibia", "Amutenya", NULL, "Customs",
		    NULL, NULL, "amutenya@mof.gov.na");
		extraction_free(&ex);
		buf_free(&b);
	}
	/* A colon as the last byte of a text without a final LF. */
	assert_int_equal(run("Country: Kenya\nLast name: OTIENO\n"
	    "Email: jane@kws.go.ke\nFunction:", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "OTIENO", NULL, NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
}

static void
test_long_label_lines_trimmed(void **state)
{
	struct extraction ex;

	(void)state;
	/* Label lines longer than a label until trimmed: blanks and bold
	 * marks before, dots, blanks and dashes after. */
	assert_int_equal(run(
	    "Country ...................................................."
	    "..........\nKenya\n"
	    "                                                            "
	    "Last name\nOtieno\n"
	    "**First name**                                               "
	    "\t\nJane\n"
	    "E-mail ------------------------------------------------------"
	    "\njane@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane", NULL, NULL, NULL,
	    "jane@kws.go.ke");
	extraction_free(&ex);
	/* A line that long ending otherwise is no label alone. */
	assert_int_equal(run(
	    "Country of the official, as written in the nomination letter\n"
	    "Kenya\nLast name\nOtieno\nEmail\njane@kws.go.ke\n", 0, &ex), 1);
	assert_null(raw(&ex, 0, FIELD_COUNTRY));
	extraction_free(&ex);
}

/*
 * Two officials, each under its heading: no label repeats, and the first
 * block is too short for free text to end it, so only the second heading
 * does.  The caller frees ex.
 */
static void
two_headings(const char *first, const char *second, struct extraction *ex)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "%s\n"
	    "Last name: Otieno\nEmail: jane@kws.go.ke\n"
	    "%s\n"
	    "First name: Peter\nOrganisation: KRA\n", first, second);
	if (run(text, 0, ex) != 2)
		fail_msg("headings \"%s\": %zu officials", second,
		    ex->nofficials);
}

static void
test_headings_ending_with_accents(void **state)
{
	/* An e acute among a heading's last four bytes, in small or
	 * capital letters, before an 'e' or an 's', or after a closing
	 * run: a Latin-1 letter there is not always prose. */
	static const char *const heads[][2] = {
		{ "PREMIER D\xc3\x89L\xc3\x89GU\xc3\x89",
		    "DEUXI\xc3\x88ME D\xc3\x89L\xc3\x89GU\xc3\x89" },
		{ "Premi\xc3\xa8re d\xc3\xa9l\xc3\xa9gu\xc3\xa9\x65 :",
		    "Deuxi\xc3\xa8me d\xc3\xa9l\xc3\xa9gu\xc3\xa9\x65 :" },
		{ "** Premier d\xc3\xa9l\xc3\xa9gu\xc3\xa9 **",
		    "** Second d\xc3\xa9l\xc3\xa9gu\xc3\xa9 **" },
		{ "D\xc3\xa9l\xc3\xa9gu\xc3\xa9 n\xc2\xb0 1",
		    "D\xc3\xa9l\xc3\xa9gu\xc3\xa9 n\xc2\xb0 2" },
	};
	struct extraction ex;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		two_headings(heads[i][0], heads[i][1], &ex);
		assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Otieno");
		assert_string_equal(raw(&ex, 1, FIELD_ORGANISATION), "KRA");
		extraction_free(&ex);
	}
}

/* Numbered headings: a number of one or two digits, after a noun, a
 * mark or nothing, before a closing run; three digits end no heading.
 * No label repeats: only a heading ends the first official. */
static void
test_headings_of_two_digits(void **state)
{
	static const char *const heads[][2] = {
		{ "Official 1", "Official 2" },
		{ "Official 11", "Official 12" },
		{ "OFFICIAL 1:", "OFFICIAL 2:" },
		{ "Participant No. 1", "Participant No. 12" },
		{ "Delegate #1 --", "Delegate #2 --" },
		{ "** Personne 9 **", "** Personne 10 **" },
		{ "1.", "2." },
	};
	struct extraction ex;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		two_headings(heads[i][0], heads[i][1], &ex);
		extraction_free(&ex);
	}
	/* A number of three digits is no heading's: one official. */
	assert_int_equal(run("Official 100\n"
	    "Last name: Otieno\nEmail: jane@kws.go.ke\n"
	    "Official 101\n"
	    "First name: Peter\nOrganisation: KRA\n", 0, &ex), 1);
	extraction_free(&ex);
}

/* A heading ending with each noun of the heading pattern, in small and
 * capital letters and plural: its last four letters are looked at first,
 * a word at a time, before the regular expression runs. */
static void
test_headings_ending_with_nouns(void **state)
{
	static const char *const nouns[] = {
		"official", "officer", "participant", "participante", "person",
		"persona", "personne", "nominee", "delegate", "delegado",
		"delegada", "delegue", "deleguee", "representative",
		"representant", "representante", "funcionario", "funcionaria",
		"fonctionnaire", "oficial", "officiel", "officielle", "contact",
		"user", "usuario", "utilisateur", "utilisatrice", "candidate",
		"candidat", "candidato", "candidata", "agent", "agente",
		"member", "membre", "miembro", "applicant", "demandeur",
		"demandeuse", "solicitante", "focal point", "point focal",
	};
	struct extraction ex;
	char text[1024], noun[64];
	size_t i, j;
	int form_of;

	(void)state;
	for (i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		for (form_of = 0; form_of < 3; form_of++) {
			for (j = 0; nouns[i][j] != '\0'; j++)
				noun[j] = form_of == 1 ? (char)(nouns[i][j] -
				    (nouns[i][j] >= 'a' && nouns[i][j] <= 'z' ?
				    'a' - 'A' : 0)) : nouns[i][j];
			if (form_of == 2)
				noun[j++] = 's';	/* plural */
			noun[j] = '\0';
			snprintf(text, sizeof(text),
			    "First %s\n"
			    "Last name: Otieno\nEmail: jane@kws.go.ke\n"
			    "Second %s:\n"
			    "First name: Peter\nOrganisation: KRA\n",
			    noun, noun);
			if (run(text, 0, &ex) != 2)
				fail_msg("headings of \"%s\": %zu officials",
				    noun, ex.nofficials);
			extraction_free(&ex);
		}
}

/* Prose before, between and after the labels of each layout: the layouts
 * pass over runs of prose in one step, and an open block still ends at
 * the prose after it. */
static void
test_prose_around_layouts(void **state)
{
	static const char prose[] =
	    "Dear colleagues, please find our delegation below\n"
	    "as requested in the notification of last month\n"
	    "and thank you for your patience with this reply\n";
	static const char *const bodies[] = {
		/* label lines, a block ended by prose, then another */
		"Country: Kenya\nLast name: Otieno\nFirst name: Jane\n"
		"Organisation: KWS\nE-mail: jane@kws.go.ke\n"
		"We look forward to the meeting\nand send our regards\n"
		"Country: Kenya\nLast name: Wanjiru\nFirst name: Mary\n"
		"Organisation: KWS\nE-mail: mary@kws.go.ke\n",
		/* a table with a header row */
		"Country\tLast name\tFirst name\tE-mail\n"
		"Kenya\tOtieno\tJane\tjane@kws.go.ke\n"
		"Kenya\tWanjiru\tMary\tmary@kws.go.ke\n",
		/* a transposed table */
		"Country\tKenya\tKenya\n"
		"Last name\tOtieno\tWanjiru\n"
		"First name\tJane\tMary\n"
		"E-mail\tjane@kws.go.ke\tmary@kws.go.ke\n",
		/* vertical cells, a blank line after them */
		"Country\nLast name\nFirst name\nE-mail\n"
		"Kenya\nOtieno\nJane\njane@kws.go.ke\n"
		"Kenya\nWanjiru\nMary\nmary@kws.go.ke\n\n",
	};
	struct extraction ex;
	char text[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(text, sizeof(text), "%s\n%s%s%s", prose, prose,
		    bodies[i], prose);
		if (run(text, 0, &ex) != 2)
			fail_msg("layout %zu: %zu officials", i, ex.nofficials);
		assert_string_equal(raw(&ex, 0, FIELD_LAST_NAME), "Otieno");
		assert_string_equal(raw(&ex, 1, FIELD_LAST_NAME), "Wanjiru");
		assert_string_equal(raw(&ex, 1, FIELD_EMAIL), "mary@kws.go.ke");
		extraction_free(&ex);
	}
}

/*
 * A label after a '/' ("Nom / Last name") is found wherever the '/'
 * falls in the candidate: in the first sixteen bytes, further, or in the
 * last bytes only, which the candidate's scan reads in a block that
 * overlaps the one before it.
 */
static void
test_label_after_slash_anywhere(void **state)
{
	struct extraction ex;
	char text[512], pad[64];
	size_t k;

	(void)state;
	for (k = 1; k <= 48; k++) {
		memset(pad, 'Q', k);
		pad[k] = '\0';
		snprintf(text, sizeof(text),
		    "%s/Last name: Otieno\n"
		    "First name: Jane\n"
		    "Country: Kenya\n"
		    "E-mail: jane.otieno@kws.go.ke\n", pad);
		assert_int_equal(run(text, 0, &ex), 1);
		if (raw(&ex, 0, FIELD_LAST_NAME) == NULL ||
		    strcmp(raw(&ex, 0, FIELD_LAST_NAME), "Otieno") != 0)
			fail_msg("'/' after %zu bytes: last name not found", k);
		extraction_free(&ex);
	}
}

/*
 * Labels whose first word is read eight letters at a time: in capitals,
 * in mixed case, eight letters and more, followed by a digit-free word.
 */
static void
test_long_label_words_any_case(void **state)
{
	struct extraction ex;

	(void)state;
	assert_int_equal(run(
	    "COUNTRY: Kenya\n"
	    "LAST NAME: Otieno\n"
	    "First NAME: Jane\n"
	    "ORGANISATION: Kenya Wildlife Service\n"
	    "FuNcTiOn: Senior Warden\n"
	    "TELEPHONE: +254 20 600 0800\n"
	    "E-MAIL: jane.otieno@kws.go.ke\n", 0, &ex), 1);
	expect_official(&ex, 0, "Kenya", "Otieno", "Jane",
	    "Kenya Wildlife Service", "Senior Warden", "+254 20 600 0800",
	    "jane.otieno@kws.go.ke");
	extraction_free(&ex);
	/* Prose whose first word is long is no label. */
	assert_int_equal(run(
	    "Organisationally speaking: we will reply.\n"
	    "Telephoned: yesterday\n", 0, &ex), 0);
	extraction_free(&ex);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_en_label_lines),
		cmocka_unit_test(test_fr_label_lines_french_spacing),
		cmocka_unit_test(test_latin1_first_words),
		cmocka_unit_test(test_es_label_lines),
		cmocka_unit_test(test_other_separators),
		cmocka_unit_test(test_dash_separators),
		cmocka_unit_test(test_value_blanks),
		cmocka_unit_test(test_votes_in_place),
		cmocka_unit_test(test_nom_nombre_name),
		cmocka_unit_test(test_bullets_and_numbering),
		cmocka_unit_test(test_several_by_repeated_labels),
		cmocka_unit_test(test_numbered_headings),
		cmocka_unit_test(test_vertical_pairs),
		cmocka_unit_test(test_vertical_cells),
		cmocka_unit_test(test_template_then_signature),
		cmocka_unit_test(test_tab_table),
		cmocka_unit_test(test_pipe_table),
		cmocka_unit_test(test_markdown_table),
		cmocka_unit_test(test_aligned_table),
		cmocka_unit_test(test_csv_semicolon),
		cmocka_unit_test(test_csv_comma_only_for_csv),
		cmocka_unit_test(test_transposed_table),
		cmocka_unit_test(test_full_name_split),
		cmocka_unit_test(test_full_name_with_explicit_parts),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_one_value),
		cmocka_unit_test(test_values_that_are_labels),
		cmocka_unit_test(test_ordinary_paragraph),
		cmocka_unit_test(test_signature_is_not_a_form),
		cmocka_unit_test(test_several_labels_on_a_line),
		cmocka_unit_test(test_shared_country),
		cmocka_unit_test(test_loose_labels),
		cmocka_unit_test(test_mail_client_decoration),
		cmocka_unit_test(test_invalid_email_and_short_phone),
		cmocka_unit_test(test_phone_validated_with_country),
		cmocka_unit_test(test_too_long_value),
		cmocka_unit_test(test_extract_validate),
		cmocka_unit_test(test_duplicates_kept_once),
		cmocka_unit_test(test_officials_capped),
		cmocka_unit_test(test_junk_bounded),
		cmocka_unit_test(test_many_lines_truncated),
		cmocka_unit_test(test_fold_budget),
		cmocka_unit_test(test_fold_budget_cells),
		cmocka_unit_test(test_invalid_utf8_and_long_lines),
		cmocka_unit_test(test_text_known_valid),
		cmocka_unit_test(test_language_scores),
		cmocka_unit_test(test_crlf_and_html_flattened),
		cmocka_unit_test(test_init_idempotent),
		cmocka_unit_test(test_lines_of_one_pass),
		cmocka_unit_test(test_long_label_lines_trimmed),
		cmocka_unit_test(test_headings_ending_with_accents),
		cmocka_unit_test(test_headings_ending_with_nouns),
		cmocka_unit_test(test_headings_of_two_digits),
		cmocka_unit_test(test_prose_around_layouts),
		cmocka_unit_test(test_label_after_slash_anywhere),
		cmocka_unit_test(test_long_label_words_any_case),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
