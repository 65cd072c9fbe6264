/*
 * seed.c -- `reliefctl seed [--dir DIR]`: reference data from db/seed/ into
 * the database (org units, item catalogue, standards, flood seasons, the
 * village "ten haves").
 *
 * Every file is read and checked before the database is touched; a bad file
 * stops the command with "file:line: reason" (exit 2).  The writes then run in
 * one transaction.  Running the seed again changes nothing: rows are looked up
 * by their natural key and only inserted when missing.  A row that exists is
 * never overwritten -- an administrator may have edited it (a town's reserve
 * population, a corrected coordinate, a shelf life) -- only its empty (NULL)
 * fields are filled in, and the tree structure (parent, path) of the official
 * divisions is kept right.  Standards are versioned: when version 1 of a
 * standard exists, it is kept as it is and a difference from the file is
 * reported (an administrator changes a standard by making a new version).
 */
#include "csvread.h"
#include "ctl.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../store/db.h"

#include <mysqld_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOWN_RESERVE_PERSONS 500
#define MSG_LEN 768

/* ------------------------------------------------------------ small checks */

/* Number of characters in UTF-8 text (csvread has checked the encoding). */
static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Plain decimal: optional '-', 1..maxint digits, optional '.' and 1..maxfrac digits. */
static int dec_ok(const char *s, int maxint, int maxfrac)
{
    int ni = 0, nf = 0;
    if (*s == '-')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        ni++;
    if (ni == 0 || ni > maxint)
        return 0;
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++)
            nf++;
        if (nf == 0 || nf > maxfrac)
            return 0;
    }
    return *s == '\0';
}

/* Optional whole number in [lo, hi]: 1 when empty (*v = -1), 0 when bad. */
static int opt_int(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
    if (!*s) {
        *v = -1;
        return 1;
    }
    return parse_int64(s, v) == 0 && *v >= lo && *v <= hi;
}

/* "MM-DD" of a real day (29 February allowed). */
static int md_ok(const char *s)
{
    int y, m, d;
    char buf[11];
    if (strlen(s) != 5)
        return 0;
    snprintf(buf, sizeof(buf), "2000-%s", s);
    return date_parse(buf, &y, &m, &d) == 0;
}

static int code_ok(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxlen)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              *s == '-' || *s == '_' || *s == '.' || *s == ':'))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ the files, in memory */

struct division {
    const char *code, *name_zh, *name_en, *kind, *parent_code;
    int64_t population; /* -1: unknown */
    int line;
    int parent;            /* index, -1 for the root */
    const char *lat, *lon; /* NULL when no point */
    int64_t id;
    char path[256];
};

struct item {
    const char *code, *name_zh, *name_en, *unit, *tracking;
    int64_t gbt_class, shelf, inspect; /* -1: none */
    char category[49];
    int line;
    int64_t id;
};

/* One standard line as it will be stored. */
struct sline {
    int item; /* index into items, -1 for a check line */
    const char *check_code;
    const char *basis;
    int64_t qty; /* milli */
    const char *source;
    char note[320];
};

struct standard {
    char code[49];
    const char *kind;
    char team_kind[33];
    char name_zh[97], name_en[161];
    int64_t ref_headcount; /* -1: none */
    const char *source;
    struct sline *lines;
    int nlines, cap;
};

struct season {
    const char *region;
    int64_t year;            /* -1: climatological */
    const char *start, *end; /* "" when unknown */
    const char *source;
    int line;
};

struct seed {
    char dir[512];
    struct csvr_table div_t, coord_t, item_t, town_t, team_t, ten_t, season_t;
    struct division *div;
    int ndiv;
    struct item *items;
    int nitems;
    struct standard *std;
    int nstd;
    struct season *seasons;
    int nseasons;
    int nwarn;
    /* Readiness data (kits.csv, standard_substitutes.csv): see read_readiness. */
    struct csvr_table kit_t, sub_t;
    int kits_new, kits_kept, subs_new, subs_kept;
};

static void warn(struct seed *S, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct seed *S, const char *fmt, ...)
{
    va_list ap;
    S->nwarn++;
    fputs("seed: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int load_file(struct seed *S, struct csvr_table *t, const char *name,
                     const char *const *cols, char *msg)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", S->dir, name);
    if (csvr_load(path, t, msg, MSG_LEN) != 0)
        return -1;
    return csvr_require(t, cols, msg, MSG_LEN);
}

#define BAD(t, r, ...)                                                                             \
    do {                                                                                           \
        int n_ = snprintf(msg, MSG_LEN, "%s:%d: ", (t)->path, (t)->rows[r].line);                  \
        snprintf(msg + n_, MSG_LEN - (size_t)n_, __VA_ARGS__);                                     \
        return -1;                                                                                 \
    } while (0)

#define OOM()                                                                                      \
    do {                                                                                           \
        snprintf(msg, MSG_LEN, "out of memory");                                                   \
        return -1;                                                                                 \
    } while (0)

static int find_div(const struct seed *S, const char *code)
{
    for (int i = 0; i < S->ndiv; i++)
        if (strcmp(S->div[i].code, code) == 0)
            return i;
    return -1;
}

static int find_item_code(const struct seed *S, const char *code)
{
    for (int i = 0; i < S->nitems; i++)
        if (strcmp(S->items[i].code, code) == 0)
            return i;
    return -1;
}

static int find_item_name(const struct seed *S, const char *name_zh)
{
    for (int i = 0; i < S->nitems; i++)
        if (strcmp(S->items[i].name_zh, name_zh) == 0)
            return i;
    return -1;
}

