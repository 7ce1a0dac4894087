/**
 * A key's Redis Cluster hash slot, exactly as Redis computes it (cluster.c keyHashSlot):
 * CRC16 (XMODEM) of the hash tag, else of the whole key, modulo 16384. Written out because
 * cluster-key-slot 1.1.1 gets one case wrong: after an empty tag (`foo{}{bar}`) it hashes `{bar`
 * where Redis hashes the whole key.
 */

/** The bytes Redis hashes: the first `{`, then the first `}` after it; non-empty between them. */
export function hashTagOf(key: Buffer): Buffer | undefined {
  const open = key.indexOf(0x7b);
  if (open < 0) return undefined;
  const close = key.indexOf(0x7d, open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.subarray(open + 1, close);
}

const CRC16_TABLE = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The hash slot (0 … 16383) of a key given as bytes, or as text (its UTF-8 bytes). */
export function hashSlot(key: Buffer | string): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return crc16(hashTagOf(bytes) ?? bytes) & 0x3fff;
}
