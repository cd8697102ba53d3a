/*
 * replay.c -- run a fuzz target on files, without libFuzzer: linked with
 * one target's source (and common.c) into BUILD/fuzz/fuzz_NAME by the
 * normal and sanitizer builds, so the regression inputs of
 * tests/fuzz/regress/ run with any compiler.
 *
 * Usage: fuzz_NAME FILE...  Each file is read whole and handed to the
 * target once; a broken property aborts (the exit status and the message
 * on stderr say which), a sanitizer report fails the run.  Exit 0 when
 * every file went through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define REPLAY_MAX	(64u * 1024 * 1024)

static int
replay(const char *path)
{
	unsigned char *data = NULL, *p;
	size_t len = 0, cap = 0, n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > REPLAY_MAX || (p = realloc(data, cap)) == NULL) {
				fprintf(stderr, "%s: too large\n", path);
				fclose(fp);
				free(data);
				return -1;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(fp);
		free(data);
		return -1;
	}
	fclose(fp);
	/* An exact-size copy, as libFuzzer gives, so that a read past the
	 * end is caught by AddressSanitizer. */
	p = malloc(len ? len : 1);
	if (p == NULL) {
		free(data);
		return -1;
	}
	memcpy(p, data, len);
	free(data);
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 64;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		if (replay(argv[i]) == -1)
			bad = 1;
	return bad;
}
