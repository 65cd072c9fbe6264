/*
 * render.c -- labels through cairo and pango: one label as PNG, many as an
 * A4 PDF sheet.
 *
 * Text is shaped by pango with the Noto CJK fonts (fonts-noto-cjk), so
 * Chinese names come out as real glyphs in the PNG and as real, searchable
 * text in the PDF (cairo embeds a subset of the font with its ToUnicode map).
 * Long names wrap onto two rows and are ellipsized after that; when the
 * whole column is still too tall every font shrinks alike.
 *
 * Coordinates: the label geometry is in mm (internal.h); `u` converts to
 * the surface's units (pixels for PNG, points for PDF).  The CTM stays the
 * identity, so one PangoContext serves a whole document.  In a PNG the QR's
 * modules are whole pixels and drawn without antialiasing: a 203 dpi thermal
 * print of it is as sharp as the head allows.
 */
#include "internal.h"

#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#define FONT_SANS "Noto Sans CJK SC,Noto Sans CJK,sans-serif"
/* The CJK family's monospace face for the code: half-width Latin, and a CFF
 * font like the rest -- cairo 1.16 leaks 768 bytes per PDF that embeds a
 * TrueType font (Noto Sans Mono, DejaVu), none for CFF ones. */
#define FONT_MONO "Noto Sans Mono CJK SC,Noto Sans Mono,DejaVu Sans Mono,monospace"
#define A4_W_MM 210.0
#define A4_H_MM 297.0
#define PT_PER_MM (72.0 / 25.4)

/* What drawing a document needs, made once per document. */
struct pen {
    cairo_t *cr;
    PangoContext *pc;
    PangoFontDescription *sans, *mono;
    double u;  /* surface units per mm */
    double px; /* mm per pixel when pixel-aligned, else 0 */
};

static int pen_init(struct pen *p, cairo_surface_t *s, double u, double px)
{
    cairo_font_options_t *fo;

    memset(p, 0, sizeof(*p));
    p->u = u;
    p->px = px;
    p->cr = cairo_create(s);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
        return -1;
    p->pc = pango_cairo_create_context(p->cr);
    p->sans = pango_font_description_from_string(FONT_SANS);
    p->mono = pango_font_description_from_string(FONT_MONO);
    if (!p->pc || !p->sans || !p->mono)
        return -1;
    /* Metrics unhinted: text is placed in fractions of a mm, and hinting
     * would round advances to whole pixels at 203 dpi and push text out. */
    fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(p->pc, fo);
    cairo_font_options_destroy(fo);
    return 0;
}

static void pen_free(struct pen *p)
{
    if (p->sans)
        pango_font_description_free(p->sans);
    if (p->mono)
        pango_font_description_free(p->mono);
    if (p->pc)
        g_object_unref(p->pc);
    if (p->cr)
        cairo_destroy(p->cr);
}

/* A layout of `text` at `em` mm, at most `width` mm wide (0: unbounded) and
 * `rows` rows, ellipsized at the end of the last. */
static PangoLayout *make_layout(struct pen *p, PangoFontDescription *fd, PangoWeight weight,
                                const char *text, double em, double width, int rows)
{
    PangoLayout *l = pango_layout_new(p->pc);

    pango_font_description_set_absolute_size(fd, em * p->u * PANGO_SCALE);
    pango_font_description_set_weight(fd, weight);
    pango_layout_set_font_description(l, fd); /* copied */
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * p->u * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        pango_layout_set_height(l, -rows); /* negative: at most this many rows */
    }
    pango_layout_set_text(l, text, -1);
    return l;
}

/* Draw each row of l with its baseline LBL_LINE_PITCH em below the one before. */
static void show_rows(struct pen *p, PangoLayout *l, double x, double baseline, double em,
                      int centre_w)
{
    int n = pango_layout_get_line_count(l);

    for (int i = 0; i < n; i++) {
        PangoLayoutLine *line = pango_layout_get_line_readonly(l, i);
        double dx = 0;
        if (centre_w > 0) {
            PangoRectangle ink, logical;
            pango_layout_line_get_extents(line, &ink, &logical);
            dx = (centre_w - (double)logical.width / PANGO_SCALE) / 2;
        }
        cairo_move_to(p->cr, x + dx, (baseline + i * LBL_LINE_PITCH * em) * p->u);
        pango_cairo_show_layout_line(p->cr, line);
    }
}

/*
 * In a PDF the QR is a 1-bit stencil mask, one bit per module, scaled up
 * with /Interpolate false: about 200 bytes per code, and printers and
 * viewers draw its edges exactly.  (A path of rectangles, tried first, made
 * cairo print some 3,000 coordinates per label: most of a sheet's time.)
 */
