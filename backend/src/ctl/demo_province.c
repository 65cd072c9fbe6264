/*
 * demo_province.c -- `reliefctl demo-data --scale province [--towns N]
 * [--lots-per-town N] [--seed N] [--today D]`: a Guangdong-sized data set
 * for the performance work of issue 8 -- about 1,600 town-level units under a
 * province root, each with its depot(s), bins and a flood-rescue team, 60
 * items per town (the town_reserve standard's items, then others), and by
 * default 2 million lots and 10 million movements.
 *
 * Why it is written the way it is.  The city generator (demo_data.c) plans
 * every stream in C and sends the rows over; at 10 million movements the
 * transfer and parsing alone would take most of an hour here.  This one sends
 * no rows at all: every row is computed by the server from a row number of
 * the sequence engine (seq_0_to_99999999) and the seed, in INSERT ... SELECT
 * statements whose text is constant and whose numbers are parameters or come
 * from one-row work table pv_par.  "Random" values are CRC32s of the seed and
 * the row number, so the same seed and day give the same data.
 *
 * How the ledger stays consistent without a simulation.  Each lot lives in
 * one bin and has n = 3..7 movements in a fixed shape:
 *     1 receive +r;  even k < n: issue -a;  odd k < n: return +c (c <= a/3);
 *     k = n: a stocktake 'count' of +-1 for a lot still held, else the issue
 *            or disposal of everything left (0).
 * With a <= 0.24 r and at most three issues, the running balance after
 * movement k < n is r - a*floor(k/2) + c*floor((k-1)/2) > 0 in closed form,
 * so balance_after, the final balance (the `stock` row) and the stocktake's
 * counted/expected quantities are all computed directly, never summed; ids
 * ascend with k inside a lot and the days ascend too, so verify-ledger's
 * running sums in id order and the as-of sums by recorded_at both hold.
 *
 * Speed: the admin connection (temporary work tables), foreign_key_checks
 * and unique_checks off for this session only (the keys are unique and the
 * references exist by construction), and one transaction per chunk of towns
 * (each statement stays well inside the client's 60 s read timeout), then
 * ANALYZE so the optimizer sees the new sizes.  A failure part-way leaves the
 * chunks already committed: drop the database and start again (it is demo
 * data in a database of its own).
 */
#include "ctl.h"

#include "../core/util.h"
#include "../domain/auth.h"
#include "../store/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PV_PASSWORD "reliefstock-demo"
#define PV_CHUNK_LOTS 10000

/* The prefecture-level cities of Guangdong besides Dongguan (which the seed
 * already holds and which is moved under the province). */
static const struct pv_city {
    const char *code, *zh, *en;
    double lat, lon;
} cities[] = {
    {"440100", "广州市", "Guangzhou", 23.13, 113.26}, {"440200", "韶关市", "Shaoguan", 24.81, 113.60},
    {"440300", "深圳市", "Shenzhen", 22.54, 114.06},  {"440400", "珠海市", "Zhuhai", 22.27, 113.58},
    {"440500", "汕头市", "Shantou", 23.35, 116.68},   {"440600", "佛山市", "Foshan", 23.02, 113.12},
    {"440700", "江门市", "Jiangmen", 22.58, 113.08},  {"440800", "湛江市", "Zhanjiang", 21.27, 110.36},
    {"440900", "茂名市", "Maoming", 21.66, 110.93},   {"441200", "肇庆市", "Zhaoqing", 23.05, 112.47},
    {"441300", "惠州市", "Huizhou", 23.11, 114.42},   {"441400", "梅州市", "Meizhou", 24.29, 116.12},
    {"441500", "汕尾市", "Shanwei", 22.79, 115.38},   {"441600", "河源市", "Heyuan", 23.74, 114.70},
    {"441700", "阳江市", "Yangjiang", 21.86, 111.98}, {"441800", "清远市", "Qingyuan", 23.68, 113.06},
    {"442000", "中山市", "Zhongshan", 22.52, 113.39}, {"445100", "潮州市", "Chaozhou", 23.66, 116.62},
    {"445200", "揭阳市", "Jieyang", 23.55, 116.37},   {"445300", "云浮市", "Yunfu", 22.92, 112.04},
};
#define NCITIES ((int)(sizeof(cities) / sizeof(cities[0])))

