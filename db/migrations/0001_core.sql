-- 0001_core.sql -- organisation, catalogue, stock and the append-only ledger.
--
-- Quantities are DECIMAL(15,3) in the item's base unit; items counted in
-- pieces are kept whole by the application (item.integral).  Every table is
-- InnoDB/utf8mb4 so the ledger and its balance commit together.

CREATE TABLE org_unit (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code            VARCHAR(32)  NOT NULL,
  parent_id       INT UNSIGNED NULL,
  kind            ENUM('city','subdistrict','town','park','village','community') NOT NULL,
  name_zh         VARCHAR(64)  NOT NULL,
  name_en         VARCHAR(128) NOT NULL,
  population      INT UNSIGNED NULL,
  reserve_persons INT UNSIGNED NULL,
  lat             DECIMAL(9,6) NULL,
  lon             DECIMAL(9,6) NULL,
  -- '/1/5/23/': ids from the root down; a scope check is a prefix match.
  path            VARCHAR(255) NOT NULL DEFAULT '',
  is_demo         TINYINT(1)   NOT NULL DEFAULT 0,
  created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_org_code (code),
  KEY ix_org_parent (parent_id),
  KEY ix_org_path (path),
  CONSTRAINT fk_org_parent FOREIGN KEY (parent_id) REFERENCES org_unit (id),
  CONSTRAINT ck_org_reserve CHECK (reserve_persons IS NULL OR reserve_persons > 0),
  CONSTRAINT ck_org_lat CHECK (lat IS NULL OR lat BETWEEN -90 AND 90),
  CONSTRAINT ck_org_lon CHECK (lon IS NULL OR lon BETWEEN -180 AND 180)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE team (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(48)  NOT NULL,
  org_unit_id INT UNSIGNED NOT NULL,
  kind        ENUM('city_professional','forest_semi_pro','forest_volunteer','forest_professional',
                   'flood_rescue','social') NOT NULL,
  name_zh     VARCHAR(96)  NOT NULL,
  name_en     VARCHAR(160) NOT NULL,
  headcount   INT UNSIGNED NOT NULL,
  lat         DECIMAL(9,6) NULL,
  lon         DECIMAL(9,6) NULL,
  is_demo     TINYINT(1)   NOT NULL DEFAULT 0,
  UNIQUE KEY uk_team_code (code),
  KEY ix_team_org (org_unit_id),
  CONSTRAINT fk_team_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id),
  CONSTRAINT ck_team_headcount CHECK (headcount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE depot (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(48)  NOT NULL,
  org_unit_id INT UNSIGNED NOT NULL,
  team_id     INT UNSIGNED NULL,
  kind        ENUM('city','town','team','village') NOT NULL,
  name_zh     VARCHAR(96)  NOT NULL,
  name_en     VARCHAR(160) NOT NULL,
  address     VARCHAR(255) NULL,
  lat         DECIMAL(9,6) NULL,
  lon         DECIMAL(9,6) NULL,
  is_demo     TINYINT(1)   NOT NULL DEFAULT 0,
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_depot_code (code),
  KEY ix_depot_org (org_unit_id),
  CONSTRAINT fk_depot_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id),
  CONSTRAINT fk_depot_team FOREIGN KEY (team_id) REFERENCES team (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE bin (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  depot_id   INT UNSIGNED NOT NULL,
  code       VARCHAR(32)  NOT NULL,
  name       VARCHAR(96)  NULL,
  active     TINYINT(1)   NOT NULL DEFAULT 1,
  UNIQUE KEY uk_bin_code (depot_id, code),
  CONSTRAINT fk_bin_depot FOREIGN KEY (depot_id) REFERENCES depot (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE item (
  id                       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code                     VARCHAR(32)  NOT NULL,
  name_zh                  VARCHAR(96)  NOT NULL,
  name_en                  VARCHAR(255) NOT NULL,
  category                 VARCHAR(48)  NULL,
  gbt_class                TINYINT UNSIGNED NULL,
  unit                     VARCHAR(16)  NOT NULL,
  -- 1 when the unit is counted in whole pieces (顶, 床, 台); 0 for L, 米, kg.
  integral                 TINYINT(1)   NOT NULL DEFAULT 1,
  tracking                 ENUM('bulk','lot','serial') NOT NULL,
  shelf_life_months        SMALLINT UNSIGNED NULL,
  inspection_interval_days SMALLINT UNSIGNED NULL,
  active                   TINYINT(1)   NOT NULL DEFAULT 1,
  UNIQUE KEY uk_item_code (code),
  CONSTRAINT ck_item_class CHECK (gbt_class IS NULL OR gbt_class BETWEEN 1 AND 3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Packs an item is handled in: a carton of 20 quilts, a pallet of 48 cartons of water.
CREATE TABLE item_pack (
  id       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_id  INT UNSIGNED NOT NULL,
  code     VARCHAR(16)  NOT NULL,
  name_zh  VARCHAR(32)  NOT NULL,
  qty      DECIMAL(15,3) NOT NULL,
  UNIQUE KEY uk_pack (item_id, code),
  CONSTRAINT fk_pack_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_pack_qty CHECK (qty > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lot (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_id         INT UNSIGNED NOT NULL,
  lot_no          VARCHAR(64)  NOT NULL,
  production_date DATE NULL,
  expiry_date     DATE NULL,
  supplier        VARCHAR(128) NULL,
  unit_cost       DECIMAL(12,2) NULL,
  quarantined     TINYINT(1)   NOT NULL DEFAULT 0,
  created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_lot (item_id, lot_no),
  KEY ix_lot_expiry (expiry_date),
  CONSTRAINT fk_lot_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_lot_dates CHECK (production_date IS NULL OR expiry_date IS NULL
                                 OR expiry_date >= production_date),
  CONSTRAINT ck_lot_cost CHECK (unit_cost IS NULL OR unit_cost >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE asset (
  id                 INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_id            INT UNSIGNED NOT NULL,
  serial_no          VARCHAR(64)  NOT NULL,
  lot_id             INT UNSIGNED NULL,
  depot_id           INT UNSIGNED NOT NULL,
  bin_id             INT UNSIGNED NULL,
  team_id            INT UNSIGNED NULL,
  status             ENUM('in_service','under_repair','lost','retired') NOT NULL DEFAULT 'in_service',
  commissioned_on    DATE NULL,
  inspection_due     DATE NULL,
  maintenance_due    DATE NULL,
  is_demo            TINYINT(1)   NOT NULL DEFAULT 0,
  UNIQUE KEY uk_asset (item_id, serial_no),
  KEY ix_asset_depot (depot_id),
  KEY ix_asset_team (team_id),
  CONSTRAINT fk_asset_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT fk_asset_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_asset_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_asset_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_asset_team FOREIGN KEY (team_id) REFERENCES team (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE app_user (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username      VARCHAR(64)  NOT NULL,
  display_name  VARCHAR(96)  NOT NULL,
  role          ENUM('warehouse','town_official','city_auditor','admin') NOT NULL,
  org_unit_id   INT UNSIGNED NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  active        TINYINT(1)   NOT NULL DEFAULT 1,
  is_demo       TINYINT(1)   NOT NULL DEFAULT 0,
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_user_name (username),
  CONSTRAINT fk_user_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The token itself is never stored: only its SHA-256, so a copy of the
-- database does not hand out live sessions.
CREATE TABLE app_session (
  token_hash  CHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  user_id     INT UNSIGNED NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at  DATETIME(6) NOT NULL,
  revoked     TINYINT(1)  NOT NULL DEFAULT 0,
  KEY ix_session_user (user_id),
  KEY ix_session_exp (expires_at),
  CONSTRAINT fk_session_user FOREIGN KEY (user_id) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Current balance per (bin, lot): a cache of the ledger, written in the same
-- transaction as each movement.  item_id/depot_id are copies for queries.
CREATE TABLE stock (
  bin_id        INT UNSIGNED NOT NULL,
  lot_id        INT UNSIGNED NOT NULL,
  item_id       INT UNSIGNED NOT NULL,
  depot_id      INT UNSIGNED NOT NULL,
  qty           DECIMAL(15,3) NOT NULL DEFAULT 0,
  last_count_at DATETIME(6) NULL,
  updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (bin_id, lot_id),
  KEY ix_stock_depot_item (depot_id, item_id),
  KEY ix_stock_item (item_id),
  KEY ix_stock_lot (lot_id),
  CONSTRAINT fk_stock_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_stock_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT ck_stock_nonneg CHECK (qty >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A transfer between depots: stock leaves the source (transfer_out), is in
-- transit, and arrives (transfer_in), possibly in parts.
CREATE TABLE transfer (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  lot_id        INT UNSIGNED NOT NULL,
  item_id       INT UNSIGNED NOT NULL,
  from_bin_id   INT UNSIGNED NOT NULL,
  from_depot_id INT UNSIGNED NOT NULL,
  to_depot_id   INT UNSIGNED NOT NULL,
  qty_shipped   DECIMAL(15,3) NOT NULL,
  qty_received  DECIMAL(15,3) NOT NULL DEFAULT 0,
  qty_lost      DECIMAL(15,3) NOT NULL DEFAULT 0,
  status        ENUM('in_transit','received','closed') NOT NULL DEFAULT 'in_transit',
  created_by    INT UNSIGNED NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_transfer_to (to_depot_id, status),
  KEY ix_transfer_from (from_depot_id, status),
  CONSTRAINT fk_transfer_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_transfer_from_bin FOREIGN KEY (from_bin_id) REFERENCES bin (id),
  CONSTRAINT fk_transfer_from FOREIGN KEY (from_depot_id) REFERENCES depot (id),
  CONSTRAINT fk_transfer_to FOREIGN KEY (to_depot_id) REFERENCES depot (id),
  CONSTRAINT ck_transfer_qty CHECK (qty_shipped > 0 AND qty_received >= 0 AND qty_lost >= 0
                                    AND qty_received + qty_lost <= qty_shipped)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The append-only ledger.  qty is signed: + into the bin, - out of it.
-- A mistake is corrected by a 'reversal' row that points at it; a row is
-- never updated or deleted (triggers below, and the application account
-- has only SELECT and INSERT here).
CREATE TABLE movement (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind         ENUM('receive','issue','transfer_out','transfer_in','adjust','count','dispose',
                    'return','reversal') NOT NULL,
  bin_id       INT UNSIGNED NOT NULL,
  lot_id       INT UNSIGNED NOT NULL,
  item_id      INT UNSIGNED NOT NULL,
  depot_id     INT UNSIGNED NOT NULL,
  qty          DECIMAL(15,3) NOT NULL,
  balance_after DECIMAL(15,3) NOT NULL,
  occurred_at  DATETIME(6) NOT NULL,
  recorded_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  user_id      INT UNSIGNED NOT NULL,
  reason       VARCHAR(255) NULL,
  reference    VARCHAR(128) NULL,
  recipient    VARCHAR(128) NULL,
  transfer_id  INT UNSIGNED NULL,
  stocktake_id INT UNSIGNED NULL,
  reverses_id  BIGINT UNSIGNED NULL,
  is_demo      TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY uk_movement_reverses (reverses_id),
  KEY ix_mv_bin_lot (bin_id, lot_id, id),
  KEY ix_mv_depot_time (depot_id, occurred_at),
  KEY ix_mv_item_time (item_id, occurred_at),
  KEY ix_mv_lot (lot_id),
  KEY ix_mv_kind_time (kind, occurred_at),
  KEY ix_mv_transfer (transfer_id),
  CONSTRAINT fk_mv_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_mv_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_mv_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT fk_mv_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_mv_user FOREIGN KEY (user_id) REFERENCES app_user (id),
  CONSTRAINT fk_mv_transfer FOREIGN KEY (transfer_id) REFERENCES transfer (id),
  CONSTRAINT fk_mv_reverses FOREIGN KEY (reverses_id) REFERENCES movement (id),
  CONSTRAINT ck_mv_qty CHECK (qty <> 0),
  CONSTRAINT ck_mv_balance CHECK (balance_after >= 0),
  CONSTRAINT ck_mv_sign CHECK (
    (kind IN ('receive','transfer_in','return') AND qty > 0) OR
    (kind IN ('issue','transfer_out','dispose') AND qty < 0) OR
    kind IN ('adjust','count','reversal'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER movement_no_update BEFORE UPDATE ON movement FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'movements are append-only';
CREATE TRIGGER movement_no_delete BEFORE DELETE ON movement FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'movements are append-only';

-- A blind stocktake count of one (bin, lot).  The expected quantity is never
-- shown to the counter; a large difference asks for a recount by someone else.
CREATE TABLE stocktake (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  bin_id         INT UNSIGNED NOT NULL,
  lot_id         INT UNSIGNED NOT NULL,
  depot_id       INT UNSIGNED NOT NULL,
  status         ENUM('recount_required','posted','cancelled') NOT NULL,
  first_count    DECIMAL(15,3) NOT NULL,
  first_user_id  INT UNSIGNED NOT NULL,
  first_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  second_count   DECIMAL(15,3) NULL,
  second_user_id INT UNSIGNED NULL,
  second_at      DATETIME(6) NULL,
  expected_at_post DECIMAL(15,3) NULL,
  KEY ix_stocktake_bin (bin_id, lot_id, status),
  CONSTRAINT fk_st_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_st_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_st_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_st_u1 FOREIGN KEY (first_user_id) REFERENCES app_user (id),
  CONSTRAINT fk_st_u2 FOREIGN KEY (second_user_id) REFERENCES app_user (id),
  CONSTRAINT ck_st_counts CHECK (first_count >= 0 AND (second_count IS NULL OR second_count >= 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE movement ADD CONSTRAINT fk_mv_stocktake FOREIGN KEY (stocktake_id) REFERENCES stocktake (id);

-- Responses of mutating calls by Idempotency-Key, written in the same
-- transaction as the change itself: a retry finds either nothing (the first
-- attempt never committed) or the first answer, never half of it.
CREATE TABLE idempotency (
  user_id      INT UNSIGNED NOT NULL,
  idem_key     VARCHAR(128) CHARACTER SET ascii NOT NULL,
  request_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  status       SMALLINT UNSIGNED NOT NULL,
  response     MEDIUMTEXT NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, idem_key),
  KEY ix_idem_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Hash-chained audit trail: each row stores the hash of the one before, so a
-- removed or edited row breaks the chain (`reliefctl verify-ledger` checks it).
CREATE TABLE audit_event (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  user_id     INT UNSIGNED NULL,
  action      VARCHAR(64)  NOT NULL,
  object_type VARCHAR(32)  NOT NULL,
  object_id   VARCHAR(64)  NULL,
  detail      TEXT NULL,
  prev_hash   CHAR(64) CHARACTER SET ascii NOT NULL,
  hash        CHAR(64) CHARACTER SET ascii NOT NULL,
  KEY ix_audit_object (object_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only';
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only';

-- One row; locked to append to the audit chain in order.
CREATE TABLE audit_head (
  id        TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_hash CHAR(64) CHARACTER SET ascii NOT NULL
) ENGINE=InnoDB;
INSERT INTO audit_head VALUES (1, REPEAT('0', 64));
