/*
 * labels.h -- rendering of QR labels: SVG, PNG, PDF sheets and ZPL.
 *
 * No HTTP and no database in here: the caller fills struct label_info from
 * wherever the record lives, and gets bytes back.  Chinese text in PNG and
 * PDF goes through pango with the Noto CJK fonts; SVG carries the text as
 * text (the viewer's fonts draw it); ZPL uses the printer's own font for
 * ASCII and leaves Chinese to the PDF/PNG paths (see labels/README.md).
 *
 * All functions are thread-safe for distinct outputs.  Every function that
 * returns bytes returns malloc()ed memory the caller frees, or NULL/-1 with
 * errno set (EINVAL bad argument, ERANGE text too long for a QR code, ENOMEM).
 *
 * Limits (EINVAL outside them): 1..LABELS_MAX_PER_DOC labels per document,
 * labels LABELS_MIN_W_MM x LABELS_MIN_H_MM up to LABELS_MAX_MM a side, PNG
 * at 72..1200 dpi and at most LABELS_MAX_PIXELS pixels, ZPL at 152, 203, 300
 * or 600 dpi.  The HTTP API has its own, lower limit (5000 per sheet).
 */
#ifndef RELIEF_LABELS_H
#define RELIEF_LABELS_H

#include <stddef.h>

#include "labels/code.h"

#define LABELS_MAX_PER_DOC 50000
#define LABELS_MIN_W_MM 20.0
#define LABELS_MIN_H_MM 12.0
#define LABELS_MAX_MM 300.0
#define LABELS_MAX_PIXELS (25L * 1000 * 1000)

/* What a label says.  Strings may be NULL (that line is left out). */
struct label_info {
    char code[LABEL_CODE_LEN + 1]; /* the short code (labels/code.h) */
    const char *kind;              /* "lot", "asset", "bin" or "depot" */
    const char *title_zh;          /* item name (or depot/bin name) in Chinese */
    const char *title_en;
    const char *lot_no;
    const char *expiry;    /* YYYY-MM-DD */
    const char *serial_no; /* assets */
    const char *depot;     /* depot name or code */
    const char *bin;       /* bin code */
};

/*
 * The text a label's QR code carries: base URL + "/L/" + code, upper-cased
 * when that keeps it the same URL (scheme and host are case-insensitive; the
 * server answers /L/ and /l/ alike), so QR's alphanumeric mode encodes it in
 * fewer modules.  `base` like "https://192.168.1.10:8443" (no trailing /).
 * Returns malloc()ed text.
 */
char *labels_qr_text(const char *base, const char *code);

/* A QR code as a module matrix (error correction level M). */
struct label_qr {
    int width;           /* modules per side, without the quiet zone */
    unsigned char *dark; /* width*width, 1 = dark */
};
int labels_qr_encode(const char *text, struct label_qr *out);
void labels_qr_free(struct label_qr *qr);
/* Just the QR code as a stand-alone SVG (one <path>, 4-module quiet zone,
 * `module_px` user units per module): what `qrencode -t SVG` makes, for
 * screens and for the benchmark that compares the two. */
char *labels_qr_svg(const struct label_qr *qr, int module_px, size_t *len);

/* Label sizes in millimetres (the thermal stock sizes; sheets use their own). */
struct label_size {
    double w_mm, h_mm;
};
#define LABEL_50x30 ((struct label_size){50.0, 30.0})
#define LABEL_100x50 ((struct label_size){100.0, 50.0})

/* One label as SVG (vector, sized in mm). */
char *labels_svg(const struct label_info *li, const char *base, struct label_size size,
                 size_t *len);
/* One label as PNG at `dpi` (e.g. 203, 300). */
unsigned char *labels_png(const struct label_info *li, const char *base, struct label_size size,
                          int dpi, size_t *len);

/* An A4 sheet layout for office printers. */
struct sheet_layout {
    int cols, rows; /* e.g. 3x8, 2x5 */
    double margin_top_mm, margin_left_mm, margin_bottom_mm, margin_right_mm;
    double gap_x_mm, gap_y_mm; /* between labels */
};
/* The presets (labels/README.md has the label stock they fit):
 *   "a4-3x8"  24 labels of 70 x 36 mm, top and bottom margins 4.5 mm, no gaps
 *   "a4-2x5"  10 labels of 99.1 x 57 mm, margins 6 mm top/bottom and 4.65 mm
 *             left/right, 2.5 mm between the columns
 * -1 for an unknown name. */
int labels_sheet_preset(const char *name, struct sheet_layout *out);
/* The label size a layout gives on A4 (210 x 297 mm): the page less the
 * margins and gaps, shared out.  -1 with errno EINVAL when the grid is not
 * 1..20 a side, a margin or gap is negative, or the labels come out smaller
 * than LABELS_MIN_W_MM x LABELS_MIN_H_MM. */
int labels_sheet_label_size(const struct sheet_layout *lay, struct label_size *out);

/* PDF of n labels laid out on as many A4 pages as needed. */
unsigned char *labels_pdf_sheet(const struct label_info *lis, size_t n, const char *base,
                                const struct sheet_layout *lay, size_t *len);

/* ZPL II for n labels (one ^XA..^XZ each) at 203 or 300 dpi. */
char *labels_zpl(const struct label_info *lis, size_t n, const char *base, struct label_size size,
                 int dpi, size_t *len);

/*
 * Give back what pango, cairo and fontconfig keep for the life of the
 * process (font maps, caches), so a leak checker at exit sees only real
 * leaks.  Call it at the very end, from the thread that drew last, when no
 * other thread is drawing; nothing here needs it in normal operation.
 */
void labels_cleanup(void);

#endif
