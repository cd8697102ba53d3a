/*
 * test_validate.c -- the reference data and the field validators: the real
 * data/parties.tsv and data/freemail.txt (tests run from the repository
 * root), lookups in three languages and by alias or code, the e-mail,
 * phone and text rules, and loading of malformed data files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fields.h"
#include "limits.h"
#include "validate.h"

#define PARTIES_TSV	"data/parties.tsv"
#define PARTIES_TXT	"data/cites-parties.txt"
#define FREEMAIL_TXT	"data/freemail.txt"

struct fixture {
	struct parties		*parties;
	struct domainset	*freemail;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	if (parties_load(PARTIES_TSV, &fx->parties, err, sizeof(err)) == -1 ||
	    domainset_load(FREEMAIL_TXT, &fx->freemail, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		parties_free(fx->parties);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	parties_free(fx->parties);
	domainset_free(fx->freemail);
	free(fx);
	return 0;
}

/* Run validator name on raw; returns the problem, *norm as given back. */
static enum field_problem
run(const struct fixture *fx, const char *name, const char *country,
    const char *raw, char **norm)
{
	const struct validator *v = validator_find(name);
	struct validate_ctx ctx;

	assert_non_null(v);
	ctx.parties = fx->parties;
	ctx.freemail = fx->freemail;
	ctx.country_iso2 = country;
	return v->fn(&ctx, raw, norm);
}

/* Expect raw to be valid with normal form want. */
static void
expect_ok(const struct fixture *fx, const char *name, const char *country,
    const char *raw, const char *want)
{
	char *norm = NULL;
	enum field_problem p = run(fx, name, country, raw, &norm);

	if (p != PROBLEM_NONE || norm == NULL || strcmp(norm, want) != 0)
		print_error("%s(%s) \"%s\": got %s \"%s\", want \"%s\"\n",
		    name, country ? country : "-", raw, problem_key(p),
		    norm ? norm : "(null)", want);
	assert_int_equal(p, PROBLEM_NONE);
	assert_non_null(norm);
	assert_string_equal(norm, want);
	free(norm);
}

static void
expect_bad(const struct fixture *fx, const char *name, const char *country,
    const char *raw, enum field_problem want)
{
	char *norm = (char *)"unset";
	enum field_problem p = run(fx, name, country, raw, &norm);

	if (p != want)
		print_error("%s(%s) \"%s\": got %s \"%s\", want %s\n", name,
		    country ? country : "-", raw, problem_key(p),
		    norm ? norm : "(null)", problem_key(want));
	assert_int_equal(p, want);
	assert_null(norm);
}

static size_t
count_party_lines(void)
{
	FILE *f = fopen(PARTIES_TXT, "r");
	char line[512];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '#' && line[0] != '\n')
			n++;
	fclose(f);
	return n;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_load_count_and_time(void **state)
{
	const struct fixture *fx = *state;
	struct parties *p;
	char err[256];
	double t0, t1;

	assert_int_equal(parties_count(fx->parties), count_party_lines());
	assert_int_equal(parties_count(fx->parties), 185);

	t0 = now_ms();
	assert_int_equal(parties_load(PARTIES_TSV, &p, err, sizeof(err)), 0);
	t1 = now_ms();
	print_message("parties_load: %zu Parties in %.2f ms\n",
	    parties_count(p), t1 - t0);
	/* Well under 10 ms natively; the bound leaves room for sanitizers
	 * and valgrind. */
	assert_true(t1 - t0 < 2000.0);
	parties_free(p);
}

