/*
 * validate.c -- reference data (CITES Parties, free-mail domains) and the
 * field validators of SPEC 3.5 (see validate.h).
 *
 * parties_load() reads data/parties.tsv (written by data/gen-parties) into
 * an array of Parties and two hash tables: one from every folded name and
 * alias (and a few variants of each: without a leading article, without
 * dots, apostrophes and hyphens) to its Party, one from ISO alpha-2 and
 * alpha-3 codes.  A lookup folds the value and probes the tables a handful
 * of times: no scan of the list.  Two Parties answering to the same name is
 * a load error; two answering to the same derived variant leave that
 * variant unmatched.
 *
 * domainset_load() reads one domain a line into a hash set; "name.*"
 * entries go to a second set of bases matched against name.<tld> and
 * name.<sld>.<cctld>.
 *
 * Both structures are read-only once loaded and may be shared.  Nothing
 * here logs: errors go back in the caller's buffer as "path:line: reason".
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "fields.h"
#include "limits.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

#define TSV_COLUMNS_MIN	7	/* iso2 .. aliases */
#define TSV_COLUMNS	9	/* and trunk_prefix, nsn_lengths */
#define EMAIL_LOCAL_MAX	64
#define EMAIL_MAX	254
#define DOMAIN_MAX	253
#define LABEL_MAX	63
#define PHONE_MIN	7
#define PHONE_MAX	15	/* E.164 */
#define NSN_MAX		17

/* A string hash table (open addressing, linear probing). */
struct hent {
	char	*key;		/* NULL: free slot */
	int	 party;		/* index into parties->v */
	int	 flags;
};
#define HENT_EXACT	0x1	/* a name as written, not a derived variant */
#define HENT_AMBIG	0x2	/* a variant shared by two Parties */

struct htab {
	struct hent	*v;
	size_t		 size;	/* a power of two, or 0 */
	size_t		 n;
};

struct party_num {
	char		 trunk[4];	/* national prefix, "" if none */
	uint32_t	 lengths;	/* bit n: a national number may have n
					 * digits; 0 = unknown */
};

struct parties {
	struct party	*v;
	struct party_num *num;
	size_t		 n;
	size_t		 cap;
	struct htab	 names;
	struct htab	 codes;
};

struct domainset {
	struct htab	 exact;
	struct htab	 wild;	/* bases of "name.*" entries */
};

/* Leading articles ignored in country names ("the Gambia", "l'Inde");
 * skip_article() knows the letters they start with. */
static const char *const articles[] = {
	"the ", "la ", "le ", "les ", "l'", "l ", "el ", "los ", "las ", NULL
};

static void
seterr(char *err, size_t errlen, const char *path, size_t line,
    const char *reason)
{
	if (err == NULL || errlen == 0)
		return;
	if (line > 0)
		snprintf(err, errlen, "%s:%zu: %s", path, line, reason);
	else
		snprintf(err, errlen, "%s: %s", path, reason);
}

/* ---- hash table ---------------------------------------------------- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct hent *
htab_slot(struct hent *v, size_t size, const char *key)
{
	size_t i = (size_t)hash_str(key) & (size - 1);

	while (v[i].key != NULL && strcmp(v[i].key, key) != 0)
		i = (i + 1) & (size - 1);
	return &v[i];
}

static const struct hent *
htab_get(const struct htab *t, const char *key)
{
	struct hent *e;

	if (t->size == 0)
		return NULL;
	e = htab_slot(t->v, t->size, key);
	return e->key ? e : NULL;
}

static void
htab_grow(struct htab *t)
{
	struct hent *nv, *e;
	size_t nsize = t->size ? t->size * 2 : 64, i;

	nv = xcalloc(nsize, sizeof(*nv));
	for (i = 0; i < t->size; i++) {
		if (t->v[i].key == NULL)
			continue;
		e = htab_slot(nv, nsize, t->v[i].key);
		*e = t->v[i];
	}
	free(t->v);
	t->v = nv;
	t->size = nsize;
}

/* The entry for key, created (party -1, no flags) when absent. */
static struct hent *
htab_put(struct htab *t, const char *key, int *created)
{
	struct hent *e;

	if ((t->n + 1) * 2 > t->size)
		htab_grow(t);
	e = htab_slot(t->v, t->size, key);
	*created = e->key == NULL;
	if (*created) {
		e->key = xstrdup(key);
		e->party = -1;
		e->flags = 0;
		t->n++;
	}
	return e;
}

static void
htab_free(struct htab *t)
{
	size_t i;

	for (i = 0; i < t->size; i++)
		free(t->v[i].key);
	free(t->v);
	t->v = NULL;
	t->size = t->n = 0;
}

/* ---- name variants -------------------------------------------------- */

static const char *
skip_article(const char *k)
{
	size_t n;
	int i;

	/* Every article starts with 't', 'l' or 'e'. */
	if (*k != 't' && *k != 'l' && *k != 'e')
		return k;
	for (i = 0; articles[i]; i++) {
		n = strlen(articles[i]);
		if (strncmp(k, articles[i], n) == 0 && k[n] != '\0')
			return k + n;
	}
	return k;
}

