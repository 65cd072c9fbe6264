-- 0006_logistics.sql -- emergency events, supply requests and dispatches
-- between depots (docs/logistics.md).
--
-- A town (or a team) asks for items in a supply_request; the city approves
-- it in full or in part; a dispatch allocates approved quantities from one
-- or more source depots (dispatch_line) and each source gets a pick list
-- (dispatch_pick: bin, lot, quantity, first-expiry-first-out).  Shipping a
-- pick writes a `transfer` row and its transfer_out movement, receiving
-- writes transfer_in, so stock in transit is always the transfer's
-- shipped - received - lost, exactly as for a plain transfer.

CREATE TABLE emergency_event (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(32)  NOT NULL,
  name_zh     VARCHAR(96)  NOT NULL,
  name_en     VARCHAR(160) NOT NULL,
  kind        ENUM('typhoon','flood','forest_fire','other') NOT NULL,
  started_on  DATE NOT NULL,
  ended_on    DATE NULL,
  status      ENUM('active','closed') NOT NULL DEFAULT 'active',
  note        TEXT NULL,
  created_by  INT UNSIGNED NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_by   INT UNSIGNED NULL,
  closed_at   DATETIME(6) NULL,
  UNIQUE KEY uk_event_code (code),
  KEY ix_event_status (status, started_on),
  CONSTRAINT fk_event_created FOREIGN KEY (created_by) REFERENCES app_user (id),
  CONSTRAINT fk_event_closed FOREIGN KEY (closed_by) REFERENCES app_user (id),
  CONSTRAINT ck_event_dates CHECK (ended_on IS NULL OR ended_on >= started_on)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The towns (or villages) an event hit.
CREATE TABLE emergency_event_place (
  event_id    INT UNSIGNED NOT NULL,
  org_unit_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (event_id, org_unit_id),
  KEY ix_eplace_org (org_unit_id),
  CONSTRAINT fk_eplace_event FOREIGN KEY (event_id) REFERENCES emergency_event (id),
  CONSTRAINT fk_eplace_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE supply_request (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_unit_id    INT UNSIGNED NOT NULL,     -- the town asking (a team's own org unit)
  team_id        INT UNSIGNED NULL,         -- set when a team asks
  to_depot_id    INT UNSIGNED NOT NULL,     -- where the goods go
  event_id       INT UNSIGNED NULL,
  purpose        ENUM('event','replenishment') NOT NULL,
  status         ENUM('draft','submitted','approved','partially_approved','refused','cancelled',
                      'fulfilled') NOT NULL DEFAULT 'submitted',
  reason         TEXT NULL,                 -- why the requester asks
  needed_by      DATE NULL,
  decision_reason TEXT NULL,                -- refusal / part approval, by the city
  -- set when a forecast plan line was turned into this request
  source_ref     VARCHAR(64) NULL,
  created_by     INT UNSIGNED NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  submitted_at   DATETIME(6) NULL,
  decided_by     INT UNSIGNED NULL,
  decided_at     DATETIME(6) NULL,
  cancelled_by   INT UNSIGNED NULL,
  cancelled_at   DATETIME(6) NULL,
  KEY ix_req_org (org_unit_id, status),
  KEY ix_req_status (status),
  KEY ix_req_event (event_id),
  CONSTRAINT fk_req_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id),
  CONSTRAINT fk_req_team FOREIGN KEY (team_id) REFERENCES team (id),
  CONSTRAINT fk_req_depot FOREIGN KEY (to_depot_id) REFERENCES depot (id),
  CONSTRAINT fk_req_event FOREIGN KEY (event_id) REFERENCES emergency_event (id),
  CONSTRAINT fk_req_created FOREIGN KEY (created_by) REFERENCES app_user (id),
  CONSTRAINT fk_req_decided FOREIGN KEY (decided_by) REFERENCES app_user (id),
  CONSTRAINT fk_req_cancelled FOREIGN KEY (cancelled_by) REFERENCES app_user (id),
  CONSTRAINT ck_req_purpose CHECK (purpose = 'replenishment' OR event_id IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE supply_request_line (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id     INT UNSIGNED NOT NULL,
  item_id        INT UNSIGNED NOT NULL,
  qty_requested  DECIMAL(15,3) NOT NULL,
  qty_approved   DECIMAL(15,3) NULL,        -- NULL until the city decides
  UNIQUE KEY uk_reqline_item (request_id, item_id),
  CONSTRAINT fk_reqline_req FOREIGN KEY (request_id) REFERENCES supply_request (id),
  CONSTRAINT fk_reqline_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT ck_reqline_qty CHECK (qty_requested > 0 AND (qty_approved IS NULL
                                   OR (qty_approved >= 0 AND qty_approved <= qty_requested)))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE dispatch (
  id           INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id   INT UNSIGNED NULL,
  event_id     INT UNSIGNED NULL,
  to_depot_id  INT UNSIGNED NOT NULL,
  status       ENUM('allocated','picking','picked','in_transit','partially_received','received',
                    'closed','cancelled') NOT NULL DEFAULT 'allocated',
  note         TEXT NULL,
  created_by   INT UNSIGNED NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_at    DATETIME(6) NULL,
  cancelled_by INT UNSIGNED NULL,
  cancel_reason VARCHAR(255) NULL,
  KEY ix_dispatch_status (status),
  KEY ix_dispatch_to (to_depot_id, status),
  KEY ix_dispatch_req (request_id),
  KEY ix_dispatch_event (event_id),
  CONSTRAINT fk_dispatch_req FOREIGN KEY (request_id) REFERENCES supply_request (id),
  CONSTRAINT fk_dispatch_event FOREIGN KEY (event_id) REFERENCES emergency_event (id),
  CONSTRAINT fk_dispatch_to FOREIGN KEY (to_depot_id) REFERENCES depot (id),
  CONSTRAINT fk_dispatch_created FOREIGN KEY (created_by) REFERENCES app_user (id),
  CONSTRAINT fk_dispatch_cancelled FOREIGN KEY (cancelled_by) REFERENCES app_user (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One source depot's share of one item.  below_standard_override: the city
-- took the source below its own standard on purpose (who and why recorded).
CREATE TABLE dispatch_line (
  id                 INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dispatch_id        INT UNSIGNED NOT NULL,
  request_line_id    INT UNSIGNED NULL,
  depot_id           INT UNSIGNED NOT NULL,     -- the source
  item_id            INT UNSIGNED NOT NULL,
  qty_allocated      DECIMAL(15,3) NOT NULL,
  distance_km        DECIMAL(9,3) NULL,
  below_standard_override TINYINT(1) NOT NULL DEFAULT 0,
  override_reason    VARCHAR(255) NULL,
  override_by        INT UNSIGNED NULL,
  KEY ix_dline_dispatch (dispatch_id),
  KEY ix_dline_depot (depot_id, item_id),
  KEY ix_dline_reqline (request_line_id),
  CONSTRAINT fk_dline_dispatch FOREIGN KEY (dispatch_id) REFERENCES dispatch (id),
  CONSTRAINT fk_dline_reqline FOREIGN KEY (request_line_id) REFERENCES supply_request_line (id),
  CONSTRAINT fk_dline_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_dline_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT fk_dline_override FOREIGN KEY (override_by) REFERENCES app_user (id),
  CONSTRAINT ck_dline_qty CHECK (qty_allocated > 0),
  CONSTRAINT ck_dline_override CHECK (below_standard_override = 0
                                      OR (override_reason IS NOT NULL AND override_by IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One line of a source's pick list.  Stock is reserved (not moved) while
-- status is open/picked: qty_to_pick - qty_shipped counts as reserved on
-- (bin, lot).  Shipping writes the transfer; a pick ships once (a partly
-- picked pick is split at shipping, the rest stays open as a new pick).
CREATE TABLE dispatch_pick (
  id               INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dispatch_id      INT UNSIGNED NOT NULL,
  dispatch_line_id INT UNSIGNED NOT NULL,
  depot_id         INT UNSIGNED NOT NULL,
  bin_id           INT UNSIGNED NOT NULL,
  lot_id           INT UNSIGNED NOT NULL,
  item_id          INT UNSIGNED NOT NULL,
  seq              SMALLINT UNSIGNED NOT NULL,   -- order on the pick list (FEFO)
  status           ENUM('open','picked','shipped','received','released') NOT NULL DEFAULT 'open',
  qty_to_pick      DECIMAL(15,3) NOT NULL,
  qty_picked       DECIMAL(15,3) NOT NULL DEFAULT 0,
  picked_by        INT UNSIGNED NULL,
  picked_at        DATETIME(6) NULL,
  transfer_id      INT UNSIGNED NULL,
  qty_shipped      DECIMAL(15,3) NOT NULL DEFAULT 0,
  shipped_by       INT UNSIGNED NULL,
  shipped_at       DATETIME(6) NULL,
  qty_received     DECIMAL(15,3) NOT NULL DEFAULT 0,  -- includes damaged (received, then disposed)
  qty_damaged      DECIMAL(15,3) NOT NULL DEFAULT 0,
  qty_short        DECIMAL(15,3) NOT NULL DEFAULT 0,  -- written off in transit (transfer.qty_lost)
  to_bin_id        INT UNSIGNED NULL,
  received_by      INT UNSIGNED NULL,
  received_at      DATETIME(6) NULL,
  KEY ix_pick_dispatch (dispatch_id, seq),
  KEY ix_pick_line (dispatch_line_id),
  KEY ix_pick_binlot (bin_id, lot_id, status),
  KEY ix_pick_depot (depot_id, status),
  UNIQUE KEY uk_pick_transfer (transfer_id),
  CONSTRAINT fk_pick_dispatch FOREIGN KEY (dispatch_id) REFERENCES dispatch (id),
  CONSTRAINT fk_pick_line FOREIGN KEY (dispatch_line_id) REFERENCES dispatch_line (id),
  CONSTRAINT fk_pick_depot FOREIGN KEY (depot_id) REFERENCES depot (id),
  CONSTRAINT fk_pick_bin FOREIGN KEY (bin_id) REFERENCES bin (id),
  CONSTRAINT fk_pick_lot FOREIGN KEY (lot_id) REFERENCES lot (id),
  CONSTRAINT fk_pick_item FOREIGN KEY (item_id) REFERENCES item (id),
  CONSTRAINT fk_pick_transfer FOREIGN KEY (transfer_id) REFERENCES transfer (id),
  CONSTRAINT fk_pick_to_bin FOREIGN KEY (to_bin_id) REFERENCES bin (id),
  CONSTRAINT fk_pick_picked_by FOREIGN KEY (picked_by) REFERENCES app_user (id),
  CONSTRAINT fk_pick_shipped_by FOREIGN KEY (shipped_by) REFERENCES app_user (id),
  CONSTRAINT fk_pick_received_by FOREIGN KEY (received_by) REFERENCES app_user (id),
  CONSTRAINT ck_pick_qty CHECK (qty_to_pick > 0 AND qty_picked >= 0 AND qty_picked <= qty_to_pick
                                AND qty_shipped <= qty_picked AND qty_damaged <= qty_received
                                AND qty_received + qty_short <= qty_shipped)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Issues (and other movements) made for an event.  A new nullable column:
-- existing rows are not touched, the append-only triggers stay as they are.
ALTER TABLE movement ADD COLUMN event_id INT UNSIGNED NULL,
  ADD KEY ix_mv_event (event_id),
  ADD CONSTRAINT fk_mv_event FOREIGN KEY (event_id) REFERENCES emergency_event (id);
