/*
 * intake.c -- one raw message to a decision (see intake.h).
 *
 * The order is fixed: MIME (mime.c) gives headers and text parts; quoted
 * mail and signatures are cut (quote.c); every part goes through the
 * extractor (extract.c), the best of each multipart/alternative group
 * winning; then the message is classified by SPEC 3.2 and 3.3 and a
 * request gets its status by SPEC 3.6.  Nothing here needs the store: a
 * follow-up is recognised by shape (our Message-IDs, "[REQ-NNNNNN]") and
 * the daemon confirms it against the store.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "etconv.h"
#include "extract.h"
#include "intake.h"
#include "limits.h"
#include "mime.h"
#include "quote.h"
#include "text.h"
#include "xmalloc.h"

/* The Message-ID prefix of our replies (reply.c writes it). */
#define OUR_MSGID_PREFIX	"intaked.REQ-"

static const char *const class_keys[CLASS_COUNT] = {
	"request", "other", "ignored", "quarantined"
};
static const char *const status_keys[STATUS_COUNT] = {
	NULL, "complete", "incomplete", "review", "quarantined"
};
static const char *const flag_keys[FLAG_COUNT_BITS] = {
	"non_official_email", "reply_suppressed", "oversize",
	"attachment_only", "follow_up", "truncated", "unauthenticated",
	"domain_mismatch"
};

const char *
class_key(enum intake_class c)
{
	return (unsigned)c < CLASS_COUNT ? class_keys[c] : NULL;
}

const char *
status_key(enum intake_status s)
{
	return (unsigned)s < STATUS_COUNT ? status_keys[s] : NULL;
}

const char *
flag_key(unsigned bit)
{
	int i;

	for (i = 0; i < FLAG_COUNT_BITS; i++)
		if (bit == (1u << i))
			return flag_keys[i];
	return NULL;
}

void
intake_init(void)
{
	extract_init();
	etconv_install();
}

void
intake_cleanup(void)
{
	extract_cleanup();
	etconv_cleanup();
	text_cleanup();
}

struct intake_result *
intake_quarantined(const char *reason)
{
	struct intake_result *r = xcalloc(1, sizeof(*r));

	r->class = CLASS_QUARANTINED;
	r->status = STATUS_QUARANTINED;
	r->reason = xstrdup(reason ? reason : "could not be parsed");
	r->lang = LANG_EN;
	return r;
}

void
intake_result_free(struct intake_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->strings != NULL) {
		free(r->strings);
		free(r->references);
		free(r->officials);
		free(r);
		return;
	}
	free(r->reason);
	free(r->suppress_reason);
	free(r->message_id);
	free(r->in_reply_to);
	for (i = 0; i < r->nreferences; i++)
		free(r->references[i]);
	free(r->references);
	free(r->subject);
	free(r->from_addr);
	free(r->from_name);
	free(r->reply_to);
	free(r->date);
	for (i = 0; i < r->nofficials; i++)
		official_free(&r->officials[i]);
	free(r->officials);
	free(r);
}

unsigned long
intake_reference_in(const char *s)
{
	const char *p;
	unsigned long n;
	int digits;

	if (s == NULL)
		return 0;
	for (p = s; (p = strcasestr(p, "REQ-")) != NULL; p += 4) {
		n = 0;
		for (digits = 0; isdigit((unsigned char)p[4 + digits]) &&
		    digits < 9; digits++)
			n = n * 10 + (unsigned long)(p[4 + digits] - '0');
		if (digits >= 6 && !isdigit((unsigned char)p[4 + digits]) &&
		    n > 0)
			return n;
	}
	return 0;
}

