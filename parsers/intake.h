/*
 * intake.h -- from one raw message to a decision: MIME, extraction,
 * validation, classification (SPEC 3.2, 3.3) and status (SPEC 3.6).
 *
 * intake_parse() never fails: a message it cannot read becomes class
 * quarantined with a reason.  It touches no store and no network; the
 * daemon adds what needs them (threading, daily limits) afterwards.
 * Results are owned by the caller: intake_result_free().
 */
#ifndef INTAKE_INTAKE_H
#define INTAKE_INTAKE_H

#include <stddef.h>

#include "buf.h"
#include "extract.h"
#include "fields.h"
#include "form.h"

enum intake_class {
	CLASS_REQUEST,
	CLASS_OTHER,
	CLASS_IGNORED,
	CLASS_QUARANTINED,
	CLASS_COUNT
};

enum intake_status {
	STATUS_NONE,		/* not a request */
	STATUS_COMPLETE,
	STATUS_INCOMPLETE,
	STATUS_REVIEW,
	STATUS_QUARANTINED,
	STATUS_COUNT
};

/* Flags, one bit each; flag_key() names them as in JSON. */
#define FLAG_NON_OFFICIAL_EMAIL	0x0001u	/* an official's e-mail is free-mail */
#define FLAG_REPLY_SUPPRESSED	0x0002u	/* decided, but no reply (see reason) */
#define FLAG_OVERSIZE		0x0004u	/* over max_message_size: header only */
#define FLAG_ATTACHMENT_ONLY	0x0008u	/* data only in non-text attachments */
#define FLAG_FOLLOW_UP		0x0010u	/* answers one of our replies */
#define FLAG_TRUNCATED		0x0020u	/* a cap of limits.h cut something */
#define FLAG_UNAUTHENTICATED	0x0040u	/* failed DMARC/SPF/DKIM (trusted) */
#define FLAG_DOMAIN_MISMATCH	0x0080u	/* official's domain vs sender/Party */
#define FLAG_COUNT_BITS		8

struct intake_opts {
	const char	*own_address;	/* our [smtp] from address, or NULL */
	int		 header_only;	/* raw holds only the header (oversize) */
	/* Authentication-Results are read only from this authserv-id (our
	 * own MTA's); NULL: not read, FLAG_UNAUTHENTICATED never set. */
	const char	*trusted_authserv_id;
};

struct intake_result {
	enum intake_class	 class;
	enum intake_status	 status;
	char			*reason;	/* why this class/status, or NULL */
	enum lang		 lang;
	unsigned		 flags;
	char			*suppress_reason; /* with FLAG_REPLY_SUPPRESSED */

	char			*message_id;	/* without <>, or NULL */
	char			*in_reply_to;	/* first id, or NULL */
	char			**references;
	size_t			 nreferences;
	char			*subject;	/* decoded UTF-8, or NULL */
	char			*from_addr;	/* lower-cased domain, or NULL */
	char			*from_name;
	char			*reply_to;	/* RFC 3834 answer address, or NULL */
	char			*date;		/* Date: as ISO 8601 UTC, or NULL */
	char			 reference[16];	/* "REQ-000042" named in subject */
	int			 machine;	/* machine-generated (SPEC 3.3) */

	struct official		*officials;
	size_t			 nofficials;
	/* When not NULL, every string above lies in this one block, which
	 * intake_result_free() frees with them: such a result is read and
	 * freed whole, never taken apart (worker_pool_results()). */
	char			*strings;
};

void	 intake_init(void);	/* once per process, before threads */
void	 intake_cleanup(void);

struct intake_result *intake_parse(const struct form *,
	    const struct intake_opts *, const char *raw, size_t len);
/* A result for a message that could not be parsed at all. */
struct intake_result *intake_quarantined(const char *reason);
void	 intake_result_free(struct intake_result *);

/* Status of a request from its officials (SPEC 3.6): complete when there is
 * at least one official and every field of each is valid, else
 * incomplete.  Sets or clears FLAG_NON_OFFICIAL_EMAIL in *flags (an
 * official's address at a free-mail domain of the form's list). */
enum intake_status intake_decide(const struct form *,
	    const struct official *, size_t n, unsigned *flags);

/* "REQ-000042" -> 42; 0 when s holds no reference. */
unsigned long	 intake_reference_in(const char *s);

const char	*class_key(enum intake_class);	/* "request", ... */
const char	*status_key(enum intake_status);	/* "complete", ... */
const char	*flag_key(unsigned bit);	/* "non_official_email", ... */

/*
 * The JSON object of SPEC 4 for one parsed message, plus "class" and
 * "reason": reference null, received_at from the Date header, messages =
 * [message_id].  Appends to b; -1 when b's cap is reached.
 */
int	 intake_result_json(const struct intake_result *, struct buf *b);

/* Append s as a JSON string (quoted, escaped); NULL gives null. */
int	 json_add_string(struct buf *, const char *s);

#endif