static void
test_lookup_names(void **state)
{
	const struct fixture *fx = *state;
	static const char *const cases[][2] = {
		/* English, French, Spanish names */
		{ "Kenya", "KE" }, { "Kenia", "KE" },
		{ "South Africa", "ZA" }, { "Afrique du Sud", "ZA" },
		{ "Sudáfrica", "ZA" }, { "sudafrica", "ZA" },
		{ "United Kingdom", "GB" }, { "Royaume-Uni", "GB" },
		{ "Reino Unido", "GB" }, { "UK", "GB" },
		{ "England", "GB" }, { "Great Britain", "GB" },
		{ "United States of America", "US" }, { "USA", "US" },
		{ "U.S.A.", "US" }, { "Estados Unidos de América", "US" },
		{ "États-Unis d'Amérique", "US" }, { "EE.UU.", "US" },
		{ "Côte d\xe2\x80\x99Ivoire", "CI" }, { "Cote d'Ivoire", "CI" },
		{ "COTE D'IVOIRE", "CI" }, { "Ivory Coast", "CI" },
		{ "Costa de Marfil", "CI" },
		{ "République démocratique du Congo", "CD" },
		{ "Republique Democratique du Congo", "CD" },
		{ "República Democrática del Congo", "CD" },
		{ "RDC", "CD" }, { "DR Congo", "CD" },
		{ "Congo-Brazzaville", "CG" }, { "Congo", "CG" },
		{ "Türkiye", "TR" }, { "Turkey", "TR" }, { "Turquía", "TR" },
		{ "Czech Republic", "CZ" }, { "Tchéquie", "CZ" },
		{ "Pays-Bas", "NL" }, { "the Netherlands", "NL" },
		{ "Holland", "NL" }, { "Países Bajos", "NL" },
		{ "Viet Nam", "VN" }, { "Vietnam", "VN" },
		{ "Republic of Korea", "KR" }, { "Corée du Sud", "KR" },
		{ "Korea, Republic of", "KR" },
		{ "Iran", "IR" }, { "Bolivia", "BO" }, { "Tanzania", "TZ" },
		{ "Russia", "RU" }, { "Russian Federation", "RU" },
		{ "Swaziland", "SZ" }, { "Eswatini", "SZ" },
		{ "Cape Verde", "CV" }, { "Burma", "MM" },
		{ "the Gambia", "GM" }, { "l'Inde", "IN" }, { "El Salvador", "SV" },
		{ "Guinea Bissau", "GW" }, { "Guinée-Bissau", "GW" },
		{ "Saint Kitts and Nevis", "KN" }, { "St. Lucia", "LC" },
		{ "UAE", "AE" }, { "Émirats arabes unis", "AE" },
		{ "Hong Kong", "CN" }, { "Hong Kong SAR, China", "CN" },
		{ "China (Hong Kong SAR)", "CN" }, { "Chine", "CN" },
		{ "Andorra", "AD" }, { "Turkmenistan", "TM" },
		{ "European Union", "EU" }, { "Union européenne", "EU" },
		{ "Unión Europea", "EU" }, { "EU", "EU" },
		{ "  kenya  ", "KE" }, { "KENYA.", "KE" },
		/* ISO codes */
		{ "KE", "KE" }, { "ke", "KE" }, { "KEN", "KE" }, { "gbr", "GB" },
		{ "CIV", "CI" }, { "KE (Kenya)", "KE" },
		{ NULL, NULL }
	};
	const struct party *pt;
	int i;

	for (i = 0; cases[i][0]; i++) {
		pt = parties_find(fx->parties, cases[i][0]);
		if (pt == NULL || strcmp(pt->iso2, cases[i][1]) != 0)
			print_error("\"%s\": got %s, want %s\n", cases[i][0],
			    pt ? pt->iso2 : "NULL", cases[i][1]);
		assert_non_null(pt);
		assert_string_equal(pt->iso2, cases[i][1]);
	}
	assert_true(i >= 40);
}

static void
test_non_parties(void **state)
{
	const struct fixture *fx = *state;
	static const char *const cases[] = {
		"Atlantis", "Kosovo", "Taiwan", "Haiti", "South Sudan",
		"Tuvalu", "North Korea", "Democratic People's Republic of Korea",
		"Micronesia", "Timor-Leste", "Palestine", "Holy See",
		"Faroe Islands", "", " ", "-", "XK", "HT", "KP", "TWN", "ZZZ",
		"Kenya KE", "K E", "Kenya, Uganda", "the", "Congo Congo",
		"Sudan South", NULL
	};
	const struct party *pt;
	int i;

	for (i = 0; cases[i]; i++) {
		pt = parties_find(fx->parties, cases[i]);
		if (pt != NULL)
			print_error("\"%s\" matched %s\n", cases[i], pt->iso2);
		assert_null(pt);
	}
	assert_null(parties_find(NULL, "Kenya"));
	assert_null(parties_find(fx->parties, NULL));
}

