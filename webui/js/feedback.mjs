// feedback.mjs -- sound and vibration after a scan or an action: a short high
// double beep on success, a long low buzz on refusal (distinct by pitch,
// length and rhythm, so they differ also for people who hear one pitch badly).

let ctx = null;

function audio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  if (!ctx) {
    try { ctx = new AC(); } catch { return null; }
  }
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  return ctx;
}

// Browsers allow sound only after a user gesture: unlock on the first one.
export function unlockAudio() {
  const once = () => { audio(); window.removeEventListener('pointerdown', once);
                       window.removeEventListener('keydown', once); };
  window.addEventListener('pointerdown', once);
  window.addEventListener('keydown', once);
}

function tone(freq, start, dur, type = 'sine', gain = 0.2) {
  const a = audio();
  if (!a) return;
  const o = a.createOscillator();
  const g = a.createGain();
  o.type = type;
  o.frequency.value = freq;
  g.gain.value = gain;
  o.connect(g).connect(a.destination);
  const t0 = a.currentTime + start;
  o.start(t0);
  o.stop(t0 + dur);
}

function vibrate(pattern) {
  if (navigator.vibrate) {
    try { navigator.vibrate(pattern); } catch { /* not allowed */ }
  }
}

export function success() {
  tone(1320, 0, 0.07);
  tone(1760, 0.1, 0.07);
  vibrate(60);
}

export function refusal() {
  tone(196, 0, 0.45, 'square', 0.15);
  vibrate([250, 120, 250]);
}

// Queued (no network): one neutral mid beep.
export function queued() {
  tone(880, 0, 0.12);
  vibrate(30);
}
