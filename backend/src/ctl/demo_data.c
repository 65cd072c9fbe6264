/*
 * demo_data.c -- `reliefctl demo-data [--scale small|city] [--seed N] [--today D]`:
 * a believable Dongguan on top of the seed -- demo villages, depots and bins,
 * teams and their equipment, users, lots, assets, and a ledger history with
 * typhoon-season peaks -- all marked is_demo = 1 where the table has the column.
 *
 * How the history is made consistent.  Every (bin, lot) is a "stream" whose
 * end balance is chosen first (so the towns' coverage of the 500-person
 * standard is what the demo wants: most 100-140 %, a few towns short).  Its
 * events (issues, returns, counts, transfers, disposal) are placed in time,
 * then the quantities are worked out backwards from the end balance: an
 * outflow raises the balance before it, an inflow is capped by the balance
 * after it, so no running balance is ever negative and the first event -- the
 * receipt (or the transfer in) -- brings exactly what the history needs.
 * Issues take the lot that expires first (FEFO), never an expired one, and
 * no more than each lot was bought for (a planned size per lot): beyond the
 * live lots, a depot's history has older lots that expired and were written
 * off, and purchases before and during each season that were issued to the
 * last unit, so the stock at any time stays near the standard.
 *
 * Everything is generated in memory from a splitmix64 stream seeded by
 * --seed, so the same seed, day and seed data give the same demo (password
 * hashes aside: their salts are random; the small test city shares one hash
 * among its users, the city scale hashes each in threads while the rest is
 * written).  It is then written in one
 * transaction, in batches of up to a thousand rows: each batch is one prepared
 * INSERT ... SELECT FROM JSON_TABLE(?) whose single parameter carries the
 * rows, so the SQL text is constant and the data travel as a parameter.
 * Row ids are assigned here (from MAX(id) + 1), so no insert id is guessed.
 * The stock table is filled from the movements (SUM per bin and lot).
 */
#include "ctl.h"

#include "../core/buf.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../domain/auth.h"
#include "../store/db.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define U ((int64_t)QTY_SCALE) /* one unit, in milli */
#define DAY_US ((int64_t)86400 * 1000000)
#define HOUR_US ((int64_t)3600 * 1000000)
#define NEVER INT64_MAX
#define DEMO_PASSWORD "reliefstock-demo"
#define TOTAL_VILLAGES 596
#define BATCH_ROWS 1000

/* ------------------------------------------------------------------ PRNG */

struct rng {
    uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* An independent stream per purpose, so changing one part of the generator
 * does not reshuffle every other part. */
static struct rng rsub(uint64_t seed, uint64_t tag)
{
    struct rng r = {seed * 0x2545F4914F6CDD1DULL + tag * 0x9E3779B97F4A7C15ULL + 7};
    rnext(&r);
    return r;
}

static double runif(struct rng *r)
{
    return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double rrange(struct rng *r, double lo, double hi)
{
    return lo + (hi - lo) * runif(r);
}

/* Uniform integer in [lo, hi]. */
static int64_t rint64(struct rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(rnext(r) % (uint64_t)(hi - lo + 1));
}

static int rchance(struct rng *r, double p)
{
    return runif(r) < p;
}

static int rpoisson(struct rng *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    if (lambda <= 0)
        return 0;
    do {
        k++;
        p *= runif(r);
    } while (p > l && k < 50);
    return k - 1;
}

/* ------------------------------------------------------------------ memory */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("demo-data: out of memory\n", stderr);
        exit(CTL_CHECK_FAILED);
    }
    return q;
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) >= (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 64;                                                          \
            (arr) = xrealloc((arr), (size_t)(cap) * sizeof(*(arr)));                               \
        }                                                                                          \
    } while (0)

/* Strings made while generating (reasons, references) live until the end. */
struct strpool {
    char **s;
    int n, cap;
};

