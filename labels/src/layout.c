/* layout.c -- the output buffer, label text and label geometry every writer shares. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- buffer */

static int lbuf_grow(struct lbuf *b, size_t need)
{
    size_t cap;
    char *p;

    if (b->failed)
        return -1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 4096;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void lbuf_append(struct lbuf *b, const void *p, size_t n)
{
    if (n == 0 || lbuf_grow(b, b->len + n + 1) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void lbuf_puts(struct lbuf *b, const char *s)
{
    lbuf_append(b, s, strlen(s));
}

void lbuf_printf(struct lbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    /* Most pieces are short: try the room there is, grow once if it was not enough. */
    if (lbuf_grow(b, b->len + 256) != 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (lbuf_grow(b, b->len + (size_t)n + 1) != 0)
            return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

char *lbuf_finish(struct lbuf *b, size_t *len)
{
    char *p;

    if (b->failed || lbuf_grow(b, b->len + 1) != 0) {
        lbuf_free(b);
        errno = ENOMEM;
        return NULL;
    }
    b->data[b->len] = '\0';
    p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void lbuf_free(struct lbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- text */

int lbl_utf8_next(const char *s, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0], min;
    int n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        c &= 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        c &= 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not text. */
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return n;
}

int lbl_is_wide(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

double lbl_char_em(unsigned cp)
{
    /* Noto Sans CJK SC's advances, rounded up a little (measured with pango:
     * digits 0.555, capitals 0.633 on average, lower case 0.527, space 0.224). */
    if (lbl_is_wide(cp))
        return 1.0;
    if (cp == ' ')
        return 0.25;
    if (cp == 'i' || cp == 'l' || cp == 'j' || cp == 'I' || cp == '.' || cp == ',' || cp == ':' ||
        cp == ';' || cp == '\'' || cp == '!' || cp == '|')
        return 0.3;
    if (cp == '-' || cp == '/' || cp == '(' || cp == ')' || cp == '[' || cp == ']' || cp == 'f' ||
        cp == 't' || cp == 'r')
        return 0.4;
    if (cp == 'M' || cp == 'W' || cp == 'm' || cp == 'w' || cp == '@' || cp == '%')
        return 0.88;
    if (cp >= 'A' && cp <= 'Z')
        return 0.66;
    if (cp >= '0' && cp <= '9')
        return 0.56;
    return 0.55; /* lower case, most punctuation, accented Latin */
}

static void put_cp(char *out, size_t n, size_t *len, unsigned cp)
{
    char tmp[4];
    int k;

    if (cp < 0x80) {
        tmp[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | (cp >> 6));
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12));
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | (cp >> 18));
        tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*len + (size_t)k >= n) /* cut at a character boundary, never inside one */
        return;
    memcpy(out + *len, tmp, (size_t)k);
    *len += (size_t)k;
    out[*len] = '\0';
}

/* Append `s` to out, cleaned: controls become spaces, runs of spaces one
 * space, malformed bytes U+FFFD (ascii_only: dropped, as is all non-ASCII). */
static void put_clean(char *out, size_t n, size_t *len, const char *s, int ascii_only)
{
    unsigned cp;
    int space = *len == 0 || out[*len - 1] == ' ';

    while (*s) {
        s += lbl_utf8_next(s, &cp);
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
            cp = ' ';
        if (ascii_only && cp > 0x7E)
            continue;
        if (cp == ' ' && space)
            continue;
        space = cp == ' ';
        put_cp(out, n, len, cp);
    }
}

static int has_text(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t')
            return 1;
    return 0;
}

static void add_line(struct lbl_line *l, enum lbl_style st, int max_lines, const char *caption,
                     const char *value, int ascii_only)
{
    size_t len = 0;

    l->style = st;
    l->max_lines = max_lines;
    l->scale = 1.0;
    l->text[0] = '\0';
    if (caption)
        put_clean(l->text, sizeof(l->text), &len, caption, 0);
    put_clean(l->text, sizeof(l->text), &len, value, ascii_only);
    while (len > 0 && l->text[len - 1] == ' ')
        l->text[--len] = '\0';
}

int lbl_lines(const struct label_info *li, int ascii_only, struct lbl_line out[LBL_MAX_LINES])
{
    int n = 0;
    int zh = !ascii_only && has_text(li->title_zh), en = has_text(li->title_en);

    if (zh) {
        add_line(&out[n++], LBL_TITLE, 2, NULL, li->title_zh, 0);
        if (en)
            add_line(&out[n++], LBL_SUBTITLE, 2, NULL, li->title_en, 0);
    } else if (en) {
        add_line(&out[n++], LBL_TITLE, 2, NULL, li->title_en, ascii_only);
    }
    /* An ASCII-only name can still come out empty (a name all in Chinese). */
    if (n > 0 && !out[n - 1].text[0])
        n--;
    if (has_text(li->lot_no))
        add_line(&out[n++], LBL_DETAIL, 2, ascii_only ? "Lot " : "批号 Lot ", li->lot_no,
                 ascii_only);
    if (has_text(li->expiry))
        add_line(&out[n++], LBL_DETAIL, 2, ascii_only ? "Exp " : "有效期 Exp ", li->expiry,
                 ascii_only);
    if (has_text(li->serial_no))
        add_line(&out[n++], LBL_DETAIL, 2, ascii_only ? "S/N " : "序列号 S/N ", li->serial_no,
                 ascii_only);
    if (has_text(li->depot) || has_text(li->bin)) {
        /* "D-441900003 / A-01-02": the depot's code and the bin's, which
         * read as what they are without captions. */
        char both[LBL_LINE_MAX];
        size_t len = 0;
        both[0] = '\0';
        if (has_text(li->depot))
            put_clean(both, sizeof(both), &len, li->depot, ascii_only);
        if (has_text(li->bin)) {
            if (len)
                put_clean(both, sizeof(both), &len, " / ", 0);
            put_clean(both, sizeof(both), &len, li->bin, ascii_only);
        }
        add_line(&out[n++], LBL_DETAIL, 2, NULL, both, 0);
    }
    return n;
}

void lbl_code_rows(const char *code, char row1[24], char row2[24])
{
    size_t len = strlen(code), a = 0, b = 0;

    /* 27 characters: "XXXXX XXXXX XXXXX" over "XXXXX XXXXX XX". */
    for (size_t i = 0; i < len && i < LABEL_CODE_LEN; i++) {
        char *row = i < 15 ? row1 : row2;
        size_t *k = i < 15 ? &a : &b;
        size_t in_row = i < 15 ? i : i - 15;
        if (in_row > 0 && in_row % 5 == 0)
            row[(*k)++] = ' ';
        row[(*k)++] = code[i];
    }
    row1[a] = '\0';
    row2[b] = '\0';
}

/* Copy [p, end) into a row, without trailing spaces, plus `tail`. */
static void set_row(char *row, const char *p, const char *end, const char *tail)
{
    size_t n = (size_t)(end - p), t = strlen(tail);

    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n + t >= LBL_LINE_MAX)
        n = LBL_LINE_MAX - 1 - t; /* cannot happen: lines are shorter than a row */
    memcpy(row, p, n);
    memcpy(row + n, tail, t + 1);
}

static int wrap(const char *text, double em, double width, int max_rows, int ascii,
                char rows[LBL_MAX_ROWS][LBL_LINE_MAX])
{
    const char *ell = ascii ? "..." : "\xE2\x80\xA6"; /* U+2026 */
    double ell_w = (ascii ? 3 * lbl_char_em('.') : 1.0) * em;
    const char *p = text;
    int n = 0;

    if (max_rows > LBL_MAX_ROWS)
        max_rows = LBL_MAX_ROWS;
    while (*p && n < max_rows) {
        const char *q = p, *space = NULL;
        double x = 0;
        unsigned cp;

        while (*p == ' ')
            p++;
        if (!*p)
            break;
        for (q = p; *q;) {
            int k = lbl_utf8_next(q, &cp);
            double a = lbl_char_em(cp) * em;
            if (x + a > width && q > p)
                break;
            if (cp == ' ')
                space = q;
            x += a;
            q += k;
        }
        if (!*q) { /* the rest fits */
            set_row(rows[n++], p, q, "");
            p = q;
            break;
        }
        if (n + 1 < max_rows) { /* break, at the last space when there is one */
            const char *end = space && space > p ? space : q;
            set_row(rows[n++], p, end, "");
            p = end;
            continue;
        }
        /* The last row and more text: as much as fits with the ellipsis. */
        x = 0;
        for (q = p; *q;) {
            int k = lbl_utf8_next(q, &cp);
            double a = lbl_char_em(cp) * em;
            if (x + a + ell_w > width)
                break;
            x += a;
            q += k;
        }
        set_row(rows[n++], p, q, ell);
        p = q;
        break;
    }
    return n;
}

double lbl_title_scale(double natural_em, double em, double width)
{
    double need = natural_em * em;
    if (need <= width || need * 0.75 > width)
        return 1.0;
    return width / need * 0.999;
}

static double natural_em(const char *s)
{
    double w = 0;
    unsigned cp;
    while (*s) {
        s += lbl_utf8_next(s, &cp);
        w += lbl_char_em(cp);
    }
    return w;
}

static double fit_at(const struct lbl_line *lines, int n, const double em[3], double width,
                     int ascii, double scale, struct lbl_wrapped *out)
{
    double total = 0;

    for (int i = 0; i < n; i++) {
        /* Titles are bold, about 6 % wider. */
        double w = lines[i].style == LBL_TITLE ? width / 1.06 : width;
        out[i].em = em[lines[i].style] * lines[i].scale * scale;
        out[i].nrows = wrap(lines[i].text, out[i].em, w, lines[i].max_lines, ascii, out[i].rows);
        total += out[i].nrows * LBL_LINE_PITCH * out[i].em;
    }
    return total;
}

double lbl_fit(struct lbl_line *lines, int n, const double em[3], double width, double height,
               int ascii, struct lbl_wrapped *out)
{
    double lo = LBL_MIN_SCALE, hi = 1.0;

    for (int i = 0; i < n; i++)
        if (lines[i].style == LBL_TITLE)
            lines[i].scale =
                lbl_title_scale(natural_em(lines[i].text), em[LBL_TITLE], width / 1.06);

    if (fit_at(lines, n, em, width, ascii, 1.0, out) <= height)
        return fit_at(lines, n, em, width, ascii, 1.0, out);
    /* Smaller type may wrap onto fewer rows, so the height is not simply
     * proportional to the size: search for the largest size that fits. */
    for (int i = 0; i < LBL_FIT_STEPS; i++) {
        double mid = (lo + hi) / 2;
        if (fit_at(lines, n, em, width, ascii, mid, out) <= height)
            lo = mid;
        else
            hi = mid;
    }
    return fit_at(lines, n, em, width, ascii, lo, out);
}

/* ---------------------------------------------------------------- geometry */

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void lbl_geometry(double w, double h, int qr_width, double px, struct lbl_geom *g)
{
    /* The code rows take 2 x 1.2 em under the QR, and the em is set so a row
     * of 17 monospace characters (0.6 em each) spans the QR box. */
    const double rows_per_box = 2 * LBL_LINE_PITCH / (LBL_CODE_ROW_CHARS * 0.6);
    const double min_code_em = 1.5; /* about 4 pt: still readable on a thermal print */
    double edge, bottom, avail, box, room;

    memset(g, 0, sizeof(*g));
    g->w = w;
    g->h = h;
    g->pad = clampd(0.05 * (w < h ? w : h), 1.2, 3.0);
    /* The quiet zone is white margin already, so the QR sits close to the edge. */
    edge = clampd(0.5 * g->pad, 0.6, 1.5);
    bottom = 0.4 * g->pad;
    avail = h - edge - bottom;
    box = avail / (1 + rows_per_box);
    if (box > 0.48 * w)
        box = 0.48 * w;
    g->qr_span = qr_width + 2 * LBL_QUIET;
    g->module = box / g->qr_span;
    g->qr_x = g->qr_y = edge;
    if (px > 0) {
        /* Whole dots per module.  Rounding up beats rounding down (4 -> 5
         * dots is a quarter larger code) as long as the code rows keep a
         * readable size under it. */
        double dots = floor(g->module / px + 0.5);
        g->qr_x = g->qr_y = ceil(edge / px - 1e-9) * px;
        if (dots * px * g->qr_span > 0.5 * w ||
            g->qr_y + dots * px * g->qr_span + 2 * LBL_LINE_PITCH * min_code_em > h - bottom)
            dots = floor(g->module / px);
        g->module = (dots < 1 ? 1 : dots) * px;
    }
    g->qr_box = g->module * g->qr_span;
    g->code_x = g->qr_x;
    g->code_w = g->qr_box;
    g->code_y = g->qr_y + g->qr_box;
    room = (h - bottom - g->code_y) / (2 * LBL_LINE_PITCH);
    g->code_room = clampd(room, 0.8, 4.0);
    g->code_em = g->qr_box / (LBL_CODE_ROW_CHARS * 0.6);
    if (g->code_em > room)
        g->code_em = room;
    g->code_em = clampd(g->code_em, 0.8, 4.0);
    g->text_x = g->qr_x + g->qr_box + 0.3;
    g->text_y = g->pad;
    g->text_w = w - g->text_x - g->pad;
    g->text_h = h - 2 * g->pad;
    /* Large enough to read at arm's length; lbl_fit and the pango path shrink
     * them when a long name needs the room.  A title row holds at least five
     * Chinese characters. */
    g->em[LBL_TITLE] = clampd(0.13 * h, 1.5, 8.0);
    if (g->em[LBL_TITLE] > g->text_w / 5)
        g->em[LBL_TITLE] = g->text_w / 5;
    g->em[LBL_SUBTITLE] = clampd(0.085 * h, 1.2, 5.0);
    g->em[LBL_DETAIL] = clampd(0.08 * h, 1.2, 4.8);
}

int lbl_check_size(struct label_size size)
{
    if (!(size.w_mm >= LABELS_MIN_W_MM && size.w_mm <= LABELS_MAX_MM &&
          size.h_mm >= LABELS_MIN_H_MM && size.h_mm <= LABELS_MAX_MM)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int lbl_check_info(const struct label_info *li)
{
    char canon[LABEL_CODE_LEN + 1];

    /* Never print a code that would be refused when scanned: it must be a
     * well-formed code in its canonical (upper-case, ungrouped) form. */
    if (!li || strnlen(li->code, sizeof(li->code)) != LABEL_CODE_LEN ||
        label_code_parse(li->code, canon, NULL) != 0 || strcmp(canon, li->code) != 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}
