/*
 * common.c -- helpers shared by the fuzz targets (see common.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define FORM_REL	"forms/cencomm-cheetah.form"
#define PATH_BYTES	4096

static char srcdir[PATH_BYTES];

static int
holds_form(const char *dir)
{
	char p[PATH_BYTES];
	int n;

	n = snprintf(p, sizeof(p), "%s/%s", dir, FORM_REL);
	return n > 0 && (size_t)n < sizeof(p) && access(p, R_OK) == 0;
}

const char *
fuzz_srcdir(void)
{
	char exe[PATH_BYTES], *slash;
	const char *env;
	ssize_t n;
	int up;

	if (srcdir[0] != '\0')
		return srcdir;
	env = getenv("INTAKED_SRCDIR");
	if (env != NULL && *env != '\0' && strlen(env) < sizeof(srcdir) &&
	    holds_form(env)) {
		memcpy(srcdir, env, strlen(env) + 1);
		return srcdir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* BUILD/fuzz/NAME -> the directory above BUILD. */
		for (up = 0; up < 3; up++)
			if ((slash = strrchr(exe, '/')) != NULL)
				*slash = '\0';
		if (exe[0] != '\0' && holds_form(exe)) {
			memcpy(srcdir, exe, strlen(exe) + 1);
			return srcdir;
		}
	}
	if (holds_form(".")) {
		memcpy(srcdir, ".", 2);
		return srcdir;
	}
	fprintf(stderr, "fuzz: cannot find %s; set INTAKED_SRCDIR to the "
	    "top of the source tree\n", FORM_REL);
	exit(2);
}

char *
fuzz_path(const char *rel)
{
	const char *dir = fuzz_srcdir();
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

void
fuzz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz: property broken: %s%s%s\n", what,
	    detail ? ": " : "", detail ? detail : "");
	abort();
}

void
fuzz_mkdtemp(const char *name, char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, len, "%s/intaked-fuzz-%s.XXXXXX", t && *t ? t : "/tmp",
	    name);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		exit(2);
	}
}