/* divisions.csv + dongguan_towns_coords.csv */
static int read_divisions(struct seed *S, char *msg)
{
    static const char *const dcols[] = {"code",        "name_zh",         "name_en", "kind",
                                        "parent_code", "population_2020", NULL};
    static const char *const ccols[] = {"code", "name_zh", "lat", "lon", "datum", NULL};
    struct csvr_table *t = &S->div_t, *c = &S->coord_t;
    int roots = 0;

    if (load_file(S, t, "divisions.csv", dcols, msg) != 0)
        return -1;
    S->div = calloc((size_t)t->nrows + 1, sizeof(*S->div));
    if (!S->div)
        OOM();
    for (int r = 0; r < t->nrows; r++) {
        struct division *d = &S->div[S->ndiv];
        d->code = csvr_get(t, r, csvr_col(t, "code"));
        d->name_zh = csvr_get(t, r, csvr_col(t, "name_zh"));
        d->name_en = csvr_get(t, r, csvr_col(t, "name_en"));
        d->kind = csvr_get(t, r, csvr_col(t, "kind"));
        d->parent_code = csvr_get(t, r, csvr_col(t, "parent_code"));
        d->line = t->rows[r].line;
        d->parent = -1;
        if (!code_ok(d->code, 32))
            BAD(t, r,
                "code '%s' is empty, too long or has characters other than A-Z a-z 0-9 - _ . :",
                d->code);
        if (find_div(S, d->code) >= 0)
            BAD(t, r, "code %s appears twice", d->code);
        if (!*d->name_zh || u8len(d->name_zh) > 64)
            BAD(t, r, "name_zh must have 1 to 64 characters");
        if (!*d->name_en || u8len(d->name_en) > 128)
            BAD(t, r, "name_en must have 1 to 128 characters");
        if (strcmp(d->kind, "city") && strcmp(d->kind, "subdistrict") && strcmp(d->kind, "town") &&
            strcmp(d->kind, "park"))
            BAD(t, r, "kind '%s' is not one of city, subdistrict, town, park", d->kind);
        if (!opt_int(csvr_get(t, r, csvr_col(t, "population_2020")), 0, 4000000000LL,
                     &d->population))
            BAD(t, r, "population_2020 '%s' is not a whole number of persons",
                csvr_get(t, r, csvr_col(t, "population_2020")));
        if (!strcmp(d->kind, "city") != !*d->parent_code)
            BAD(t, r, "the city (and only the city) has no parent_code");
        if (!strcmp(d->kind, "city"))
            roots++;
        S->ndiv++;
    }
    if (roots != 1) {
        snprintf(msg, MSG_LEN, "%s:1: expected exactly one row of kind city, found %d", t->path,
                 roots);
        return -1;
    }
    for (int i = 0; i < S->ndiv; i++) {
        struct division *d = &S->div[i];
        if (!*d->parent_code)
            continue;
        d->parent = find_div(S, d->parent_code);
        if (d->parent < 0 || d->parent == i) {
            snprintf(msg, MSG_LEN, "%s:%d: parent_code %s is not a code of this file", t->path,
                     d->line, d->parent_code);
            return -1;
        }
    }
    for (int i = 0; i < S->ndiv; i++) { /* no cycles: every chain reaches the root */
        int p = i, depth = 0;
        while (p >= 0 && depth <= S->ndiv) {
            p = S->div[p].parent;
            depth++;
        }
        if (p >= 0 || depth > 6) {
            snprintf(msg, MSG_LEN, "%s:%d: parent chain of %s does not reach the city", t->path,
                     S->div[i].line, S->div[i].code);
            return -1;
        }
    }

    if (load_file(S, c, "dongguan_towns_coords.csv", ccols, msg) != 0)
        return -1;
    for (int r = 0; r < c->nrows; r++) {
        const char *code = csvr_get(c, r, csvr_col(c, "code"));
        const char *lat = csvr_get(c, r, csvr_col(c, "lat"));
        const char *lon = csvr_get(c, r, csvr_col(c, "lon"));
        const char *datum = csvr_get(c, r, csvr_col(c, "datum"));
        int i = find_div(S, code);
        if (i < 0)
            BAD(c, r, "code %s is not in divisions.csv", code);
        if (S->div[i].lat)
            BAD(c, r, "a second point for %s", code);
        if (strcmp(datum, "WGS84") != 0)
            BAD(c, r, "datum '%s': points must be WGS84 (convert GCJ-02/BD-09 first)", datum);
        if (!dec_ok(lat, 2, 6) || atof(lat) < -90 || atof(lat) > 90)
            BAD(c, r, "lat '%s' is not a latitude in degrees (at most 6 decimals)", lat);
        if (!dec_ok(lon, 3, 6) || atof(lon) < -180 || atof(lon) > 180)
            BAD(c, r, "lon '%s' is not a longitude in degrees (at most 6 decimals)", lon);
        S->div[i].lat = lat;
        S->div[i].lon = lon;
    }
    for (int i = 0; i < S->ndiv; i++)
        if (!S->div[i].lat && strcmp(S->div[i].kind, "city") != 0)
            warn(S, "%s: no point for %s %s in dongguan_towns_coords.csv", t->path, S->div[i].code,
                 S->div[i].name_zh);
    return 0;
}

/* item_catalogue.csv */
static int read_items(struct seed *S, char *msg)
{
    static const char *const cols[] = {
        "code", "name_zh",  "name_en",           "gbt38565_class",
        "unit", "tracking", "shelf_life_months", "inspection_interval_days",
        NULL};
    struct csvr_table *t = &S->item_t;

    if (load_file(S, t, "item_catalogue.csv", cols, msg) != 0)
        return -1;
    S->items = calloc((size_t)t->nrows + 1, sizeof(*S->items));
    if (!S->items)
        OOM();
    for (int r = 0; r < t->nrows; r++) {
        struct item *it = &S->items[S->nitems];
        it->code = csvr_get(t, r, csvr_col(t, "code"));
        it->name_zh = csvr_get(t, r, csvr_col(t, "name_zh"));
        it->name_en = csvr_get(t, r, csvr_col(t, "name_en"));
        it->unit = csvr_get(t, r, csvr_col(t, "unit"));
        it->tracking = csvr_get(t, r, csvr_col(t, "tracking"));
        it->line = t->rows[r].line;
        if (!code_ok(it->code, 32))
            BAD(t, r,
                "code '%s' is empty, too long or has characters other than A-Z a-z 0-9 - _ . :",
                it->code);
        if (find_item_code(S, it->code) >= 0)
            BAD(t, r, "code %s appears twice", it->code);
        if (!*it->name_zh || u8len(it->name_zh) > 96)
            BAD(t, r, "name_zh must have 1 to 96 characters");
        if (!*it->name_en || u8len(it->name_en) > 255)
            BAD(t, r, "name_en must have 1 to 255 characters");
        if (!*it->unit || u8len(it->unit) > 16)
            BAD(t, r, "unit must have 1 to 16 characters");
        if (strcmp(it->tracking, "bulk") && strcmp(it->tracking, "lot") &&
            strcmp(it->tracking, "serial"))
            BAD(t, r, "tracking '%s' is not one of bulk, lot, serial", it->tracking);
        if (!opt_int(csvr_get(t, r, csvr_col(t, "gbt38565_class")), 1, 3, &it->gbt_class))
            BAD(t, r, "gbt38565_class must be 1, 2, 3 or empty");
        if (!opt_int(csvr_get(t, r, csvr_col(t, "shelf_life_months")), 1, 65535, &it->shelf))
            BAD(t, r, "shelf_life_months must be a whole number of months (1-65535) or empty");
        if (!opt_int(csvr_get(t, r, csvr_col(t, "inspection_interval_days")), 1, 65535,
                     &it->inspect))
            BAD(t, r, "inspection_interval_days must be a whole number of days (1-65535) or empty");
        S->nitems++;
    }
    return 0;
}

