/*
 * geo.h -- checking GeoJSON area geometry before it goes into the map.
 *
 * Boundaries are loaded by an administrator from files made elsewhere (the
 * city's surveying office, a GIS export).  A polygon that is not closed, that
 * crosses itself or that was saved in a projected coordinate system draws as
 * nonsense and, worse, looks plausible on a briefing slide.  So every ring is
 * checked here before anything is stored, and a refusal says which feature,
 * which polygon, which ring and which check, so the person holding the file
 * can fix it.
 *
 * Pure functions over jansson values: no database, no allocation that
 * outlives a call; tests/unit/test_geo.c checks them by hand.
 *
 * Rules (RFC 7946 plus what a town boundary needs):
 *  - geometry type Polygon or MultiPolygon (points and lines are no areas);
 *  - positions are [lon, lat] or [lon, lat, alt] numbers, lon in
 *    [-180, 180], lat in [-90, 90] (WGS84 degrees; metres of a projected
 *    system fall outside at once);
 *  - a ring has at least 4 positions and its last equals its first;
 *  - a ring does not cross or touch itself (consecutive repeated positions
 *    are tolerated and skipped, a spike folding back on itself is not);
 *  - ring orientation is not enforced (RFC 7946 asks parsers not to reject
 *    on it), and holes are not checked against their shell.
 */
#ifndef RELIEF_GEO_H
#define RELIEF_GEO_H

#include <jansson.h>
#include <stddef.h>

struct geo_bbox {
    double min_lon, min_lat, max_lon, max_lat;
    int empty; /* 1 until a position was added */
};
void geo_bbox_init(struct geo_bbox *b);
void geo_bbox_add(struct geo_bbox *b, double lon, double lat);
/* 1 when `in` lies inside `out` grown by `margin` degrees on every side. */
int geo_bbox_within(const struct geo_bbox *in, const struct geo_bbox *out, double margin);

/* Why a check failed, and where.  Indexes are 0-based, -1 when not relevant. */
struct geo_fail {
    const char *check; /* a stable word: see geo.c (e.g. "not_closed") */
    int feature, polygon, ring, position;
    char msg[400]; /* for people: "feature 3 (石碣镇), polygon 0, ring 0: ..." */
};

/* Counts found while checking (for the import summary). */
struct geo_stats {
    int polygons, rings, positions;
};

/*
 * One geometry object (Polygon or MultiPolygon).  Returns 0 and grows *bb
 * (may be NULL) and *st (may be NULL), or -1 with *f filled; `feature` and
 * `label` (may be NULL) only name the feature in the message.
 */
int geo_check_geometry(const json_t *geom, int feature, const char *label, struct geo_bbox *bb,
                       struct geo_stats *st, struct geo_fail *f);

/*
 * A FeatureCollection of area features (a single Feature or a bare
 * geometry is accepted too, as one feature).  Each feature needs a
 * geometry; `label_of` (may be NULL) names a feature for messages.  The
 * bbox of everything is returned in *bb.  Empty collections are refused.
 */
int geo_check_collection(const json_t *doc, struct geo_bbox *bb, struct geo_stats *st,
                         struct geo_fail *f);

/* The features of a document checked by geo_check_collection, as an array
 * view: for a FeatureCollection its "features", else a one-element array
 * holding doc itself (*tmp owns it; json_decref it after use). */
const json_t *geo_features(const json_t *doc, json_t **tmp);

/* A short name of a feature for messages: properties.name_zh, name, code,
 * adcode, else "" (never NULL). */
const char *geo_feature_label(const json_t *feature);

/*
 * 1 when segments [a,b] and [c,d] share at least one point (touching and
 * collinear overlap included).  Exact arithmetic on the doubles given: the
 * products stay exact enough for degrees at metre resolution.
 */
int geo_segments_touch(const double a[2], const double b[2], const double c[2], const double d[2]);

/* Copy at most `max` bytes of UTF-8 text s into out (max + 1 bytes), never
 * cutting a character in two: names from a file end up in JSON messages,
 * which must stay valid UTF-8. */
void geo_utf8_cut(const char *s, size_t max, char *out);

/* Point in ring (even-odd), ring as n [lon,lat] pairs, closed or not. */
int geo_point_in_ring(const double (*ring)[2], int n, double lon, double lat);

#endif
