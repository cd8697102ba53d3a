/*
 * form.c -- read a request form (see form.h and forms/cencomm-cheetah.form
 * for the format).
 *
 * inih does the INI syntax; this file checks the meaning and collects every
 * problem as "path:line: reason", so that one run shows them all.  inih does
 * not pass line numbers to the handler in Debian's build, so the file is fed
 * through a reader of our own that counts lines (and refuses lines longer
 * than inih's buffer instead of letting inih cut them in two).  Labels are
 * folded with text_fold and sorted longest first, then in strcmp order;
 * a hash table over the folded label texts and the hint words of every
 * language (form_index) answers the extractor's lookups, which run for
 * every word and cell of every message.  The reference data the form
 * names is loaded here, relative to the form's directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "buf.h"
#include "form.h"
#include "limits.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

#define FORM_MAX_ERRORS	50	/* problems reported before giving up */
#define FORM_NSLOTS	(FIELD_COUNT + 1)	/* fields and full_name */

enum section {
	SEC_NONE,
	SEC_FORM,
	SEC_LANG,
	SEC_FIELD,
	SEC_BAD
};

struct loader {
	const char	*path;
	char		*dir;		/* of path, for relative data paths */
	struct form	*form;
	FILE		*fp;
	struct buf	 err;
	int		 nerr;

	int		 line;		/* last line handed to inih */
	int		 section_line;	/* line of the last [section] */
	char		*cursec;	/* section name as inih gives it */
	enum section	 sec;
	int		 arg;		/* language or slot of the section */

	int		 lang_line[LANG_COUNT];	/* 0 = section not seen */
	int		 slot_line[FORM_NSLOTS];
	int		 validator_line[FIELD_COUNT];
	int		 name_line, notification_line, title_line[LANG_COUNT];
	int		 parties_line, freemail_line;
	char		*parties_path, *freemail_path;

	int		*label_line;	/* parallel to form->labels */
	size_t		 labels_cap, triggers_cap;
	size_t		 words_cap[LANG_COUNT];
};

static const char *const slot_names[FORM_NSLOTS] = {
	"country", "last_name", "first_name", "organisation", "function",
	"phone", "email", "full_name"
};

static void
problem(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ld->nerr++ >= FORM_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->err.len > 0)
		buf_addch(&ld->err, '\n');
	if (line > 0)
		buf_printf(&ld->err, "%s:%d: %s", ld->path, line, msg);
	else
		buf_printf(&ld->err, "%s: %s", ld->path, msg);
	if (ld->nerr == FORM_MAX_ERRORS)
		buf_printf(&ld->err, "\n%s: too many problems, stopped "
		    "reporting", ld->path);
}

/*
 * fgets-like reader for inih: one line a call, counted.  A line that would
 * not fit inih's buffer (num bytes with its newline and NUL) is reported and
 * handed over empty.
 */
static char *
form_reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	size_t n = 0, max;
	int c, over = 0, any = 0;
	const char *p;

	if (num < 3)
		return NULL;
	max = (size_t)num - 2;
	while ((c = getc(ld->fp)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (n < max)
			str[n++] = (char)c;
		else
			over = 1;
	}
	if (!any)
		return NULL;
	ld->line++;
	if (over) {
		problem(ld, ld->line, "line longer than %d bytes (repeat the "
		    "key to continue a list)", num - 3);
		n = 0;
	}
	str[n++] = '\n';
	str[n] = '\0';
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[')
		ld->section_line = ld->line;
	return str;
}

/* Trimmed copy of s[0..n). */
static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		n--;
	return xstrndup(s, n);
}

static int
count_words(const char *folded)
{
	int n = *folded != '\0';

	for (; *folded; folded++)
		if (*folded == ' ')
			n++;
	return n;
}

