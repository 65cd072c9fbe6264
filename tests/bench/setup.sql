-- setup.sql -- scripts/bench's data: @n lots "BENCH-nnnnnn" of one item in
-- the bins of one depot, each received once with a large quantity (so a
-- run of issues never empties a lot), written as the ledger would write
-- them: one receive movement per (bin, lot) with its balance, and the
-- stock row equal to it, so `reliefctl verify-ledger` still passes.
-- Set @n, @depot_code, @item_code and @username before sourcing this.
SET @depot := (SELECT id FROM depot WHERE code = @depot_code);
SET @item := (SELECT id FROM item WHERE code = @item_code);
SET @user := (SELECT id FROM app_user WHERE username = @username);
CREATE TEMPORARY TABLE bench_bin AS
  SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n FROM bin WHERE depot_id = @depot;
SET @nbins := (SELECT COUNT(*) FROM bench_bin);
SET @first := (SELECT IFNULL(MAX(id), 0) FROM lot) + 1;
SET @sql := CONCAT('INSERT INTO lot (item_id, lot_no, expiry_date) SELECT ?, CONCAT(''BENCH-'', LPAD(seq, 6, ''0'')),',
                   ' DATE_ADD(UTC_DATE(), INTERVAL 2 YEAR) FROM seq_1_to_', @n);
PREPARE s FROM @sql;
EXECUTE s USING @item;
DEALLOCATE PREPARE s;
INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty, balance_after, occurred_at,
                      user_id, reason)
  SELECT 'receive', b.id, l.id, @item, @depot, 1000000, 1000000, UTC_TIMESTAMP(6), @user,
         'scripts/bench set-up'
  FROM lot l JOIN bench_bin b ON b.n = l.id % @nbins
  WHERE l.item_id = @item AND l.lot_no LIKE 'BENCH-%' AND l.id >= @first;
INSERT INTO stock (bin_id, lot_id, item_id, depot_id, qty)
  SELECT bin_id, lot_id, item_id, depot_id, balance_after FROM movement
  WHERE kind = 'receive' AND reason = 'scripts/bench set-up' AND lot_id >= @first;