enum intake_status
intake_decide(const struct form *form, const struct official *o, size_t n,
    unsigned *flags)
{
	struct validate_ctx ctx = { form->parties, form->freemail, NULL };
	size_t i;
	int f, complete = n > 0;

	*flags &= ~FLAG_NON_OFFICIAL_EMAIL;
	for (i = 0; i < n; i++) {
		for (f = 0; f < FIELD_COUNT; f++)
			if (o[i].f[f].problem != PROBLEM_NONE)
				complete = 0;
		if (o[i].f[FIELD_EMAIL].value != NULL &&
		    validate_is_freemail(&ctx, o[i].f[FIELD_EMAIL].value))
			*flags |= FLAG_NON_OFFICIAL_EMAIL;
	}
	return complete ? STATUS_COMPLETE : STATUS_INCOMPLETE;
}

/* The value of the n digits at s (n <= 4), or -1 when they are not all
 * digits. */
static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * The fields of a Date value of the usual form, "Fri, 28 Dec 2018
 * 23:40:20 +0300" (the day's name may be left out, the day may have one
 * digit; what follows the zone does not count), read as
 * mailimf_date_time_parse() reads them, without its allocations.  0 for
 * any other form, which is left to it.
 */
static int
date_usual(const char *v, struct mailimf_date_time *dt)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 7; i++)
		if (strncmp(v, days + 3 * i, 3) == 0) {
			if (v[3] != ',' || v[4] != ' ')
				return 0;
			v += 5;
			break;
		}
	if ((dt->dt_day = digits(v, 1)) < 0)
		return 0;
	v++;
	if (*v >= '0' && *v <= '9')
		dt->dt_day = dt->dt_day * 10 + (*v++ - '0');
	if (*v++ != ' ')
		return 0;
	for (i = 0; i < 12 && strncmp(v, months + 3 * i, 3) != 0; i++)
		;
	if (i == 12 || v[3] != ' ')
		return 0;
	dt->dt_month = i + 1;
	v += 4;
	/* "2018 23:40:20 +0300", the zone's digits not followed by more */
	if ((dt->dt_year = digits(v, 4)) < 0 || v[4] != ' ' ||
	    (dt->dt_hour = digits(v + 5, 2)) < 0 || v[7] != ':' ||
	    (dt->dt_min = digits(v + 8, 2)) < 0 || v[10] != ':' ||
	    (dt->dt_sec = digits(v + 11, 2)) < 0 || v[13] != ' ' ||
	    (v[14] != '+' && v[14] != '-') ||
	    (dt->dt_zone = digits(v + 15, 4)) < 0 ||
	    (v[19] >= '0' && v[19] <= '9'))
		return 0;
	if (v[14] == '-')
		dt->dt_zone = -dt->dt_zone;
	return 1;
}

