/*
 * purchasing.c -- `reliefctl suppliers list`, `reliefctl po list [--status S]`,
 * `reliefctl equipment due [--town CODE] [--days N] [--format json|csv]`,
 * `reliefctl maintenance-rules load [--dir DIR]`, and purchasing_demo(),
 * which the demo build calls for its suppliers, orders and maintenance rules.
 *
 * The lists run the API's own handlers (http/h_purchasing.c, h_equipment.c)
 * on a direct connection as a caller whose scope is the whole city, so the
 * command line prints what the API answers (JSON pages joined, or the same
 * CSV export).
 */
#include "ctl.h"

#include "csvread.h"

#include "../core/util.h"
#include "../http/handlers.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run a list handler: CSV straight through, JSON pages joined into one
 * {"items": [...]}. */
static int run_list(const struct config *cfg, const char *name, const char *path, handler_fn fn,
                    struct ctl_query *qa, const char *format)
{
    struct app app;
    struct req rq;
    struct app_err err;
    struct db_conn *c;
    json_t *all = json_array();
    char cursor[32] = "";
    int rc = CTL_OK;

    memset(&err, 0, sizeof(err));
    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        json_decref(all);
        return CTL_NO_DB;
    }
    memset(&app, 0, sizeof(app));
    app.cfg = cfg;
    memset(&rq, 0, sizeof(rq));
    rq.app = &app;
    rq.method = "GET";
    rq.path = path; /* an export is named after it */
    rq.db = c;
    rq.lookup = ctl_query_lookup;
    rq.ctx = qa;
    rq.authed = 1;
    rq.who.role = ROLE_ADMIN;
    str_copy(rq.who.username, sizeof(rq.who.username), "reliefctl");
    str_copy(rq.who.org_path, sizeof(rq.who.org_path), "/");
    if (!strcmp(format, "csv"))
        ctl_query_set(qa, "format", "csv");
    else
        ctl_query_set(qa, "limit", "500");
    for (;;) {
        struct resp rs;
        json_t *next;
        memset(&rs, 0, sizeof(rs));
        if (fn(&rq, &rs, &err) != 0) {
            fprintf(stderr, "%s: %s%s%s\n", name, err.msg, err.field[0] ? " -- " : "", err.field);
            rc = err.http == 503 ? CTL_NO_DB : err.http >= 500 ? CTL_CHECK_FAILED : CTL_USAGE;
            break;
        }
        if (rs.body) {
            fwrite(rs.body, 1, rs.body_len, stdout);
            free(rs.body);
            free(rs.content_disposition);
            break;
        }
        json_array_extend(all, json_object_get(rs.json, "items"));
        next = json_object_get(rs.json, "next_cursor");
        if (!json_is_string(next) || !json_string_value(next)[0]) {
            json_t *out = json_pack("{s:O}", "items", all);
            char *s = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
            json_decref(rs.json);
            if (s)
                puts(s);
            free(s);
            json_decref(out);
            break;
        }
        str_copy(cursor, sizeof(cursor), json_string_value(next));
        json_decref(rs.json);
        ctl_query_set(qa, "cursor", cursor);
    }
    json_decref(all);
    db_close(c);
    return rc;
}

static int want_format(const char *f, const char *cmd)
{
    if (strcmp(f, "json") != 0 && strcmp(f, "csv") != 0) {
        fprintf(stderr, "%s: --format is json or csv, not '%s'\n", cmd, f);
        return -1;
    }
    return 0;
}

