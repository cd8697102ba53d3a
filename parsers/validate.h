/*
 * validate.h -- reference data (CITES Parties, free-mail domains) and the
 * field validators of SPEC 3.5.
 *
 * Validators form a table of {name, function}; the form file names one per
 * field.  A validator reads the raw value (already squeezed UTF-8) and
 * returns PROBLEM_NONE with a malloc'd normalised value in *norm (caller
 * frees), or a problem and *norm = NULL.
 */
#ifndef INTAKE_VALIDATE_H
#define INTAKE_VALIDATE_H

#include <stddef.h>

#include "fields.h"

struct party {
	char	 iso2[3];		/* "KE" */
	char	*name[LANG_COUNT];	/* official short names, en/fr/es */
	char	*calling_code;		/* "254", or NULL */
};

struct parties;		/* CITES Parties with their names and aliases */
struct domainset;	/* a set of lower-case domain names */

/* data/parties.tsv.  err gets "path:line: reason". */
int	 parties_load(const char *path, struct parties **, char *err,
	    size_t errlen);
void	 parties_free(struct parties *);
/* By EN/FR/ES name, alias, ISO alpha-2 or alpha-3, folded (text_fold);
 * NULL when not a Party.  Borrowed. */
const struct party *parties_find(const struct parties *, const char *text);
const struct party *parties_by_iso2(const struct parties *, const char *iso2);
size_t	 parties_count(const struct parties *);

/* One domain a line, '#' comments.  "yahoo.*" matches yahoo.fr, yahoo.co.uk. */
int	 domainset_load(const char *path, struct domainset **, char *err,
	    size_t errlen);
void	 domainset_free(struct domainset *);
/* 1 when domain (or a parent of it) is in the set. */
int	 domainset_has(const struct domainset *, const char *domain);

struct validate_ctx {
	const struct parties	*parties;
	const struct domainset	*freemail;
	const char		*country_iso2;	/* the official's, or NULL */
};

typedef enum field_problem validator_fn(const struct validate_ctx *,
	    const char *raw, char **norm);

struct validator {
	const char	*name;		/* "country", "email", "phone", "text" */
	validator_fn	*fn;
};

/* NULL when no validator has that name. */
const struct validator *validator_find(const char *name);

/* 1 when the (normalised) address is at a free-mail domain. */
int	 validate_is_freemail(const struct validate_ctx *, const char *email);

#endif
