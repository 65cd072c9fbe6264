// cli.test.mjs -- `reliefctl forecast` on good and bad CSV files.  No
// database, no settings: only RELIEF_RELIEFCTL (exit 77 without it).
//
// Good files: the output rows, their periods (months roll over the year,
// integers count on) and values worked out by hand for the rules of
// docs/forecasting.md (short series: SBA alpha .1 when a zero is present,
// else SES alpha .2; naive = the last value).  Bad files: exit 2, a message
// naming the file and the line, and no output file written.  A million rows
// go through in seconds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CTL = process.env.RELIEF_RELIEFCTL;
if (!CTL) {
  console.log('# SKIP: RELIEF_RELIEFCTL not set');
  process.exit(77);
}

const dir = mkdtempSync(join(tmpdir(), 'forecast-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The environment without RELIEF_CONFIG: the command needs no settings file.
const env = { ...process.env };
delete env.RELIEF_CONFIG;

let seq = 0;
function run(csv, args = []) {
  const n = ++seq;
  const input = join(dir, `in${n}.csv`);
  const output = join(dir, `out${n}.csv`);
  if (csv !== null) writeFileSync(input, csv);
  const r = spawnSync(CTL, ['forecast', '--input', input, '--output', output, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const out = existsSync(output) ? readFileSync(output, 'utf8') : null;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, out, input };
}

function rows(text) {
  return text.trim().split('\n').map((l) => l.split(','));
}

test('short series: SBA with a zero, SES without; months roll over the year', () => {
  const r = run(
    'series_id,period,value\n' +
      'A,2024-11,2\nA,2024-12,0\nA,2025-01,4\n' + // SBA .1: z 2.2, p 1.1 -> 1.9
      'B,2024-10,5\nB,2024-12,10\nB,2024-11,5\n', // any order; SES .2: 5, 5, 6
    ['--horizon', '2'],
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(rows(r.out), [
    ['series_id', 'period', 'forecast', 'method'],
    ['A', '2025-02', '1.9', 'sba'],
    ['A', '2025-03', '1.9', 'sba'],
    ['B', '2025-01', '6', 'ses'],
    ['B', '2025-02', '6', 'ses'],
  ]);
});

test('integer periods, a named method, extra columns and quoted ids', () => {
  const r = run(
    'note,series_id,value,period\nx,"kit, family",7,8\ny,"kit, family",3,9\nz,"kit, family",0,10\n',
    ['--horizon', '3', '--method', 'naive'],
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.out,
    'series_id,period,forecast,method\n' +
      '"kit, family",11,0,naive\n"kit, family",12,0,naive\n"kit, family",13,0,naive\n',
  );
});

test('--backtest prints the MASE of every method and of auto', () => {
  // 4 series of 48 months: every third month a demand, sizes varying.
  let csv = 'series_id,period,value\n';
  for (let s = 0; s < 4; s++)
    for (let t = 0; t < 48; t++) {
      const v = t % 3 === s % 3 ? 2 + ((t * 7 + s) % 5) : 0;
      csv += `S${s},${1000 + t},${v}\n`;
    }
  const r = run(csv, ['--horizon', '1', '--backtest']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /4 series scored, 0 not scored/);
  for (const m of ['naive', 'ma', 'ses', 'croston', 'sba', 'tsb', 'auto'])
    assert.match(r.stdout, new RegExp(`^${m}\\s+\\d+\\.\\d{4}\\s`, 'm'), m);
  assert.match(r.stdout, /^naive\s+\d+\.\d+\s+0\.0%/m);
  assert.equal(rows(r.out).length, 5);
});

const bad = [
  ['an empty file', '', /:1: the file is empty/],
  ['a header only', 'series_id,period,value\n', /:2: no data rows/],
  ['a missing column', 'series_id,period\nA,1\n', /:1: missing column 'value'/],
  ['a non-numeric value', 'series_id,period,value\nA,1,2\nA,2,two\n', /:3: value 'two' is not a number/],
  ['a negative value', 'series_id,period,value\nA,1,2\nA,2,-1\n', /:3: value -1 is negative/],
  ['NaN', 'series_id,period,value\nA,1,NaN\n', /:2: value 'NaN' is not a number/],
  ['an empty value', 'series_id,period,value\nA,1,\n', /:2: empty value/],
  ['an absurd value', 'series_id,period,value\nA,1,1\nA,2,1e300\n', /:3: value 1e300 is too large/],
  ['a duplicate period', 'series_id,period,value\nA,1,2\nB,1,1\nA,2,2\nA,1,5\n', /:5: duplicate period 1 for series 'A' \(also on line 2\)/],
  ['a missing period', 'series_id,period,value\nA,2024-01,2\nA,2024-02,2\nA,2024-04,1\n', /:4: series 'A' jumps from period 2024-02 \(line 3\) to 2024-04/],
  ['mixed period kinds', 'series_id,period,value\nA,2024-01,2\nA,2,2\n', /:3: period '2' is an integer, but the periods before it are YYYY-MM months/],
  ['a bad month', 'series_id,period,value\nA,2024-13,2\n', /:2: period '2024-13' is not a valid YYYY-MM month/],
  ['a short row', 'series_id,period,value\nA,1,2\nA,2\n', /:3: expected 3 fields/],
  ['broken quoting', 'series_id,period,value\nA,1,"2\n', /:2: malformed quoting/],
  ['an empty series id', 'series_id,period,value\n,1,2\n', /:2: empty series_id/],
];
for (const [what, csv, re] of bad) {
  test(`bad input: ${what} -> exit 2, the line named, no output`, () => {
    const r = run(csv, ['--horizon', '2']);
    assert.equal(r.signal, null);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.includes(r.input), r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.out, null, 'no output file on bad input');
  });
}

test('bad usage: unknown method, missing or bad horizon, missing input file', () => {
  const ok = 'series_id,period,value\nA,1,2\n';
  assert.equal(run(ok, ['--horizon', '2', '--method', 'holt']).status, 2);
  assert.equal(run(ok, []).status, 2);
  assert.equal(run(ok, ['--horizon', '0']).status, 2);
  assert.equal(run(ok, ['--horizon', '3x']).status, 2);
  const r = run(null, ['--horizon', '2']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot open/);
});

test('a million rows in seconds', () => {
  // 10,000 series of 100 periods, rows interleaved across series.
  const parts = ['series_id,period,value\n'];
  for (let t = 0; t < 100; t++) {
    let chunk = '';
    for (let s = 0; s < 10000; s++) chunk += `s${s},${t},${(s * 31 + t * 17) % 7 < 2 ? (s + t) % 9 : 0}\n`;
    parts.push(chunk);
  }
  const t0 = Date.now();
  const r = run(parts.join(''), ['--horizon', '3']);
  const ms = Date.now() - t0;
  assert.equal(r.status, 0, r.stderr);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1 + 30000);
  assert.match(lines[1], /^s0,100,[\d.]+,(naive|ma|ses|croston|sba|tsb)$/);
  console.log(`# 1,000,000 rows: ${ms} ms (${r.stderr.trim()})`);
  assert.ok(ms < 60000, `took ${ms} ms`);
});
