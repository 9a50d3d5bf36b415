/**
 * MurmurHash3 (x86, 32-bit) over a byte range: memcached's default hash_algorithm. It reads
 * the key where it lies, so no key is ever turned into a string.
 */
export function murmur3(data: Uint8Array, off: number, len: number, seed = 0): number {
  let h = seed | 0;
  const end4 = off + (len & ~3);
  let i = off;
  while (i < end4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    i += 4;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let k = data[i];
    if (rest > 1) k |= data[i + 1] << 8;
    if (rest > 2) k |= data[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
