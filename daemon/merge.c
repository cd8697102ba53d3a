/*
 * merge.c -- fold a follow-up's officials into its request (see merge.h).
 *
 * Matching runs in passes, each pairing only officials left unpaired by
 * the ones before, from the strongest evidence (the same e-mail address)
 * to the weakest (the only official still lacking fields).  Identifiers
 * are compared folded (text_fold), so "Dupré" matches "DUPRE".
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "fields.h"
#include "limits.h"
#include "merge.h"
#include "text.h"
#include "xmalloc.h"

/* Folded identifiers of one official; NULL when not given. */
struct ident {
	char	*email;		/* only a valid address identifies */
	char	*last;
	char	*first;
};

static int
given(const struct field_value *v)
{
	return v->problem != PROBLEM_MISSING &&
	    ((v->raw != NULL && v->raw[0] != '\0') ||
	    (v->value != NULL && v->value[0] != '\0'));
}

static size_t
count_given(const struct official *o)
{
	size_t n = 0;
	int f;

	for (f = 0; f < FIELD_COUNT; f++)
		n += given(&o->f[f]) ? 1 : 0;
	return n;
}

static int
lacks_fields(const struct official *o)
{
	int f;

	for (f = 0; f < FIELD_COUNT; f++)
		if (o->f[f].problem != PROBLEM_NONE)
			return 1;
	return 0;
}

/* Folded value (normalised when valid, else as written); NULL if empty. */
static char *
fold_field(const struct field_value *v)
{
	const char *s;
	char *folded;

	if (!given(v))
		return NULL;
	s = v->problem == PROBLEM_NONE && v->value ? v->value : v->raw;
	if (s == NULL)
		s = v->value;
	folded = text_fold(s);
	if (folded[0] == '\0') {
		free(folded);
		return NULL;
	}
	return folded;
}

static void
ident_make(const struct official *o, struct ident *id)
{
	id->email = o->f[FIELD_EMAIL].problem == PROBLEM_NONE ?
	    fold_field(&o->f[FIELD_EMAIL]) : NULL;
	id->last = fold_field(&o->f[FIELD_LAST_NAME]);
	id->first = fold_field(&o->f[FIELD_FIRST_NAME]);
}

static void
ident_clear(struct ident *id)
{
	free(id->email);
	free(id->last);
	free(id->first);
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
differ(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) != 0;
}

/* Two officials that cannot be one person: a different address or a
 * different last name. */
static int
conflict(const struct ident *a, const struct ident *b)
{
	return differ(a->email, b->email) || differ(a->last, b->last);
}

/* Someone already there by address or last name, yet not matched: too
 * ambiguous to be a new official. */
static int
known(const struct ident *g, const struct ident *h, size_t nh)
{
	size_t j;

	for (j = 0; j < nh; j++)
		if (same(g->email, h[j].email) || same(g->last, h[j].last))
			return 1;
	return 0;
}

static void
fv_copy(struct field_value *dst, const struct field_value *src)
{
	free(dst->raw);
	free(dst->value);
	dst->raw = src->raw ? xstrdup(src->raw) : NULL;
	dst->value = src->value ? xstrdup(src->value) : NULL;
	dst->problem = src->problem;
}

static int
fv_equal(const struct field_value *a, const struct field_value *b)
{
	return a->problem == b->problem &&
	    (a->raw == b->raw || same(a->raw, b->raw)) &&
	    (a->value == b->value || same(a->value, b->value));
}

/* The per-field rule; 1 when h changed. */
static int
merge_one(struct official *h, const struct official *g)
{
	const struct field_value *gv;
	struct field_value *hv;
	int f, changed = 0;

	for (f = 0; f < FIELD_COUNT; f++) {
		gv = &g->f[f];
		hv = &h->f[f];
		if (!given(gv))
			continue;
		if (gv->problem != PROBLEM_NONE && hv->problem == PROBLEM_NONE)
			continue;
		if (fv_equal(hv, gv))
			continue;
		fv_copy(hv, gv);
		changed = 1;
	}
	return changed;
}

static void
pair(ssize_t *match, int *taken, size_t g, size_t h)
{
	match[g] = (ssize_t)h;
	taken[h] = 1;
}