/* k without dots, apostrophes and hyphens as spaces, spaces collapsed
 * ("u.s.a." -> "usa", "guinea-bissau" -> "guinea bissau"). */
static char *
compact(const char *k)
{
	/* Never longer than k: a space stands for a character dropped. */
	char *out = xmalloc(strlen(k) + 1);
	size_t o = 0;
	int space = 0;

	for (; *k; k++) {
		if (*k == '.')
			continue;
		if (*k == '\'' || *k == '-' || *k == ' ') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = *k;
	}
	out[o] = '\0';
	return out;
}

#define NVARIANTS	5

/* The folded key of a name (v[0]) and its variants; v[i] may repeat v[0].
 * Free with variants_free(). */
static void
variants(const char *folded, char *v[NVARIANTS])
{
	v[0] = xstrdup(folded);
	v[1] = xstrdup(skip_article(folded));
	v[2] = compact(folded);
	v[3] = xstrdup(skip_article(v[2]));
	v[4] = compact(v[1]);
}

static void
variants_free(char *v[NVARIANTS])
{
	int i;

	for (i = 0; i < NVARIANTS; i++)
		free(v[i]);
}

/* ---- parties ------------------------------------------------------- */

static int
is_upper_code(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

static int
is_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s), i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "8,9,10" -> bits 8, 9, 10; -1 on a bad list. */
static int
parse_lengths(const char *s, uint32_t *out)
{
	unsigned v = 0;
	int digits = 0;

	*out = 0;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s - '0');
			if (++digits > 2)
				return -1;
		} else if (*s == ',' || *s == '\0') {
			if (digits == 0) {
				if (*s == '\0' && *out == 0)
					return 0;	/* empty: unknown */
				return -1;
			}
			if (v == 0 || v > NSN_MAX)
				return -1;
			*out |= (uint32_t)1 << v;
			v = 0;
			digits = 0;
			if (*s == '\0')
				return 0;
		} else
			return -1;
	}
}

/* Record name (of Party idx) and its variants.  -1 with a reason when
 * another Party already has the same folded name. */
static int
add_name(struct parties *p, int idx, const char *name, char *why,
    size_t whylen)
{
	char *folded, *v[NVARIANTS];
	struct hent *e;
	int i, created, rc = 0;

	folded = text_fold(name);
	if (*folded == '\0') {
		snprintf(why, whylen, "name \"%s\" has no letters", name);
		free(folded);
		return -1;
	}
	variants(folded, v);
	free(folded);
	for (i = 0; i < NVARIANTS; i++) {
		if (*v[i] == '\0')
			continue;
		e = htab_put(&p->names, v[i], &created);
		if (created) {
			e->party = idx;
			e->flags = i == 0 ? HENT_EXACT : 0;
		} else if (i == 0) {
			if ((e->flags & HENT_EXACT) && e->party != idx) {
				snprintf(why, whylen, "\"%s\" also names %s",
				    name, p->v[e->party].iso2);
				rc = -1;
				break;
			}
			e->party = idx;
			e->flags = HENT_EXACT;
		} else if (!(e->flags & HENT_EXACT) && e->party != idx)
			e->flags |= HENT_AMBIG;
	}
	variants_free(v);
	return rc;
}

static int
add_code(struct parties *p, int idx, const char *code, char *why,
    size_t whylen)
{
	char low[4];
	struct hent *e;
	size_t i, n = strlen(code);
	int created;

	for (i = 0; i < n && i < 3; i++)
		low[i] = (char)tolower((unsigned char)code[i]);
	low[i] = '\0';
	e = htab_put(&p->codes, low, &created);
	if (!created) {
		snprintf(why, whylen, "code %s listed twice", code);
		return -1;
	}
	e->party = idx;
	e->flags = HENT_EXACT;
	return 0;
}

/* Split line on TABs in place; returns the number of columns (at most
 * max: the rest stays in the last one). */
static int
split_tabs(char *line, char **col, int max)
{
	int n = 0;

	col[n++] = line;
	for (; *line && n < max; line++) {
		if (*line == '\t') {
			*line = '\0';
			col[n++] = line + 1;
		}
	}
	return n;
}

