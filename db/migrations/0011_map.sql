-- 0011_map.sql -- the offline "one map" (应急一张图): city-wide layers and
-- town boundaries (docs/map.md).
--
-- Points live where they belong (org_unit, depot, team: lat/lon columns,
-- WGS84).  Areas are kept here as GeoJSON text: the map draws them in the
-- browser and the server only checks them (domain/geo.c) and serves them, so
-- no spatial types or GIS extension are needed in the database.  The bbox is
-- kept beside the text so a layer can be placed without parsing it.

-- Whole-city layers loaded by `reliefctl seed` (the city outline).
CREATE TABLE map_layer (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(32)  NOT NULL,          -- 'outline'
  name_zh     VARCHAR(96)  NOT NULL,
  name_en     VARCHAR(160) NOT NULL,
  source      VARCHAR(512) NULL,
  geojson     MEDIUMTEXT   NOT NULL,          -- one Feature (Polygon or MultiPolygon)
  positions   INT UNSIGNED NOT NULL,
  min_lon     DECIMAL(9,6) NOT NULL,
  min_lat     DECIMAL(9,6) NOT NULL,
  max_lon     DECIMAL(9,6) NOT NULL,
  max_lat     DECIMAL(9,6) NOT NULL,
  loaded_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_map_layer_code (code),
  CONSTRAINT ck_map_layer_bbox CHECK (min_lon <= max_lon AND min_lat <= max_lat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A town-level unit's boundary, once official boundaries are imported
-- (POST /api/v1/map/boundaries, `reliefctl map-import`).  One row per unit:
-- a later import replaces it; who and when is in audit_event.
CREATE TABLE org_unit_boundary (
  org_unit_id INT UNSIGNED NOT NULL PRIMARY KEY,
  geometry    MEDIUMTEXT   NOT NULL,          -- a GeoJSON Polygon or MultiPolygon object
  source      VARCHAR(255) NULL,
  positions   INT UNSIGNED NOT NULL,
  min_lon     DECIMAL(9,6) NOT NULL,
  min_lat     DECIMAL(9,6) NOT NULL,
  max_lon     DECIMAL(9,6) NOT NULL,
  max_lat     DECIMAL(9,6) NOT NULL,
  loaded_by   INT UNSIGNED NULL,              -- NULL: loaded from the command line
  loaded_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  CONSTRAINT fk_boundary_org FOREIGN KEY (org_unit_id) REFERENCES org_unit (id),
  CONSTRAINT fk_boundary_user FOREIGN KEY (loaded_by) REFERENCES app_user (id),
  CONSTRAINT ck_boundary_bbox CHECK (min_lon <= max_lon AND min_lat <= max_lat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
