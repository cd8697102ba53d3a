/*
 * text.h -- Unicode text helpers: charset conversion to UTF-8, UTF-8
 * sanitising, and the folding used to compare labels and names.
 *
 * Every string that leaves text.c is valid UTF-8.  Returned strings are
 * malloc'd and owned by the caller (free()).
 */
#ifndef INTAKE_TEXT_H
#define INTAKE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Convert len bytes in charset (NULL or "" = undeclared) to UTF-8.
 * Undeclared, us-ascii and iso-8859-1/latin1 text with 8-bit bytes is read as
 * UTF-8 when it is valid UTF-8, else as windows-1252.  Unknown charsets fall
 * back the same way.  Never fails; *outlen gets the length.
 */
char	*text_to_utf8(const char *charset, const char *s, size_t len,
	    size_t *outlen);

/*
 * The same for s, which the caller hands over (malloc'd, s[len]
 * writable): s itself comes back when it needs no change, else s is
 * freed.
 */
char	*text_to_utf8_take(const char *charset, char *s, size_t len,
	    size_t *outlen);
/* 1 when text_to_utf8() gives s[0..len) back as it is. */
int	 text_utf8_as_is(const char *charset, const char *s, size_t len);

/*
 * What the folding makes of each byte on its own, as a table by byte
 * (built once): the lower-case ASCII byte kept, TEXT_FOLD_SEP (a
 * separator), TEXT_FOLD_END (NUL, where the text ends) or TEXT_FOLD_MB (a
 * byte that is not ASCII: what it folds to depends on the bytes after).
 */
#define TEXT_FOLD_SEP	0
#define TEXT_FOLD_END	1
#define TEXT_FOLD_MB	0x80
const unsigned char *text_fold_bytes(void);

/*
 * For eight bytes read by memcpy() and flagged in m (a high bit per byte,
 * m not 0) by arithmetic whose carries may flag bytes after a flagged
 * one: how many bytes surely come before the first flagged.  Carries run
 * towards later bytes only on a little-endian machine; elsewhere 0, and
 * the caller goes on a byte at a time.  A macro: it is taken for every
 * word and every run of ASCII.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_FLAGGED(m)	((size_t)((unsigned)__builtin_ctzll(m) >> 3))
#else
#define FIRST_FLAGGED(m)	((void)(m), (size_t)0)
#endif

/*
 * Per byte of v (eight bytes read by memcpy()), the high bit set unless
 * the byte is an ASCII lower-case letter: v + 0x1f sets it from 'a' up,
 * v + 0x05 past 'z'; a byte that is not ASCII is flagged by its own high
 * bit, and its carries flag only bytes after it (FIRST_FLAGGED()).
 */
#define NOT_LOWER8(v)							\
	((~((v) + 0x1f1f1f1f1f1f1f1fULL) | ((v) + 0x0505050505050505ULL) | \
	(v)) & 0x8080808080808080ULL)

/* Sixteen bytes as one value: GCC's generic vectors, which the compiler
 * turns into the machine's vector instructions where it has them, and
 * into plain code where it has none.  A compare gives each byte all ones
 * or zero; memcpy() reads the result as two uint64_t words. */
typedef unsigned char bytes16 __attribute__((vector_size(16)));

/* Whether any byte of v has its high bit set (as every byte of a
 * compare that held does, and every byte past ASCII). */
static inline int
bytes16_any_high(bytes16 v)
{
	uint64_t w[2];

	memcpy(w, &v, 16);
	return ((w[0] | w[1]) & 0x8080808080808080ULL) != 0;
}

/*
 * Copy the 32 bytes at p to o and say where the first byte c lies among
 * them: its index, or 32 when none is c.  With seen, every byte copied is
 * or'ed into *seen (whose high bits then say whether all were ASCII).
 * Always inlined: it is the step of loops that copy text a line at a
 * time.
 */
