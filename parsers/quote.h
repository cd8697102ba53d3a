/*
 * quote.h -- cut quoted earlier mail and signatures from a text body.
 *
 * Removes lines quoted with '>', and everything from an attribution line
 * ("On ... wrote:", "Le ... a écrit :", "El ... escribió:"), an Outlook
 * header block ("From:/De:" followed by "Sent:/Envoyé :/Enviado el:" and so
 * on), "-----Original Message-----" and its translations, or a signature
 * separator ("-- ") to the end.  A valediction line ("Best regards",
 * "Cordialement", "Atentamente", ...) ends the body when what follows it
 * looks like a signature (a few short lines).
 */
#ifndef INTAKE_QUOTE_H
#define INTAKE_QUOTE_H

struct buf;

/* Returns a malloc'd copy of text without quotes and signature (caller
 * frees). */
char	*quote_strip(const char *text);

/* The same text appended to b (text[0..len), no NUL inside): -1, and
 * nothing appended, when b's cap has not room for len + 1 more bytes. */
int	 quote_strip_to(struct buf *b, const char *text, size_t len);

#endif
