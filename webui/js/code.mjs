// code.mjs -- label codes as scanned or typed (mirrors labels/src/code.c).
//
// A code is 27 characters: a UUID in Crockford base 32 (26) + a Luhn mod 32
// check character.  Parsing is forgiving the same way the server is: lower
// case, I/L read as 1, O as 0, hyphens and spaces ignored.  A scanned QR code
// or a handheld scanner gives the whole URL `<base>/L/<code>`: the code is
// what follows /L/ (or /l/).  Checking here lets a typo be refused at once,
// also offline, instead of resolving to nothing.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LEN = 27;

function symbolValue(c) {
  c = c.toUpperCase();
  if (c === 'O') return 0;
  if (c === 'I' || c === 'L') return 1;
  return ALPHABET.indexOf(c);
}

function luhn32(v) {
  let sum = 0;
  let factor = 2;
  for (let i = v.length - 1; i >= 0; i--) {
    const add = factor * v[i];
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(add / 32) + (add % 32);
  }
  return (32 - (sum % 32)) % 32;
}

// The text after /L/ when the input is a label URL, else the input itself.
export function extractCode(input) {
  const s = String(input || '').trim();
  const m = /\/l\/([^/?#\s]+)/i.exec(s);
  return m ? decodeURIComponent(m[1]) : s;
}

// The canonical code, or null when the text is not a well-formed code.
export function parseCode(input) {
  const text = extractCode(input);
  const v = [];
  for (const ch of text) {
    if (ch === '-' || ch === ' ') continue;
    const s = symbolValue(ch);
    if (s < 0 || v.length === CODE_LEN) return null;
    v.push(s);
  }
  if (v.length !== CODE_LEN || v[0] > 7) return null;
  if (luhn32(v.slice(0, 26)) !== v[26]) return null;
  return v.map((x) => ALPHABET[x]).join('');
}
