/*
 * etconv.c -- the charset converter libetpan calls (see etconv.h).
 *
 * libetpan's charconv() opens and closes an iconv descriptor for every
 * encoded word and every Content-Type it reads, which costs more than the
 * conversion.  This converter keeps a few descriptors by charset pair and
 * converts as charconv() does with iconv: from a descriptor in its
 * initial state, each byte iconv cannot read becomes '?', and the output
 * ends where iconv stops.  A pair iconv does not know, or with names too
 * long to keep, is left to charconv() (MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET
 * makes it use iconv itself, which fails or converts alike).
 *
 * The hook is per process and the cache is not thread-safe: only the
 * thread that parses converts (intaked parses in one thread).
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include <libetpan/charconv.h>

#include "etconv.h"

#define ETCONV_CACHE	8
#define ETCONV_NAME	64

static struct {
	char	 to[ETCONV_NAME + 1];
	char	 from[ETCONV_NAME + 1];
	iconv_t	 cd;
} cache[ETCONV_CACHE];
static int used, next;

/* A descriptor for from -> to in its initial state, or (iconv_t)-1. */
static iconv_t
etconv_get(const char *to, const char *from)
{
	size_t tl = strlen(to), fl = strlen(from);
	iconv_t cd;
	int i;

	for (i = 0; i < used; i++)
		if (strcmp(cache[i].to, to) == 0 &&
		    strcmp(cache[i].from, from) == 0) {
			iconv(cache[i].cd, NULL, NULL, NULL, NULL);
			return cache[i].cd;
		}
	if (tl > ETCONV_NAME || fl > ETCONV_NAME ||
	    (cd = iconv_open(to, from)) == (iconv_t)-1)
		return (iconv_t)-1;
	if (used < ETCONV_CACHE)
		i = used++;
	else {
		i = next;
		next = (next + 1) % ETCONV_CACHE;
		iconv_close(cache[i].cd);
	}
	memcpy(cache[i].to, to, tl + 1);
	memcpy(cache[i].from, from, fl + 1);
	cache[i].cd = cd;
	return cd;
}

/*
 * Whether iconv would give str[0..length) unchanged: ASCII text from a
 * charset that is a superset of ASCII to UTF-8.  Most words libetpan
 * converts are such (the words of every Content-Type are read as
 * us-ascii), and iconv costs more than the copy.
 */
static int
etconv_same(const char *tocode, const char *fromcode, const char *str,
    size_t length)
{
	static const char *const ascii_sets[] = {
		"us-ascii", "utf-8", "iso-8859-1", "windows-1252", NULL
	};
	size_t i;
	int k;

	if (strcasecmp(tocode, "utf-8") != 0)
		return 0;
	for (k = 0; ascii_sets[k] != NULL; k++)
		if (strcasecmp(fromcode, ascii_sets[k]) == 0)
			break;
	if (ascii_sets[k] == NULL)
		return 0;
	for (i = 0; i < length; i++)
		if ((unsigned char)str[i] >= 0x80)
			return 0;
	return 1;
}

/* extended_charconv: result has room for *result_len bytes (libetpan
 * gives six a byte of input); *result_len gets the length written. */
static int
etconv(const char *tocode, const char *fromcode, const char *str,
    size_t length, char *result, size_t *result_len)
{
	iconv_t cd;
	char *in = (char *)str, *out = result;
	size_t inleft = length, outleft = *result_len;

	if (length <= outleft &&
	    etconv_same(tocode, fromcode, str, length)) {
		memcpy(result, str, length);
		*result_len = length;
		return MAIL_CHARCONV_NO_ERROR;
	}
	if ((cd = etconv_get(tocode, fromcode)) == (iconv_t)-1)
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	for (;;) {
		(void)iconv(cd, &in, &inleft, &out, &outleft);
		/* As libetpan's loop: a byte iconv cannot read is a '?'. */
		if (inleft && outleft && errno == EILSEQ) {
			*out++ = '?';
			outleft--;
			in++;
			inleft--;
			continue;
		}
		break;
	}
	*result_len = (size_t)(out - result);
	return MAIL_CHARCONV_NO_ERROR;
}

void
etconv_install(void)
{
	extended_charconv = etconv;
}

void
etconv_cleanup(void)
{
	int i;

	if (extended_charconv == etconv)
		extended_charconv = NULL;
	for (i = 0; i < used; i++)
		iconv_close(cache[i].cd);
	used = next = 0;
}