static void
set_section(struct loader *ld, const char *section)
{
	const char *arg;
	int line = ld->section_line;

	free(ld->cursec);
	ld->cursec = xstrdup(section);
	ld->sec = SEC_BAD;
	if (*section == '\0') {
		ld->sec = SEC_NONE;
		return;
	}
	if (strcmp(section, "form") == 0) {
		ld->sec = SEC_FORM;
		return;
	}
	if (strncmp(section, "lang ", 5) == 0) {
		arg = section + 5;
		ld->arg = lang_from_key(arg);
		if (ld->arg == LANG_COUNT) {
			problem(ld, line, "[%s]: unknown language \"%s\" (en, "
			    "fr, es)", section, arg);
			return;
		}
		if (ld->lang_line[ld->arg] != 0)
			problem(ld, line, "[%s]: section given twice (first "
			    "at line %d)", section, ld->lang_line[ld->arg]);
		ld->lang_line[ld->arg] = line;
		ld->sec = SEC_LANG;
		return;
	}
	if (strncmp(section, "field ", 6) == 0) {
		arg = section + 6;
		for (ld->arg = 0; ld->arg < FORM_NSLOTS; ld->arg++)
			if (strcmp(arg, slot_names[ld->arg]) == 0)
				break;
		if (ld->arg == FORM_NSLOTS) {
			problem(ld, line, "[%s]: unknown field \"%s\"", section,
			    arg);
			return;
		}
		if (ld->slot_line[ld->arg] != 0)
			problem(ld, line, "[%s]: section given twice (first "
			    "at line %d)", section, ld->slot_line[ld->arg]);
		ld->slot_line[ld->arg] = line;
		ld->sec = SEC_FIELD;
		return;
	}
	problem(ld, line, "[%s]: unknown section", section);
}

/* Set a single-valued string once. */
static void
set_once(struct loader *ld, char **dst, int *dline, const char *key,
    const char *value)
{
	if (*dst != NULL) {
		problem(ld, ld->line, "%s: given twice (first at line %d)",
		    key, *dline);
		return;
	}
	if (*value == '\0') {
		problem(ld, ld->line, "%s: empty value", key);
		return;
	}
	*dst = xstrdup(value);
	*dline = ld->line;
}

/* Call fn for each comma-separated, trimmed, non-empty item of value. */
static void
each_item(struct loader *ld, const char *value,
    void (*fn)(struct loader *, const char *, void *), void *arg)
{
	const char *p = value, *e;
	char *item;

	while (*p) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		item = trimmed(p, (size_t)(e - p));
		if (*item)
			fn(ld, item, arg);
		free(item);
		p = *e ? e + 1 : e;
	}
}

static void
add_trigger(struct loader *ld, const char *item, void *arg)
{
	struct form *f = ld->form;
	char *folded;

	(void)arg;
	if (f->ntriggers >= LIMIT_FORM_WORDS) {
		problem(ld, ld->line, "triggers: more than %d",
		    LIMIT_FORM_WORDS);
		return;
	}
	folded = text_fold(item);
	if (*folded == '\0') {
		problem(ld, ld->line, "triggers: \"%s\" has no letters or "
		    "digits", item);
		free(folded);
		return;
	}
	if (f->ntriggers == ld->triggers_cap) {
		ld->triggers_cap = ld->triggers_cap ? ld->triggers_cap * 2 : 16;
		f->triggers = xrealloc(f->triggers,
		    ld->triggers_cap * sizeof(*f->triggers));
	}
	f->triggers[f->ntriggers++] = folded;
}

static void
add_word(struct loader *ld, const char *item, void *arg)
{
	struct form *f = ld->form;
	int l = *(int *)arg;
	char *folded;

	if (f->nlang_words[l] >= LIMIT_FORM_WORDS) {
		problem(ld, ld->line, "words: more than %d", LIMIT_FORM_WORDS);
		return;
	}
	folded = text_fold(item);
	if (*folded == '\0' || strchr(folded, ' ') != NULL) {
		problem(ld, ld->line, "words: \"%s\" is not one word", item);
		free(folded);
		return;
	}
	if (f->nlang_words[l] == ld->words_cap[l]) {
		ld->words_cap[l] = ld->words_cap[l] ? ld->words_cap[l] * 2 : 64;
		f->lang_words[l] = xrealloc(f->lang_words[l],
		    ld->words_cap[l] * sizeof(*f->lang_words[l]));
	}
	f->lang_words[l][f->nlang_words[l]++] = folded;
}

struct label_arg {
	int		slot;
	enum lang	lang;
};

static void
add_label(struct loader *ld, const char *item, void *arg)
{
	struct label_arg *la = arg;
	struct form *f = ld->form;
	struct form_label *lb;
	char *folded;

	if (f->nlabels >= LIMIT_FORM_LABELS) {
		problem(ld, ld->line, "more than %d labels", LIMIT_FORM_LABELS);
		return;
	}
	if (strlen(item) > LIMIT_LABEL_BYTES) {
		problem(ld, ld->line, "label \"%s\" is longer than %d bytes",
		    item, LIMIT_LABEL_BYTES);
		return;
	}
	folded = text_fold(item);
	if (*folded == '\0') {
		problem(ld, ld->line, "label \"%s\" has no letters or digits",
		    item);
		free(folded);
		return;
	}
	if (count_words(folded) > LIMIT_LABEL_WORDS) {
		problem(ld, ld->line, "label \"%s\" has more than %d words",
		    item, LIMIT_LABEL_WORDS);
		free(folded);
		return;
	}
	if (f->nlabels == ld->labels_cap) {
		ld->labels_cap = ld->labels_cap ? ld->labels_cap * 2 : 64;
		f->labels = xrealloc(f->labels,
		    ld->labels_cap * sizeof(*f->labels));
		ld->label_line = xrealloc(ld->label_line,
		    ld->labels_cap * sizeof(*ld->label_line));
	}
	lb = &f->labels[f->nlabels];
	lb->text = xstrdup(item);
	lb->folded = folded;
	lb->field = la->slot;
	lb->lang = la->lang;
	ld->label_line[f->nlabels] = ld->line;
	f->nlabels++;
}

