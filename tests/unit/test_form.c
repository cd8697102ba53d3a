/*
 * test_form.c -- the request form: the real form loads, its labels are
 * sorted and found case- and accent-insensitively, and a broken form is
 * refused with every problem as "path:line: reason".
 *
 * Run from the repository root: it loads forms/cencomm-cheetah.form and
 * copies data/ files into a temporary directory for the broken forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "form.h"
#include "limits.h"
#include "text.h"

#define REAL_FORM	"forms/cencomm-cheetah.form"

static char tmpdir[256];

static void
write_file(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void
copy_file(const char *from, const char *name)
{
	char buf[4096], path[512];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	in = fopen(from, "r");
	assert_non_null(in);
	out = fopen(path, "w");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static int
setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_form.XXXXXX",
	    base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	copy_file("data/parties.tsv", "parties.tsv");
	copy_file("data/freemail.txt", "freemail.txt");
	return 0;
}

static int
teardown(void **state)
{
	const char *names[] = { "parties.tsv", "freemail.txt", "t.form",
	    NULL };
	char path[512];
	int i;

	(void)state;
	for (i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

/* A form that loads; tests change one piece of it. */
static const char good_form[] =
    "[form]\n"
    "name = t\n"
    "notification = 2018/046\n"
    "title.en = access\n"
    "title.fr = accès\n"
    "title.es = acceso\n"
    "parties = parties.tsv\n"
    "freemail = freemail.txt\n"
    "triggers = cheetah\n"
    "[lang en]\n"
    "words = the, and\n"
    "[field country]\n"
    "validator = country\n"
    "en = country\n"
    "[field last_name]\n"
    "validator = text\n"
    "en = last name\n"
    "[field first_name]\n"
    "validator = text\n"
    "en = first name\n"
    "[field organisation]\n"
    "validator = text\n"
    "en = organisation\n"
    "fr = organisation\n"
    "[field function]\n"
    "validator = text\n"
    "en = function\n"
    "[field phone]\n"
    "validator = phone\n"
    "en = phone, telephone\n"
    "fr = téléphone\n"
    "[field email]\n"
    "validator = email\n"
    "en = email\n";

/* Load text as t.form; return form_load's result, err in err. */
static int
load_text(const char *text, struct form **f, char *err, size_t errlen)
{
	char path[512];

	write_file("t.form", text);
	snprintf(path, sizeof(path), "%s/t.form", tmpdir);
	return form_load(path, f, err, errlen);
}

/* good_form with the line starting with `from` replaced by `to`. */
static char *
edited(const char *from, const char *to)
{
	const char *p = strstr(good_form, from);
	const char *e;
	size_t n;
	char *out;

	assert_non_null(p);
	e = strchr(p, '\n') + 1;
	n = (size_t)(p - good_form) + strlen(to) + strlen(e) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(p - good_form), good_form, to, e);
	return out;
}

/* Does err hold "<tmpdir>/t.form:<line>: " followed (somewhere) by what? */
static int
has_problem(const char *err, int line, const char *what)
{
	char prefix[512];
	const char *p;

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s/t.form:%d: ", tmpdir,
		    line);
	else
		snprintf(prefix, sizeof(prefix), "%s/t.form: ", tmpdir);
	for (p = err; (p = strstr(p, prefix)) != NULL; p++) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, what);

		if (hit && (eol == NULL || hit < eol))
			return 1;
	}
	return 0;
}

static void
expect_problem(const char *text, int line, const char *what)
{
	struct form *f = (struct form *)1;
	char err[2048];

	assert_int_equal(load_text(text, &f, err, sizeof(err)), -1);
	assert_null(f);
	if (!has_problem(err, line, what))
		fail_msg("wanted line %d \"%s\", got:\n%s", line, what, err);
}