/* --key VALUE or --key=VALUE at argv[*i]; NULL when argv[*i] is not --key. */
static const char *opt(int argc, char **argv, int *i, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(argv[*i], key, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int ctl_suppliers(const struct config *cfg, int argc, char **argv)
{
    struct ctl_query qa = {0};
    const char *format = "json", *v;
    if (argc < 2 || strcmp(argv[1], "list") != 0) {
        fputs("usage: reliefctl suppliers list [--active] [--format json|csv]\n", stderr);
        return CTL_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--active"))
            ctl_query_set(&qa, "active", "true");
        else if ((v = opt(argc, argv, &i, "--format")))
            format = v;
        else {
            fprintf(stderr, "suppliers: unknown argument '%s'\n", argv[i]);
            return CTL_USAGE;
        }
    }
    if (want_format(format, "suppliers") != 0)
        return CTL_USAGE;
    return run_list(cfg, "suppliers", "/api/v1/suppliers", h_suppliers_list, &qa, format);
}

int ctl_po(const struct config *cfg, int argc, char **argv)
{
    struct ctl_query qa = {0};
    const char *format = "json", *v;
    if (argc < 2 || strcmp(argv[1], "list") != 0) {
        fputs("usage: reliefctl po list [--status draft|ordered|partially_received|received|"
              "closed|cancelled]\n"
              "                         [--open] [--depot CODE] [--format json|csv]\n",
              stderr);
        return CTL_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--open"))
            ctl_query_set(&qa, "open", "true");
        else if ((v = opt(argc, argv, &i, "--status")))
            ctl_query_set(&qa, "status", v);
        else if ((v = opt(argc, argv, &i, "--depot")))
            ctl_query_set(&qa, "depot", v);
        else if ((v = opt(argc, argv, &i, "--format")))
            format = v;
        else {
            fprintf(stderr, "po: unknown argument '%s'\n", argv[i]);
            return CTL_USAGE;
        }
    }
    if (want_format(format, "po") != 0)
        return CTL_USAGE;
    return run_list(cfg, "po", "/api/v1/purchase-orders", h_pos_list, &qa, format);
}

int ctl_equipment(const struct config *cfg, int argc, char **argv)
{
    struct ctl_query qa = {0};
    const char *format = "json", *v;
    if (argc < 2 || strcmp(argv[1], "due") != 0) {
        fputs("usage: reliefctl equipment due [--town CODE] [--depot CODE] [--days N] [--overdue]\n"
              "                               [--kind inspection|maintenance] [--format json|csv]\n"
              "  Assets whose inspection or maintenance falls due within N days (default 30).\n",
              stderr);
        return CTL_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--overdue"))
            ctl_query_set(&qa, "overdue", "true");
        else if ((v = opt(argc, argv, &i, "--town")))
            ctl_query_set(&qa, "town", v);
        else if ((v = opt(argc, argv, &i, "--depot")))
            ctl_query_set(&qa, "depot", v);
        else if ((v = opt(argc, argv, &i, "--days")))
            ctl_query_set(&qa, "days", v);
        else if ((v = opt(argc, argv, &i, "--kind")))
            ctl_query_set(&qa, "kind", v);
        else if ((v = opt(argc, argv, &i, "--format")))
            format = v;
        else {
            fprintf(stderr, "equipment: unknown argument '%s'\n", argv[i]);
            return CTL_USAGE;
        }
    }
    if (want_format(format, "equipment") != 0)
        return CTL_USAGE;
    return run_list(cfg, "equipment", "/api/v1/equipment/due", h_equipment_due, &qa, format);
}

/* ---------------------------------------------------------------- rules and demo */

/* db/seed/maintenance_rules.csv into maintenance_rule (by item code; an
 * existing rule for the same item and kind is replaced).  Inside the
 * caller's transaction. */
int purchasing_load_rules(const char *dir, struct db_conn *c, struct app_err *err)
{
    static const char *const cols[] = {"item_code",      "kind",           "interval_days",
                                       "description_zh", "description_en", NULL};
    struct csvr_table t;
    char path[600], msg[600];
    int rc = -1;

    snprintf(path, sizeof(path), "%s/maintenance_rules.csv", dir);
    memset(&t, 0, sizeof(t));
    if (csvr_load(path, &t, msg, sizeof(msg)) != 0 ||
        csvr_require(&t, cols, msg, sizeof(msg)) != 0) {
        err_set(err, 400, "bad_seed", "%s", msg);
        goto out;
    }
    for (int r = 0; r < t.nrows; r++) {
        int64_t item, days;
        const char *code = csvr_get(&t, r, csvr_col(&t, "item_code"));
        const char *kind = csvr_get(&t, r, csvr_col(&t, "kind"));
        if (strcmp(kind, "inspection") && strcmp(kind, "maintenance") && strcmp(kind, "test_run")) {
            err_set(err, 400, "bad_seed",
                    "%s:%d: kind '%s' is not inspection, maintenance or "
                    "test_run",
                    path, t.rows[r].line, kind);
            goto out;
        }
        if (parse_int64(csvr_get(&t, r, csvr_col(&t, "interval_days")), &days) != 0 || days < 1 ||
            days > 3650) {
            err_set(err, 400, "bad_seed", "%s:%d: interval_days must be 1..3650", path,
                    t.rows[r].line);
            goto out;
        }
        if (db_query_int(c, &item, err, "SELECT id FROM item WHERE code = ?", "s", code) != 0) {
            if (err->http == 404)
                err_set(err, 400, "bad_seed", "%s:%d: item %s is not in the catalogue", path,
                        t.rows[r].line, code);
            goto out;
        }
        if (db_exec(c, err,
                    "INSERT INTO maintenance_rule (item_id, kind, interval_days, description_zh,"
                    " description_en) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                    " interval_days = VALUES(interval_days),"
                    " description_zh = VALUES(description_zh),"
                    " description_en = VALUES(description_en)",
                    "lslss", (long long)item, kind, (long long)days,
                    csvr_get(&t, r, csvr_col(&t, "description_zh")),
                    csvr_get(&t, r, csvr_col(&t, "description_en"))) != 0)
            goto out;
    }
    rc = 0;
out:
    csvr_free(&t);
    return rc;
}

int ctl_maintenance_rules(const struct config *cfg, int argc, char **argv)
{
    const char *dir = cfg->seed_dir, *v;
    struct app_err err;
    struct db_conn *c;
    int rc = CTL_OK;
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        fputs("usage: reliefctl maintenance-rules load [--dir DIR]\n"
              "  Load DIR/maintenance_rules.csv (default the seed directory) into the rules.\n",
              stderr);
        return CTL_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if ((v = opt(argc, argv, &i, "--dir")))
            dir = v;
        else {
            fprintf(stderr, "maintenance-rules: unknown argument '%s'\n", argv[i]);
            return CTL_USAGE;
        }
    }
    memset(&err, 0, sizeof(err));
    if (!(c = db_connect(cfg, 0, cfg->db_name, &err))) {
        fprintf(stderr, "maintenance-rules: %s\n", err.msg);
        return CTL_NO_DB;
    }
    if (db_begin(c, &err) != 0 || purchasing_load_rules(dir, c, &err) != 0 ||
        db_commit(c, &err) != 0) {
        fprintf(stderr, "maintenance-rules: %s; nothing was changed\n", err.msg);
        rc = err.http == 400 ? CTL_USAGE : err.http == 503 ? CTL_NO_DB : CTL_CHECK_FAILED;
    }
    db_close(c);
    return rc;
}

/* Demo suppliers, what they deliver, and two orders (one on its way to a
 * town depot, one draft), plus the maintenance rules of the seed; inside the
 * demo build's transaction, after its depots and users exist. */
int purchasing_demo(const struct config *cfg, struct db_conn *c, struct app_err *err)
{
    static const struct {
        const char *code, *name, *contact;
        int lead;
    } sup[] = {
        {"SUP-DEMO-TEXTILE", "东莞市示例纺织救灾用品有限公司 (demo)", "0769-0000-0001", 21},
        {"SUP-DEMO-FOOD", "东莞市示例食品供应链有限公司 (demo)", "0769-0000-0002", 7},
        {"SUP-DEMO-EQUIP", "广东示例应急装备有限公司 (demo)", "020-0000-0003", 30},
    };
    static const struct {
        int sup;
        const char *item;
        int lead; /* 0: the supplier's */
        const char *price;
    } si[] = {
        {0, "DG-BD-04", 0, "180.00"},   {0, "DG-BD-05", 0, "75.00"}, {0, "DG-SH-02", 14, "60.00"},
        {1, "DG-FW-01", 0, "25.00"},    {1, "DG-FW-02", 0, "48.00"}, {1, "DG-FW-03", 3, "36.00"},
        {2, "DG-LP-04", 45, "4200.00"}, {2, "DG-FR-01", 0, "95.00"}, {2, "DG-FR-04", 0, "1300.00"},
    };
    int64_t sid[3], admin, depot, po, item;

    if (purchasing_load_rules(cfg->seed_dir, c, err) != 0)
        return -1;
    if (db_query_int(c, &admin, err, "SELECT id FROM app_user WHERE username = 'admin'", "") != 0)
        return err->http == 404 ? 0 : -1; /* no demo users: nothing to order for */
    for (int i = 0; i < 3; i++) {
        if (db_exec(c, err,
                    "INSERT INTO supplier (code, name, contact, lead_time_days, is_demo)"
                    " VALUES (?, ?, ?, ?, 1)",
                    "sssl", sup[i].code, sup[i].name, sup[i].contact, (long long)sup[i].lead) != 0)
            return -1;
        sid[i] = (int64_t)db_insert_id(c);
    }
    for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++) {
        if (db_query_int(c, &item, err, "SELECT id FROM item WHERE code = ?", "s", si[i].item) != 0)
            return -1;
        if (db_exec(c, err,
                    "INSERT INTO supplier_item (supplier_id, item_id, lead_time_days, unit_price)"
                    " VALUES (?, ?, ?, ?)",
                    "llLs", (long long)sid[si[i].sup], (long long)item,
                    si[i].lead ? &(long long){si[i].lead} : NULL, si[i].price) != 0)
            return -1;
    }
    /* The first town depot with a D- code: an order on its way, and a draft. */
    if (db_query_int(c, &depot, err,
                     "SELECT d.id FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                     " WHERE o.kind = 'town' AND d.kind = 'town' ORDER BY o.code LIMIT 1",
                     "") != 0)
        return err->http == 404 ? 0 : -1;
    for (int k = 0; k < 2; k++) {
        if (db_exec(c, err,
                    "INSERT INTO purchase_order (code, supplier_id, depot_id, status, ordered_on,"
                    " expected_date, created_by, note, is_demo) VALUES (REPLACE(UUID(), '-', ''),"
                    " ?, ?, ?, IF(? = 'ordered', CURDATE(), NULL),"
                    " DATE_ADD(CURDATE(), INTERVAL ? DAY), ?, ?, 1)",
                    "llsslls", (long long)sid[k], (long long)depot, k == 0 ? "ordered" : "draft",
                    k == 0 ? "ordered" : "draft", (long long)sup[k].lead, (long long)admin,
                    k == 0 ? "汛前补充棉被和毛毯 (demo)" : "汛前补充饮用水 (demo)") != 0)
            return -1;
        po = (int64_t)db_insert_id(c);
        if (db_exec(c, err,
                    "UPDATE purchase_order SET code = CONCAT('PO-', YEAR(created_at), '-',"
                    " LPAD(id, 5, '0')) WHERE id = ?",
                    "l", (long long)po) != 0)
            return -1;
        for (int l = 0; l < 2; l++) {
            if (db_exec(
                    c, err,
                    "INSERT INTO purchase_order_line (po_id, line_no, item_id, qty_ordered,"
                    " unit_cost) SELECT ?, ?, si.item_id, ?, si.unit_price FROM supplier_item si"
                    " JOIN item i ON i.id = si.item_id WHERE si.supplier_id = ?"
                    " ORDER BY i.code LIMIT 1 OFFSET ?",
                    "llqll", (long long)po, (long long)(l + 1), (int64_t)(l ? 100000 : 200000),
                    (long long)sid[k], (long long)l) != 0)
                return -1;
        }
    }
    return 0;
}