/* Date header to "YYYY-MM-DDTHH:MM:SSZ", or NULL. */
static char *
date_iso(const char *value)
{
	struct mailimf_date_time *dt = NULL, usual;
	size_t idx = 0;
	struct tm tm;
	time_t t;
	char out[32];
	int zone, off;

	if (value == NULL)
		return NULL;
	/* Most values have the usual form: read without libetpan's
	 * allocations. */
	if (date_usual(value, &usual))
		dt = &usual;
	else if (mailimf_date_time_parse(value, strlen(value), &idx, &dt) !=
	    MAILIMF_NO_ERROR)
		return NULL;
	if (dt->dt_year < 1970 || dt->dt_year > 9999 || dt->dt_month < 1 ||
	    dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 ||
	    dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60 ||
	    dt->dt_zone < -2400 || dt->dt_zone > 2400) {
		if (dt != &usual)
			mailimf_date_time_free(dt);
		return NULL;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec > 59 ? 59 : dt->dt_sec;
	zone = dt->dt_zone;
	if (dt != &usual)
		mailimf_date_time_free(dt);
	t = timegm(&tm);
	off = (zone / 100) * 3600 + (zone % 100) * 60;
	t -= off;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return xstrdup(out);
}

static int
is_our_msgid(const char *id)
{
	return id != NULL && strncasecmp(id, OUR_MSGID_PREFIX,
	    strlen(OUR_MSGID_PREFIX)) == 0;
}

static void
read_ids(struct intake_result *r, const struct mime_message *m)
{
	char **ids = NULL;
	size_t n, i;
	const char *v;

	if ((v = mime_header_get(m, "Message-ID")) != NULL) {
		n = mime_msgids(v, &ids, 1);
		if (n > 0)
			r->message_id = ids[0];
		free(ids);
		ids = NULL;
	}
	if ((v = mime_header_get(m, "In-Reply-To")) != NULL) {
		n = mime_msgids(v, &ids, LIMIT_REFERENCES);
		for (i = 0; i < n; i++) {
			if (r->in_reply_to == NULL || (is_our_msgid(ids[i]) &&
			    !is_our_msgid(r->in_reply_to))) {
				free(r->in_reply_to);
				r->in_reply_to = ids[i];
			} else
				free(ids[i]);
		}
		free(ids);
		ids = NULL;
	}
	if ((v = mime_header_get(m, "References")) != NULL)
		r->nreferences = mime_msgids(v, &r->references,
		    LIMIT_REFERENCES);
}

static int
answers_us(const struct intake_result *r)
{
	size_t i;

	if (is_our_msgid(r->in_reply_to))
		return 1;
	for (i = 0; i < r->nreferences; i++)
		if (is_our_msgid(r->references[i]))
			return 1;
	return 0;
}

/* Case-insensitive: does the comma/space separated list v name word? */
static int
header_lists(const char *v, const char *word)
{
	size_t wl = strlen(word);
	const char *p = v;

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';')
			p++;
		if (strncasecmp(p, word, wl) == 0 && (p[wl] == '\0' ||
		    p[wl] == ',' || p[wl] == ' ' || p[wl] == ';' ||
		    p[wl] == '\t'))
			return 1;
		while (*p && *p != ',' && *p != ' ' && *p != ';')
			p++;
	}
	return 0;
}

/* Folded subject prefixes of out-of-office and automatic replies. */
static const char *const auto_subjects[] = {
	"auto:", "automatic reply", "auto reply", "autoreply", "auto-reply",
	"out of office", "out of the office", "away from the office",
	"reponse automatique", "reponse automatique", "absence du bureau",
	"absent du bureau", "message d'absence", "absence",
	"respuesta automatica", "fuera de la oficina", "ausencia",
	"fuera de oficina", "delivery status notification",
	"undelivered mail", "undeliverable", "mail delivery failed",
	"returned mail", "non remis", "no se puede entregar", NULL
};

/* Sender local parts of machine mail. */
static const char *const auto_senders[] = {
	"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply",
	"donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces",
	NULL
};

/* SPEC 3.3: why this message is machine-generated, or NULL. */
static const char *
machine_reason(const struct mime_message *m, const struct intake_result *r,
    const struct intake_opts *opts)
{
	const char *v;
	char *fs;
	size_t i, l;
	const char *why = NULL;

	if ((v = mime_header_get(m, "Auto-Submitted")) != NULL &&
	    strncasecmp(v, "no", 2) != 0)
		return "Auto-Submitted";
	if ((v = mime_header_get(m, "Precedence")) != NULL &&
	    (header_lists(v, "bulk") || header_lists(v, "junk") ||
	    header_lists(v, "list")))
		return "Precedence";
	if (mime_header_get(m, "List-Id") != NULL)
		return "List-Id";
	if (mime_header_get(m, "X-Autoreply") != NULL ||
	    mime_header_get(m, "X-Autorespond") != NULL ||
	    mime_header_get(m, "X-Autoresponder") != NULL)
		return "auto-reply header";
	if (m->is_report)
		return "delivery or disposition report";
	if ((v = mime_header_get(m, "Return-Path")) != NULL) {
		while (*v == ' ')
			v++;
		if (strncmp(v, "<>", 2) == 0)
			return "empty Return-Path";
	}
	if (r->from_addr == NULL)
		return "no sender address";
	l = strcspn(r->from_addr, "@+");
	for (i = 0; auto_senders[i]; i++)
		if (strlen(auto_senders[i]) == l &&
		    strncasecmp(r->from_addr, auto_senders[i], l) == 0)
			return "sender is a mail system";
	if (opts && opts->own_address &&
	    strcasecmp(r->from_addr, opts->own_address) == 0)
		return "mail from our own address";
	if (r->subject) {
		fs = text_fold(r->subject);
		for (i = 0; auto_subjects[i]; i++) {
			l = strlen(auto_subjects[i]);
			if (strncmp(fs, auto_subjects[i], l) == 0) {
				why = "automatic-reply subject";
				break;
			}
		}
		free(fs);
	}
	return why;
}