static int
parties_line(struct parties *p, char *line, char *why, size_t whylen)
{
	char *col[TSV_COLUMNS + 1], *a, *next;
	struct party *pt;
	struct party_num *num;
	int ncol, idx, l, nnames = 0;
	uint32_t lengths = 0;

	ncol = split_tabs(line, col, TSV_COLUMNS + 1);
	if (ncol != TSV_COLUMNS && ncol != TSV_COLUMNS_MIN) {
		snprintf(why, whylen, "%d columns, expected %d", ncol,
		    TSV_COLUMNS);
		return -1;
	}
	if (!is_upper_code(col[0], 2)) {
		snprintf(why, whylen, "bad alpha-2 code");
		return -1;
	}
	if (*col[1] && !is_upper_code(col[1], 3)) {
		snprintf(why, whylen, "bad alpha-3 code");
		return -1;
	}
	if (*col[2] && !is_digits(col[2], 1, 4)) {
		snprintf(why, whylen, "bad calling code");
		return -1;
	}
	if (ncol == TSV_COLUMNS && ((*col[7] && !is_digits(col[7], 1, 3)) ||
	    parse_lengths(col[8], &lengths) == -1)) {
		snprintf(why, whylen, "bad trunk prefix or lengths");
		return -1;
	}
	for (l = 0; l < LANG_COUNT; l++) {
		if (*col[3 + l] == '\0' || strlen(col[3 + l]) > LIMIT_FIELD_BYTES) {
			snprintf(why, whylen, "empty or overlong name");
			return -1;
		}
	}
	if (p->n >= LIMIT_DATA_ENTRIES) {
		snprintf(why, whylen, "more than %d Parties", LIMIT_DATA_ENTRIES);
		return -1;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
		p->num = xrealloc(p->num, p->cap * sizeof(*p->num));
	}
	idx = (int)p->n;
	pt = &p->v[idx];
	num = &p->num[idx];
	memset(pt, 0, sizeof(*pt));
	memset(num, 0, sizeof(*num));
	memcpy(pt->iso2, col[0], 3);
	pt->calling_code = *col[2] ? xstrdup(col[2]) : NULL;
	for (l = 0; l < LANG_COUNT; l++)
		pt->name[l] = xstrdup(col[3 + l]);
	if (ncol == TSV_COLUMNS) {
		memcpy(num->trunk, col[7], strlen(col[7]) + 1);
		num->lengths = lengths;
	}
	p->n++;		/* owned by p from here: freed with it on error */

	if (add_code(p, idx, col[0], why, whylen) == -1 ||
	    (*col[1] && add_code(p, idx, col[1], why, whylen) == -1))
		return -1;
	for (l = 0; l < LANG_COUNT; l++)
		if (add_name(p, idx, col[3 + l], why, whylen) == -1)
			return -1;
	for (a = col[6]; *a; a = next) {
		if ((next = strstr(a, " | ")) != NULL) {
			*next = '\0';
			next += 3;
		} else
			next = a + strlen(a);
		if (*a == '\0')
			continue;
		if (++nnames > LIMIT_DATA_NAMES) {
			snprintf(why, whylen, "more than %d aliases",
			    LIMIT_DATA_NAMES);
			return -1;
		}
		if (strlen(a) > LIMIT_FIELD_BYTES) {
			snprintf(why, whylen, "overlong alias");
			return -1;
		}
		if (add_name(p, idx, a, why, whylen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Read the next line of f into line (size LIMIT_LINE_BYTES + 2), without
 * its line end.  1 = a line, 0 = end of file, -1 = line too long or
 * contains a NUL.
 */
static int
read_line(FILE *f, char *line, size_t size)
{
	size_t n;
	int c;

	if (fgets(line, (int)size, f) == NULL)
		return 0;
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	else if (!feof(f)) {
		/* Over the cap: skip the rest so the count stays right. */
		while ((c = fgetc(f)) != EOF && c != '\n')
			;
		return -1;
	}
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return 1;
}

int
parties_load(const char *path, struct parties **out, char *err,
    size_t errlen)
{
	struct parties *p;
	FILE *f;
	char line[LIMIT_LINE_BYTES + 2], why[160];
	size_t lineno = 0;
	int r;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		seterr(err, errlen, path, 0, strerror(errno));
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	while ((r = read_line(f, line, sizeof(line))) != 0) {
		lineno++;
		if (r == -1) {
			seterr(err, errlen, path, lineno, "line too long");
			goto fail;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!text_is_utf8(line, strlen(line))) {
			seterr(err, errlen, path, lineno, "not UTF-8");
			goto fail;
		}
		if (parties_line(p, line, why, sizeof(why)) == -1) {
			seterr(err, errlen, path, lineno, why);
			goto fail;
		}
	}
	if (ferror(f)) {
		seterr(err, errlen, path, lineno, strerror(errno));
		goto fail;
	}
	if (p->n == 0) {
		seterr(err, errlen, path, lineno, "no Parties");
		goto fail;
	}
	fclose(f);
	*out = p;
	return 0;
fail:
	fclose(f);
	parties_free(p);
	return -1;
}

void
parties_free(struct parties *p)
{
	size_t i;
	int l;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		for (l = 0; l < LANG_COUNT; l++)
			free(p->v[i].name[l]);
		free(p->v[i].calling_code);
	}
	free(p->v);
	free(p->num);
	htab_free(&p->names);
	htab_free(&p->codes);
	free(p);
}

size_t
parties_count(const struct parties *p)
{
	return p ? p->n : 0;
}

const struct party *
parties_by_iso2(const struct parties *p, const char *iso2)
{
	const struct hent *e;
	char low[3];

	if (p == NULL || iso2 == NULL || strlen(iso2) != 2 ||
	    !isalpha((unsigned char)iso2[0]) ||
	    !isalpha((unsigned char)iso2[1]))
		return NULL;
	low[0] = (char)tolower((unsigned char)iso2[0]);
	low[1] = (char)tolower((unsigned char)iso2[1]);
	low[2] = '\0';
	if ((e = htab_get(&p->codes, low)) == NULL)
		return NULL;
	return &p->v[e->party];
}

/* The party of one variant of a name; NULL if none or ambiguous. */
static const struct party *
find_variant(const struct parties *p, const char *v)
{
	const struct hent *e;

	e = *v ? htab_get(&p->names, v) : NULL;
	if (e == NULL || (e->flags & HENT_AMBIG))
		return NULL;
	return &p->v[e->party];
}

/*
 * Names, aliases and their variants; NULL if none or ambiguous.  The
 * variants are tried in the order variants() makes them, each made only
 * when the one before is not found (most names are found as written).
 */
static const struct party *
find_name(const struct parties *p, const char *folded)
{
	const struct party *found;
	const char *art;
	char *c, *ca;

	if ((found = find_variant(p, folded)) != NULL)
		return found;
	art = skip_article(folded);
	if ((found = find_variant(p, art)) != NULL)
		return found;
	c = compact(folded);
	if ((found = find_variant(p, c)) == NULL &&
	    (found = find_variant(p, skip_article(c))) == NULL) {
		ca = compact(art);
		found = find_variant(p, ca);
		free(ca);
	}
	free(c);
	return found;
}

/* ISO codes, only for a value of exactly two or three ASCII letters. */
static const struct party *
find_code(const struct parties *p, const char *s)
{
	const struct hent *e;
	char low[4];
	size_t n, i;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n < 2 || n > 3)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!isalpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
			return NULL;
		low[i] = (char)tolower((unsigned char)s[i]);
	}
	low[n] = '\0';
	e = htab_get(&p->codes, low);
	return e ? &p->v[e->party] : NULL;
}

static const struct party *
find_one(const struct parties *p, const char *text)
{
	const struct party *pt;
	char *folded;

	folded = text_fold(text);
	pt = *folded ? find_name(p, folded) : NULL;
	free(folded);
	if (pt == NULL)
		pt = find_code(p, text);
	return pt;
}

const struct party *
parties_find(const struct parties *p, const char *text)
{
	const struct party *pt;
	const char *paren;
	char *head;

	if (p == NULL || text == NULL || strlen(text) > LIMIT_FIELD_BYTES)
		return NULL;
	if ((pt = find_one(p, text)) != NULL)
		return pt;
	/* "China (Hong Kong SAR)", "KE (Kenya)": what precedes the
	 * parenthesis. */
	if ((paren = strchr(text, '(')) != NULL && paren > text) {
		head = xstrndup(text, (size_t)(paren - text));
		pt = find_one(p, head);
		free(head);
	}
	return pt;
}

/* ---- domain sets ----------------------------------------------------- */

/* A host name: labels of 1-63 letters, digits and hyphens (not at either
 * end of a label), at least min_labels of them, at most DOMAIN_MAX bytes. */
static int
domain_ok(const char *d, size_t len, int min_labels)
{
	size_t i, lab = 0;
	int labels = 1;

	if (len == 0 || len > DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (lab == 0 || d[i - 1] == '-')
				return 0;
			lab = 0;
			labels++;
			continue;
		}
		if (!(isalnum(c) || c == '-') || c >= 0x80)
			return 0;
		if (c == '-' && lab == 0)
			return 0;
		if (++lab > LABEL_MAX)
			return 0;
	}
	if (lab == 0 || d[len - 1] == '-')
		return 0;
	return labels >= min_labels;
}

