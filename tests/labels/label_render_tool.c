/*
 * label_render_tool -- renders labels with the real library, for the decode
 * test (tests/labels/decode.sh) and the benchmark (scripts/bench-labels).
 *
 *   label_render_tool set DIR [N]
 *       N labels (default 8) with fresh random codes and varied names, as
 *       PNG at 203 and 300 dpi in 50x30 and 100x50 mm, as PDF sheets (a4-3x8
 *       and a4-2x5 with their preset margins and with custom ones), as ZPL and
 *       SVG; DIR/expected.tsv lists "file<TAB>url" for every QR code drawn
 *       (for sheets also "<TAB>page<TAB>x<TAB>y<TAB>w<TAB>h", the label's cell
 *       in mm), DIR/zh-text.tsv "file<TAB>text" for Chinese text that must be
 *       in a PDF.
 *   label_render_tool bench DIR [LABELS [CODES]]
 *       times a LABELS-label (default 1000) a4-3x8 PDF and CODES (default
 *       10000) QR codes made into SVG in this process (and, for comparison,
 *       whole labels as SVG, the LABELS as ZPL, up to 200 as PNG); writes the
 *       QR texts to DIR/texts.txt (for the same run of `qrencode`) and prints
 *       key=value lines.
 *   label_render_tool one FORMAT OUT [SIZE [DPI]]
 *       one sample label (svg, png, zpl or pdf) for a look by eye.
 *   label_render_tool crop IN.pgm X Y W H OUT.pgm
 *       cut a rectangle (pixels) out of a binary greyscale PGM, as pdftoppm
 *       -gray writes them: one raster per page, then one crop per label is
 *       much quicker than asking pdftoppm for each label.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "labels/labels.h"

struct sample {
    const char *zh, *en, *lot, *expiry, *serial, *depot, *bin;
};

/* Names as the seed data has them, plus the awkward ones: long, XML-special, ZPL-special. */
static const struct sample samples[] = {
    {"折叠床", "Folding bed", "FB-2024-0311", "2029-03-31", NULL, "D-441900003", "A-01-02"},
    {"医用外科口罩", "Surgical mask (box of 50)", "MK20240612", "2026-06-11", NULL, "D-441900011",
     "B-03"},
    {"瓶装饮用水 550毫升×24瓶", "Bottled drinking water 550 ml x 24, shrink-wrapped pallet layer",
     "W-2025-07-A", "2026-01-31", NULL, "D-441900003", "C-12-04"},
    {"救生衣", "Life jacket <adult> & child", "LJ^2024~01_A", NULL, NULL, "D-441900020", "F-1"},
    {"发电机", "Petrol generator 5 kW", NULL, NULL, "GEN-5K-000117", "D-441900003", "E-02"},
    {"应急食品（压缩饼干）超长名称测试一二三四五六七八九十", "Emergency food ration", "EF240101",
     "2027-01-01", NULL, "D-441900099", "A-10-10"},
    {NULL, "Bin A-01-02", NULL, NULL, NULL, "D-441900003", "A-01-02"},
    {"东城街道应急物资仓库", "Dongcheng Subdistrict Emergency Depot", NULL, NULL, NULL,
     "D-441900003", NULL},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* A base the QR text is upper-cased for, and one with a lower-case path that keeps "/l/". */
static const char *const bases[] = {"http://192.168.1.10:8080", "https://relief.example.org",
                                    "https://relief.example.org/dongguan"};

static void fill(struct label_info *li, size_t i)
{
    const struct sample *s = &samples[i % NSAMPLES];
    memset(li, 0, sizeof(*li));
    label_code_new(li->code);
    li->kind = s->serial ? "asset" : s->lot ? "lot" : s->bin ? "bin" : "depot";
    li->title_zh = s->zh;
    li->title_en = s->en;
    li->lot_no = s->lot;
    li->expiry = s->expiry;
    li->serial_no = s->serial;
    li->depot = s->depot;
    li->bin = s->bin;
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "label_render_tool: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int expect(FILE *tsv, const char *file, const char *base, const char *code)
{
    char *url = labels_qr_text(base, code);
    if (!url)
        return -1;
    fprintf(tsv, "%s\t%s\n", file, url);
    free(url);
    return 0;
}

/* For a sheet: each label's page and cell (mm), so the test can crop it out. */
static int expect_cells(FILE *tsv, const char *file, const char *base, const struct label_info *lis,
                        size_t n, const struct sheet_layout *lay)
{
    struct label_size size;
    size_t per_page = (size_t)lay->cols * (size_t)lay->rows;

    if (labels_sheet_label_size(lay, &size) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t k = i % per_page;
        char *url = labels_qr_text(base, lis[i].code);
        if (!url)
            return -1;
        fprintf(tsv, "%s\t%s\t%zu\t%.3f\t%.3f\t%.3f\t%.3f\n", file, url, i / per_page + 1,
                lay->margin_left_mm + (double)(k % (size_t)lay->cols) * (size.w_mm + lay->gap_x_mm),
                lay->margin_top_mm + (double)(k / (size_t)lay->cols) * (size.h_mm + lay->gap_y_mm),
                size.w_mm, size.h_mm);
        free(url);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sheet(const char *dir, FILE *tsv, const char *file, const char *preset,
                 const struct sheet_layout *custom, size_t n, const char *base)
{
    struct label_info *lis = calloc(n, sizeof(*lis));
    struct sheet_layout lay;
    unsigned char *pdf;
    size_t len;
    int rc = -1;

    if (!lis)
        return -1;
    if (custom)
        lay = *custom;
    else if (labels_sheet_preset(preset, &lay) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        fill(&lis[i], i);
    pdf = labels_pdf_sheet(lis, n, base, &lay, &len);
    if (!pdf) {
        fprintf(stderr, "label_render_tool: %s: %s\n", file, strerror(errno));
        goto out;
    }
    rc = write_file(dir, file, pdf, len);
    free(pdf);
    if (rc == 0)
        rc = expect_cells(tsv, file, base, lis, n, &lay);
out:
    free(lis);
    return rc;
}

static int cmd_set(const char *dir, size_t n)
{
    static const struct {
        struct label_size size;
        const char *name;
    } sizes[] = {{LABEL_50x30, "50x30"}, {LABEL_100x50, "100x50"}};
    static const int dpis[] = {203, 300};
    char path[1024], name[256];
    FILE *tsv, *zh;
    int rc = 0;

    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/expected.tsv", dir);
    tsv = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/zh-text.tsv", dir);
    zh = fopen(path, "w");
    if (!tsv || !zh) {
        fprintf(stderr, "label_render_tool: cannot write in %s\n", dir);
        return 1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct label_info li;
        const char *base = bases[i % 3];
        fill(&li, i);
        for (size_t s = 0; s < 2 && rc == 0; s++) {
            size_t len;
            char *svg = labels_svg(&li, base, sizes[s].size, &len);
            char *zpl = labels_zpl(&li, 1, base, sizes[s].size, 203, &len);
            free(zpl);
            if (!svg) {
                rc = -1;
                break;
            }
            snprintf(name, sizeof(name), "label-%zu-%s.svg", i, sizes[s].name);
            rc = write_file(dir, name, svg, strlen(svg));
            free(svg);
            for (size_t d = 0; d < 2 && rc == 0; d++) {
                unsigned char *png = labels_png(&li, base, sizes[s].size, dpis[d], &len);
                if (!png) {
                    fprintf(stderr, "label_render_tool: png: %s\n", strerror(errno));
                    rc = -1;
                    break;
                }
                snprintf(name, sizeof(name), "label-%zu-%s-%d.png", i, sizes[s].name, dpis[d]);
                rc = write_file(dir, name, png, len);
                free(png);
                if (rc == 0)
                    rc = expect(tsv, name, base, li.code);
            }
        }
    }
    /* Sheets: two pages of the 3x8 preset, the 2x5 preset, and both with other margins. */
    {
        struct sheet_layout m38 = {3, 8, 4.5, 5.0, 4.5, 5.0, 2.0, 0.0};
        struct sheet_layout m25 = {2, 5, 10.0, 8.0, 10.0, 8.0, 3.0, 2.0};
        if (rc == 0)
            rc = sheet(dir, tsv, "sheet-3x8.pdf", "a4-3x8", NULL, 30, bases[0]);
        if (rc == 0)
            rc = sheet(dir, tsv, "sheet-2x5.pdf", "a4-2x5", NULL, 12, bases[2]);
        if (rc == 0)
            rc = sheet(dir, tsv, "sheet-3x8-margins.pdf", NULL, &m38, 24, bases[1]);
        if (rc == 0)
            rc = sheet(dir, tsv, "sheet-2x5-margins.pdf", NULL, &m25, 10, bases[0]);
    }
    /* Chinese names short enough to print whole on a 2x5 label: pdftotext must find them. */
    if (rc == 0) {
        struct label_info li[2];
        struct sheet_layout lay;
        unsigned char *pdf;
        size_t len;
        fill(&li[0], 0); /* 折叠床 */
        fill(&li[1], 1); /* 医用外科口罩 */
        labels_sheet_preset("a4-2x5", &lay);
        pdf = labels_pdf_sheet(li, 2, bases[0], &lay, &len);
        rc = pdf ? write_file(dir, "zh.pdf", pdf, len) : -1;
        free(pdf);
        if (rc == 0) {
            fprintf(zh, "zh.pdf\t%s\nzh.pdf\t%s\nzh.pdf\t批号\n", samples[0].zh, samples[1].zh);
            rc = expect_cells(tsv, "zh.pdf", bases[0], li, 2, &lay);
        }
    }
    if (fclose(tsv) != 0 || fclose(zh) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}

static int cmd_bench(const char *dir, size_t nlabels, size_t ncodes)
{
    const char *base = bases[0];
    struct label_info *lis = calloc(nlabels > ncodes ? nlabels : ncodes, sizeof(*lis));
    struct sheet_layout lay;
    unsigned char *pdf;
    size_t len, svg_bytes = 0, label_bytes = 0;
    char path[1024];
    double t0, t_pdf, t_svg, t_label;
    FILE *f;

    if (!lis)
        return 1;
    mkdir(dir, 0755);
    for (size_t i = 0; i < (nlabels > ncodes ? nlabels : ncodes); i++)
        fill(&lis[i], i);

    /* Warm-up: the first use of the fonts loads fontconfig's cache and the CJK face. */
    labels_sheet_preset("a4-3x8", &lay);
    free(labels_pdf_sheet(lis, 1, base, &lay, &len));

    t0 = now_s();
    pdf = labels_pdf_sheet(lis, nlabels, base, &lay, &len);
    t_pdf = now_s() - t0;
    if (!pdf || write_file(dir, "bench.pdf", pdf, len) != 0)
        return 1;
    free(pdf);
    printf("pdf_labels=%zu\npdf_pages=%zu\npdf_bytes=%zu\npdf_seconds=%.3f\n", nlabels,
           (nlabels + 23) / 24, len, t_pdf);

    snprintf(path, sizeof(path), "%s/texts.txt", dir);
    f = fopen(path, "w");
    if (!f)
        return 1;
    for (size_t i = 0; i < ncodes; i++) {
        char *t = labels_qr_text(base, lis[i].code);
        fprintf(f, "%s\n", t);
        free(t);
    }
    fclose(f);

    /* The QR code alone, like `qrencode -t SVG`: text, encode, SVG. */
    t0 = now_s();
    for (size_t i = 0; i < ncodes; i++) {
        struct label_qr qr;
        char *t = labels_qr_text(base, lis[i].code);
        char *svg = NULL;
        if (t && labels_qr_encode(t, &qr) == 0) {
            svg = labels_qr_svg(&qr, 3, &len);
            labels_qr_free(&qr);
        }
        if (!svg)
            return 1;
        svg_bytes += len;
        free(svg);
        free(t);
    }
    t_svg = now_s() - t0;

    /* Whole labels as SVG (QR plus text), for comparison. */
    t0 = now_s();
    for (size_t i = 0; i < ncodes; i++) {
        char *svg = labels_svg(&lis[i], base, LABEL_50x30, &len);
        if (!svg)
            return 1;
        label_bytes += len;
        free(svg);
    }
    t_label = now_s() - t0;
    printf("svg_codes=%zu\nsvg_qr_seconds=%.3f\nsvg_qr_bytes=%zu\nsvg_label_seconds=%.3f\n"
           "svg_label_bytes=%zu\n",
           ncodes, t_svg, svg_bytes, t_label, label_bytes);

    /* The same labels as ZPL, and a sample as PNG (each PNG is a whole cairo surface). */
    t0 = now_s();
    {
        char *zpl = labels_zpl(lis, nlabels, base, LABEL_50x30, 203, &len);
        if (!zpl)
            return 1;
        free(zpl);
    }
    printf("zpl_labels=%zu\nzpl_bytes=%zu\nzpl_seconds=%.3f\n", nlabels, len, now_s() - t0);
    size_t npng = nlabels < 200 ? nlabels : 200, png_bytes = 0;
    t0 = now_s();
    for (size_t i = 0; i < npng; i++) {
        unsigned char *png = labels_png(&lis[i], base, LABEL_50x30, 203, &len);
        if (!png)
            return 1;
        png_bytes += len;
        free(png);
    }
    printf("png_labels=%zu\npng_bytes=%zu\npng_seconds=%.3f\n", npng, png_bytes, now_s() - t0);
    free(lis);
    return 0;
}

static int cmd_one(const char *fmt, const char *out, const char *size_s, int dpi)
{
    struct label_info li[3];
    struct label_size size = LABEL_50x30;
    struct sheet_layout lay;
    void *p = NULL;
    size_t len = 0;

    if (size_s && strcmp(size_s, "100x50") == 0)
        size = LABEL_100x50;
    for (int i = 0; i < 3; i++)
        fill(&li[i], (size_t)i * 2 + 1);
    if (strcmp(fmt, "svg") == 0)
        p = labels_svg(&li[0], bases[0], size, &len);
    else if (strcmp(fmt, "png") == 0)
        p = labels_png(&li[0], bases[0], size, dpi, &len);
    else if (strcmp(fmt, "zpl") == 0)
        p = labels_zpl(li, 3, bases[0], size, dpi, &len);
    else if (strcmp(fmt, "pdf") == 0 && labels_sheet_preset(size_s ? size_s : "a4-3x8", &lay) == 0)
        p = labels_pdf_sheet(li, 3, bases[0], &lay, &len);
    if (!p) {
        fprintf(stderr, "label_render_tool: %s: %s\n", fmt, strerror(errno));
        return 1;
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0)
        return 1;
    free(p);
    return 0;
}

static int read_pgm_header(FILE *f, long *w, long *h, long *maxval)
{
    long v[3];
    int c;

    if (fgetc(f) != 'P' || fgetc(f) != '5')
        return -1;
    for (int i = 0; i < 3; i++) {
        do { /* whitespace and # comments between the numbers */
            c = fgetc(f);
            if (c == '#')
                while (c != '\n' && c != EOF)
                    c = fgetc(f);
        } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
        if (c < '0' || c > '9')
            return -1;
        v[i] = 0;
        while (c >= '0' && c <= '9' && v[i] < 1000000) {
            v[i] = v[i] * 10 + (c - '0');
            c = fgetc(f);
        }
    }
    *w = v[0];
    *h = v[1];
    *maxval = v[2];
    return *w > 0 && *h > 0 && *maxval == 255 ? 0 : -1; /* c was the one whitespace byte */
}

static int cmd_crop(char **argv)
{
    long w, h, maxval, x, y, cw, ch;
    char *end;
    unsigned char *row = NULL;
    FILE *in = fopen(argv[2], "rb"), *out = NULL;
    int rc = 1;

    x = strtol(argv[3], &end, 10);
    y = strtol(argv[4], &end, 10);
    cw = strtol(argv[5], &end, 10);
    ch = strtol(argv[6], &end, 10);
    if (!in || read_pgm_header(in, &w, &h, &maxval) != 0) {
        fprintf(stderr, "label_render_tool: %s is not a binary PGM\n", argv[2]);
        goto out;
    }
    if (x < 0 || y < 0 || cw <= 0 || ch <= 0 || x + cw > w || y + ch > h) {
        /* Clip to the image: a cell may reach a hair past the page edge. */
        if (x < 0)
            x = 0;
        if (y < 0)
            y = 0;
        if (x + cw > w)
            cw = w - x;
        if (y + ch > h)
            ch = h - y;
        if (cw <= 0 || ch <= 0)
            goto out;
    }
    row = malloc((size_t)w);
    out = fopen(argv[7], "wb");
    if (!row || !out)
        goto out;
    fprintf(out, "P5\n%ld %ld\n255\n", cw, ch);
    for (long r = 0; r < y + ch; r++) {
        if (fread(row, 1, (size_t)w, in) != (size_t)w)
            goto out;
        if (r >= y && fwrite(row + x, 1, (size_t)cw, out) != (size_t)cw)
            goto out;
    }
    rc = 0;
out:
    free(row);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = 1;
    return rc;
}

static size_t arg_size(const char *s, size_t dflt)
{
    char *end;
    unsigned long v;
    if (!s)
        return dflt;
    errno = 0;
    v = strtoul(s, &end, 10);
    return errno || *end || v == 0 ? dflt : (size_t)v;
}

static int run(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "set") == 0)
        return cmd_set(argv[2], arg_size(argc > 3 ? argv[3] : NULL, 8));
    if (argc >= 3 && strcmp(argv[1], "bench") == 0)
        return cmd_bench(argv[2], arg_size(argc > 3 ? argv[3] : NULL, 1000),
                         arg_size(argc > 4 ? argv[4] : NULL, 10000));
    if (argc >= 4 && strcmp(argv[1], "one") == 0)
        return cmd_one(argv[2], argv[3], argc > 4 ? argv[4] : NULL,
                       (int)arg_size(argc > 5 ? argv[5] : NULL, 203));
    if (argc == 8 && strcmp(argv[1], "crop") == 0)
        return cmd_crop(argv);
    fprintf(stderr, "usage: label_render_tool set DIR [N] | bench DIR [LABELS [CODES]]"
                    " | one svg|png|zpl|pdf OUT [SIZE|LAYOUT [DPI]]"
                    " | crop IN.pgm X Y W H OUT.pgm\n");
    return 2;
}

int main(int argc, char **argv)
{
    int rc = run(argc, argv);
    labels_cleanup(); /* for LeakSanitizer in the sanitizer build */
    return rc;
}