static void
test_by_iso2(void **state)
{
	const struct fixture *fx = *state;
	const struct party *pt;

	pt = parties_by_iso2(fx->parties, "KE");
	assert_non_null(pt);
	assert_string_equal(pt->name[LANG_EN], "Kenya");
	assert_string_equal(pt->name[LANG_ES], "Kenia");
	assert_string_equal(pt->calling_code, "254");
	assert_ptr_equal(parties_by_iso2(fx->parties, "ke"), pt);

	pt = parties_by_iso2(fx->parties, "CI");
	assert_non_null(pt);
	assert_string_equal(pt->name[LANG_FR], "Côte d'Ivoire");
	assert_string_equal(pt->calling_code, "225");

	pt = parties_by_iso2(fx->parties, "EU");
	assert_non_null(pt);
	assert_string_equal(pt->name[LANG_EN], "European Union");
	assert_string_equal(pt->name[LANG_FR], "Union européenne");
	assert_string_equal(pt->name[LANG_ES], "Unión Europea");
	assert_null(pt->calling_code);

	assert_null(parties_by_iso2(fx->parties, "HT"));	/* not a Party */
	assert_null(parties_by_iso2(fx->parties, "KEN"));
	assert_null(parties_by_iso2(fx->parties, ""));
	assert_null(parties_by_iso2(fx->parties, NULL));
}

static void
test_country_validator(void **state)
{
	const struct fixture *fx = *state;
	char big[LIMIT_FIELD_BYTES + 10];

	expect_ok(fx, "country", NULL, "Kenya", "KE");
	expect_ok(fx, "country", NULL, "  République  démocratique du Congo ",
	    "CD");
	expect_ok(fx, "country", NULL, "u.k.", "GB");
	expect_bad(fx, "country", NULL, "Atlantis", PROBLEM_COUNTRY);
	expect_bad(fx, "country", NULL, "Kosovo", PROBLEM_COUNTRY);
	expect_bad(fx, "country", NULL, "", PROBLEM_MISSING);
	expect_bad(fx, "country", NULL, " \t ", PROBLEM_MISSING);
	expect_bad(fx, "country", NULL, NULL, PROBLEM_MISSING);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad(fx, "country", NULL, big, PROBLEM_TOO_LONG);
	expect_bad(fx, "country", NULL, "Ken\xff\xfe", PROBLEM_COUNTRY);
}