static const char *pool_printf(struct strpool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *pool_printf(struct strpool *p, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    GROW(p->s, p->n, p->cap);
    p->s[p->n] = strdup(tmp);
    if (!p->s[p->n]) {
        fputs("demo-data: out of memory\n", stderr);
        exit(CTL_CHECK_FAILED);
    }
    return p->s[p->n++];
}

/* snprintf into a fixed field; generated text is short, a cut is only a safety net. */
static void fmtx(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fmtx(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ dates */

static int64_t ymd(int y, int m, int d)
{
    return days_from_civil(y, m, d);
}

static int month_of(int64_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return m;
}

static int mday_of(int64_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return d;
}

static int year_of(int64_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return y;
}

static void fmt_day(int64_t day, char out[11])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static void fmt_us(int64_t us, char out[27])
{
    int64_t day = us / DAY_US, rest = us % DAY_US;
    int y, m, d;
    int64_t s = rest / 1000000, frac = rest % 1000000;
    civil_from_days(day, &y, &m, &d);
    fmtx(out, 27, "%04d-%02d-%02d %02d:%02d:%02d.%06d", y, m, d, (int)(s / 3600),
         (int)(s / 60 % 60), (int)(s % 60), (int)frac);
}

/* A moment on `day` between hour lo and hi (UTC; China is UTC+8). */
static int64_t at_time(struct rng *r, int64_t day, int lo_h, int hi_h)
{
    return day * DAY_US + rint64(r, (int64_t)lo_h * HOUR_US, (int64_t)hi_h * HOUR_US - 1);
}

/* ------------------------------------------------------------------ model */

enum ev_kind { EV_RECEIVE, EV_ISSUE, EV_RETURN, EV_TOUT, EV_TIN, EV_COUNT, EV_ADJUST, EV_DISPOSE };
static const char *const ev_names[] = {"receive",     "issue", "return", "transfer_out",
                                       "transfer_in", "count", "adjust", "dispose"};

/* LIVE: on hand at the end; OLD: expired and written off; USED: issued to the last unit;
 * DEST: arrived by a transfer (and on hand at the end). */
enum stream_kind { ST_LIVE, ST_OLD, ST_USED, ST_DEST };
enum xclass { X_NONE, X_BEFORE, X_INSIDE, X_AFTER }; /* expiry relative to the coming season */
enum group_kind { G_CITY, G_TOWN, G_TEAM };

struct org {
    int64_t id, parent_id;
    char code[33], kind[16], name_zh[65], name_en[129];
    char short_zh[48], short_en[100];
    int64_t pop, reserve;
    double lat, lon;
    int has_pt;
    char path[256];
    int town; /* index of its town-level unit; -1 for the city */
    int coastal, forested, below;
    int64_t wh_user, official_user;
    int depot;
    int first_village, nvillages;
};

struct item {
    int64_t id;
    char code[33], name_zh[97], unit[17], category[49];
    int integral;
    char tracking;      /* 'b', 'l', 's' */
    int shelf, inspect; /* months, days; 0 = none */
    double rate, frac;  /* demand profile */
    int returnable, cold;
    int64_t cost_cents;
};

struct sline {
    int item;
    char basis; /* '5' per 500 persons, 'p' per person, 't' per team, 'f' fixed */
    int64_t qty;
};

struct standard {
    char code[49];
    struct sline *l;
    int n;
};

struct team {
    int64_t id;
    char code[49], name_zh[97], name_en[161];
    int org;
    const char *kind;
    int headcount;
    int std; /* index into X->std, -1 none */
    int depot;
    double lat, lon;
};

struct depot {
    int64_t id;
    char code[49], name_zh[97], name_en[161], address[161];
    int org, team;
    const char *kind;
    double lat, lon;
    int64_t bin0; /* bins have ids bin0 .. bin0 + nbins - 1 */
    int nbins;
    int64_t user;
    int town;  /* town-level unit whose weather it shares; -1 for the city */
    int stale; /* skipped its last stocktake */
};

struct user {
    int64_t id;
    char username[65], display[97];
    const char *role;
    int org;
    int existing;
    char hash[AUTH_HASH_MAX];
};

struct lot {
    int64_t id;
    int item;
    char lot_no[32];
    int64_t prod, exp; /* days; -1 none */
    const char *supplier;
    int64_t cost_cents;
    int64_t created_us;
    int existing; /* a BULK lot that was already there */
    int used;     /* some stream of it has a history (else it is not written) */
};

struct group {
    int depot, item, kind;
    int64_t req; /* the standard's requirement for this depot, milli */
    int s[16];
    int ns;
};

struct stream {
    int group, depot, item, lot, kind, xclass;
    int64_t bin;
    int64_t start_us, stop_us; /* first event; events stay before stop_us */
    int64_t exp_day;           /* issues only before this day; NEVER when no expiry */
    int64_t target;            /* balance at the end, milli */
    int64_t user;
    int64_t last_count_us;
    int64_t dispose_plan;
    int64_t cap; /* what issues may still take from it (besides its end balance), milli */
};

struct ev {
    int64_t t;
    int stream;
    int uid;
    unsigned char kind;
    unsigned char full; /* a return that must bring back all of its issue (equipment) */
    int pair;           /* uid of the paired event, -1 none */
    int64_t plan;       /* planned size (>= 0), or the count/adjust difference (signed) */
    int64_t qty, bal;
    const char *reason, *recipient, *ref;
    int64_t transfer_id, stocktake_id;
    int64_t user;
    int dead;
};

struct xfer {
    int64_t id;
    int src, dst; /* streams */
    int out_uid, in_uid;
    int64_t t_out;
    int city;
};

struct weather {
    float mult;
    signed char typhoon; /* index into typhoons, -1 */
    signed char storm;
};

struct typhoon {
    const char *name;
    int64_t day; /* landfall */
};

struct asset {
    int item, stream;
    char serial[48];
    const char *status;
    int64_t commissioned, insp_due, maint_due;
};

struct ctx;
struct hash_job {
    struct ctx *X;
    int from, step;
    int failed;
};

struct ctx {
    const struct config *cfg;
    struct db_conn *c;
    struct app_err err;
    uint64_t seed;
    int small;
    int tty;
    int64_t today, win_start, last_day; /* days */
    int64_t season_start, season_end;

    struct org *org;
    int norg, ntowns; /* org[0] city, org[1..ntowns] towns, then villages */
    struct item *items;
    int nitems;
    struct standard *std;
    int nstd;
    int town_std;

    struct user *users;
    int nusers, capusers;
    int64_t admin_user;
    struct team *teams;
    int nteams, capteams;
    struct depot *depots;
    int ndepots, capdepots;
    struct lot *lots;
    int nlots, caplots, nlots_used;
    int *bulk_lot; /* per item: index into lots, -1 */
    struct group *groups;
    int ngroups, capgroups;
    struct stream *streams;
    int nstreams, capstreams;
    struct ev *evs;
    int nevs, capevs;
    struct xfer *xfers;
    int nxfers, capxfers;
    struct asset *assets;
    int nassets, capassets;
    struct typhoon typhoons[16];
    int ntyphoons;
    struct weather *wx; /* (ntowns + 1) x ndays */
    int ndays;
    struct strpool pool;
    int lot_seq, po_seq, wo_seq;

    int64_t next_org_id, next_user_id, next_team_id, next_depot_id, next_bin_id, next_lot_id,
        next_transfer_id, next_stocktake_id;
    long counts[8];
    long nstocktakes;
    /* password hashing runs in threads while the rest is written */
    struct hash_job hjobs[4];
    pthread_t hth[4];
    int hstarted[4], hnth, hashing;
    double hash_wait;
};

/* ------------------------------------------------------------------ reference tables */

static const struct {
    const char *code;
    double rate, frac;
    int returnable, cold, cost_yuan;
} profiles[] = {
    {"DG-SH-01", 0.5, 0.08, 1, 0, 1600},  {"DG-SH-02", 0.8, 0.06, 0, 0, 45},
    {"DG-BD-01", 0.6, 0.05, 1, 0, 180},   {"DG-BD-02", 0.8, 0.05, 0, 0, 35},
    {"DG-BD-03", 1.0, 0.05, 0, 0, 60},    {"DG-BD-04", 0.6, 0.04, 0, 1, 150},
    {"DG-BD-05", 0.5, 0.04, 0, 1, 80},    {"DG-BD-06", 0.4, 0.06, 0, 1, 220},
    {"DG-CL-01", 0.4, 0.04, 0, 1, 160},   {"DG-CL-02", 0.8, 0.04, 0, 0, 55},
    {"DG-CL-03", 1.5, 0.04, 0, 0, 25},    {"DG-CL-04", 1.0, 0.05, 0, 0, 40},
    {"DG-FW-01", 2.0, 0.05, 0, 0, 2},     {"DG-FW-02", 1.5, 0.05, 0, 0, 8},
    {"DG-FW-03", 1.5, 0.05, 0, 0, 6},     {"DG-HY-01", 1.0, 0.04, 0, 0, 35},
    {"DG-HY-02", 1.0, 0.04, 0, 0, 1},     {"DG-MD-01", 0.8, 0.15, 0, 0, 120},
    {"DG-FU-01", 0.3, 0.15, 1, 0, 150},   {"DG-FU-02", 0.4, 0.08, 1, 0, 30},
    {"DG-LP-01", 0.2, 0.00, 1, 0, 26000}, {"DG-LP-02", 0.7, 0.08, 1, 0, 90},
    {"DG-LP-03", 0.9, 0.05, 1, 0, 40},    {"DG-LP-04", 0.3, 0.00, 1, 0, 5200},
    {"DG-WP-01", 0.1, 0.00, 1, 0, 38000}, {"DG-CM-01", 0.3, 0.00, 1, 0, 150},
    {"DG-FR-01", 0.9, 0.06, 1, 0, 85},    {"DG-FR-02", 0.6, 0.08, 1, 0, 60},
    {"DG-FR-03", 0.6, 0.06, 1, 0, 45},    {"DG-FR-04", 0.6, 0.00, 1, 0, 3800},
    {"DG-FR-05", 2.0, 0.06, 0, 0, 2},     {"DG-FR-06", 0.8, 0.08, 1, 0, 35},
};

static const char *const typhoon_names[] = {"苏拉", "海葵", "摩羯",   "泰利", "韦帕",   "桦加沙",
                                            "山竹", "天鸽", "木兰",   "马鞍", "塔拉斯", "查帕卡",
                                            "暹芭", "鹦鹉", "海高斯", "浪卡", "三巴",   "杜苏芮"};

static const char *const coastal_names[] = {"虎门", "长安", "沙田", "东莞港", "滨海湾",
                                            "麻涌", "洪梅", "道滘", "中堂",   "望牛墩",
                                            "厚街", "高埗", "石碣", "石龙",   "万江"};
static const char *const forest_names[] = {"樟木头", "清溪", "塘厦",   "凤岗", "谢岗", "黄江",
                                           "大岭山", "大朗", "松山湖", "东城", "南城", "桥头"};

static const char *const syl1[] = {"东", "西", "南", "北", "新", "中", "上", "下", "大", "小",
                                   "长", "石", "水", "山", "田", "塘", "岭", "湖", "沙", "江",
                                   "龙", "凤", "鹤", "桥", "横", "白", "黄", "朱", "黎", "罗",
                                   "梁", "何", "莲", "桂", "竹", "梅", "金", "银", "松", "柏"};
static const char *const syl2[] = {"头", "围", "坑", "岗", "塘", "洲", "埔", "岭", "边", "坊",
                                   "美", "和", "兴", "安", "宁", "富", "华", "丰", "乐", "福",
                                   "田", "山", "湖", "涌", "沥", "滘", "墩", "溪", "园", "屋",
                                   "厦", "湾", "排", "圳", "朗", "步", "门", "庄", "林", "泉"};
static const char *const surnames[] = {"陈", "李", "黄", "张", "梁", "刘", "林", "叶", "何", "罗",
                                       "钟", "邓", "莫", "袁", "卢", "谢", "周", "吴", "郑", "蔡"};
static const char *const given[] = {"志强", "伟明", "丽华", "建国", "嘉欣", "家豪", "晓彤",
                                    "国栋", "美玲", "振华", "俊杰", "文静", "子健", "慧敏",
                                    "永康", "海燕", "卓伦", "锦辉", "少芬", "立新"};
static const char *const streets[] = {"东莞大道",   "莞太路",     "莞樟路", "环城路", "107国道",
                                      "松山湖大道", "东部快速路", "沿江路", "新城路", "振兴路"};

static const char *supplier_for(struct rng *r, const struct item *it)
{
    static const char *const textile[] = {"广东南粤救灾物资有限公司", "东莞市恒安纺织用品有限公司",
                                          "江苏苏安帐篷制造有限公司", "河北冀安被服厂"};
    static const char *const food[] = {"东莞市粤食食品有限公司", "广州市穗源饮用水有限公司",
                                       "东莞市鲜达商贸有限公司（协议储备）"};
    static const char *const hygiene[] = {"广东康宁医疗用品有限公司", "东莞市洁美日用品有限公司"};
    static const char *const power[] = {"深圳市光耀应急装备有限公司", "浙江永动动力机械有限公司",
                                        "广州市清源净水设备有限公司"};
    static const char *const rescue[] = {"江西远航救生器材有限公司", "东莞市固堤编织袋厂",
                                         "佛山市安泰五金工具有限公司"};
    static const char *const team[] = {"广东消安森林消防装备有限公司",
                                       "深圳市海蓝水域救援装备有限公司",
                                       "东莞市安达劳保用品有限公司"};
    const char *c = it->category;
#define PICK(a) a[rint64(r, 0, (int64_t)(sizeof(a) / sizeof(a[0])) - 1)]
    if (strstr(c, "shelter") || strstr(c, "bedding") || strstr(c, "clothing") ||
        strstr(c, "furniture"))
        return PICK(textile);
    if (strstr(c, "food"))
        return PICK(food);
    if (strstr(c, "hygiene") || strstr(c, "medical"))
        return PICK(hygiene);
    if (strstr(c, "lighting") || strstr(c, "water") || strstr(c, "comms"))
        return PICK(power);
    if (strstr(c, "flood") || strstr(c, "engineering"))
        return PICK(rescue);
    return PICK(team);
#undef PICK
}

/* ------------------------------------------------------------------ batches */

/* Rows for one INSERT ... SELECT FROM JSON_TABLE(?) statement. */
struct batch {
    struct ctx *X;
    const char *sql;
    const char *what;
    struct buf b;
    int rows;
    int col;
    long done, total;
    int failed;
};

static void jb_init(struct batch *j, struct ctx *X, const char *sql, const char *what, long total)
{
    memset(j, 0, sizeof(*j));
    j->X = X;
    j->sql = sql;
    j->what = what;
    j->total = total;
    buf_init(&j->b, (size_t)64 << 20);
}

static void jb_raw(struct batch *j, const char *s, size_t n)
{
    if (buf_append(&j->b, s, n) != 0)
        j->failed = 1;
}

static void jb_sep(struct batch *j)
{
    if (j->col++)
        jb_raw(j, ",", 1);
}

static void jb_row(struct batch *j)
{
    jb_raw(j, j->rows ? ",[" : "[[", 2);
    j->col = 0;
}

static void jb_int(struct batch *j, int64_t v)
{
    char t[24];
    jb_sep(j);
    jb_raw(j, t, (size_t)snprintf(t, sizeof(t), "%lld", (long long)v));
}

static void jb_intn(struct batch *j, int64_t v) /* 0 -> null */
{
    if (v)
        jb_int(j, v);
    else {
        jb_sep(j);
        jb_raw(j, "null", 4);
    }
}

static void jb_qty(struct batch *j, int64_t milli)
{
    char t[32];
    jb_sep(j);
    qty_format(milli, t, sizeof(t));
    jb_raw(j, t, strlen(t));
}

static void jb_dbl(struct batch *j, double v)
{
    char t[32];
    jb_sep(j);
    jb_raw(j, t, (size_t)snprintf(t, sizeof(t), "%.6f", v));
}

static void jb_str(struct batch *j, const char *s)
{
    jb_sep(j);
    if (!s) {
        jb_raw(j, "null", 4);
        return;
    }
    jb_raw(j, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            jb_raw(j, e, 2);
        } else if (ch < 0x20) {
            char e[8];
            jb_raw(j, e, (size_t)snprintf(e, sizeof(e), "\\u%04x", ch));
        } else {
            jb_raw(j, (const char *)&ch, 1);
        }
    }
    jb_raw(j, "\"", 1);
}

static void jb_day(struct batch *j, int64_t day) /* < 0 -> null */
{
    char t[11];
    if (day < 0) {
        jb_str(j, NULL);
        return;
    }
    fmt_day(day, t);
    jb_str(j, t);
}

static void jb_us(struct batch *j, int64_t us)
{
    char t[27];
    fmt_us(us, t);
    jb_str(j, t);
}

static int jb_flush(struct batch *j)
{
    struct ctx *X = j->X;
    int rc;
    if (j->failed)
        return err_set(&X->err, 500, "internal", "batch too large");
    if (!j->rows)
        return 0;
    jb_raw(j, "]", 1);
    if (j->failed)
        return err_set(&X->err, 500, "internal", "batch too large");
    rc = db_exec(X->c, &X->err, j->sql, "s", j->b.data);
    j->done += j->rows;
    j->rows = 0;
    buf_reset(&j->b);
    if (X->tty && j->total > 0)
        ctl_progress(j->what, j->done, j->total);
    return rc;
}

static int jb_end(struct batch *j)
{
    j->rows++;
    jb_raw(j, "]", 1);
    if (j->rows >= BATCH_ROWS)
        return jb_flush(j);
    return 0;
}

static int jb_finish(struct batch *j)
{
    int rc = jb_flush(j);
    buf_free(&j->b);
    return rc;
}

/* ------------------------------------------------------------------ loading */

static int load_refs(struct ctx *X)
{
    struct db_res *r = NULL;
    int city = -1;

    /* The city: the root of the tree. */
    if (db_query(X->c, &r, &X->err,
                 "SELECT id, code, name_zh, name_en, path, lat, lon FROM org_unit"
                 " WHERE parent_id IS NULL AND kind = 'city' ORDER BY id LIMIT 1",
                 "") != 0)
        return -1;
    if (r->nrows == 1)
        city = 0;
    if (city < 0) {
        db_res_free(r);
        return 1;
    }
    X->org = xrealloc(NULL, sizeof(struct org) * 1);
    memset(&X->org[0], 0, sizeof(struct org));
    X->org[0].id = db_get_int(r, 0, 0);
    str_copy(X->org[0].code, sizeof(X->org[0].code), db_get(r, 0, 1));
    str_copy(X->org[0].name_zh, sizeof(X->org[0].name_zh), db_get(r, 0, 2));
    str_copy(X->org[0].name_en, sizeof(X->org[0].name_en), db_get(r, 0, 3));
    str_copy(X->org[0].path, sizeof(X->org[0].path), db_get(r, 0, 4));
    str_copy(X->org[0].kind, sizeof(X->org[0].kind), "city");
    X->org[0].town = -1;
    X->org[0].depot = -1;
    X->norg = 1;
    db_res_free(r);

    if (db_query(X->c, &r, &X->err,
                 "SELECT id, code, kind, name_zh, name_en, population, reserve_persons, lat, lon,"
                 " path FROM org_unit WHERE parent_id = ? ORDER BY code",
                 "l", (long long)X->org[0].id) != 0)
        return -1;
    X->ntowns = r->nrows;
    /* Final capacity now: villages are appended and their pointers kept. */
    X->org = xrealloc(X->org, sizeof(struct org) * (size_t)(1 + X->ntowns + TOTAL_VILLAGES + 8));
    for (int i = 0; i < r->nrows; i++) {
        struct org *o = &X->org[X->norg++];
        memset(o, 0, sizeof(*o));
        o->id = db_get_int(r, i, 0);
        o->parent_id = X->org[0].id;
        str_copy(o->code, sizeof(o->code), db_get(r, i, 1));
        str_copy(o->kind, sizeof(o->kind), db_get(r, i, 2));
        str_copy(o->name_zh, sizeof(o->name_zh), db_get(r, i, 3));
        str_copy(o->name_en, sizeof(o->name_en), db_get(r, i, 4));
        o->pop = db_get(r, i, 5) ? db_get_int(r, i, 5) : 0;
        o->reserve = db_get(r, i, 6) ? db_get_int(r, i, 6) : 500;
        if (o->reserve <= 0)
            o->reserve = 500;
        if (db_get(r, i, 7) && db_get(r, i, 8)) {
            o->lat = atof(db_get(r, i, 7));
            o->lon = atof(db_get(r, i, 8));
            o->has_pt = 1;
        }
        str_copy(o->path, sizeof(o->path), db_get(r, i, 9));
        o->town = X->norg - 1;
        o->depot = -1;
    }
    db_res_free(r);
    if (X->ntowns == 0)
        return 1;

    if (db_query(X->c, &r, &X->err,
                 "SELECT id, code, name_zh, unit, integral, tracking,"
                 " IFNULL(shelf_life_months, 0), IFNULL(inspection_interval_days, 0),"
                 " IFNULL(category, '') FROM item WHERE active = 1 ORDER BY code",
                 "") != 0)
        return -1;
    X->nitems = r->nrows;
    X->items = xrealloc(NULL, sizeof(struct item) * (size_t)(r->nrows + 1));
    X->bulk_lot = xrealloc(NULL, sizeof(int) * (size_t)(r->nrows + 1));
    for (int i = 0; i < r->nrows; i++) {
        struct item *it = &X->items[i];
        memset(it, 0, sizeof(*it));
        it->id = db_get_int(r, i, 0);
        str_copy(it->code, sizeof(it->code), db_get(r, i, 1));
        str_copy(it->name_zh, sizeof(it->name_zh), db_get(r, i, 2));
        str_copy(it->unit, sizeof(it->unit), db_get(r, i, 3));
        it->integral = (int)db_get_int(r, i, 4);
        it->tracking = db_get(r, i, 5)[0];
        it->shelf = (int)db_get_int(r, i, 6);
        it->inspect = (int)db_get_int(r, i, 7);
        str_copy(it->category, sizeof(it->category), db_get(r, i, 8));
        it->rate = 0.5;
        it->frac = 0.05;
        it->cost_cents = it->tracking == 's' ? 300000 : 8000;
        for (size_t k = 0; k < sizeof(profiles) / sizeof(profiles[0]); k++)
            if (strcmp(profiles[k].code, it->code) == 0) {
                it->rate = profiles[k].rate;
                it->frac = profiles[k].frac;
                it->returnable = profiles[k].returnable;
                it->cold = profiles[k].cold;
                it->cost_cents = (int64_t)profiles[k].cost_yuan * 100;
            }
        if (it->tracking == 's')
            it->returnable = 1;
        X->bulk_lot[i] = -1;
    }
    db_res_free(r);

    /* The newest version of every standard the demo uses. */
    if (db_query(X->c, &r, &X->err,
                 "SELECT s.code, sl.item_id, sl.basis, sl.qty FROM standard s"
                 " JOIN standard_line sl ON sl.standard_id = s.id"
                 " WHERE sl.item_id IS NOT NULL AND s.version = (SELECT MAX(s2.version)"
                 " FROM standard s2 WHERE s2.code = s.code)"
                 " AND (s.code = 'town_reserve' OR s.code LIKE 'team:%')"
                 " ORDER BY s.code, sl.id",
                 "") != 0)
        return -1;
    X->town_std = -1;
    X->std = xrealloc(NULL, sizeof(struct standard) * 16);
    for (int i = 0; i < r->nrows; i++) {
        const char *code = db_get(r, i, 0);
        int64_t item_id = db_get_int(r, i, 1);
        const char *basis = db_get(r, i, 2);
        struct standard *st = NULL;
        int item = -1;
        for (int k = 0; k < X->nstd; k++)
            if (strcmp(X->std[k].code, code) == 0)
                st = &X->std[k];
        if (!st) {
            if (X->nstd == 16)
                continue;
            st = &X->std[X->nstd++];
            memset(st, 0, sizeof(*st));
            str_copy(st->code, sizeof(st->code), code);
            st->l = xrealloc(NULL, sizeof(struct sline) * (size_t)(r->nrows + 1));
            if (strcmp(code, "town_reserve") == 0)
                X->town_std = X->nstd - 1;
        }
        for (int k = 0; k < X->nitems; k++)
            if (X->items[k].id == item_id)
                item = k;
        if (item < 0) /* an inactive item */
            continue;
        st->l[st->n].item = item;
        st->l[st->n].basis = !strcmp(basis, "per_500_persons") ? '5'
                             : !strcmp(basis, "per_person")    ? 'p'
                             : !strcmp(basis, "per_team")      ? 't'
                                                               : 'f';
        st->l[st->n].qty = db_get_qty(r, i, 3);
        st->n++;
    }
    db_res_free(r);
    if (X->town_std < 0 || X->std[X->town_std].n == 0)
        return 1;

    /* The default season from the settings (1 April - 15 October unless changed). */
    {
        int sm = 4, sd = 1, em = 10, ed = 15;
        if (db_query(X->c, &r, &X->err,
                     "SELECT name, value FROM setting WHERE name IN"
                     " ('season_default_start', 'season_default_end')",
                     "") != 0)
            return -1;
        for (int i = 0; i < r->nrows; i++) {
            int m, d;
            if (sscanf(db_get(r, i, 1), "%d-%d", &m, &d) == 2 && m >= 1 && m <= 12 && d >= 1 &&
                d <= 31) {
                if (!strcmp(db_get(r, i, 0), "season_default_start"))
                    sm = m, sd = d;
                else
                    em = m, ed = d;
            }
        }
        db_res_free(r);
        {
            int y = year_of(X->today);
            if (X->today >= ymd(y, sm, sd))
                y++;
            X->season_start = ymd(y, sm, sd);
            X->season_end = ymd(y, em, ed);
            if (X->season_end <= X->season_start)
                X->season_end = X->season_start + 197;
        }
    }
    return 0;
}

static int team_std(const struct ctx *X, const char *kind)
{
    char code[49];
    snprintf(code, sizeof(code), "team:%s", kind);
    for (int i = 0; i < X->nstd; i++)
        if (strcmp(X->std[i].code, code) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ org units */

static int name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(name, list[i]))
            return 1;
    return 0;
}

static void make_short_names(struct org *o)
{
    char *p;
    size_t n;
    str_copy(o->short_zh, sizeof(o->short_zh), o->name_zh);
    if ((p = strstr(o->short_zh, "(")) || (p = strstr(o->short_zh, "（")))
        *p = '\0';
    n = strlen(o->short_zh);
    if (n > 6 && strcmp(o->short_zh + n - 6, "街道") == 0)
        o->short_zh[n - 6] = '\0';
    else if (n > 3 && strcmp(o->short_zh + n - 3, "镇") == 0)
        o->short_zh[n - 3] = '\0';
    if (strncmp(o->short_zh, "东莞", 6) == 0 && strlen(o->short_zh) >= 12)
        memmove(o->short_zh, o->short_zh + 6, strlen(o->short_zh + 6) + 1);
    str_copy(o->short_en, sizeof(o->short_en), o->name_en);
    if ((p = strstr(o->short_en, " (")))
        *p = '\0';
}

static void jitter_point(struct rng *r, double lat, double lon, double km, double *olat,
                         double *olon)
{
    double a = rrange(r, 0, 2 * M_PI), d = km * sqrt(runif(r));
    *olat = lat + d * cos(a) / 111.0;
    *olon = lon + d * sin(a) / (111.0 * cos(lat * M_PI / 180.0));
}

static void gen_villages(struct ctx *X)
{
    struct rng r = rsub(X->seed, 1);
    double wsum = 0, rem[256];
    int alloc[256], total = 0, fixed = 0;

    /* Villages per town: units without a census figure get 3, the rest by population^0.75. */
    for (int t = 1; t <= X->ntowns && t < 256; t++) {
        alloc[t] = 0;
        if (X->org[t].pop <= 0) {
            alloc[t] = 3;
            fixed += 3;
        } else {
            wsum += pow((double)X->org[t].pop, 0.75);
        }
    }
    for (int t = 1; t <= X->ntowns && t < 256; t++) {
        rem[t] = -1;
        if (X->org[t].pop > 0) {
            double share = (TOTAL_VILLAGES - fixed) * pow((double)X->org[t].pop, 0.75) / wsum;
            alloc[t] = (int)share;
            rem[t] = share - alloc[t];
        }
        total += alloc[t];
    }
    while (total < TOTAL_VILLAGES) { /* largest remainders */
        int best = -1;
        for (int t = 1; t <= X->ntowns && t < 256; t++)
            if (rem[t] >= 0 && (best < 0 || rem[t] > rem[best]))
                best = t;
        if (best < 0)
            best = 1 + (int)rint64(&r, 0, X->ntowns - 1);
        else
            rem[best] = -1;
        alloc[best]++;
        total++;
    }

    for (int t = 1; t <= X->ntowns && t < 256; t++) {
        struct org *town = &X->org[t];
        int is_sub = strcmp(town->kind, "subdistrict") == 0 || strcmp(town->kind, "park") == 0;
        int ncomm = 0, nvill = 0;
        double wpop[TOTAL_VILLAGES];
        double wtot = 0;
        town->first_village = X->norg;
        town->nvillages = alloc[t];
        for (int v = 0; v < alloc[t] && v < TOTAL_VILLAGES; v++)
            wtot += (wpop[v] = rrange(&r, 0.4, 1.6));
        for (int v = 0; v < alloc[t] && X->norg < 1 + X->ntowns + TOTAL_VILLAGES + 8; v++) {
            struct org *o = &X->org[X->norg];
            int community = is_sub || rchance(&r, 0.4);
            char nm[64];
            int tries = 0, dup;
            memset(o, 0, sizeof(*o));
            do { /* a name not yet used in this town */
                const char *a = syl1[rint64(&r, 0, (int64_t)(sizeof(syl1) / sizeof(syl1[0])) - 1)];
                const char *b = syl2[rint64(&r, 0, (int64_t)(sizeof(syl2) / sizeof(syl2[0])) - 1)];
                snprintf(nm, sizeof(nm), "%s%s%s", a, b, community ? "社区" : "村");
                dup = strcmp(a, b) == 0;
                for (int k = town->first_village; k < X->norg && !dup; k++)
                    dup = strcmp(X->org[k].name_zh, nm) == 0;
            } while (dup && ++tries < 200);
            if (dup)
                fmtx(nm, sizeof(nm), "%s第%d%s", town->short_zh, v + 1, community ? "社区" : "村");
            str_copy(o->name_zh, sizeof(o->name_zh), nm);
            if (community) {
                fmtx(o->code, sizeof(o->code), "%s%03d", town->code, ++ncomm);
                snprintf(o->name_en, sizeof(o->name_en), "%s Community %d (demo)", town->short_en,
                         ncomm);
            } else {
                fmtx(o->code, sizeof(o->code), "%s%03d", town->code, 200 + ++nvill);
                snprintf(o->name_en, sizeof(o->name_en), "%s Village %d (demo)", town->short_en,
                         nvill);
            }
            str_copy(o->kind, sizeof(o->kind), community ? "community" : "village");
            o->id = X->next_org_id++;
            o->parent_id = town->id;
            fmtx(o->path, sizeof(o->path), "%s%lld/", town->path, (long long)o->id);
            o->pop =
                town->pop > 0 ? (int64_t)(town->pop * wpop[v] / wtot) : rint64(&r, 2000, 12000);
            if (o->pop < 300)
                o->pop = 300;
            if (town->has_pt) {
                jitter_point(&r, town->lat, town->lon, 4.0, &o->lat, &o->lon);
                o->has_pt = 1;
            }
            o->town = t;
            o->depot = -1;
            X->norg++;
        }
        town->nvillages = X->norg - town->first_village;
    }
}

/* ------------------------------------------------------------------ users */

static struct user *add_user(struct ctx *X, const char *username, const char *role, int org,
                             const char *display)
{
    struct user *u;
    GROW(X->users, X->nusers, X->capusers);
    u = &X->users[X->nusers++];
    memset(u, 0, sizeof(*u));
    str_copy(u->username, sizeof(u->username), username);
    str_copy(u->display, sizeof(u->display), display);
    u->role = role;
    u->org = org;
    return u;
}

static void *hash_worker(void *arg)
{
    struct hash_job *j = arg;
    for (int i = j->from; i < j->X->nusers; i += j->step) {
        struct app_err e;
        if (j->X->users[i].existing)
            continue;
        if (auth_hash_password(DEMO_PASSWORD, j->X->users[i].hash, sizeof(j->X->users[i].hash),
                               &e) != 0)
            j->failed = 1;
    }
    return NULL;
}

static int gen_users(struct ctx *X)
{
    struct rng r = rsub(X->seed, 2);
    char name[65], disp[97];

#define PERSON() surnames[rint64(&r, 0, 19)], given[rint64(&r, 0, 19)]
    snprintf(disp, sizeof(disp), "%s%s（系统管理员）", PERSON());
    add_user(X, "admin", "admin", 0, disp);
    snprintf(disp, sizeof(disp), "%s%s（市应急管理局）", PERSON());
    add_user(X, "city-auditor", "city_auditor", 0, disp);
    for (int t = 1; t <= X->ntowns; t++) {
        snprintf(name, sizeof(name), "town-%s", X->org[t].code);
        snprintf(disp, sizeof(disp), "%s%s（%s应急办）", PERSON(), X->org[t].short_zh);
        add_user(X, name, "town_official", t, disp);
        snprintf(name, sizeof(name), "wh-%s", X->org[t].code);
        snprintf(disp, sizeof(disp), "%s%s（%s仓管员）", PERSON(), X->org[t].short_zh);
        add_user(X, name, "warehouse", t, disp);
    }
#undef PERSON

    /* Keep users that exist already (an administrator made "admin" by hand, say). */
    for (int i = 0; i < X->nusers; i++) {
        struct db_res *res = NULL;
        if (db_query(X->c, &res, &X->err, "SELECT id FROM app_user WHERE username = ?", "s",
                     X->users[i].username) != 0)
            return -1;
        if (res->nrows) {
            X->users[i].existing = 1;
            X->users[i].id = db_get_int(res, 0, 0);
        } else {
            X->users[i].id = X->next_user_id++;
        }
        db_res_free(res);
    }
    if (X->small) {
        /* The test city: one argon2id hash (random salt) for all its users, who share the one
         * published demo password anyway; 70-odd hashes would take seconds. */
        char hash[AUTH_HASH_MAX];
        if (auth_hash_password(DEMO_PASSWORD, hash, sizeof(hash), &X->err) != 0)
            return -1;
        for (int i = 0; i < X->nusers; i++)
            str_copy(X->users[i].hash, sizeof(X->users[i].hash), hash);
    } else {
        /* argon2id takes tens of milliseconds per hash: hash in threads while the rest is
         * generated and written; the users are written with a placeholder that is replaced
         * before the commit (finish_hashing). */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        X->hnth = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (int)ncpu;
        X->hashing = 1;
        for (int k = 0; k < X->hnth; k++) {
            X->hjobs[k] = (struct hash_job){X, k, X->hnth, 0};
            X->hstarted[k] = pthread_create(&X->hth[k], NULL, hash_worker, &X->hjobs[k]) == 0;
            if (!X->hstarted[k])
                hash_worker(&X->hjobs[k]);
        }
    }
    X->admin_user = X->users[0].id;
    for (int i = 2; i < X->nusers; i += 2) {
        X->org[X->users[i].org].official_user = X->users[i].id;
        X->org[X->users[i + 1].org].wh_user = X->users[i + 1].id;
    }
    return 0;
}

static double now_s(void);

/* Wait for the hashing threads; -1 if a hash failed. */
static int finish_hashing(struct ctx *X)
{
    int failed = 0;
    double t0 = now_s();
    if (!X->hashing)
        return 0;
    for (int k = 0; k < X->hnth; k++) {
        if (X->hstarted[k])
            pthread_join(X->hth[k], NULL);
        failed |= X->hjobs[k].failed;
    }
    X->hashing = 0;
    X->hash_wait = now_s() - t0;
    return failed ? err_set(&X->err, 500, "internal", "password hashing failed") : 0;
}

/* ------------------------------------------------------------------ teams and depots */

static int add_depot(struct ctx *X, const char *code, int org, int team, const char *kind,
                     const char *zh, const char *en, double lat, double lon, int nbins,
                     int64_t user, int town, struct rng *r)
{
    struct depot *d;
    GROW(X->depots, X->ndepots, X->capdepots);
    d = &X->depots[X->ndepots];
    memset(d, 0, sizeof(*d));
    d->id = X->next_depot_id++;
    str_copy(d->code, sizeof(d->code), code);
    str_copy(d->name_zh, sizeof(d->name_zh), zh);
    str_copy(d->name_en, sizeof(d->name_en), en);
    d->org = org;
    d->team = team;
    d->kind = kind;
    d->lat = lat;
    d->lon = lon;
    d->nbins = nbins;
    d->bin0 = X->next_bin_id;
    X->next_bin_id += nbins;
    d->user = user;
    d->town = town;
    d->stale = rchance(r, 0.12);
    snprintf(d->address, sizeof(d->address), "东莞市%s%s%lld号",
             town > 0 ? X->org[town].name_zh : "", streets[rint64(r, 0, 9)],
             (long long)rint64(r, 1, 399));
    return X->ndepots++;
}

static const char *const bin_codes[] = {"A-01", "A-02", "A-03", "A-04", "A-05",
                                        "A-06", "B-01", "B-02", "B-03", "B-04"};

/* The bin of a depot that holds an item: by category in the big depots. */
static int64_t bin_for(const struct ctx *X, int depot, int item)
{
    const struct depot *d = &X->depots[depot];
    const struct item *it = &X->items[item];
    const char *c = it->category;
    int k;
    if (d->nbins < 10) { /* team depots: clothing, equipment, the rest */
        k = strstr(c, "ppe") || strstr(c, "clothing") ? 0 : it->tracking == 's' ? 1 : 2;
        return d->bin0 + (k < d->nbins ? k : d->nbins - 1);
    }
    if (strstr(c, "shelter"))
        k = 0;
    else if (strstr(c, "bedding"))
        k = strstr(it->name_zh, "床") || strstr(it->name_zh, "垫") ? 1 : 2;
    else if (strstr(c, "clothing"))
        k = 3;
    else if (strstr(c, "food"))
        k = 4;
    else if (strstr(c, "hygiene") || strstr(c, "medical"))
        k = 5;
    else if (strstr(c, "furniture"))
        k = 6;
    else if (strstr(c, "lighting"))
        k = 7;
    else if (strstr(c, "water") || strstr(c, "comms"))
        k = 8;
    else
        k = 9;
    return d->bin0 + k;
}

static void add_team(struct ctx *X, const char *code, int org, const char *kind, int std,
                     const char *zh, const char *en, int headcount, int64_t user, int town,
                     struct rng *r)
{
    struct team *t;
    char dcode[64], dzh[128], den[200];
    GROW(X->teams, X->nteams, X->capteams);
    t = &X->teams[X->nteams];
    memset(t, 0, sizeof(*t));
    t->id = X->next_team_id++;
    str_copy(t->code, sizeof(t->code), code);
    str_copy(t->name_zh, sizeof(t->name_zh), zh);
    str_copy(t->name_en, sizeof(t->name_en), en);
    t->org = org;
    t->kind = kind;
    t->std = std;
    t->headcount = headcount;
    if (X->org[org].has_pt)
        jitter_point(r, X->org[org].lat, X->org[org].lon, 1.5, &t->lat, &t->lon);
    else if (town > 0)
        jitter_point(r, X->org[town].lat, X->org[town].lon, 3.0, &t->lat, &t->lon);
    else
        jitter_point(r, 23.02, 113.75, 4.0, &t->lat, &t->lon);
    snprintf(dcode, sizeof(dcode), "D-T-%s", code);
    snprintf(dzh, sizeof(dzh), "%s装备库", zh);
    snprintf(den, sizeof(den), "%s equipment store", en);
    X->nteams++;
    t->depot =
        add_depot(X, dcode, org, X->nteams - 1, "team", dzh, den, t->lat, t->lon, 3, user, town, r);
}

static void gen_depots_and_teams(struct ctx *X)
{
    struct rng r = rsub(X->seed, 3);
    const struct org *city = &X->org[0];
    char code[64], zh[128], en[200];
    static const char *const cn_num[] = {"一", "二", "三", "四",   "五",   "六",   "七",
                                         "八", "九", "十", "十一", "十二", "十三", "十四"};
    int anchors[2] = {1, 1};

    /* City depots near Nancheng and Changping (or wherever the towns are). */
    for (int t = 1; t <= X->ntowns; t++) {
        if (strstr(X->org[t].name_zh, "南城") && X->org[t].has_pt)
            anchors[0] = t;
        if (strstr(X->org[t].name_zh, "常平") && X->org[t].has_pt)
            anchors[1] = t;
    }
    for (int k = 0; k < 2; k++) {
        double lat, lon;
        const struct org *a = &X->org[anchors[k]];
        jitter_point(&r, a->has_pt ? a->lat : 23.02, a->has_pt ? a->lon : 113.75, 2.0, &lat, &lon);
        snprintf(code, sizeof(code), "D-%s-%d", city->code, k + 1);
        snprintf(zh, sizeof(zh), "市救灾物资储备库（%s号库）", cn_num[k]);
        snprintf(en, sizeof(en), "%s municipal relief reserve depot No. %d",
                 city->name_en[0] ? city->name_en : "City", k + 1);
        add_depot(X, code, 0, -1, "city", zh, en, lat, lon, 10, X->admin_user, -1, &r);
    }
    /* A depot per town-level unit. */
    for (int t = 1; t <= X->ntowns; t++) {
        struct org *o = &X->org[t];
        double lat = 23.02, lon = 113.75;
        make_short_names(o);
        if (o->has_pt)
            jitter_point(&r, o->lat, o->lon, 2.0, &lat, &lon);
        snprintf(code, sizeof(code), "D-%s", o->code);
        snprintf(zh, sizeof(zh), "%s应急物资仓库", o->name_zh);
        snprintf(en, sizeof(en), "%s relief depot", o->short_en);
        o->depot = add_depot(X, code, t, -1, "town", zh, en, lat, lon, 10, o->wh_user, t, &r);
    }

    /* 14 city professional brigades: forest-fire and water-rescue specialisms. */
    for (int k = 0; k < 14; k++) {
        int forest = k % 2 == 0;
        int std = team_std(X, forest ? "forest_professional" : "flood_rescue");
        snprintf(code, sizeof(code), "T-%s-%02d", city->code, k + 1);
        snprintf(zh, sizeof(zh), "东莞市第%s专业救援大队（%s）", cn_num[k],
                 forest ? "森林消防" : "水域救援");
        snprintf(en, sizeof(en), "Dongguan professional rescue brigade %d (%s)", k + 1,
                 forest ? "forest fire" : "water rescue");
        add_team(X, code, 0, "city_professional", std, zh, en, (int)rint64(&r, 30, 80),
                 X->admin_user, -1, &r);
    }
    /* Per town: a semi-professional forest-fire team of 30 and a flood-rescue team. */
    for (int t = 1; t <= X->ntowns; t++) {
        struct org *o = &X->org[t];
        snprintf(code, sizeof(code), "T-%s-FS", o->code);
        snprintf(zh, sizeof(zh), "%s半专业森林消防队", o->name_zh);
        snprintf(en, sizeof(en), "%s semi-professional forest-fire team", o->short_en);
        add_team(X, code, t, "forest_semi_pro", team_std(X, "forest_semi_pro"), zh, en, 30,
                 o->wh_user, t, &r);
        snprintf(code, sizeof(code), "T-%s-FR", o->code);
        snprintf(zh, sizeof(zh), "%s防汛抢险救援队", o->name_zh);
        snprintf(en, sizeof(en), "%s flood-rescue team", o->short_en);
        add_team(X, code, t, "flood_rescue", team_std(X, "flood_rescue"), zh, en,
                 (int)rint64(&r, 15, 40), o->wh_user, t, &r);
    }
    /* A few village volunteer forest-fire teams in the hilly towns. */
    {
        int made = 0, want = X->small ? 6 : 12;
        for (int pass = 0; pass < 3 && made < want; pass++)
            for (int t = 1; t <= X->ntowns && made < want; t++) {
                struct org *o = &X->org[t];
                int v;
                if (!o->forested || o->nvillages == 0 || !rchance(&r, 0.6))
                    continue;
                v = o->first_village + (int)rint64(&r, 0, o->nvillages - 1);
                snprintf(code, sizeof(code), "T-%s-FV", X->org[v].code);
                {
                    int dup = 0;
                    for (int k = 0; k < X->nteams; k++)
                        dup |= strcmp(X->teams[k].code, code) == 0;
                    if (dup)
                        continue;
                }
                fmtx(zh, sizeof(zh), "%s%s森林防火志愿队", o->short_zh, X->org[v].name_zh);
                snprintf(en, sizeof(en), "%s volunteer forest-fire team", X->org[v].name_en);
                add_team(X, code, v, "forest_volunteer", team_std(X, "forest_volunteer"), zh, en,
                         (int)rint64(&r, 8, 15), o->wh_user, t, &r);
                made++;
            }
    }
}

/* ------------------------------------------------------------------ lots and streams */

static int new_lot(struct ctx *X, int item, int64_t prod, int64_t exp, struct rng *r)
{
    struct lot *l;
    int y, m, d;
    GROW(X->lots, X->nlots, X->caplots);
    l = &X->lots[X->nlots];
    memset(l, 0, sizeof(*l));
    l->id = X->next_lot_id++;
    l->item = item;
    l->prod = prod;
    l->exp = exp;
    civil_from_days(prod, &y, &m, &d);
    snprintf(l->lot_no, sizeof(l->lot_no), "L%04d%02d-%04d", y, m, ++X->lot_seq);
    l->supplier = supplier_for(r, &X->items[item]);
    l->cost_cents = (int64_t)(X->items[item].cost_cents * rrange(r, 0.85, 1.2));
    l->created_us = NEVER;
    return X->nlots++;
}

static int bulk_lot(struct ctx *X, int item)
{
    if (X->bulk_lot[item] < 0) {
        struct lot *l;
        GROW(X->lots, X->nlots, X->caplots);
        l = &X->lots[X->nlots];
        memset(l, 0, sizeof(*l));
        l->item = item;
        str_copy(l->lot_no, sizeof(l->lot_no), "BULK");
        l->prod = l->exp = -1;
        l->created_us = NEVER;
        l->id = 0; /* looked up or assigned when written */
        X->bulk_lot[item] = X->nlots++;
    }
    return X->bulk_lot[item];
}

static int new_stream(struct ctx *X, int g, int kind, int lot)
{
    struct stream *s;
    struct group *gr = &X->groups[g];
    GROW(X->streams, X->nstreams, X->capstreams);
    s = &X->streams[X->nstreams];
    memset(s, 0, sizeof(*s));
    s->group = g;
    s->depot = gr->depot;
    s->item = gr->item;
    s->lot = lot;
    s->kind = kind;
    s->bin = bin_for(X, gr->depot, gr->item);
    s->stop_us = NEVER;
    s->exp_day = NEVER;
    s->user = X->depots[gr->depot].user;
    if (gr->ns < 16)
        gr->s[gr->ns++] = X->nstreams;
    return X->nstreams++;
}

/* Receipt day of a lot produced on `prod`: some weeks later, inside the window. */
static int64_t receipt_day(const struct ctx *X, struct rng *r, int64_t prod)
{
    int64_t d = prod + rint64(r, 7, 60);
    if (d < X->win_start)
        d = X->win_start;
    if (d > X->last_day - 2)
        d = X->last_day - 2;
    if (d < prod)
        d = prod;
    return d;
}

/* Dates of a live lot of an item with a shelf life, in class *xc (may change). */
static void live_dates(const struct ctx *X, struct rng *r, const struct item *it, int *xc,
                       int64_t *prod, int64_t *exp)
{
    int64_t shelf_days = (int64_t)it->shelf * 365 / 12;
    int64_t max_exp = X->today - 14 + shelf_days; /* produced at least two weeks ago */
    int64_t lo, hi;
    if (*xc == X_BEFORE) {
        lo = X->today + 7;
        hi = X->season_start - 1;
    } else if (*xc == X_INSIDE) {
        lo = X->season_start;
        hi = X->season_end - 1;
    } else {
        lo = X->season_end;
        hi = X->season_end + shelf_days * 4 / 5;
    }
    if (hi > max_exp)
        hi = max_exp;
    if (lo > hi) { /* too short a shelf life for that class: as fresh as possible */
        hi = max_exp;
        lo = max_exp - 40;
    }
    if (lo < X->today + 7) /* nothing on hand at the end has expired */
        lo = X->today + 7;
    if (hi < lo)
        hi = lo;
    *exp = rint64(r, lo, hi);
    *prod = *exp - shelf_days;
    if (*prod > X->today - 14) {
        *prod = X->today - 14;
        *exp = *prod + shelf_days;
    }
    *xc = *exp < X->season_start ? X_BEFORE : *exp < X->season_end ? X_INSIDE : X_AFTER;
}

/*
 * One (depot, item): its requirement, target end stock, 1-3 live lots and,
 * where the shelf life is short enough, older lots that expired during the
 * window and were written off.
 */
static void plan_group(struct ctx *X, struct rng *r, int depot, int item, int kind, int64_t req,
                       double cover, int strict)
{
    struct item *it = &X->items[item];
    struct group *g;
    int gi, nlive, sl[3];
    int64_t target, sum = 0, first_receipt = NEVER;

    GROW(X->groups, X->ngroups, X->capgroups);
    gi = X->ngroups++;
    g = &X->groups[gi];
    memset(g, 0, sizeof(*g));
    g->depot = depot;
    g->item = item;
    g->kind = kind;
    g->req = req;

    /* Whole units; a depot meant to meet the standard never rounds below it, a short one
     * never rounds up to it. */
    target = llround((double)req / U * cover) * U;
    if (cover >= 1.0 && target < req)
        target = req;
    if (cover < 1.0 && target >= req)
        target = req - U;
    if (target < U)
        target = U;

    if (it->tracking == 'b') {
        int s = new_stream(X, gi, ST_LIVE, bulk_lot(X, item));
        X->streams[s].target = target;
        X->streams[s].cap = req;
        X->streams[s].start_us = at_time(r, X->win_start, 1, 8);
        X->streams[s].xclass = X_NONE;
        return;
    }
    nlive = it->tracking == 's' ? (target >= 3 * U && rchance(r, 0.4) ? 2 : 1)
                                : (int)(runif(r) < 0.35  ? 1
                                        : runif(r) < 0.7 ? 2
                                                         : 3);
    if (target < (int64_t)nlive * U)
        nlive = (int)(target / U);
    /* Split the target into whole units, every lot at least one. */
    {
        double w[3], wt = 0;
        for (int k = 0; k < nlive; k++)
            wt += (w[k] = rrange(r, 0.3, 1.0));
        for (int k = 0; k < nlive; k++) {
            int64_t part =
                k == nlive - 1 ? target - sum : (int64_t)((double)target * w[k] / wt / U) * U;
            if (part < U)
                part = U;
            if (sum + part > target - (int64_t)(nlive - 1 - k) * U)
                part = target - sum - (int64_t)(nlive - 1 - k) * U;
            sl[k] = new_stream(X, gi, ST_LIVE, -1);
            X->streams[sl[k]].target = part;
            sum += part;
        }
    }
    /* Expiry classes; a town that meets the standard keeps >= 90 % usable through the season. */
    {
        int64_t expiring = 0;
        double pb = kind == G_TEAM ? 0.03 : 0.05, pi = kind == G_TEAM ? 0.07 : 0.10;
        for (int k = 0; k < nlive; k++) {
            struct stream *s = &X->streams[sl[k]];
            int xc = X_NONE;
            int64_t prod, exp = -1;
            if (it->shelf > 0) {
                double u = runif(r);
                xc = u < pb ? X_BEFORE : u < pb + pi ? X_INSIDE : X_AFTER;
                if (strict && xc != X_AFTER && expiring + s->target > target - req * 9 / 10)
                    xc = X_AFTER;
                live_dates(X, r, it, &xc, &prod, &exp);
                if (xc != X_AFTER)
                    expiring += s->target;
            } else {
                prod = X->today - rint64(r, 120, 8 * 365);
            }
            s->xclass = xc;
            s->cap = (int64_t)((double)(req > target ? req : target) * rrange(r, 0.1, 0.5));
            s->lot = new_lot(X, item, prod, exp, r);
            s->exp_day = exp >= 0 ? exp : NEVER;
            s->start_us = at_time(r, receipt_day(X, r, prod), 1, 9);
            if (s->start_us < first_receipt)
                first_receipt = s->start_us;
        }
    }
    /* Older lots, expired during the window and written off: they filled the shelf before
     * the live lots came (short shelf lives), or are simply an earlier batch. */
    if (it->tracking == 'l' && it->shelf > 0) {
        int64_t shelf_days = (int64_t)it->shelf * 365 / 12;
        int optional = first_receipt / DAY_US <= X->win_start + 30;
        int want = !optional || rchance(r, X->small ? 0.10 : 0.18);
        for (int made = 0; made < 3 && want; made++) {
            int64_t exp, prod, rec, disp, cover_to = first_receipt / DAY_US;
            int s;
            if (cover_to > X->win_start + 30)
                exp = rint64(r, cover_to - 30, cover_to + 60); /* runs out as the next arrives */
            else if (made == 0 && optional)
                exp = rint64(r, X->win_start + 20, X->last_day - 20);
            else
                break;
            if (exp > X->last_day - 20)
                exp = X->last_day - 20;
            if (exp < X->win_start + 20)
                break;
            prod = exp - shelf_days;
            rec = receipt_day(X, r, prod);
            if (rec >= exp - 10)
                break;
            disp = exp + rint64(r, 5, 40);
            if (disp > X->last_day - 1)
                disp = X->last_day - 1;
            s = new_stream(X, gi, ST_OLD, new_lot(X, item, prod, exp, r));
            X->streams[s].exp_day = exp;
            X->streams[s].start_us = at_time(r, rec, 1, 9);
            X->streams[s].stop_us = at_time(r, disp, 1, 9);
            X->streams[s].dispose_plan =
                (int64_t)fmax(1.0, round((double)req / U * rrange(r, 0.02, 0.15))) * U;
            X->streams[s].xclass = X_BEFORE;
            X->streams[s].cap = (int64_t)((double)req * rrange(r, 0.4, 0.9));
            first_receipt = X->streams[s].start_us;
            if (rec <= X->win_start)
                break;
        }
    }
    /* Purchases that the season used up: before each season (February-March) and after the
     * first typhoons (late July-August), for the town and city reserves. */
    if (it->tracking == 'l' && kind != G_TEAM) {
        for (int y = year_of(X->win_start); y <= year_of(X->today); y++) {
            for (int k = 0; k < 2; k++) {
                int64_t day =
                    k == 0 ? ymd(y, 2, 15) + rint64(r, 0, 45) : ymd(y, 7, 20) + rint64(r, 0, 40);
                int64_t prod = day - rint64(r, 10, 90), exp = -1;
                int s;
                if (day <= X->win_start + 10 || day >= X->last_day - 10 || !rchance(r, 0.8))
                    continue;
                if (it->shelf > 0)
                    exp = prod + (int64_t)it->shelf * 365 / 12;
                if (exp >= 0 && exp < day + 60)
                    continue;
                s = new_stream(X, gi, ST_USED, new_lot(X, item, prod, exp, r));
                X->streams[s].exp_day = exp >= 0 ? exp : NEVER;
                X->streams[s].start_us = at_time(r, day, 1, 9);
                X->streams[s].cap = (int64_t)((double)req * rrange(r, 0.4, 0.9));
                X->streams[s].xclass = X_NONE;
            }
        }
    }
}

static int64_t town_req(const struct sline *l, int64_t persons)
{
    /* qty per 500 persons x persons / 500, rounded up to whole units. */
    double v = (double)l->qty * (double)persons / 500.0;
    int64_t units = (int64_t)ceil(v / U - 1e-9);
    return (units < 1 ? 1 : units) * U;
}

static int64_t team_req(const struct sline *l, int headcount)
{
    double v = l->basis == 'p' ? (double)l->qty * headcount : (double)l->qty;
    int64_t units = (int64_t)ceil(v / U - 1e-9);
    return (units < 1 ? 1 : units) * U;
}

static void plan_stock(struct ctx *X)
{
    struct rng r = rsub(X->seed, 4);
    const struct standard *ts = &X->std[X->town_std];
    int nbelow = 0, want_below = X->ntowns >= 20 ? (int)rint64(&r, 5, 6) : 2;

    /* The towns below the 500-person standard (towns and subdistricts, not the parks). */
    for (int tries = 0; nbelow < want_below && tries < 10000; tries++) {
        int t = 1 + (int)rint64(&r, 0, X->ntowns - 1);
        if (!X->org[t].below && (strcmp(X->org[t].kind, "park") != 0 || tries > 5000)) {
            X->org[t].below = 1;
            nbelow++;
        }
    }
    /* City depots: several times a town's standard of everything. */
    for (int d = 0; d < X->ndepots; d++) {
        if (strcmp(X->depots[d].kind, "city") != 0)
            continue;
        for (int k = 0; k < ts->n; k++) {
            int64_t req = town_req(&ts->l[k], 500);
            plan_group(X, &r, d, ts->l[k].item, G_CITY, req, rrange(&r, 5.0, 10.0), 1);
        }
    }
    /* Town depots. */
    for (int t = 1; t <= X->ntowns; t++) {
        struct org *o = &X->org[t];
        double base = rrange(&r, 1.04, 1.32);
        int short_items[64] = {0};
        if (o->below) { /* several items, among those of which a town needs a few */
            int nshort = (int)rint64(&r, 5, 10);
            for (int k = 0, tries = 0; k < nshort && tries < 1000; tries++) {
                int64_t i = rint64(&r, 0, ts->n - 1);
                if (i < 64 && !short_items[i] && town_req(&ts->l[i], o->reserve) >= 3 * U) {
                    short_items[i] = 1;
                    k++;
                }
            }
        }
        for (int k = 0; k < ts->n; k++) {
            double cover = base + rrange(&r, -0.04, 0.08);
            if (cover < 1.0)
                cover = 1.0;
            if (cover > 1.4)
                cover = 1.4;
            if (o->below && short_items[k & 63])
                cover = rrange(&r, 0.40, 0.90);
            plan_group(X, &r, o->depot, ts->l[k].item, G_TOWN, town_req(&ts->l[k], o->reserve),
                       cover, !(o->below && short_items[k & 63]));
        }
    }
    /* Team depots: their standard, mostly complete. */
    for (int tm = 0; tm < X->nteams; tm++) {
        const struct team *team = &X->teams[tm];
        int weak = rchance(&r, 0.12);
        if (team->std < 0)
            continue;
        for (int k = 0; k < X->std[team->std].n; k++) {
            const struct sline *l = &X->std[team->std].l[k];
            double cover = weak && rchance(&r, 0.3) ? rrange(&r, 0.5, 0.9) : rrange(&r, 1.0, 1.2);
            plan_group(X, &r, team->depot, l->item, G_TEAM, team_req(l, team->headcount), cover,
                       !weak);
        }
    }
}

/* ------------------------------------------------------------------ weather */

static struct weather *wx(struct ctx *X, int town, int64_t day)
{
    int64_t i = day - X->win_start;
    if (i < 0)
        i = 0;
    if (i >= X->ndays)
        i = X->ndays - 1;
    return &X->wx[(size_t)(town < 0 ? 0 : town) * (size_t)X->ndays + (size_t)i];
}

static void gen_weather(struct ctx *X)
{
    struct rng r = rsub(X->seed, 5);
    int order[sizeof(typhoon_names) / sizeof(typhoon_names[0])];
    int nnames = (int)(sizeof(typhoon_names) / sizeof(typhoon_names[0]));

    X->ndays = (int)(X->today - X->win_start);
    X->wx = xrealloc(NULL, sizeof(struct weather) * (size_t)(X->ntowns + 1) * (size_t)X->ndays);
    for (int k = 0; k < nnames; k++)
        order[k] = k;
    for (int k = nnames - 1; k > 0; k--) {
        int j = (int)rint64(&r, 0, k), tmp = order[k];
        order[k] = order[j];
        order[j] = tmp;
    }
    /* Two or three named typhoons a year, July to late September. */
    for (int y = year_of(X->win_start); y <= year_of(X->today); y++) {
        int n = rchance(&r, 0.3) ? 3 : 2;
        int64_t days[3];
        for (int k = 0; k < n; k++) {
            int tries = 0, ok;
            do {
                days[k] = ymd(y, 7, 1) + rint64(&r, 0, 86);
                ok = 1;
                for (int j = 0; j < k; j++)
                    ok &= llabs(days[j] - days[k]) >= 20;
            } while (!ok && ++tries < 50);
            if (days[k] < X->win_start || days[k] >= X->last_day - 1 || X->ntyphoons >= 16)
                continue;
            X->typhoons[X->ntyphoons].name = typhoon_names[order[X->ntyphoons % nnames]];
            X->typhoons[X->ntyphoons].day = days[k];
            X->ntyphoons++;
        }
    }
    for (int t = 0; t <= X->ntowns; t++) {
        int coastal = t > 0 && X->org[t].coastal;
        for (int i = 0; i < X->ndays; i++) {
            int64_t day = X->win_start + i;
            int m = month_of(day), md = mday_of(day);
            struct weather *w = &X->wx[(size_t)t * (size_t)X->ndays + (size_t)i];
            w->mult = m >= 6 && m <= 9 ? 2.0f : (m == 5 || m == 10) ? 1.0f : 0.5f;
            if ((m == 5 && md >= 21) || (m == 6 && md <= 20)) /* "dragon-boat water" */
                w->mult *= 2.0f;
            w->typhoon = -1;
            w->storm = -1;
        }
        /* Typhoons: most coastal and river towns, some inland ones. */
        for (int k = 0; k < X->ntyphoons; k++) {
            if (t == 0 || !rchance(&r, coastal ? 0.9 : 0.45))
                continue;
            for (int dd = -1; dd <= 5; dd++) {
                int64_t day = X->typhoons[k].day + dd;
                struct weather *w;
                if (day < X->win_start || day >= X->today)
                    continue;
                w = wx(X, t, day);
                w->mult *= dd <= 1 ? 14.0f : 5.0f;
                w->typhoon = (signed char)k;
            }
        }
    }
    /* Rainstorms: a few two-day events a season, about a third of the towns each. */
    for (int y = year_of(X->win_start); y <= year_of(X->today); y++) {
        for (int k = 0; k < 4; k++) {
            int64_t day =
                k < 2 ? ymd(y, 5, 21) + rint64(&r, 0, 30) : ymd(y, 4, 10) + rint64(&r, 0, 160);
            for (int t = 1; t <= X->ntowns; t++) {
                if (!rchance(&r, 0.35))
                    continue;
                for (int dd = 0; dd < 2; dd++) {
                    struct weather *w;
                    if (day + dd < X->win_start || day + dd >= X->today)
                        continue;
                    w = wx(X, t, day + dd);
                    if (w->typhoon >= 0)
                        continue;
                    w->mult *= 5.0f;
                    w->storm = 1;
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ events */

static int add_ev(struct ctx *X, int stream, int kind, int64_t t, int64_t plan)
{
    struct ev *e;
    GROW(X->evs, X->nevs, X->capevs);
    e = &X->evs[X->nevs];
    memset(e, 0, sizeof(*e));
    e->t = t;
    e->stream = stream;
    e->uid = X->nevs;
    e->kind = (unsigned char)kind;
    e->pair = -1;
    e->plan = plan;
    e->user = X->streams[stream].user;
    return X->nevs++;
}

/* The stream an issue at time t takes: eligible, earliest expiry first. */
static int fefo(const struct ctx *X, const struct group *g, int64_t t, int need_cap)
{
    int best = -1;
    for (int k = 0; k < g->ns; k++) {
        const struct stream *s = &X->streams[g->s[k]];
        if (t < s->start_us + DAY_US || t >= s->stop_us || t / DAY_US >= s->exp_day)
            continue;
        if (need_cap && s->cap < U)
            continue;
        if (best < 0 || s->exp_day < X->streams[best].exp_day ||
            (s->exp_day == X->streams[best].exp_day && s->start_us < X->streams[best].start_us))
            best = g->s[k];
    }
    return best;
}

static const char *recipient_for(struct ctx *X, struct rng *r, int town)
{
    const struct org *o = &X->org[town];
    if (o->nvillages > 0 && rchance(r, 0.8))
        return X->org[o->first_village + rint64(r, 0, o->nvillages - 1)].name_zh;
    return pool_printf(&X->pool, "%s应急避护场所", o->short_zh);
}

static void gen_demand(struct ctx *X)
{
    struct rng r = rsub(X->seed, 6);
    const char *storm_reason = "暴雨内涝抢险，转移安置群众";
    const char **ty_issue = xrealloc(NULL, sizeof(char *) * (size_t)(X->ntyphoons + 1));
    const char **ty_return = xrealloc(NULL, sizeof(char *) * (size_t)(X->ntyphoons + 1));
    const double base = 0.018;

    for (int k = 0; k < X->ntyphoons; k++) {
        ty_issue[k] = pool_printf(&X->pool, "台风「%s」防御：转移安置群众", X->typhoons[k].name);
        ty_return[k] =
            pool_printf(&X->pool, "台风「%s」过后安置点撤除，物资归还", X->typhoons[k].name);
    }
    for (int gi = 0; gi < X->ngroups; gi++) {
        struct group *g = &X->groups[gi];
        const struct item *it = &X->items[g->item];
        const struct depot *d = &X->depots[g->depot];
        int town = d->town;
        int forest_team = 0, serial = it->tracking == 's';
        double rate = base * it->rate;

        if (g->kind == G_CITY)
            rate *= 0.25;
        if (g->kind == G_TEAM) {
            const struct team *tm = &X->teams[d->team];
            if (serial)
                continue; /* the teams keep their equipment */
            forest_team =
                strstr(tm->kind, "forest") != NULL ||
                (strcmp(tm->kind, "city_professional") == 0 && strstr(tm->name_zh, "森林"));
            rate = 0.004;
        }
        if (serial)
            rate *= 0.6;
        for (int64_t day = X->win_start + 1; day < X->today; day++) {
            const struct weather *w = wx(X, town, day);
            double lambda = rate * w->mult;
            int m = month_of(day), n;
            if (it->cold)
                lambda *= (m == 12 || m <= 2) ? 3.0 : 0.3;
            if (forest_team)
                lambda = rate * ((m >= 10 || m <= 3) ? 2.0 : 0.5);
            n = rpoisson(&r, lambda);
            for (int k = 0; k < n && k < 8; k++) {
                int emergency = !forest_team && (w->typhoon >= 0 || w->storm >= 0);
                int64_t t = emergency ? at_time(&r, day, 0, 24) : at_time(&r, day, 0, 11);
                const char *reason =
                    w->typhoon >= 0 ? ty_issue[w->typhoon]
                    : w->storm >= 0 ? storm_reason
                    : forest_team ? (m >= 10 || m <= 3 ? "森林防火值守及扑救" : "队伍训练损耗补发")
                    : g->kind == G_TEAM               ? "队员装备补发"
                    : m >= 6 && m <= 9                ? "汛期应急发放"
                    : it->cold && (m == 12 || m <= 2) ? "寒潮防御：困难群众临时救助"
                                                      : "日常应急救助发放";
                const char *recipient = g->kind == G_TOWN && town > 0 ? recipient_for(X, &r, town)
                                        : g->kind == G_CITY ? "市应急指挥部现场工作组"
                                                            : X->teams[d->team].name_zh;
                int64_t want;
                int e;

                if (serial) { /* equipment comes back: no issue without its return */
                    int s = fefo(X, g, t, 0), ret;
                    int64_t back = t + rint64(&r, 2, 10) * DAY_US, units = rint64(&r, 1, 2);
                    if (s < 0 || back >= X->today * DAY_US || back >= X->streams[s].stop_us)
                        continue;
                    e = add_ev(X, s, EV_ISSUE, t, units * U);
                    ret = add_ev(X, s, EV_RETURN, back, units * U);
                    X->evs[ret].full = 1;
                    X->evs[e].pair = ret;
                    X->evs[ret].pair = e;
                    X->evs[ret].reason =
                        w->typhoon >= 0 ? ty_return[w->typhoon] : "抢险结束，设备归还";
                    X->evs[e].reason = reason;
                    X->evs[e].recipient = recipient;
                    continue;
                }
                if (g->kind == G_TEAM) {
                    want = rint64(&r, 1, 3) * U;
                } else {
                    double f = it->frac * rrange(&r, 0.4, 1.6) * (emergency ? 2.0 : 1.0);
                    want = (int64_t)fmax(1.0, round((double)g->req / U * f)) * U;
                }
                /* First expiry first out, from what the lots can give; a large issue may take
                 * two lots, and what no lot can give is not issued. */
                while (want > 0) {
                    int s = fefo(X, g, t, 1);
                    int64_t q;
                    if (s < 0)
                        break;
                    q = want < X->streams[s].cap ? want : X->streams[s].cap / U * U;
                    X->streams[s].cap -= q;
                    want -= q;
                    e = add_ev(X, s, EV_ISSUE, t, q);
                    X->evs[e].reason = reason;
                    X->evs[e].recipient = recipient;
                    if (it->returnable && emergency && rchance(&r, 0.6)) {
                        int64_t back = t + rint64(&r, 3, 20) * DAY_US;
                        if (back < X->today * DAY_US && back < X->streams[s].stop_us) {
                            int ret =
                                add_ev(X, s, EV_RETURN, back,
                                       (int64_t)fmax(1, round(q / U * rrange(&r, 0.3, 0.9))) * U);
                            X->evs[ret].reason =
                                w->typhoon >= 0 ? ty_return[w->typhoon] : "抢险结束，物资归还";
                        }
                    }
                }
            }
        }
    }
    free(ty_issue);
    free(ty_return);
}

/* Transfers: from the city depots and from well-stocked towns to other towns. */
static void gen_transfers(struct ctx *X)
{
    struct rng r = rsub(X->seed, 7);
    int want = X->small ? 24 : 160, made = 0, tries = 0;

    while (made < want && tries++ < want * 40) {
        int gi = (int)rint64(&r, 0, X->ngroups - 1), src_g = -1, src = -1, dst, tin_e, tout_e;
        struct group *g = &X->groups[gi];
        const struct item *it = &X->items[g->item];
        int city = rchance(&r, 0.6);
        int64_t t_out, t_in, day;
        struct stream *big = NULL;

        if (g->kind != G_TOWN || it->tracking != 'l')
            continue;
        /* When: after a typhoon, or in the pre-season balancing (February-March). */
        if (X->ntyphoons && rchance(&r, 0.5)) {
            day = X->typhoons[rint64(&r, 0, X->ntyphoons - 1)].day + rint64(&r, 3, 25);
        } else {
            int y = (int)rint64(&r, year_of(X->win_start), year_of(X->today));
            day = ymd(y, 2, 15) + rint64(&r, 0, 38);
            if (X->small)
                day = X->win_start + rint64(&r, 10, X->ndays - 5);
        }
        if (day < X->win_start + 10 || day > X->last_day - 4)
            continue;
        t_out = at_time(&r, day, 1, 9);
        t_in = t_out + rint64(&r, 1, 3) * DAY_US;
        if (t_in >= X->today * DAY_US)
            t_in = t_out + HOUR_US * 6;
        /* From: a city depot or another town that meets the standard. */
        for (int k = 0; k < X->ngroups && src_g < 0; k++) {
            int kk = (int)((k + rint64(&r, 0, X->ngroups - 1)) % X->ngroups);
            const struct group *h = &X->groups[kk];
            if (h->item != g->item || h->depot == g->depot || h->kind != (city ? G_CITY : G_TOWN))
                continue;
            if (h->kind == G_TOWN && X->org[X->depots[h->depot].town].below)
                continue;
            src_g = kk;
        }
        if (src_g < 0)
            continue;
        for (int k = 0; k < X->groups[src_g].ns; k++) {
            const struct stream *s = &X->streams[X->groups[src_g].s[k]];
            if (s->kind == ST_LIVE && s->xclass == X_AFTER && s->start_us + 7 * DAY_US < t_out)
                src = X->groups[src_g].s[k];
        }
        /* To: carve the transferred lot out of the destination's largest lasting lot. */
        for (int k = 0; k < g->ns; k++) {
            struct stream *s = &X->streams[g->s[k]];
            if (s->kind == ST_LIVE && s->xclass == X_AFTER && s->target >= 2 * U &&
                (!big || s->target > big->target))
                big = s;
        }
        if (src < 0 || !big || g->ns >= 16)
            continue;
        { /* one (bin, lot) is one history: the same lot never comes twice to a depot */
            int seen = 0;
            for (int k = 0; k < g->ns; k++)
                seen |= X->streams[g->s[k]].lot == X->streams[src].lot;
            if (seen)
                continue;
        }
        {
            int64_t part = (int64_t)(big->target / U * rrange(&r, 0.2, 0.5)) * U;
            if (part < U)
                part = U;
            big->target -= part;
            dst = new_stream(X, gi, ST_DEST, X->streams[src].lot);
            X->streams[dst].target = part;
            X->streams[dst].start_us = t_in;
            X->streams[dst].exp_day = X->streams[src].exp_day;
            X->streams[dst].xclass = X_AFTER;
        }
        GROW(X->xfers, X->nxfers, X->capxfers);
        tout_e = add_ev(X, src, EV_TOUT, t_out, 0);
        tin_e = add_ev(X, dst, EV_TIN, t_in, 0);
        X->evs[tout_e].pair = tin_e;
        X->evs[tin_e].pair = tout_e;
        X->evs[tout_e].reason = X->evs[tin_e].reason = city ? "市级储备调拨" : "镇街间物资调剂";
        X->evs[tout_e].transfer_id = X->evs[tin_e].transfer_id = X->next_transfer_id;
        X->evs[tout_e].ref = X->evs[tin_e].ref =
            pool_printf(&X->pool, "TR-%lld", (long long)X->next_transfer_id);
        X->xfers[X->nxfers] =
            (struct xfer){X->next_transfer_id++, src, dst, tout_e, tin_e, t_out, city};
        X->nxfers++;
        made++;
    }
}

static const char *receipt_reason(const struct ctx *X, const struct stream *s)
{
    const char *k = X->depots[s->depot].kind;
    if (strcmp(k, "team") == 0)
        return "队伍装备配发入库";
    if (strcmp(k, "city") == 0)
        return "市级储备采购入库";
    return "镇街储备采购入库";
}

/* Receipts, stocktakes, adjustments and disposals of every stream. */
static void gen_stream_events(struct ctx *X)
{
    struct rng r = rsub(X->seed, 8);
    int nstreams = X->nstreams;
    int64_t *dates = xrealloc(NULL, sizeof(int64_t) * 16);

    for (int si = 0; si < nstreams; si++) {
        struct stream *s = &X->streams[si];
        const struct item *it = &X->items[s->item];
        const struct depot *d = &X->depots[s->depot];
        const struct lot *l = &X->lots[s->lot];
        int nd = 0, e;

        if (s->kind != ST_DEST) {
            e = add_ev(X, si, EV_RECEIVE, s->start_us, 0);
            if (s->start_us / DAY_US <= X->win_start) {
                X->evs[e].reason = "期初库存结转（系统启用前结存）";
            } else {
                int y = year_of(s->start_us / DAY_US);
                X->evs[e].reason = receipt_reason(X, s);
                X->evs[e].ref = pool_printf(&X->pool, "PO-%d-%04d", y, ++X->po_seq);
            }
        }
        /* Stocktakes: before each season (March), and the routine count of the last weeks;
         * a few depots skipped their latest one, so their counts are getting old. */
        {
            struct rng dr = rsub(X->seed, 1000 + (uint64_t)s->depot); /* same days per depot */
            int64_t recent = X->today - rint64(&dr, 7, 75);
            for (int y = year_of(X->win_start); y <= year_of(X->today); y++) {
                int64_t a = ymd(y, 3, 1) + rint64(&dr, 0, 24);
                if (a > X->win_start && a < X->today && llabs(a - recent) > 20 && nd < 16)
                    dates[nd++] = a;
            }
            if (recent > X->win_start && nd < 16)
                dates[nd++] = recent;
            if (d->stale && nd > 0) {
                int latest = 0;
                for (int k = 1; k < nd; k++)
                    if (dates[k] > dates[latest])
                        latest = k;
                dates[latest] = dates[--nd];
            }
        }
        for (int k = 0; k < nd; k++) {
            struct rng cr = rsub(X->seed, 100000 + (uint64_t)s->depot * 131 + (uint64_t)k);
            int64_t t = at_time(&cr, dates[k], 1, 9) + rint64(&r, 0, HOUR_US);
            int64_t diff = 0;
            if (t <= s->start_us + DAY_US || t >= s->stop_us)
                continue;
            if (it->tracking != 's' && rchance(&r, 0.15)) {
                int64_t mx = s->target / U / 200;
                diff = rint64(&r, 1, mx < 1 ? 1 : mx > 5 ? 5 : mx) * U;
                if (rchance(&r, 0.55))
                    diff = -diff;
            }
            e = add_ev(X, si, EV_COUNT, t, diff);
            X->evs[e].reason = "盘点差异";
        }
        /* Now and then a correction. */
        if (it->tracking != 's' && rchance(&r, X->small ? 0.01 : 0.02)) {
            int64_t lo = s->start_us / DAY_US + 2,
                    hi = (s->stop_us == NEVER ? X->today : s->stop_us / DAY_US) - 1;
            if (hi > lo) {
                int64_t t = at_time(&r, rint64(&r, lo, hi), 1, 9);
                int neg = rchance(&r, 0.7);
                e = add_ev(X, si, EV_ADJUST, t, (neg ? -1 : 1) * rint64(&r, 1, 3) * U);
                X->evs[e].reason = neg ? "破损登记，经镇街审批核减" : "入库数量更正";
            }
        }
        /* The write-off of an expired lot. */
        if (s->kind == ST_OLD) {
            char exp[11];
            fmt_day(l->exp, exp);
            e = add_ev(X, si, EV_DISPOSE, s->stop_us, s->dispose_plan);
            X->evs[e].reason = pool_printf(&X->pool, "过期报废（有效期至%s），经审批销毁", exp);
            X->evs[e].ref =
                pool_printf(&X->pool, "WO-%d-%04d", year_of(s->stop_us / DAY_US), ++X->wo_seq);
        }
    }
    free(dates);
}

/* ------------------------------------------------------------------ quantities */

static int *g_pos; /* uid -> index after sorting (for the comparators' users) */

static int cmp_stream_time(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int cmp_time(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void index_events(struct ctx *X)
{
    for (int i = 0; i < X->nevs; i++)
        g_pos[X->evs[i].uid] = i;
}

/* Work one stream's quantities out backwards from its end balance. */
static void backward(struct ctx *X, int first, int n)
{
    struct stream *s = &X->streams[X->evs[first].stream];
    int64_t bal = s->kind == ST_OLD || s->kind == ST_USED ? 0 : s->target;

    for (int i = first + n - 1; i >= first; i--) {
        struct ev *e = &X->evs[i];
        int64_t q;
        e->bal = bal;
        switch (e->kind) {
        case EV_ISSUE:
            q = e->plan;
            if (e->pair >= 0) { /* equipment: exactly what came back */
                const struct ev *ret = &X->evs[g_pos[e->pair]];
                q = ret->dead ? 0 : ret->qty;
            }
            if (q <= 0) {
                e->dead = 1;
                break;
            }
            e->qty = -q;
            bal += q;
            break;
        case EV_DISPOSE:
            e->qty = -e->plan;
            bal += e->plan;
            break;
        case EV_TOUT: {
            const struct ev *in = &X->evs[g_pos[e->pair]];
            if (in->dead || in->qty <= 0) {
                e->dead = 1;
                break;
            }
            e->qty = -in->qty;
            bal += in->qty;
            break;
        }
        case EV_RETURN:
            q = e->plan < bal ? e->plan : bal;
            if (q <= 0) {
                e->dead = 1;
                break;
            }
            e->qty = q;
            bal -= q;
            break;
        case EV_COUNT:
        case EV_ADJUST:
            q = e->plan;
            if (bal <= 0) {
                e->dead = 1;
                break;
            }
            if (q > 0 && q > bal - U) /* a surplus found: at least a unit was expected */
                q = bal - U > 0 ? bal - U : 0;
            if (q == 0 && e->kind == EV_ADJUST) {
                e->dead = 1;
                break;
            }
            e->qty = q; /* 0: a count that found what was expected (no movement) */
            bal -= q;
            break;
        case EV_RECEIVE:
        case EV_TIN:
            if (bal <= 0) {
                e->dead = 1;
                break;
            }
            e->qty = bal;
            bal = 0;
            break;
        }
    }
}

/* Check what backward() made: running sums from zero, never negative, ending at target. */
static int check_stream(const struct ctx *X, int first, int n)
{
    const struct stream *s = &X->streams[X->evs[first].stream];
    int64_t run = 0;
    int started = 0;
    for (int i = first; i < first + n; i++) {
        const struct ev *e = &X->evs[i];
        if (e->dead)
            continue;
        if (!started && e->kind != EV_RECEIVE && e->kind != EV_TIN)
            return -1;
        started = 1;
        run += e->qty;
        if (run < 0 || run != e->bal)
            return -1;
    }
    if (started && run != (s->kind == ST_OLD || s->kind == ST_USED ? 0 : s->target))
        return -1;
    return 0;
}

static int compute_quantities(struct ctx *X)
{
    int *first = xrealloc(NULL, sizeof(int) * (size_t)(X->nstreams + 1));
    int *count = xrealloc(NULL, sizeof(int) * (size_t)(X->nstreams + 1));
    int bad = 0;

    g_pos = xrealloc(NULL, sizeof(int) * (size_t)(X->nevs + 1));
    qsort(X->evs, (size_t)X->nevs, sizeof(struct ev), cmp_stream_time);
    index_events(X);
    for (int s = 0; s < X->nstreams; s++)
        count[s] = 0, first[s] = 0;
    for (int i = X->nevs - 1; i >= 0; i--) {
        first[X->evs[i].stream] = i;
        count[X->evs[i].stream]++;
    }
    /* One history per (bin, lot). */
    for (int a = 0; a < X->ngroups && !bad; a++) {
        const struct group *g = &X->groups[a];
        for (int i = 0; i < g->ns; i++)
            for (int k = i + 1; k < g->ns; k++)
                if (X->streams[g->s[i]].lot == X->streams[g->s[k]].lot &&
                    X->streams[g->s[i]].bin == X->streams[g->s[k]].bin)
                    bad = 1;
    }
    if (bad)
        fprintf(stderr, "demo-data: internal error: two histories for one (bin, lot)\n");
    /* Destinations of transfers first: their opening is what the source ships. */
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < X->nstreams; s++)
            if (count[s] && (pass == 0) == (X->streams[s].kind == ST_DEST))
                backward(X, first[s], count[s]);
    for (int s = 0; s < X->nstreams && !bad; s++)
        if (count[s] && check_stream(X, first[s], count[s]) != 0) {
            fprintf(stderr, "demo-data: internal error: stream %d (depot %s) is inconsistent\n", s,
                    X->depots[X->streams[s].depot].code);
            bad = 1;
        }
    /* The last count of every (bin, lot), for stock.last_count_at. */
    for (int i = 0; i < X->nevs; i++) {
        const struct ev *e = &X->evs[i];
        if (!e->dead && e->kind == EV_COUNT && e->t > X->streams[e->stream].last_count_us)
            X->streams[e->stream].last_count_us = e->t;
    }
    /* What each transfer carried. */
    for (int k = 0; k < X->nxfers; k++) {
        const struct ev *in = &X->evs[g_pos[X->xfers[k].in_uid]];
        if (in->dead)
            X->xfers[k].src = -1;
    }
    free(first);
    free(count);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ assets */

static void gen_assets(struct ctx *X)
{
    struct rng r = rsub(X->seed, 9);
    int *seq = xrealloc(NULL, sizeof(int) * (size_t)(X->nitems + 1));
    memset(seq, 0, sizeof(int) * (size_t)(X->nitems + 1));
    for (int si = 0; si < X->nstreams; si++) {
        const struct stream *s = &X->streams[si];
        const struct item *it = &X->items[s->item];
        int64_t n = s->target / U;
        int interval = it->inspect > 0 ? it->inspect : 90;
        char code[40];
        size_t k = 0;
        if (it->tracking != 's' || s->kind != ST_LIVE)
            continue;
        for (const char *p = it->code; *p && k < sizeof(code) - 1; p++)
            if (*p != '-')
                code[k++] = *p;
        code[k] = '\0';
        for (int64_t u = 0; u < n; u++) {
            struct asset *a;
            GROW(X->assets, X->nassets, X->capassets);
            a = &X->assets[X->nassets++];
            memset(a, 0, sizeof(*a));
            a->item = s->item;
            a->stream = si;
            fmtx(a->serial, sizeof(a->serial), "%s-%d-%05d", code, year_of(X->lots[s->lot].prod),
                 ++seq[s->item]);
            a->status = rchance(&r, 0.03) ? "under_repair" : "in_service";
            a->commissioned = s->start_us / DAY_US;
            a->insp_due = rchance(&r, 0.12) ? X->today - rint64(&r, 1, 60)
                                            : X->today + rint64(&r, 1, interval);
            a->maint_due =
                rchance(&r, 0.06) ? X->today - rint64(&r, 1, 90) : X->today + rint64(&r, 30, 365);
        }
    }
    free(seq);
}

/* ------------------------------------------------------------------ writing */

#define JT(cols)                                                                                   \
    " FROM JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, " cols ")) AS j ORDER BY j.n"
#define ZH " CHARACTER SET utf8mb4"

static const char SQL_ORG[] =
    "INSERT INTO org_unit (id, code, parent_id, kind, name_zh, name_en, population, lat, lon,"
    " path, is_demo, created_at) SELECT id, code, parent_id, kind, name_zh, name_en, population,"
    " lat, lon, path, 1, created_at" JT(
        "id INT UNSIGNED PATH '$[0]', code VARCHAR(32) PATH '$[1]', parent_id INT UNSIGNED PATH"
        " '$[2]', kind VARCHAR(16) PATH '$[3]', name_zh VARCHAR(64)" ZH " PATH '$[4]', name_en"
        " VARCHAR(128)" ZH " PATH '$[5]', population INT UNSIGNED PATH '$[6]', lat DECIMAL(9,6)"
        " PATH '$[7]', lon DECIMAL(9,6) PATH '$[8]', path VARCHAR(255) PATH '$[9]', created_at"
        " DATETIME(6) PATH '$[10]'");

static const char SQL_USER[] =
    "INSERT INTO app_user (id, username, display_name, role, org_unit_id, password_hash, is_demo,"
    " created_at) SELECT id, username, display_name, role, org_unit_id, password_hash, 1,"
    " created_at" JT("id INT UNSIGNED PATH '$[0]', username VARCHAR(64)" ZH " PATH '$[1]',"
                     " display_name VARCHAR(96)" ZH " PATH '$[2]', role VARCHAR(16) PATH '$[3]',"
                     " org_unit_id INT UNSIGNED PATH '$[4]', password_hash VARCHAR(255) PATH"
                     " '$[5]', created_at DATETIME(6) PATH '$[6]'");

static const char SQL_TEAM[] =
    "INSERT INTO team (id, code, org_unit_id, kind, name_zh, name_en, headcount, lat, lon,"
    " is_demo) SELECT id, code, org_unit_id, kind, name_zh, name_en, headcount, lat, lon, 1" JT(
        "id INT UNSIGNED PATH '$[0]', code VARCHAR(48) PATH '$[1]', org_unit_id INT UNSIGNED"
        " PATH '$[2]', kind VARCHAR(32) PATH '$[3]', name_zh VARCHAR(96)" ZH " PATH '$[4]',"
        " name_en VARCHAR(160)" ZH " PATH '$[5]', headcount INT UNSIGNED PATH '$[6]', lat"
        " DECIMAL(9,6) PATH '$[7]', lon DECIMAL(9,6) PATH '$[8]'");

static const char SQL_DEPOT[] =
    "INSERT INTO depot (id, code, org_unit_id, team_id, kind, name_zh, name_en, address, lat, lon,"
    " is_demo, created_at) SELECT id, code, org_unit_id, team_id, kind, name_zh, name_en,"
    " address, lat, lon, 1, created_at" JT(
        "id INT UNSIGNED PATH '$[0]', code VARCHAR(48) PATH '$[1]', org_unit_id INT UNSIGNED"
        " PATH '$[2]', team_id INT UNSIGNED PATH '$[3]', kind VARCHAR(16) PATH '$[4]', name_zh"
        " VARCHAR(96)" ZH " PATH '$[5]', name_en VARCHAR(160)" ZH " PATH '$[6]', address"
        " VARCHAR(255)" ZH " PATH '$[7]', lat DECIMAL(9,6) PATH '$[8]', lon DECIMAL(9,6) PATH"
        " '$[9]', created_at DATETIME(6) PATH '$[10]'");

static const char SQL_BIN[] =
    "INSERT INTO bin (id, depot_id, code, name) SELECT id, depot_id, code, name" JT(
        "id INT UNSIGNED PATH '$[0]', depot_id INT UNSIGNED PATH '$[1]', code VARCHAR(32) PATH"
        " '$[2]', name VARCHAR(96)" ZH " PATH '$[3]'");

static const char SQL_LOT[] =
    "INSERT INTO lot (id, item_id, lot_no, production_date, expiry_date, supplier, unit_cost,"
    " created_at) SELECT id, item_id, lot_no, production_date, expiry_date, supplier, unit_cost,"
    " created_at" JT("id INT UNSIGNED PATH '$[0]', item_id INT UNSIGNED PATH '$[1]', lot_no"
                     " VARCHAR(64) PATH '$[2]', production_date DATE PATH '$[3]', expiry_date"
                     " DATE PATH '$[4]', supplier VARCHAR(128)" ZH " PATH '$[5]', unit_cost"
                     " DECIMAL(12,2) PATH '$[6]', created_at DATETIME(6) PATH '$[7]'");

static const char SQL_TRANSFER[] =
    "INSERT INTO transfer (id, lot_id, item_id, from_bin_id, from_depot_id, to_depot_id,"
    " qty_shipped, qty_received, qty_lost, status, created_by, created_at) SELECT id, lot_id,"
    " item_id, from_bin_id, from_depot_id, to_depot_id, qty, qty, 0, 'received', created_by,"
    " created_at" JT("id INT UNSIGNED PATH '$[0]', lot_id INT UNSIGNED PATH '$[1]', item_id INT"
                     " UNSIGNED PATH '$[2]', from_bin_id INT UNSIGNED PATH '$[3]', from_depot_id"
                     " INT UNSIGNED PATH '$[4]', to_depot_id INT UNSIGNED PATH '$[5]', qty"
                     " DECIMAL(15,3) PATH '$[6]', created_by INT UNSIGNED PATH '$[7]', created_at"
                     " DATETIME(6) PATH '$[8]'");

static const char SQL_STOCKTAKE[] =
    "INSERT INTO stocktake (id, bin_id, lot_id, depot_id, status, first_count, first_user_id,"
    " first_at, expected_at_post) SELECT id, bin_id, lot_id, depot_id, 'posted', counted, user_id,"
    " at, expected" JT("id INT UNSIGNED PATH '$[0]', bin_id INT UNSIGNED PATH '$[1]', lot_id INT"
                       " UNSIGNED PATH '$[2]', depot_id INT UNSIGNED PATH '$[3]', counted"
                       " DECIMAL(15,3) PATH '$[4]', user_id INT UNSIGNED PATH '$[5]', at"
                       " DATETIME(6) PATH '$[6]', expected DECIMAL(15,3) PATH '$[7]'");

static const char SQL_MOVEMENT[] =
    "INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty, balance_after,"
    " occurred_at, recorded_at, user_id, reason, reference, recipient, transfer_id, stocktake_id,"
    " is_demo) SELECT kind, bin_id, lot_id, item_id, depot_id, qty, bal, occurred_at,"
    " recorded_at, user_id, reason, reference, recipient, transfer_id, stocktake_id, 1" JT(
        "kind VARCHAR(16) PATH '$[0]', bin_id INT UNSIGNED PATH '$[1]', lot_id INT UNSIGNED PATH"
        " '$[2]', item_id INT UNSIGNED PATH '$[3]', depot_id INT UNSIGNED PATH '$[4]', qty"
        " DECIMAL(15,3) PATH '$[5]', bal DECIMAL(15,3) PATH '$[6]', occurred_at DATETIME(6) PATH"
        " '$[7]', recorded_at DATETIME(6) PATH '$[8]', user_id INT UNSIGNED PATH '$[9]', reason"
        " VARCHAR(255)" ZH " PATH '$[10]', reference VARCHAR(128)" ZH " PATH '$[11]', recipient"
        " VARCHAR(128)" ZH " PATH '$[12]', transfer_id INT UNSIGNED PATH '$[13]', stocktake_id"
        " INT UNSIGNED PATH '$[14]'");

static const char SQL_ASSET[] =
    "INSERT INTO asset (item_id, serial_no, lot_id, depot_id, bin_id, team_id, status,"
    " commissioned_on, inspection_due, maintenance_due, is_demo) SELECT item_id, serial_no,"
    " lot_id, depot_id, bin_id, team_id, status, commissioned_on, inspection_due,"
    " maintenance_due, 1" JT("item_id INT UNSIGNED PATH '$[0]', serial_no VARCHAR(64) PATH '$[1]',"
                             " lot_id INT UNSIGNED PATH '$[2]', depot_id INT UNSIGNED PATH '$[3]',"
                             " bin_id INT UNSIGNED PATH '$[4]', team_id INT UNSIGNED PATH '$[5]',"
                             " status VARCHAR(16) PATH '$[6]', commissioned_on DATE PATH '$[7]',"
                             " inspection_due DATE PATH '$[8]', maintenance_due DATE PATH"
                             " '$[9]'");

static const char SQL_STOCK[] =
    "INSERT INTO stock (bin_id, lot_id, item_id, depot_id, qty, updated_at)"
    " SELECT bin_id, lot_id, MIN(item_id), MIN(depot_id), SUM(qty), MAX(recorded_at)"
    " FROM movement WHERE is_demo = 1 GROUP BY bin_id, lot_id";

static const char SQL_LAST_COUNT[] =
    "UPDATE stock s JOIN JSON_TABLE(?, '$[*]' COLUMNS (b INT UNSIGNED PATH '$[0]', l INT"
    " UNSIGNED PATH '$[1]', t DATETIME(6) PATH '$[2]')) AS j ON s.bin_id = j.b AND s.lot_id = j.l"
    " SET s.last_count_at = j.t";

static int next_id(struct ctx *X, const char *sql, int64_t *out)
{
    return db_query_int(X->c, out, &X->err, sql, "");
}

static int assign_ids(struct ctx *X)
{
    if (next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM org_unit", &X->next_org_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM app_user", &X->next_user_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM team", &X->next_team_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM depot", &X->next_depot_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM bin", &X->next_bin_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM lot", &X->next_lot_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM transfer", &X->next_transfer_id) ||
        next_id(X, "SELECT IFNULL(MAX(id), 0) + 1 FROM stocktake", &X->next_stocktake_id))
        return -1;
    return 0;
}

static int write_all(struct ctx *X)
{
    struct batch j;
    struct rng r = rsub(X->seed, 10);
    int64_t setup_us = (X->win_start - 30) * DAY_US + 2 * HOUR_US;
    long nmov = 0;

    /* Villages */
    jb_init(&j, X, SQL_ORG, "villages", X->norg - 1 - X->ntowns);
    for (int i = 1 + X->ntowns; i < X->norg; i++) {
        const struct org *o = &X->org[i];
        jb_row(&j);
        jb_int(&j, o->id);
        jb_str(&j, o->code);
        jb_int(&j, o->parent_id);
        jb_str(&j, o->kind);
        jb_str(&j, o->name_zh);
        jb_str(&j, o->name_en);
        jb_int(&j, o->pop);
        jb_dbl(&j, o->lat);
        jb_dbl(&j, o->lon);
        jb_str(&j, o->path);
        jb_us(&j, setup_us);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Users */
    jb_init(&j, X, SQL_USER, "users", X->nusers);
    for (int i = 0; i < X->nusers; i++) {
        const struct user *u = &X->users[i];
        if (u->existing)
            continue;
        jb_row(&j);
        jb_int(&j, u->id);
        jb_str(&j, u->username);
        jb_str(&j, u->display);
        jb_str(&j, u->role);
        jb_int(&j, X->org[u->org].id);
        jb_str(&j, X->hashing ? "!pending" : u->hash); /* see finish_hashing */
        jb_us(&j, setup_us);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Teams */
    jb_init(&j, X, SQL_TEAM, "teams", X->nteams);
    for (int i = 0; i < X->nteams; i++) {
        const struct team *t = &X->teams[i];
        jb_row(&j);
        jb_int(&j, t->id);
        jb_str(&j, t->code);
        jb_int(&j, X->org[t->org].id);
        jb_str(&j, t->kind);
        jb_str(&j, t->name_zh);
        jb_str(&j, t->name_en);
        jb_int(&j, t->headcount);
        jb_dbl(&j, t->lat);
        jb_dbl(&j, t->lon);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Depots and bins */
    jb_init(&j, X, SQL_DEPOT, "depots", X->ndepots);
    for (int i = 0; i < X->ndepots; i++) {
        const struct depot *d = &X->depots[i];
        jb_row(&j);
        jb_int(&j, d->id);
        jb_str(&j, d->code);
        jb_int(&j, X->org[d->org].id);
        jb_intn(&j, d->team >= 0 ? X->teams[d->team].id : 0);
        jb_str(&j, d->kind);
        jb_str(&j, d->name_zh);
        jb_str(&j, d->name_en);
        jb_str(&j, d->address);
        jb_dbl(&j, d->lat);
        jb_dbl(&j, d->lon);
        jb_us(&j, setup_us);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;
    jb_init(&j, X, SQL_BIN, "bins", 0);
    for (int i = 0; i < X->ndepots; i++) {
        const struct depot *d = &X->depots[i];
        for (int k = 0; k < d->nbins; k++) {
            char name[64];
            snprintf(name, sizeof(name), "%c区%s号货架", bin_codes[k][0], bin_codes[k] + 2);
            jb_row(&j);
            jb_int(&j, d->bin0 + k);
            jb_int(&j, d->id);
            jb_str(&j, bin_codes[k]);
            jb_str(&j, name);
            if (jb_end(&j))
                return -1;
        }
    }
    if (jb_finish(&j))
        return -1;

    /* Lots: BULK lots are shared by every depot and may exist already.  A planned lot that
     * no history came to use (a purchase the season did not need) is left out. */
    for (int i = 0; i < X->nevs; i++) {
        const struct ev *e = &X->evs[i];
        struct lot *l = &X->lots[X->streams[e->stream].lot];
        if (e->dead || (e->kind != EV_RECEIVE && e->kind != EV_TIN))
            continue;
        l->used = 1;
        if (e->t < l->created_us)
            l->created_us = e->t;
    }
    X->nlots_used = 0;
    jb_init(&j, X, SQL_LOT, "lots", X->nlots);
    for (int i = 0; i < X->nlots; i++) {
        struct lot *l = &X->lots[i];
        if (!l->used)
            continue;
        X->nlots_used++;
        if (strcmp(l->lot_no, "BULK") == 0) {
            struct db_res *res = NULL;
            if (db_query(X->c, &res, &X->err,
                         "SELECT id FROM lot WHERE item_id = ? AND lot_no = 'BULK'", "l",
                         (long long)X->items[l->item].id) != 0)
                return -1;
            if (res->nrows) {
                l->id = db_get_int(res, 0, 0);
                l->existing = 1;
            } else {
                l->id = X->next_lot_id++;
            }
            db_res_free(res);
            if (l->existing)
                continue;
        }
        jb_row(&j);
        jb_int(&j, l->id);
        jb_int(&j, X->items[l->item].id);
        jb_str(&j, l->lot_no);
        jb_day(&j, l->prod);
        jb_day(&j, l->exp);
        jb_str(&j, l->lot_no[0] == 'B' ? NULL : l->supplier);
        if (l->lot_no[0] == 'B') {
            jb_str(&j, NULL);
        } else {
            char c[32];
            jb_sep(&j);
            jb_raw(&j, c,
                   (size_t)snprintf(c, sizeof(c), "%lld.%02lld", (long long)(l->cost_cents / 100),
                                    (long long)(l->cost_cents % 100)));
        }
        jb_us(&j, l->created_us == NEVER ? setup_us : l->created_us);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Transfers */
    jb_init(&j, X, SQL_TRANSFER, "transfers", X->nxfers);
    for (int k = 0; k < X->nxfers; k++) {
        const struct xfer *x = &X->xfers[k];
        const struct stream *src, *dst;
        if (x->src < 0)
            continue;
        src = &X->streams[x->src];
        dst = &X->streams[x->dst];
        jb_row(&j);
        jb_int(&j, x->id);
        jb_int(&j, X->lots[src->lot].id);
        jb_int(&j, X->items[src->item].id);
        jb_int(&j, src->bin);
        jb_int(&j, X->depots[src->depot].id);
        jb_int(&j, X->depots[dst->depot].id);
        jb_qty(&j, X->evs[g_pos[x->in_uid]].qty);
        jb_int(&j, src->user);
        jb_us(&j, x->t_out);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Stocktakes, in time order (the events are sorted by time from here on). */
    qsort(X->evs, (size_t)X->nevs, sizeof(struct ev), cmp_time);
    index_events(X);
    jb_init(&j, X, SQL_STOCKTAKE, "stocktakes", 0);
    for (int i = 0; i < X->nevs; i++) {
        struct ev *e = &X->evs[i];
        const struct stream *s = &X->streams[e->stream];
        if (e->dead || e->kind != EV_COUNT)
            continue;
        e->stocktake_id = X->next_stocktake_id++;
        jb_row(&j);
        jb_int(&j, e->stocktake_id);
        jb_int(&j, s->bin);
        jb_int(&j, X->lots[s->lot].id);
        jb_int(&j, X->depots[s->depot].id);
        jb_qty(&j, e->bal);
        jb_int(&j, e->user);
        jb_us(&j, e->t);
        jb_qty(&j, e->bal - e->qty);
        X->nstocktakes++;
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Movements */
    for (int i = 0; i < X->nevs; i++)
        if (!X->evs[i].dead && X->evs[i].qty != 0)
            nmov++;
    jb_init(&j, X, SQL_MOVEMENT, "movements", nmov);
    for (int i = 0; i < X->nevs; i++) {
        struct ev *e = &X->evs[i];
        const struct stream *s = &X->streams[e->stream];
        int64_t lag;
        if (e->dead || e->qty == 0)
            continue;
        /* Recorded a moment later; now and then much later (an offline scan). */
        lag = rchance(&r, 0.03) ? rint64(&r, HOUR_US, 30 * HOUR_US) : rint64(&r, 200000, 90000000);
        if (e->t + lag >= X->today * DAY_US) /* not after the end of the history */
            lag = X->today * DAY_US - 1 - e->t > 1000 ? X->today * DAY_US - 1 - e->t : 1000;
        jb_row(&j);
        jb_str(&j, ev_names[e->kind]);
        jb_int(&j, s->bin);
        jb_int(&j, X->lots[s->lot].id);
        jb_int(&j, X->items[s->item].id);
        jb_int(&j, X->depots[s->depot].id);
        jb_qty(&j, e->qty);
        jb_qty(&j, e->bal);
        jb_us(&j, e->t);
        jb_us(&j, e->t + lag);
        jb_int(&j, e->user);
        jb_str(&j, e->reason);
        jb_str(&j, e->ref);
        jb_str(&j, e->recipient);
        jb_intn(&j, e->transfer_id);
        jb_intn(&j, e->kind == EV_COUNT ? e->stocktake_id : 0);
        X->counts[e->kind]++;
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Balances: the sum of the ledger, then the date of the last count. */
    if (db_exec(X->c, &X->err, SQL_STOCK, "") != 0)
        return -1;
    jb_init(&j, X, SQL_LAST_COUNT, "stock", 0);
    for (int si = 0; si < X->nstreams; si++) {
        const struct stream *s = &X->streams[si];
        if (!s->last_count_us)
            continue;
        jb_row(&j);
        jb_int(&j, s->bin);
        jb_int(&j, X->lots[s->lot].id);
        jb_us(&j, s->last_count_us);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* Assets */
    jb_init(&j, X, SQL_ASSET, "assets", X->nassets);
    for (int i = 0; i < X->nassets; i++) {
        const struct asset *a = &X->assets[i];
        const struct stream *s = &X->streams[a->stream];
        const struct depot *d = &X->depots[s->depot];
        jb_row(&j);
        jb_int(&j, X->items[a->item].id);
        jb_str(&j, a->serial);
        jb_int(&j, X->lots[s->lot].id);
        jb_int(&j, d->id);
        jb_int(&j, s->bin);
        jb_intn(&j, d->team >= 0 ? X->teams[d->team].id : 0);
        jb_str(&j, a->status);
        jb_day(&j, a->commissioned);
        jb_day(&j, a->insp_due);
        jb_day(&j, a->maint_due);
        if (jb_end(&j))
            return -1;
    }
    if (jb_finish(&j))
        return -1;

    /* The password hashes, now that the threads are done. */
    if (X->hashing) {
        if (finish_hashing(X) != 0)
            return -1;
        for (int i = 0; i < X->nusers; i++)
            if (!X->users[i].existing &&
                db_exec(X->c, &X->err, "UPDATE app_user SET password_hash = ? WHERE id = ?", "sl",
                        X->users[i].hash, (long long)X->users[i].id) != 0)
                return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ the command */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fputs("usage: reliefctl demo-data [--scale small|city] [--seed N] [--today YYYY-MM-DD]\n"
          "  Builds the demo city on a seeded database: villages, depots, teams, users\n"
          "  (password \"" DEMO_PASSWORD "\"), lots, assets and a ledger history ending\n"
          "  the day before --today (default: today, UTC).  --scale small (the tests) keeps\n"
          "  about three months of history, city (the default) about two years.  The same\n"
          "  --seed and --today give the same data.  Refuses when demo data exist.\n",
          stderr);
}

static void free_ctx(struct ctx *X)
{
    free(X->org);
    free(X->items);
    free(X->bulk_lot);
    for (int i = 0; i < X->nstd; i++)
        free(X->std[i].l);
    free(X->std);
    free(X->users);
    free(X->teams);
    free(X->depots);
    free(X->lots);
    free(X->groups);
    free(X->streams);
    free(X->evs);
    free(X->xfers);
    free(X->assets);
    free(X->wx);
    for (int i = 0; i < X->pool.n; i++)
        free(X->pool.s[i]);
    free(X->pool.s);
    free(g_pos);
    g_pos = NULL;
}

static void report(struct ctx *X, double t_gen, double t_write, double t_hash)
{
    char a[11], b[11], c[11], d[11];
    long nmov = 0, nbefore = 0, ninside = 0, nrepair = 0, noverdue = 0;
    fmt_day(X->win_start, a);
    fmt_day(X->last_day, b);
    fmt_day(X->season_start, c);
    fmt_day(X->season_end, d);
    for (int k = 0; k < 8; k++)
        nmov += X->counts[k];
    for (int s = 0; s < X->nstreams; s++) {
        const struct stream *st = &X->streams[s];
        if (st->kind == ST_OLD || strcmp(X->depots[st->depot].kind, "team") == 0 || st->target <= 0)
            continue;
        nbefore += st->xclass == X_BEFORE;
        ninside += st->xclass == X_INSIDE;
    }
    for (int i = 0; i < X->nassets; i++) {
        nrepair += X->assets[i].status[0] == 'u';
        noverdue += X->assets[i].insp_due < X->today;
    }
    fprintf(stderr,
            "demo-data: seed %llu, scale %s, history %s .. %s, coming season %s .. %s\n"
            "  villages/communities %d, users %d, teams %d, depots %d (%lld bins), lots %d\n"
            "  assets %d (%ld under repair, %ld with inspection overdue)\n"
            "  movements %ld: receive %ld, issue %ld, return %ld, transfer out/in %ld/%ld,\n"
            "    dispose %ld, count %ld, adjust %ld; transfers %d, stocktakes %ld\n"
            "  town and city lots on hand expiring before the season %ld, inside it %ld\n"
            "  towns below the 500-person standard:",
            (unsigned long long)X->seed, X->small ? "small" : "city", a, b, c, d,
            X->norg - 1 - X->ntowns, X->nusers, X->nteams, X->ndepots,
            (long long)(X->next_bin_id - X->depots[0].bin0), X->nlots_used, X->nassets, nrepair,
            noverdue, nmov, X->counts[EV_RECEIVE], X->counts[EV_ISSUE], X->counts[EV_RETURN],
            X->counts[EV_TOUT], X->counts[EV_TIN], X->counts[EV_DISPOSE], X->counts[EV_COUNT],
            X->counts[EV_ADJUST], X->nxfers, X->nstocktakes, nbefore, ninside);
    for (int t = 1; t <= X->ntowns; t++)
        if (X->org[t].below)
            fprintf(stderr, " %s", X->org[t].name_zh);
    fprintf(stderr, "\n  passwords: \"%s\" (%s)\n", DEMO_PASSWORD,
            X->small ? "one argon2id hash shared by the demo users" : "argon2id, one hash each");
    fprintf(stderr,
            "  time: generated %.2f s, written %.2f s (%.2f s of it waiting for hashes),"
            " total %.2f s\n",
            t_gen, t_write, t_hash, t_gen + t_write);
}

int ctl_demo_data(const struct config *cfg, int argc, char **argv)
{
    struct ctx *X;
    const char *scale = "city", *today_s = NULL;
    int64_t seed = 1, exists = 0;
    double t0, t3;
    int rc = CTL_OK, st;

    /* --scale province has a generator and options of its own (demo_province.c). */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--scale=province") ||
            (!strcmp(argv[i], "--scale") && i + 1 < argc && !strcmp(argv[i + 1], "province")))
            return ctl_demo_province(cfg, argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return CTL_OK;
        }
        if (!strncmp(a, "--scale=", 8) || !strncmp(a, "--seed=", 7) || !strncmp(a, "--today=", 8)) {
            v = strchr(a, '=') + 1;
        } else if ((!strcmp(a, "--scale") || !strcmp(a, "--seed") || !strcmp(a, "--today")) &&
                   i + 1 < argc) {
            v = argv[++i];
        } else {
            fprintf(stderr, "demo-data: unknown argument '%s'\n", a);
            usage();
            return CTL_USAGE;
        }
        if (!strncmp(a, "--scale", 7)) {
            scale = v;
        } else if (!strncmp(a, "--seed", 6)) {
            if (parse_int64(v, &seed) != 0 || seed < 0) {
                fprintf(stderr, "demo-data: --seed wants a whole number >= 0, not '%s'\n", v);
                return CTL_USAGE;
            }
        } else {
            today_s = v;
        }
    }
    if (strcmp(scale, "small") != 0 && strcmp(scale, "city") != 0) {
        fprintf(stderr, "demo-data: --scale is small, city or province, not '%s'\n", scale);
        return CTL_USAGE;
    }

    X = calloc(1, sizeof(*X));
    if (!X)
        return CTL_CHECK_FAILED;
    X->cfg = cfg;
    X->seed = (uint64_t)seed;
    X->small = strcmp(scale, "small") == 0;
    X->tty = isatty(STDERR_FILENO);
    if (today_s) {
        int y, m, d;
        if (date_parse(today_s, &y, &m, &d) != 0) {
            fprintf(stderr, "demo-data: --today wants a date YYYY-MM-DD, not '%s'\n", today_s);
            free(X);
            return CTL_USAGE;
        }
        X->today = ymd(y, m, d);
    } else {
        X->today = (int64_t)time(NULL) / 86400;
    }
    X->win_start = X->today - (X->small ? 91 : 730);
    X->last_day = X->today - 1;

    t0 = now_s();
    X->c = db_connect(cfg, 0, cfg->db_name, &X->err);
    if (!X->c) {
        fprintf(stderr, "demo-data: %s\n", X->err.msg);
        free(X);
        return CTL_NO_DB;
    }
    if (db_begin(X->c, &X->err) != 0)
        goto db_fail;
    if (db_query_int(X->c, &exists, &X->err,
                     "SELECT EXISTS (SELECT 1 FROM depot WHERE is_demo = 1)"
                     " + EXISTS (SELECT 1 FROM org_unit WHERE is_demo = 1)"
                     " + EXISTS (SELECT 1 FROM app_user WHERE is_demo = 1)",
                     "") != 0)
        goto db_fail;
    if (exists) {
        fprintf(stderr, "demo-data: demo data exist already (rows with is_demo = 1); nothing "
                        "was changed.  Start from an empty database (reliefctl db-drop --yes, "
                        "migrate, seed) to make them again.\n");
        rc = CTL_USAGE;
        goto out;
    }
    st = load_refs(X);
    if (st < 0)
        goto db_fail;
    if (st > 0) {
        fprintf(stderr, "demo-data: the reference data are missing (no city with towns, or no "
                        "town_reserve standard): run `reliefctl seed` first\n");
        rc = CTL_USAGE;
        goto out;
    }
    if (assign_ids(X) != 0)
        goto db_fail;

    /* Generate everything in memory. */
    for (int t = 1; t <= X->ntowns; t++) {
        make_short_names(&X->org[t]);
        X->org[t].coastal = name_in(X->org[t].name_zh, coastal_names,
                                    sizeof(coastal_names) / sizeof(coastal_names[0]));
        X->org[t].forested = name_in(X->org[t].name_zh, forest_names,
                                     sizeof(forest_names) / sizeof(forest_names[0]));
    }
    gen_villages(X);
    if (gen_users(X) != 0)
        goto db_fail;
    gen_depots_and_teams(X);
    plan_stock(X);
    gen_weather(X);
    gen_demand(X);
    gen_transfers(X);
    gen_stream_events(X);
    if (compute_quantities(X) != 0) {
        rc = CTL_CHECK_FAILED;
        goto out;
    }
    gen_assets(X);
    t3 = now_s();

    /* Write it in one transaction. */
    if (write_all(X) != 0 || purchasing_demo(X->cfg, X->c, &X->err) != 0 ||
        db_commit(X->c, &X->err) != 0)
        goto db_fail;
    report(X, t3 - t0, now_s() - t3, X->hash_wait);
    goto out;

db_fail:
    fprintf(stderr, "demo-data: %s (error %u); nothing was written\n", X->err.msg, db_errno(X->c));
    rc = X->err.http == 503 ? CTL_NO_DB : CTL_CHECK_FAILED;
out:
    finish_hashing(X); /* the threads use X */
    if (db_in_txn(X->c))
        db_rollback(X->c);
    db_close(X->c);
    free_ctx(X);
    free(X);
    return rc;
}