static inline __attribute__((always_inline)) size_t
text_copy32_find(const char *p, char *o, unsigned char c, bytes16 *seen)
{
	bytes16 v, w;
	uint64_t m[4];
	size_t i, k;

	memcpy(&v, p, 16);
	memcpy(&w, p + 16, 16);
	memcpy(o, &v, 16);
	memcpy(o + 16, &w, 16);
	if (seen != NULL)
		*seen |= v | w;
	v = (bytes16)(v == c);
	w = (bytes16)(w == c);
	memcpy(m, &v, 16);
	memcpy(m + 2, &w, 16);
	if ((m[0] | m[1] | m[2] | m[3]) == 0)
		return 32;
	for (i = 0; m[i] == 0; i++)
		;
	for (k = i * 8 + FIRST_FLAGGED(m[i] & 0x8080808080808080ULL);
	    (unsigned char)p[k] != c; k++)
		;
	return k;
}

/* Bytes from the start of s[0..len) that are ASCII without NUL, eight at
 * a time. */
size_t	 text_ascii_run(const char *s, size_t len);

/* Bytes from the start of s[0..len) that lie from lo to hi (1 <= lo <= hi
 * <= 0x7f), eight at a time. */
size_t	 text_range_run(const char *s, size_t len, unsigned lo, unsigned hi);

/* Copy of s with invalid UTF-8 sequences replaced by U+FFFD and NULs by
 * spaces. */
char	*text_sanitize(const char *s, size_t len, size_t *outlen);

/* 1 when s[0..len) is valid UTF-8 without NUL. */
int	 text_is_utf8(const char *s, size_t len);

/*
 * Fold for comparison: NFC, case fold, strip accents, map every kind of
 * apostrophe/quote/dash to its ASCII form, turn punctuation other than
 * letters, digits, '@', '+', '.', '-' and apostrophe into spaces, collapse
 * white space, trim.  "Côte d’Ivoire " -> "cote d'ivoire".
 */
char	*text_fold(const char *s);
/* The same for s[0..len) (stopping at a NUL, if any); *outlen (may be
 * NULL) gets the length. */
char	*text_fold_n(const char *s, size_t len, size_t *outlen);
/* The same, and *mark_out gets the length of what s[0..mark) alone folds
 * to: a prefix of the whole (a character cut at mark folds to nothing). */
char	*text_fold_mark(const char *s, size_t len, size_t mark,
	    size_t *mark_out, size_t *outlen);

/*
 * Who reads the words of a folding while text_fold_words() makes it:
 * word() gets each, out[start..end) of the folding so far (out moves as
 * it grows: keep offsets), when it ends.  Once the folding has passed s's
 * first mark bytes, marked is 1 and mark is what they alone fold to, as
 * text_fold_mark() says: a word that ends past it was cut there.
 *
 * filter (NULL: none) has TEXT_WORD_BITS entries: a word whose entry at
 * TEXT_WORD_BIT() is 0 is not told, save the word cut at the mark.  A
 * reader that looks words up can say so which it never finds, most words
 * of a text, and spare a call for each.  word() gets the word's entry
 * (0 without a filter), which it need not look up again.
 */
struct text_words {
	void	(*word)(struct text_words *, const char *out, size_t start,
		    size_t end, uint32_t entry);
	const uint32_t *filter;
	size_t	 mark;
	int	 marked;
};

/* A word's first byte, last byte and length (modulo 16) in 14 bits, for
 * w[0..len) with len > 0. */
#define TEXT_WORD_BITS	(1u << 14)
#define TEXT_WORD_BIT(w, len)						\
	(((unsigned char)(w)[0] & 31) |					\
	((unsigned char)(w)[(len) - 1] & 31) << 5 |			\
	((unsigned)(len) & 15) << 10)

/* text_fold_mark(), telling tw of each word (see above). */
char	*text_fold_words(const char *s, size_t len, size_t mark,
	    struct text_words *tw, size_t *outlen);

/* A 64-bit hash of s[0..len), eight bytes a step, for the parsers'
 * lookup tables (not for anything a stranger could use to collide on
 * purpose at a cost; not kept: it differs with the byte order). */
uint64_t text_hash(const char *s, size_t len);

/* 1 when iconv can convert charset to UTF-8. */
int	 text_charset_known(const char *charset);

/* Close the conversion descriptors kept between calls (at exit). */
void	 text_cleanup(void);

/* Trim ASCII and Unicode white space (incl. U+00A0) at both ends, collapse
 * inner runs of white space to one space. */
char	*text_squeeze(const char *s);

#endif