struct pv {
    const struct config *cfg;
    struct db_conn *c;
    struct app_err err;
    uint64_t seed;
    char today[11];
    int64_t towns_total, lpt, existing, new_towns, ntowns;
    int64_t root_id, dg_id;
    char dg_code[33], dg_path[256], root_path[64];
    int64_t org0, depot0, bin0, team0, lot0, st0;
    int64_t nlots, nmov, nstock, nst, ndepots, nbins;
    double t[5]; /* seconds in: plan, lot, stocktake, movement, stock */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ex(struct pv *P, const char *sql)
{
    return db_exec(P->c, &P->err, sql, "");
}

static int qint(struct pv *P, int64_t *out, const char *sql)
{
    return db_query_int(P->c, out, &P->err, sql, "");
}

/* ------------------------------------------------------------------ SQL */

/* A town's name from its hash h: two syllables and 镇 (or 街道). */
#define SYL1_ZH "'东','西','南','北','新','中','上','下','大','小','石','龙','凤','平','安','长','高','黄','白','青'"
#define SYL1_EN "'Dong','Xi','Nan','Bei','Xin','Zhong','Shang','Xia','Da','Xiao','Shi','Long','Feng',"    \
                "'Ping','An','Chang','Gao','Huang','Bai','Qing'"
#define SYL2_ZH "'头','围','坑','岗','塘','洲','埔','岭','边','坊','湖','江','沙','山','田','桥','溪','水','口','村'"
#define SYL2_EN "'tou','wei','keng','gang','tang','zhou','pu','ling','bian','fang','hu','jiang','sha',"  \
                "'shan','tian','qiao','xi','shui','kou','cun'"

/* Params: seed, city code, n, first id, parent id, parent path, lat, lon. */
static const char SQL_TOWNS[] =
    "INSERT INTO org_unit (id, code, parent_id, kind, name_zh, name_en, population,"
    " reserve_persons, lat, lon, path, is_demo)"
    " SELECT x.id, x.code, x.parent, IF(x.h MOD 6 = 0, 'subdistrict', 'town'),"
    " CONCAT(ELT(1 + x.h MOD 20, " SYL1_ZH "), ELT(1 + x.h DIV 20 MOD 20, " SYL2_ZH "),"
    " IF(x.h MOD 6 = 0, '街道', '镇')),"
    " CONCAT(ELT(1 + x.h MOD 20, " SYL1_EN "), ELT(1 + x.h DIV 20 MOD 20, " SYL2_EN "),"
    " IF(x.h MOD 6 = 0, ' Subdistrict', ' Town')),"
    " 15000 + x.h DIV 400 MOD 125000, IF(x.h DIV 400 MOD 125000 > 110000, 800, NULL),"
    " x.lat + (x.h DIV 50000000 MOD 600 - 300) / 1000, x.lon + (x.h DIV 7 MOD 600 - 300) / 1000,"
    " CONCAT(x.ppath, x.id, '/'), 1"
    " FROM (SELECT CAST(CRC32(CONCAT(?, '#', c.code, '#', s.seq)) AS SIGNED) AS h, c.code AS ccode,"
    " CONCAT(c.code, LPAD(100 + s.seq, 3, '0')) AS code, c.first - 1 + s.seq AS id,"
    " c.parent, c.ppath, c.lat, c.lon"
    " FROM (SELECT ? AS code, ? AS n, ? AS first, ? AS parent, ? AS ppath,"
    " CAST(? AS DECIMAL(9,6)) AS lat, CAST(? AS DECIMAL(9,6)) AS lon) c"
    " JOIN seq_1_to_999 s ON s.seq <= c.n) x";

/* The work tables (temporary: this session only). */
static const char SQL_WORK[] =
    "CREATE TEMPORARY TABLE pv_par (seed BIGINT NOT NULL, lpt INT NOT NULL, ns INT NOT NULL,"
    " ngen INT NOT NULL, today INT NOT NULL, lot0 BIGINT NOT NULL, st0 BIGINT NOT NULL);"
    "CREATE TEMPORARY TABLE pv_item (slot INT NOT NULL PRIMARY KEY, item_id INT UNSIGNED NOT NULL,"
    " shelf INT NULL, per500 DECIMAL(15,3) NULL);"
    "CREATE TEMPORARY TABLE pv_town (idx INT NOT NULL PRIMARY KEY, org_id INT UNSIGNED NOT NULL,"
    " code VARCHAR(32) NOT NULL, persons INT NOT NULL, tf INT NOT NULL, two TINYINT NOT NULL,"
    " d1 INT UNSIGNED NULL, b1 INT UNSIGNED NULL, d2 INT UNSIGNED NULL, b2 INT UNSIGNED NULL,"
    " user_id INT UNSIGNED NOT NULL);"
    "CREATE TEMPORARY TABLE pv_lot (g BIGINT NOT NULL PRIMARY KEY, lot_id INT UNSIGNED NOT NULL,"
    " item_id INT UNSIGNED NOT NULL, depot_id INT UNSIGNED NOT NULL, bin_id INT UNSIGNED NOT NULL,"
    " user_id INT UNSIGNED NOT NULL, tcode VARCHAR(32) NOT NULL, j INT NOT NULL, prod INT NOT NULL,"
    " expiry INT NULL, live TINYINT NOT NULL, expired TINYINT NOT NULL, quar TINYINT NOT NULL,"
    " n TINYINT NOT NULL, r BIGINT NOT NULL, a BIGINT NOT NULL, c BIGINT NOT NULL,"
    " cnt TINYINT NOT NULL, t0 INT NOT NULL, t1 INT NOT NULL, tod INT NOT NULL) ENGINE=InnoDB";

/* Slots 0..59: the items of the newest town_reserve version first (with
 * their quantity per 500 persons), then other active items that are not
 * serial-tracked, by code.  Param: the standard id. */
static const char SQL_ITEMS[] =
    "INSERT INTO pv_item (slot, item_id, shelf, per500)"
    " SELECT rn - 1, id, shelf_life_months, per500 FROM (SELECT i.id, i.shelf_life_months,"
    " sl.qty AS per500, ROW_NUMBER() OVER (ORDER BY sl.item_id IS NULL, i.code) AS rn"
    " FROM item i LEFT JOIN standard_line sl ON sl.item_id = i.id AND sl.standard_id = ?"
    " WHERE i.active = 1 AND (sl.item_id IS NOT NULL OR i.tracking <> 'serial')) q"
    " WHERE rn <= 60";

/* Every town-level unit of the province, in code order; its city's
 * warehouse account posts its movements; every 4th town has a second depot;
 * tf: the town's stock level in % of the average (60..149), so a spread of
 * towns is short.  Params: seed, root path. */
static const char SQL_PVTOWN[] =
    "INSERT INTO pv_town (idx, org_id, code, persons, tf, two, user_id)"
    " SELECT ROW_NUMBER() OVER (ORDER BY o.code) - 1, o.id, o.code, IFNULL(o.reserve_persons, 500),"
    " 60 + CRC32(CONCAT(?, 'tf', o.code)) MOD 90, CRC32(CONCAT(o.code, 'two')) MOD 4 = 0, u.id"
    " FROM org_unit o JOIN org_unit c ON c.id = o.parent_id"
    " JOIN app_user u ON u.username = CONCAT('wh-', c.code)"
    " WHERE o.kind IN ('subdistrict', 'town', 'park') AND o.path LIKE CONCAT(?, '%')";

static const char SQL_DEPOTS[] =
    "INSERT INTO depot (id, code, org_unit_id, kind, name_zh, name_en, address, lat, lon, is_demo)"
    " SELECT IF(k.seq = 1, t.d1, t.d2), IF(k.seq = 1, CONCAT('D-', t.code), CONCAT('D-', t.code, '-2')),"
    " t.org_id, 'town', CONCAT(o.name_zh, IF(k.seq = 1, '应急物资储备库', '应急物资二号库')),"
    " CONCAT(o.name_en, IF(k.seq = 1, ' relief depot', ' relief depot 2')),"
    " CONCAT(o.name_zh, IF(k.seq = 1, '政府大院', '物流园')), o.lat, o.lon, 1"
    " FROM pv_town t JOIN org_unit o ON o.id = t.org_id JOIN seq_1_to_2 k ON k.seq = 1 OR t.two";

static const char SQL_BINS[] =
    "INSERT INTO bin (id, depot_id, code, name)"
    " SELECT IF(d.seq = 1, t.b1, t.b2) + k.seq - 1, IF(d.seq = 1, t.d1, t.d2),"
    " ELT(k.seq, 'A-01', 'A-02', 'A-03', 'A-04', 'A-05', 'A-06', 'B-01', 'B-02', 'B-03', 'B-04'),"
    " NULL FROM pv_town t JOIN seq_1_to_2 d ON d.seq = 1 OR t.two JOIN seq_1_to_10 k";

/* Param: seed. */
static const char SQL_TEAMS[] =
    "INSERT INTO team (id, code, org_unit_id, kind, name_zh, name_en, headcount, lat, lon, is_demo)"
    " SELECT p.team0 + t.idx, CONCAT('T-', t.code, '-FR'), t.org_id, 'flood_rescue',"
    " CONCAT(o.name_zh, '防汛抢险队'), CONCAT(o.name_en, ' flood rescue team'),"
    " 20 + CRC32(CONCAT(?, 'team', t.code)) MOD 30, o.lat, o.lon, 1"
    " FROM pv_town t JOIN org_unit o ON o.id = t.org_id JOIN (SELECT ? AS team0) p";

/*
 * One chunk of lots [?, ?) into pv_lot: the town and item slot from the row
 * number g, then production day (lots of an item bought every ~2 months over
 * four years), expiry, shape (n, r, a, c), and the days of the first and
 * last movement.  A lot is still held ("live") when it neither expires
 * within 30 days nor is older than 900 days; the rest were issued or
 * disposed of.  r is sized so a town's live stock is about 1.2 x its
 * requirement times its factor tf.
 */
static const char SQL_PVLOT[] =
    "INSERT INTO pv_lot"
    " SELECT w.g, w.lot0 + w.g, w.item_id, w.depot_id, w.bin_id, w.user_id, w.tcode, w.j, w.prod,"
    " w.expiry, w.live, w.expired, w.live AND w.h2 MOD 211 = 0, w.n, w.r, w.a, GREATEST(1, w.a DIV 3),"
    " IF(w.h2 DIV 2000000 MOD 2 = 0, 1, -1), w.t0,"
    " LEAST(w.today - 1, GREATEST(w.t0 + w.n, IF(w.live, w.today - 1 - w.h2 DIV 2000 MOD 200,"
    " IF(w.expired, w.expiry + 3, w.prod + 760 + w.h2 DIV 400000 MOD 100)))),"
    " (w.lot0 + w.g) * 37 MOD 3000"
    " FROM (SELECT z.*, (z.expiry IS NULL OR z.expiry > z.today + 30) AND z.prod >= z.today - 900"
    " AS live, z.expiry IS NOT NULL AND z.expiry <= z.today + 30 AS expired,"
    " GREATEST(1, FLOOR(z.r * (5 + z.h2 DIV 100 MOD 20) / 100)) AS a"
    " FROM (SELECT y.*, IF(y.shelf IS NULL, NULL, TO_DAYS(FROM_DAYS(y.prod) + INTERVAL y.shelf MONTH))"
    " AS expiry, 3 + y.h1 DIV 45 MOD 5 AS n,"
    " IF(y.per500 IS NULL, 20 + y.h2 MOD 180, GREATEST(10, CEIL(y.per500 * y.persons * y.tf"
    " * (50 + y.h2 MOD 100) * 12 / 5000000000))) AS r, y.prod + 2 + y.h1 DIV 225 MOD 10 AS t0"
    " FROM (SELECT x.*, x.today - 1460 + x.gen * 1400 DIV x.ngen + x.h1 MOD 45 AS prod"
    " FROM (SELECT s.seq AS g, t.code AS tcode, t.user_id, t.persons, t.tf, i.item_id, i.shelf,"
    " i.per500, s.seq MOD p.lpt AS j, s.seq MOD p.lpt DIV p.ns AS gen, p.ngen, p.today, p.lot0,"
    " CAST(CRC32(CONCAT(p.seed, ':', s.seq)) AS SIGNED) AS h1,"
    " CAST(CRC32(CONCAT(s.seq, '/', p.seed)) AS SIGNED) AS h2,"
    " IF(t.two AND i.slot MOD 2 = 1, t.d2, t.d1) AS depot_id,"
    " IF(t.two AND i.slot MOD 2 = 1, t.b2, t.b1) + i.slot MOD 10 AS bin_id"
    " FROM seq_0_to_99999999 s JOIN pv_par p JOIN pv_town t ON t.idx = s.seq DIV p.lpt"
    " JOIN pv_item i ON i.slot = s.seq MOD p.lpt MOD p.ns"
    " WHERE s.seq >= ? AND s.seq < ?) x) y) z) w";

/* Balance after movement K (< n) of lot l, and before its last one. */
#define BAL(K) "(l.r - l.a * FLOOR((" K ") / 2) + l.c * FLOOR(((" K ") - 1) / 2))"
#define BALPREV BAL("l.n - 1")
/* When movement K of lot l happened: days spread from t0 to t1, hours ascending. */
#define OCC(K)                                                                                     \
    "(FROM_DAYS(l.t0 + (l.t1 - l.t0) * ((" K ") - 1) DIV (l.n - 1))"                               \
    " + INTERVAL (28800 + (" K ") * 3600 + l.tod) SECOND)"
#define REC(K) "(" OCC(K) " + INTERVAL (60 + l.lot_id MOD 500) SECOND)"

static const char SQL_LOT[] =
    "INSERT INTO lot (id, item_id, lot_no, production_date, expiry_date, quarantined, created_at)"
    " SELECT l.lot_id, l.item_id, CONCAT('PV', l.tcode, '-', LPAD(l.j, 4, '0')), FROM_DAYS(l.prod),"
    " IF(l.expiry IS NULL, NULL, FROM_DAYS(l.expiry)), l.quar, " REC("1") " FROM pv_lot l ORDER BY l.g";

static const char SQL_STOCKTAKE[] =
    "INSERT INTO stocktake (id, bin_id, lot_id, depot_id, status, first_count, first_user_id,"
    " first_at, expected_at_post)"
    " SELECT p.st0 + l.g, l.bin_id, l.lot_id, l.depot_id, 'posted', " BALPREV " + l.cnt, l.user_id,"
    " " OCC("l.n") ", " BALPREV " FROM pv_lot l JOIN pv_par p WHERE l.live ORDER BY l.g";

static const char SQL_MOVEMENT[] =
    "INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty, balance_after, occurred_at,"
    " recorded_at, user_id, reason, reference, stocktake_id, is_demo)"
    " SELECT CASE WHEN k.seq = 1 THEN 'receive' WHEN k.seq < l.n THEN IF(k.seq MOD 2 = 0, 'issue',"
    " 'return') WHEN l.live THEN 'count' WHEN l.expired THEN 'dispose' ELSE 'issue' END,"
    " l.bin_id, l.lot_id, l.item_id, l.depot_id,"
    " CASE WHEN k.seq = 1 THEN l.r WHEN k.seq < l.n THEN IF(k.seq MOD 2 = 0, -l.a, l.c)"
    " WHEN l.live THEN l.cnt ELSE -" BALPREV " END,"
    " CASE WHEN k.seq < l.n THEN " BAL("k.seq") " WHEN l.live THEN " BALPREV " + l.cnt ELSE 0 END,"
    " " OCC("k.seq") ", " REC("k.seq") ", l.user_id,"
    " CASE WHEN k.seq = 1 THEN '采购入库 purchase' WHEN k.seq < l.n THEN"
    " IF(k.seq MOD 2 = 0, '演练与救灾发放 drills and relief', '退回 returned unused')"
    " WHEN l.live THEN '盘点 stocktake' WHEN l.expired THEN '过期报废 expired'"
    " ELSE '发放完毕 issued out' END,"
    " IF(k.seq = 1, CONCAT('PO-', l.tcode, '-', LPAD(l.j, 4, '0')), NULL),"
    " IF(k.seq = l.n AND l.live, p.st0 + l.g, NULL), 1"
    " FROM pv_lot l JOIN pv_par p JOIN seq_1_to_7 k ON k.seq <= l.n ORDER BY l.g, k.seq";

static const char SQL_STOCK[] =
    "INSERT INTO stock (bin_id, lot_id, item_id, depot_id, qty, last_count_at, updated_at)"
    " SELECT l.bin_id, l.lot_id, l.item_id, l.depot_id, IF(l.live, " BALPREV " + l.cnt, 0),"
    " IF(l.live, " OCC("l.n") ", NULL), " REC("l.n") " FROM pv_lot l ORDER BY l.bin_id, l.lot_id";

/* ------------------------------------------------------------------ steps */

/* `table` is one of the literal names below, never input: an identifier
 * cannot be a bound parameter. */
static int next_id(struct pv *P, const char *table, int64_t *out)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT IFNULL(MAX(id), 0) + 1 FROM %s", table);
    return qint(P, out, sql);
}

