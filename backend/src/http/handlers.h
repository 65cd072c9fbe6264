/* handlers.h -- every API handler; the route table in router.c says who may call which. */
#ifndef RELIEF_HANDLERS_H
#define RELIEF_HANDLERS_H

#include "http.h"

#define H(name) int name(struct req *rq, struct resp *rs, struct app_err *err)

/* h_misc.c */
H(h_healthz);
H(h_login);
H(h_logout);
H(h_me);
/* h_catalog.c */
H(h_org_units_list);
H(h_org_unit_get);
H(h_items_list);
H(h_item_get);
H(h_item_create);
H(h_teams_list);
/* h_depots.c */
H(h_depots_list);
H(h_depot_get);
H(h_depot_create);
H(h_bin_create);
H(h_lots_list);
H(h_lot_get);
H(h_lot_create);
H(h_assets_list);
H(h_asset_get);
H(h_asset_create);
/* h_ledger.c */
H(h_stock_list);
H(h_movements_list);
H(h_movement_get);
H(h_movement_create);
H(h_transfers_list);
H(h_transfer_get);
H(h_stocktakes_list);
H(h_stocktake_create);
H(h_stocktake_recount);
/* h_labels.c: labels as records, print queue, depot settings */
H(h_depot_update);
H(h_labels_list);
H(h_labels_create);
H(h_label_get); /* also {code}.svg and {code}.png, via h_label_image */
H(h_label_void);
H(h_label_reprint);
H(h_print_jobs_list);
H(h_print_jobs_done);
/* h_label_render.c: images and sheets */
H(h_label_sheet);
/* h_standards.c: versioned standards and flood seasons */
H(h_standards_list);
H(h_standard_get);
H(h_standard_version_create);
H(h_flood_seasons_list);
H(h_flood_season_put);
/* h_readiness.c: readiness of towns, the city, teams and villages */
H(h_readiness_city);
H(h_readiness_town);
H(h_readiness_team);
H(h_readiness_village);
H(h_readiness_city_pdf);
H(h_readiness_town_pdf);
/* h_checks.c: the pre-season check */
H(h_check_open);
H(h_checks_list);
H(h_check_get);
H(h_check_item_put);
H(h_check_refresh);
H(h_check_sign);
H(h_check_accept);
H(h_check_return);
H(h_check_report);
/* logistics: events, requests, dispatches (docs/logistics.md) */
/* h_events.c, h_requests.c, h_dispatch.c: events, requests, dispatches */
H(h_events_list);
H(h_event_create);
H(h_event_get);
H(h_event_update);
H(h_event_report);
H(h_requests_list);
H(h_request_create);
H(h_request_get);
H(h_request_submit);
H(h_request_decide);
H(h_request_cancel);
H(h_request_suggest);
H(h_dispatches_list);
H(h_dispatch_create);
H(h_dispatch_get);
H(h_dispatch_pick);
H(h_dispatch_ship);
H(h_dispatch_receive);
H(h_dispatch_cancel);
/* purchases and equipment (docs/purchasing.md) */
/* h_purchasing.c: suppliers, purchase orders, receipts */
H(h_suppliers_list);
H(h_supplier_create);
H(h_supplier_get);
H(h_supplier_update);
H(h_supplier_item_put);
H(h_pos_list);
H(h_po_create);
H(h_po_get);
H(h_po_order);
H(h_po_cancel);
H(h_po_close);
H(h_po_receive);
/* h_equipment.c: check-out/in, service, repair, rules, due list */
H(h_asset_checkout);
H(h_asset_checkin);
H(h_asset_services_list);
H(h_asset_service);
H(h_asset_repair);
H(h_asset_repair_done);
H(h_asset_retire);
H(h_checkouts_list);
H(h_maint_rules_list);
H(h_maint_rule_put);
H(h_equipment_due);
/* season plans and forecasting (docs/forecasting.md) */
/* h_plans.c: replenishment plans of a season, demand history */
H(h_plan_city);
H(h_plan_town);
H(h_plan_history);
/* The plan of a season as GET /plans/{season} (town_id 0) or
 * /plans/{season}/towns/{code} answers it; `reliefctl plan` prints it. */
int plan_answer(struct db_conn *db, int season_year, int64_t town_id, json_t **out,
                struct app_err *err);
/* the city map (docs/map.md) */
/* h_map.c: the offline map's GeoJSON layers, boundary import, point fixes */
H(h_map_outline);
H(h_map_boundaries);
H(h_map_towns);
H(h_map_depots);
H(h_map_teams);
H(h_map_dispatches);
H(h_map_pdf);
H(h_map_boundaries_import);
H(h_org_unit_point);
/* The checks and writes of a boundary import, shared by the API and
 * `reliefctl map-import` (user_id 0: the command line).  Inside the caller's
 * transaction; *summary is new on success; 400 naming the feature otherwise. */
int map_import_boundaries(struct db_conn *db, int64_t user_id, const json_t *doc,
                          const char *source, json_t **summary, struct app_err *err);

#undef H

/* GET /labels/{code}.svg|.png for a label already found and scope-checked
 * (h_label_render.c); fmt is "svg" or "png". */
int h_label_image(struct req *rq, struct resp *rs, int64_t label_id, const char *fmt,
                  struct app_err *err);

/* The readiness answer of a town (GET /readiness/towns/{code} as JSON) for
 * today and `season_year` (0: the coming season), for the pre-season check
 * (h_readiness.c).  *out is new; 404 when the unit is no town-level unit. */
int readiness_town_answer(struct db_conn *db, int64_t org_unit_id, int season_year, json_t **out,
                          struct app_err *err);

/* Shared by receipts and POST /lots (h_depots.c). */
int lot_find_or_create(struct db_conn *db, int64_t item_id, json_t *lot, int64_t *lot_id,
                       const char *field, struct app_err *err);
#endif