int
domainset_load(const char *path, struct domainset **out, char *err,
    size_t errlen)
{
	struct domainset *ds;
	struct hent *e;
	FILE *f;
	char line[LIMIT_LINE_BYTES + 2], *s, *end;
	size_t lineno = 0, n, count = 0;
	int r, created, wild;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		seterr(err, errlen, path, 0, strerror(errno));
		return -1;
	}
	ds = xcalloc(1, sizeof(*ds));
	while ((r = read_line(f, line, sizeof(line))) != 0) {
		lineno++;
		if (r == -1) {
			seterr(err, errlen, path, lineno, "line too long");
			goto fail;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (end = s + strlen(s); end > s &&
		    (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		if (*s == '\0')
			continue;
		for (end = s; *end; end++)
			*end = (char)tolower((unsigned char)*end);
		n = strlen(s);
		wild = n > 2 && strcmp(s + n - 2, ".*") == 0;
		if (wild)
			s[n -= 2] = '\0';
		if (!domain_ok(s, n, wild ? 1 : 2)) {
			seterr(err, errlen, path, lineno, "not a domain name");
			goto fail;
		}
		if (++count > LIMIT_DATA_ENTRIES) {
			seterr(err, errlen, path, lineno, "too many domains");
			goto fail;
		}
		e = htab_put(wild ? &ds->wild : &ds->exact, s, &created);
		e->party = -1;
	}
	if (ferror(f)) {
		seterr(err, errlen, path, lineno, strerror(errno));
		goto fail;
	}
	fclose(f);
	*out = ds;
	return 0;
fail:
	fclose(f);
	domainset_free(ds);
	return -1;
}

void
domainset_free(struct domainset *ds)
{
	if (ds == NULL)
		return;
	htab_free(&ds->exact);
	htab_free(&ds->wild);
	free(ds);
}

/* Second-level labels under which a country code sells names. */
static int
is_sld(const char *s, size_t n)
{
	static const char *const slds[] = {
		"co", "com", "net", "org", "ne", "or", NULL
	};
	int i;

	for (i = 0; slds[i]; i++)
		if (strlen(slds[i]) == n && memcmp(s, slds[i], n) == 0)
			return 1;
	return 0;
}

/* base = d[from, to) in ds->wild? */
static int
wild_has(const struct domainset *ds, const char *d, size_t from, size_t to)
{
	char tmp[DOMAIN_MAX + 1];

	if (to <= from)
		return 0;
	memcpy(tmp, d + from, to - from);
	tmp[to - from] = '\0';
	return htab_get(&ds->wild, tmp) != NULL;
}

int
domainset_has(const struct domainset *ds, const char *domain)
{
	char d[DOMAIN_MAX + 1];
	size_t n, i, tld, sld;

	if (ds == NULL || domain == NULL)
		return 0;
	n = strlen(domain);
	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)domain[i]);
	d[n] = '\0';
	if (!domain_ok(d, n, 2))
		return 0;

	/* Start of the last label (tld) and of the one before (sld). */
	tld = n;
	while (tld > 0 && d[tld - 1] != '.')
		tld--;
	sld = tld - 1;
	while (sld > 0 && d[sld - 1] != '.')
		sld--;

	/* The domain and each parent, down to two labels. */
	for (i = 0; i <= sld; i++) {
		if (i > 0 && d[i - 1] != '.')
			continue;
		if (htab_get(&ds->exact, d + i) != NULL)
			return 1;
		/* name.<tld> */
		if (wild_has(ds, d, i, tld - 1))
			return 1;
		/* name.<sld>.<cctld> */
		if (i + 1 < sld && n - tld == 2 &&
		    is_sld(d + sld, tld - 1 - sld) &&
		    wild_has(ds, d, i, sld - 1))
			return 1;
	}
	return 0;
}

