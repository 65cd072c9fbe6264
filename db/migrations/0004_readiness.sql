-- 0004_readiness.sql -- what the readiness computation needs beyond 0002:
-- substitutes as part of a standard version, kit definitions, a note on why
-- a version was made, the history of flood-season declarations, and the
-- indexes that let a past date be summed from the ledger quickly.
-- docs/readiness.md says how these are used.

-- Why an administrator made this version (the audit event carries it too).
ALTER TABLE standard ADD COLUMN change_note TEXT NULL;

-- An item is named at most once per version (and a check at most once), so
-- a substitute can point at "the line of item X in version N".  The seed
-- already refuses duplicates; this makes it a rule of the schema.
ALTER TABLE standard_line
  ADD UNIQUE KEY uk_sl_item (standard_id, item_id),
  ADD UNIQUE KEY uk_sl_check (standard_id, check_code);

-- What may count for a line's item, and at what ratio: ratio units of the
-- line's item per unit of the substitute (a sleeping bag counts as 1 quilt:
-- 1.000; two blankets for one quilt: 0.500).  Part of one standard version,
-- never edited: a change is a new version with its own rows.
CREATE TABLE standard_substitute (
  id                 INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  standard_id        INT UNSIGNED NOT NULL,
  item_id            INT UNSIGNED NOT NULL,  -- the line's own item
  substitute_item_id INT UNSIGNED NOT NULL,
  ratio              DECIMAL(8,3) NOT NULL,
  note               TEXT NULL,
  UNIQUE KEY uk_sub (standard_id, item_id, substitute_item_id),
  KEY ix_sub_item (substitute_item_id),
  CONSTRAINT fk_sub_line FOREIGN KEY (standard_id, item_id)
    REFERENCES standard_line (standard_id, item_id),
  CONSTRAINT fk_sub_item FOREIGN KEY (substitute_item_id) REFERENCES item (id),
  CONSTRAINT ck_sub_ratio CHECK (ratio > 0),
  CONSTRAINT ck_sub_self CHECK (substitute_item_id <> item_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A kit that can be assembled from stock (the family relief kit): readiness
-- reports how many complete kits a town's in-date stock makes.
CREATE TABLE kit (
  id       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code     VARCHAR(48)  NOT NULL,
  name_zh  VARCHAR(96)  NOT NULL,
  name_en  VARCHAR(160) NOT NULL,
  source   TEXT NULL,
  UNIQUE KEY uk_kit_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE kit_line (
  kit_id   INT UNSIGNED NOT NULL,
  item_id  INT UNSIGNED NOT NULL,
  qty      DECIMAL(15,3) NOT NULL,
  note     TEXT NULL,
  PRIMARY KEY (kit_id, item_id),
  CONSTRAINT fk_kl_kit FOREIGN KEY (kit_id) REFERENCES kit (id),
  CONSTRAINT fk_kl_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_kl_qty CHECK (qty > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every declaration of a flood season as it was entered (PUT /flood-seasons/
-- {year}): readiness for a past day uses the season as the system knew it at
-- the end of that day, so declaring the season later does not change an
-- answer already given.  flood_season keeps the current state (the seed
-- writes there); a year without rows here is as the seed left it.
CREATE TABLE flood_season_change (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  region      VARCHAR(48) NOT NULL,
  year        SMALLINT UNSIGNED NOT NULL,
  start_date  DATE NULL,
  end_date    DATE NULL,
  source      TEXT NULL,
  changed_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  changed_by  INT UNSIGNED NULL,
  KEY ix_fsc (region, year, changed_at),
  CONSTRAINT fk_fsc_user FOREIGN KEY (changed_by) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Readiness as of a past day sums each (bin, lot)'s movements recorded
-- before the end of that day.  This index holds every column that sum reads,
-- in group order, so it is one pass over the index without touching the
-- rows (about half the time of ix_mv_bin_lot plus row look-ups on the demo
-- city); the price is one more index entry per movement written.
CREATE INDEX ix_mv_asof ON movement (bin_id, lot_id, recorded_at, qty);

-- The same for the last posted count of each (bin, lot) before that day.
CREATE INDEX ix_st_asof ON stocktake (bin_id, lot_id, status, first_at, second_at);