static struct standard *new_standard(struct seed *S, const char *code, const char *kind)
{
    struct standard *ns = realloc(S->std, (size_t)(S->nstd + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    S->std = ns;
    memset(&S->std[S->nstd], 0, sizeof(S->std[0]));
    snprintf(S->std[S->nstd].code, sizeof(S->std[0].code), "%s", code);
    S->std[S->nstd].kind = kind;
    S->std[S->nstd].ref_headcount = -1;
    return &S->std[S->nstd++];
}

static struct sline *new_line(struct standard *st)
{
    if (st->nlines == st->cap) {
        int ncap = st->cap ? st->cap * 2 : 32;
        struct sline *nl = realloc(st->lines, (size_t)ncap * sizeof(*nl));
        if (!nl)
            return NULL;
        st->lines = nl;
        st->cap = ncap;
    }
    memset(&st->lines[st->nlines], 0, sizeof(st->lines[0]));
    return &st->lines[st->nlines++];
}

/*
 * A standard names an item by code and Chinese name; the catalogue merged the
 * items of all standards by Chinese name, so a code of a team standard may be
 * absent there while the same thing is present under another code.
 */
static int match_item(struct seed *S, const char *file, int line, const char *std, const char *code,
                      const char *name_zh, const char *unit, char *note, size_t notelen)
{
    int i = find_item_code(S, code);
    note[0] = '\0';
    if (i < 0) {
        i = find_item_name(S, name_zh);
        if (i < 0) {
            warn(S, "%s:%d: %s: %s %s (%s) matches no catalogue item by code or name; line skipped",
                 file, line, std, code, name_zh, unit);
            return -1;
        }
        snprintf(note, notelen,
                 "the source standard lists %s %s (%s); catalogue item %s has the same name", code,
                 name_zh, unit, S->items[i].code);
    }
    if (strcmp(S->items[i].unit, unit) != 0)
        warn(S, "%s:%d: %s: %s is counted in %s here but in %s in the catalogue", file, line, std,
             code, unit, S->items[i].unit);
    return i;
}

/* The item category for items that no town-reserve line names: from the code. */
static void derive_category(struct item *it)
{
    static const struct {
        const char *prefix, *cat;
    } map[] = {
        {"DG-SH", "shelter"},
        {"DG-BD", "bedding"},
        {"DG-CL", "clothing"},
        {"DG-FW", "food_water"},
        {"DG-HY", "hygiene"},
        {"DG-MD", "medical"},
        {"DG-FU", "furniture"},
        {"DG-LP", "lighting_power"},
        {"DG-WP", "water"},
        {"DG-CM", "comms"},
        {"DG-FR", "flood_rescue"},
        {"SP-PP", "forest_fire_ppe"},
        {"SP-TM", "forest_fire_equipment"},
        {"VV-PP", "forest_fire_ppe"},
        {"VV-TM", "forest_fire_equipment"},
        {"PF", "forest_fire_equipment"},
        {"FW-PP", "water_rescue_ppe"},
        {"FW-TM", "water_rescue_equipment"},
        {"TF", "fire_monitoring"},
    };
    char prefix[33];
    const char *dash = strrchr(it->code, '-');
    const char *cat = "other";
    size_t n = dash ? (size_t)(dash - it->code) : strlen(it->code);

    if (n >= sizeof(prefix))
        n = sizeof(prefix) - 1;
    memcpy(prefix, it->code, n);
    prefix[n] = '\0';
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].prefix, prefix) == 0)
            cat = map[i].cat;
    if (it->gbt_class > 0)
        snprintf(it->category, sizeof(it->category), "%lld-%s", (long long)it->gbt_class, cat);
    else
        snprintf(it->category, sizeof(it->category), "%s", cat);
}

/* town_reserve_standard.csv */
static int read_town_standard(struct seed *S, char *msg)
{
    static const char *const cols[] = {
        "code", "name_zh", "category", "unit", "qty_per_500_persons", "source", NULL};
    struct csvr_table *t = &S->town_t;
    struct standard *st;

    if (load_file(S, t, "town_reserve_standard.csv", cols, msg) != 0)
        return -1;
    st = new_standard(S, "town_reserve", "town_reserve");
    if (!st)
        OOM();
    snprintf(st->name_zh, sizeof(st->name_zh), "镇街救灾物资储备标准（按500人）");
    snprintf(st->name_en, sizeof(st->name_en), "Town relief reserve standard (per 500 persons)");
    st->source = "db/seed/town_reserve_standard.csv: a reconstruction. The nine categories are "
                 "official (Dongguan municipal reserve rules 2025, Guangdong 2023); quantities are "
                 "derived from Sphere minimums and other towns' lists, as each line's source says.";
    for (int r = 0; r < t->nrows; r++) {
        const char *code = csvr_get(t, r, csvr_col(t, "code"));
        const char *name = csvr_get(t, r, csvr_col(t, "name_zh"));
        const char *cat = csvr_get(t, r, csvr_col(t, "category"));
        const char *unit = csvr_get(t, r, csvr_col(t, "unit"));
        const char *qty = csvr_get(t, r, csvr_col(t, "qty_per_500_persons"));
        char note[320];
        int64_t q;
        int i;
        struct sline *l;

        if (!*cat || u8len(cat) > 48)
            BAD(t, r, "category must have 1 to 48 characters");
        if (qty_parse(qty, &q) != 0 || q < 0)
            BAD(t, r, "qty_per_500_persons '%s' is not a quantity >= 0 (at most 3 decimals)", qty);
        i = match_item(S, t->path, t->rows[r].line, "town_reserve", code, name, unit, note,
                       sizeof(note));
        if (i < 0)
            continue;
        for (int k = 0; k < st->nlines; k++)
            if (st->lines[k].item == i)
                BAD(t, r, "item %s is named twice in the standard", S->items[i].code);
        if (S->items[i].category[0] && strcmp(S->items[i].category, cat) != 0)
            warn(S, "%s:%d: item %s has two categories; keeping %s", t->path, t->rows[r].line,
                 S->items[i].code, S->items[i].category);
        else
            snprintf(S->items[i].category, sizeof(S->items[i].category), "%s", cat);
        if (!(l = new_line(st)))
            OOM();
        l->item = i;
        l->basis = "per_500_persons";
        l->qty = q;
        l->source = csvr_get(t, r, csvr_col(t, "source"));
        snprintf(l->note, sizeof(l->note), "%s", note);
    }
    for (int i = 0; i < S->nitems; i++)
        if (!S->items[i].category[0])
            derive_category(&S->items[i]);
    return 0;
}