/* ---- validators ---------------------------------------------------- */

/* The squeezed value, or NULL with *problem set (empty, too long). */
static char *
squeezed(const char *raw, enum field_problem *problem)
{
	char *s;

	if (raw == NULL) {
		*problem = PROBLEM_MISSING;
		return NULL;
	}
	s = text_squeeze(raw);
	if (*s == '\0') {
		*problem = PROBLEM_MISSING;
		free(s);
		return NULL;
	}
	if (strlen(s) > LIMIT_FIELD_BYTES) {
		*problem = PROBLEM_TOO_LONG;
		free(s);
		return NULL;
	}
	*problem = PROBLEM_NONE;
	return s;
}

/* country: a CITES Party by any of its names or codes -> its alpha-2. */
static enum field_problem
validate_country(const struct validate_ctx *ctx, const char *raw, char **norm)
{
	enum field_problem pr;
	const struct party *pt;
	char *s;

	*norm = NULL;
	if ((s = squeezed(raw, &pr)) == NULL)
		return pr;
	pt = ctx ? parties_find(ctx->parties, s) : NULL;
	free(s);
	if (pt == NULL)
		return PROBLEM_COUNTRY;
	*norm = xstrdup(pt->iso2);
	return PROBLEM_NONE;
}

static int
is_atext(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Strip one layer of wrapping from s[*b, *e): "mailto:", <...>, quotes,
 * a trailing '.', ',' or ';', white space.  1 if something went. */
static int
email_unwrap(const char *s, size_t *b, size_t *e)
{
	static const char *const quotes[][2] = {
		{ "\"", "\"" }, { "'", "'" },
		{ "\xe2\x80\x9c", "\xe2\x80\x9d" },	/* U+201C U+201D */
		{ "\xe2\x80\x98", "\xe2\x80\x99" },	/* U+2018 U+2019 */
		{ "\xc2\xab", "\xc2\xbb" },		/* << >> */
		{ "<", ">" }, { "(", ")" }, { "[", "]" },
		{ NULL, NULL }
	};
	size_t lo, lc;
	int i;

	if (*e > *b && (s[*b] == ' ' || s[*e - 1] == ' ')) {
		while (*e > *b && s[*b] == ' ')
			(*b)++;
		while (*e > *b && s[*e - 1] == ' ')
			(*e)--;
		return 1;
	}
	if (*e - *b > 7 && strncasecmp(s + *b, "mailto:", 7) == 0) {
		*b += 7;
		return 1;
	}
	if (*e > *b && strchr(".,;", s[*e - 1]) != NULL) {
		(*e)--;
		return 1;
	}
	for (i = 0; quotes[i][0]; i++) {
		lo = strlen(quotes[i][0]);
		lc = strlen(quotes[i][1]);
		if (*e - *b >= lo + lc &&
		    memcmp(s + *b, quotes[i][0], lo) == 0 &&
		    memcmp(s + *e - lc, quotes[i][1], lc) == 0) {
			*b += lo;
			*e -= lc;
			return 1;
		}
	}
	return 0;
}

/*
 * email: one address, strictly.  Unwrapped from "mailto:", "Name <addr>",
 * <>, quotes and a trailing '.'; then local@domain with an unquoted local
 * part of 1-64 atext characters and dots (no dot first, last or doubled),
 * a domain of letter/digit/hyphen labels, at least two, the last
 * alphabetic (or an "xn--" label), 254 bytes in all.  Non-ASCII addresses
 * (IDN domains, EAI local parts) are refused for now: the SMTP path does
 * not send to them.  Obfuscated forms ("name [at] domain [dot] org") are
 * refused too.  The normal form keeps the local part as written and lower-
 * cases the domain.
 */
static enum field_problem
validate_email(const struct validate_ctx *ctx, const char *raw, char **norm)
{
	enum field_problem pr;
	const char *at, *lt, *tld;
	char *s, *out;
	size_t b, e, i, llen, dlen;
	int rounds;

	(void)ctx;
	*norm = NULL;
	if ((s = squeezed(raw, &pr)) == NULL)
		return pr;
	b = 0;
	e = strlen(s);
	/* "Jane Doe <jane@example.org>" */
	if (e > 0 && s[e - 1] == '>' && (lt = strrchr(s, '<')) != NULL)
		b = (size_t)(lt - s);
	for (rounds = 0; rounds < 16 && email_unwrap(s, &b, &e); rounds++)
		;
	if (e <= b)
		goto bad;
	for (i = b; i < e; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == ' ')
			goto bad;
	at = memchr(s + b, '@', e - b);
	if (at == NULL || memchr(at + 1, '@', (size_t)(s + e - at - 1)))
		goto bad;
	llen = (size_t)(at - (s + b));
	dlen = (size_t)(s + e - at - 1);
	if (llen == 0 || llen > EMAIL_LOCAL_MAX || llen + 1 + dlen > EMAIL_MAX)
		goto bad;
	for (i = b; i < b + llen; i++) {
		if (s[i] == '.') {
			if (i == b || i == b + llen - 1 || s[i + 1] == '.')
				goto bad;
		} else if (!is_atext((unsigned char)s[i]))
			goto bad;
	}
	if (!domain_ok(at + 1, dlen, 2))
		goto bad;
	for (tld = s + e; tld > at + 1 && tld[-1] != '.'; tld--)
		;
	if (s + e - tld >= 5 && strncasecmp(tld, "xn--", 4) == 0)
		;	/* an IDN top-level domain in ASCII form */
	else {
		if (s + e - tld < 2)
			goto bad;
		for (; tld < s + e; tld++)
			if (!isalpha((unsigned char)*tld))
				goto bad;
	}
	out = xstrndup(s + b, e - b);
	for (i = llen + 1; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	free(s);
	*norm = out;
	return PROBLEM_NONE;
bad:
	free(s);
	return PROBLEM_EMAIL;
}

/* ---- phone ----------------------------------------------------------- */

/* Words that may precede a number ("Tel.: +254 ..."), folded. */
static const char *const phone_labels[] = {
	"tel", "telephone", "telefono", "phone", "ph", "mobile", "mob",
	"cell", "cel", "celular", "movil", "portable", "gsm", "office",
	"bureau", "oficina", "fixe", "fijo", "direct", "directo", "ligne",
	"t", "m", "n", "no", "nr", "num", "numero", "number", NULL
};

/* Words after which the rest is an extension ("ext. 123", "poste 12") or
 * another number ("Fax: ..."). */
static const char *const phone_ext[] = {
	"ext", "extn", "extension", "x", "poste", "p", "anexo", "interno",
	"int", "ramal", "fax", "telefax", "whatsapp", NULL
};

/* Words that join a second number ("... or 0722 ..."). */
static const char *const phone_join[] = {
	"or", "ou", "o", "and", "et", "y", NULL
};

static int
word_in(const char *w, size_t n, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == n && memcmp(w, list[i], n) == 0)
			return 1;
	return 0;
}

static int
lengths_ok(const struct party_num *num, size_t n)
{
	if (num == NULL || num->lengths == 0)
		return n >= 6;
	return n <= NSN_MAX && (num->lengths & ((uint32_t)1 << n)) != 0;
}

/*
 * Scan s for the digits of one number: labels before it skipped, an
 * extension or a second number after it cut off, "(0)" noted.  Returns -1
 * when s holds letters or signs that are none of these.  dig gets at most
 * size - 1 digits; *ndig counts them all.
 */
static int
phone_digits(const char *s, char *dig, size_t size, size_t *ndig, int *plus,
    long *zero_at)
{
	char *f, *p, *cut;
	size_t n = 0, wl;
	const char *w;

	*plus = 0;
	*zero_at = -1;
	/* '#' and ',' ';' " / " end the number: an extension or another. */
	f = xstrdup(s);
	if ((cut = strpbrk(f, "#,;")) != NULL)
		*cut = '\0';
	if ((cut = strstr(f, " / ")) != NULL)
		*cut = '\0';
	/* "(0)" after a prefix: folding turns parentheses into spaces. */
	for (p = f; *p; p++) {
		if (*p >= '0' && *p <= '9')
			n++;
		else if (p[0] == '(' && p[1] == '0' && p[2] == ')' &&
		    *zero_at < 0) {
			*zero_at = (long)n;
		}
	}
	p = text_fold(f);
	free(f);
	f = p;

	n = 0;
	for (p = f; *p; ) {
		unsigned char c = (unsigned char)*p;

		if (c >= '0' && c <= '9') {
			if (n + 1 < size)
				dig[n] = (char)c;
			n++;
			p++;
		} else if (c == '+') {
			if (n > 0 || *plus)
				goto bad;
			*plus = 1;
			p++;
		} else if (c == ' ' || c == '.' || c == '-') {
			p++;
		} else if (isalpha(c) || c >= 0x80) {
			w = p;
			while (*p && (isalpha((unsigned char)*p) ||
			    (unsigned char)*p >= 0x80))
				p++;
			wl = (size_t)(p - w);
			if (n == 0 && !*plus && word_in(w, wl, phone_labels))
				continue;
			/* An extension, or a label saying what the number
			 * was ("(office)") or starting the next one. */
			if (n > 0 && (word_in(w, wl, phone_ext) ||
			    word_in(w, wl, phone_labels)))
				break;
			if (n >= PHONE_MIN && word_in(w, wl, phone_join))
				break;
			goto bad;
		} else
			goto bad;	/* '@', apostrophe */
	}
	free(f);
	dig[n < size ? n : size - 1] = '\0';
	*ndig = n;
	return 0;
bad:
	free(f);
	return -1;
}

/*
 * "+", code[0..cn) and rest: a telephone number written out.  Empty when
 * longer than PHONE_MAX + 2 bytes, the cap a number was written under.
 */
static char *
phone_plus(const char *code, size_t cn, const char *rest)
{
	size_t rn = strlen(rest);
	char *out;

	if (1 + cn + rn > PHONE_MAX + 2)
		return xstrdup("");
	out = xmalloc(1 + cn + rn + 1);
	out[0] = '+';
	memcpy(out + 1, code, cn);
	memcpy(out + 1 + cn, rest, rn + 1);
	return out;
}

/*
 * phone: at least 7 and at most 15 digits, normalised to +<digits> when
 * that is certain.  The rule:
 *  - labels before the number ("Tel.:") are skipped; an extension ("ext.
 *    123", "x12", "poste 12", "#12") and a second number (after ',', ';',
 *    " / ", "or") are cut off; any other letter makes the value invalid;
 *  - "+" or "00" in front: international, "+<digits>"; a "(0)" after the
 *    country code ("+44 (0)20 ...") is dropped, and so is a trunk "0" the
 *    writer kept after the official's own calling code when the national
 *    number is then of a possible length;
 *  - otherwise, with the official's country known (ctx->country_iso2) and
 *    its numbering from parties.tsv: a number starting with the trunk
 *    prefix ("0" in most countries; none in Italy, San Marino, the Holy
 *    See, Côte d'Ivoire, Spain...) followed by a national number of a
 *    possible length becomes "+<cc><national>"; a number starting with the
 *    calling code followed by a national number of a possible length
 *    becomes "+<digits>" (without length data: at least 6 digits);
 *  - otherwise the value is valid but kept as written, digits only.
 */
static enum field_problem
validate_phone(const struct validate_ctx *ctx, const char *raw, char **norm)
{
	enum field_problem pr;
	const struct party *pt = NULL;
	const struct party_num *num = NULL;
	char dig[PHONE_MAX + 8], *s, *d;
	size_t n, cl = 0, tl = 0;
	long zero_at;
	int plus, intl, cc_first, trunk_first;

	*norm = NULL;
	if ((s = squeezed(raw, &pr)) == NULL)
		return pr;
	if (phone_digits(s, dig, sizeof(dig), &n, &plus, &zero_at) == -1) {
		free(s);
		return PROBLEM_PHONE;
	}
	free(s);
	if (n >= sizeof(dig))
		return PROBLEM_PHONE;		/* far too long */
	d = dig;
	intl = plus;
	if (!intl && n > 2 && d[0] == '0' && d[1] == '0') {
		intl = 1;
		d += 2;
		n -= 2;
		zero_at -= 2;
	}
	if (zero_at > 0 && (size_t)zero_at < n && d[zero_at] == '0') {
		memmove(d + zero_at, d + zero_at + 1, n - (size_t)zero_at);
		n--;
	}
	if (n < PHONE_MIN || n > PHONE_MAX)
		return PROBLEM_PHONE;

	if (ctx && ctx->parties && ctx->country_iso2)
		pt = parties_by_iso2(ctx->parties, ctx->country_iso2);
	if (pt && pt->calling_code)
		num = &ctx->parties->num[pt - ctx->parties->v];

	cc_first = trunk_first = 0;
	if (num) {
		cl = strlen(pt->calling_code);
		tl = strlen(num->trunk);
		cc_first = n > cl && strncmp(d, pt->calling_code, cl) == 0;
		trunk_first = tl > 0 && n > tl &&
		    strncmp(d, num->trunk, tl) == 0;
	}

	if (intl && cc_first && tl > 0 && num->lengths != 0 &&
	    strncmp(d + cl, num->trunk, tl) == 0 &&
	    !lengths_ok(num, n - cl) && lengths_ok(num, n - cl - tl)) {
		/* "+44 020 ...": the trunk 0 kept after the code. */
		*norm = phone_plus(d, cl, d + cl + tl);
	} else if (intl)
		*norm = phone_plus("", 0, d);
	else if (trunk_first && lengths_ok(num, n - tl))
		*norm = phone_plus(pt->calling_code, cl, d + tl);
	else if (cc_first && lengths_ok(num, n - cl))
		*norm = phone_plus("", 0, d);
	else
		*norm = xstrdup(d);
	return PROBLEM_NONE;
}

/* ---- text ------------------------------------------------------------ */

/* Values that stand for "nothing", folded and compacted. */
static const char *const placeholders[] = {
	"n a", "na", "n d", "nd", "s o", "nc", "tbd", "tbc", "tba", "none",
	"nil", "null", "neant", "aucun", "aucune", "ninguno", "ninguna",
	"nada", "pending", "a completer", "a preciser", "a confirmer",
	"a definir", "por definir", "por confirmar", "a completar",
	"not applicable", "non applicable", "no aplica", "no aplicable",
	"sans objet", "unknown", "inconnu", "inconnue", "desconocido",
	"to be confirmed", "to be determined", "idem", "ditto", "same",
	"same as above", "see above", "voir ci dessus", "ver arriba",
	"test", NULL
};

static int
has_letter(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;

	while (*p) {
		n = utf8proc_iterate(p, -1, &c);
		if (n <= 0)
			return 0;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
			return 1;
		default:
			break;
		}
		p += n;
	}
	return 0;
}

