/*
 * fuzz_geo.c -- GeoJSON boundaries an administrator uploads (POST
 * /api/v1/map/boundaries; backend/src/domain/geo.c): the bytes as JSON, then
 * geo_check_collection() with its ring checks, the feature view and the
 * feature names cut to a length as messages use them.  A document the
 * checker accepts must have a bounding box inside WGS84 degrees.
 */
#include "domain/geo.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    struct geo_bbox bb;
    struct geo_stats st;
    struct geo_fail f;
    json_t *tmp = NULL;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

    if (!doc)
        return 0;
    memset(&st, 0, sizeof(st));
    memset(&f, 0, sizeof(f));
    geo_bbox_init(&bb);
    if (geo_check_collection(doc, &bb, &st, &f) == 0) {
        if (!bb.empty && (bb.min_lon < -180 || bb.max_lon > 180 || bb.min_lat < -90 ||
                          bb.max_lat > 90 || bb.min_lon > bb.max_lon || bb.min_lat > bb.max_lat))
            __builtin_trap(); /* accepted positions outside WGS84 degrees */
        const json_t *features = geo_features(doc, &tmp);
        size_t i;
        json_t *feature;
        json_array_foreach(features, i, feature)
        {
            char cut[41];
            geo_utf8_cut(geo_feature_label(feature), 40, cut);
        }
        json_decref(tmp);
    } else {
        (void)strlen(f.msg);
    }
    json_decref(doc);
    return 0;
}