static void team_names(const char *kind, struct standard *st)
{
    static const struct {
        const char *kind, *zh, *en;
    } names[] = {
        {"forest_semi_pro", "镇街半专业森林消防队装备标准",
         "Town semi-professional forest-fire team equipment standard"},
        {"forest_volunteer", "村级森林防火志愿队装备标准",
         "Village volunteer forest-fire team equipment standard"},
        {"forest_professional", "专业森林消防队装备标准",
         "Professional forest-fire team equipment standard"},
        {"flood_rescue", "防汛抢险水域救援队装备标准",
         "Flood and water-rescue team equipment standard"},
        {"town_forest_monitoring", "重点林区镇街林火视频监控配置标准",
         "Forest-fire video monitoring per key forested town"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].kind, kind) == 0) {
            snprintf(st->name_zh, sizeof(st->name_zh), "%s", names[i].zh);
            snprintf(st->name_en, sizeof(st->name_en), "%s", names[i].en);
            return;
        }
    snprintf(st->name_zh, sizeof(st->name_zh), "%s 装备标准", kind);
    snprintf(st->name_en, sizeof(st->name_en), "%s equipment standard", kind);
}

/* team_equipment_standard.csv */
static int read_team_standards(struct seed *S, char *msg)
{
    static const char *const cols[] = {
        "team_kind", "reference_headcount", "code", "name_zh", "unit", "basis", "qty", "source",
        NULL};
    struct csvr_table *t = &S->team_t;

    if (load_file(S, t, "team_equipment_standard.csv", cols, msg) != 0)
        return -1;
    for (int r = 0; r < t->nrows; r++) {
        const char *kind = csvr_get(t, r, csvr_col(t, "team_kind"));
        const char *code = csvr_get(t, r, csvr_col(t, "code"));
        const char *name = csvr_get(t, r, csvr_col(t, "name_zh"));
        const char *unit = csvr_get(t, r, csvr_col(t, "unit"));
        const char *basis = csvr_get(t, r, csvr_col(t, "basis"));
        const char *qty = csvr_get(t, r, csvr_col(t, "qty"));
        char stcode[49], note[320];
        struct standard *st = NULL;
        struct sline *l;
        int64_t head, q;
        int i;

        if (!code_ok(kind, 32))
            BAD(t, r, "team_kind '%s' is empty, too long or not a plain word", kind);
        if (!opt_int(csvr_get(t, r, csvr_col(t, "reference_headcount")), 0, 100000, &head) ||
            head < 0)
            BAD(t, r, "reference_headcount must be a whole number >= 0");
        if (strcmp(basis, "per_person") && strcmp(basis, "per_team"))
            BAD(t, r, "basis '%s' is not per_person or per_team", basis);
        if (qty_parse(qty, &q) != 0 || q < 0)
            BAD(t, r, "qty '%s' is not a quantity >= 0 (at most 3 decimals)", qty);
        if (!*code || !*name)
            BAD(t, r, "code and name_zh are required");
        snprintf(stcode, sizeof(stcode), "team:%s", kind);
        for (int k = 0; k < S->nstd; k++)
            if (strcmp(S->std[k].code, stcode) == 0)
                st = &S->std[k];
        if (!st) {
            if (!(st = new_standard(S, stcode, "team_equipment")))
                OOM();
            snprintf(st->team_kind, sizeof(st->team_kind), "%s", kind);
            st->ref_headcount = head > 0 ? head : -1;
            st->source = "db/seed/team_equipment_standard.csv (each line names its own source)";
            team_names(kind, st);
        } else if ((head > 0 ? head : -1) != st->ref_headcount) {
            BAD(t, r, "reference_headcount %lld differs from the earlier rows of team_kind %s",
                (long long)head, kind);
        }
        i = match_item(S, t->path, t->rows[r].line, stcode, code, name, unit, note, sizeof(note));
        if (i < 0)
            continue;
        for (int k = 0; k < st->nlines; k++)
            if (st->lines[k].item == i)
                BAD(t, r, "%s names catalogue item %s twice", stcode, S->items[i].code);
        if (!(l = new_line(st)))
            OOM();
        l->item = i;
        l->basis = basis;
        l->qty = q;
        l->source = csvr_get(t, r, csvr_col(t, "source"));
        snprintf(l->note, sizeof(l->note), "%s", note);
    }
    return 0;
}

/* village_ten_haves.csv */
static int read_ten_haves(struct seed *S, char *msg)
{
    static const char *const cols[] = {"code", "name_zh", "name_en", "what_is_checked", NULL};
    struct csvr_table *t = &S->ten_t;
    struct standard *st;

    if (load_file(S, t, "village_ten_haves.csv", cols, msg) != 0)
        return -1;
    st = new_standard(S, "village_ten_haves", "village_ten_haves");
    if (!st)
        OOM();
    snprintf(st->name_zh, sizeof(st->name_zh), "村（社区）防灾减灾“十个有”");
    snprintf(st->name_en, sizeof(st->name_en), "Village disaster-prevention \"ten haves\"");
    st->source = "Guangdong village disaster-prevention checklist (十个有), wording summarised; "
                 "db/seed/village_ten_haves.csv";
    for (int r = 0; r < t->nrows; r++) {
        const char *code = csvr_get(t, r, csvr_col(t, "code"));
        struct sline *l;
        if (!code_ok(code, 16))
            BAD(t, r, "code '%s' is empty, longer than 16 or not a plain word", code);
        for (int k = 0; k < r; k++)
            if (strcmp(csvr_get(t, k, csvr_col(t, "code")), code) == 0)
                BAD(t, r, "code %s appears twice", code);
        if (!*csvr_get(t, r, csvr_col(t, "name_zh")) ||
            u8len(csvr_get(t, r, csvr_col(t, "name_zh"))) > 64)
            BAD(t, r, "name_zh must have 1 to 64 characters");
        if (!*csvr_get(t, r, csvr_col(t, "name_en")) ||
            u8len(csvr_get(t, r, csvr_col(t, "name_en"))) > 128)
            BAD(t, r, "name_en must have 1 to 128 characters");
        if (!*csvr_get(t, r, csvr_col(t, "what_is_checked")))
            BAD(t, r, "what_is_checked is empty");
        if (!(l = new_line(st)))
            OOM();
        l->item = -1;
        l->check_code = code;
        l->basis = "check";
        l->qty = QTY_SCALE; /* the check is met once */
        l->source = "Guangdong village \"ten haves\" (十个有)";
    }
    return 0;
}