static int
score(const struct extraction *ex)
{
	size_t i;
	int f, s = 0;

	for (i = 0; i < ex->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			if (ex->officials[i].f[f].raw)
				s += 1;
			if (ex->officials[i].f[f].problem == PROBLEM_NONE)
				s += 4;
		}
	return s;
}

/* Move everything of src into dst (src is left empty). */
static void
extraction_move(struct extraction *dst, struct extraction *src)
{
	size_t i, room;
	int l;

	dst->labels_seen |= src->labels_seen;
	dst->truncated |= src->truncated;
	for (l = 0; l < LANG_COUNT; l++)
		dst->lang_score[l] += src->lang_score[l];
	room = dst->nofficials < LIMIT_OFFICIALS ?
	    LIMIT_OFFICIALS - dst->nofficials : 0;
	if (src->nofficials > room)
		dst->truncated = 1;
	if (src->nofficials > 0 && room > 0) {
		size_t take = src->nofficials < room ? src->nofficials : room;

		dst->officials = xrealloc(dst->officials,
		    (dst->nofficials + take) * sizeof(*dst->officials));
		memcpy(dst->officials + dst->nofficials, src->officials,
		    take * sizeof(*src->officials));
		dst->nofficials += take;
		for (i = take; i < src->nofficials; i++)
			official_free(&src->officials[i]);
	} else
		for (i = 0; i < src->nofficials; i++)
			official_free(&src->officials[i]);
	free(src->officials);
	memset(src, 0, sizeof(*src));
}

/* Every official found has all its fields valid. */
static int
complete(const struct extraction *ex)
{
	return ex->nofficials > 0 &&
	    score(ex) == (int)ex->nofficials * FIELD_COUNT * 5;
}

/* Text of a part (no NUL inside) and a newline onto all the text, cut
 * at LIMIT_TOTAL_TEXT. */
static void
text_to_all(struct buf *alltext, const char *text)
{
	if (alltext->len < LIMIT_TOTAL_TEXT) {
		buf_add(alltext, text, strnlen(text, LIMIT_TOTAL_TEXT -
		    alltext->len));
		buf_addch(alltext, '\n');
	}
}

/*
 * Extract from text of part p, or from what quote_strip() kept of it.
 * mime.c makes the text of every part but an HTML one valid UTF-8
 * without NUL (checked, or converted, then cut at a character boundary;
 * unflowing takes out spaces only), and quote_strip() keeps whole lines
 * of it, cut at ASCII bytes: extract.c need not check it again.  The
 * text html.c writes is checked.
 */
static void
extract_from(const struct form *form, const struct mime_part *p,
    const char *text, struct extraction *ex)
{
	int csv = p->kind == MIME_PART_CSV;

	if (p->kind == MIME_PART_HTML)
		extract_text(form, text, csv, ex);
	else
		extract_text_utf8(form, text, csv, ex);
}

/* Extract from one part into ex; body text has quotes cut first. */
static void
extract_part(const struct form *form, struct mime_message *m,
    struct mime_part *p, struct extraction *ex, struct buf *alltext)
{
	const char *t = mime_part_text(m, p);
	char *text;
	size_t start = alltext->len, n;

