-- 0003_labels.sql -- QR labels bound to lots in bins, assets, bins and depots,
-- and the print queue a depot's label printer takes its jobs from.

CREATE TABLE label (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code           CHAR(27) CHARACTER SET ascii NOT NULL,  -- labels/code.h short form
  uuid           CHAR(36) CHARACTER SET ascii NOT NULL,
  kind           ENUM('lot','asset','bin','depot') NOT NULL,
  depot_id       INT UNSIGNED NOT NULL,     -- the depot the object is in (scope)
  bin_id         INT UNSIGNED NULL,         -- lot labels: the bin; bin labels: the bin
  lot_id         INT UNSIGNED NULL,
  asset_id       INT UNSIGNED NULL,
  status         ENUM('active','void') NOT NULL DEFAULT 'active',
  replaced_by_id INT UNSIGNED NULL,
  void_reason    VARCHAR(255) NULL,
  created_by     INT UNSIGNED NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  print_count    INT UNSIGNED NOT NULL DEFAULT 0,
  last_printed_at DATETIME(6) NULL,
  last_scanned_at DATETIME(6) NULL,
  -- At most one active label per object: creating labels is idempotent.
  active_target  VARCHAR(64) CHARACTER SET ascii AS (IF(status = 'active',
                   CONCAT(kind, ':', IFNULL(depot_id, ''), ':', IFNULL(bin_id, ''), ':',
                          IFNULL(lot_id, ''), ':', IFNULL(asset_id, '')), NULL)) PERSISTENT,
  UNIQUE KEY uk_label_code (code),
  UNIQUE KEY uk_label_uuid (uuid),
  UNIQUE KEY uk_label_active (active_target),
  KEY ix_label_depot (depot_id, kind),
  KEY ix_label_lot (lot_id),
  CONSTRAINT fk_label_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_label_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_label_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_label_asset FOREIGN KEY (asset_id) REFERENCES asset (id),
  CONSTRAINT fk_label_replaced FOREIGN KEY (replaced_by_id) REFERENCES label (id),
  CONSTRAINT fk_label_user FOREIGN KEY (created_by) REFERENCES app_user (id),
  CONSTRAINT ck_label_target CHECK (
    (kind = 'lot' AND lot_id IS NOT NULL AND bin_id IS NOT NULL AND asset_id IS NULL) OR
    (kind = 'asset' AND asset_id IS NOT NULL AND lot_id IS NULL) OR
    (kind = 'bin' AND bin_id IS NOT NULL AND lot_id IS NULL AND asset_id IS NULL) OR
    (kind = 'depot' AND bin_id IS NULL AND lot_id IS NULL AND asset_id IS NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE depot ADD COLUMN auto_print_labels TINYINT(1) NOT NULL DEFAULT 0;

-- Labels waiting for a depot's printer (filled on receipt when the depot asks).
CREATE TABLE label_print_job (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  depot_id   INT UNSIGNED NOT NULL,
  label_id   INT UNSIGNED NOT NULL,
  status     ENUM('queued','printed','cancelled') NOT NULL DEFAULT 'queued',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  printed_at DATETIME(6) NULL,
  KEY ix_job_depot (depot_id, status),
  CONSTRAINT fk_job_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_job_label FOREIGN KEY (label_id) REFERENCES label (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