static int draw_qr_mask(struct pen *p, const struct label_qr *qr, const struct lbl_geom *g,
                        double x0, double y0)
{
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A1, qr->width, qr->width);
    cairo_pattern_t *pat;
    unsigned char *data;
    int stride;

    if (cairo_surface_status(m) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(m);
        return -1;
    }
    cairo_surface_flush(m);
    data = cairo_image_surface_get_data(m);
    stride = cairo_image_surface_get_stride(m);
    memset(data, 0, (size_t)stride * (size_t)qr->width);
    /* A1 packs 32 pixels into a native-endian uint32, pixel x at bit x % 32
     * on little-endian machines and at bit 31 - x % 32 on big-endian ones. */
    for (int y = 0; y < qr->width; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < qr->width; x++) {
            if (!qr->dark[(size_t)y * (size_t)qr->width + (size_t)x])
                continue;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            row[x / 32] |= (uint32_t)1 << (31 - x % 32);
#else
            row[x / 32] |= (uint32_t)1 << (x % 32);
#endif
        }
    }
    cairo_surface_mark_dirty(m);
    pat = cairo_pattern_create_for_surface(m);
    cairo_pattern_set_filter(pat, CAIRO_FILTER_NEAREST);
    cairo_save(p->cr);
    cairo_translate(p->cr, (x0 + g->qr_x + LBL_QUIET * g->module) * p->u,
                    (y0 + g->qr_y + LBL_QUIET * g->module) * p->u);
    cairo_scale(p->cr, g->module * p->u, g->module * p->u);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    cairo_mask(p->cr, pat);
    cairo_restore(p->cr);
    cairo_pattern_destroy(pat);
    cairo_surface_destroy(m);
    return 0;
}

