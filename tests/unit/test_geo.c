/*
 * test_geo.c -- the boundary checks of domain/geo.c.
 *
 * Each case is a file an administrator could really be handed: a ring
 * whose last point was dropped by an export, a bow-tie from two swapped
 * vertices, metres from a projected system, a point layer instead of
 * areas, an empty collection.  The refusal must name the check and the
 * place, so each test looks at both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domain/geo.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", e.text, text);
    return j;
}

/* Check a document; returns the failure's check word or "ok". */
static const char *check(const char *text, struct geo_fail *f, struct geo_stats *st,
                         struct geo_bbox *bb)
{
    json_t *j = parse(text);
    struct geo_fail tmpf;
    int rc;
    if (!f)
        f = &tmpf;
    memset(f, 0, sizeof(*f));
    rc = geo_check_collection(j, bb, st, f);
    json_decref(j);
    return rc == 0 ? "ok" : f->check;
}

#define SQUARE "[[113.7,23.0],[113.8,23.0],[113.8,23.1],[113.7,23.1],[113.7,23.0]]"
#define FC(geom)                                                                                   \
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"          \
    "{\"code\":\"441900101\",\"name_zh\":\"石碣镇\"},\"geometry\":" geom "}]}"

static void closed_square_passes(void **state)
{
    struct geo_stats st;
    struct geo_bbox bb;
    (void)state;
    assert_string_equal(
        check(FC("{\"type\":\"Polygon\",\"coordinates\":[" SQUARE "]}"), NULL, &st, &bb), "ok");
    assert_int_equal(st.polygons, 1);
    assert_int_equal(st.rings, 1);
    assert_int_equal(st.positions, 5);
    assert_true(bb.min_lon == 113.7 && bb.max_lon == 113.8);
    assert_true(bb.min_lat == 23.0 && bb.max_lat == 23.1);
}

static void unclosed_ring_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    assert_string_equal(
        check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,23.0],[113.8,23.1],"
                 "[113.7,23.1],[113.71,23.0]]]}"),
              &f, NULL, NULL),
        "not_closed");
    assert_int_equal(f.feature, 0);
    assert_int_equal(f.ring, 0);
    assert_non_null(strstr(f.msg, "feature 0 (石碣镇)"));
    assert_non_null(strstr(f.msg, "ring 0"));
    assert_non_null(strstr(f.msg, "not closed"));
}

static void too_few_positions_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    assert_string_equal(
        check(
            FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,23.0],[113.7,23.0]]]}"),
            &f, NULL, NULL),
        "too_few_positions");
    /* Four positions, but two of them the same point twice: no area. */
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,"
                                 "23.0],[113.8,23.0],[113.7,23.0]]]}"),
                              &f, NULL, NULL),
                        "too_few_positions");
}

static void bow_tie_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    /* The square with its two top corners swapped: the sides cross in the middle. */
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,"
                                 "23.0],[113.7,23.1],[113.8,23.1],[113.7,23.0]]]}"),
                              &f, NULL, NULL),
                        "self_intersection");
    assert_int_equal(f.ring, 0);
    assert_non_null(strstr(f.msg, "crosses itself"));
}

static void hole_ring_and_multipolygon_checked(void **state)
{
    struct geo_fail f;
    struct geo_stats st;
    (void)state;
    /* A valid square with a valid hole, then the same with a bow-tie hole. */
    assert_string_equal(
        check(FC("{\"type\":\"Polygon\",\"coordinates\":[" SQUARE ",[[113.72,23.02],"
                 "[113.72,23.05],[113.75,23.05],[113.75,23.02],[113.72,23.02]]]}"),
              NULL, &st, NULL),
        "ok");
    assert_int_equal(st.rings, 2);
    assert_string_equal(check(FC("{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE "],[["
                                 "[114.0,23.0],[114.1,23.0],[114.0,23.1],[114.1,23.1],[114.0,"
                                 "23.0]]]]}"),
                              &f, NULL, NULL),
                        "self_intersection");
    assert_int_equal(f.polygon, 1);
    assert_int_equal(f.ring, 0);
    assert_non_null(strstr(f.msg, "polygon 1, ring 0"));
}

static void spike_and_touching_vertex_refused(void **state)
{
    (void)state;
    /* A spike: out along the bottom edge and straight back. */
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,"
                                 "23.0],[113.9,23.0],[113.8,23.0],[113.8,23.1],[113.7,23.1],"
                                 "[113.7,23.0]]]}"),
                              NULL, NULL, NULL),
                        "self_intersection");
    /* A figure eight pinched at one shared vertex (113.75, 23.05). */
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,"
                                 "23.0],[113.75,23.05],[113.8,23.1],[113.7,23.1],[113.75,23.05],"
                                 "[113.7,23.0]]]}"),
                              NULL, NULL, NULL),
                        "self_intersection");
}

static void out_of_range_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    /* Metres of a projected system (Web Mercator) instead of degrees. */
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[12656000,2634000],"
                                 "[12666000,2634000],[12666000,2644000],[12656000,2634000]]]}"),
                              &f, NULL, NULL),
                        "out_of_range");
    assert_int_equal(f.position, 0);
    assert_non_null(strstr(f.msg, "WGS84"));
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[113.8,"
                                 "91.0],[113.8,23.1],[113.7,23.0]]]}"),
                              &f, NULL, NULL),
                        "out_of_range");
    assert_int_equal(f.position, 1);
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[[[113.7,23.0],[\"113.8\","
                                 "23.0],[113.8,23.1],[113.7,23.0]]]}"),
                              &f, NULL, NULL),
                        "bad_position");
}