static void
test_real_form_loads(void **state)
{
	struct form *f = NULL;
	char err[2048];
	size_t i;
	int l, fl;

	(void)state;
	if (form_load(REAL_FORM, &f, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(f->name, "cencomm-cheetah");
	assert_string_equal(f->notification, "2018/046");
	for (l = 0; l < LANG_COUNT; l++) {
		assert_non_null(f->title[l]);
		assert_true(f->nlang_words[l] >= 20);
		for (i = 1; i < f->nlang_words[l]; i++)
			assert_true(strcmp(f->lang_words[l][i - 1],
			    f->lang_words[l][i]) < 0);
	}
	for (fl = 0; fl < FIELD_COUNT; fl++)
		assert_non_null(f->validator[fl]);
	assert_string_equal(f->validator[FIELD_COUNTRY]->name, "country");
	assert_string_equal(f->validator[FIELD_PHONE]->name, "phone");
	assert_string_equal(f->validator[FIELD_EMAIL]->name, "email");
	assert_string_equal(f->validator[FIELD_LAST_NAME]->name, "text");
	assert_non_null(f->parties);
	assert_non_null(f->freemail);
	assert_true(f->nlabels > 100);
	assert_true(f->ntriggers >= 10);
	/* Triggers are folded at load. */
	for (i = 0; i < f->ntriggers; i++) {
		char *again = text_fold(f->triggers[i]);

		assert_string_equal(again, f->triggers[i]);
		free(again);
	}
	form_free(f);
}

static void
test_labels_sorted(void **state)
{
	struct form *f = NULL;
	char err[2048];
	size_t i, a, b;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	for (i = 1; i < f->nlabels; i++) {
		a = strlen(f->labels[i - 1].folded);
		b = strlen(f->labels[i].folded);
		assert_true(a >= b);
		if (a == b)
			assert_true(strcmp(f->labels[i - 1].folded,
			    f->labels[i].folded) <= 0);
		assert_true(strlen(f->labels[i].folded) <= LIMIT_LABEL_BYTES);
	}
	form_free(f);
}

/* Field of the label written s, or -1. */
static int
lookup(const struct form *f, const char *s)
{
	char *folded = text_fold(s);
	const struct form_label *l = form_label_exact(f, folded);

	free(folded);
	return l ? l->field : -1;
}

static void
test_label_lookup(void **state)
{
	struct form *f = NULL;
	char err[2048];
	size_t i;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	assert_int_equal(lookup(f, "TÉLÉPHONE"), FIELD_PHONE);
	assert_int_equal(lookup(f, "Telefono"), FIELD_PHONE);
	assert_int_equal(lookup(f, "teléfono"), FIELD_PHONE);
	assert_int_equal(lookup(f, "E-MAIL"), FIELD_EMAIL);
	assert_int_equal(lookup(f, "Courriel"), FIELD_EMAIL);
	assert_int_equal(lookup(f, "Correo electrónico"), FIELD_EMAIL);
	assert_int_equal(lookup(f, "PAÍS"), FIELD_COUNTRY);
	assert_int_equal(lookup(f, "Pays"), FIELD_COUNTRY);
	assert_int_equal(lookup(f, "Nom"), FIELD_LAST_NAME);
	assert_int_equal(lookup(f, "Apellidos"), FIELD_LAST_NAME);
	assert_int_equal(lookup(f, "Prénom"), FIELD_FIRST_NAME);
	assert_int_equal(lookup(f, "Nombre"), FIELD_FIRST_NAME);
	assert_int_equal(lookup(f, "Name"), FORM_FULL_NAME);
	assert_int_equal(lookup(f, "Nom et prénom"), FORM_FULL_NAME);
	assert_int_equal(lookup(f, "Organisation"), FIELD_ORGANISATION);
	assert_int_equal(lookup(f, "Organización"), FIELD_ORGANISATION);
	assert_int_equal(lookup(f, "Fonction"), FIELD_FUNCTION);
	assert_int_equal(lookup(f, "Cargo"), FIELD_FUNCTION);
	assert_int_equal(lookup(f, "Tél."), FIELD_PHONE);
	assert_int_equal(lookup(f, "cheetah"), -1);
	assert_int_equal(lookup(f, ""), -1);
	assert_null(form_label_exact(f, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
	/* Every label is found by its own folded text, as the first of its
	 * run. */
	for (i = 0; i < f->nlabels; i++) {
		const struct form_label *l = form_label_exact(f,
		    f->labels[i].folded);

		assert_non_null(l);
		assert_string_equal(l->folded, f->labels[i].folded);
		assert_true(l <= &f->labels[i]);
		assert_true(l == f->labels ||
		    strcmp(l[-1].folded, l->folded) != 0);
		assert_int_equal(l->field, f->labels[i].field);
		assert_ptr_equal(form_label_exact_n(f, f->labels[i].folded,
		    strlen(f->labels[i].folded)), l);
	}
	/* A prefix of a label is not that label. */
	assert_null(form_label_exact_n(f, "telephone", 4));
	assert_int_equal(form_label_exact_n(f, "telephone number", 9)->field,
	    FIELD_PHONE);
	form_free(f);
}

/* Hint words: each is found with its own languages, others are not. */
static void
test_word_langs(void **state)
{
	struct form *f = NULL;
	char err[2048];
	size_t i;
	int l, k;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	for (l = 0; l < LANG_COUNT; l++) {
		assert_true(f->nlang_words[l] > 0);
		for (i = 0; i < f->nlang_words[l]; i++) {
			const char *w = f->lang_words[l][i];
			unsigned want = 0;
			size_t j;

			for (k = 0; k < LANG_COUNT; k++)
				for (j = 0; j < f->nlang_words[k]; j++)
					if (strcmp(f->lang_words[k][j], w) == 0)
						want |= 1u << k;
			assert_int_equal(form_word_langs(f, w, strlen(w)),
			    want);
			assert_true(want & (1u << l));
		}
	}
	assert_int_equal(form_word_langs(f, "zzqx", 4), 0);
	assert_int_equal(form_word_langs(f, "", 0), 0);
	/* A word one byte off a hint word, wherever that byte is, has
	 * the languages of the hint words it is, if any: a byte changed
	 * to another letter, or only in bit 5 (the lookup's chains go by
	 * the low five bits of the first and the last byte). */
	for (l = 0; l < LANG_COUNT; l++)
		for (i = 0; i < f->nlang_words[l]; i++) {
			char m[64];
			size_t n = strlen(f->lang_words[l][i]), j, p;

			if (n >= sizeof(m))
				continue;
			for (p = 0; p < 2 * n; p++) {
				unsigned want = 0;

				memcpy(m, f->lang_words[l][i], n + 1);
				if (p < n)
					m[p] = m[p] == 'q' ? 'x' : 'q';
				else
					m[p - n] ^= 0x20;
				for (k = 0; k < LANG_COUNT; k++)
					for (j = 0; j < f->nlang_words[k]; j++)
						if (strcmp(f->lang_words[k][j],
						    m) == 0)
							want |= 1u << k;
				assert_int_equal(form_word_langs(f, m, n),
				    want);
			}
		}
	/* The languages of a label's run. */
	for (i = 0; i < f->nlabels; i++) {
		const struct form_label *q = form_label_exact(f,
		    f->labels[i].folded);
		unsigned want = 0;

		for (; q < f->labels + f->nlabels &&
		    strcmp(q->folded, f->labels[i].folded) == 0; q++)
			want |= 1u << q->lang;
		assert_int_equal(form_label_langs(f,
		    form_label_exact(f, f->labels[i].folded)), want);
	}
	form_free(f);
}

/* What form_text_scan() says of triggers, the plain way: trigger t at
 * any place of folded text s that starts and ends a word. */
static int
ref_trigger(const struct form *f, const char *s)
{
	size_t i, tl;
	const char *p;

	for (i = 0; i < f->ntriggers; i++) {
		tl = strlen(f->triggers[i]);
		for (p = s; (p = strstr(p, f->triggers[i])) != NULL; p++)
			if ((p == s || p[-1] == ' ') &&
			    (p[tl] == '\0' || p[tl] == ' '))
				return 1;
	}
	return 0;
}

/* Hint words and triggers in one pass: triggers only as whole words,
 * words cut at the language's length scored cut. */
static void
test_text_scan(void **state)
{
	static const char *const cases[][2] = {
		{ "we ask for the closed user group", "1" },
		{ "the closed user", "0" },
		{ "the closed user groupie", "0" },
		{ "xclosed user group", "0" },
		{ "closed user groups", "1" },
		{ "ref 2018 046.", "0" },
		{ "ref 2018 046", "1" },
		{ "guepards.", "0" },
		{ "los guepardos", "1" },
		{ "", "0" },
	};
	static const char *const vocab[] = {
		"closed", "user", "group", "groups", "cheetah", "cheetahs",
		"cug", "the", "grupo", "cerrado", "de", "usuarios", "2018",
		"046", "groupe", "ferme", "d'utilisateurs", "x", "closedx",
	};
	struct form *f = NULL;
	char err[2048], text[256];
	int score[LANG_COUNT], want[LANG_COUNT];
	unsigned seed = 1;
	size_t i, j, n, len;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(form_text_scan(f, cases[i][0],
		    strlen(cases[i][0]), 0, NULL), cases[i][1][0] - '0');

	/* A word cut at the language's length counts as cut: "thank" is a
	 * hint word, "thankx" none; the trigger after still counts. */
	memset(score, 0, sizeof(score));
	assert_int_equal(form_text_scan(f, "the thankx cheetah", 18, 9,
	    score), 1);
	assert_int_equal(score[LANG_EN], 2);
	memset(score, 0, sizeof(score));
	assert_int_equal(form_text_scan(f, "the thankx cheetah", 18, 10,
	    score), 1);
	assert_int_equal(score[LANG_EN], 1);
	memset(score, 0, sizeof(score));
	assert_int_equal(form_text_scan(f, "the thankx cheetah", 18, 5,
	    score), 1);
	assert_int_equal(score[LANG_EN], 1);

	/* Word sequences against the plain search and form_text_langs(). */
	for (i = 0; i < 2000; i++) {
		len = 0;
		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 16) % 7;
		for (j = 0; j < n; j++) {
			const char *w;

			seed = seed * 1103515245 + 12345;
			w = vocab[(seed >> 16) % (sizeof(vocab) /
			    sizeof(vocab[0]))];
			if (len > 0)
				text[len++] = ' ';
			memcpy(text + len, w, strlen(w));
			len += strlen(w);
		}
		text[len] = '\0';
		memset(score, 0, sizeof(score));
		memset(want, 0, sizeof(want));
		form_text_langs(f, text, len / 2, want);
		assert_int_equal(form_text_scan(f, text, len, len / 2, score),
		    ref_trigger(f, text));
		assert_memory_equal(score, want, sizeof(score));
	}
	form_free(f);
}

/* Folding and scanning in one pass says what folding, then scanning the
 * folding, says: at every mark, with words cut there, accents, capitals
 * and punctuation, and more trigger words than are kept. */
static void
test_fold_scan(void **state)
{
	static const char *const vocab[] = {
		"Closed", "user", "GROUP", "groups,", "Cheetah", "the",
		"Grupo", "cerrado", "de", "usuarios.", "2018/046", "groupe",
		"ferm\xc3\xa9", "d\xe2\x80\x99utilisateurs", "GU\xc3\x89PARD",
		"\xc3\xa9t\xc3\xa9", "Thanks", "you", "vous", "y", "acc\xc3\xa8s",
		"\xef\xac\x81n", "--", "\n", "internationalisation",
	};
	struct form *f = NULL;
	char err[2048], text[40 * 32], *a, *b;
	int sa[LANG_COUNT], sb[LANG_COUNT], ta, tb, hits = 0;
	unsigned seed = 7;
	size_t i, j, n, len, mark, al, bl, ml;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	for (i = 0; i < 400; i++) {
		len = 0;
		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 16) % 40;
		for (j = 0; j < n; j++) {
			const char *w;

			seed = seed * 1103515245 + 12345;
			w = vocab[(seed >> 16) % (sizeof(vocab) /
			    sizeof(vocab[0]))];
			if (i % 10 == 0)
				w = "closed";	/* past the kept places */
			text[len++] = ' ';
			memcpy(text + len, w, strlen(w));
			len += strlen(w);
		}
		for (mark = 0; mark <= len + 1; mark++) {
			memset(sa, 0, sizeof(sa));
			memset(sb, 0, sizeof(sb));
			a = form_fold_scan(f, text, len, mark, sa, &ta, &al);
			b = text_fold_mark(text, len, mark, &ml, &bl);
			tb = form_text_scan(f, b, bl, ml, sb);
			assert_int_equal(al, bl);
			assert_string_equal(a, b);
			assert_int_equal(ta, tb);
			assert_memory_equal(sa, sb, sizeof(sa));
			hits += ta;
			free(a);
			free(b);
		}
	}
	assert_true(hits > 0);
	form_free(f);
}

static void
test_shared_label_languages(void **state)
{
	struct form *f = NULL;
	char err[2048];
	const struct form_label *l;
	int langs = 0;

	(void)state;
	assert_int_equal(load_text(good_form, &f, err, sizeof(err)), 0);
	/* "organisation" is en and fr: both kept, next to each other. */
	l = form_label_exact(f, "organisation");
	assert_non_null(l);
	for (; l < f->labels + f->nlabels &&
	    strcmp(l->folded, "organisation") == 0; l++)
		langs |= 1 << l->lang;
	assert_int_equal(langs, (1 << LANG_EN) | (1 << LANG_FR));
	/* "telephone" and "téléphone" fold alike. */
	assert_int_equal(lookup(f, "Téléphone"), FIELD_PHONE);
	assert_non_null(f->parties);
	form_free(f);
}

static void
test_relative_data_paths(void **state)
{
	struct form *f = NULL;
	char err[2048];
	char *text = edited("parties =", "parties = ./parties.tsv\n");

	(void)state;
	/* The current directory is the repository root, not tmpdir: the
	 * path is read relative to the form's own directory. */
	assert_int_equal(load_text(text, &f, err, sizeof(err)), 0);
	assert_non_null(f->parties);
	form_free(f);
	free(text);
}

static void
test_unknown_section_and_key(void **state)
{
	char *text;

	(void)state;
	text = edited("[lang en]", "[langue en]\n");
	expect_problem(text, 10, "[langue en]: unknown section");
	free(text);
	text = edited("[lang en]", "[lang de]\n");
	expect_problem(text, 10, "unknown language");
	free(text);
	text = edited("[field function]", "[field rank]\n");
	expect_problem(text, 25, "unknown field \"rank\"");
	free(text);
	text = edited("title.es", "titel.es = acceso\n");
	expect_problem(text, 6, "unknown key \"titel.es\"");
	free(text);
	text = edited("words = the", "word = the\n");
	expect_problem(text, 11, "unknown key \"word\"");
	free(text);
}

static void
test_validator_problems(void **state)
{
	char *text;

	(void)state;
	/* A field without a validator: reported at its section. */
	text = edited("validator = phone", "\n");
	expect_problem(text, 28, "[field phone]: no validator");
	free(text);
	text = edited("validator = phone", "validator = telephone\n");
	expect_problem(text, 29, "unknown validator \"telephone\"");
	free(text);
	text = edited("validator = email",
	    "validator = email\nvalidator = text\n");
	expect_problem(text, 34, "given twice");
	free(text);
}

static void
test_duplicate_label(void **state)
{
	char *text;

	(void)state;
	/* "telephone" once more, now for e-mail (with other case/accents). */
	text = edited("en = email", "en = email, Téléphone\n");
	expect_problem(text, 34, "already a label of phone");
	free(text);
}

static void
test_missing_data_files(void **state)
{
	char *text;

	(void)state;
	text = edited("parties =", "parties = nowhere/parties.tsv\n");
	expect_problem(text, 7, "parties:");
	free(text);
	text = edited("freemail =", "freemail = nowhere.txt\n");
	expect_problem(text, 8, "freemail:");
	free(text);
	text = edited("parties =", "\n");
	expect_problem(text, 0, "no parties file");
	free(text);
}

static void
test_no_labels(void **state)
{
	char *text;

	(void)state;
	text = edited("en = function", "\n");
	expect_problem(text, 25, "[field function]: no labels");
	free(text);
	text = edited("[field function]", "\n");
	/* The keys of the missing section now fall into [field organisation]:
	 * its validator is given twice. */
	expect_problem(text, 26, "given twice");
	expect_problem(text, 0, "no [field function] section");
	free(text);
}

static void
test_bad_lines(void **state)
{
	char line[400];
	char *text;

	(void)state;
	snprintf(line, sizeof(line), "en = %0300d\n", 7);
	text = edited("en = first name", line);
	expect_problem(text, 20, "longer than");
	free(text);
	text = edited("en = first name", "en first name\n");
	expect_problem(text, 20, "syntax error");
	free(text);
	text = edited("en = first name", "en = **, first name\n");
	expect_problem(text, 20, "no letters or digits");
	free(text);
	text = edited("en = first name",
	    "en = one two three four five six seven\n");
	expect_problem(text, 20, "more than 6 words");
	free(text);
	text = edited("words = the", "words = the, two words\n");
	expect_problem(text, 11, "not one word");
	free(text);
}

static void
test_all_problems_reported(void **state)
{
	struct form *f = NULL;
	char err[4096];
	char *a, *b;
	int lines = 1;
	const char *p;

	(void)state;
	a = edited("validator = phone", "validator = telephone\n");
	b = edited("name = t", "nam = t\n");
	/* Combine: b's change on top of a. */
	free(b);
	b = malloc(strlen(a) + 2);
	assert_non_null(b);
	snprintf(b, strlen(a) + 2, "%s", a);
	memcpy(strstr(b, "name = t"), "nime", 4);
	assert_int_equal(load_text(b, &f, err, sizeof(err)), -1);
	for (p = err; *p; p++)
		if (*p == '\n')
			lines++;
	assert_true(has_problem(err, 2, "unknown key \"nime\""));
	assert_true(has_problem(err, 29, "unknown validator"));
	assert_true(has_problem(err, 0, "[form]: no name"));
	assert_int_equal(lines, 3);
	free(a);
	free(b);
}

static void
test_unreadable_form(void **state)
{
	struct form *f = (struct form *)1;
	char err[512];

	(void)state;
	assert_int_equal(form_load("/nonexistent/x.form", &f, err,
	    sizeof(err)), -1);
	assert_null(f);
	assert_non_null(strstr(err, "/nonexistent/x.form"));
	/* A tiny error buffer is not overrun. */
	assert_int_equal(form_load("/nonexistent/x.form", &f, err, 8), -1);
	assert_int_equal(strlen(err), 7);
	form_free(NULL);
}

/* A word of sixteen bytes or more has the table entry of a word sixteen
 * shorter: a long word that starts and ends as a hint word does is no
 * hint word, and the hint word still counts. */
static void
test_long_word_entries(void **state)
{
	static const char text[] = "dxxxxxxxxxxxxxxxxe de "
	    "THxxxxxxxxxxxxxxxxE the ofxxxxxxxxxxxxxxxxxxxxxxxxxxxxxf";
	struct form *f = NULL;
	char err[2048], *a, *b;
	int sa[LANG_COUNT], sb[LANG_COUNT], ta, tb, l, total = 0;
	size_t al, bl, ml;

	(void)state;
	assert_int_equal(form_load(REAL_FORM, &f, err, sizeof(err)), 0);
	assert_int_equal(form_word_langs(f, "dxxxxxxxxxxxxxxxxe", 18), 0);
	assert_int_equal(form_word_langs(f, "thxxxxxxxxxxxxxxxxe", 19), 0);
	assert_int_not_equal(form_word_langs(f, "the", 3), 0);
	memset(sa, 0, sizeof(sa));
	memset(sb, 0, sizeof(sb));
	a = form_fold_scan(f, text, sizeof(text) - 1, sizeof(text) - 1, sa,
	    &ta, &al);
	b = text_fold_mark(text, sizeof(text) - 1, sizeof(text) - 1, &ml,
	    &bl);
	tb = form_text_scan(f, b, bl, ml, sb);
	assert_string_equal(a, b);
	assert_int_equal(ta, tb);
	assert_memory_equal(sa, sb, sizeof(sa));
	for (l = 0; l < LANG_COUNT; l++)
		total += sa[l];
	/* "de" and "the", each for its languages, and nothing else. */
	assert_int_equal(total,
	    __builtin_popcount(form_word_langs(f, "de", 2)) +
	    __builtin_popcount(form_word_langs(f, "the", 3)));
	free(a);
	free(b);
	form_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_form_loads),
		cmocka_unit_test(test_labels_sorted),
		cmocka_unit_test(test_label_lookup),
		cmocka_unit_test(test_word_langs),
		cmocka_unit_test(test_text_scan),
		cmocka_unit_test(test_fold_scan),
		cmocka_unit_test(test_shared_label_languages),
		cmocka_unit_test(test_relative_data_paths),
		cmocka_unit_test(test_unknown_section_and_key),
		cmocka_unit_test(test_validator_problems),
		cmocka_unit_test(test_duplicate_label),
		cmocka_unit_test(test_missing_data_files),
		cmocka_unit_test(test_no_labels),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_all_problems_reported),
		cmocka_unit_test(test_unreadable_form),
		cmocka_unit_test(test_long_word_entries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