/* In a PNG: rectangles of whole pixels, no antialiasing, one fill. */
static void draw_qr_rects(struct pen *p, const struct label_qr *qr, const struct lbl_geom *g,
                          double x0, double y0)
{
    cairo_t *cr = p->cr;

    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_new_path(cr);
    for (int y = 0; y < qr->width; y++) {
        const unsigned char *row = qr->dark + (size_t)y * (size_t)qr->width;
        for (int x = 0; x < qr->width;) {
            int run = 0;
            if (!row[x]) {
                x++;
                continue;
            }
            while (x + run < qr->width && row[x + run])
                run++;
            /* Exact pixel edges, whatever the rounding of mm. */
            cairo_rectangle(cr, round((x0 + g->qr_x + (x + LBL_QUIET) * g->module) * p->u),
                            round((y0 + g->qr_y + (y + LBL_QUIET) * g->module) * p->u),
                            round(run * g->module * p->u), round(g->module * p->u));
            x += run;
        }
    }
    /* One fill of all runs: adjacent rectangles merge without hairline seams. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_fill(cr);
    cairo_restore(cr);
}

static int draw_qr(struct pen *p, const struct label_qr *qr, const struct lbl_geom *g, double x0,
                   double y0)
{
    if (p->px > 0) {
        draw_qr_rects(p, qr, g, x0, y0);
        return 0;
    }
    return draw_qr_mask(p, qr, g, x0, y0);
}

/* Lay out lines[0..n) at `scale` into lay[] (replacing what is there);
 * returns their height in mm. */
static double shape(struct pen *p, const struct lbl_geom *g, const struct lbl_line *lines, int n,
                    PangoLayout **lay, double scale)
{
    double total = 0;

    for (int i = 0; i < n; i++) {
        double em = g->em[lines[i].style] * lines[i].scale * scale;
        if (lay[i])
            g_object_unref(lay[i]);
        lay[i] = make_layout(p, p->sans,
                             lines[i].style == LBL_TITLE ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                             lines[i].text, em, g->text_w, lines[i].max_lines);
        total += pango_layout_get_line_count(lay[i]) * LBL_LINE_PITCH * em;
    }
    return total;
}

/* One label with its top-left corner at (x0, y0) mm on the surface. */
static int draw_label(struct pen *p, const struct label_info *li, const char *base,
                      struct label_size size, double x0, double y0)
{
    struct label_qr qr = {0};
    struct lbl_geom g;
    struct lbl_line lines[LBL_MAX_LINES];
    PangoLayout *lay[LBL_MAX_LINES] = {0};
    char row1[24], row2[24];
    char *text = NULL;
    double scale = 1.0, y;
    int n, rc = -1;

    text = labels_qr_text(base, li->code);
    if (!text || labels_qr_encode(text, &qr) != 0)
        goto out;
    lbl_geometry(size.w_mm, size.h_mm, qr.width, p->px, &g);
    if (draw_qr(p, &qr, &g, x0, y0) != 0) {
        errno = ENOMEM;
        goto out;
    }

    cairo_save(p->cr);
    /* Nothing of one label may spill onto its neighbour on a sheet. */
    cairo_rectangle(p->cr, x0 * p->u, y0 * p->u, g.w * p->u, g.h * p->u);
    cairo_clip(p->cr);
    cairo_set_source_rgb(p->cr, 0, 0, 0);

    /* The code rows: as wide as the QR in this font's advances, as far as
     * the room under the QR allows; both rows the size of the longer one. */
    lbl_code_rows(li->code, row1, row2);
    double code_em = g.code_em;
    {
        PangoLayout *l = make_layout(p, p->mono, PANGO_WEIGHT_NORMAL, row1, code_em, 0, 1);
        int lw, lh;
        pango_layout_get_size(l, &lw, &lh);
        g_object_unref(l);
        if (lw > 0)
            code_em *= g.code_w * p->u / ((double)lw / PANGO_SCALE);
        if (code_em > g.code_room)
            code_em = g.code_room;
    }
    for (int r = 0; r < 2; r++) {
        PangoLayout *l =
            make_layout(p, p->mono, PANGO_WEIGHT_NORMAL, r ? row2 : row1, code_em, 0, 1);
        show_rows(p, l, (x0 + g.code_x) * p->u,
                  y0 + g.code_y + (r * LBL_LINE_PITCH + LBL_BASELINE) * code_em, code_em,
                  (int)(g.code_w * p->u));
        g_object_unref(l);
    }

    /* Shape at full size; when the rows are too tall, find the largest size
     * (the same for all) at which they fit, as lbl_fit does for SVG. */
    n = lbl_lines(li, 0, lines);
    for (int i = 0; i < n; i++) {
        if (lines[i].style == LBL_TITLE) {
            PangoLayout *l = make_layout(p, p->sans, PANGO_WEIGHT_BOLD, lines[i].text, 10.0, 0, 1);
            int lw, lh;
            pango_layout_get_size(l, &lw, &lh);
            g_object_unref(l);
            lines[i].scale =
                lbl_title_scale((double)lw / PANGO_SCALE / p->u / 10.0, g.em[LBL_TITLE], g.text_w);
        }
    }
    if (shape(p, &g, lines, n, lay, 1.0) > g.text_h) {
        double lo = LBL_MIN_SCALE, hi = 1.0;
        for (int i = 0; i < LBL_FIT_STEPS; i++) {
            double mid = (lo + hi) / 2;
            if (shape(p, &g, lines, n, lay, mid) <= g.text_h)
                lo = mid;
            else
                hi = mid;
        }
        scale = lo;
        shape(p, &g, lines, n, lay, scale);
    }
    y = y0 + g.text_y;
    for (int i = 0; i < n; i++) {
        double em = g.em[lines[i].style] * lines[i].scale * scale;
        show_rows(p, lay[i], (x0 + g.text_x) * p->u, y + LBL_BASELINE * em, em, 0);
        y += pango_layout_get_line_count(lay[i]) * LBL_LINE_PITCH * em;
    }
    cairo_restore(p->cr);
    rc = cairo_status(p->cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
    if (rc != 0)
        errno = ENOMEM;
out:
    for (int i = 0; i < LBL_MAX_LINES; i++)
        if (lay[i])
            g_object_unref(lay[i]);
    labels_qr_free(&qr);
    free(text);
    return rc;
}

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int length)
{
    struct lbuf *b = closure;
    lbuf_append(b, data, length);
    return b->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

unsigned char *labels_png(const struct label_info *li, const char *base, struct label_size size,
                          int dpi, size_t *len)
{
    struct lbuf b = {0};
    struct pen p = {0};
    cairo_surface_t *s = NULL;
    char *out = NULL;
    long wpx, hpx;
    int saved = 0;

    if (lbl_check_info(li) != 0 || lbl_check_size(size) != 0)
        return NULL;
    wpx = lround(size.w_mm * dpi / 25.4);
    hpx = lround(size.h_mm * dpi / 25.4);
    if (dpi < 72 || dpi > 1200 || wpx * hpx > LABELS_MAX_PIXELS) {
        errno = EINVAL;
        return NULL;
    }
    /* A label is black on white: an 8-bit grey PNG, a third of the bytes
     * of RGB to compress (which is most of the time a PNG takes).  cairo
     * writes an A8 surface as grey with the alpha as the level, so the
     * paper is full alpha and ink is drawn by taking alpha away (CLEAR:
     * antialiased edges clear partly and come out grey). */
    s = cairo_image_surface_create(CAIRO_FORMAT_A8, (int)wpx, (int)hpx);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
        pen_init(&p, s, dpi / 25.4, 25.4 / dpi) != 0) {
        errno = ENOMEM;
        goto out;
    }
    cairo_set_source_rgba(p.cr, 0, 0, 0, 1);
    cairo_paint(p.cr);
    cairo_set_operator(p.cr, CAIRO_OPERATOR_CLEAR);
    if (draw_label(&p, li, base, size, 0, 0) != 0) {
        saved = errno;
        goto out;
    }
    cairo_surface_flush(s);
    if (cairo_surface_write_to_png_stream(s, write_buf, &b) != CAIRO_STATUS_SUCCESS) {
        saved = ENOMEM;
        goto out;
    }
    out = lbuf_finish(&b, len);
out:
    pen_free(&p);
    if (s)
        cairo_surface_destroy(s);
    if (!out) {
        lbuf_free(&b);
        if (saved)
            errno = saved;
    }
    return (unsigned char *)out;
}

/* ---------------------------------------------------------------- sheets */

int labels_sheet_preset(const char *name, struct sheet_layout *out)
{
    /* Real stock: 70 x 36 mm, 24 to a sheet (Avery Zweckform 3475 and its
     * many look-alikes), and 99.1 x 57 mm, 10 to a sheet (Avery L7173). */
    static const struct {
        const char *name;
        struct sheet_layout lay;
    } presets[] = {
        {"a4-3x8", {3, 8, 4.5, 0.0, 4.5, 0.0, 0.0, 0.0}},
        {"a4-2x5", {2, 5, 6.0, 4.65, 6.0, 4.65, 2.5, 0.0}},
    };

    for (size_t i = 0; name && i < sizeof(presets) / sizeof(presets[0]); i++) {
        if (strcmp(name, presets[i].name) == 0) {
            *out = presets[i].lay;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

int labels_sheet_label_size(const struct sheet_layout *lay, struct label_size *out)
{
    double w, h;

    if (!lay || lay->cols < 1 || lay->cols > 20 || lay->rows < 1 || lay->rows > 20 ||
        !(lay->margin_top_mm >= 0 && lay->margin_left_mm >= 0 && lay->margin_bottom_mm >= 0 &&
          lay->margin_right_mm >= 0 && lay->gap_x_mm >= 0 && lay->gap_y_mm >= 0)) {
        errno = EINVAL;
        return -1;
    }
    w = (A4_W_MM - lay->margin_left_mm - lay->margin_right_mm - (lay->cols - 1) * lay->gap_x_mm) /
        lay->cols;
    h = (A4_H_MM - lay->margin_top_mm - lay->margin_bottom_mm - (lay->rows - 1) * lay->gap_y_mm) /
        lay->rows;
    if (!(w >= LABELS_MIN_W_MM && h >= LABELS_MIN_H_MM)) { /* also catches NaN */
        errno = EINVAL;
        return -1;
    }
    out->w_mm = w;
    out->h_mm = h;
    return 0;
}

unsigned char *labels_pdf_sheet(const struct label_info *lis, size_t n, const char *base,
                                const struct sheet_layout *lay, size_t *len)
{
    struct lbuf b = {0};
    struct pen p = {0};
    struct label_size size;
    cairo_surface_t *s = NULL;
    char *out = NULL;
    size_t per_page;
    int saved = ENOMEM;

    if (!lis || n == 0 || n > LABELS_MAX_PER_DOC || labels_sheet_label_size(lay, &size) != 0) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (lbl_check_info(&lis[i]) != 0)
            return NULL;
    per_page = (size_t)lay->cols * (size_t)lay->rows;
    s = cairo_pdf_surface_create_for_stream(write_buf, &b, A4_W_MM * PT_PER_MM,
                                            A4_H_MM * PT_PER_MM);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || pen_init(&p, s, PT_PER_MM, 0) != 0)
        goto out;
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "ReliefStock labels");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "ReliefStock");
    for (size_t i = 0; i < n; i++) {
        size_t k = i % per_page;
        double x =
            lay->margin_left_mm + (double)(k % (size_t)lay->cols) * (size.w_mm + lay->gap_x_mm);
        double y =
            lay->margin_top_mm + (double)(k / (size_t)lay->cols) * (size.h_mm + lay->gap_y_mm);
        if (i > 0 && k == 0)
            cairo_show_page(p.cr);
        if (draw_label(&p, &lis[i], base, size, x, y) != 0) {
            saved = errno;
            goto out;
        }
    }
    cairo_show_page(p.cr);
    pen_free(&p);
    memset(&p, 0, sizeof(p));
    cairo_surface_finish(s); /* writes the rest of the file through write_buf */
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || b.failed)
        goto out;
    out = lbuf_finish(&b, len);
out:
    pen_free(&p);
    if (s)
        cairo_surface_destroy(s);
    if (!out) {
        lbuf_free(&b);
        errno = saved;
    }
    return (unsigned char *)out;
}

void labels_cleanup(void)
{
    /* This thread's font map first (it holds fonts in cairo and patterns in
     * fontconfig), then cairo's font caches, then fontconfig's. */
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}
