/*
 * internal.h -- what the label writers share: a growing output buffer, the
 * lines a label says, and where things go on it.
 *
 * Every writer (svg.c, render.c for PNG and PDF, zpl.c) takes its text from
 * lbl_lines() and its places from lbl_geometry(), so the four outputs of one
 * label say the same thing in the same arrangement.  Units are millimetres
 * here; each writer converts to its own (SVG user units are mm, cairo points
 * or pixels, ZPL dots).
 */
#ifndef RELIEF_LABELS_INTERNAL_H
#define RELIEF_LABELS_INTERNAL_H

#include <stddef.h>

#include "labels/labels.h"

/* ---------------------------------------------------------------- buffer */

/* An append-only byte buffer.  A failed allocation sets `failed` and later
 * appends do nothing, so a writer checks once at the end (curl's dynbuf). */
struct lbuf {
    char *data;
    size_t len, cap;
    int failed;
};

void lbuf_append(struct lbuf *b, const void *p, size_t n);
void lbuf_puts(struct lbuf *b, const char *s);
void lbuf_printf(struct lbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The bytes (NUL-terminated) for the caller to free(), or NULL with errno
 * ENOMEM when an append failed (the buffer is freed either way). */
char *lbuf_finish(struct lbuf *b, size_t *len);
void lbuf_free(struct lbuf *b);

/* ---------------------------------------------------------------- text */

/* Decode one UTF-8 sequence at s (s[0] != 0): its length in bytes, and the
 * code point in *cp (U+FFFD for a malformed sequence, which counts 1 byte). */
int lbl_utf8_next(const char *s, unsigned *cp);
/* East Asian wide characters (CJK, kana, hangul, full-width forms): about
 * 1 em wide where Latin letters are about 0.55 em. */
int lbl_is_wide(unsigned cp);
/* Estimated advance of a code point in em, for writers without a shaper. */
double lbl_char_em(unsigned cp);

enum lbl_style {
    LBL_TITLE,    /* the item (or depot/bin) name, large */
    LBL_SUBTITLE, /* the other language's name */
    LBL_DETAIL,   /* lot, expiry, serial, depot and bin: one line each */
};

#define LBL_MAX_LINES 6
#define LBL_LINE_MAX 512

struct lbl_line {
    enum lbl_style style;
    int max_lines; /* how many printed lines it may wrap onto */
    double scale;  /* of the style's size: < 1 for a title that fits one row a little smaller */
    char text[LBL_LINE_MAX];
};

/* A title a little too long for one row is set up to 25 % smaller so it
 * does fit: "医用外科口罩" on one row reads better than "医用外科口" + "罩".
 * Given its natural width at 1 em and the room, the factor to use. */
double lbl_title_scale(double natural_em, double em, double width);

/* The lines of a label, cleaned: valid UTF-8, no control characters.  With
 * `ascii_only` (ZPL: the printer's resident font) the Chinese name and the
 * Chinese captions are left out and any other non-ASCII character is dropped.
 * Returns the number of lines. */
int lbl_lines(const struct label_info *li, int ascii_only, struct lbl_line out[LBL_MAX_LINES]);

/* A line after wrapping: at most LBL_MAX_ROWS printed rows. */
#define LBL_MAX_ROWS 2
#define LBL_LINE_PITCH 1.2 /* rows are 1.2 em apart */
#define LBL_BASELINE 0.95  /* the first baseline is 0.95 em below the top */
#define LBL_MIN_SCALE 0.3  /* text never shrinks below 30 % of its size (then it is cut) */
#define LBL_FIT_STEPS 6    /* bisection steps when shrinking: within 1 % of the best size */

struct lbl_wrapped {
    double em; /* font size after fitting */
    int nrows;
    char rows[LBL_MAX_ROWS][LBL_LINE_MAX];
};

/*
 * For writers without a shaper (SVG, ZPL): break lines[0..n) into rows no
 * wider than `width` by the estimated advances of lbl_char_em(), the last
 * allowed row of a line cut with an ellipsis ("..." when ascii), shrinking
 * every font alike until the rows fit `height` (titles first get their
 * lbl_title_scale).  `em` gives the starting
 * size per enum lbl_style; any unit, the same as width and height.  Returns
 * the height used.
 */
double lbl_fit(struct lbl_line *lines, int n, const double em[3], double width, double height,
               int ascii, struct lbl_wrapped *out);

/* The code as printed under the QR: groups of five, in two rows. */
#define LBL_CODE_ROW_CHARS 17 /* "XXXXX XXXXX XXXXX" */
void lbl_code_rows(const char *code, char row1[24], char row2[24]);

/* ---------------------------------------------------------------- geometry */

/* Where things go on one label, in mm from its top-left corner. */
struct lbl_geom {
    double w, h;
    double pad;            /* inner margin of the text column */
    double qr_x, qr_y;     /* top-left of the QR including its quiet zone */
    double module;         /* side of one module */
    int qr_span;           /* modules across, quiet zone included (width + 8) */
    double qr_box;         /* qr_span * module */
    double code_x, code_y; /* the code rows: centred in [code_x, code_x + code_w] */
    double code_w, code_em;
    double code_room;                      /* the largest em the two rows have room for */
    double text_x, text_y, text_w, text_h; /* the column right of the QR */
    double em[3];                          /* font size per enum lbl_style */
};

#define LBL_QUIET 4 /* modules of quiet zone on each side */

/*
 * Lay out a w x h mm label for a QR code `qr_width` modules across.  `px`
 * is the size of a device pixel (or printer dot) in mm: with px > 0 the
 * module size and the QR's corner are whole pixels, so the code stays sharp
 * on a 203 dpi thermal head; px = 0 for vector output.
 */
void lbl_geometry(double w, double h, int qr_width, double px, struct lbl_geom *g);

/* The dark modules of `qr` as SVG path data in module units, the quiet zone
 * included (the first module is at 4,4): one "M x,y h n v1 h-n z" per run. */
void lbl_qr_path(struct lbuf *b, const struct label_qr *qr);

/* Sanity limits shared by every writer; -1 with errno EINVAL outside them. */
int lbl_check_size(struct label_size size);
/* The label's code must be a valid code (labels/code.h) in canonical form. */
int lbl_check_info(const struct label_info *li);

#endif
