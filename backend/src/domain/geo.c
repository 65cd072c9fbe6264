/*
 * geo.c -- GeoJSON area checks (see geo.h for the rules and why).
 *
 * The self-intersection test compares every pair of non-adjacent segments
 * of a ring: O(n^2), which for a town boundary of a few thousand vertices is
 * a few million orientation tests, well under a second.  A sweep would be
 * faster for a national dataset, which is not what this project loads.
 */
#include "geo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rings longer than this are refused rather than tested in O(n^2). */
#define GEO_RING_MAX 20000

void geo_bbox_init(struct geo_bbox *b)
{
    b->min_lon = b->min_lat = 0;
    b->max_lon = b->max_lat = 0;
    b->empty = 1;
}

void geo_bbox_add(struct geo_bbox *b, double lon, double lat)
{
    if (b->empty) {
        b->min_lon = b->max_lon = lon;
        b->min_lat = b->max_lat = lat;
        b->empty = 0;
        return;
    }
    if (lon < b->min_lon)
        b->min_lon = lon;
    if (lon > b->max_lon)
        b->max_lon = lon;
    if (lat < b->min_lat)
        b->min_lat = lat;
    if (lat > b->max_lat)
        b->max_lat = lat;
}

int geo_bbox_within(const struct geo_bbox *in, const struct geo_bbox *out, double margin)
{
    if (in->empty || out->empty)
        return 0;
    return in->min_lon >= out->min_lon - margin && in->max_lon <= out->max_lon + margin &&
           in->min_lat >= out->min_lat - margin && in->max_lat <= out->max_lat + margin;
}

static int fail(struct geo_fail *f, const char *check, int feature, const char *label, int polygon,
                int ring, int position, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

void geo_utf8_cut(const char *s, size_t max, char *out)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a character: cut before its first byte */
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static int fail(struct geo_fail *f, const char *check, int feature, const char *label, int polygon,
                int ring, int position, const char *fmt, ...)
{
    char where[120] = "", what[240], name[61];
    size_t n = 0;
    va_list ap;

    f->check = check;
    f->feature = feature;
    f->polygon = polygon;
    f->ring = ring;
    f->position = position;
    geo_utf8_cut(label ? label : "", 60, name);
    if (feature >= 0)
        n += (size_t)snprintf(where + n, sizeof(where) - n,
                              *name ? "feature %d (%s)" : "feature %d", feature, name);
    if (polygon >= 0 && n < sizeof(where))
        n += (size_t)snprintf(where + n, sizeof(where) - n, "%spolygon %d", n ? ", " : "", polygon);
    if (ring >= 0 && n < sizeof(where))
        n += (size_t)snprintf(where + n, sizeof(where) - n, "%sring %d", n ? ", " : "", ring);
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(f->msg, sizeof(f->msg), "%s%s%s", where, *where ? ": " : "", what);
    return -1;
}

/* ---------------------------------------------------------------- segments */

/* Sign of the cross product (b - a) x (c - a): 1 left turn, -1 right, 0 collinear. */
static int orient(const double a[2], const double b[2], const double c[2])
{
    double v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    return (v > 0) - (v < 0);
}

/* c, collinear with [a,b], lies within the segment's bounding box. */
static int on_segment(const double a[2], const double b[2], const double c[2])
{
    return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= c[1] &&
           c[1] <= fmax(a[1], b[1]);
}

int geo_segments_touch(const double a[2], const double b[2], const double c[2], const double d[2])
{
    int o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);

    /* The general case: each segment's ends lie on different sides of (or
     * one on) the other's line.  Collinear pairs fall through to the
     * bounding-box tests below. */
    if (o1 != o2 && o3 != o4)
        return 1;
    if (o1 == 0 && on_segment(a, b, c))
        return 1;
    if (o2 == 0 && on_segment(a, b, d))
        return 1;
    if (o3 == 0 && on_segment(c, d, a))
        return 1;
    if (o4 == 0 && on_segment(c, d, b))
        return 1;
    return 0;
}

int geo_point_in_ring(const double (*ring)[2], int n, double lon, double lat)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        const double *p = ring[i], *q = ring[j];
        if ((p[1] > lat) != (q[1] > lat) &&
            lon < (q[0] - p[0]) * (lat - p[1]) / (q[1] - p[1]) + p[0])
            in = !in;
    }
    return in;
}

/* ---------------------------------------------------------------- rings */

static int same(const double a[2], const double b[2])
{
    return a[0] == b[0] && a[1] == b[1];
}