/*
 * The first byte is_placeholder() would compare, when s starts with
 * ASCII: text_fold() makes an ASCII letter lower case, keeps a digit,
 * '@', '+', '.', '-' and '\'' and makes any other byte a space, and
 * compact() drops '.', '-', '\'' and spaces before the first byte it
 * keeps.  0 when a byte that is not ASCII (or none) comes first.
 */
static int
placeholder_lead(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0' && *p < 0x80; p++) {
		if (*p >= 'A' && *p <= 'Z')
			return *p + ('a' - 'A');
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '@' || *p == '+')
			return *p;
	}
	return 0;
}

/* The first bytes of the placeholders, and the length of the longest. */
static unsigned char	placeholder_first[128];
static size_t		placeholder_max;

static void
placeholders_init(void)
{
	size_t n;
	int i;

	for (i = 0; placeholders[i]; i++) {
		placeholder_first[(unsigned char)placeholders[i][0] & 0x7f] = 1;
		if ((n = strlen(placeholders[i])) > placeholder_max)
			placeholder_max = n;
	}
}

/*
 * Whether s is ASCII and its folding is longer than any placeholder and
 * is not all x: it keeps the letters, digits, '@' and '+' of s (see
 * placeholder_lead()), more than placeholder_max of them.
 */
static int
long_ascii(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t kept = 0;
	int other = 0;

	for (; *p != '\0'; p++) {
		if (*p >= 0x80)
			return 0;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '@' || *p == '+') {
			kept++;
			other |= *p != 'x' && *p != 'X';
		}
	}
	return kept > placeholder_max && other;
}

