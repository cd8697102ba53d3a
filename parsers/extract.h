/*
 * extract.h -- find every official named in a text and validate their
 * fields (SPEC 3.4, 3.5).
 *
 * The extractor understands the layouts of a table of layout functions:
 * "Label: value" lines (and numbered or repeated blocks for several
 * officials), vertical "Label" / "value" pairs, tables with a header row
 * (tab, pipe, two or more spaces, comma or semicolon), transposed tables
 * (labels in the first column, one official per column).  HTML tables reach
 * it already flattened to tab-separated lines (html.h).  Labels are matched
 * on folded text (text_fold) against the form; regular expressions are
 * PCRE2 with UTF, UCP, JIT and the limits of limits.h.
 */
#ifndef INTAKE_EXTRACT_H
#define INTAKE_EXTRACT_H

#include <stddef.h>

#include "fields.h"
#include "form.h"

struct field_value {
	char			*raw;	/* as written, squeezed; NULL = not given */
	char			*value;	/* normalised; NULL unless valid */
	enum field_problem	 problem;
};

struct official {
	struct field_value	 f[FIELD_COUNT];
};

struct extraction {
	struct official	*officials;
	size_t		 nofficials;
	unsigned	 labels_seen;	/* bit per enum field whose label was seen */
	int		 lang_score[LANG_COUNT];
	int		 truncated;	/* LIMIT_OFFICIALS or LIMIT_LINES reached */
};

/* Regular expressions, compiled once per process; extract_init() is
 * idempotent and returns -1 only if a built-in pattern fails to compile. */
int	 extract_init(void);
void	 extract_cleanup(void);

/*
 * Extract from one text (UTF-8, LF line ends), appending to ex.  csv = 1 for
 * a text/csv part (comma/semicolon rows).  Fields are validated
 * (extract_validate) before returning.  Returns the number of officials
 * added.
 */
size_t	 extract_text(const struct form *, const char *text, int csv,
	    struct extraction *ex);

/*
 * extract_text() of text the caller knows to be valid UTF-8 up to its NUL
 * (as the MIME reader makes a part's text): it is not checked again.
 * Text that is not would reach PCRE2 unchecked: never claim it of text
 * that was not made valid.
 */
size_t	 extract_text_utf8(const struct form *, const char *text, int csv,
	    struct extraction *ex);

/* (Re)compute value/problem of each field of o from its raw value. */
void	 extract_validate(const struct form *, struct official *o);

/* Score the form's hint words of each language found in a text into
 * ex->lang_score.  (Labels of one language vote in extract_text().) */
void	 extract_language(const struct form *, const char *text,
	    struct extraction *ex);

void	 official_free(struct official *);	/* frees the fields, not o */
void	 extraction_free(struct extraction *);	/* frees contents, not ex */

#endif