	if (p->kind != MIME_PART_PLAIN && p->kind != MIME_PART_HTML) {
		extract_from(form, p, t, ex);
		text_to_all(alltext, t);
		return;
	}
	/* What quote_strip() keeps is no longer than the text and a
	 * newline: when that fits under the cap of all the text, with the
	 * newline after it, it is written there at once and read there. */
	if (t == NULL)
		t = "";
	n = strlen(t);
	if (start < LIMIT_TOTAL_TEXT && n + 2 <= LIMIT_TOTAL_TEXT - start &&
	    quote_strip_to(alltext, t, n) == 0) {
		extract_from(form, p, alltext->data + start, ex);
		buf_addch(alltext, '\n');
		return;
	}
	text = quote_strip(t);
	extract_from(form, p, text, ex);
	text_to_all(alltext, text);
	free(text);
}

/*
 * All parts into ex.  Members of one multipart/alternative group say the
 * same thing twice: only the one the extractor understood best counts.
 * An HTML member is not even read when a plain one before it gave
 * complete officials: it could only win by naming more of them, which
 * twins written by one mail client do not.
 */
static void
extract_message(const struct form *form, struct mime_message *m,
    struct extraction *ex, struct buf *alltext)
{
	size_t i, j;
	int g;

	for (i = 0; i < m->nparts; i++) {
		struct extraction best, cur;
		struct buf besttext, curtext;
		int have = 0;

		g = m->parts[i].alternative;
		if (g < 0) {
			extract_part(form, m, &m->parts[i], ex, alltext);
			continue;
		}
		/* Handle a group at its first member only. */
		for (j = 0; j < i; j++)
			if (m->parts[j].alternative == g)
				break;
		if (j < i)
			continue;
		memset(&best, 0, sizeof(best));
		buf_init(&besttext, LIMIT_TOTAL_TEXT);
		for (j = i; j < m->nparts; j++) {
			if (m->parts[j].alternative != g)
				continue;
			if (have && m->parts[j].html_pending &&
			    complete(&best))
				continue;
			memset(&cur, 0, sizeof(cur));
			buf_init(&curtext, LIMIT_TOTAL_TEXT);
			extract_part(form, m, &m->parts[j], &cur, &curtext);
			/* Prefer plain text on a tie: it is what the sender
			 * typed; HTML wins when it holds more. */
			if (!have || score(&cur) > score(&best)) {
				extraction_free(&best);
				buf_free(&besttext);
				best = cur;
				besttext = curtext;
				have = 1;
			} else {
				extraction_free(&cur);
				buf_free(&curtext);
			}
		}
		extraction_move(ex, &best);
		if (besttext.len > 0 && alltext->len < LIMIT_TOTAL_TEXT)
			buf_add(alltext, besttext.data, strnlen(besttext.data,
			    LIMIT_TOTAL_TEXT - alltext->len));
		buf_free(&besttext);
	}
}

/*
 * Score the language of text[0..len) (no NUL inside) from the folding of
 * its first LIMIT_LANG_BYTES, and say whether the folding of all of it
 * holds a trigger.  The text is folded to the first line end past those
 * bytes first: a request names a trigger early, and then the rest need
 * not be folded.  A line end is a separator, so a trigger whole in that
 * part is whole in the folding of all the text; with none there the rest
 * is folded and joined on, as folding all the text at once would have.
 */
static int
fold_scan(const struct form *form, const char *text, size_t len,
    struct extraction *ex)
{
	const char *nl;
	char *head, *rest, *all;
	size_t cut = len, hl, rl, o;
	int trigger;

	/* Past the language's bytes and the longest character there, so
	 * that they fold as in the whole. */
	if (len > LIMIT_LANG_BYTES + 4 && (nl = memchr(text +
	    LIMIT_LANG_BYTES + 4, '\n', len - LIMIT_LANG_BYTES - 4)) != NULL)
		cut = (size_t)(nl - text);
	/* What extract_language() scores, in the same pass. */
	head = form_fold_scan(form, text, cut, LIMIT_LANG_BYTES,
	    ex->lang_score, &trigger, &hl);
	if (trigger || cut == len) {
		free(head);
		return trigger;
	}
	rest = text_fold_n(text + cut, len - cut, &rl);
	all = xmalloc(hl + rl + 2);
	memcpy(all, head, hl);
	o = hl;
	if (hl > 0 && rl > 0)
		all[o++] = ' ';
	memcpy(all + o, rest, rl + 1);
	trigger = form_text_scan(form, all, o + rl, 0, NULL);
	free(all);
	free(rest);
	free(head);
	return trigger;
}

