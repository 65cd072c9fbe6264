-- 0007_purchasing.sql -- suppliers, purchase orders and their receipts, and
-- the equipment side of assets: check-out to a team or a person, maintenance
-- rules per item and the service history (docs/purchasing.md).
--
-- Stock only ever changes through the ledger: a receipt row points at the
-- 'receive' movement it posted, so the two cannot disagree.  The forecast
-- reads supplier(.lead_time_days), supplier_item and the open purchase
-- orders (status ordered / partially_received) with their expected_date.

CREATE TABLE supplier (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code            VARCHAR(32)  NOT NULL,
  name            VARCHAR(160) NOT NULL,
  contact         VARCHAR(255) NULL,
  -- Days from ordering to delivery, unless supplier_item says otherwise.
  lead_time_days  SMALLINT UNSIGNED NOT NULL DEFAULT 14,
  active          TINYINT(1)   NOT NULL DEFAULT 1,
  is_demo         TINYINT(1)   NOT NULL DEFAULT 0,
  created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_supplier_code (code),
  CONSTRAINT ck_supplier_lead CHECK (lead_time_days <= 3650)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a supplier delivers; lead_time_days NULL means the supplier's own.
CREATE TABLE supplier_item (
  supplier_id     INT UNSIGNED NOT NULL,
  item_id         INT UNSIGNED NOT NULL,
  lead_time_days  SMALLINT UNSIGNED NULL,
  unit_price      DECIMAL(12,2) NULL,
  PRIMARY KEY (supplier_id, item_id),
  KEY ix_si_item (item_id),
  CONSTRAINT fk_si_supplier FOREIGN KEY (supplier_id) REFERENCES supplier (id),
  CONSTRAINT fk_si_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_si_lead CHECK (lead_time_days IS NULL OR lead_time_days <= 3650),
  CONSTRAINT ck_si_price CHECK (unit_price IS NULL OR unit_price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- draft -> ordered -> partially_received -> received -> closed; an order
-- can be cancelled before anything arrived, and closed short afterwards
-- (what was not delivered is then no longer expected).
CREATE TABLE purchase_order (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code            VARCHAR(32)  NOT NULL,
  supplier_id     INT UNSIGNED NOT NULL,
  depot_id        INT UNSIGNED NOT NULL,   -- destination
  status          ENUM('draft','ordered','partially_received','received','closed','cancelled')
                  NOT NULL DEFAULT 'draft',
  ordered_on      DATE NULL,
  expected_date   DATE NULL,
  -- Over-delivery accepted without the explicit flag, in per mille of qty_ordered.
  over_tolerance_permille SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  created_by      INT UNSIGNED NOT NULL,
  created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_by       INT UNSIGNED NULL,
  closed_at       DATETIME(6)  NULL,
  close_reason    VARCHAR(255) NULL,
  note            TEXT NULL,
  is_demo         TINYINT(1)   NOT NULL DEFAULT 0,
  UNIQUE KEY uk_po_code (code),
  KEY ix_po_status (status, expected_date),
  KEY ix_po_depot (depot_id, status),
  KEY ix_po_supplier (supplier_id),
  CONSTRAINT fk_po_supplier FOREIGN KEY (supplier_id) REFERENCES supplier (id),
  CONSTRAINT fk_po_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_po_created FOREIGN KEY (created_by) REFERENCES app_user (id),
  CONSTRAINT fk_po_closed FOREIGN KEY (closed_by) REFERENCES app_user (id),
  CONSTRAINT ck_po_tol CHECK (over_tolerance_permille <= 1000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE purchase_order_line (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  po_id           INT UNSIGNED NOT NULL,
  line_no         SMALLINT UNSIGNED NOT NULL,
  item_id         INT UNSIGNED NOT NULL,
  qty_ordered     DECIMAL(15,3) NOT NULL,
  qty_received    DECIMAL(15,3) NOT NULL DEFAULT 0,
  unit_cost       DECIMAL(12,2) NULL,
  -- What was still missing when the order was closed short (under-delivery).
  qty_short       DECIMAL(15,3) NOT NULL DEFAULT 0,
  -- 1 once the line expects nothing more (fully received or closed short).
  closed          TINYINT(1)   NOT NULL DEFAULT 0,
  UNIQUE KEY uk_pol (po_id, line_no),
  KEY ix_pol_item (item_id),
  CONSTRAINT fk_pol_po FOREIGN KEY (po_id) REFERENCES purchase_order (id),
  CONSTRAINT fk_pol_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_pol_qty CHECK (qty_ordered > 0 AND qty_received >= 0 AND qty_short >= 0),
  CONSTRAINT ck_pol_cost CHECK (unit_cost IS NULL OR unit_cost >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One delivery of one line into one bin: the movement is the stock change,
-- this row says which order it was for and whether it went over.
CREATE TABLE po_receipt (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  po_line_id      INT UNSIGNED NOT NULL,
  lot_id          INT UNSIGNED NOT NULL,
  bin_id          INT UNSIGNED NOT NULL,
  movement_id     BIGINT UNSIGNED NOT NULL,
  qty             DECIMAL(15,3) NOT NULL,
  -- Over: the line's received total went past qty_ordered with this receipt.
  over_delivery   TINYINT(1)   NOT NULL DEFAULT 0,
  -- Under: set on the line's last receipt when the order was closed short.
  under_delivery  TINYINT(1)   NOT NULL DEFAULT 0,
  received_by     INT UNSIGNED NOT NULL,
  received_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  note            VARCHAR(255) NULL,
  UNIQUE KEY uk_por_movement (movement_id),
  KEY ix_por_line (po_line_id),
  KEY ix_por_lot (lot_id),
  CONSTRAINT fk_por_line FOREIGN KEY (po_line_id) REFERENCES purchase_order_line (id),
  CONSTRAINT fk_por_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_por_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_por_movement FOREIGN KEY (movement_id) REFERENCES movement (id),
  CONSTRAINT fk_por_user FOREIGN KEY (received_by) REFERENCES app_user (id),
  CONSTRAINT ck_por_qty CHECK (qty > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An asset out with a team or a person.  At most one open check-out per
-- asset: open_asset_id is the asset while returned_at is NULL.
CREATE TABLE asset_checkout (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  asset_id        INT UNSIGNED NOT NULL,
  team_id         INT UNSIGNED NULL,
  person_name     VARCHAR(96)  NULL,
  checked_out_by  INT UNSIGNED NOT NULL,
  checked_out_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  due_back        DATE NULL,
  condition_out   ENUM('good','fair','damaged') NOT NULL DEFAULT 'good',
  returned_at     DATETIME(6)  NULL,
  returned_by     INT UNSIGNED NULL,
  condition_in    ENUM('good','fair','damaged','lost') NULL,
  note            TEXT NULL,
  open_asset_id   INT UNSIGNED AS (IF(returned_at IS NULL, asset_id, NULL)) PERSISTENT,
  UNIQUE KEY uk_checkout_open (open_asset_id),
  KEY ix_checkout_asset (asset_id, checked_out_at),
  KEY ix_checkout_team (team_id),
  CONSTRAINT fk_co_asset FOREIGN KEY (asset_id) REFERENCES asset (id),
  CONSTRAINT fk_co_team FOREIGN KEY (team_id) REFERENCES team (id),
  CONSTRAINT fk_co_out FOREIGN KEY (checked_out_by) REFERENCES app_user (id),
  CONSTRAINT fk_co_in FOREIGN KEY (returned_by) REFERENCES app_user (id),
  CONSTRAINT ck_co_to CHECK (team_id IS NOT NULL OR person_name IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What must be done to every asset of an item, and how often.  An item with
-- item.inspection_interval_days and no 'inspection' rule here is inspected at
-- that interval (the catalogue's own figure).
CREATE TABLE maintenance_rule (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_id         INT UNSIGNED NOT NULL,
  kind            ENUM('inspection','maintenance','test_run') NOT NULL,
  interval_days   SMALLINT UNSIGNED NOT NULL,
  description_zh  VARCHAR(255) NOT NULL,
  description_en  VARCHAR(255) NOT NULL,
  active          TINYINT(1)   NOT NULL DEFAULT 1,
  UNIQUE KEY uk_mrule (item_id, kind),
  CONSTRAINT fk_mrule_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_mrule_interval CHECK (interval_days BETWEEN 1 AND 3650)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The service history of an asset.  A test run counts as maintenance for
-- asset.maintenance_due; an inspection moves asset.inspection_due.
CREATE TABLE asset_service (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  asset_id        INT UNSIGNED NOT NULL,
  kind            ENUM('inspection','maintenance','test_run','repair','repair_done','retire')
                  NOT NULL,
  result          ENUM('ok','failed') NULL,
  done_at         DATE NOT NULL,
  done_by         INT UNSIGNED NOT NULL,
  recorded_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  note            TEXT NULL,
  next_due        DATE NULL,
  KEY ix_service_asset (asset_id, done_at),
  CONSTRAINT fk_service_asset FOREIGN KEY (asset_id) REFERENCES asset (id),
  CONSTRAINT fk_service_user FOREIGN KEY (done_by) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
