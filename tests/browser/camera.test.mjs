// Camera scanning: chromium's fake camera plays a video file showing a label's
// QR code; the scan page decodes it (jsQR on a canvas: this Chromium has no
// BarcodeDetector) and opens the record.  The frame is drawn here from the
// module matrix that the `qrencode` command prints (Debian package qrencode),
// written as a raw Y4M video, so no image library is needed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  requireBrowser, launch, useServer, freshLot, standInLabels, loginThroughForm, textOf, onHand, watch,
} from './lib/browser.mjs';

const pw = await requireBrowser();
const h = useServer();
const dir = mkdtempSync(join(tmpdir(), 'relief-camera-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function haveQrencode() {
  try {
    execFileSync('qrencode', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The dark/light modules of `text` (quiet zone included), from qrencode's
// ASCII output: two characters per module, '#' for dark.
function qrMatrix(text) {
  const out = execFileSync('qrencode', ['-t', 'ASCII', '-l', 'M', '-m', '4', text], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length).map((l) => {
    const row = [];
    for (let i = 0; i < l.length; i += 2) row.push(l[i] === '#');
    return row;
  });
}

// A Y4M video (4:2:0, grey) of a few identical frames showing the matrix.
function writeY4m(path, matrix, { width = 640, height = 480, frames = 3 } = {}) {
  const n = matrix.length;
  const scale = Math.floor(Math.min(width, height) * 0.8 / n);
  const x0 = Math.floor((width - n * scale) / 2);
  const y0 = Math.floor((height - n * scale) / 2);
  const y = Buffer.alloc(width * height, 235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (matrix[r][c])
        for (let dy = 0; dy < scale; dy++)
          y.fill(16, (y0 + r * scale + dy) * width + x0 + c * scale,
                 (y0 + r * scale + dy) * width + x0 + (c + 1) * scale);
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), y, chroma, chroma);
  writeFileSync(path, Buffer.concat(parts));
}

test('the camera reads a label\'s QR code and opens the record', { skip: !haveQrencode() && 'qrencode not installed' }, async () => {
  const fx = await freshLot(h, { qty: 12 });
  const video = join(dir, 'label.y4m');
  // What the printed label carries: its URL, in upper case (QR alphanumeric mode).
  writeY4m(video, qrMatrix(fx.url));
  const B = await launch(pw, [
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`,
  ]);
  try {
    const context = await B.browser.newContext({ viewport: { width: 390, height: 844 }, permissions: ['camera'] });
    await standInLabels(context, fx);
    const page = await context.newPage();
    const log = watch(page);
    await loginThroughForm(page, h.base);
    await page.getByTestId('camera-toggle').click();
    await textOf(page, 'camera-status', /二维码/); // "hold the QR code in the picture": running
    assert.equal(await textOf(page, 'lot-no', undefined, { timeoutMs: 20000 }), fx.lotNo, log.join('\n'));
    assert.equal(await onHand(page), '12 顶');
    assert.equal(await page.evaluate(() => typeof window.jsQR), 'function', 'decoded with jsQR');
    await page.getByTestId('camera-toggle').click(); // stop
    await textOf(page, 'camera-toggle', '开启摄像头');
  } finally {
    await B.close();
  }
});