static void
key_form(struct loader *ld, const char *name, const char *value)
{
	struct form *f = ld->form;
	enum lang l;

	if (strcmp(name, "name") == 0)
		set_once(ld, &f->name, &ld->name_line, name, value);
	else if (strcmp(name, "notification") == 0)
		set_once(ld, &f->notification, &ld->notification_line, name,
		    value);
	else if (strncmp(name, "title.", 6) == 0 &&
	    (l = lang_from_key(name + 6)) != LANG_COUNT)
		set_once(ld, &f->title[l], &ld->title_line[l], name, value);
	else if (strcmp(name, "parties") == 0)
		set_once(ld, &ld->parties_path, &ld->parties_line, name,
		    value);
	else if (strcmp(name, "freemail") == 0)
		set_once(ld, &ld->freemail_path, &ld->freemail_line, name,
		    value);
	else if (strcmp(name, "triggers") == 0)
		each_item(ld, value, add_trigger, NULL);
	else
		problem(ld, ld->line, "[form]: unknown key \"%s\"", name);
}

static void
key_lang(struct loader *ld, const char *name, const char *value)
{
	int l = ld->arg;

	if (strcmp(name, "words") == 0)
		each_item(ld, value, add_word, &l);
	else
		problem(ld, ld->line, "[%s]: unknown key \"%s\"", ld->cursec,
		    name);
}

static void
key_field(struct loader *ld, const char *name, const char *value)
{
	struct form *f = ld->form;
	struct label_arg la;
	enum lang l;
	int slot = ld->arg;

	if (strcmp(name, "validator") == 0) {
		if (slot == FORM_FULL_NAME) {
			problem(ld, ld->line, "[%s]: full_name takes no "
			    "validator (its parts are the name fields')",
			    ld->cursec);
			return;
		}
		if (ld->validator_line[slot] != 0) {
			problem(ld, ld->line, "validator: given twice (first "
			    "at line %d)", ld->validator_line[slot]);
			return;
		}
		ld->validator_line[slot] = ld->line;
		f->validator[slot] = validator_find(value);
		if (f->validator[slot] == NULL)
			problem(ld, ld->line, "validator: unknown validator "
			    "\"%s\" (country, email, phone, text)", value);
		return;
	}
	if ((l = lang_from_key(name)) != LANG_COUNT) {
		la.slot = slot;
		la.lang = l;
		each_item(ld, value, add_label, &la);
		return;
	}
	problem(ld, ld->line, "[%s]: unknown key \"%s\"", ld->cursec, name);
}

static int
form_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct loader *ld = user;

	if (ld->cursec == NULL || strcmp(section, ld->cursec) != 0)
		set_section(ld, section);
	switch (ld->sec) {
	case SEC_NONE:
		break;
	case SEC_FORM:
		key_form(ld, name, value);
		break;
	case SEC_LANG:
		key_lang(ld, name, value);
		break;
	case SEC_FIELD:
		key_field(ld, name, value);
		break;
	case SEC_BAD:
		/* Reported once, at the section. */
		break;
	}
	if (*section == '\0')
		problem(ld, ld->line, "\"%s\" is outside any section", name);
	return 1;	/* keep going: every problem is collected */
}

/* Longest folded text first, then strcmp order. */
static int
label_order(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return alen > blen ? -1 : 1;
	return strcmp(a, b);
}