static void wrong_type_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    assert_string_equal(
        check(FC("{\"type\":\"Point\",\"coordinates\":[113.7,23.0]}"), &f, NULL, NULL),
        "wrong_type");
    assert_non_null(strstr(f.msg, "Point"));
    assert_string_equal(
        check(FC("{\"type\":\"LineString\",\"coordinates\":" SQUARE "}"), &f, NULL, NULL),
        "wrong_type");
    assert_string_equal(check(FC("null"), &f, NULL, NULL), "wrong_type");
    assert_string_equal(
        check("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Thing\"}]}", &f, NULL,
              NULL),
        "wrong_type");
    assert_string_equal(check("[1,2,3]", &f, NULL, NULL), "wrong_type");
    assert_string_equal(check("{\"features\":[]}", &f, NULL, NULL), "wrong_type");
}

static void empty_refused(void **state)
{
    struct geo_fail f;
    (void)state;
    assert_string_equal(check("{\"type\":\"FeatureCollection\",\"features\":[]}", &f, NULL, NULL),
                        "empty");
    assert_string_equal(check(FC("{\"type\":\"Polygon\",\"coordinates\":[]}"), &f, NULL, NULL),
                        "empty");
    assert_string_equal(check(FC("{\"type\":\"MultiPolygon\",\"coordinates\":[]}"), &f, NULL, NULL),
                        "empty");
}

static void single_feature_and_bare_geometry(void **state)
{
    (void)state;
    assert_string_equal(check("{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":"
                              "\"Polygon\",\"coordinates\":[" SQUARE "]}}",
                              NULL, NULL, NULL),
                        "ok");
    assert_string_equal(
        check("{\"type\":\"Polygon\",\"coordinates\":[" SQUARE "]}", NULL, NULL, NULL), "ok");
}

static void segments_and_points(void **state)
{
    const double a[2] = {0, 0}, b[2] = {2, 2}, c[2] = {0, 2}, d[2] = {2, 0}, e[2] = {3, 3},
                 f[2] = {4, 4}, g[2] = {1, 1}, h[2] = {5, 1};
    const double sq[5][2] = {{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}};
    (void)state;
    assert_true(geo_segments_touch(a, b, c, d));  /* an X */
    assert_false(geo_segments_touch(a, b, e, f)); /* collinear, apart */
    assert_true(geo_segments_touch(a, e, g, f));  /* collinear, overlapping */
    assert_true(geo_segments_touch(a, b, g, h));  /* T: g on [a,b] */
    assert_false(geo_segments_touch(c, d, e, f));
    assert_true(geo_point_in_ring(sq, 5, 1, 1));
    assert_false(geo_point_in_ring(sq, 5, 3, 1));
}

static void bbox_within(void **state)
{
    struct geo_bbox out, in;
    (void)state;
    geo_bbox_init(&out);
    geo_bbox_init(&in);
    assert_false(geo_bbox_within(&in, &out, 0));
    geo_bbox_add(&out, 113.5, 22.6);
    geo_bbox_add(&out, 114.3, 23.2);
    geo_bbox_add(&in, 113.7, 23.0);
    assert_true(geo_bbox_within(&in, &out, 0));
    geo_bbox_add(&in, 116.0, 23.0); /* somewhere in the next city */
    assert_false(geo_bbox_within(&in, &out, 0.05));
}

static void utf8_cut_and_long_names(void **state)
{
    char out[8];
    struct geo_fail f;
    (void)state;
    geo_utf8_cut("石碣镇", 7, out); /* 9 bytes: 3 characters of 3 */
    assert_string_equal(out, "石碣");
    geo_utf8_cut("abc", 7, out);
    assert_string_equal(out, "abc");
    geo_utf8_cut("ab石", 3, out);
    assert_string_equal(out, "ab");
    /* A feature name longer than the message keeps is cut between characters. */
    assert_string_equal(
        check("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
              "\"properties\":{\"name_zh\":\"松山湖松山湖松山湖松山湖松山湖松山湖松山湖松山湖"
              "\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[113.7,23.0]}}]}",
              &f, NULL, NULL),
        "wrong_type");
    assert_non_null(
        strstr(f.msg, "feature 0 (松山湖松山湖松山湖松山湖松山湖松山湖松山)")); /* 60 bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_square_passes),
        cmocka_unit_test(unclosed_ring_refused),
        cmocka_unit_test(too_few_positions_refused),
        cmocka_unit_test(bow_tie_refused),
        cmocka_unit_test(hole_ring_and_multipolygon_checked),
        cmocka_unit_test(spike_and_touching_vertex_refused),
        cmocka_unit_test(out_of_range_refused),
        cmocka_unit_test(wrong_type_refused),
        cmocka_unit_test(empty_refused),
        cmocka_unit_test(single_feature_and_bare_geometry),
        cmocka_unit_test(segments_and_points),
        cmocka_unit_test(bbox_within),
        cmocka_unit_test(utf8_cut_and_long_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
