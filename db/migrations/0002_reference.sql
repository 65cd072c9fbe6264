-- 0002_reference.sql -- reference data that later features read: reserve
-- standards (versioned), flood seasons, the village "ten haves", settings.

CREATE TABLE standard (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(48)  NOT NULL,    -- e.g. town_reserve, team:forest_semi_pro
  version     INT UNSIGNED NOT NULL,
  kind        ENUM('town_reserve','team_equipment','village_ten_haves') NOT NULL,
  team_kind   VARCHAR(32)  NULL,
  name_zh     VARCHAR(96)  NOT NULL,
  name_en     VARCHAR(160) NOT NULL,
  reference_headcount INT UNSIGNED NULL,
  source      TEXT NULL,
  created_by  INT UNSIGNED NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_standard (code, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE standard_line (
  id                 INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  standard_id        INT UNSIGNED NOT NULL,
  item_id            INT UNSIGNED NULL,
  check_code         VARCHAR(16)  NULL,  -- ten-haves lines name a check, not an item
  basis              ENUM('per_500_persons','per_person','per_team','fixed','check') NOT NULL,
  qty                DECIMAL(15,3) NOT NULL DEFAULT 0,
  min_shelf_months   SMALLINT UNSIGNED NULL,
  note               TEXT NULL,
  source             TEXT NULL,
  KEY ix_sl_standard (standard_id),
  CONSTRAINT fk_sl_standard FOREIGN KEY (standard_id) REFERENCES standard (id),
  CONSTRAINT fk_sl_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_sl_qty CHECK (qty >= 0),
  CONSTRAINT ck_sl_target CHECK (item_id IS NOT NULL OR check_code IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE flood_season (
  id       INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  region   VARCHAR(48) NOT NULL,
  year     SMALLINT UNSIGNED NULL,
  start_md CHAR(5) NULL,             -- climatological rows: MM-DD
  end_md   CHAR(5) NULL,
  start_date DATE NULL,              -- declared rows
  end_date   DATE NULL,
  source   TEXT NULL,
  UNIQUE KEY uk_season (region, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE ten_have_check (
  code          VARCHAR(16)  NOT NULL PRIMARY KEY,
  name_zh       VARCHAR(64)  NOT NULL,
  name_en       VARCHAR(128) NOT NULL,
  what_is_checked TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE setting (
  name  VARCHAR(64) NOT NULL PRIMARY KEY,
  value VARCHAR(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO setting (name, value) VALUES
  ('season_default_start', '04-01'),
  ('season_default_end', '10-15'),
  ('readiness_green_pct', '100'),
  ('readiness_amber_pct', '80'),
  ('stocktake_max_age_days', '180');
