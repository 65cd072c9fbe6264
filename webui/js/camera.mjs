// camera.mjs -- scanning QR codes with the phone's camera.
//
// getUserMedia({video: {facingMode: 'environment'}}) into a <video>; frames are
// decoded with the browser's BarcodeDetector where it has one (Android
// Chrome), else with jsQR (npm package jsqr, served by reliefd from
// webui/node_modules, loaded on first use) on a downscaled canvas.
// The <video> element lives as long as the page, so a re-rendered scan page
// (language switch) keeps the running camera.

const JSQR_SRC = '/node_modules/jsqr/dist/jsQR.js';
const MAX_W = 640; // decode at most this wide: fast enough on cheap phones
const INTERVAL_MS = 150;

export const video = document.createElement('video');
video.setAttribute('playsinline', '');
video.setAttribute('aria-hidden', 'true');
video.muted = true;
video.className = 'camera-video';

let stream = null;
let loop = null;
let detector = null;
let onCode = null;
let lastText = '';
let lastAt = 0;
const canvas = document.createElement('canvas');
const ctx2d = canvas.getContext('2d', { willReadFrequently: true });

export const running = () => !!stream;

export const supported = () => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

let jsqrP = null;
function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!jsqrP) {
    jsqrP = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = JSQR_SRC;
      s.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error('jsQR missing')));
      s.onerror = () => { jsqrP = null; reject(new Error('jsQR could not be loaded')); };
      document.head.append(s);
    });
  }
  return jsqrP;
}

async function makeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes('qr_code')) return null;
    return new window.BarcodeDetector({ formats: ['qr_code'] });
  } catch {
    return null;
  }
}

async function decodeFrame() {
  if (!stream || video.readyState < 2 || !video.videoWidth) return null;
  if (detector) {
    const codes = await detector.detect(video);
    return codes.length ? codes[0].rawValue : null;
  }
  const scale = Math.min(1, MAX_W / video.videoWidth);
  const w = Math.round(video.videoWidth * scale);
  const hgt = Math.round(video.videoHeight * scale);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  ctx2d.drawImage(video, 0, 0, w, hgt);
  const img = ctx2d.getImageData(0, 0, w, hgt);
  const res = window.jsQR(img.data, w, hgt, { inversionAttempts: 'attemptBoth' });
  return res ? res.data : null;
}

// Start the camera; `cb(text)` gets every decoded text (the same text again
// only after 2.5 s).  Rejects with the getUserMedia error (NotAllowedError,
// NotFoundError, ...) or when no decoder can be loaded.
export async function start(cb) {
  onCode = cb;
  if (stream) return;
  detector = await makeDetector();
  if (!detector) await loadJsQR();
  stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  video.srcObject = stream;
  await video.play().catch(() => {});
  let busy = false;
  loop = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const text = await decodeFrame();
      const now = Date.now();
      if (text && (text !== lastText || now - lastAt > 2500)) {
        lastText = text;
        lastAt = now;
        if (onCode) onCode(text);
      }
    } catch (e) {
      console.warn('decode', e);
    } finally {
      busy = false;
    }
  }, INTERVAL_MS);
}

export function stop() {
  if (loop) clearInterval(loop);
  loop = null;
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
  video.srcObject = null;
  onCode = null;
}
