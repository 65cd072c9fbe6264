/*
 * report_pdf.c -- the printable readiness reports (export.h): A4 portrait
 * PDF through cairo, text shaped by pango with the Noto CJK fonts so the
 * Chinese names are real text in the file (pdftotext finds them).
 *
 * The input is the JSON of the API answers, so the report of a signed check
 * is drawn from its stored snapshot and shows exactly what was signed.
 * Status is a word and a symbol (达标 ○, 预警 △, 不足 ×), never colour alone.
 */
#include "export.h"

#include "../core/buf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT "Noto Sans CJK SC"
#define PT_PER_MM (72.0 / 25.4)
#define PAGE_W (210.0 * PT_PER_MM)
#define PAGE_H (297.0 * PT_PER_MM)
#define MARGIN (18.0 * PT_PER_MM)

struct doc {
    cairo_surface_t *s;
    cairo_t *cr;
    double y;
    int page, draft;
    char footer[400];
};

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Draw text at (x, y) in a box w wide; returns its height.  draw 0: measure. */
static double text_at(struct doc *d, double x, double y, double w, const char *s, double size,
                      int bold, int draw)
{
    PangoLayout *l = pango_cairo_create_layout(d->cr);
    PangoFontDescription *f = pango_font_description_from_string(FONT);
    int pw, ph;

    pango_font_description_set_size(f, (int)(size * PANGO_SCALE));
    pango_font_description_set_weight(f, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, f);
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(l, s ? s : "", -1);
    pango_layout_get_size(l, &pw, &ph);
    if (draw) {
        cairo_move_to(d->cr, x, y);
        pango_cairo_show_layout(d->cr, l);
    }
    pango_font_description_free(f);
    g_object_unref(l);
    return (double)ph / PANGO_SCALE;
}

static void page_start(struct doc *d)
{
    char foot[440];
    d->page++;
    d->y = MARGIN;
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    if (d->draft) {
        cairo_save(d->cr);
        cairo_set_source_rgb(d->cr, 0.75, 0.75, 0.75);
        text_at(d, MARGIN, PAGE_H / 2 - 40, PAGE_W - 2 * MARGIN, "草稿 DRAFT — 未签署 not signed",
                28, 1, 1);
        cairo_restore(d->cr);
    }
    snprintf(foot, sizeof(foot), "%s — %d", d->footer, d->page);
    text_at(d, MARGIN, PAGE_H - MARGIN + 12, PAGE_W - 2 * MARGIN, foot, 7, 0, 1);
}

/* Start a new page when h more points do not fit. */
static void need(struct doc *d, double h)
{
    if (d->y + h <= PAGE_H - MARGIN)
        return;
    cairo_show_page(d->cr);
    page_start(d);
}

static void para(struct doc *d, const char *s, double size, int bold)
{
    double h = text_at(d, MARGIN, d->y, PAGE_W - 2 * MARGIN, s, size, bold, 0);
    need(d, h);
    text_at(d, MARGIN, d->y, PAGE_W - 2 * MARGIN, s, size, bold, 1);
    d->y += h + 2;
}

/* One table row: cells at fractions `cols` of the text width. */
static void row(struct doc *d, const char **cells, const double *cols, int n, int bold)
{
    double wtot = PAGE_W - 2 * MARGIN, h = 0, x = MARGIN;
    for (int i = 0; i < n; i++) {
        double hh = text_at(d, 0, 0, cols[i] * wtot - 4, cells[i], 8.5, bold, 0);
        if (hh > h)
            h = hh;
    }
    need(d, h + 3);
    for (int i = 0; i < n; i++) {
        text_at(d, x, d->y, cols[i] * wtot - 4, cells[i], 8.5, bold, 1);
        x += cols[i] * wtot;
    }
    d->y += h + 1;
    cairo_set_line_width(d->cr, bold ? 0.8 : 0.3);
    cairo_move_to(d->cr, MARGIN, d->y);
    cairo_line_to(d->cr, PAGE_W - MARGIN, d->y);
    cairo_stroke(d->cr);
    d->y += 2;
}

