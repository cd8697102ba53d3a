/*
 * common.h -- what the fuzz targets share: finding the source tree (the
 * form, the data, the templates) and failing loudly on a broken property.
 *
 * Each target is one file defining LLVMFuzzerInitialize() and
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang,
 * build-fuzz/) or with replay.c (any compiler, the normal and sanitizer
 * builds) to run the regression inputs of tests/fuzz/regress/.
 */
#ifndef INTAKE_FUZZ_COMMON_H
#define INTAKE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerInitialize(int *argc, char ***argv);
int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The top of the source tree: $INTAKED_SRCDIR when set, else two levels
 * above the directory of the running binary (BUILD/fuzz/NAME), else the
 * current directory, whichever holds forms/cencomm-cheetah.form.  Exits
 * when none does.  Borrowed, static.
 */
const char	*fuzz_srcdir(void);

/* Make a new private directory $TMPDIR/intaked-fuzz-NAME.XXXXXX (/tmp
 * when TMPDIR is unset) into dir[0..len); exits when it cannot. */
void		 fuzz_mkdtemp(const char *name, char *dir, size_t len);

/* "srcdir/rel", malloc'd. */
char		*fuzz_path(const char *rel);

/* A broken property: print what and where, then abort (a finding). */
void		 fuzz_fail(const char *what, const char *detail)
		    __attribute__((noreturn));

#define FUZZ_CHECK(cond, detail) \
	do { if (!(cond)) fuzz_fail(#cond, (detail)); } while (0)

#endif
