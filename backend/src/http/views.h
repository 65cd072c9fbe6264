/*
 * views.h -- the column lists of records that more than one handler shows,
 * so a depot or a stock row reads the same wherever it appears.  Column
 * aliases are the JSON keys (respond.c).
 */
#ifndef RELIEF_VIEWS_H
#define RELIEF_VIEWS_H

#define DEPOT_COLS                                                                                 \
    "SELECT d.id, d.code, d.org_unit_id, o.code AS org_unit_code, o.name_zh AS org_unit_name_zh,"  \
    " d.team_id, d.kind, d.name_zh, d.name_en, d.address, d.lat, d.lon, d.auto_print_labels,"      \
    " d.is_demo"                                                                                   \
    " FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"

#define STOCK_COLS                                                                                 \
    "SELECT s.bin_id, b.code AS bin_code, s.depot_id, d.code AS depot_code, d.org_unit_id,"        \
    " o.code AS org_unit_code, s.lot_id, l.lot_no, l.production_date, l.expiry_date,"              \
    " l.quarantined, s.item_id, i.code AS item_code, i.name_zh AS item_name_zh,"                   \
    " i.name_en AS item_name_en, i.unit, s.qty, s.last_count_at, s.updated_at,"                    \
    " CAST(s.bin_id AS UNSIGNED) * 4294967296 + s.lot_id AS row_key"                               \
    " FROM stock s JOIN bin b ON b.id = s.bin_id JOIN depot d ON d.id = s.depot_id"                \
    " JOIN org_unit o ON o.id = d.org_unit_id JOIN lot l ON l.id = s.lot_id"                       \
    " JOIN item i ON i.id = s.item_id"

#endif
