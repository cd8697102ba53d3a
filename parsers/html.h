/*
 * html.h -- HTML to text with libxml2's HTML parser.
 *
 * Block elements and <br> end lines; each table row becomes one line whose
 * cells are separated by a TAB (a cell's own line breaks become spaces), so
 * the extractor reads an HTML table like a tab-separated one.  script, style,
 * head and comments are dropped.  Quoted earlier mail in Outlook and Gmail
 * markup (blockquote, div.gmail_quote, the "divRplyFwdMsg" block) is marked
 * by a line holding only "-----Original Message-----" so quote.c cuts it.
 */
#ifndef INTAKE_HTML_H
#define INTAKE_HTML_H

#include <stddef.h>

/* html: UTF-8.  Returns malloc'd UTF-8 text (caller frees), never NULL;
 * at most max bytes. */
char	*html_to_text(const char *html, size_t len, size_t max, size_t *outlen);

#endif
