/*
 * intakectl -- the Secretariat's and support's tool: what intaked would
 * understand of a message, and (with a store) summaries and exports.
 *
 * Each command is a row of the table below: a name, a function and its
 * usage line.  Commands that only read never write the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "form.h"
#include "intake.h"
#include "limits.h"
#include "xmalloc.h"

#define DEFAULT_FORM	DATADIR "/forms/cencomm-cheetah.form"

struct ctl {
	const char	*config_path;
	const char	*form_path;
};

struct command {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
	const char	*help;
};

static int	cmd_parse(struct ctl *, int, char **);

static const struct command commands[] = {
	{ "parse", cmd_parse, "parse FILE.eml...",
	  "print what would be understood from each message, as JSON" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: intakectl [-c FILE | --form FORM] COMMAND [ARGS]\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-24s %s\n", commands[i].usage, commands[i].help);
}

/*
 * Read a whole file, at most max bytes.  Sets *over when the file is
 * longer (the first max bytes are returned).  Caller frees.
 */
static char *
read_file(const char *path, size_t max, size_t *len, int *over)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd;

	*over = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			buf_add(&b, chunk, max - b.len);
			*over = 1;
			break;
		}
	}
	close(fd);
	if (n < 0) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_release(&b);
}

/* Length of the header block of raw (up to and including the blank line),
 * or len when there is none. */
static size_t
header_length(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n')
			return i + 2;
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

static int
cmd_parse(struct ctl *ctl, int argc, char **argv)
{
	struct form *form;
	struct intake_opts opts;
	struct buf out;
	char err[4096];
	int i, status = EX_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: intakectl parse FILE.eml...\n");
		return EX_USAGE;
	}
	if (form_load(ctl->form_path, &form, err, sizeof(err)) == -1) {
		fprintf(stderr, "intakectl: %s\n", err);
		return EX_CONFIG;
	}
	intake_init();
	memset(&opts, 0, sizeof(opts));
	buf_init(&out, 64u * 1024 * 1024);
	for (i = 1; i < argc; i++) {
		struct intake_result *r;
		size_t len = 0;
		int over;
		char *raw = read_file(argv[i], LIMIT_MESSAGE_BYTES, &len,
		    &over);

		if (raw == NULL) {
			fprintf(stderr, "intakectl: %s: %s\n", argv[i],
			    strerror(errno));
			status = EX_NOINPUT;
			continue;
		}
		opts.header_only = over;
		r = intake_parse(form, &opts, raw,
		    over ? header_length(raw, len) : len);
		buf_truncate(&out, 0);
		if (intake_result_json(r, &out) == -1 ||
		    buf_addch(&out, '\n') == -1) {
			fprintf(stderr, "intakectl: %s: result too large\n",
			    argv[i]);
			status = EX_SOFTWARE;
		} else
			fwrite(out.data, 1, out.len, stdout);
		intake_result_free(r);
		free(raw);
	}
	buf_free(&out);
	intake_cleanup();
	form_free(form);
	if (fflush(stdout) == EOF)
		status = EX_IOERR;
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "form", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl = { NULL, NULL };
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, "+c:f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'f':
			ctl.form_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (ctl.form_path == NULL)
		ctl.form_path = DEFAULT_FORM;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].fn(&ctl, argc, argv);
	fprintf(stderr, "intakectl: unknown command: %s\n", argv[0]);
	usage(stderr);
	return EX_USAGE;
}
