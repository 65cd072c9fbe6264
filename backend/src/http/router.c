/*
 * router.c -- the table of every API route, and the matcher.
 *
 * The table is data, like Redis' command table: method, path pattern,
 * handler, the roles that may call it and what the dispatcher must check
 * first.  docs/api/openapi.yaml lists the same routes; a test compares them.
 */
#include "handlers.h"

#include <string.h>

#define ALL ROLE_ANY
#define WH (ROLE_WAREHOUSE | ROLE_ADMIN)
#define OFF (ROLE_TOWN_OFFICIAL | ROLE_ADMIN)
#define ADM ROLE_ADMIN

const struct route routes[] = {
    {"GET", "/healthz", h_healthz, ALL, R_PUBLIC},
    {"POST", "/api/v1/auth/login", h_login, ALL, R_PUBLIC | R_BODY | R_NO_IDEM},
    {"POST", "/api/v1/auth/logout", h_logout, ALL, R_PUBLIC | R_NO_IDEM},
    {"GET", "/api/v1/auth/me", h_me, ALL, 0},

    {"GET", "/api/v1/org-units", h_org_units_list, ALL, 0},
    {"GET", "/api/v1/org-units/{id}", h_org_unit_get, ALL, 0},
    {"GET", "/api/v1/items", h_items_list, ALL, 0},
    {"POST", "/api/v1/items", h_item_create, ADM, R_BODY},
    {"GET", "/api/v1/items/{id}", h_item_get, ALL, 0},
    {"GET", "/api/v1/teams", h_teams_list, ALL, 0},

    {"GET", "/api/v1/depots", h_depots_list, ALL, 0},
    {"POST", "/api/v1/depots", h_depot_create, OFF, R_BODY},
    {"GET", "/api/v1/depots/{id}", h_depot_get, ALL, 0},
    {"PATCH", "/api/v1/depots/{id}", h_depot_update, OFF, R_BODY},
    {"POST", "/api/v1/depots/{id}/bins", h_bin_create, OFF | WH, R_BODY},
    {"GET", "/api/v1/lots", h_lots_list, ALL, 0},
    {"POST", "/api/v1/lots", h_lot_create, WH, R_BODY},
    {"GET", "/api/v1/lots/{id}", h_lot_get, ALL, 0},
    {"GET", "/api/v1/assets", h_assets_list, ALL, 0},
    {"POST", "/api/v1/assets", h_asset_create, WH, R_BODY},
    {"GET", "/api/v1/assets/{id}", h_asset_get, ALL, 0},

    {"GET", "/api/v1/stock", h_stock_list, ALL, 0},
    {"GET", "/api/v1/movements", h_movements_list, ALL, 0},
    {"POST", "/api/v1/movements", h_movement_create, WH, R_BODY | R_IDEM_REQUIRED},
    {"GET", "/api/v1/movements/{id}", h_movement_get, ALL, 0},
    {"GET", "/api/v1/transfers", h_transfers_list, ALL, 0},
    {"GET", "/api/v1/transfers/{id}", h_transfer_get, ALL, 0},
    {"GET", "/api/v1/stocktakes", h_stocktakes_list, ALL, 0},
    {"POST", "/api/v1/stocktakes", h_stocktake_create, WH, R_BODY},
    {"POST", "/api/v1/stocktakes/{id}/recount", h_stocktake_recount, WH | ROLE_TOWN_OFFICIAL,
     R_BODY},

    {"GET", "/api/v1/labels", h_labels_list, ALL, 0},
    {"POST", "/api/v1/labels", h_labels_create, WH | ROLE_TOWN_OFFICIAL, R_BODY},
    {"GET", "/api/v1/labels/{code}", h_label_get, ALL, 0},
    {"POST", "/api/v1/labels/{code}/void", h_label_void, WH | ROLE_TOWN_OFFICIAL, R_BODY},
    {"POST", "/api/v1/labels/{code}/reprint", h_label_reprint, WH | ROLE_TOWN_OFFICIAL, 0},
    {"POST", "/api/v1/label-sheets", h_label_sheet, ALL, R_BODY | R_NO_IDEM}, /* a read */
    {"GET", "/api/v1/print-jobs", h_print_jobs_list, WH | ROLE_TOWN_OFFICIAL, 0},
    {"POST", "/api/v1/print-jobs/done", h_print_jobs_done, WH | ROLE_TOWN_OFFICIAL, R_BODY},

    {"GET", "/api/v1/standards", h_standards_list, ALL, 0},
    {"GET", "/api/v1/standards/{id}", h_standard_get, ALL, 0},
    {"POST", "/api/v1/standards/{code}/versions", h_standard_version_create, ADM, R_BODY},
    {"GET", "/api/v1/flood-seasons", h_flood_seasons_list, ALL, 0},
    {"PUT", "/api/v1/flood-seasons/{year}", h_flood_season_put, ADM, R_BODY},
    {"GET", "/api/v1/readiness/city", h_readiness_city, ALL, 0},
    {"GET", "/api/v1/readiness/towns/{code}", h_readiness_town, ALL, 0},
    {"GET", "/api/v1/readiness/teams/{id}", h_readiness_team, ALL, 0},
    {"GET", "/api/v1/readiness/villages/{code}", h_readiness_village, ALL, 0},
    {"GET", "/api/v1/readiness/city/report.pdf", h_readiness_city_pdf, ALL, 0},
    {"GET", "/api/v1/readiness/towns/{code}/report.pdf", h_readiness_town_pdf, ALL, 0},

    {"POST", "/api/v1/checks", h_check_open, OFF, R_BODY},
    {"GET", "/api/v1/checks", h_checks_list, ALL, 0},
    {"GET", "/api/v1/checks/{id}", h_check_get, ALL, 0},
    {"PUT", "/api/v1/checks/{id}/items/{item_id}", h_check_item_put,
     ROLE_TOWN_OFFICIAL | ROLE_WAREHOUSE, R_BODY},
    {"POST", "/api/v1/checks/{id}/refresh", h_check_refresh, OFF | ROLE_WAREHOUSE, 0},
    {"POST", "/api/v1/checks/{id}/sign", h_check_sign, ROLE_TOWN_OFFICIAL, 0},
    {"POST", "/api/v1/checks/{id}/accept", h_check_accept, ROLE_CITY_AUDITOR | ADM, 0},
    {"POST", "/api/v1/checks/{id}/return", h_check_return, ROLE_CITY_AUDITOR | ADM, R_BODY},
    {"GET", "/api/v1/checks/{id}/report.pdf", h_check_report, ALL, 0},

    /* logistics: events, requests, dispatches (docs/logistics.md) */
    {"GET", "/api/v1/events", h_events_list, ALL, 0},
    {"POST", "/api/v1/events", h_event_create, ROLE_CITY_AUDITOR | ADM, R_BODY},
    {"GET", "/api/v1/events/{id}", h_event_get, ALL, 0},
    {"PATCH", "/api/v1/events/{id}", h_event_update, ROLE_CITY_AUDITOR | ADM, R_BODY},
    {"GET", "/api/v1/events/{id}/report", h_event_report, ALL, 0},
    {"GET", "/api/v1/requests", h_requests_list, ALL, 0},
    {"POST", "/api/v1/requests", h_request_create, OFF, R_BODY},
    {"GET", "/api/v1/requests/{id}", h_request_get, ALL, 0},
    {"POST", "/api/v1/requests/{id}/submit", h_request_submit, OFF, 0},
    {"POST", "/api/v1/requests/{id}/decide", h_request_decide, ROLE_CITY_AUDITOR | ADM, R_BODY},
    {"POST", "/api/v1/requests/{id}/cancel", h_request_cancel, OFF, R_BODY},
    {"GET", "/api/v1/requests/{id}/suggest", h_request_suggest, ROLE_CITY_AUDITOR | ADM, 0},
    {"GET", "/api/v1/dispatches", h_dispatches_list, ALL, 0},
    {"POST", "/api/v1/dispatches", h_dispatch_create, ROLE_CITY_AUDITOR | ADM, R_BODY},
    {"GET", "/api/v1/dispatches/{id}", h_dispatch_get, ALL, 0},
    {"POST", "/api/v1/dispatches/{id}/pick", h_dispatch_pick, WH, R_BODY | R_IDEM_REQUIRED},
    {"POST", "/api/v1/dispatches/{id}/ship", h_dispatch_ship, WH, R_BODY | R_IDEM_REQUIRED},
    {"POST", "/api/v1/dispatches/{id}/receive", h_dispatch_receive, WH,
     R_BODY | R_IDEM_REQUIRED},
    {"POST", "/api/v1/dispatches/{id}/cancel", h_dispatch_cancel, ROLE_CITY_AUDITOR | ADM, R_BODY},

    /* purchases and equipment (docs/purchasing.md) */
    {"GET", "/api/v1/suppliers", h_suppliers_list, ALL, 0},
    {"POST", "/api/v1/suppliers", h_supplier_create, OFF, R_BODY},
    {"GET", "/api/v1/suppliers/{id}", h_supplier_get, ALL, 0},
    {"PATCH", "/api/v1/suppliers/{id}", h_supplier_update, OFF, R_BODY},
    {"PUT", "/api/v1/suppliers/{id}/items/{item_id}", h_supplier_item_put, OFF, R_BODY},
    {"GET", "/api/v1/purchase-orders", h_pos_list, ALL, 0},
    {"POST", "/api/v1/purchase-orders", h_po_create, OFF, R_BODY},
    {"GET", "/api/v1/purchase-orders/{id}", h_po_get, ALL, 0},
    {"POST", "/api/v1/purchase-orders/{id}/order", h_po_order, OFF, 0},
    {"POST", "/api/v1/purchase-orders/{id}/cancel", h_po_cancel, OFF, R_BODY},
    {"POST", "/api/v1/purchase-orders/{id}/close", h_po_close, OFF, 0},
    {"POST", "/api/v1/purchase-orders/{id}/receipts", h_po_receive, WH | ROLE_TOWN_OFFICIAL,
     R_BODY | R_IDEM_REQUIRED},
    {"POST", "/api/v1/assets/{id}/checkout", h_asset_checkout, WH | ROLE_TOWN_OFFICIAL, R_BODY},
    {"POST", "/api/v1/assets/{id}/checkin", h_asset_checkin, WH | ROLE_TOWN_OFFICIAL, R_BODY},
    {"GET", "/api/v1/assets/{id}/services", h_asset_services_list, ALL, 0},
    {"POST", "/api/v1/assets/{id}/services", h_asset_service, WH | ROLE_TOWN_OFFICIAL, R_BODY},
    {"POST", "/api/v1/assets/{id}/repair", h_asset_repair, WH | ROLE_TOWN_OFFICIAL, 0},
    {"POST", "/api/v1/assets/{id}/repair-done", h_asset_repair_done, WH | ROLE_TOWN_OFFICIAL, 0},
    {"POST", "/api/v1/assets/{id}/retire", h_asset_retire, OFF, R_BODY},
    {"GET", "/api/v1/asset-checkouts", h_checkouts_list, ALL, 0},
    {"GET", "/api/v1/maintenance-rules", h_maint_rules_list, ALL, 0},
    {"POST", "/api/v1/maintenance-rules", h_maint_rule_put, ADM, R_BODY},
    {"GET", "/api/v1/equipment/due", h_equipment_due, ALL, 0},

    /* season plans and forecasting (docs/forecasting.md) */
    {"GET", "/api/v1/plans/{season}", h_plan_city, ROLE_CITY_AUDITOR | ROLE_ADMIN, 0},
    {"GET", "/api/v1/plans/{season}/towns/{code}", h_plan_town, ALL, 0},
    {"GET", "/api/v1/plans/{season}/towns/{code}/items/{item}/history", h_plan_history, ALL, 0},

    /* the city map (docs/map.md) */
    {"GET", "/api/v1/map/outline", h_map_outline, ALL, 0},
    {"GET", "/api/v1/map/boundaries", h_map_boundaries, ALL, 0},
    {"POST", "/api/v1/map/boundaries", h_map_boundaries_import, ADM, R_BODY},
    {"GET", "/api/v1/map/towns", h_map_towns, ALL, 0},
    {"GET", "/api/v1/map/depots", h_map_depots, ALL, 0},
    {"GET", "/api/v1/map/teams", h_map_teams, ALL, 0},
    {"GET", "/api/v1/map/dispatches", h_map_dispatches, ALL, 0},
    {"GET", "/api/v1/map.pdf", h_map_pdf, ALL, 0},
    {"PATCH", "/api/v1/org-units/{id}/point", h_org_unit_point, ADM, R_BODY},
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

/* Split path into segments in place; returns the count or -1 if too many. */
static int split(char *s, char **seg, int max)
{
    int n = 0;
    if (*s == '/')
        s++;
    while (*s) {
        if (n == max)
            return -1;
        seg[n++] = s;
        char *slash = strchr(s, '/');
        if (!slash)
            break;
        *slash = '\0';
        s = slash + 1;
        if (*s == '\0') { /* trailing slash: an empty last segment never matches */
            if (n == max) /* found by tests/fuzz/fuzz_query: seg[max] was written */
                return -1;
            seg[n++] = s;
        }
    }
    return n;
}

static int pattern_match(const char *pattern, char **seg, int nseg, const char **params,
                         int *nparams)
{
    const char *p = pattern + 1;
    int i = 0, np = 0;

    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i >= nseg)
            return 0;
        if (p[0] == '{') {
            if (seg[i][0] == '\0' || np >= REQ_MAX_PARAMS)
                return 0;
            params[np++] = seg[i];
        } else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
        if (*p == '/')
            p++;
    }
    if (i != nseg)
        return 0;
    *nparams = np;
    return 1;
}

const struct route *router_match(const char *method, const char *path, char *scratch,
                                 const char **params, int *nparams, int *status)
{
    char *seg[16];
    int nseg, path_known = 0;

    strcpy(scratch, path); /* the caller sized scratch for path */
    nseg = split(scratch, seg, 16);
    *status = 404;
    if (nseg < 0)
        return NULL;
    for (size_t i = 0; i < nroutes; i++) {
        if (!pattern_match(routes[i].pattern, seg, nseg, params, nparams))
            continue;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
            return &routes[i];
        path_known = 1;
    }
    if (path_known)
        *status = 405;
    return NULL;
}