/* A position: an array of 2 or 3 numbers, lon/lat in range. */
static int read_position(const json_t *p, double out[2], int feature, const char *label, int poly,
                         int ring, int k, struct geo_fail *f)
{
    const json_t *x, *y;
    size_t n;

    if (!json_is_array(p) || (n = json_array_size(p)) < 2 || n > 3)
        return fail(f, "bad_position", feature, label, poly, ring, k,
                    "position %d is not [longitude, latitude]", k);
    x = json_array_get(p, 0);
    y = json_array_get(p, 1);
    if (!json_is_number(x) || !json_is_number(y) ||
        (n == 3 && !json_is_number(json_array_get(p, 2))))
        return fail(f, "bad_position", feature, label, poly, ring, k,
                    "position %d has a value that is not a number", k);
    out[0] = json_number_value(x);
    out[1] = json_number_value(y);
    if (!isfinite(out[0]) || !isfinite(out[1]) || out[0] < -180 || out[0] > 180 || out[1] < -90 ||
        out[1] > 90)
        return fail(f, "out_of_range", feature, label, poly, ring, k,
                    "position %d [%.6g, %.6g] is outside WGS84 degrees (longitude -180..180, "
                    "latitude -90..90): is the file in a projected coordinate system?",
                    k, out[0], out[1]);
    return 0;
}

/*
 * pts holds n positions with consecutive repeats removed, last == first.
 * Segment i is pts[i]..pts[i+1], m = n - 1 segments.  Adjacent segments
 * share one vertex by construction; they are only wrong when they fold back
 * over each other (a spike), i.e. collinear and pointing back.
 */
static int ring_simple(const double (*pts)[2], int n, int *seg_a, int *seg_b)
{
    int m = n - 1;
    for (int i = 0; i < m; i++) {
        /* i and i+1 adjacent (and the last and the first). */
        int j = (i + 1) % m;
        const double *p = pts[i], *q = pts[i + 1], *r = pts[j + 1];
        if (orient(p, q, r) == 0 &&
            ((r[0] - q[0]) * (p[0] - q[0]) + (r[1] - q[1]) * (p[1] - q[1])) > 0) {
            *seg_a = i;
            *seg_b = j;
            return 0;
        }
    }
    for (int i = 0; i < m; i++)
        for (int j = i + 2; j < m; j++) {
            if (i == 0 && j == m - 1)
                continue; /* the closing segment meets the first at pts[0] */
            if (geo_segments_touch(pts[i], pts[i + 1], pts[j], pts[j + 1])) {
                *seg_a = i;
                *seg_b = j;
                return 0;
            }
        }
    return 1;
}

static int check_ring(const json_t *ring, int feature, const char *label, int poly, int r,
                      struct geo_bbox *bb, struct geo_stats *st, struct geo_fail *f)
{
    size_t n;
    double(*pts)[2];
    int k = 0, rc = 0, sa, sb;

    if (!json_is_array(ring))
        return fail(f, "wrong_type", feature, label, poly, r, -1,
                    "a ring must be an array of positions");
    n = json_array_size(ring);
    if (n < 4)
        return fail(f, "too_few_positions", feature, label, poly, r, -1,
                    "a ring needs at least 4 positions (a closed triangle), this one has %zu", n);
    if (n > GEO_RING_MAX)
        return fail(f, "too_many_positions", feature, label, poly, r, -1,
                    "a ring of %zu positions is more than the %d this import checks; simplify it",
                    n, GEO_RING_MAX);
    pts = malloc(n * sizeof(*pts));
    if (!pts)
        return fail(f, "internal", feature, label, poly, r, -1, "out of memory");
    for (size_t i = 0; i < n; i++) {
        double p[2];
        if (read_position(json_array_get(ring, i), p, feature, label, poly, r, (int)i, f) != 0) {
            rc = -1;
            goto out;
        }
        if (bb)
            geo_bbox_add(bb, p[0], p[1]);
        if (k > 0 && same(pts[k - 1], p))
            continue;
        pts[k][0] = p[0];
        pts[k][1] = p[1];
        k++;
    }
    {
        double first[2], last[2];
        read_position(json_array_get(ring, 0), first, feature, label, poly, r, 0, f);
        read_position(json_array_get(ring, n - 1), last, feature, label, poly, r, (int)n - 1, f);
        if (!same(first, last)) {
            rc = fail(f, "not_closed", feature, label, poly, r, (int)n - 1,
                      "the ring is not closed: the last position [%.7g, %.7g] differs from the "
                      "first [%.7g, %.7g]",
                      last[0], last[1], first[0], first[1]);
            goto out;
        }
    }
    if (k < 4) {
        rc = fail(f, "too_few_positions", feature, label, poly, r, -1,
                  "after dropping repeated positions the ring has %d, fewer than 4: it encloses "
                  "no area",
                  k);
        goto out;
    }
    if (!ring_simple((const double(*)[2])pts, k, &sa, &sb)) {
        rc = fail(f, "self_intersection", feature, label, poly, r, -1,
                  "the ring crosses itself: segment %d [%.7g, %.7g]-[%.7g, %.7g] meets segment %d "
                  "[%.7g, %.7g]-[%.7g, %.7g]",
                  sa, pts[sa][0], pts[sa][1], pts[sa + 1][0], pts[sa + 1][1], sb, pts[sb][0],
                  pts[sb][1], pts[sb + 1][0], pts[sb + 1][1]);
        goto out;
    }
    if (st) {
        st->rings++;
        st->positions += (int)n;
    }
out:
    free(pts);
    return rc;
}