static int
popcount(unsigned v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static enum lang
best_lang(const int *score)
{
	int l, best = LANG_EN;

	for (l = 1; l < LANG_COUNT; l++)
		if (score[l] > score[best])
			best = l;
	return (enum lang)best;
}

static void
read_headers(struct intake_result *r, const struct mime_message *m)
{
	const char *v;
	char *name = NULL;

	read_ids(r, m);
	if ((v = mime_header_get(m, "Subject")) != NULL)
		r->subject = text_squeeze(v);
	if ((v = mime_header_get(m, "From")) != NULL &&
	    mime_address(v, &r->from_addr, &name) == 0)
		r->from_name = name;
	if ((v = mime_header_get(m, "Reply-To")) != NULL) {
		name = NULL;
		if (mime_address(v, &r->reply_to, &name) == 0)
			free(name);
	}
	r->date = date_iso(mime_header_get(m, "Date"));
	if (r->subject) {
		unsigned long n = intake_reference_in(r->subject);

		if (n > 0 && n <= 999999999UL)
			snprintf(r->reference, sizeof(r->reference),
			    "REQ-%06lu", n);
	}
}

/* X-Auto-Response-Suppress: All or AutoReply asks us not to answer. */
static void
read_suppress(struct intake_result *r, const struct mime_message *m)
{
	const char *v = mime_header_get(m, "X-Auto-Response-Suppress");

	if (v && (header_lists(v, "All") || header_lists(v, "AutoReply"))) {
		r->flags |= FLAG_REPLY_SUPPRESSED;
		r->suppress_reason = xstrdup("X-Auto-Response-Suppress");
	}
}

/* Skip white space and (nested, escaped) comments: RFC 5322 CFWS. */
static const char *
skip_cfws(const char *p)
{
	size_t depth = 0;

	for (; *p != '\0'; p++) {
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
		} else if (*p == '(')
			depth = 1;
		else if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

/* The ';' that ends the result at p (or the end): none inside a comment
 * or a quoted string counts, where a sender's own words can appear. */
static const char *
result_end(const char *p)
{
	size_t depth = 0;
	int quoted = 0;

	for (; *p != '\0'; p++) {
		if ((quoted || depth > 0) && *p == '\\' && p[1] != '\0')
			p++;
		else if (quoted) {
			if (*p == '"')
				quoted = 0;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p == '"')
			quoted = 1;
		else if (depth == 0 && *p == ';')
			break;
	}
	return p;
}

/* A method or result token at p, lower-cased into out; past it. */
static const char *
auth_token(const char *p, char *out, size_t outlen)
{
	size_t n = 0;

	for (; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
	    p++)
		if (n + 1 < outlen)
			out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
	out[n] = '\0';
	return p;
}

/*
 * The results of one Authentication-Results value (RFC 8601): after the
 * authserv-id, each ";"-separated result starts "method[/version] =
 * result".  Only that start is read: a "dmarc=pass" inside a comment, a
 * quoted string or a property value (all of which can hold a sender's
 * words) is never taken for a result.  The first result of each method
 * counts.
 */
static void
auth_results(const char *v, char *dmarc, char *spf, char *dkim, size_t len)
{
	char method[16], result[16];
	const char *p = result_end(v);	/* past authserv-id and version */

	dmarc[0] = spf[0] = dkim[0] = '\0';
	while (*p == ';') {
		p = auth_token(skip_cfws(p + 1), method, sizeof(method));
		if (*p == '/')		/* method version */
			p = auth_token(skip_cfws(p + 1), result,
			    sizeof(result));
		p = skip_cfws(p);
		if (*p == '=') {
			p = auth_token(skip_cfws(p + 1), result,
			    sizeof(result));
			if (strcmp(method, "dmarc") == 0 && dmarc[0] == '\0')
				snprintf(dmarc, len, "%s", result);
			else if (strcmp(method, "spf") == 0 && spf[0] == '\0')
				snprintf(spf, len, "%s", result);
			else if (strcmp(method, "dkim") == 0 && dkim[0] == '\0')
				snprintf(dkim, len, "%s", result);
		}
		p = result_end(p);
	}
}

/*
 * Authentication-Results are believed only from our own
 * MTA's authserv-id, and only the topmost such header (the one our MTA
 * added; RFC 8601 has MTAs drop look-alikes, and one written further down
 * by a sender proves nothing).  Authenticated means DMARC passed, or,
 * without a DMARC verdict, SPF or DKIM passed and neither failed.  With
 * no header from that id the sender is not authenticated either.
 */
static int
authenticated(const struct mime_message *m, const char *authserv_id)
{
	size_t i, idl = strlen(authserv_id);
	char dmarc[16], spf[16], dkim[16];
	const char *v;

	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name,
		    "Authentication-Results") != 0)
			continue;
		v = m->headers[i].value;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, authserv_id, idl) != 0 ||
		    (v[idl] != ';' && v[idl] != ' ' && v[idl] != '\t'))
			continue;
		auth_results(v, dmarc, spf, dkim, sizeof(dmarc));
		if (strcmp(dmarc, "pass") == 0)
			return 1;
		if (strcmp(dmarc, "fail") == 0)
			return 0;
		if (strcmp(spf, "fail") == 0 || strcmp(spf, "softfail") == 0 ||
		    strcmp(dkim, "fail") == 0)
			return 0;
		return strcmp(spf, "pass") == 0 || strcmp(dkim, "pass") == 0;
	}
	return 0;
}