int
merge_officials(const struct form *form, struct official **have,
    size_t *nhave, const struct official *given_o, size_t ngiven)
{
	struct ident *hid = NULL, *gid = NULL;
	struct official *o;
	ssize_t *match = NULL;
	int *taken = NULL, *dirty = NULL;
	size_t nh, i, j, cand, ncand, lacking, nlacking, napp;
	int f;

	if (have == NULL || nhave == NULL || (ngiven > 0 && given_o == NULL) ||
	    (*nhave > 0 && *have == NULL))
		return -1;
	if (ngiven == 0)
		return 0;
	nh = *nhave;

	hid = xcalloc(nh ? nh : 1, sizeof *hid);
	gid = xcalloc(ngiven, sizeof *gid);
	match = xcalloc(ngiven, sizeof *match);
	taken = xcalloc(nh ? nh : 1, sizeof *taken);
	for (i = 0; i < nh; i++)
		ident_make(&(*have)[i], &hid[i]);
	for (i = 0; i < ngiven; i++) {
		ident_make(&given_o[i], &gid[i]);
		match[i] = -1;
	}

	/* The same e-mail address. */
	for (i = 0; i < ngiven; i++)
		for (j = 0; j < nh && gid[i].email; j++)
			if (!taken[j] && same(gid[i].email, hid[j].email)) {
				pair(match, taken, i, j);
				break;
			}

	/* The same last and first name. */
	for (i = 0; i < ngiven; i++)
		for (j = 0; j < nh && match[i] < 0; j++)
			if (!taken[j] && same(gid[i].last, hid[j].last) &&
			    same(gid[i].first, hid[j].first))
				pair(match, taken, i, j);

	/* The same last name, a first name missing on one side, one fit. */
	for (i = 0; i < ngiven; i++) {
		if (match[i] >= 0 || gid[i].last == NULL)
			continue;
		ncand = 0;
		cand = 0;
		for (j = 0; j < nh; j++)
			if (!taken[j] && same(gid[i].last, hid[j].last) &&
			    (gid[i].first == NULL || hid[j].first == NULL)) {
				cand = j;
				ncand++;
			}
		if (ncand == 1)
			pair(match, taken, i, cand);
	}

	/* By position when both sides hold as many officials. */
	if (ngiven == nh)
		for (i = 0; i < ngiven; i++)
			if (match[i] < 0 && !taken[i] &&
			    !conflict(&gid[i], &hid[i]))
				pair(match, taken, i, i);

	/* The one official that still lacks fields. */
	nlacking = 0;
	lacking = 0;
	for (j = 0; j < nh; j++)
		if (!taken[j] && lacks_fields(&(*have)[j])) {
			lacking = j;
			nlacking++;
		}
	if (nlacking == 1)
		for (i = 0; i < ngiven; i++)
			if (match[i] < 0 && !conflict(&gid[i], &hid[lacking])) {
				pair(match, taken, i, lacking);
				break;
			}

	/* Merge the pairs; append the rest that say enough and are new. */
	napp = 0;
	for (i = 0; i < ngiven; i++) {
		if (match[i] >= 0)
			continue;
		if (count_given(&given_o[i]) >= 2 && !known(&gid[i], hid, nh) &&
		    nh + napp < LIMIT_OFFICIALS)
			napp++;
		else
			match[i] = -2;	/* dropped */
	}
	dirty = xcalloc(nh + napp ? nh + napp : 1, sizeof *dirty);
	for (i = 0; i < ngiven; i++)
		if (match[i] >= 0)
			dirty[match[i]] |= merge_one(&(*have)[match[i]],
			    &given_o[i]);
	if (napp > 0) {
		*have = xrealloc(*have, (nh + napp) * sizeof **have);
		for (i = 0, j = nh; i < ngiven && j < nh + napp; i++) {
			if (match[i] != -1)
				continue;
			o = &(*have)[j];
			memset(o, 0, sizeof *o);
			for (f = 0; f < FIELD_COUNT; f++) {
				if (given(&given_o[i].f[f]))
					fv_copy(&o->f[f], &given_o[i].f[f]);
				else
					o->f[f].problem = PROBLEM_MISSING;
			}
			dirty[j++] = 1;
		}
		*nhave = nh + napp;
	}

	if (form != NULL)
		for (j = 0; j < *nhave; j++)
			if (dirty[j])
				extract_validate(form, &(*have)[j]);

	for (i = 0; i < nh; i++)
		ident_clear(&hid[i]);
	for (i = 0; i < ngiven; i++)
		ident_clear(&gid[i]);
	free(hid);
	free(gid);
	free(match);
	free(taken);
	free(dirty);
	return 0;
}
