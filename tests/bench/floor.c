/*
 * floor.c -- the floor of the end-to-end benchmark: what intaked --once
 * costs with no processing at all.  It does the same network work with the
 * same client code: connect and log in over TLS, SELECT, UID SEARCH, fetch
 * sizes and bodies in the daemon's batches (each body dropped as it
 * arrives), then send `sends' copies of one short reply over one SMTP
 * session.  No parse, no store, no move.
 *
 * usage: floor HOST IMAP_PORT CA_FILE PASSWORD_FILE SMTP_PORT SENDS
 * (IMAP: implicit TLS as user "info"; SMTP: STARTTLS, no AUTH).  Prints
 * "floor: N messages fetched, M sent".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "smtp.h"
#include "xmalloc.h"

#define BATCH_MSGS	50		/* intaked's default batch_size */
#define BATCH_BYTES	(8u * 1024 * 1024)

static const char reply[] =
    "From: CITES Secretariat <info@cites.org>\r\n"
    "To: someone@example.org\r\n"
    "Subject: Re: Request [REQ-000001]\r\n"
    "Message-ID: <floor.1@cites.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Thank you for your request.  It has been registered.\r\n";

/* Our replies run to about 2 KB: the floor's is padded to that size. */
#define PAD_LINES	26
static const char pad[] =
    "The details of each official are listed below, as we understood them.\r\n";

static int
drop(const struct imap_body *b, void *arg)
{
	size_t *n = arg;

	if (b->status == IMAP_BODY_OK)
		(*n)++;
	return 0;
}

static char *
read_password(const char *path)
{
	char line[512];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line), f) ==
	    NULL) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return xstrdup(line);
}

int
main(int argc, char **argv)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	struct imap_mailbox_info box;
	struct imap_msg_info *info;
	struct smtp_session *smtp;
	uint32_t *uids = NULL;
	size_t n = 0, i, cnt, fetched = 0;
	long sends, sent = 0;
	char err[512], *password, *msg;
	size_t msglen;

	if (argc != 7) {
		fprintf(stderr, "usage: floor HOST IMAP_PORT CA_FILE "
		    "PASSWORD_FILE SMTP_PORT SENDS\n");
		return 64;
	}
	if ((password = read_password(argv[4])) == NULL) {
		fprintf(stderr, "floor: cannot read %s\n", argv[4]);
		return 66;
	}
	sends = strtol(argv[6], NULL, 10);
	memset(&p, 0, sizeof(p));
	p.host = argv[1];
	p.port = (unsigned)strtoul(argv[2], NULL, 10);
	p.security = IMAP_SEC_TLS;
	p.ca_file = argv[3];
	p.user = "info";
	p.password = password;
	p.timeout = 30;
	if (imap_connect(&p, &s, err, sizeof(err)) != IMAP_OK ||
	    imap_select(s, "INBOX", 0, &box, err, sizeof(err)) != IMAP_OK ||
	    imap_search_since(s, 0, &uids, &n, err, sizeof(err)) != IMAP_OK) {
		fprintf(stderr, "floor: imap: %s\n", err);
		return 69;
	}
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < BATCH_MSGS ? n - i : BATCH_MSGS;
		info = xcalloc(cnt, sizeof(*info));
		if (imap_fetch_sizes(s, uids + i, cnt, info, err,
		    sizeof(err)) != IMAP_OK ||
		    imap_fetch_bodies(s, info, cnt, BATCH_BYTES, 64u << 20,
		    drop, &fetched, err, sizeof(err)) != IMAP_OK) {
			fprintf(stderr, "floor: imap: %s\n", err);
			return 69;
		}
		free(info);
	}
	free(uids);
	imap_close(s);

	msglen = sizeof(reply) - 1 + PAD_LINES * (sizeof(pad) - 1);
	msg = xmalloc(msglen + 1);
	memcpy(msg, reply, sizeof(reply) - 1);
	for (i = 0; i < PAD_LINES; i++)
		memcpy(msg + sizeof(reply) - 1 + i * (sizeof(pad) - 1), pad,
		    sizeof(pad) - 1);
	msg[msglen] = '\0';
	if (smtp_global_init() == -1 || (smtp = smtp_open(argv[1],
	    (unsigned)strtoul(argv[5], NULL, 10), SMTP_SECURITY_STARTTLS,
	    argv[3], NULL, NULL, 30, err, sizeof(err))) == NULL) {
		fprintf(stderr, "floor: smtp: %s\n", err);
		return 69;
	}
	for (; sent < sends; sent++)
		if (smtp_send(smtp, "bounces@cites.org", "someone@example.org",
		    msg, msglen, err, sizeof(err)) != SMTP_OK) {
			fprintf(stderr, "floor: smtp: %s\n", err);
			return 69;
		}
	smtp_close(smtp);
	smtp_global_cleanup();
	free(msg);
	free(password);
	printf("floor: %zu messages fetched, %ld sent\n", fetched, sent);
	return 0;
}