/* a is b or a sub-domain of b (at a label boundary). */
static int
domain_within(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al < bl || strcasecmp(a + al - bl, b) != 0)
		return 0;
	return al == bl || a[al - bl - 1] == '.';
}

/* The official's address is at the sender's domain (either side may be a
 * sub-domain of the other) or under the Party's country domain. */
static int
domain_fits(const char *email, const char *sender, const char *iso2)
{
	const char *d = strrchr(email, '@'), *s;
	char cc[4];

	if (d == NULL)
		return 1;
	d++;
	if (sender && (s = strrchr(sender, '@')) != NULL &&
	    (domain_within(d, s + 1) || domain_within(s + 1, d)))
		return 1;
	if (iso2 && strlen(iso2) == 2) {
		if (strcasecmp(iso2, "EU") == 0)
			return domain_within(d, "europa.eu");
		/* ISO "GB" is the ".uk" top-level domain. */
		if (strcasecmp(iso2, "GB") == 0)
			return domain_within(d, "uk");
		cc[0] = (char)(iso2[0] | 0x20);
		cc[1] = (char)(iso2[1] | 0x20);
		cc[2] = '\0';
		return domain_within(d, cc);
	}
	return 0;
}

static void
check_domains(struct intake_result *r)
{
	size_t i;

	for (i = 0; i < r->nofficials; i++) {
		const struct official *o = &r->officials[i];

		if (o->f[FIELD_EMAIL].value == NULL)
			continue;
		if (!domain_fits(o->f[FIELD_EMAIL].value, r->from_addr,
		    o->f[FIELD_COUNTRY].value))
			r->flags |= FLAG_DOMAIN_MISMATCH;
	}
}

