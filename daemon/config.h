/*
 * config.h -- intaked's configuration: one INI file (read with inih), its
 * password files, and every check that can be made before connecting.
 *
 * config_load() reads the whole file and reports every problem it finds,
 * one line each, "path:line: [section] key: reason" (or "path: [section]
 * key: missing" for a required key that is absent), so an administrator
 * fixes them all in one go.  Unknown sections and keys are errors: a typo
 * must not silently change behaviour.  The caller turns a failure into
 * exit status 78 (EX_CONFIG).
 *
 * The struct holds the IMAP and SMTP passwords, read from their password
 * files (or systemd credentials) by config_load().  Nothing may log, print
 * or store them; config_free() wipes them.  Error and warning texts never
 * contain a password.
 *
 * A struct config is read-only once loaded; config_free() frees it and
 * every string in it.
 */
#ifndef INTAKE_CONFIG_H
#define INTAKE_CONFIG_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define CONFIG_PASSWORD_MAX	1024	/* bytes of a password file's line */
#define CONFIG_FOLDER_MAX	200	/* bytes of a folder name */

enum config_security {
	CONFIG_SECURITY_TLS,		/* implicit TLS */
	CONFIG_SECURITY_STARTTLS,
	CONFIG_SECURITY_NONE
};

enum config_first_start {
	CONFIG_FIRST_NEW,		/* only mail arriving after that */
	CONFIG_FIRST_ALL,		/* backfill everything */
	CONFIG_FIRST_DATE		/* backfill since first_start_date */
};

enum config_reply_policy {
	CONFIG_REPLY_ALL,
	CONFIG_REPLY_AUTHENTICATED	/* only senders the trusted
					 * authserv-id passed */
};

/* Triage folders, one per decision that files a message. */
enum config_folder {
	CONFIG_FOLDER_COMPLETE,
	CONFIG_FOLDER_INCOMPLETE,
	CONFIG_FOLDER_REVIEW,
	CONFIG_FOLDER_IGNORED,
	CONFIG_FOLDER_QUARANTINE,
	CONFIG_FOLDER_COUNT
};

struct config_date {
	int	 year, month, day;
};

struct config_imap {
	char			*host;
	int			 port;		/* default 993 (tls) or 143 */
	enum config_security	 security;	/* tls by default */
	char			*ca_file;	/* NULL: the system store */
	char			*user;
	char			*password_file;	/* the password's file */
	char			*password;	/* never NULL; never log it */
	char			*mailbox;	/* "INBOX" */
	int			 idle;		/* 1: IDLE if the server can */
	unsigned int		 poll_interval;	/* seconds */
	enum config_first_start	 first_start;
	struct config_date	 first_start_date; /* CONFIG_FIRST_DATE */
	time_t			 first_start_time; /* that day, 00:00 UTC */
	unsigned int		 timeout;	/* seconds, per command */
	unsigned int		 batch_size;	/* messages per FETCH */
};

struct config_smtp {
	char			*host;
	int			 port;		/* 587, 465 (tls), 25 (none) */
	enum config_security	 security;	/* starttls by default */
	char			*ca_file;	/* NULL: the system store */
	char			*user;		/* NULL when no password */
	char			*password_file;	/* NULL when no password */
	char			*password;	/* NULL: no AUTH; never log */
	char			*from;		/* as written in the file */
	char			*from_name;	/* UTF-8 display name or "" */
	char			*from_addr;	/* addr-spec */
	char			*envelope_from;	/* addr-spec, never empty */
	unsigned int		 timeout;	/* seconds */
};

struct config_store {
	char			*path;		/* SQLite file, may be absent */
};

struct config_triage {
	char			*form;
	char			*folder[CONFIG_FOLDER_COUNT]; /* '/' = level */
	char			*secretariat;	/* addr-spec */
	size_t			 max_message_size;	/* bytes */
	unsigned int		 max_replies_per_day;	/* per sender */
	unsigned int		 max_replies_per_domain; /* per domain, a day;
					 * free-mail domains have none */
	unsigned int		 max_reply_age;		/* seconds */
	enum config_reply_policy reply_policy;
	char			*trusted_authserv_id;	/* NULL when unset */
};

struct config {
	char			*path;		/* the file it was read from */
	struct config_imap	 imap;
	struct config_smtp	 smtp;
	struct config_store	 store;
	struct config_triage	 triage;
	/* Problems worth logging that do not stop the daemon (a password
	 * file readable by others, cleartext to a remote host, ...): lines
	 * as for errors, each ending in '\n'; "" when none. */
	char			*warnings;
};

/*
 * Read path.  On success *out gets a new config (free with config_free())
 * and 0 is returned.  On failure *out is NULL, -1 is returned and every
 * problem is appended to errors, one line each ending in '\n'.
 */
int		 config_load(const char *path, struct config **out,
		    struct buf *errors);
/* Wipes the passwords, frees everything.  NULL is fine. */
void		 config_free(struct config *);
/* Overwrite both passwords with zeros where they are, freeing nothing: in
 * a forked child that must not hold them (the parse worker).  Accepts
 * NULL. */
void		 config_wipe_secrets(const struct config *);

/* "tls", "starttls", "none" */
const char	*config_security_name(enum config_security);
/* "complete", "incomplete", "review", "ignored", "quarantine"; NULL when
 * out of range. */
const char	*config_folder_name(enum config_folder);

#endif
