/*
 * digest.h -- the Secretariat's daily summary as one mail (SPEC 4).
 *
 * digest_build() reads the store (one read snapshot, nothing written) and
 * renders a complete RFC 5322 message, CRLF line ends:
 *
 *   multipart/mixed
 *     multipart/alternative
 *       text/plain; charset=UTF-8      quoted-printable
 *       text/html; charset=UTF-8       quoted-printable
 *     text/csv; charset=UTF-8          base64, an attachment named
 *                                      complete-officials-YYYY-MM-DD.csv
 *
 * What it says: counts per status, then the requests that became complete
 * since opts->since (their officials are the CSV, ready to forward), the
 * incomplete ones with what they miss and how long they have waited, those
 * in review and in quarantine with why, and the replies that failed.  The
 * HTML is one self-contained document (tables and inline styles; no
 * script, no external resource, no image) and every value in it is
 * escaped.  The reader is the Secretariat, in English: the wording is in
 * digest.c.  Nothing here sends mail or logs.
 */
#ifndef INTAKE_DIGEST_H
#define INTAKE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define DIGEST_MAX_BYTES	(64u * 1024 * 1024)	/* the whole message */
#define DIGEST_MAX_ROWS		200	/* requests listed per section */

struct digest_opts {
	int64_t			 now;
	int64_t			 since;		/* "new" means from here on */
	const char		*since_label;	/* "the last 24h", or NULL */
	const char		*from_name;	/* UTF-8 display name, or NULL */
	const char		*from_addr;	/* addr-spec; also the domain of
						 * the Message-ID */
	const char		*to_addr;	/* the Secretariat, addr-spec */
	const unsigned char	*token;		/* random bytes: Message-ID and */
	size_t			 token_len;	/* boundaries; 8 .. 32 */
};

/* What the digest holds, for the caller's own line. */
struct digest_counts {
	size_t	complete;	/* newly complete requests */
	size_t	officials;	/* their officials: rows of the CSV */
	size_t	incomplete;
	size_t	review;
	size_t	quarantined;
	size_t	failed;		/* replies */
};

/*
 * Append the whole message to msg (cap DIGEST_MAX_BYTES or less).  counts
 * may be NULL.  Returns 0, or -1 with err set (a store error, an address
 * that is not a plain ASCII addr-spec, a bad token, msg's cap reached); msg
 * may then hold part of a message.
 */
int	 digest_build(struct store *, const struct digest_opts *,
	    struct buf *msg, struct digest_counts *counts, char *err,
	    size_t errlen);

#endif