static void
test_email(void **state)
{
	const struct fixture *fx = *state;
	static const char *const good[][2] = {
		{ "jane.doe@kws.go.ke", "jane.doe@kws.go.ke" },
		{ "Jane.Doe@KWS.GO.KE", "Jane.Doe@kws.go.ke" },
		{ "mailto:jane@example.org", "jane@example.org" },
		{ "<jane@example.org>", "jane@example.org" },
		{ "<mailto:jane@example.org>", "jane@example.org" },
		{ "Jane Doe <jane@example.org>", "jane@example.org" },
		{ "jane@example.org.", "jane@example.org" },
		{ "\"jane@example.org\"", "jane@example.org" },
		{ "\xe2\x80\x9cjane@example.org\xe2\x80\x9d", "jane@example.org" },
		{ "  jane@example.org  ", "jane@example.org" },
		{ "j.o'brien+cites@example.co.uk", "j.o'brien+cites@example.co.uk" },
		{ "a_b-c{d}~e@sub-1.example.museum",
		    "a_b-c{d}~e@sub-1.example.museum" },
		{ "x@a.bc", "x@a.bc" },
		{ "ivan@xn--80akhbyknj4f.xn--p1ai", "ivan@xn--80akhbyknj4f.xn--p1ai" },
		{ NULL, NULL }
	};
	static const char *const bad[] = {
		"jane", "jane@", "@example.org", "jane@@example.org",
		"jane@doe@example.org", "jane@example", "jane@example.c",
		"jane@example.123", "jane..doe@example.org", ".jane@example.org",
		"jane.@example.org", "jane@-example.org", "jane@example-.org",
		"jane@exa_mple.org", "jane@example..org", "jane doe@example.org",
		"\"jane doe\"@example.org", "jan\xc3\xa9@example.org",
		"jane@ex\xc3\xa4mple.org", "jane [at] example [dot] org",
		"jane(at)example.org", "jane@[192.0.2.1]",
		"jane@example.org, john@example.org", "jane@example.org\xff",
		"<>", "mailto:", NULL
	};
	char local[80], label[80], addr[512];
	int i;

	for (i = 0; good[i][0]; i++)
		expect_ok(fx, "email", NULL, good[i][0], good[i][1]);
	for (i = 0; bad[i]; i++)
		expect_bad(fx, "email", NULL, bad[i], PROBLEM_EMAIL);
	expect_bad(fx, "email", NULL, "", PROBLEM_MISSING);

	/* 64 bytes of local part are fine, 65 are not. */
	memset(local, 'a', 65);
	local[64] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.org", local);
	expect_ok(fx, "email", NULL, addr, addr);
	local[64] = 'a';
	local[65] = '\0';
	snprintf(addr, sizeof(addr), "%s@example.org", local);
	expect_bad(fx, "email", NULL, addr, PROBLEM_EMAIL);
	/* A label of 63 bytes is fine, 64 is not. */
	memset(label, 'b', 64);
	label[63] = '\0';
	snprintf(addr, sizeof(addr), "x@%s.org", label);
	expect_ok(fx, "email", NULL, addr, addr);
	label[63] = 'b';
	label[64] = '\0';
	snprintf(addr, sizeof(addr), "x@%s.org", label);
	expect_bad(fx, "email", NULL, addr, PROBLEM_EMAIL);
	/* 255 bytes in all (a domain of 253): over the 254 of RFC 5321. */
	label[63] = '\0';
	snprintf(addr, sizeof(addr), "x@%s.%s.%s.%.57s.org", label, label,
	    label, label);
	assert_int_equal(strlen(addr), 255);
	expect_bad(fx, "email", NULL, addr, PROBLEM_EMAIL);
}

static void
test_phone(void **state)
{
	const struct fixture *fx = *state;
	static const char *const good[][3] = {
		/* country, raw, normal form */
		{ NULL, "+44 (0)20 7946 0000", "+442079460000" },
		{ NULL, "0044 (0)20 7946 0000", "+442079460000" },
		{ NULL, "+254 20 123 4567", "+254201234567" },
		{ NULL, "00254 20 123 4567", "+254201234567" },
		{ NULL, "+1-202-555-0100 ext. 123", "+12025550100" },
		{ NULL, "+33 1 23 45 67 89 poste 12", "+33123456789" },
		{ NULL, "+41 22 917 81 39 x12", "+41229178139" },
		{ NULL, "+41 22 917 81 39 #12", "+41229178139" },
		{ NULL, "Tel.: +254 20 123 4567", "+254201234567" },
		{ NULL, "Tél : +33 1 23 45 67 89", "+33123456789" },
		{ NULL, "+254 20 123 4567 / +254 722 000 000", "+254201234567" },
		{ NULL, "+254 20 123 4567 (office)", "+254201234567" },
		{ NULL, "+254 20 123 4567; 0722 000 000", "+254201234567" },
		{ NULL, "+254 20 123 4567 or 0722 000 000", "+254201234567" },
		{ NULL, "Tel +254 20 123 4567 Fax +254 20 123 4568",
		    "+254201234567" },
		{ NULL, "+33 1 23 45 67 89 ou +33 6 12 34 56 78", "+33123456789" },
		{ NULL, "+254\xe2\x80\x93" "20\xc2\xa0" "123 4567", "+254201234567" },
		{ NULL, "0722 000 000", "0722000000" },
		{ "ZZ", "+254 20 123 4567", "+254201234567" },
		{ "GB", "020 7946 0000", "+442079460000" },
		{ "GB", "44 (0)20 7946 0000", "+442079460000" },
		{ "GB", "+44 020 7946 0000", "+442079460000" },
		{ "GB", "(020) 7946-0000", "+442079460000" },
		{ "KE", "0722 000 000", "+254722000000" },
		{ "KE", "254 722 000 000", "+254722000000" },
		{ "KE", "+254 722 000 000", "+254722000000" },
		{ "FR", "06 12 34 56 78", "+33612345678" },
		{ "FR", "01.23.45.67.89", "+33123456789" },
		{ "US", "1 202 555 0100", "+12025550100" },
		{ "US", "(202) 555-0100", "2025550100" },
		{ "RU", "8 495 123-45-67", "+74951234567" },
		{ "IT", "06 1234 5678", "0612345678" },
		{ "IT", "39 06 1234 5678", "+390612345678" },
		{ "CI", "07 07 12 34 56", "0707123456" },
		{ "EU", "020 7946 0000", "02079460000" },
		{ "KE", "020 7946 00", "+25420794600" },
		{ "FR", "0 123 456", "0123456" },
		{ NULL, NULL, NULL }
	};
	static const char *const bad[] = {
		"12345", "123 456", "+1234567890123456", "call me",
		"n/a", "abc 123 4567", "+254+20 123 4567", "+254 20 123 4567 @",
		"++254 20 123 4567", "-", "0722 000 000 blah",
		"1234567890123456789012345678901234567890", "+", "ext 1234567",
		NULL
	};
	int i;

	for (i = 0; good[i][1]; i++)
		expect_ok(fx, "phone", good[i][0], good[i][1], good[i][2]);
	for (i = 0; bad[i]; i++)
		expect_bad(fx, "phone", NULL, bad[i], PROBLEM_PHONE);
	expect_bad(fx, "phone", "KE", "", PROBLEM_MISSING);
	expect_bad(fx, "phone", "KE", "12 34 56", PROBLEM_PHONE);
}