static int
label_index_cmp(const void *pa, const void *pb, void *arg)
{
	const struct form *f = arg;
	const struct form_label *a = &f->labels[*(const size_t *)pa];
	const struct form_label *b = &f->labels[*(const size_t *)pb];
	int c = label_order(a->folded, strlen(a->folded), b->folded);

	if (c != 0)
		return c;
	if (a->field != b->field)
		return a->field - b->field;
	if (a->lang != b->lang)
		return (int)a->lang - (int)b->lang;
	/* Stable: earlier definitions first. */
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static void
label_free(struct form_label *lb)
{
	free(lb->text);
	free(lb->folded);
}

/*
 * Sort the labels; report a folded text that names two fields; drop a
 * label repeated for the same field and language.
 */
static void
sort_labels(struct loader *ld)
{
	struct form *f = ld->form;
	struct form_label *sorted;
	size_t *idx, i, n = 0;
	int *lines;

	if (f->nlabels == 0)
		return;
	idx = xcalloc(f->nlabels, sizeof(*idx));
	for (i = 0; i < f->nlabels; i++)
		idx[i] = i;
	qsort_r(idx, f->nlabels, sizeof(*idx), label_index_cmp, f);
	sorted = xcalloc(f->nlabels, sizeof(*sorted));
	lines = xcalloc(f->nlabels, sizeof(*lines));
	for (i = 0; i < f->nlabels; i++) {
		struct form_label *lb = &f->labels[idx[i]];
		int line = ld->label_line[idx[i]];

		/* Within a run of one folded text, fields come in order. */
		if (n > 0 && strcmp(sorted[n - 1].folded, lb->folded) == 0) {
			if (sorted[n - 1].field != lb->field) {
				problem(ld, line, "label \"%s\" is already a "
				    "label of %s (line %d)", lb->text,
				    slot_names[sorted[n - 1].field],
				    lines[n - 1]);
				label_free(lb);
				continue;
			}
			if (sorted[n - 1].lang == lb->lang) {
				label_free(lb);
				continue;
			}
		}
		lines[n] = line;
		sorted[n++] = *lb;
	}
	free(f->labels);
	free(ld->label_line);
	f->labels = sorted;
	f->nlabels = n;
	ld->label_line = lines;
	ld->labels_cap = n;
	free(idx);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort a word list and drop repeats. */
static void
sort_words(char **w, size_t *n)
{
	size_t i, k = 0;

	if (*n == 0)
		return;
	qsort(w, *n, sizeof(*w), str_cmp);
	for (i = 0; i < *n; i++) {
		if (k > 0 && strcmp(w[k - 1], w[i]) == 0)
			free(w[i]);
		else
			w[k++] = w[i];
	}
	*n = k;
}

/* path of a data file named in the form: relative to the form's dir. */
static char *
data_path(const struct loader *ld, const char *value)
{
	struct buf b;

	if (value[0] == '/')
		return xstrdup(value);
	buf_init(&b, (size_t)-1 / 2);
	buf_addstr(&b, ld->dir);
	buf_addch(&b, '/');
	buf_addstr(&b, value);
	return buf_release(&b);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* What a whole form needs, once every line is read. */
static void
check_form(struct loader *ld)
{
	struct form *f = ld->form;
	char err[512], *p;
	size_t i;
	int s, l, have[FORM_NSLOTS] = { 0 };

	if (f->name == NULL)
		problem(ld, 0, "[form]: no name");
	if (f->notification == NULL)
		problem(ld, 0, "[form]: no notification");
	for (l = 0; l < LANG_COUNT; l++)
		if (f->title[l] == NULL)
			problem(ld, 0, "[form]: no title.%s", lang_key(l));
	if (f->ntriggers == 0)
		problem(ld, 0, "[form]: no triggers");
	for (i = 0; i < f->nlabels; i++)
		have[f->labels[i].field]++;
	for (s = 0; s < FIELD_COUNT; s++) {
		if (ld->slot_line[s] == 0) {
			problem(ld, 0, "no [field %s] section", slot_names[s]);
			continue;
		}
		if (ld->validator_line[s] == 0)
			problem(ld, ld->slot_line[s], "[field %s]: no "
			    "validator", slot_names[s]);
		if (have[s] == 0)
			problem(ld, ld->slot_line[s], "[field %s]: no labels",
			    slot_names[s]);
	}
	if (ld->slot_line[FORM_FULL_NAME] != 0 && have[FORM_FULL_NAME] == 0)
		problem(ld, ld->slot_line[FORM_FULL_NAME], "[field full_name]: "
		    "no labels");

	if (ld->parties_path == NULL)
		problem(ld, 0, "[form]: no parties file");
	else {
		p = data_path(ld, ld->parties_path);
		if (parties_load(p, &f->parties, err, sizeof(err)) == -1)
			problem(ld, ld->parties_line, "parties: %s", err);
		free(p);
	}
	if (ld->freemail_path == NULL)
		problem(ld, 0, "[form]: no freemail file");
	else {
		p = data_path(ld, ld->freemail_path);
		if (domainset_load(p, &f->freemail, err, sizeof(err)) == -1)
			problem(ld, ld->freemail_line, "freemail: %s", err);
		free(p);
	}
}

/*
 * The index: open addressing over folded texts, a power of two at least
 * twice the number of keys.  A key is a label text (the first label of
 * its run, and the languages of the run) or a hint word (its languages),
 * or both.
 */
struct form_key {
	const char		*s;	/* NULL: empty slot */
	size_t			 len;
	uint32_t		 hash;
	const struct form_label	*label;
	unsigned		 label_langs;
	unsigned		 word_langs;
	int			 head;	/* a label's first word */
	int			 trigger; /* a trigger's first word */
	int			 chained; /* on a wordtab chain */
	uint32_t		 wordnext; /* next on that chain, 1-based */
};

/* A word's (first byte, last byte, length): the same as a folding's
 * reader filters on. */
#define WORD_BIT(w, len)	TEXT_WORD_BIT(w, len)
#define WORD_BITS		TEXT_WORD_BITS

struct form_index {
	struct form_key	*slot;
	size_t		 mask;
	/* Per (first byte, last byte, length) of the hint words and of the
	 * triggers' first words, a chain of their keys (slot index + 1, 0
	 * for none): most words of a text have none, and the others are
	 * found without hashing. */
	uint32_t	 wordtab[WORD_BITS];
	uint64_t	 headbits[WORD_BITS / 64];	/* a bit per value for
							 * labels' first words */
};

static void
bits_add(uint64_t *bits, const char *w, size_t len)
{
	unsigned b = WORD_BIT(w, len);

	bits[b >> 6] |= 1ull << (b & 63);
}

/* Put k (a hint word or a trigger's first word) on its wordtab chain,
 * once. */
static void
word_chain(struct form_index *x, struct form_key *k)
{
	uint32_t *head = &x->wordtab[WORD_BIT(k->s, k->len)];

	if (k->chained)
		return;
	k->chained = 1;
	k->wordnext = *head;
	*head = (uint32_t)(k - x->slot) + 1;
}

/*
 * The key of w[0..len) on the wordtab chain that starts at slot i - 1,
 * or NULL.  Hint words are short: a call to memcmp() would cost more
 * than the word.  The first and the last four bytes (two in a word of
 * two or three) are compared as two numbers, which overlap in a word
 * shorter than twice that, and the bytes between them, if any, one at
 * a time.
 */
static const struct form_key *
word_on_chain(const struct form_index *x, uint32_t i, const char *w,
    size_t len)
{
	const struct form_key *k;
	uint32_t a, b, c, d;
	uint16_t a2, b2, c2, d2;
	size_t j;

	for (; i != 0; i = k->wordnext) {
		k = &x->slot[i - 1];
		if (k->len != len)
			continue;
		if (len >= 4) {
			memcpy(&a, k->s, 4);
			memcpy(&b, w, 4);
			memcpy(&c, k->s + len - 4, 4);
			memcpy(&d, w + len - 4, 4);
			if (a != b || c != d)
				continue;
			for (j = 4; j + 4 < len && k->s[j] == w[j]; j++)
				continue;
			if (j + 4 >= len)
				return k;
		} else if (len >= 2) {
			memcpy(&a2, k->s, 2);
			memcpy(&b2, w, 2);
			memcpy(&c2, k->s + len - 2, 2);
			memcpy(&d2, w + len - 2, 2);
			if (a2 == b2 && c2 == d2)
				return k;
		} else if (len == 0 || k->s[0] == w[0])
			return k;
	}
	return NULL;
}

/* The key of w[0..len) (len > 0) on the wordtab chains, or NULL. */
static const struct form_key *
word_key(const struct form_index *x, const char *w, size_t len)
{
	return word_on_chain(x, x->wordtab[WORD_BIT(w, len)], w, len);
}

/* The index keeps the low half of text_hash(). */
static uint32_t
key_hash(const char *s, size_t n)
{
	return (uint32_t)text_hash(s, n);
}

/* The slot of s[0..n): its key, or the empty slot where it would go. */
static struct form_key *
index_slot(const struct form_index *x, const char *s, size_t n, uint32_t h)
{
	size_t i = h & x->mask;

	for (;;) {
		struct form_key *k = &x->slot[i];

		if (k->s == NULL || (k->hash == h && k->len == n &&
		    memcmp(k->s, s, n) == 0))
			return k;
		i = (i + 1) & x->mask;
	}
}

static struct form_key *
index_add_n(struct form_index *x, const char *s, size_t n)
{
	uint32_t h = key_hash(s, n);
	struct form_key *k = index_slot(x, s, n, h);

	if (k->s == NULL) {
		k->s = s;
		k->len = n;
		k->hash = h;
	}
	return k;
}

static struct form_key *
index_add(struct form_index *x, const char *s)
{
	return index_add_n(x, s, strlen(s));
}

static void
index_build(struct form *f)
{
	struct form_index *x = xcalloc(1, sizeof(*x));
	struct form_key *k;
	size_t keys = f->nlabels, size = 16, i;
	int l;

	for (l = 0; l < LANG_COUNT; l++)
		keys += f->nlang_words[l];
	keys += f->nlabels;	/* their first words */
	keys += f->ntriggers;	/* and the triggers' */
	while (size < 2 * keys + 1)
		size *= 2;
	x->slot = xcalloc(size, sizeof(*x->slot));
	x->mask = size - 1;
	for (i = 0; i < f->nlabels; i++) {
		k = index_add(x, f->labels[i].folded);
		if (k->label == NULL)
			k->label = &f->labels[i];
		k->label_langs |= 1u << f->labels[i].lang;
	}
	for (i = 0; i < f->nlabels; i++) {
		const char *t = f->labels[i].folded;
		size_t n = strcspn(t, " .");

		if (n == 0)
			continue;
		index_add_n(x, t, n)->head = 1;
		bits_add(x->headbits, t, n);
	}
	for (l = 0; l < LANG_COUNT; l++)
		for (i = 0; i < f->nlang_words[l]; i++) {
			const char *w = f->lang_words[l][i];

			k = index_add(x, w);
			k->word_langs |= 1u << l;
			if (k->len > 0)
				word_chain(x, k);
		}
	for (i = 0; i < f->ntriggers; i++) {
		const char *t = f->triggers[i];
		size_t n = strcspn(t, " ");

		if (n == 0)
			continue;
		k = index_add_n(x, t, n);
		k->trigger = 1;
		word_chain(x, k);
	}
	f->index = x;
}

static void
index_free(struct form_index *x)
{
	if (x == NULL)
		return;
	free(x->slot);
	free(x);
}

int
form_load(const char *path, struct form **out, char *err, size_t errlen)
{
	struct loader ld;
	int r, l;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	buf_init(&ld.err, 64 * 1024);	/* then cut to errlen */
	if ((ld.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ld.dir = dir_of(path);
	ld.form = xcalloc(1, sizeof(*ld.form));
	ld.form->path = xstrdup(path);

	r = ini_parse_stream(form_reader, &ld, form_handler, &ld);
	if (ferror(ld.fp))
		problem(&ld, 0, "read error");
	fclose(ld.fp);
	if (r == -2)
		problem(&ld, 0, "out of memory");
	else if (r > 0)
		problem(&ld, r, "syntax error (expected [section], "
		    "key = value, or a comment)");

	sort_labels(&ld);
	for (l = 0; l < LANG_COUNT; l++)
		sort_words(ld.form->lang_words[l], &ld.form->nlang_words[l]);
	check_form(&ld);
	index_build(ld.form);

	free(ld.cursec);
	free(ld.dir);
	free(ld.parties_path);
	free(ld.freemail_path);
	free(ld.label_line);
	if (ld.nerr > 0) {
		snprintf(err, errlen, "%s", ld.err.data ? ld.err.data : "");
		buf_free(&ld.err);
		form_free(ld.form);
		return -1;
	}
	buf_free(&ld.err);
	if (errlen > 0)
		err[0] = '\0';
	*out = ld.form;
	return 0;
}

void
form_free(struct form *f)
{
	size_t i;
	int l;

	if (f == NULL)
		return;
	free(f->path);
	free(f->name);
	free(f->notification);
	for (l = 0; l < LANG_COUNT; l++) {
		free(f->title[l]);
		for (i = 0; i < f->nlang_words[l]; i++)
			free(f->lang_words[l][i]);
		free(f->lang_words[l]);
	}
	for (i = 0; i < f->ntriggers; i++)
		free(f->triggers[i]);
	free(f->triggers);
	for (i = 0; i < f->nlabels; i++)
		label_free(&f->labels[i]);
	free(f->labels);
	parties_free(f->parties);
	domainset_free(f->freemail);
	index_free(f->index);
	free(f);
}

static const struct form_label *
label_search(const struct form *f, const char *folded)
{
	size_t lo = 0, hi = f->nlabels, mid;

	/* Lower bound: the first label of a run with this text. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (label_order(f->labels[mid].folded,
		    strlen(f->labels[mid].folded), folded) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->nlabels && strcmp(f->labels[lo].folded, folded) == 0)
		return &f->labels[lo];
	return NULL;
}

const struct form_label *
form_label_exact_n(const struct form *f, const char *folded, size_t len)
{
	const struct form_key *k;

	if (f->index == NULL) {
		char *tmp = xstrndup(folded, len);
		const struct form_label *l = label_search(f, tmp);

		free(tmp);
		return l;
	}
	k = index_slot(f->index, folded, len, key_hash(folded, len));
	return k->s != NULL ? k->label : NULL;
}

const struct form_label *
form_label_exact(const struct form *f, const char *folded)
{
	if (f->index == NULL)
		return label_search(f, folded);
	return form_label_exact_n(f, folded, strlen(folded));
}

unsigned
form_label_langs(const struct form *f, const struct form_label *l)
{
	const struct form_label *e = f->labels + f->nlabels, *q;
	const struct form_key *k;
	unsigned bits = 0;

	if (f->index != NULL) {
		k = index_slot(f->index, l->folded, strlen(l->folded),
		    key_hash(l->folded, strlen(l->folded)));
		if (k->s != NULL && k->label == l)
			return k->label_langs;
	}
	for (q = l; q < e && strcmp(q->folded, l->folded) == 0; q++)
		bits |= 1u << q->lang;
	return bits;
}

static int
word_search(char *const *words, size_t n, const char *w)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(words[mid], w);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
form_label_head(const struct form *f, const char *w, size_t len)
{
	const struct form_key *k;
	unsigned b;

	if (f->index == NULL || len == 0)
		return 1;
	/* Most words are no label's first word: their bit in headbits
	 * (bits_add()) is clear.  It is read here, for every word asked
	 * of. */
	b = WORD_BIT(w, len);
	if (((f->index->headbits[b >> 6] >> (b & 63)) & 1) == 0)
		return 0;
	k = index_slot(f->index, w, len, key_hash(w, len));
	return k->s != NULL && k->head;
}

/* form_word_langs(): most words of a text are no hint word, and the
 * table of WORD_BIT() values says so without hashing. */
static unsigned
word_langs(const struct form *f, const char *w, size_t len)
{
	const struct form_key *k;
	unsigned bits = 0;
	char *tmp;
	int l;

	if (len == 0)
		return 0;	/* no hint word is empty */
	if (f->index != NULL) {
		k = word_key(f->index, w, len);
		return k != NULL ? k->word_langs : 0;
	}
	tmp = xstrndup(w, len);
	for (l = 0; l < LANG_COUNT; l++)
		if (word_search(f->lang_words[l], f->nlang_words[l], tmp))
			bits |= 1u << l;
	free(tmp);
	return bits;
}

/* 1 when a trigger starts at w, a word start of a folded text that ends
 * at w + left, and ends at a word end there. */
static int
trigger_at(const struct form *f, const char *w, size_t left)
{
	size_t i, tl;

	for (i = 0; i < f->ntriggers; i++) {
		tl = strlen(f->triggers[i]);
		if (tl > 0 && tl <= left && memcmp(w, f->triggers[i], tl) == 0 &&
		    (tl == left || w[tl] == ' '))
			return 1;
	}
	return 0;
}

/* One more in score[l] for each bit l of langs (bits past LANG_COUNT
 * are never set): a hint word is most often of one language.  A macro:
 * it is taken for most hint words of a text. */
#define SCORE_LANGS(langs, score) do {					\
	unsigned langs_;						\
									\
	for (langs_ = (langs); langs_ != 0; langs_ &= langs_ - 1)	\
		(score)[__builtin_ctz(langs_)]++;			\
} while (0)

/*
 * The words of folded[0..len) (words end at a space) once: the hint
 * words among those of folded[0..langlen) (a word cut there counts as
 * cut) scored, and, when triggers is set, whether a trigger stands at a
 * word start and ends at a word end.  A word is looked up once for both:
 * the triggers' first words are on the hint words' chains.
 *
 * Words are short, and a call to memchr() for each would cost more than
 * the word: the end is found eight bytes at a time.  With spaces turned
 * into zero bytes, (v - ones) & ~v flags every zero byte, and a borrow
 * can flag a byte only after a zero one: on a little-endian machine the
 * lowest flagged byte is the first space.
 */
static int
text_scan(const struct form *f, const char *folded, size_t len,
    size_t langlen, int *score, int triggers)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	const uint64_t spaces = 0x2020202020202020ULL;
	const struct form_index *x = f->index;
	const struct form_key *k;
	size_t w = 0, n;
	uint64_t v, m;
	uint32_t i;
	int found = 0;

	if (langlen > len)
		langlen = len;
	while (w < len && (w < langlen || (triggers && !found))) {
		/* n: the length of the word at w. */
		n = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		for (; len - w - n >= 8; n += 8) {
			memcpy(&v, folded + w + n, 8);
			v ^= spaces;
			if ((m = (v - ones) & ~v & highs) != 0) {
				n += (size_t)__builtin_ctzll(m) >> 3;
				goto found_end;
			}
		}
#endif
		while (w + n < len && folded[w + n] != ' ')
			n++;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	found_end:
#endif
		k = NULL;
		if (x != NULL && n > 0 &&
		    (i = x->wordtab[WORD_BIT(folded + w, n)]) != 0)
			k = word_on_chain(x, i, folded + w, n);
		if (w < langlen) {
			if (w + n <= langlen) {
				if (k != NULL && k->word_langs != 0)
					SCORE_LANGS(k->word_langs, score);
			} else
				SCORE_LANGS(word_langs(f, folded + w,
				    langlen - w), score);
		}
		if (triggers && !found && (x == NULL ||
		    (k != NULL && k->trigger)))
			found = trigger_at(f, folded + w, len - w);
		w += n + 1;
	}
	return found;
}

/*
 * form_fold_scan(): a text_words reader that looks each word up as the
 * folding makes it, instead of a walk over the folding after.  Trigger
 * words can only be checked once the words after them are made: their
 * places are kept, SCAN_CANDS at most, and past that the whole folding is
 * searched after.
 */
#define SCAN_CANDS	16

struct fold_scan {
	struct text_words	 tw;	/* first: word() gets its address */
	const struct form	*f;
	int			*score;
	size_t			 cand[SCAN_CANDS];	/* trigger words */
	size_t			 ncand;
	int			 overflow;
};

/* Keep start, a trigger's first word, as a candidate. */
static void
scan_cand(struct fold_scan *sc, size_t start)
{
	if (sc->ncand < SCAN_CANDS)
		sc->cand[sc->ncand++] = start;
	else
		sc->overflow = 1;
}

/* scan_word() for a word that ends past the mark: scored, if it starts
 * before, as the part of it before the mark. */
static void
scan_late_word(struct fold_scan *sc, const char *w, size_t start,
    size_t end, uint32_t i)
{
	const struct form_key *k = NULL;

	if (i != 0)
		k = word_on_chain(sc->f->index, i, w, end - start);
	if (start < sc->tw.mark)
		SCORE_LANGS(word_langs(sc->f, w, sc->tw.mark - start),
		    sc->score);
	if (k != NULL && k->trigger)
		scan_cand(sc, start);
}

/* The reader of form_fold_scan()'s folding.  Told of a word for most of
 * a text: it keeps little at hand across the one call it makes. */
static void
scan_word(struct text_words *tw, const char *out, size_t start, size_t end,
    uint32_t i)
{
	struct fold_scan *sc = (struct fold_scan *)tw;
	const struct form_key *k;

	if (tw->marked && end > tw->mark) {
		scan_late_word(sc, out + start, start, end, i);
		return;
	}
	/* i: the word's wordtab chain, the filter's entry. */
	if (i == 0 || (k = word_on_chain(sc->f->index, i, out + start,
	    end - start)) == NULL)
		return;
	SCORE_LANGS(k->word_langs, sc->score);
	if (k->trigger)
		scan_cand(sc, start);
}

char *
form_fold_scan(const struct form *f, const char *s, size_t len,
    size_t mark, int *score, int *trigger, size_t *outlen)
{
	struct fold_scan sc;
	char *out;
	size_t ol, mlen, i;

	if (f->index == NULL) {
		out = text_fold_mark(s, len, mark, &mlen, &ol);
		*trigger = text_scan(f, out, ol, mlen, score, 1);
		*outlen = ol;
		return out;
	}
	memset(&sc, 0, sizeof(sc));
	sc.tw.word = scan_word;
	sc.tw.filter = f->index->wordtab;	/* 0: no chain */
	sc.f = f;
	sc.score = score;
	out = text_fold_words(s, len, mark, &sc.tw, &ol);
	*trigger = 0;
	if (sc.overflow)
		*trigger = text_scan(f, out, ol, 0, NULL, 1);
	else
		for (i = 0; i < sc.ncand && !*trigger; i++)
			*trigger = trigger_at(f, out + sc.cand[i],
			    ol - sc.cand[i]);
	*outlen = ol;
	return out;
}

void
form_text_langs(const struct form *f, const char *folded, size_t len,
    int *score)
{
	(void)text_scan(f, folded, len, len, score, 0);
}

int
form_text_scan(const struct form *f, const char *folded, size_t len,
    size_t langlen, int *score)
{
	return text_scan(f, folded, len, langlen, score, 1);
}

unsigned
form_word_langs(const struct form *f, const char *w, size_t len)
{
	return word_langs(f, w, len);
}