/* flood_seasons.csv */
static int read_seasons(struct seed *S, char *msg)
{
    static const char *const cols[] = {"region", "year", "start", "end", "source", NULL};
    struct csvr_table *t = &S->season_t;

    if (load_file(S, t, "flood_seasons.csv", cols, msg) != 0)
        return -1;
    S->seasons = calloc((size_t)t->nrows + 1, sizeof(*S->seasons));
    if (!S->seasons)
        OOM();
    for (int r = 0; r < t->nrows; r++) {
        struct season *s = &S->seasons[S->nseasons];
        const char *dates[2];
        s->region = csvr_get(t, r, csvr_col(t, "region"));
        s->start = dates[0] = csvr_get(t, r, csvr_col(t, "start"));
        s->end = dates[1] = csvr_get(t, r, csvr_col(t, "end"));
        s->source = csvr_get(t, r, csvr_col(t, "source"));
        s->line = t->rows[r].line;
        if (!*s->region || u8len(s->region) > 48)
            BAD(t, r, "region must have 1 to 48 characters");
        if (!opt_int(csvr_get(t, r, csvr_col(t, "year")), 1900, 2200, &s->year))
            BAD(t, r, "year must be empty (climatological season) or a year");
        for (int k = 0; k < 2; k++) {
            int y, m, d;
            if (!*dates[k])
                continue;
            if (s->year < 0 && !md_ok(dates[k]))
                BAD(t, r, "%s '%s': a climatological season (no year) gives MM-DD",
                    k ? "end" : "start", dates[k]);
            if (s->year >= 0 && (date_parse(dates[k], &y, &m, &d) != 0 || y != s->year))
                BAD(t, r, "%s '%s' is not a date (YYYY-MM-DD) in %lld", k ? "end" : "start",
                    dates[k], (long long)s->year);
        }
        if (*s->start && *s->end && strcmp(s->start, s->end) > 0 && s->year >= 0)
            BAD(t, r, "the season ends before it starts");
        for (int k = 0; k < S->nseasons; k++)
            if (strcmp(S->seasons[k].region, s->region) == 0 && S->seasons[k].year == s->year)
                BAD(t, r, "a second row for region %s and this year", s->region);
        S->nseasons++;
    }
    return 0;
}

/* ------------------------------------------------------------ database */

struct counts {
    int org_new, org_seen, item_new, item_seen, std_new, std_kept, std_differs, lines_new;
    int checks_new, checks_seen, season_new, season_seen;
};

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((x) != 0)                                                                              \
            return -1;                                                                             \
    } while (0)

static int lookup_id(struct db_conn *c, struct app_err *err, const char *sql, const char *key,
                     int64_t *id)
{
    struct db_res *r = NULL;
    TRY(db_query(c, &r, err, sql, "s", key));
    *id = r->nrows ? db_get_int(r, 0, 0) : 0;
    db_res_free(r);
    return 0;
}

static int write_org_units(struct seed *S, struct db_conn *c, struct app_err *err, struct counts *n)
{
    int done = 0, before = -1;
    /* Parents first: repeat passes until every unit is written (the tree is shallow). */
    while (done < S->ndiv) {
        if (done == before)
            return err_set(err, 500, "internal", "the division tree has no root");
        before = done;
        for (int i = 0; i < S->ndiv; i++) {
            struct division *d = &S->div[i];
            const struct division *p = d->parent >= 0 ? &S->div[d->parent] : NULL;
            long long parent_id = p ? (long long)p->id : 0;
            long long reserve = TOWN_RESERVE_PERSONS;
            long long pop = d->population;
            int64_t id;

            if (d->id || (p && !p->id))
                continue;
            TRY(lookup_id(c, err, "SELECT id FROM org_unit WHERE code = ?", d->code, &id));
            if (!id) {
                TRY(db_exec(c, err,
                            "INSERT INTO org_unit (code, parent_id, kind, name_zh, name_en, "
                            "population, reserve_persons, lat, lon, path) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
                            "sLsssLLss", d->code, p ? &parent_id : NULL, d->kind, d->name_zh,
                            d->name_en, d->population >= 0 ? &pop : NULL,
                            strcmp(d->kind, "city") ? &reserve : NULL, d->lat, d->lon));
                id = (int64_t)db_insert_id(c);
                n->org_new++;
            } else {
                /* Keep what an administrator may have set; fill only what is empty. */
                TRY(db_exec(c, err,
                            "UPDATE org_unit SET population = COALESCE(population, ?), "
                            "reserve_persons = COALESCE(reserve_persons, ?), "
                            "lon = IF(lat IS NULL AND lon IS NULL, ?, lon), "
                            "lat = IF(lat IS NULL, ?, lat) WHERE id = ?",
                            "LLssl", d->population >= 0 ? &pop : NULL,
                            strcmp(d->kind, "city") ? &reserve : NULL, d->lon, d->lat,
                            (long long)id));
                n->org_seen++;
            }
            d->id = id;
            {
                char path[300];
                if (p)
                    snprintf(path, sizeof(path), "%s%lld/", p->path, (long long)id);
                else
                    snprintf(path, sizeof(path), "/%lld/", (long long)id);
                if (str_copy(d->path, sizeof(d->path), path) != 0)
                    return err_set(err, 422, "path_too_long", "org unit path too long");
            }
            /* The official tree is structural: parent and path always follow the file. */
            TRY(db_exec(c, err, "UPDATE org_unit SET parent_id = ?, path = ? WHERE id = ?", "Lsl",
                        p ? &parent_id : NULL, d->path, (long long)id));
            done++;
        }
    }
    return 0;
}

static int write_items(struct seed *S, struct db_conn *c, struct app_err *err, struct counts *n)
{
    for (int i = 0; i < S->nitems; i++) {
        struct item *it = &S->items[i];
        long long cls = it->gbt_class, shelf = it->shelf, insp = it->inspect;
        long long integral = !(strcmp(it->unit, "L") == 0 || strcmp(it->unit, "米") == 0 ||
                               strcmp(it->unit, "kg") == 0 || strcmp(it->unit, "m") == 0);
        int64_t id;

        TRY(lookup_id(c, err, "SELECT id FROM item WHERE code = ?", it->code, &id));
        if (!id) {
            TRY(db_exec(c, err,
                        "INSERT INTO item (code, name_zh, name_en, category, gbt_class, unit, "
                        "integral, tracking, shelf_life_months, inspection_interval_days) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "ssssLslsLL", it->code, it->name_zh, it->name_en, it->category,
                        cls > 0 ? &cls : NULL, it->unit, integral, it->tracking,
                        shelf > 0 ? &shelf : NULL, insp > 0 ? &insp : NULL));
            id = (int64_t)db_insert_id(c);
            n->item_new++;
        } else {
            TRY(db_exec(c, err, "UPDATE item SET category = COALESCE(category, ?) WHERE id = ?",
                        "sl", it->category, (long long)id));
            n->item_seen++;
        }
        it->id = id;
    }
    return 0;
}