static void
test_text(void **state)
{
	const struct fixture *fx = *state;
	static const char *const placeholders[] = {
		"n/a", "N/A", "N.A.", "na", "-", "--", "?", "TBD", "tbc", "XXX",
		"x", "...", "None", "nil", "néant", "NÉANT", "aucun", "ninguno",
		"pending", "à compléter", "A COMPLETER", "por definir",
		"12345", "+254 20 123", "—", "n/d", NULL
	};
	char big[LIMIT_FIELD_BYTES + 2];
	int i;

	expect_ok(fx, "text", NULL, "Wanjiru", "Wanjiru");
	expect_ok(fx, "text", NULL, "  Jean-Pierre \t  Dupont ",
	    "Jean-Pierre Dupont");
	expect_ok(fx, "text", NULL, "O'Brien", "O'Brien");
	expect_ok(fx, "text", NULL, "\xe6\x9d\x8e\xe6\x98\x8e", "李明");
	expect_ok(fx, "text", NULL, "Kenya Wildlife Service (KWS)",
	    "Kenya Wildlife Service (KWS)");
	expect_ok(fx, "text", NULL, "Nada Al-Hassan", "Nada Al-Hassan");
	for (i = 0; placeholders[i]; i++)
		expect_bad(fx, "text", NULL, placeholders[i], PROBLEM_TEXT);
	expect_bad(fx, "text", NULL, "", PROBLEM_MISSING);
	expect_bad(fx, "text", NULL, "\xc2\xa0 ", PROBLEM_MISSING);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad(fx, "text", NULL, big, PROBLEM_TOO_LONG);
	big[LIMIT_FIELD_BYTES] = '\0';
	expect_ok(fx, "text", NULL, big, big);
}

static void
test_freemail(void **state)
{
	const struct fixture *fx = *state;
	static const char *const yes[] = {
		"gmail.com", "GMAIL.COM", "mail.gmail.com", "googlemail.com",
		"yahoo.com", "yahoo.fr", "yahoo.co.uk", "yahoo.com.br",
		"fr.yahoo.com", "hotmail.com", "hotmail.fr", "outlook.com",
		"live.co.uk", "gmx.de", "web.de", "mail.ru", "yandex.ru",
		"proton.me", "qq.com", "163.com", "orange.fr", "gmail.com.",
		NULL
	};
	static const char *const no[] = {
		"kws.go.ke", "gov.uk", "cites.org", "example.org",
		"notgmail.com", "gmail.com.evil.org", "yahoo.example.com",
		"yahoo", "com", "", "mail.gov.uk", "yahoo.co.uk.example.org",
		NULL
	};
	struct validate_ctx ctx = { fx->parties, fx->freemail, NULL };
	int i;

	for (i = 0; yes[i]; i++) {
		if (!domainset_has(fx->freemail, yes[i]))
			print_error("%s: not free-mail\n", yes[i]);
		assert_true(domainset_has(fx->freemail, yes[i]));
	}
	for (i = 0; no[i]; i++) {
		if (domainset_has(fx->freemail, no[i]))
			print_error("%s: free-mail\n", no[i]);
		assert_false(domainset_has(fx->freemail, no[i]));
	}
	assert_true(validate_is_freemail(&ctx, "jane@yahoo.co.uk"));
	assert_true(validate_is_freemail(&ctx, "jane@Mail.Gmail.com"));
	assert_false(validate_is_freemail(&ctx, "jane@kws.go.ke"));
	assert_false(validate_is_freemail(&ctx, "gmail.com"));
	ctx.freemail = NULL;
	assert_false(validate_is_freemail(&ctx, "jane@gmail.com"));
}