static const char *sget(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* A number of the JSON as text ("—" for null). */
static void num(json_t *v, char *t, size_t n)
{
    if (json_is_integer(v))
        snprintf(t, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(t, n, "%.10g", json_real_value(v));
    else
        snprintf(t, n, "—");
}

static const char *status_word(const char *s)
{
    if (strcmp(s, "green") == 0)
        return "○ 达标 OK";
    if (strcmp(s, "amber") == 0)
        return "△ 预警 warning";
    if (strcmp(s, "red") == 0)
        return "× 不足 short";
    return "—";
}

static int doc_open(struct doc *d, struct buf *b, const char *title, int draft)
{
    memset(d, 0, sizeof(*d));
    d->s = cairo_pdf_surface_create_for_stream(write_buf, b, PAGE_W, PAGE_H);
    if (cairo_surface_status(d->s) != CAIRO_STATUS_SUCCESS)
        return -1;
    cairo_pdf_surface_set_metadata(d->s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(d->s, CAIRO_PDF_METADATA_CREATOR, "ReliefStock");
    d->cr = cairo_create(d->s);
    d->draft = draft;
    snprintf(d->footer, sizeof(d->footer), "%s", title);
    page_start(d);
    return 0;
}

static int doc_close(struct doc *d, struct buf *b, char **out, size_t *len, struct app_err *err)
{
    cairo_status_t st;
    if (d->cr) {
        cairo_show_page(d->cr);
        cairo_destroy(d->cr);
    }
    cairo_surface_finish(d->s);
    st = cairo_surface_status(d->s);
    cairo_surface_destroy(d->s);
    if (st != CAIRO_STATUS_SUCCESS || b->len == 0) {
        buf_free(b);
        return err_set(err, 500, "internal", "the PDF could not be made");
    }
    *out = buf_steal(b, len);
    return 0;
}

/* The head every report starts with: season, as-of day, standard. */
static void head(struct doc *d, json_t *r)
{
    json_t *season = json_object_get(r, "season"), *std = json_object_get(r, "standard");
    char t[600];
    snprintf(t, sizeof(t), "汛期 Season %lld: %s – %s   截至 As of: %s   计算于 computed %s",
             (long long)json_integer_value(json_object_get(season, "year")), sget(season, "start"),
             sget(season, "end"), sget(r, "as_of"), sget(r, "computed_at"));
    para(d, t, 9, 0);
    if (json_is_object(std))
        snprintf(t, sizeof(t), "标准 Standard: %s (%s) 第 %lld 版 version %lld",
                 sget(std, "name_zh"), sget(std, "code"),
                 (long long)json_integer_value(json_object_get(std, "version")),
                 (long long)json_integer_value(json_object_get(std, "version")));
    else
        snprintf(t, sizeof(t), "标准 Standard: —");
    para(d, t, 9, 0);
}

static void checklist(struct doc *d, json_t *items)
{
    static const double cols[] = {0.55, 0.12, 0.33};
    const char *h[] = {"检查项目 Item", "结果 Answer", "说明 Comment (by, at)"};
    size_t i;
    json_t *it;

    d->y += 6;
    para(d, "检查项目 Checklist", 12, 1);
    row(d, h, cols, 3, 1);
    json_array_foreach(items, i, it)
    {
        char label[700], ans[40], com[600];
        const char *a = sget(it, "answer");
        snprintf(label, sizeof(label), "%s %s", sget(it, "label_zh"), sget(it, "label_en"));
        snprintf(ans, sizeof(ans), "%s",
                 strcmp(a, "yes") == 0  ? "是 yes"
                 : strcmp(a, "no") == 0 ? "否 no"
                 : strcmp(a, "na") == 0 ? "不适用 n/a"
                                        : "未答 —");
        snprintf(com, sizeof(com), "%s (%s, %s)", sget(it, "comment"), sget(it, "answered_by_name"),
                 sget(it, "answered_at"));
        const char *cells[] = {label, ans, com};
        row(d, cells, cols, 3, 0);
    }
}

static void signatures(struct doc *d, json_t *check)
{
    char t[1200];
    d->y += 8;
    para(d, "签署 Signatures", 12, 1);
    snprintf(t, sizeof(t), "状态 Status: %s", sget(check, "status"));
    para(d, t, 9.5, 0);
    snprintf(t, sizeof(t), "镇街签署 Signed by the town: %s   时间 at: %s",
             *sget(check, "signed_by_name") ? sget(check, "signed_by_name") : "—",
             *sget(check, "signed_at") ? sget(check, "signed_at") : "—");
    para(d, t, 9.5, 0);
    snprintf(t, sizeof(t), "市级审核 Reviewed by the city: %s   时间 at: %s",
             *sget(check, "reviewed_by_name") ? sget(check, "reviewed_by_name") : "—",
             *sget(check, "reviewed_at") ? sget(check, "reviewed_at") : "—");
    para(d, t, 9.5, 0);
    if (*sget(check, "review_comment")) {
        snprintf(t, sizeof(t), "审核意见 Comment: %s", sget(check, "review_comment"));
        para(d, t, 9.5, 0);
    }
    if (*sget(check, "snapshot_sha256")) {
        snprintf(t, sizeof(t), "快照 Snapshot SHA-256: %s", sget(check, "snapshot_sha256"));
        para(d, t, 7, 0);
    }
}

int report_pdf_town(json_t *town, json_t *check, int draft, char **out, size_t *len,
                    struct app_err *err)
{
    static const double cols[] = {0.40, 0.14, 0.14, 0.14, 0.18};
    json_t *ou = json_object_get(town, "org_unit"), *lines = json_object_get(town, "lines");
    json_t *f = json_object_get(town, "findings"), *L;
    struct buf b;
    struct doc d;
    char t[800];
    size_t i;

    buf_init(&b, (size_t)64 << 20);
    snprintf(t, sizeof(t), "%s %s — 汛前物资储备检查 Readiness report", sget(ou, "name_zh"),
             sget(ou, "name_en"));
    if (doc_open(&d, &b, t, draft) != 0) {
        buf_free(&b);
        return err_set(err, 500, "internal", "the PDF could not be made");
    }
    para(&d, t, 15, 1);
    head(&d, town);
    snprintf(t, sizeof(t), "代码 Code %s   储备人数 Reserve persons %lld   总体 Overall: %s",
             sget(ou, "code"),
             (long long)json_integer_value(json_object_get(ou, "reserve_persons")),
             status_word(sget(town, "status")));
    para(&d, t, 9.5, 1);
    d.y += 6;
    {
        const char *h[] = {"物资 Item", "需求 Required", "可用 Usable", "覆盖率 Coverage %",
                           "状态 Status"};
        row(&d, h, cols, 5, 1);
    }
    json_array_foreach(lines, i, L)
    {
        char item[500], req[40], use[40], cov[40];
        snprintf(item, sizeof(item), "%s %s (%s)", sget(L, "item_name_zh"), sget(L, "unit"),
                 sget(L, "item_code"));
        num(json_object_get(L, "required"), req, sizeof(req));
        num(json_object_get(L, "usable"), use, sizeof(use));
        num(json_object_get(L, "coverage_pct"), cov, sizeof(cov));
        const char *cells[] = {item, req, use, cov, status_word(sget(L, "status"))};
        row(&d, cells, cols, 5, 0);
    }
    d.y += 6;
    para(&d, "发现 Findings", 12, 1);
    {
        json_t *c = json_object_get(f, "counts");
        snprintf(
            t, sizeof(t),
            "短缺 shortfall lines %lld; 需轮换 lots to rotate %lld; 隔离 quarantined %lld; "
            "久未盘点 stale counts %lld; 检验逾期 assets overdue %lld; 维修中 under repair %lld",
            (long long)json_integer_value(json_object_get(c, "shortfall")),
            (long long)json_integer_value(json_object_get(c, "rotate")),
            (long long)json_integer_value(json_object_get(c, "quarantined")),
            (long long)json_integer_value(json_object_get(c, "stale_counts")),
            (long long)json_integer_value(json_object_get(c, "assets_inspection_overdue")),
            (long long)json_integer_value(json_object_get(c, "assets_under_repair")));
        para(&d, t, 9, 0);
    }
    json_array_foreach(json_object_get(f, "shortfall"), i, L)
    {
        char miss[40];
        num(json_object_get(L, "missing"), miss, sizeof(miss));
        snprintf(t, sizeof(t), "• %s (%s): 缺 missing %s %s", sget(L, "item_name_zh"),
                 sget(L, "item_code"), miss, sget(L, "unit"));
        para(&d, t, 9, 0);
    }
    if (check) {
        checklist(&d, json_object_get(check, "items"));
        signatures(&d, check);
    }
    return doc_close(&d, &b, out, len, err);
}

int report_pdf_city(json_t *city, char **out, size_t *len, struct app_err *err)
{
    static const double cols[] = {0.16, 0.34, 0.18, 0.14, 0.18};
    json_t *items = json_object_get(city, "items"), *u;
    struct buf b;
    struct doc d;
    char t[400];
    size_t i;

    buf_init(&b, (size_t)64 << 20);
    snprintf(t, sizeof(t), "东莞市 Dongguan — 汛前物资储备 City readiness report");
    if (doc_open(&d, &b, t, 0) != 0) {
        buf_free(&b);
        return err_set(err, 500, "internal", "the PDF could not be made");
    }
    para(&d, t, 15, 1);
    head(&d, city);
    d.y += 6;
    {
        const char *h[] = {"代码 Code", "镇街 Town", "状态 Status", "最低覆盖率 Min %",
                           "短缺项 Short lines"};
        row(&d, h, cols, 5, 1);
    }
    json_array_foreach(items, i, u)
    {
        char name[300], cov[40], sh[24];
        snprintf(name, sizeof(name), "%s %s", sget(u, "name_zh"), sget(u, "name_en"));
        num(json_object_get(u, "min_coverage_pct"), cov, sizeof(cov));
        num(json_object_get(u, "shortfall_lines"), sh, sizeof(sh));
        const char *cells[] = {sget(u, "code"), name, status_word(sget(u, "status")), cov, sh};
        row(&d, cells, cols, 5, 0);
    }
    return doc_close(&d, &b, out, len, err);
}
