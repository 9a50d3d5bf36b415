/**
 * Values to bytes and back. The client flags of each item say how its bytes were made, with
 * python-memcached's and pylibmc's flag bits, so that a value written by one client reads back
 * as the same type in another:
 *
 * | flag     | bytes                      | written for                 | read back as          |
 * | -------- | -------------------------- | --------------------------- | --------------------- |
 * | 0        | as given                   | Buffer, Uint8Array          | Buffer                |
 * | 1 << 0   | a Python pickle            | (never written here)        | Buffer                |
 * | 1 << 1   | decimal integer (INTEGER)  | (pylibmc writes bools)      | number, or bigint     |
 * | 1 << 2   | decimal integer (LONG)     | safe-integer number, bigint | number, or bigint     |
 * | 1 << 3   | zlib-compressed (modifier) | see compression.ts          |                       |
 * | 1 << 4   | UTF-8 text                 | string                      | string                |
 * | 1 << 5   | JSON (this client's)       | anything else JSON can hold | the parsed value      |
 *
 * Integers read back as numbers when they are safe integers and as bigints otherwise. Flags
 * no serializer knows (another client's) read back as the raw Buffer. A custom Serializer must
 * leave bit 3 (compression) alone: the client owns it.
 */

export interface Serialized {
  value: Uint8Array;
  flags: number;
}

export interface Serializer {
  serialize(value: unknown): Serialized;
  deserialize(value: Buffer, flags: number): unknown;
}

export const Flags = {
  BYTES: 0,
  PICKLE: 1 << 0,
  INTEGER: 1 << 1,
  LONG: 1 << 2,
  COMPRESSED: 1 << 3,
  TEXT: 1 << 4,
  JSON: 1 << 5,
} as const;

/** The flag bits that name a type (everything but the compression modifier). */
const TYPE_BITS = Flags.PICKLE | Flags.INTEGER | Flags.LONG | Flags.TEXT | Flags.JSON;

export const defaultSerializer: Serializer = {
  serialize(value) {
    if (typeof value === 'string') return { value: Buffer.from(value, 'utf8'), flags: Flags.TEXT };
    if (value instanceof Uint8Array) return { value, flags: Flags.BYTES };
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) {
      return { value: Buffer.from(value.toString(), 'latin1'), flags: Flags.LONG };
    }
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`cannot store a value of type ${typeof value}`);
    }
    return { value: Buffer.from(JSON.stringify(value), 'utf8'), flags: Flags.JSON };
  },

  deserialize(value, flags) {
    switch (flags & TYPE_BITS) {
      case Flags.TEXT:
        return value.toString('utf8');
      case Flags.INTEGER:
      case Flags.LONG: {
        const n = BigInt(value.toString('latin1'));
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(n)
          : n;
      }
      case Flags.JSON:
        return JSON.parse(value.toString('utf8'));
      default:
        return value;
    }
  },
};
