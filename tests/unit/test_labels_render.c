/*
 * test_labels_render.c -- the label library without a decoder: the QR text,
 * the shape of each output (SVG, ZPL, PNG, PDF) and the refusals.
 *
 * That the QR codes actually scan is tests/labels/decode.sh's job (zbarimg);
 * here the outputs are checked as documents: the SVG escapes what it must,
 * every ZPL field lies inside its label, the PNG has the pixel size asked
 * for, the PDF has the pages the labels need, and bad arguments get NULL
 * with EINVAL rather than a crash or a half-drawn label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels/labels.h"

#define BASE "http://192.168.1.10:8080"

static void sample(struct label_info *li, const char *zh, const char *en)
{
    memset(li, 0, sizeof(*li));
    label_code_new(li->code);
    li->kind = "lot";
    li->title_zh = zh;
    li->title_en = en;
    li->lot_no = "LJ^2024~01_A";
    li->expiry = "2027-01-01";
    li->depot = "D-441900003";
    li->bin = "A-01-02";
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

/* ---- labels_qr_text ---- */

static void qr_text_is(const char *base, const char *code, const char *want)
{
    char *got = labels_qr_text(base, code);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_qr_text(void **state)
{
    (void)state;
    /* Scheme and host are case-insensitive: upper-case for QR's alphanumeric mode. */
    qr_text_is("http://192.168.1.10:8080", "ABC", "HTTP://192.168.1.10:8080/L/ABC");
    qr_text_is("https://relief.example.org", "ABC", "HTTPS://RELIEF.EXAMPLE.ORG/L/ABC");
    qr_text_is("https://relief.example.org/", "ABC", "HTTPS://RELIEF.EXAMPLE.ORG/L/ABC");
    qr_text_is("https://Relief.Example.org:8443", "ABC", "HTTPS://RELIEF.EXAMPLE.ORG:8443/L/ABC");
    /* A path with no lower case stays the same in capitals. */
    qr_text_is("https://relief.example.org/DG-01", "ABC", "HTTPS://RELIEF.EXAMPLE.ORG/DG-01/L/ABC");
    /* A lower-case path, a user name or no scheme: keep the case, "/l/". */
    qr_text_is("https://relief.example.org/dongguan", "ABC",
               "https://relief.example.org/dongguan/l/ABC");
    qr_text_is("https://ops@relief.example.org", "ABC", "https://ops@relief.example.org/l/ABC");
    qr_text_is("relief.local", "ABC", "relief.local/l/ABC");
    qr_text_is("", "ABC", "/l/ABC");

    errno = 0;
    assert_null(labels_qr_text(NULL, "ABC"));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(labels_qr_text(BASE, ""));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(labels_qr_text(BASE, "0123456789012345678901234567890")); /* longer than a code */
    assert_int_equal(errno, EINVAL);
}

/* The point of upper case: a smaller code for the same URL. */
static void test_qr_upper_is_smaller(void **state)
{
    char code[LABEL_CODE_LEN + 1], lower[128];
    struct label_qr up, low;
    char *text;

    (void)state;
    label_code_new(code);
    text = labels_qr_text(BASE, code);
    snprintf(lower, sizeof(lower), "%s/l/%s", BASE, code);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    assert_int_equal(labels_qr_encode(text, &up), 0);
    assert_int_equal(labels_qr_encode(lower, &low), 0);
    assert_true(up.width < low.width);
    /* 54 alphanumeric characters at level M: version 3, 29 modules. */
    assert_int_equal(strlen(text), 54);
    assert_int_equal(up.width, 29);
    labels_qr_free(&up);
    labels_qr_free(&low);
    free(text);
}

static void test_qr_encode(void **state)
{
    struct label_qr qr;
    (void)state;

    assert_int_equal(labels_qr_encode("HTTP://X/L/ABC", &qr), 0);
    assert_true(qr.width >= 21);
    assert_int_equal((qr.width - 17) % 4, 0);
    /* The top-left finder pattern: a dark 7x7 ring around a light ring and a dark 3x3. */
    for (int i = 0; i < 7; i++) {
        assert_int_equal(qr.dark[i], 1);
        assert_int_equal(qr.dark[6 * qr.width + i], 1);
        assert_int_equal(qr.dark[i * qr.width], 1);
        assert_int_equal(qr.dark[i * qr.width + 6], 1);
    }
    assert_int_equal(qr.dark[1 * qr.width + 1], 0);
    assert_int_equal(qr.dark[3 * qr.width + 3], 1);
    labels_qr_free(&qr);
    labels_qr_free(&qr); /* twice is harmless */

    errno = 0;
    assert_int_equal(labels_qr_encode("", &qr), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(qr.dark);
}

static void test_qr_svg(void **state)
{
    struct label_qr qr;
    size_t len;
    char *svg;
    (void)state;

    assert_int_equal(labels_qr_encode("HTTP://192.168.1.10:8080/L/ABC", &qr), 0);
    svg = labels_qr_svg(&qr, 3, &len);
    assert_non_null(svg);
    assert_int_equal(strlen(svg), len);
    assert_true(strncmp(svg, "<svg ", 5) == 0);
    assert_non_null(strstr(svg, "M4 4h7v1h-7z")); /* the finder's top row, after the quiet zone */
    assert_int_equal(count(svg, "<path"), 1);
    free(svg);
    errno = 0;
    assert_null(labels_qr_svg(&qr, 0, &len));
    assert_int_equal(errno, EINVAL);
    labels_qr_free(&qr);
}

/* ---- SVG ---- */

static void test_svg(void **state)
{
    struct label_info li;
    size_t len;
    char *svg;
    (void)state;

    sample(&li, "救生衣", "Life jacket <adult> & \"child's\"");
    svg = labels_svg(&li, BASE, LABEL_50x30, &len);
    assert_non_null(svg);
    assert_int_equal(strlen(svg), len);
    assert_true(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
    assert_non_null(strstr(svg, "width=\"50mm\" height=\"30mm\" viewBox=\"0 0 50 30\""));
    assert_int_equal(strcmp(svg + len - 7, "</svg>\n"), 0);
    assert_non_null(strstr(svg, li.code)); /* in the <title> */
    /* The code under the QR in groups of five. */
    char group[7];
    snprintf(group, sizeof(group), "%.5s ", li.code);
    assert_non_null(strstr(svg, group));
    assert_non_null(strstr(svg, "救生衣"));
    assert_non_null(strstr(svg, "&lt;adult&gt; &amp;"));
    assert_null(strstr(svg, "<adult>"));
    assert_null(strstr(svg, "& \""));
    assert_int_equal(count(svg, "<text"), count(svg, "</text>"));
    assert_int_equal(count(svg, "<path"), 1); /* the whole QR is one path */
    assert_non_null(strstr(svg, "font-family=\"Noto Sans CJK SC"));
    free(svg);

    /* Control characters and broken UTF-8 never reach the XML. */
    sample(&li, "折叠床\x01\xff", "bed\x7f");
    svg = labels_svg(&li, BASE, LABEL_100x50, &len);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "width=\"100mm\" height=\"50mm\""));
    for (size_t i = 0; i < len; i++)
        assert_true((unsigned char)svg[i] >= 0x20 || svg[i] == '\n');
    assert_null(strstr(svg, "\xff<"));
    free(svg);
}

/* A name far too long for any label: cut with an ellipsis, not spilled. */
static void test_svg_long_name(void **state)
{
    struct label_info li;
    char zh[3 * 300 + 1] = "", en[600];
    size_t len;
    char *svg;
    (void)state;

    for (int i = 0; i < 300; i++)
        memcpy(zh + 3 * i, "长", 4);
    memset(en, 'W', sizeof(en) - 1);
    en[sizeof(en) - 1] = '\0';
    sample(&li, zh, en);
    svg = labels_svg(&li, BASE, LABEL_50x30, &len);
    assert_non_null(svg);
    assert_true(count(svg, "\xE2\x80\xA6") >= 2); /* U+2026 ends the title and the subtitle */
    assert_true(count(svg, "<text") <= 2 + 2 + 2 + 6);
    free(svg);
}

/* ---- ZPL ---- */

static long num_after(const char *p, const char *cmd)
{
    const char *q = strstr(p, cmd);
    assert_non_null(q);
    return strtol(q + strlen(cmd), NULL, 10);
}

/* Every field of every label inside ^PW x ^LL, the QR included. */
static void check_zpl(const char *zpl, size_t n, int dpi, struct label_size size)
{
    long pw_want = lround(size.w_mm * dpi / 25.4), ll_want = lround(size.h_mm * dpi / 25.4);
    const char *p = zpl;
    size_t labels = 0;

    assert_int_equal(count(zpl, "^XA"), n);
    assert_int_equal(count(zpl, "^XZ"), n);
    for (size_t i = 0; i < strlen(zpl); i++)
        assert_true((unsigned char)zpl[i] < 0x80); /* resident fonts: ASCII only */
    while ((p = strstr(p, "^XA")) != NULL) {
        const char *end = strstr(p, "^XZ");
        char *block;
        long pw, ll;

        assert_non_null(end);
        block = strndup(p, (size_t)(end - p));
        assert_null(strstr(block + 3, "^XA")); /* no nesting */
        pw = num_after(block, "^PW");
        ll = num_after(block, "^LL");
        assert_int_equal(pw, pw_want);
        assert_int_equal(ll, ll_want);
        assert_non_null(strstr(block, "^CI28"));
        for (const char *f = strstr(block, "^FO"); f; f = strstr(f + 3, "^FO")) {
            char *e;
            long x = strtol(f + 3, &e, 10), y;
            assert_int_equal(*e, ',');
            y = strtol(e + 1, &e, 10);
            assert_true(x >= 0 && x < pw);
            assert_true(y >= 0 && y < ll);
            if (strncmp(e, "^BQN,2,", 7) == 0) {
                long mag = strtol(e + 7, &e, 10);
                const char *fd = strstr(e, "^FDMA,");
                const char *fs = strstr(e, "^FS");
                char *text;
                struct label_qr qr;
                assert_true(mag >= 1 && mag <= 10);
                assert_non_null(fd);
                text = strndup(fd + 6, (size_t)(fs - fd - 6));
                assert_int_equal(labels_qr_encode(text, &qr), 0);
                /* the symbol and its 4-module quiet zone */
                assert_true(x - 4 * mag >= 0 && x + (qr.width + 4) * mag <= pw);
                assert_true(y - 4 * mag >= 0 && y + (qr.width + 4) * mag <= ll);
                labels_qr_free(&qr);
                free(text);
            } else {
                long h, w, bw;
                assert_int_equal(strncmp(e, "^A0N,", 5), 0);
                h = strtol(e + 5, &e, 10);
                w = strtol(e + 1, &e, 10);
                assert_true(h > 0 && w > 0);
                assert_int_equal(strncmp(e, "^FB", 3), 0);
                bw = strtol(e + 3, &e, 10);
                assert_true(x + bw <= pw);
                assert_true(y + h <= ll);
                assert_int_equal(strncmp(e, ",1,0,", 5), 0);
            }
            /* The data between ^FD and ^FS has no command characters left. */
            const char *fd = strstr(f, "^FD"), *fs = strstr(f, "^FS");
            assert_true(fd && fs && fd < fs);
            for (const char *c = fd + 3; c < fs; c++)
                assert_true(*c != '^' && *c != '~');
        }
        free(block);
        labels++;
        p = end;
    }
    assert_int_equal(labels, n);
}

static void test_zpl(void **state)
{
    static const int dpis[] = {203, 300};
    struct label_size sizes[] = {LABEL_50x30, LABEL_100x50};
    struct label_info lis[4];
    (void)state;

    sample(&lis[0], "救生衣", "Life jacket");
    sample(&lis[1], "折叠床", NULL); /* no English name: no title, still a label */
    sample(&lis[2], NULL, "Bottled drinking water 550 ml x 24, shrink-wrapped pallet layer");
    sample(&lis[3], "发电机", "Petrol generator 5 kW");
    lis[3].serial_no = "GEN-5K-000117";
    for (int d = 0; d < 2; d++) {
        for (int s = 0; s < 2; s++) {
            size_t len;
            char *zpl = labels_zpl(lis, 4, BASE, sizes[s], dpis[d], &len);
            assert_non_null(zpl);
            assert_int_equal(strlen(zpl), len);
            check_zpl(zpl, 4, dpis[d], sizes[s]);
            /* ^ ~ _ in a lot number travel as ^FH hex escapes. */
            assert_non_null(strstr(zpl, "^FH_^FDLot LJ_5E2024_7E01_5FA^FS"));
            assert_non_null(strstr(zpl, "^FDMA,HTTP://192.168.1.10:8080/L/"));
            assert_null(strstr(zpl, "折叠床"));
            free(zpl);
        }
    }
}

/* ---- PNG and PDF ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png(void **state)
{
    struct label_info li;
    struct {
        struct label_size size;
        int dpi;
        uint32_t w, h;
    } cases[] = {{LABEL_50x30, 203, 400, 240},
                 {LABEL_50x30, 300, 591, 354},
                 {LABEL_100x50, 203, 799, 400},
                 {LABEL_100x50, 300, 1181, 591}};
    (void)state;

    sample(&li, "医用外科口罩", "Surgical mask (box of 50)");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        unsigned char *png = labels_png(&li, BASE, cases[i].size, cases[i].dpi, &len);
        assert_non_null(png);
        assert_true(len > 1000);
        assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
        assert_memory_equal(png + 12, "IHDR", 4);
        assert_int_equal(be32(png + 16), cases[i].w);
        assert_int_equal(be32(png + 20), cases[i].h);
        assert_memory_equal(png + len - 8, "IEND", 4);
        free(png);
    }
}

/* Page objects: "/Type /Page" but not "/Type /Pages" (cairo writes its objects uncompressed). */
static size_t pdf_pages(const unsigned char *pdf, size_t len)
{
    size_t pages = 0;

    for (size_t i = 0; i + 11 <= len; i++)
        if (memcmp(pdf + i, "/Type /Page", 11) == 0 && (i + 11 == len || pdf[i + 11] != 's'))
            pages++;
    return pages;
}

static void test_pdf_sheet(void **state)
{
    struct label_info lis[25];
    struct sheet_layout lay;
    unsigned char *pdf;
    size_t len;
    (void)state;

    for (int i = 0; i < 25; i++)
        sample(&lis[i], i % 2 ? "折叠床" : "医用外科口罩", "Folding bed");
    assert_int_equal(labels_sheet_preset("a4-3x8", &lay), 0);
    pdf = labels_pdf_sheet(lis, 25, BASE, &lay, &len);
    assert_non_null(pdf);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_true(len > 6 && memcmp(pdf + len - 6, "%%EOF\n", 6) == 0);
    assert_int_equal(pdf_pages(pdf, len), 2); /* 24 to a page */
    free(pdf);

    assert_int_equal(labels_sheet_preset("a4-2x5", &lay), 0);
    pdf = labels_pdf_sheet(lis, 10, BASE, &lay, &len);
    assert_non_null(pdf);
    assert_int_equal(pdf_pages(pdf, len), 1);
    free(pdf);
}

static void test_presets(void **state)
{
    struct sheet_layout lay;
    struct label_size size;
    (void)state;

    assert_int_equal(labels_sheet_preset("a4-3x8", &lay), 0);
    assert_int_equal(lay.cols, 3);
    assert_int_equal(lay.rows, 8);
    assert_int_equal(labels_sheet_label_size(&lay, &size), 0);
    assert_true(fabs(size.w_mm - 70.0) < 1e-9 && fabs(size.h_mm - 36.0) < 1e-9);
    assert_int_equal(labels_sheet_preset("a4-2x5", &lay), 0);
    assert_int_equal(labels_sheet_label_size(&lay, &size), 0);
    assert_true(fabs(size.w_mm - 99.1) < 1e-9 && fabs(size.h_mm - 57.0) < 1e-9);
    errno = 0;
    assert_int_equal(labels_sheet_preset("letter-3x10", &lay), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(labels_sheet_preset(NULL, &lay), -1);

    /* Custom margins and gaps: the page less them, shared out. */
    lay = (struct sheet_layout){2, 5, 10, 8, 10, 8, 3, 2};
    assert_int_equal(labels_sheet_label_size(&lay, &size), 0);
    assert_true(fabs(size.w_mm - 95.5) < 1e-9 && fabs(size.h_mm - 53.8) < 1e-9);
}

/* ---- refusals ---- */

static void test_bad_input(void **state)
{
    struct label_info li, bad;
    struct sheet_layout lay;
    struct label_size size;
    size_t len;
    (void)state;

    sample(&li, "救生衣", "Life jacket");
    labels_sheet_preset("a4-3x8", &lay);

#define REFUSED(call)                                                                              \
    do {                                                                                           \
        errno = 0;                                                                                 \
        assert_null(call);                                                                         \
        assert_int_equal(errno, EINVAL);                                                           \
    } while (0)

    /* No labels, or absurdly many. */
    REFUSED(labels_pdf_sheet(&li, 0, BASE, &lay, &len));
    REFUSED(labels_pdf_sheet(&li, LABELS_MAX_PER_DOC + 1, BASE, &lay, &len));
    REFUSED(labels_pdf_sheet(NULL, 1, BASE, &lay, &len));
    REFUSED(labels_zpl(&li, 0, BASE, LABEL_50x30, 203, &len));
    REFUSED(labels_zpl(&li, (size_t)100000, BASE, LABEL_50x30, 203, &len));
    /* Sizes and resolutions. */
    REFUSED(labels_svg(&li, BASE, ((struct label_size){5, 5}), &len));
    REFUSED(labels_svg(&li, BASE, ((struct label_size){50, 1000}), &len));
    REFUSED(labels_svg(&li, BASE, ((struct label_size){NAN, 30}), &len));
    REFUSED(labels_png(&li, BASE, LABEL_50x30, 10, &len));
    REFUSED(labels_png(&li, BASE, LABEL_50x30, 5000, &len));
    REFUSED(labels_png(&li, BASE, ((struct label_size){300, 300}), 1200, &len)); /* 200 Mpx */
    REFUSED(labels_zpl(&li, 1, BASE, LABEL_50x30, 250, &len));
    /* A code that would not scan back: wrong check character, lower case, empty. */
    bad = li;
    bad.code[26] = bad.code[26] == '0' ? '1' : '0';
    REFUSED(labels_svg(&bad, BASE, LABEL_50x30, &len));
    bad = li;
    bad.code[0] = (char)(bad.code[0] | 0x20);
    if (bad.code[0] != li.code[0]) /* a letter: lower case is not the canonical form */
        REFUSED(labels_png(&bad, BASE, LABEL_50x30, 203, &len));
    bad.code[0] = '\0';
    REFUSED(labels_zpl(&bad, 1, BASE, LABEL_50x30, 203, &len));
    /* Layouts whose labels would be too small, or make no sense. */
    lay = (struct sheet_layout){3, 8, 120, 0, 120, 0, 0, 0}; /* 7 mm high */
    errno = 0;
    assert_int_equal(labels_sheet_label_size(&lay, &size), -1);
    assert_int_equal(errno, EINVAL);
    REFUSED(labels_pdf_sheet(&li, 1, BASE, &lay, &len));
    lay = (struct sheet_layout){0, 8, 0, 0, 0, 0, 0, 0};
    REFUSED(labels_pdf_sheet(&li, 1, BASE, &lay, &len));
    lay = (struct sheet_layout){3, 8, -5, 0, 0, 0, 0, 0};
    REFUSED(labels_pdf_sheet(&li, 1, BASE, &lay, &len));
    lay = (struct sheet_layout){21, 8, 0, 0, 0, 0, 0, 0};
    REFUSED(labels_pdf_sheet(&li, 1, BASE, &lay, &len));
#undef REFUSED
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_text),   cmocka_unit_test(test_qr_upper_is_smaller),
        cmocka_unit_test(test_qr_encode), cmocka_unit_test(test_qr_svg),
        cmocka_unit_test(test_svg),       cmocka_unit_test(test_svg_long_name),
        cmocka_unit_test(test_zpl),       cmocka_unit_test(test_png),
        cmocka_unit_test(test_pdf_sheet), cmocka_unit_test(test_presets),
        cmocka_unit_test(test_bad_input),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    labels_cleanup(); /* so LeakSanitizer sees only leaks of ours */
    return failed;
}