static int check_polygon(const json_t *coords, int feature, const char *label, int poly,
                         struct geo_bbox *bb, struct geo_stats *st, struct geo_fail *f)
{
    size_t nr;
    if (!json_is_array(coords))
        return fail(f, "wrong_type", feature, label, poly, -1, -1,
                    "polygon coordinates must be an array of rings");
    nr = json_array_size(coords);
    if (nr == 0)
        return fail(f, "empty", feature, label, poly, -1, -1, "the polygon has no rings");
    for (size_t r = 0; r < nr; r++)
        if (check_ring(json_array_get(coords, r), feature, label, poly, (int)r, bb, st, f) != 0)
            return -1;
    if (st)
        st->polygons++;
    return 0;
}

int geo_check_geometry(const json_t *geom, int feature, const char *label, struct geo_bbox *bb,
                       struct geo_stats *st, struct geo_fail *f)
{
    const char *type;
    const json_t *coords;

    if (!json_is_object(geom))
        return fail(f, "wrong_type", feature, label, -1, -1, -1,
                    "the geometry is missing or not an object");
    type = json_string_value(json_object_get(geom, "type"));
    coords = json_object_get(geom, "coordinates");
    if (!type)
        return fail(f, "wrong_type", feature, label, -1, -1, -1, "the geometry has no \"type\"");
    if (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0) {
        char t[41];
        geo_utf8_cut(type, 40, t);
        return fail(f, "wrong_type", feature, label, -1, -1, -1,
                    "geometry type %s is not an area: use Polygon or MultiPolygon", t);
    }
    if (!json_is_array(coords))
        return fail(f, "wrong_type", feature, label, -1, -1, -1,
                    "the geometry has no \"coordinates\" array");
    if (strcmp(type, "Polygon") == 0)
        return check_polygon(coords, feature, label, -1, bb, st, f);
    if (json_array_size(coords) == 0)
        return fail(f, "empty", feature, label, -1, -1, -1, "the MultiPolygon has no polygons");
    for (size_t p = 0; p < json_array_size(coords); p++)
        if (check_polygon(json_array_get(coords, p), feature, label, (int)p, bb, st, f) != 0)
            return -1;
    return 0;
}

const char *geo_feature_label(const json_t *feature)
{
    static const char *const keys[] = {"name_zh", "name", "code", "adcode", NULL};
    const json_t *props = json_object_get(feature, "properties");
    if (!json_is_object(props))
        return "";
    for (int i = 0; keys[i]; i++) {
        const char *s = json_string_value(json_object_get(props, keys[i]));
        if (s && *s)
            return s;
    }
    return "";
}

const json_t *geo_features(const json_t *doc, json_t **tmp)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    *tmp = NULL;
    if (type && strcmp(type, "FeatureCollection") == 0)
        return json_object_get(doc, "features");
    *tmp = json_array();
    json_array_append(*tmp, (json_t *)doc);
    return *tmp;
}

int geo_check_collection(const json_t *doc, struct geo_bbox *bb, struct geo_stats *st,
                         struct geo_fail *f)
{
    const char *type;
    const json_t *feats;

    if (bb)
        geo_bbox_init(bb);
    if (st)
        memset(st, 0, sizeof(*st));
    if (!json_is_object(doc))
        return fail(f, "wrong_type", -1, NULL, -1, -1, -1, "the file is not a GeoJSON object");
    type = json_string_value(json_object_get(doc, "type"));
    if (!type)
        return fail(f, "wrong_type", -1, NULL, -1, -1, -1,
                    "the GeoJSON object has no \"type\" member");
    if (strcmp(type, "FeatureCollection") == 0) {
        feats = json_object_get(doc, "features");
        if (!json_is_array(feats))
            return fail(f, "wrong_type", -1, NULL, -1, -1, -1,
                        "the FeatureCollection has no \"features\" array");
        if (json_array_size(feats) == 0)
            return fail(f, "empty", -1, NULL, -1, -1, -1, "the FeatureCollection has no features");
        for (size_t i = 0; i < json_array_size(feats); i++) {
            const json_t *ft = json_array_get(feats, i);
            const char *ftype = json_string_value(json_object_get(ft, "type"));
            if (!json_is_object(ft) || !ftype || strcmp(ftype, "Feature") != 0)
                return fail(f, "wrong_type", (int)i, NULL, -1, -1, -1,
                            "a member of \"features\" is not a Feature object");
            if (geo_check_geometry(json_object_get(ft, "geometry"), (int)i, geo_feature_label(ft),
                                   bb, st, f) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(type, "Feature") == 0)
        return geo_check_geometry(json_object_get(doc, "geometry"), 0, geo_feature_label(doc), bb,
                                  st, f);
    return geo_check_geometry(doc, -1, NULL, bb, st, f);
}
