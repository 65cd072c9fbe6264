// router.mjs -- hash routes: #/login, #/scan[/<code>], #/stock[/<depot>], #/queue,
// #/city, #/town[/<code>], #/team/<id>, #/village/<code>,
// #/standards[/<id or code>].
// A label's own address /l/<code> (or /L/<code>, what the QR code holds) is
// turned into #/scan/<code> when the page loads.

export function parseHash(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  return { name: parts[0] || '', params: parts.slice(1) };
}

export function go(name, ...params) {
  const hash = `#/${[name, ...params.map(encodeURIComponent)].join('/')}`;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// /l/<code> -> #/scan/<code> (the address bar shows / with the hash).
export function takeLabelPath() {
  const m = /^\/l\/([^/?#]+)/i.exec(location.pathname);
  if (!m) return null;
  const code = decodeURIComponent(m[1]);
  history.replaceState(null, '', `/#/scan/${encodeURIComponent(code)}`);
  return code;
}

export function onRoute(fn) {
  window.addEventListener('hashchange', () => fn(parseHash()));
}