static void
test_validator_table(void **state)
{
	(void)state;
	assert_string_equal(validator_find("country")->name, "country");
	assert_string_equal(validator_find("email")->name, "email");
	assert_string_equal(validator_find("phone")->name, "phone");
	assert_string_equal(validator_find("text")->name, "text");
	assert_null(validator_find("Email"));
	assert_null(validator_find("date"));
	assert_null(validator_find(NULL));
}

/* Write body to a fresh temporary file; returns its path (static). */
static const char *
tmpfile_with(const char *body, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_validate.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Loading body must fail with an error that names path:line. */
static void
expect_load_error(int parties, const char *body, int line, const char *why)
{
	struct parties *p = NULL;
	struct domainset *ds = NULL;
	const char *path = tmpfile_with(body, strlen(body));
	char err[512], want[128];
	int r;

	if (parties)
		r = parties_load(path, &p, err, sizeof(err));
	else
		r = domainset_load(path, &ds, err, sizeof(err));
	unlink(path);
	assert_int_equal(r, -1);
	assert_null(p);
	assert_null(ds);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, why);
	if (strncmp(err, want, strlen(want)) != 0)
		print_error("error \"%s\", want \"%s...\"\n", err, want);
	assert_memory_equal(err, want, strlen(want));
}

static void
test_load_errors(void **state)
{
	char *big;
	size_t i, n;
	struct parties *p;
	struct domainset *ds;
	char err[256];

	(void)state;
	expect_load_error(1, "# c\nKE\tKEN\t254\tKenya\n", 2, "4 columns");
	expect_load_error(1, "ke\tKEN\t254\tKenya\tKenya\tKenia\t\t0\t9\n", 1,
	    "bad alpha-2");
	expect_load_error(1, "KE\tKEN\t25x\tKenya\tKenya\tKenia\t\t0\t9\n", 1,
	    "bad calling code");
	expect_load_error(1, "KE\tKEN\t254\tKenya\tKenya\tKenia\t\t0\t9,99\n",
	    1, "bad trunk");
	expect_load_error(1, "KE\tKEN\t254\tKenya\t\tKenia\t\t0\t9\n", 1,
	    "empty or overlong name");
	expect_load_error(1,
	    "KE\tKEN\t254\tKenya\tKenya\tKenia\t\t0\t9\n"
	    "UG\tUGA\t256\tUganda\tOuganda\tUganda\tKENYA\t0\t9\n", 2,
	    "\"KENYA\" also names KE");
	expect_load_error(1,
	    "KE\tKEN\t254\tKenya\tKenya\tKenia\t\t0\t9\n"
	    "KE\tKEN\t254\tKenya2\tKenya2\tKenia2\t\t0\t9\n", 2,
	    "code KE listed twice");
	expect_load_error(1, "KE\tKEN\t254\tKen\xff\tKenya\tKenia\t\t0\t9\n", 1,
	    "not UTF-8");
	expect_load_error(1, "# nothing\n", 1, "no Parties");
	expect_load_error(0, "gmail.com\nnot a domain\n", 2, "not a domain");
	expect_load_error(0, "gmail.com\n-bad.com\n", 2, "not a domain");
	expect_load_error(0, "single\n", 1, "not a domain");

	/* A line over LIMIT_LINE_BYTES. */
	n = LIMIT_LINE_BYTES + 100;
	big = malloc(n + 20);
	assert_non_null(big);
	memcpy(big, "gmail.com\n", 10);
	memset(big + 10, 'a', n);
	memcpy(big + 10 + n, ".com\n", 6);
	expect_load_error(0, big, 2, "line too long");
	free(big);

	/* More than LIMIT_DATA_ENTRIES domains. */
	n = (size_t)(LIMIT_DATA_ENTRIES + 1) * 15;
	big = malloc(n + 1);
	assert_non_null(big);
	for (i = 0; i <= LIMIT_DATA_ENTRIES; i++)
		snprintf(big + i * 15, 16, "d%09zu.org\n", i);
	expect_load_error(0, big, LIMIT_DATA_ENTRIES + 1, "too many domains");
	free(big);

	assert_int_equal(parties_load("/nonexistent/parties.tsv", &p, err,
	    sizeof(err)), -1);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/parties.tsv: "));
	assert_int_equal(domainset_load("/nonexistent/x", &ds, err,
	    sizeof(err)), -1);
	assert_null(ds);
	parties_free(NULL);
	domainset_free(NULL);
}

