/*
 * svg.c -- one label as SVG.
 *
 * Sized in millimetres (width="50mm" and a viewBox in mm, so one user unit is
 * a millimetre); the QR code is a single <path> of module runs drawn in
 * module units under one transform, the text is real <text> in the viewer's
 * fonts (Noto Sans CJK SC when it has them).  With no shaper here, line
 * breaks and ellipses come from estimated advances (lbl_fit), generous
 * enough that a wider fallback font still stays inside the label.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SVG_FONT "Noto Sans CJK SC, Source Han Sans SC, sans-serif"
#define SVG_MONO "Noto Sans Mono CJK SC, Noto Sans Mono, DejaVu Sans Mono, monospace"

/* Text content and attribute values: the five XML specials as entities. */
static void put_xml(struct lbuf *b, const char *s)
{
    const char *run = s;

    for (; *s; s++) {
        const char *ent = NULL;
        switch (*s) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&apos;";
            break;
        }
        if (ent) {
            lbuf_append(b, run, (size_t)(s - run));
            lbuf_puts(b, ent);
            run = s + 1;
        }
    }
    lbuf_append(b, run, (size_t)(s - run));
}

char *labels_svg(const struct label_info *li, const char *base, struct label_size size, size_t *len)
{
    struct lbuf b = {0};
    struct label_qr qr = {0};
    struct lbl_geom g;
    struct lbl_line lines[LBL_MAX_LINES];
    struct lbl_wrapped wr[LBL_MAX_LINES];
    char row1[24], row2[24];
    char *text = NULL, *out = NULL;
    double y;
    int n;

    if (lbl_check_info(li) != 0 || lbl_check_size(size) != 0)
        return NULL;
    text = labels_qr_text(base, li->code);
    if (!text || labels_qr_encode(text, &qr) != 0)
        goto out;
    lbl_geometry(size.w_mm, size.h_mm, qr.width, 0, &g);

    lbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    lbuf_printf(&b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%gmm\" height=\"%gmm\""
                " viewBox=\"0 0 %g %g\">\n",
                g.w, g.h, g.w, g.h);
    lbuf_puts(&b, "<title>");
    put_xml(&b, li->code);
    lbuf_puts(&b, "</title>\n");
    lbuf_printf(&b, "<rect width=\"%g\" height=\"%g\" fill=\"#fff\"/>\n", g.w, g.h);
    lbuf_printf(&b,
                "<path fill=\"#000\" shape-rendering=\"crispEdges\""
                " transform=\"translate(%.4f %.4f) scale(%.5f)\" d=\"",
                g.qr_x, g.qr_y, g.module);
    lbl_qr_path(&b, &qr);
    lbuf_puts(&b, "\"/>\n");

    /* The code under the QR, two rows of five-character groups. */
    lbl_code_rows(li->code, row1, row2);
    lbuf_printf(&b,
                "<g font-family=\"" SVG_MONO "\" font-size=\"%.3f\" text-anchor=\"middle\""
                " fill=\"#000\">\n",
                g.code_em);
    for (int r = 0; r < 2; r++) {
        lbuf_printf(&b, "<text x=\"%.3f\" y=\"%.3f\">", g.code_x + g.code_w / 2,
                    g.code_y + (r * LBL_LINE_PITCH + LBL_BASELINE) * g.code_em);
        put_xml(&b, r == 0 ? row1 : row2);
        lbuf_puts(&b, "</text>\n");
    }
    lbuf_puts(&b, "</g>\n");

    /* The names and details in the column right of the QR. */
    n = lbl_lines(li, 0, lines);
    lbl_fit(lines, n, g.em, g.text_w, g.text_h, 0, wr);
    /* A viewer without Noto CJK may draw wider than estimated: clip to the column. */
    lbuf_printf(&b,
                "<clipPath id=\"t-%s\"><rect x=\"%.3f\" y=\"0\" width=\"%.3f\" height=\"%g\"/>"
                "</clipPath>\n",
                li->code, g.text_x, g.w - g.text_x, g.h);
    lbuf_printf(&b, "<g font-family=\"" SVG_FONT "\" fill=\"#000\" clip-path=\"url(#t-%s)\">\n",
                li->code);
    y = g.text_y;
    for (int i = 0; i < n; i++) {
        for (int r = 0; r < wr[i].nrows; r++) {
            lbuf_printf(&b, "<text x=\"%.3f\" y=\"%.3f\" font-size=\"%.3f\"%s>", g.text_x,
                        y + LBL_BASELINE * wr[i].em, wr[i].em,
                        lines[i].style == LBL_TITLE ? " font-weight=\"bold\"" : "");
            put_xml(&b, wr[i].rows[r]);
            lbuf_puts(&b, "</text>\n");
            y += LBL_LINE_PITCH * wr[i].em;
        }
    }
    lbuf_puts(&b, "</g>\n</svg>\n");
    out = lbuf_finish(&b, len);
out:
    if (!out)
        lbuf_free(&b);
    labels_qr_free(&qr);
    free(text);
    return out;
}