static int
is_placeholder(const char *s)
{
	char *f, *c;
	const char *p;
	int i, hit = 0, lead;

	if (placeholder_max == 0)
		placeholders_init();
	/* Most values start with another letter than all placeholders
	 * and "x", or are longer: no need to fold them. */
	if ((lead = placeholder_lead(s)) != 0 && lead != 'x' &&
	    !placeholder_first[lead])
		return 0;
	if (long_ascii(s))
		return 0;
	f = text_fold(s);
	c = compact(f);

	/* Most values start with another letter than all but a few. */
	for (i = 0; placeholders[i] && !hit; i++)
		hit = c[0] == placeholders[i][0] &&
		    strcmp(c, placeholders[i]) == 0;
	if (!hit && *c) {
		/* "x", "xx", "XXXX" */
		for (p = c; *p == 'x'; p++)
			;
		hit = *p == '\0';
	}
	free(f);
	free(c);
	return hit;
}

/* text: names, organisation, function.  Squeezed; refused when it has no
 * letter or is a placeholder ("n/a", "-", "tbd", "néant"...). */
static enum field_problem
validate_text(const struct validate_ctx *ctx, const char *raw, char **norm)
{
	enum field_problem pr;
	char *s;

	(void)ctx;
	*norm = NULL;
	if ((s = squeezed(raw, &pr)) == NULL)
		return pr;
	if (!has_letter(s) || is_placeholder(s)) {
		free(s);
		return PROBLEM_TEXT;
	}
	*norm = s;
	return PROBLEM_NONE;
}

static const struct validator validators[] = {
	{ "country",	validate_country },
	{ "email",	validate_email },
	{ "phone",	validate_phone },
	{ "text",	validate_text },
	{ NULL,		NULL }
};

const struct validator *
validator_find(const char *name)
{
	int i;

	if (name == NULL)
		return NULL;
	for (i = 0; validators[i].name; i++)
		if (strcmp(validators[i].name, name) == 0)
			return &validators[i];
	return NULL;
}

int
validate_is_freemail(const struct validate_ctx *ctx, const char *email)
{
	const char *at;

	if (ctx == NULL || ctx->freemail == NULL || email == NULL)
		return 0;
	if ((at = strrchr(email, '@')) == NULL)
		return 0;
	return domainset_has(ctx->freemail, at + 1);
}