/* 1 when the stored lines of standard_id are exactly `st`'s lines. */
static int lines_equal(struct seed *S, struct db_conn *c, struct app_err *err, int64_t sid,
                       const struct standard *st, int *equal)
{
    struct db_res *r = NULL;
    *equal = 0;
    TRY(db_query(c, &r, err,
                 "SELECT item_id, check_code, basis, qty, min_shelf_months FROM standard_line "
                 "WHERE standard_id = ? ORDER BY id",
                 "l", (long long)sid));
    if (r->nrows == st->nlines) {
        *equal = 1;
        for (int k = 0; k < r->nrows && *equal; k++) {
            const struct sline *l = &st->lines[k];
            const char *cc = db_get(r, k, 1);
            if ((l->item >= 0 ? S->items[l->item].id : 0) != db_get_int(r, k, 0) ||
                strcmp(l->check_code ? l->check_code : "", cc ? cc : "") != 0 ||
                strcmp(l->basis, db_get(r, k, 2)) != 0 || l->qty != db_get_qty(r, k, 3) ||
                db_get(r, k, 4) != NULL)
                *equal = 0;
        }
    }
    db_res_free(r);
    return 0;
}

static int write_standards(struct seed *S, struct db_conn *c, struct app_err *err, struct counts *n)
{
    for (int s = 0; s < S->nstd; s++) {
        const struct standard *st = &S->std[s];
        long long head = st->ref_headcount;
        struct db_res *r = NULL;
        int64_t sid;

        TRY(db_query(c, &r, err, "SELECT id FROM standard WHERE code = ? AND version = 1", "s",
                     st->code));
        sid = r->nrows ? db_get_int(r, 0, 0) : 0;
        db_res_free(r);
        if (sid) {
            int equal;
            TRY(lines_equal(S, c, err, sid, st, &equal));
            n->std_kept++;
            if (!equal) {
                n->std_differs++;
                warn(S,
                     "standard %s version 1 in the database differs from the seed file; kept "
                     "as it is (make a new version to change a standard)",
                     st->code);
            }
            continue;
        }
        TRY(db_exec(c, err,
                    "INSERT INTO standard (code, version, kind, team_kind, name_zh, name_en, "
                    "reference_headcount, source) VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
                    "sssssLs", st->code, st->kind, st->team_kind[0] ? st->team_kind : NULL,
                    st->name_zh, st->name_en, head > 0 ? &head : NULL, st->source));
        sid = (int64_t)db_insert_id(c);
        n->std_new++;
        for (int k = 0; k < st->nlines; k++) {
            const struct sline *l = &st->lines[k];
            long long item_id = l->item >= 0 ? S->items[l->item].id : 0;
            TRY(db_exec(c, err,
                        "INSERT INTO standard_line (standard_id, item_id, check_code, basis, qty, "
                        "min_shelf_months, note, source) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                        "lLssqss", (long long)sid, l->item >= 0 ? &item_id : NULL, l->check_code,
                        l->basis, l->qty, l->note[0] ? l->note : NULL, l->source));
            n->lines_new++;
        }
    }
    return 0;
}

static int write_ten_haves(struct seed *S, struct db_conn *c, struct app_err *err, struct counts *n)
{
    const struct csvr_table *t = &S->ten_t;
    for (int r = 0; r < t->nrows; r++) {
        const char *code = csvr_get(t, r, csvr_col(t, "code"));
        struct db_res *res = NULL;
        int found;
        TRY(db_query(c, &res, err, "SELECT 1 FROM ten_have_check WHERE code = ?", "s", code));
        found = res->nrows > 0;
        db_res_free(res);
        if (found) {
            n->checks_seen++;
            continue;
        }
        TRY(db_exec(c, err,
                    "INSERT INTO ten_have_check (code, name_zh, name_en, what_is_checked) "
                    "VALUES (?, ?, ?, ?)",
                    "ssss", code, csvr_get(t, r, csvr_col(t, "name_zh")),
                    csvr_get(t, r, csvr_col(t, "name_en")),
                    csvr_get(t, r, csvr_col(t, "what_is_checked"))));
        n->checks_new++;
    }
    return 0;
}

