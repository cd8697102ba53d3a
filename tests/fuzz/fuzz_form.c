/*
 * fuzz_form.c -- the form reader (parsers/form.c) on arbitrary text.
 *
 * form_load() reads a file and loads the reference data the form names
 * relative to the form's directory, so each input is written to
 * TMP/forms/fuzz.form next to TMP/data/, which holds the first lines of
 * the source tree's data files: "parties = ../data/parties.tsv" works as
 * in the real form, and loading the data (not what is fuzzed here) stays
 * cheap.  Properties
 * checked on every input:
 *   - success and failure are exclusive (a form, or a non-empty error
 *     naming the file);
 *   - a loaded form is what form.h promises: name, notification, three
 *     titles, triggers, a validator and labels for every field, reference
 *     data; labels within their limits, sorted longest first then in
 *     strcmp order, no folded text naming two fields, each found by
 *     form_label_exact(); hint words sorted and distinct.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "form.h"
#include "limits.h"

#include "common.h"

#define PATH_BYTES	4096

#define DATA_LINES	20	/* lines of each data file kept */

static char tmpdir[PATH_BYTES], formdir[PATH_BYTES + 16];
static char datadir[PATH_BYTES + 16], formpath[PATH_BYTES + 32];
static char parties[PATH_BYTES + 32], freemail[PATH_BYTES + 32];

static void
cleanup(void)
{
	unlink(formpath);
	unlink(parties);
	unlink(freemail);
	rmdir(formdir);
	rmdir(datadir);
	rmdir(tmpdir);
}

/* The first DATA_LINES lines of the source tree's data/NAME, to dst. */
static void
copy_head(const char *name, const char *dst)
{
	char rel[64], *src;
	FILE *in, *out;
	int c, lines = 0;

	snprintf(rel, sizeof(rel), "data/%s", name);
	src = fuzz_path(rel);
	if ((in = fopen(src, "r")) == NULL || (out = fopen(dst, "w")) == NULL) {
		perror(src);
		exit(2);
	}
	while (lines < DATA_LINES && (c = getc(in)) != EOF) {
		putc(c, out);
		lines += c == '\n';
	}
	fclose(in);
	if (fclose(out) != 0) {
		perror(dst);
		exit(2);
	}
	free(src);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mkdtemp("form", tmpdir, sizeof(tmpdir));
	snprintf(formdir, sizeof(formdir), "%s/forms", tmpdir);
	snprintf(datadir, sizeof(datadir), "%s/data", tmpdir);
	snprintf(formpath, sizeof(formpath), "%s/fuzz.form", formdir);
	snprintf(parties, sizeof(parties), "%s/parties.tsv", datadir);
	snprintf(freemail, sizeof(freemail), "%s/freemail.txt", datadir);
	if (mkdir(formdir, 0700) == -1 || mkdir(datadir, 0700) == -1) {
		perror(tmpdir);
		exit(2);
	}
	atexit(cleanup);
	copy_head("parties.tsv", parties);
	copy_head("freemail.txt", freemail);
	return 0;
}

static int
count_words(const char *s)
{
	int n = *s != '\0';

	for (; *s; s++)
		n += *s == ' ';
	return n;
}

static void
check_form(const struct form *f)
{
	const struct form_label *lb, *prev;
	int have[FIELD_COUNT + 1] = { 0 };
	size_t i, la, lp;
	int l, k;

	FUZZ_CHECK(f->name != NULL && *f->name, "name");
	FUZZ_CHECK(f->notification != NULL && *f->notification,
	    "notification");
	for (l = 0; l < LANG_COUNT; l++)
		FUZZ_CHECK(f->title[l] != NULL && *f->title[l], "title");
	FUZZ_CHECK(f->ntriggers > 0 && f->ntriggers <= LIMIT_FORM_WORDS,
	    "triggers");
	for (i = 0; i < f->ntriggers; i++)
		FUZZ_CHECK(f->triggers[i] != NULL && *f->triggers[i],
		    "trigger");
	FUZZ_CHECK(f->parties != NULL && f->freemail != NULL,
	    "reference data");
	FUZZ_CHECK(f->nlabels <= LIMIT_FORM_LABELS, "labels");
	for (i = 0; i < f->nlabels; i++) {
		lb = &f->labels[i];
		FUZZ_CHECK(lb->text != NULL && lb->folded != NULL, "label");
		FUZZ_CHECK(*lb->folded != '\0', "empty folded label");
		FUZZ_CHECK(strlen(lb->text) <= LIMIT_LABEL_BYTES, "label size");
		FUZZ_CHECK(count_words(lb->folded) <= LIMIT_LABEL_WORDS,
		    "label words");
		FUZZ_CHECK(lb->field >= 0 && lb->field <= FORM_FULL_NAME,
		    "label field");
		FUZZ_CHECK((unsigned)lb->lang < LANG_COUNT, "label lang");
		have[lb->field]++;
		if (i > 0) {
			prev = &f->labels[i - 1];
			la = strlen(lb->folded);
			lp = strlen(prev->folded);
			FUZZ_CHECK(lp > la || (lp == la &&
			    strcmp(prev->folded, lb->folded) <= 0),
			    "labels out of order");
			if (strcmp(prev->folded, lb->folded) == 0)
				FUZZ_CHECK(prev->field == lb->field,
				    "one label naming two fields");
		}
		FUZZ_CHECK(form_label_exact(f, lb->folded) != NULL &&
		    strcmp(form_label_exact(f, lb->folded)->folded,
		    lb->folded) == 0, "label not found");
	}
	for (k = 0; k < FIELD_COUNT; k++) {
		FUZZ_CHECK(f->validator[k] != NULL, "a field without validator");
		FUZZ_CHECK(have[k] > 0, "a field without labels");
	}
	for (l = 0; l < LANG_COUNT; l++) {
		FUZZ_CHECK(f->nlang_words[l] <= LIMIT_FORM_WORDS, "words");
		for (i = 1; i < f->nlang_words[l]; i++)
			FUZZ_CHECK(strcmp(f->lang_words[l][i - 1],
			    f->lang_words[l][i]) < 0, "words not sorted");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form *f = NULL;
	char err[8192];
	ssize_t w;
	int fd, rc;

	if (size > 256 * 1024)
		return 0;
	fd = open(formpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		perror(formpath);
		exit(2);
	}
	w = size ? write(fd, data, size) : 0;
	close(fd);
	if (w != (ssize_t)size) {
		perror(formpath);
		exit(2);
	}
	memset(err, 'x', sizeof(err));
	rc = form_load(formpath, &f, err, sizeof(err));
	if (rc == 0) {
		FUZZ_CHECK(f != NULL, "success without a form");
		FUZZ_CHECK(err[0] == '\0', "success with an error");
		check_form(f);
	} else {
		FUZZ_CHECK(rc == -1, "return value");
		FUZZ_CHECK(f == NULL, "failure with a form");
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "error not terminated");
		FUZZ_CHECK(strncmp(err, formpath, strlen(formpath)) == 0,
		    "error does not name the file");
	}
	form_free(f);
	return 0;
}