/* A small, valid table: 7-column rows, ambiguous variants. */
static void
test_small_table(void **state)
{
	static const char body[] =
	    "# test\n"
	    "KE\tKEN\t254\tKenya\tKenya\tKenia\tRepublic of Kenya\n"
	    "GN\tGIN\t224\tGuinea\tGuinée\tGuinea\tThe Republic\n"
	    "GW\tGNB\t245\tGuinea-Bissau\tGuinée-Bissau\tGuinea-Bisáu\t"
	    "La Republic\n"
	    "EU\t\t\tEuropean Union\tUnion européenne\tUnión Europea\t\n";
	const char *path = tmpfile_with(body, sizeof(body) - 1);
	struct parties *p;
	char err[256];

	(void)state;
	assert_int_equal(parties_load(path, &p, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(parties_count(p), 4);
	assert_string_equal(parties_find(p, "Republic of Kenya")->iso2, "KE");
	assert_string_equal(parties_find(p, "guinea bissau")->iso2, "GW");
	assert_string_equal(parties_find(p, "GNB")->iso2, "GW");
	/* Exact names win; "Republic" is a variant of two: no match. */
	assert_string_equal(parties_find(p, "The Republic")->iso2, "GN");
	assert_string_equal(parties_find(p, "La Republic")->iso2, "GW");
	assert_null(parties_find(p, "Republic"));
	assert_string_equal(parties_by_iso2(p, "KE")->name[LANG_ES], "Kenia");
	assert_null(parties_by_iso2(p, "EU")->calling_code);
	parties_free(p);
}

/* Hostile values: invalid UTF-8, control bytes, huge strings. */
static void
test_hostile(void **state)
{
	const struct fixture *fx = *state;
	static const char *const names[] = { "country", "email", "phone",
		"text" };
	static const char *const inputs[] = {
		"\xff\xfe\xfd", "\xc3", "a\x01" "b", "\xe2\x80\x8b",
		"((((((((((((((((0)", "+(0)", "(0)", "00", "+00 (0)(0)(0)",
		"@@@", "\"\"", "<<>>", "mailto:mailto:<>", NULL
	};
	char *huge, *norm;
	size_t i, j;

	huge = malloc(1 << 20);
	assert_non_null(huge);
	memset(huge, '9', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	for (i = 0; i < 4; i++) {
		for (j = 0; inputs[j]; j++) {
			norm = NULL;
			(void)run(fx, names[i], "KE", inputs[j], &norm);
			free(norm);
		}
		norm = NULL;
		assert_int_equal(run(fx, names[i], "KE", huge, &norm),
		    PROBLEM_TOO_LONG);
		assert_null(norm);
	}
	assert_null(parties_find(fx->parties, huge));
	assert_false(domainset_has(fx->freemail, huge));
	free(huge);
}

/* Placeholders behind marks or a letter that is not ASCII, and values
 * whose first letter no placeholder has, next to the marks. */
static void
test_placeholder_lead(void **state)
{
	const struct fixture *fx = *state;
	static const char *const bad[] = {
		"`n/a", "'None'", ".. TBD", "-- xx --", "(n/a)", "[Unknown]",
		"\"same\"", "* test", "  _idem_", "\xc3\x91/A", "\xc2\xabn/a\xc2\xbb",
		"\xc3\x8d""DEM", NULL
	};
	static const char *const good[] = {
		"Brown", "(Kenya)", "@home", "+Zoe", "-- Mwangi --", "`Otieno",
		"\xc3\x89mile", "Xavier", NULL
	};
	int i;

	for (i = 0; bad[i]; i++)
		expect_bad(fx, "text", NULL, bad[i], PROBLEM_TEXT);
	for (i = 0; good[i]; i++)
		expect_ok(fx, "text", NULL, good[i], good[i]);
}

/* The longest placeholders, marks and all, and the x's of any length,
 * next to values with one letter more than the longest. */
static void
test_placeholder_long(void **state)
{
	const struct fixture *fx = *state;
	static const char *const bad[] = {
		"To be determined", "TO BE DETERMINED.", "- to-be-determined -",
		"t.o. b.e. d.e.t.e.r.m.i.n.e.d", "To be confirmed",
		"Voir ci-dessus", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"XXXXXXXXXXXXXXXXXXXXXXXX.", NULL
	};
	static const char *const good[] = {
		"To be determined2", "Tobedetermineds", "xxxxxxxxxxxxxxxxxxxy",
		"XXXX-XXXX-XXXX-XXXX-XXXX", "Nations Unies Environnement",
		"Police nationale", NULL
	};
	int i;

	for (i = 0; bad[i]; i++)
		expect_bad(fx, "text", NULL, bad[i], PROBLEM_TEXT);
	for (i = 0; good[i]; i++)
		expect_ok(fx, "text", NULL, good[i], good[i]);
}

/* Each variant of a country name in turn: as written, without its
 * article, compacted, compacted and without its article; and names that
 * start with the letters of an article. */
static void
test_country_variants(void **state)
{
	const struct fixture *fx = *state;

	expect_ok(fx, "country", NULL, "Gambia", "GM");
	expect_ok(fx, "country", NULL, "The Gambia", "GM");
	expect_ok(fx, "country", NULL, "la Gambie", "GM");
	expect_ok(fx, "country", NULL, "L'Éthiopie", "ET");
	expect_ok(fx, "country", NULL, "U.K.", "GB");
	expect_ok(fx, "country", NULL, "the U.K.", "GB");
	expect_ok(fx, "country", NULL, "Ethiopia", "ET");
	expect_ok(fx, "country", NULL, "Lesotho", "LS");
	expect_ok(fx, "country", NULL, "Togo", "TG");
	expect_ok(fx, "country", NULL, "el Togo", "TG");
	expect_bad(fx, "country", NULL, "the", PROBLEM_COUNTRY);
	expect_bad(fx, "country", NULL, "l'", PROBLEM_COUNTRY);
	expect_bad(fx, "country", NULL, "the Atlantis", PROBLEM_COUNTRY);
}

/* Numbers written out at the longest E.164 allows, with and without a
 * country. */
static void
test_phone_longest(void **state)
{
	const struct fixture *fx = *state;

	expect_ok(fx, "phone", NULL, "+123 456 789 012 345", "+123456789012345");
	expect_ok(fx, "phone", NULL, "00123 456 789 012 345",
	    "+123456789012345");
	expect_ok(fx, "phone", "KE", "+254 722 000 000 123",
	    "+254722000000123");
	expect_ok(fx, "phone", "KE", "123 456 789 012 345", "123456789012345");
	expect_bad(fx, "phone", NULL, "+123 456 789 012 3456", PROBLEM_PHONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_count_and_time),
		cmocka_unit_test(test_lookup_names),
		cmocka_unit_test(test_non_parties),
		cmocka_unit_test(test_by_iso2),
		cmocka_unit_test(test_country_validator),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_freemail),
		cmocka_unit_test(test_validator_table),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_small_table),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_placeholder_lead),
		cmocka_unit_test(test_placeholder_long),
		cmocka_unit_test(test_country_variants),
		cmocka_unit_test(test_phone_longest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