static int write_seasons(struct seed *S, struct db_conn *c, struct app_err *err, struct counts *n)
{
    for (int i = 0; i < S->nseasons; i++) {
        const struct season *s = &S->seasons[i];
        long long year = s->year;
        const char *sd = NULL, *ed = NULL, *smd = NULL, *emd = NULL;
        struct db_res *r = NULL;
        int64_t id;

        if (s->year >= 0) {
            sd = *s->start ? s->start : NULL;
            ed = *s->end ? s->end : NULL;
        } else {
            smd = *s->start ? s->start : NULL;
            emd = *s->end ? s->end : NULL;
        }
        TRY(db_query(c, &r, err, "SELECT id FROM flood_season WHERE region = ? AND year <=> ?",
                     "sL", s->region, s->year >= 0 ? &year : NULL));
        id = r->nrows ? db_get_int(r, 0, 0) : 0;
        db_res_free(r);
        if (!id) {
            TRY(db_exec(c, err,
                        "INSERT INTO flood_season (region, year, start_md, end_md, start_date, "
                        "end_date, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "sLsssss", s->region, s->year >= 0 ? &year : NULL, smd, emd, sd, ed,
                        *s->source ? s->source : NULL));
            n->season_new++;
        } else {
            /* A date found later fills the gap; a date already set is kept. */
            TRY(db_exec(c, err,
                        "UPDATE flood_season SET start_md = COALESCE(start_md, ?), "
                        "end_md = COALESCE(end_md, ?), start_date = COALESCE(start_date, ?), "
                        "end_date = COALESCE(end_date, ?), source = COALESCE(source, ?) "
                        "WHERE id = ?",
                        "sssssl", smd, emd, sd, ed, *s->source ? s->source : NULL, (long long)id));
            n->season_seen++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ readiness data (migration 0004) */

/*
 * kits.csv (the family relief kit) and standard_substitutes.csv (what may
 * count for a standard's line, at what ratio).  Both files are optional, so a
 * seed folder made before readiness still loads.  Kits are plain data: a kit
 * is written when its code is new, its lines when it has none.  Substitutes
 * belong to a standard version: they are attached to version 1 only while
 * version 1 has none and no later version exists (an administrator's
 * versions are never touched); otherwise they are kept as they are.
 */
static int read_readiness(struct seed *S, char *msg)
{
    static const char *const kcols[] = {"kit_code", "kit_name_zh", "kit_name_en", "item_code",
                                        "qty",      "source",      NULL};
    static const char *const scols[] = {"standard_code", "item_code", "substitute_item_code",
                                        "ratio",         "source",    NULL};
    char path[1024];
    struct csvr_table *t;

    snprintf(path, sizeof(path), "%s/kits.csv", S->dir);
    if (access(path, R_OK) == 0) {
        t = &S->kit_t;
        if (load_file(S, t, "kits.csv", kcols, msg) != 0)
            return -1;
        for (int r = 0; r < t->nrows; r++) {
            const char *kit = csvr_get(t, r, csvr_col(t, "kit_code"));
            const char *item = csvr_get(t, r, csvr_col(t, "item_code"));
            int64_t q;
            if (!code_ok(kit, 48))
                BAD(t, r, "kit_code '%s' is empty, too long or not a plain code", kit);
            if (!*csvr_get(t, r, csvr_col(t, "kit_name_zh")) ||
                u8len(csvr_get(t, r, csvr_col(t, "kit_name_zh"))) > 96 ||
                !*csvr_get(t, r, csvr_col(t, "kit_name_en")) ||
                u8len(csvr_get(t, r, csvr_col(t, "kit_name_en"))) > 160)
                BAD(t, r, "kit_name_zh (1-96) and kit_name_en (1-160 characters) are required");
            if (find_item_code(S, item) < 0)
                BAD(t, r, "item_code %s is not in item_catalogue.csv", item);
            if (qty_parse(csvr_get(t, r, csvr_col(t, "qty")), &q) != 0 || q <= 0)
                BAD(t, r, "qty '%s' is not a quantity > 0", csvr_get(t, r, csvr_col(t, "qty")));
            for (int k = 0; k < r; k++)
                if (!strcmp(csvr_get(t, k, csvr_col(t, "kit_code")), kit) &&
                    !strcmp(csvr_get(t, k, csvr_col(t, "item_code")), item))
                    BAD(t, r, "kit %s names item %s twice", kit, item);
        }
    } else {
        warn(S, "%s: not found; no kit definitions loaded", path);
    }

    snprintf(path, sizeof(path), "%s/standard_substitutes.csv", S->dir);
    if (access(path, R_OK) == 0) {
        t = &S->sub_t;
        if (load_file(S, t, "standard_substitutes.csv", scols, msg) != 0)
            return -1;
        for (int r = 0; r < t->nrows; r++) {
            const char *std = csvr_get(t, r, csvr_col(t, "standard_code"));
            const char *item = csvr_get(t, r, csvr_col(t, "item_code"));
            const char *sub = csvr_get(t, r, csvr_col(t, "substitute_item_code"));
            int64_t q;
            int known = 0;
            for (int k = 0; k < S->nstd; k++)
                known |= strcmp(S->std[k].code, std) == 0;
            if (!known)
                BAD(t, r, "standard_code %s is none of the standards the seed loads", std);
            if (find_item_code(S, item) < 0 || find_item_code(S, sub) < 0)
                BAD(t, r, "item_code and substitute_item_code must be codes of item_catalogue.csv");
            if (strcmp(item, sub) == 0)
                BAD(t, r, "an item cannot be its own substitute");
            if (qty_parse(csvr_get(t, r, csvr_col(t, "ratio")), &q) != 0 || q <= 0 ||
                q > 1000 * QTY_SCALE)
                BAD(t, r, "ratio '%s' is not a number > 0 and <= 1000",
                    csvr_get(t, r, csvr_col(t, "ratio")));
            for (int k = 0; k < r; k++)
                if (!strcmp(csvr_get(t, k, csvr_col(t, "standard_code")), std) &&
                    !strcmp(csvr_get(t, k, csvr_col(t, "item_code")), item) &&
                    !strcmp(csvr_get(t, k, csvr_col(t, "substitute_item_code")), sub))
                    BAD(t, r, "the same substitute appears twice");
        }
    } else {
        warn(S, "%s: not found; no substitutes loaded", path);
    }
    return 0;
}

static int write_kits(struct seed *S, struct db_conn *c, struct app_err *err)
{
    const struct csvr_table *t = &S->kit_t;
    for (int r = 0; r < t->nrows; r++) {
        const char *code = csvr_get(t, r, csvr_col(t, "kit_code"));
        int64_t kit, lines, q;
        long long item;
        int first = 1;
        for (int k = 0; k < r; k++)
            first &= strcmp(csvr_get(t, k, csvr_col(t, "kit_code")), code) != 0;
        if (!first)
            continue; /* the kit's lines are written with its first row */
        TRY(lookup_id(c, err, "SELECT id FROM kit WHERE code = ?", code, &kit));
        if (!kit) {
            TRY(db_exec(c, err,
                        "INSERT INTO kit (code, name_zh, name_en, source) VALUES (?, ?, ?, ?)",
                        "ssss", code, csvr_get(t, r, csvr_col(t, "kit_name_zh")),
                        csvr_get(t, r, csvr_col(t, "kit_name_en")),
                        "db/seed/kits.csv (planning data; each line names its basis)"));
            kit = (int64_t)db_insert_id(c);
        }
        TRY(db_query_int(c, &lines, err, "SELECT COUNT(*) FROM kit_line WHERE kit_id = ?", "l",
                         (long long)kit));
        if (lines > 0) {
            S->kits_kept++;
            continue;
        }
        for (int k = r; k < t->nrows; k++) {
            if (strcmp(csvr_get(t, k, csvr_col(t, "kit_code")), code) != 0)
                continue;
            item = S->items[find_item_code(S, csvr_get(t, k, csvr_col(t, "item_code")))].id;
            qty_parse(csvr_get(t, k, csvr_col(t, "qty")), &q);
            TRY(db_exec(c, err,
                        "INSERT INTO kit_line (kit_id, item_id, qty, note) VALUES (?, ?, ?, ?)",
                        "llqs", (long long)kit, item, q, csvr_get(t, k, csvr_col(t, "source"))));
        }
        S->kits_new++;
    }
    return 0;
}

static int write_substitutes(struct seed *S, struct db_conn *c, struct app_err *err)
{
    const struct csvr_table *t = &S->sub_t;
    for (int r = 0; r < t->nrows; r++) {
        const char *std = csvr_get(t, r, csvr_col(t, "standard_code"));
        int64_t v1, later, subs, line, q;
        long long item, sub;
        int first = 1;
        for (int k = 0; k < r; k++)
            first &= strcmp(csvr_get(t, k, csvr_col(t, "standard_code")), std) != 0;
        if (!first)
            continue; /* one standard at a time, from its first row */
        TRY(lookup_id(c, err, "SELECT id FROM standard WHERE code = ? AND version = 1", std, &v1));
        TRY(db_query_int(c, &later, err,
                         "SELECT COUNT(*) FROM standard WHERE code = ? AND version > 1", "s", std));
        TRY(db_query_int(c, &subs, err,
                         "SELECT COUNT(*) FROM standard_substitute WHERE standard_id = ?", "l",
                         (long long)v1));
        if (!v1 || later > 0 || subs > 0) {
            S->subs_kept++;
            continue;
        }
        for (int k = r; k < t->nrows; k++) {
            if (strcmp(csvr_get(t, k, csvr_col(t, "standard_code")), std) != 0)
                continue;
            item = S->items[find_item_code(S, csvr_get(t, k, csvr_col(t, "item_code")))].id;
            sub =
                S->items[find_item_code(S, csvr_get(t, k, csvr_col(t, "substitute_item_code")))].id;
            TRY(db_query_int(c, &line, err,
                             "SELECT COUNT(*) FROM standard_line WHERE standard_id = ?"
                             " AND item_id = ?",
                             "ll", (long long)v1, item));
            if (!line) {
                warn(S, "%s:%d: %s has no line for %s; substitute skipped", t->path,
                     t->rows[k].line, std, csvr_get(t, k, csvr_col(t, "item_code")));
                continue;
            }
            qty_parse(csvr_get(t, k, csvr_col(t, "ratio")), &q);
            TRY(db_exec(c, err,
                        "INSERT INTO standard_substitute (standard_id, item_id, substitute_item_id,"
                        " ratio, note) VALUES (?, ?, ?, ?, ?)",
                        "lllqs", (long long)v1, item, sub, q,
                        csvr_get(t, k, csvr_col(t, "source"))));
            S->subs_new++;
        }
    }
    return 0;
}

static int write_readiness(struct seed *S, struct db_conn *c, struct app_err *err)
{
    return write_kits(S, c, err) != 0 || write_substitutes(S, c, err) != 0 ? -1 : 0;
}

static void seed_free(struct seed *S)
{
    csvr_free(&S->div_t);
    csvr_free(&S->coord_t);
    csvr_free(&S->item_t);
    csvr_free(&S->town_t);
    csvr_free(&S->team_t);
    csvr_free(&S->ten_t);
    csvr_free(&S->season_t);
    csvr_free(&S->kit_t);
    csvr_free(&S->sub_t);
    free(S->div);
    free(S->items);
    for (int i = 0; i < S->nstd; i++)
        free(S->std[i].lines);
    free(S->std);
    free(S->seasons);
}

static void usage(void)
{
    fputs("usage: reliefctl seed [--dir DIR]\n"
          "  Loads the reference data (org units, item catalogue, standards, flood seasons,\n"
          "  village \"ten haves\") from DIR (default: the RELIEF_SEED_DIR setting).\n"
          "  Safe to run again: existing rows are kept, missing ones added.\n",
          stderr);
}

int ctl_seed(const struct config *cfg, int argc, char **argv)
{
    struct seed S;
    struct counts n;
    struct app_err err;
    struct db_conn *c;
    char msg[MSG_LEN];
    const char *dir = cfg->seed_dir;
    int rc;

    memset(&S, 0, sizeof(S));
    memset(&n, 0, sizeof(n));
    err_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--dir=", 6) == 0) {
            dir = argv[i] + 6;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return CTL_OK;
        } else {
            fprintf(stderr, "seed: unknown argument '%s'\n", argv[i]);
            usage();
            return CTL_USAGE;
        }
    }
    if (!*dir || str_copy(S.dir, sizeof(S.dir), dir) != 0) {
        fprintf(stderr, "seed: bad directory '%s'\n", dir);
        return CTL_USAGE;
    }

    /* 1. Read and check every file; nothing is written if one is bad. */
    if (read_divisions(&S, msg) != 0 || read_items(&S, msg) != 0 ||
        read_town_standard(&S, msg) != 0 || read_team_standards(&S, msg) != 0 ||
        read_ten_haves(&S, msg) != 0 || read_seasons(&S, msg) != 0 ||
        read_readiness(&S, msg) != 0) {
        fprintf(stderr, "seed: %s\n", msg);
        seed_free(&S);
        return CTL_USAGE;
    }

    /* 2. Write it all in one transaction. */
    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "seed: %s\n", err.msg);
        seed_free(&S);
        return CTL_NO_DB;
    }
    if (db_begin(c, &err) != 0 || write_org_units(&S, c, &err, &n) != 0 ||
        write_items(&S, c, &err, &n) != 0 || write_standards(&S, c, &err, &n) != 0 ||
        write_ten_haves(&S, c, &err, &n) != 0 || write_seasons(&S, c, &err, &n) != 0 ||
        write_readiness(&S, c, &err) != 0 || seed_map(S.dir, c, &err) != 0 ||
        purchasing_load_rules(S.dir, c, &err) != 0 || db_commit(c, &err) != 0) {
        unsigned no = db_errno(c);
        if (db_in_txn(c))
            db_rollback(c);
        if (no == ER_NO_SUCH_TABLE || no == ER_BAD_FIELD_ERROR) {
            fprintf(stderr, "seed: the database has no (or an old) schema: run `reliefctl "
                            "migrate` first; nothing was written\n");
            rc = CTL_NO_DB;
        } else {
            fprintf(stderr, "seed: %s (error %u); nothing was written\n", err.msg, no);
            rc = err.http == 503 ? CTL_NO_DB : CTL_CHECK_FAILED;
        }
        db_close(c);
        seed_free(&S);
        return rc;
    }
    db_close(c);

    fprintf(stderr,
            "seed: from %s\n"
            "  org units      %4d  (%d new, %d already present)\n"
            "  items          %4d  (%d new, %d already present)\n"
            "  standards      %4d  (%d new with %d lines, %d already present%s)\n"
            "  ten-have checks %3d  (%d new)\n"
            "  flood seasons  %4d  (%d new, %d already present)\n",
            S.dir, S.ndiv, n.org_new, n.org_seen, S.nitems, n.item_new, n.item_seen, S.nstd,
            n.std_new, n.lines_new, n.std_kept, n.std_differs ? ", some differ: see above" : "",
            n.checks_new + n.checks_seen, n.checks_new, S.nseasons, n.season_new, n.season_seen);
    fprintf(stderr,
            "  kits           %4d  (%d new, %d kept)\n"
            "  substitutes    %4d  new (standards kept as they were: %d)\n",
            S.kits_new + S.kits_kept, S.kits_new, S.kits_kept, S.subs_new, S.subs_kept);
    if (S.nwarn)
        fprintf(stderr, "  %d warning(s), see above\n", S.nwarn);
    seed_free(&S);
    return CTL_OK;
}