static int add_user(struct pv *P, const char *username, const char *display, const char *role,
                    int64_t org, const char *hash)
{
    return db_exec(P->c, &P->err,
                   "INSERT INTO app_user (username, display_name, role, org_unit_id, password_hash,"
                   " is_demo) VALUES (?, ?, ?, ?, ?, 1)",
                   "sssls", username, display, role, (long long)org, hash);
}

/* The province root, Dongguan moved under it, the other cities, their towns,
 * users, teams, depots and bins; the work tables. */
static int build_org(struct pv *P)
{
    struct db_res *r = NULL;
    char hash[AUTH_HASH_MAX], name[96], disp[128];
    int64_t next, std_id = 0, n;

    if (db_query(P->c, &r, &P->err,
                 "SELECT id, code, path FROM org_unit WHERE parent_id IS NULL AND kind = 'city'"
                 " ORDER BY id LIMIT 1",
                 "") != 0)
        return -1;
    if (r->nrows != 1) {
        db_res_free(r);
        return 1;
    }
    P->dg_id = db_get_int(r, 0, 0);
    str_copy(P->dg_code, sizeof(P->dg_code), db_get(r, 0, 1));
    str_copy(P->dg_path, sizeof(P->dg_path), db_get(r, 0, 2));
    db_res_free(r);
    if (db_query_int(P->c, &std_id, &P->err,
                     "SELECT IFNULL(MAX(id), 0) FROM standard WHERE code = 'town_reserve'", "") != 0)
        return -1;
    if (std_id == 0)
        return 1;
    if (db_query_int(P->c, &P->existing, &P->err,
                     "SELECT COUNT(*) FROM org_unit WHERE kind IN ('subdistrict', 'town', 'park')"
                     " AND path LIKE CONCAT(?, '%')",
                     "s", P->dg_path) != 0)
        return -1;
    P->new_towns = P->towns_total > P->existing ? P->towns_total - P->existing : 0;

    if (next_id(P, "org_unit", &P->org0) || next_id(P, "depot", &P->depot0) ||
        next_id(P, "bin", &P->bin0) || next_id(P, "team", &P->team0) ||
        next_id(P, "lot", &P->lot0) || next_id(P, "stocktake", &P->st0))
        return -1;

    /* The root, and Dongguan's subtree moved under it (paths are ids from the root down). */
    P->root_id = P->org0;
    snprintf(P->root_path, sizeof(P->root_path), "/%lld/", (long long)P->root_id);
    if (db_exec(P->c, &P->err,
                "INSERT INTO org_unit (id, code, parent_id, kind, name_zh, name_en, population,"
                " lat, lon, path, is_demo) VALUES (?, '440000', NULL, 'province', '广东省',"
                " 'Guangdong Province', 126000000, 23.13, 113.27, ?, 1)",
                "ls", (long long)P->root_id, P->root_path) != 0 ||
        db_exec(P->c, &P->err,
                "UPDATE org_unit SET path = CONCAT(?, SUBSTRING(path, 2)) WHERE path LIKE CONCAT(?, '%')",
                "ss", P->root_path, P->dg_path) != 0 ||
        db_exec(P->c, &P->err, "UPDATE org_unit SET parent_id = ? WHERE id = ?", "ll",
                (long long)P->root_id, (long long)P->dg_id) != 0)
        return -1;

    /* One argon2id hash for every demo account: they share the published
     * demo password anyway, and each hash takes tens of milliseconds. */
    if (auth_hash_password(PV_PASSWORD, hash, sizeof(hash), &P->err) != 0)
        return -1;
    if (add_user(P, "admin", "演示管理员 demo admin", "admin", P->root_id, hash) ||
        add_user(P, "province-auditor", "省应急管理厅审核员 province auditor", "city_auditor",
                 P->root_id, hash) ||
        add_user(P, "city-auditor", "东莞市审核员 Dongguan auditor", "city_auditor", P->dg_id, hash))
        return -1;
    snprintf(name, sizeof(name), "wh-%s", P->dg_code);
    if (add_user(P, name, "东莞市仓管员 Dongguan warehouse", "warehouse", P->dg_id, hash))
        return -1;

    next = P->org0 + 1;
    for (int i = 0; i < NCITIES; i++) {
        const struct pv_city *C = &cities[i];
        int64_t id = next++;
        char path[96], lat[24], lon[24];
        snprintf(path, sizeof(path), "%s%lld/", P->root_path, (long long)id);
        snprintf(lat, sizeof(lat), "%.6f", C->lat);
        snprintf(lon, sizeof(lon), "%.6f", C->lon);
        if (db_exec(P->c, &P->err,
                    "INSERT INTO org_unit (id, code, parent_id, kind, name_zh, name_en, lat, lon,"
                    " path, is_demo) VALUES (?, ?, ?, 'city', ?, ?, ?, ?, ?, 1)",
                    "lslsssss", (long long)id, C->code, (long long)P->root_id, C->zh, C->en, lat,
                    lon, path) != 0)
            return -1;
        /* The new towns, spread evenly over the cities (ids: a block of 1000 per city). */
        n = P->new_towns / NCITIES + (i < P->new_towns % NCITIES);
        if (n > 0 && db_exec(P->c, &P->err, SQL_TOWNS, "lslllsss", (long long)P->seed, C->code,
                             (long long)n, (long long)(P->org0 + 1 + NCITIES + 1000LL * i),
                             (long long)id, path, lat, lon) != 0)
            return -1;
        snprintf(name, sizeof(name), "wh-%s", C->code);
        snprintf(disp, sizeof(disp), "%s仓管员 %s warehouse", C->zh, C->en);
        if (add_user(P, name, disp, "warehouse", id, hash))
            return -1;
        snprintf(name, sizeof(name), "city-auditor-%s", C->code);
        snprintf(disp, sizeof(disp), "%s审核员 %s auditor", C->zh, C->en);
        if (add_user(P, name, disp, "city_auditor", id, hash))
            return -1;
    }

    /* Work tables and the per-town plan. */
    if (db_script(P->c, SQL_WORK, &P->err) != 0)
        return -1;
    if (db_exec(P->c, &P->err, SQL_ITEMS, "l", (long long)std_id) != 0 ||
        db_exec(P->c, &P->err, SQL_PVTOWN, "ls", (long long)P->seed, P->root_path) != 0 ||
        qint(P, &P->ntowns, "SELECT COUNT(*) FROM pv_town") != 0)
        return -1;
    {
        int64_t ns = 0;
        if (qint(P, &ns, "SELECT COUNT(*) FROM pv_item") != 0)
            return -1;
        if (ns == 0)
            return 1;
        if (db_exec(P->c, &P->err,
                    "INSERT INTO pv_par VALUES (?, ?, ?, ?, TO_DAYS(?), ?, ?)", "llllsll",
                    (long long)P->seed, (long long)P->lpt, (long long)ns,
                    (long long)((P->lpt + ns - 1) / ns), P->today, (long long)P->lot0,
                    (long long)P->st0) != 0)
            return -1;
    }
    if (db_exec(P->c, &P->err,
                "UPDATE pv_town SET d1 = ? + 2 * idx, b1 = ? + 20 * idx,"
                " d2 = IF(two, ? + 2 * idx + 1, NULL), b2 = IF(two, ? + 20 * idx + 10, NULL)",
                "llll", (long long)P->depot0, (long long)P->bin0, (long long)P->depot0,
                (long long)P->bin0) != 0 ||
        db_exec(P->c, &P->err, SQL_DEPOTS, "") != 0 ||
        qint(P, &P->ndepots, "SELECT COUNT(*) FROM pv_town t JOIN seq_1_to_2 k ON k.seq = 1 OR t.two") != 0 ||
        db_exec(P->c, &P->err, SQL_BINS, "") != 0 ||
        db_exec(P->c, &P->err, SQL_TEAMS, "ll", (long long)P->seed, (long long)P->team0) != 0)
        return -1;
    P->nbins = P->ndepots * 10;
    return 0;
}

