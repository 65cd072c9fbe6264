/* qr.c -- the text a label's QR code carries, and the code itself (libqrencode). */
#include "internal.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

/* Longest base URL taken: a label's QR code has to stay small enough to
 * scan from a 50 x 30 mm label, and config caps public_base lower anyway. */
#define QR_BASE_MAX 512

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/*
 * Upper-casing keeps a URL the same only in the scheme and the host: a path
 * or a user name may mean something else in capitals.  So: "scheme://host"
 * (with an optional :port and nothing else) is safe; a lower-case letter
 * after the host, or a user@ part, is not.
 */
static int upper_is_safe(const char *base, size_t len)
{
    const char *sep = strstr(base, "://");
    size_t i;

    if (!sep || (size_t)(sep - base) >= len || sep == base)
        return 0;
    for (const char *p = base; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return 0;
    i = (size_t)(sep - base) + 3;
    for (; i < len && base[i] != '/' && base[i] != '?' && base[i] != '#'; i++)
        if (base[i] == '@')
            return 0;
    for (; i < len; i++)
        if (is_lower(base[i]))
            return 0;
    return 1;
}

char *labels_qr_text(const char *base, const char *code)
{
    size_t blen, clen;
    char *out;
    int upper;

    if (!base || !code || !code[0] || strlen(base) > QR_BASE_MAX || strlen(code) > LABEL_CODE_LEN) {
        errno = EINVAL;
        return NULL;
    }
    blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') /* "http://host/" is the same base */
        blen--;
    clen = strlen(code);
    upper = upper_is_safe(base, blen);
    out = malloc(blen + 3 + clen + 1);
    if (!out) {
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < blen; i++)
        out[i] = upper && is_lower(base[i]) ? (char)(base[i] - 'a' + 'A') : base[i];
    memcpy(out + blen, upper ? "/L/" : "/l/", 3);
    memcpy(out + blen + 3, code, clen + 1);
    return out;
}

int labels_qr_encode(const char *text, struct label_qr *out)
{
    QRcode *q;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (!text || !text[0]) {
        errno = EINVAL;
        return -1;
    }
    /* casesensitive=1: with 0 libqrencode would upper-case the whole text
     * itself; with 1 it still picks alphanumeric mode for the upper-case
     * runs, which labels_qr_text made as long as it safely could. */
    q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return -1; /* errno from libqrencode: EINVAL, ERANGE or ENOMEM */
    n = (size_t)q->width * (size_t)q->width;
    out->dark = malloc(n);
    if (!out->dark) {
        QRcode_free(q);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        out->dark[i] = q->data[i] & 1; /* the other bits are libqrencode's bookkeeping */
    out->width = q->width;
    QRcode_free(q);
    return 0;
}

void labels_qr_free(struct label_qr *qr)
{
    if (!qr)
        return;
    free(qr->dark);
    qr->dark = NULL;
    qr->width = 0;
}

/* Decimal digits of 0 <= v < 1000 (QR sizes are under 200) at p; returns the end. */
static char *put_small(char *p, int v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

void lbl_qr_path(struct lbuf *b, const struct label_qr *qr)
{
    int w = qr->width;

    /* One rectangle per horizontal run of dark modules: about a third of
     * the size of one per module, and the same picture.  Written by hand,
     * not printf: this loop is most of the time an SVG takes. */
    for (int y = 0; y < w; y++) {
        const unsigned char *row = qr->dark + (size_t)y * (size_t)w;
        for (int x = 0; x < w;) {
            char tmp[32], *p = tmp;
            int run = 0;
            if (!row[x]) {
                x++;
                continue;
            }
            while (x + run < w && row[x + run])
                run++;
            *p++ = 'M';
            p = put_small(p, x + LBL_QUIET);
            *p++ = ' ';
            p = put_small(p, y + LBL_QUIET);
            *p++ = 'h';
            p = put_small(p, run);
            memcpy(p, "v1h-", 4);
            p = put_small(p + 4, run);
            *p++ = 'z';
            lbuf_append(b, tmp, (size_t)(p - tmp));
            x += run;
        }
    }
}

char *labels_qr_svg(const struct label_qr *qr, int module_px, size_t *len)
{
    struct lbuf b = {0};
    int span;

    if (!qr || !qr->dark || qr->width <= 0 || module_px < 1 || module_px > 100) {
        errno = EINVAL;
        return NULL;
    }
    span = qr->width + 2 * LBL_QUIET;
    lbuf_printf(&b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                " viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                span * module_px, span * module_px, span, span, span, span);
    lbl_qr_path(&b, qr);
    lbuf_puts(&b, "\"/></svg>\n");
    return lbuf_finish(&b, len);
}