static void
decide(const struct form *form, struct intake_result *r,
    const struct mime_message *m, struct extraction *ex,
    const struct intake_opts *opts)
{
	int f;

	if (opts && opts->header_only) {
		r->status = STATUS_REVIEW;
		r->flags |= FLAG_OVERSIZE;
		r->reason = xstrdup("over max_message_size: header only");
		return;
	}
	if (ex->nofficials > 0) {
		r->officials = ex->officials;
		r->nofficials = ex->nofficials;
		ex->officials = NULL;
		ex->nofficials = 0;
		r->status = intake_decide(form, r->officials, r->nofficials,
		    &r->flags);
		check_domains(r);
		return;
	}
	if (m && m->nattachments > 0) {
		r->status = STATUS_REVIEW;
		r->flags |= FLAG_ATTACHMENT_ONLY;
		r->reason = xstrdup("data only in attachments");
		return;
	}
	r->status = STATUS_INCOMPLETE;
	if (r->flags & FLAG_FOLLOW_UP)
		return;		/* the store decides with the request */
	/* A request naming no official: ask for all seven fields. */
	r->officials = xcalloc(1, sizeof(*r->officials));
	r->nofficials = 1;
	for (f = 0; f < FIELD_COUNT; f++)
		r->officials[0].f[f].problem = PROBLEM_MISSING;
}

struct intake_result *
intake_parse(const struct form *form, const struct intake_opts *opts,
    const char *raw, size_t len)
{
	struct intake_result *r;
	struct mime_message *m = NULL;
	struct extraction ex;
	struct buf alltext;
	char err[256], *folded;
	const char *why, *text;
	int trigger, concerns, labels;

	if (len == 0)
		return intake_quarantined("empty message");
	if (mime_parse(raw, len, &m, err, sizeof(err)) == -1)
		return intake_quarantined(err);

	r = xcalloc(1, sizeof(*r));
	read_headers(r, m);
	read_suppress(r, m);
	if (opts && opts->trusted_authserv_id &&
	    !authenticated(m, opts->trusted_authserv_id))
		r->flags |= FLAG_UNAUTHENTICATED;
	if (answers_us(r) || r->reference[0])
		r->flags |= FLAG_FOLLOW_UP;

	memset(&ex, 0, sizeof(ex));
	buf_init(&alltext, LIMIT_TOTAL_TEXT + 4096);
	/* The text is seldom longer than the message: room at once. */
	(void)buf_reserve(&alltext, len < LIMIT_TOTAL_TEXT ? len :
	    LIMIT_TOTAL_TEXT);
	if (r->subject) {
		buf_addstr(&alltext, r->subject);
		buf_addch(&alltext, '\n');
	}
	if (!(opts && opts->header_only))
		extract_message(form, m, &ex, &alltext);
	/* After the extraction: an HTML twin read late may cut too. */
	if (ex.truncated || m->truncated)
		r->flags |= FLAG_TRUNCATED;
	/* Text without NULs (as every part is) folds the same way sanitised
	 * or not: one folding serves the language (its first
	 * LIMIT_LANG_BYTES) and the trigger words (all of it). */
	text = alltext.data ? alltext.data : "";
	if (strlen(text) == alltext.len)
		trigger = fold_scan(form, text, alltext.len, &ex);
	else {
		extract_language(form, text, &ex);
		folded = text_fold(text);
		trigger = form_text_scan(form, folded, strlen(folded), 0,
		    NULL);
		free(folded);
	}
	r->lang = best_lang(ex.lang_score);
	buf_free(&alltext);
	labels = popcount(ex.labels_seen);
	concerns = trigger || (r->flags & FLAG_FOLLOW_UP);

	why = machine_reason(m, r, opts);
	if (why != NULL) {
		r->machine = 1;
		r->class = concerns ? CLASS_IGNORED : CLASS_OTHER;
		r->status = STATUS_NONE;
		r->reason = xstrdup(why);
		r->flags &= FLAG_TRUNCATED | FLAG_FOLLOW_UP;
	} else if (concerns || labels >= 2) {
		r->class = CLASS_REQUEST;
		decide(form, r, m, &ex, opts);
	} else {
		r->class = CLASS_OTHER;
		r->status = STATUS_NONE;
		r->flags &= FLAG_TRUNCATED;
	}
	extraction_free(&ex);
	mime_message_free(m);
	return r;
}