/* Lots [g0, g1): pv_lot, then lot, stocktake, movement and stock rows;
 * the time of each step is added to P->t[] for the report. */
static int build_chunk(struct pv *P, int64_t g0, int64_t g1)
{
    static const char *const steps[] = {SQL_PVLOT, SQL_LOT, SQL_STOCKTAKE, SQL_MOVEMENT, SQL_STOCK};
    int64_t *counts[] = {NULL, &P->nlots, &P->nst, &P->nmov, &P->nstock};

    if (ex(P, "DELETE FROM pv_lot") != 0)
        return -1;
    for (int i = 0; i < 5; i++) {
        double t = now_s();
        if ((i == 0 ? db_exec(P->c, &P->err, steps[i], "ll", (long long)g0, (long long)g1)
                    : ex(P, steps[i])) != 0)
            return -1;
        if (counts[i])
            *counts[i] += (int64_t)db_affected(P->c);
        P->t[i] += now_s() - t;
    }
    return 0;
}

static void usage(void)
{
    fputs("usage: reliefctl demo-data --scale province [--towns N] [--lots-per-town N]\n"
          "                           [--seed N] [--today YYYY-MM-DD]\n"
          "  A province-sized data set on a seeded database: a province root (440000),\n"
          "  the seeded city moved under it, 20 more cities, town-level units up to\n"
          "  --towns in all (default 1600), each with a depot (every 4th a second one),\n"
          "  ten bins and a flood-rescue team, 60 items per town, --lots-per-town lots\n"
          "  (default 1250: 2 million in all) with 3..7 movements each (10 million).\n"
          "  Users admin, province-auditor, city-auditor (Dongguan), city-auditor-CODE and\n"
          "  wh-CODE per city, password \"" PV_PASSWORD "\".  The same --seed and --today give\n"
          "  the same data.  Refuses when demo data exist.\n",
          stderr);
}

