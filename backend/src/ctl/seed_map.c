/*
 * seed_map.c -- the map's part of `reliefctl seed`, and `reliefctl
 * map-import FILE [--source TEXT] [--dry-run]`.
 *
 * seed: db/seed/dongguan_outline.geojson goes into map_layer 'outline'
 * after the same checks an imported boundary gets (domain/geo.c), so a
 * file damaged in an edit stops the seed instead of drawing garbage.  Town
 * points come with the divisions (seed.c reads dongguan_towns_coords.csv).
 * Like the rest of the seed, an outline already loaded is kept as it is.
 *
 * map-import: official town boundaries from a GeoJSON file, through the
 * very function POST /api/v1/map/boundaries uses (http/h_map.c), in one
 * transaction: a bad file is refused with the feature, ring and check at
 * fault, and nothing is written.
 */
#include "ctl.h"

#include "../core/err.h"
#include "../domain/geo.h"
#include "../http/handlers.h"
#include "../store/db.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTLINE_FILE "dongguan_outline.geojson"

static const char *prop(const json_t *feature, const char *key)
{
    return json_string_value(json_object_get(json_object_get(feature, "properties"), key));
}

int seed_map(const char *dir, struct db_conn *c, struct app_err *err)
{
    char path[1024], minlon[24], minlat[24], maxlon[24], maxlat[24];
    json_error_t je;
    json_t *doc, *tmp = NULL;
    const json_t *feats, *first;
    struct geo_bbox bb;
    struct geo_stats st;
    struct geo_fail f;
    int64_t have;
    char *text;
    int rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, OUTLINE_FILE) >= sizeof(path))
        return err_set(err, 400, "bad_seed", "%s: path too long", OUTLINE_FILE);
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return err_set(err, 400, "bad_seed", "%s:%d: %s", path, je.line, je.text);
    if (geo_check_collection(doc, &bb, &st, &f) != 0) {
        json_decref(doc);
        return err_set(err, 400, "bad_seed", "%s: %s", path, f.msg);
    }
    feats = geo_features(doc, &tmp);
    first = json_array_get(feats, 0);
    if (db_query_int(c, &have, err, "SELECT COUNT(*) FROM map_layer WHERE code = 'outline'", "") !=
        0) {
        json_decref(tmp);
        json_decref(doc);
        return -1;
    }
    if (have > 0) {
        fprintf(stderr, "  map outline       1  (already present, kept)\n");
        json_decref(tmp);
        json_decref(doc);
        return 0;
    }
    snprintf(minlon, sizeof(minlon), "%.6f", bb.min_lon);
    snprintf(minlat, sizeof(minlat), "%.6f", bb.min_lat);
    snprintf(maxlon, sizeof(maxlon), "%.6f", bb.max_lon);
    snprintf(maxlat, sizeof(maxlat), "%.6f", bb.max_lat);
    /* Stored as one Feature: the layer endpoint wraps it in a collection. */
    text = json_dumps(first, JSON_COMPACT | JSON_REAL_PRECISION(10));
    rc = text ? db_exec(c, err,
                        "INSERT INTO map_layer (code, name_zh, name_en, source, geojson, positions,"
                        " min_lon, min_lat, max_lon, max_lat)"
                        " VALUES ('outline', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssslssss", prop(first, "name_zh") ? prop(first, "name_zh") : "城市轮廓",
                        prop(first, "name_en") ? prop(first, "name_en") : "City outline",
                        prop(first, "source"), text, (long long)st.positions, minlon, minlat,
                        maxlon, maxlat)
              : err_set(err, 500, "internal", "out of memory");
    free(text);
    json_decref(tmp);
    json_decref(doc);
    if (rc == 0)
        fprintf(stderr, "  map outline       1  (new: %d rings, %d positions)\n", st.rings,
                st.positions);
    return rc;
}

static void usage(void)
{
    fputs("usage: reliefctl map-import FILE [--source TEXT] [--dry-run]\n"
          "  Loads town boundaries (GeoJSON FeatureCollection of Polygon/MultiPolygon\n"
          "  features, WGS84) and matches each feature to a town-level unit by\n"
          "  properties.code (or adcode) or by name (name_zh / name).  Every ring is\n"
          "  checked first; a bad file is refused with the reason and nothing is\n"
          "  written.  --dry-run checks and matches without writing.\n",
          stderr);
}

int ctl_map_import(const struct config *cfg, int argc, char **argv)
{
    const char *file = NULL, *source = NULL;
    int dry = 0;
    json_error_t je;
    json_t *doc, *summary = NULL;
    struct db_conn *c;
    struct app_err err;

    err_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
            source = argv[++i];
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            dry = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return CTL_OK;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            fprintf(stderr, "map-import: unknown argument '%s'\n", argv[i]);
            usage();
            return CTL_USAGE;
        }
    }
    if (!file) {
        usage();
        return CTL_USAGE;
    }
    doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        fprintf(stderr, "map-import: %s:%d: not JSON: %s; nothing was written\n", file, je.line,
                je.text);
        return CTL_USAGE;
    }
    if (!source)
        source = file;
    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "map-import: %s\n", err.msg);
        json_decref(doc);
        return CTL_NO_DB;
    }
    if (db_begin(c, &err) != 0 || map_import_boundaries(c, 0, doc, source, &summary, &err) != 0 ||
        (dry ? (db_rollback(c), 0) : db_commit(c, &err)) != 0) {
        int rc = err.http == 503 ? CTL_NO_DB : err.http >= 500 ? CTL_CHECK_FAILED : CTL_USAGE;
        if (db_in_txn(c))
            db_rollback(c);
        fprintf(stderr, "map-import: %s: %s; nothing was written\n", file, err.msg);
        db_close(c);
        json_decref(doc);
        return rc;
    }
    db_close(c);
    json_object_set_new(summary, "dry_run", json_boolean(dry));
    {
        char *s = json_dumps(summary, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
    }
    json_decref(summary);
    json_decref(doc);
    return CTL_OK;
}
