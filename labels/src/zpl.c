/*
 * zpl.c -- labels for Zebra-compatible thermal printers (ZPL II).
 *
 * One ^XA ... ^XZ format per label, sized with ^PW/^LL in printer dots
 * (mm x dpi / 25.4), laid out like the other outputs (lbl_geometry with the
 * module snapped to whole dots, so the ^BQ magnification is exact).
 *
 * The QR code is the printer's own (^BQN, model 2, error correction M,
 * automatic input mode: "^FDMA,<text>").  Text uses the resident scalable
 * font 0, which has no Chinese: the Chinese name is left out and the English
 * one is the title (labels/README.md explains how to add a CJK font and why
 * the PDF/PNG paths are the ones for Chinese).  All field data goes through
 * ^FH with '_' hex escapes, so ^ and ~ in a lot number cannot end a field or
 * start a command.  Widths of font 0 are estimated (lbl_fit) a little
 * generously, and every field also gets a one-row ^FB block of the column's
 * width, so a row can never run past the label's edge.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Field data with ^ ~ _ (and anything outside printable ASCII) as _XX. */
static void put_fd(struct lbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '^' || c == '~' || c == '_' || c < 0x20 || c > 0x7E)
            lbuf_printf(b, "_%02X", c);
        else
            lbuf_append(b, s, 1);
    }
}

static int label_zpl(struct lbuf *b, const struct label_info *li, const char *base,
                     struct label_size size, int dpi)
{
    const double dpm = dpi / 25.4; /* dots per mm */
    struct label_qr qr = {0};
    struct lbl_geom g;
    struct lbl_line lines[LBL_MAX_LINES];
    struct lbl_wrapped wr[LBL_MAX_LINES];
    double em[3];
    char row1[24], row2[24];
    char *text = NULL;
    long pw = lround(size.w_mm * dpm), ll = lround(size.h_mm * dpm);
    int n, mag, code_h, tx, tw, rc = -1;
    double y;

    text = labels_qr_text(base, li->code);
    if (!text || labels_qr_encode(text, &qr) != 0)
        goto out;
    lbl_geometry(size.w_mm, size.h_mm, qr.width, 1.0 / dpm, &g);
    mag = (int)lround(g.module * dpm);
    if (mag < 1)
        mag = 1;
    if (mag > 10) /* ^BQ's largest magnification */
        mag = 10;

    lbuf_printf(b, "^XA\n^CI28\n^PW%ld\n^LL%ld\n^LH0,0\n", pw, ll);
    /* ^BQ draws no quiet zone: the field starts at the first dark module. */
    lbuf_printf(b, "^FO%ld,%ld^BQN,2,%d,M^FH_^FDMA,", lround((g.qr_x + LBL_QUIET * g.module) * dpm),
                lround((g.qr_y + LBL_QUIET * g.module) * dpm), mag);
    put_fd(b, text);
    lbuf_puts(b, "^FS\n");

    /* The code in two rows under the QR, centred on it. */
    lbl_code_rows(li->code, row1, row2);
    code_h = (int)lround(g.code_em * dpm);
    for (int r = 0; r < 2; r++) {
        lbuf_printf(b, "^FO%ld,%ld^A0N,%d,%d^FB%ld,1,0,C^FH_^FD", lround(g.code_x * dpm),
                    lround((g.code_y + r * LBL_LINE_PITCH * g.code_em) * dpm), code_h, code_h,
                    lround(g.code_w * dpm));
        put_fd(b, r ? row2 : row1);
        lbuf_puts(b, "^FS\n");
    }

    /* Names and details, in dots, fitted like the SVG. */
    for (int s = 0; s < 3; s++)
        em[s] = g.em[s] * dpm;
    /* The title here is the English name: longer than the Chinese one the
     * size was chosen for, so a size nearer the subtitle's. */
    if (em[LBL_TITLE] > 1.25 * em[LBL_SUBTITLE])
        em[LBL_TITLE] = 1.25 * em[LBL_SUBTITLE];
    n = lbl_lines(li, 1, lines);
    tx = (int)lround(g.text_x * dpm);
    tw = (int)floor(g.text_w * dpm);
    lbl_fit(lines, n, em, tw, g.text_h * dpm, 1, wr);
    y = g.text_y * dpm;
    for (int i = 0; i < n; i++) {
        int h = (int)floor(wr[i].em);
        for (int r = 0; r < wr[i].nrows; r++) {
            lbuf_printf(b, "^FO%d,%ld^A0N,%d,%d^FB%d,1,0,L^FH_^FD", tx, lround(y), h, h, tw);
            put_fd(b, wr[i].rows[r]);
            lbuf_puts(b, "^FS\n");
            y += LBL_LINE_PITCH * wr[i].em;
        }
    }
    lbuf_puts(b, "^PQ1\n^XZ\n");
    rc = 0;
out:
    labels_qr_free(&qr);
    free(text);
    return rc;
}

char *labels_zpl(const struct label_info *lis, size_t n, const char *base, struct label_size size,
                 int dpi, size_t *len)
{
    struct lbuf b = {0};
    char *out;

    if (!lis || n == 0 || n > LABELS_MAX_PER_DOC || lbl_check_size(size) != 0 ||
        (dpi != 152 && dpi != 203 && dpi != 300 && dpi != 600)) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (lbl_check_info(&lis[i]) != 0 || label_zpl(&b, &lis[i], base, size, dpi) != 0) {
            int saved = errno;
            lbuf_free(&b);
            errno = saved;
            return NULL;
        }
    }
    out = lbuf_finish(&b, len);
    return out;
}