static int parse_args(struct pv *P, int argc, char **argv)
{
    int64_t v;
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(P->today, sizeof(P->today), "%Y-%m-%d", &tm);
    P->towns_total = 1600;
    P->lpt = 1250;
    P->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq = strchr(a, '=');
        char key[32];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "demo-data: unknown argument '%s'\n", a);
            return -1;
        }
        if (eq) {
            snprintf(key, sizeof(key), "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            str_copy(key, sizeof(key), a);
            if (i + 1 >= argc) {
                fprintf(stderr, "demo-data: %s wants a value\n", a);
                return -1;
            }
            val = argv[++i];
        }
        if (!strcmp(key, "--scale")) {
            if (strcmp(val, "province") != 0) {
                fprintf(stderr, "demo-data: --scale province expected, not '%s'\n", val);
                return -1;
            }
        } else if (!strcmp(key, "--today")) {
            int y, m, d;
            if (date_parse(val, &y, &m, &d) != 0) {
                fprintf(stderr, "demo-data: --today wants a date YYYY-MM-DD, not '%s'\n", val);
                return -1;
            }
            snprintf(P->today, sizeof(P->today), "%04d-%02d-%02d", y, m, d);
        } else if (!strcmp(key, "--seed") || !strcmp(key, "--towns") ||
                   !strcmp(key, "--lots-per-town")) {
            if (parse_int64(val, &v) != 0 || v < 0) {
                fprintf(stderr, "demo-data: %s wants a whole number >= 0, not '%s'\n", key, val);
                return -1;
            }
            if (!strcmp(key, "--seed")) {
                P->seed = (uint64_t)v;
            } else if (!strcmp(key, "--towns")) {
                if (v < 1 || v > 19000) { /* 999 new towns per city at most */
                    fprintf(stderr, "demo-data: --towns takes 1..19000\n");
                    return -1;
                }
                P->towns_total = v;
            } else {
                if (v < 1 || v > 50000) {
                    fprintf(stderr, "demo-data: --lots-per-town takes 1..50000\n");
                    return -1;
                }
                P->lpt = v;
            }
        } else {
            fprintf(stderr, "demo-data: unknown argument '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

int ctl_demo_province(const struct config *cfg, int argc, char **argv)
{
    struct pv P;
    int64_t exists = 0, chunk, total;
    double t0, t_org, t_chunks, t_an;
    int rc = CTL_OK, st;

    memset(&P, 0, sizeof(P));
    P.cfg = cfg;
    st = parse_args(&P, argc, argv);
    if (st != 0) {
        if (st < 0)
            usage();
        return st > 0 ? CTL_OK : CTL_USAGE;
    }
    t0 = now_s();
    /* The admin account: temporary work tables need more than the service's grants. */
    P.c = db_connect(cfg, 1, cfg->db_name, &P.err);
    if (!P.c) {
        fprintf(stderr, "demo-data: %s\n", P.err.msg);
        return CTL_NO_DB;
    }
    if (qint(&P, &exists,
             "SELECT EXISTS (SELECT 1 FROM depot WHERE is_demo = 1)"
             " + EXISTS (SELECT 1 FROM org_unit WHERE is_demo = 1)"
             " + EXISTS (SELECT 1 FROM app_user WHERE is_demo = 1)") != 0)
        goto db_fail;
    if (exists) {
        fprintf(stderr, "demo-data: demo data exist already (rows with is_demo = 1); nothing was"
                        " changed.  Start from an empty database (reliefctl db-drop --yes,"
                        " migrate, seed) to make them again.\n");
        rc = CTL_USAGE;
        goto out;
    }
    /* Bulk-load settings for this session only: the keys are unique and the
     * references exist by construction (verify-ledger checks the result). */
    if (ex(&P, "SET SESSION foreign_key_checks = 0") != 0 ||
        ex(&P, "SET SESSION unique_checks = 0") != 0 || db_begin(P.c, &P.err) != 0)
        goto db_fail;
    st = build_org(&P);
    if (st < 0)
        goto db_fail;
    if (st > 0) {
        fprintf(stderr, "demo-data: the reference data are missing (no city, no town_reserve"
                        " standard or no items): run `reliefctl seed` first\n");
        rc = CTL_USAGE;
        goto out;
    }
    if (db_commit(P.c, &P.err) != 0)
        goto db_fail;
    t_org = now_s();
    fprintf(stderr,
            "demo-data: province 440000 (seed %llu, today %s): %lld town-level units (%lld"
            " seeded, %lld new in %d cities), %lld depots, %lld bins, %lld teams  [%.1f s]\n",
            (unsigned long long)P.seed, P.today, (long long)P.ntowns, (long long)P.existing,
            (long long)P.new_towns, NCITIES, (long long)P.ndepots, (long long)P.nbins,
            (long long)P.ntowns, t_org - t0);

    /* About 10,000 lots (50,000 movements) per transaction: every statement
     * must end inside the client's 60 s read timeout (db.c) even on a busy
     * machine, and a small sort per chunk keeps the ids in lot order. */
    chunk = PV_CHUNK_LOTS;
    total = P.ntowns * P.lpt;
    for (int64_t g = 0; g < total; g += chunk) {
        int64_t g1 = g + chunk < total ? g + chunk : total;
        double el;
        if (db_begin(P.c, &P.err) != 0 || build_chunk(&P, g, g1) != 0 ||
            db_commit(P.c, &P.err) != 0)
            goto db_fail;
        el = now_s() - t_org;
        if (g1 < total && (g / chunk) % 10 != 9)
            continue;
        fprintf(stderr,
                "demo-data: lots %lld / %lld, movements %lld  [%.1f s, %.0f movements/s]\n",
                (long long)P.nlots, (long long)total, (long long)P.nmov, el,
                el > 0 ? P.nmov / el : 0.0);
    }
    t_chunks = now_s();
    if (db_script(P.c,
                  "ANALYZE TABLE org_unit, depot, bin, team, lot, stocktake, movement, stock",
                  &P.err) != 0)
        goto db_fail;
    t_an = now_s();
    fprintf(stderr,
            "demo-data: province done: %lld towns, %lld lots, %lld movements, %lld stock rows,"
            " %lld stocktakes\n"
            "  time: organisation %.1f s, lots and ledger %.1f s (plan %.1f, lot %.1f, stocktake"
            " %.1f, movement %.1f, stock %.1f), analyze %.1f s, total %.1f s\n",
            (long long)P.ntowns, (long long)P.nlots, (long long)P.nmov, (long long)P.nstock,
            (long long)P.nst, t_org - t0, t_chunks - t_org, P.t[0], P.t[1], P.t[2], P.t[3], P.t[4],
            t_an - t_chunks, t_an - t0);
    goto out;

db_fail:
    fprintf(stderr, "demo-data: %s (error %u)\n", P.err.msg, db_errno(P.c));
    if (P.nlots > 0)
        fprintf(stderr, "demo-data: %lld lots were committed before the failure; drop the"
                        " database and start again\n",
                (long long)P.nlots);
    rc = P.err.http == 503 ? CTL_NO_DB : CTL_CHECK_FAILED;
out:
    if (db_in_txn(P.c))
        db_rollback(P.c);
    db_close(P.c);
    return rc;
}
