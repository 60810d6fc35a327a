// Makes permalinks in the tests, for sessions the app and the CLI would
// never write (a schedule that no longer replays, an unknown preset, a
// damaged scenario): the format of crate/src/link.rs, version 1 — `1.` +
// base64url of LZ4 (size-prepended) of `DS1`, the fields (strings
// varint-length-prefixed) and a 32-bit FNV-1a checksum. The LZ4 block holds literals only (valid LZ4,
// not compressed), which keeps this encoder a few lines long; the tests
// check it against the CLI's decoder.

const varint = (n) => {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s) => {
  const b = [...Buffer.from(s, 'utf8')];
  return [...varint(b.length), ...b];
};
const opt = (s) => (s == null ? [0] : [1, ...str(s)]);
const pairs = (kv) => [...varint(kv.length), ...kv.flatMap(([k, v]) => [...str(k), ...str(v)])];

/** The payload (what follows `#/link/`) of a session. */
export function encode({ scenario, preset = null, set = [], schedule = '', cursor = 0, compare = null }, version = 1) {
  const bytes = [
    ...Buffer.from('DS1'),
    ...str(scenario),
    ...opt(preset),
    ...pairs(set),
    ...str(schedule),
    ...varint(cursor),
    ...(compare ? [1, ...opt(compare.preset ?? null), ...pairs(compare.set ?? [])] : [0]),
  ];
  // 32-bit FNV-1a of the fields, little-endian
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  bytes.push(h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, h >>> 24);
  const n = bytes.length;
  // One LZ4 sequence of n literals and no match.
  const token = [];
  if (n < 15) {
    token.push(n << 4);
  } else {
    token.push(0xf0);
    let r = n - 15;
    for (; r >= 255; r -= 255) token.push(255);
    token.push(r);
  }
  const size = Buffer.alloc(4);
  size.writeUInt32LE(n);
  const packed = Buffer.concat([size, Buffer.from(token), Buffer.from(bytes)]);
  return `${version}.${packed.toString('base64url')}`;
}
