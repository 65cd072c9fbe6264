-- 0005_checks.sql -- the pre-season readiness check of a town
-- (docs/readiness.md, "Pre-season check"): a town opens it for a season,
-- the computed part is the readiness answer, the manual part is answered
-- item by item, the town official signs (a stored snapshot), the city
-- auditor accepts it or returns it with a comment.

-- The manual items every check starts with (fixed data, in this order).
CREATE TABLE check_item_template (
  code      VARCHAR(16)  NOT NULL PRIMARY KEY,
  sort      SMALLINT UNSIGNED NOT NULL,
  label_zh  VARCHAR(96)  NOT NULL,
  label_en  VARCHAR(160) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO check_item_template (code, sort, label_zh, label_en) VALUES
  ('WH-DRY',     1, '仓库干燥通风', 'Warehouse dry and ventilated'),
  ('WH-FIRE',    2, '灭火器配备齐全且在有效期内', 'Fire extinguishers present and in date'),
  ('WH-ROAD',    3, '仓库进出道路畅通', 'Access road to the warehouse passable'),
  ('WH-DUTY',    4, '值班表已张贴，值守人员落实', 'Duty roster posted and staffed'),
  ('WH-POWER',   5, '照明及备用电源可用', 'Lighting and backup power working'),
  ('WH-LEDGER',  6, '物资台账与库存相符', 'Inventory ledger matches the stock on the shelves'),
  ('WH-STACK',   7, '物资分类存放、离地离墙', 'Stock sorted, off the floor and away from walls'),
  ('WH-CONTACT', 8, '调运车辆及联系人落实', 'Transport vehicles and contacts arranged');

CREATE TABLE readiness_check (
  id               INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_unit_id      INT UNSIGNED NOT NULL,
  season_year      SMALLINT UNSIGNED NOT NULL,
  status           ENUM('open','signed','accepted','returned') NOT NULL DEFAULT 'open',
  standard_id      INT UNSIGNED NULL,      -- of the computed part (town_reserve)
  standard_version INT UNSIGNED NULL,
  computed         MEDIUMTEXT NOT NULL,    -- the readiness answer at open / refresh
  computed_at      DATETIME(6) NOT NULL,
  opened_by        INT UNSIGNED NOT NULL,
  opened_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  signed_by        INT UNSIGNED NULL,
  signed_at        DATETIME(6) NULL,
  sign_count       INT UNSIGNED NOT NULL DEFAULT 0,
  snapshot         MEDIUMTEXT NULL,        -- what was signed: readiness + answers
  snapshot_sha256  CHAR(64) CHARACTER SET ascii NULL,
  reviewed_by      INT UNSIGNED NULL,
  reviewed_at      DATETIME(6) NULL,
  review_comment   TEXT NULL,
  UNIQUE KEY uk_check (org_unit_id, season_year),
  KEY ix_check_status (status),
  CONSTRAINT fk_check_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id),
  CONSTRAINT fk_check_std FOREIGN KEY (standard_id) REFERENCES standard (id),
  CONSTRAINT fk_check_opened FOREIGN KEY (opened_by) REFERENCES app_user (id),
  CONSTRAINT fk_check_signed FOREIGN KEY (signed_by) REFERENCES app_user (id),
  CONSTRAINT fk_check_reviewed FOREIGN KEY (reviewed_by) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One question of a check: a manual item (check_item_template) or one of
-- the village "ten haves" (ten_have_check) for one village of the town.
CREATE TABLE check_item (
  id           INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  check_id     INT UNSIGNED NOT NULL,
  sort         INT UNSIGNED NOT NULL,
  code         VARCHAR(16)  NOT NULL,
  kind         ENUM('manual','ten_have') NOT NULL,
  village_id   INT UNSIGNED NULL,
  label_zh     VARCHAR(200) NOT NULL,
  label_en     VARCHAR(320) NOT NULL,
  answer       ENUM('yes','no','na') NULL,
  comment      TEXT NULL,
  answered_by  INT UNSIGNED NULL,
  answered_at  DATETIME(6) NULL,
  KEY ix_ci_check (check_id, sort),
  CONSTRAINT fk_ci_check FOREIGN KEY (check_id) REFERENCES readiness_check (id),
  CONSTRAINT fk_ci_village FOREIGN KEY (village_id) REFERENCES org_unit (id),
  CONSTRAINT fk_ci_user FOREIGN KEY (answered_by) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
