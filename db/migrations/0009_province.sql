-- 0009_province.sql -- province scale (issue 8): a province above the cities,
-- so `reliefctl demo-data --scale province` can hang some 1,600 towns of many
-- cities under one root, and readiness of that root (a caller whose org unit
-- is the province) covers all of them through the same city computation.
-- The new kind goes last: the stored values of the existing kinds keep their
-- ENUM positions, so this ALTER only changes the column's definition.
ALTER TABLE org_unit
  MODIFY kind ENUM('city','subdistrict','town','park','village','community','province') NOT NULL;

