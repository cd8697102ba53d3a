/*
 * reply.h -- the messages intaked sends back to a sender (SPEC 3.6, 3.8):
 * an acknowledgement, a list of what is missing, or a receipt saying a
 * person will look at the request.
 *
 * The wording lives in templates/ (ack.LANG, missing.LANG, review.LANG and
 * strings.LANG for en, fr, es), read once by reply_templates_load() and
 * read-only afterwards, so one set may be shared.  reply_render() turns one
 * reply_input into a complete RFC 5322 message (CRLF line ends, UTF-8 text
 * in quoted-printable), ready for smtp_send().  Everything a sender wrote
 * (subject, names, message-ids, field values) is stripped of control
 * characters and encoded before it reaches a header or the body, so it can
 * neither add a header nor break one.  Nothing here does I/O except the
 * template loading; nothing logs.
 */
#ifndef INTAKE_REPLY_H
#define INTAKE_REPLY_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "extract.h"
#include "fields.h"

enum reply_kind {
	REPLY_ACK,		/* complete: acknowledgement */
	REPLY_MISSING,		/* incomplete: what is missing or invalid */
	REPLY_REVIEW,		/* review: a person will look at it */
	REPLY_KIND_COUNT
};

struct reply_templates;

/*
 * Read DIR/{ack,missing,review,strings}.{en,fr,es}.  Every file must be
 * there, every placeholder known and every strings key present; err gets
 * "path:line: reason" for the first problem.  *t is owned by the caller:
 * reply_templates_free().
 */
int	 reply_templates_load(const char *dir, struct reply_templates **t,
	    char *err, size_t errlen);
void	 reply_templates_free(struct reply_templates *);

struct reply_input {
	enum reply_kind		 kind;
	enum lang		 lang;
	const char		*reference;	/* "REQ-000042" */
	const char		*notification;	/* "2018/046"; NULL: strings file */
	const char		*from_name;	/* ours, display name, or NULL */
	const char		*from_addr;	/* ours, addr-spec */
	const char		*to_name;	/* theirs, display name, or NULL */
	const char		*to_addr;	/* theirs (reply_recipient()) */
	const char		*subject;	/* theirs, UTF-8, or NULL */
	const char		*message_id;	/* theirs, with or without <> */
	char *const		*references;	/* theirs, oldest first */
	size_t			 nreferences;
	const struct official	*officials;
	size_t			 nofficials;
	const char		*msgid_domain;	/* NULL: the domain of from_addr */
	time_t			 date;
	const unsigned char	*token;		/* random bytes for our Message-ID */
	size_t			 token_len;	/* 1 .. REPLY_TOKEN_MAX */
	const char		*status;	/* X-Intake-Status; NULL: from kind */
};

#define REPLY_TOKEN_MAX		32
/* Room for "<intaked.REQ-000042.TOKEN@domain>" and its NUL. */
#define REPLY_MSGID_MAX		(16 + 20 + 2 * REPLY_TOKEN_MAX + 256)

/*
 * Append the whole message to out (its cap should be LIMIT_REPLY_BYTES or
 * more).  Returns 0, or -1 with err set: an address that is not a valid
 * ASCII addr-spec or holds a control character, a malformed reference,
 * domain or token, no template for kind/lang, or out's cap reached.  On
 * error out may hold part of a message: discard it.
 */
int	 reply_render(const struct reply_templates *,
	    const struct reply_input *, struct buf *out, char *err,
	    size_t errlen);

/*
 * Our Message-ID, angle brackets included:
 * "<intaked.REQ-000042.0a1b2c...@domain>", TOKEN being the token bytes in
 * lower-case hex.  This shape is how intake recognises answers to our
 * replies.  Returns 0, or -1 when an argument is malformed or out is too
 * small (REPLY_MSGID_MAX is always enough).
 */
int	 reply_message_id(const char *reference, const unsigned char *token,
	    size_t token_len, const char *domain, char *out, size_t outlen);

/*
 * Who gets an automatic reply (RFC 3834 section 4), from the addresses of
 * the sender's message (each an addr-spec, or NULL when absent).  Returns
 * one of the arguments, borrowed, or NULL when no reply may be sent: an
 * empty Return-Path ("" or "<>"), or neither Reply-To nor From valid.
 */
const char *reply_recipient(const char *from_addr, const char *reply_to_addr,
	    const char *return_path);

/* 1 when s is an ASCII addr-spec we will put in a header or an envelope. */
int	 reply_addr_valid(const char *s);

#endif
