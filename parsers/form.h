/*
 * form.h -- a request form: its fields, their labels in each language,
 * the trigger words, each field's validator, and the reference data it
 * validates against.  Read from an INI file (inih); see
 * forms/cencomm-cheetah.form for the format.
 *
 * A form is read-only once loaded and may be shared; form_free() frees it
 * and everything it loaded.
 */
#ifndef INTAKE_FORM_H
#define INTAKE_FORM_H

#include <stddef.h>

#include "fields.h"
#include "validate.h"

/* Label that gives a whole name ("Name", "Nom complet"): split into first
 * and last name by the extractor. */
#define FORM_FULL_NAME	FIELD_COUNT

struct form_label {
	char		*text;		/* as written in the form */
	char		*folded;	/* text_fold(text) */
	int		 field;		/* enum field, or FORM_FULL_NAME */
	enum lang	 lang;
};

struct form {
	char		*path;
	char		*name;			/* "cencomm-cheetah" */
	char		*notification;		/* "2018/046" */
	char		*title[LANG_COUNT];	/* what the request is for */
	char		**triggers;		/* folded */
	size_t		 ntriggers;
	struct form_label *labels;	/* longest folded text first, then
					 * in strcmp order */
	size_t		 nlabels;
	char		**lang_words[LANG_COUNT];	/* folded, sorted */
	size_t		 nlang_words[LANG_COUNT];
	const struct validator *validator[FIELD_COUNT];
	struct parties	*parties;
	struct domainset *freemail;
	struct form_index *index;	/* labels and hint words by text */
};

/* err gets "path:line: reason" (all problems found, joined by newlines). */
int	 form_load(const char *path, struct form **, char *err, size_t errlen);
void	 form_free(struct form *);

/* The label whose folded text equals folded, or NULL.  Borrowed.  The
 * first label of its run: the others with the same text follow it. */
const struct form_label *form_label_exact(const struct form *,
	    const char *folded);
/* The same for folded[0..len). */
const struct form_label *form_label_exact_n(const struct form *,
	    const char *folded, size_t len);

/* Languages (bit per enum lang) whose labels have the folded text of l. */
unsigned	 form_label_langs(const struct form *,
	    const struct form_label *l);

/* 0 when no label's folded text starts with folded word w[0..len)
 * followed by a space, a full stop or its end; else 1. */
int		 form_label_head(const struct form *, const char *w,
	    size_t len);

/* For each word of folded[0..len) (words end at a space), one more in
 * score[lang] for each language whose hint words hold it. */
void		 form_text_langs(const struct form *, const char *folded,
	    size_t len, int *score);

/* The same for the words of folded[0..langlen) (langlen <= len; a word
 * cut there counts as cut), and 1 when folded[0..len) holds one of the
 * triggers as whole words, else 0: one pass over a folded text
 * (text_fold) for both.  score may be NULL when langlen is 0. */
int		 form_text_scan(const struct form *, const char *folded,
	    size_t len, size_t langlen, int *score);

/* Fold s[0..len) as text_fold_mark(s, len, mark, ...) does and return
 * the folding (*outlen its length), with form_text_scan() of it done in
 * the same pass: score for the folding of s[0..mark), *trigger for all. */
char		*form_fold_scan(const struct form *, const char *s,
	    size_t len, size_t mark, int *score, int *trigger,
	    size_t *outlen);

/* Languages (bit per enum lang) whose hint words hold folded word
 * w[0..len); 0 for none. */
unsigned	 form_word_langs(const struct form *, const char *w,
	    size_t len);

#endif
