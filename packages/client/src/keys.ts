/**
 * Keys are checked before anything is sent: memcached's text and meta protocols end a key at
 * a space or a control character and refuse keys over 250 bytes, and a bad key sent anyway
 * costs a round trip and, in the text protocol, an error line instead of an answer.
 */
import { BadKeyError, Codes } from './errors.ts';

/** memcached's KEY_MAX_LENGTH. */
export const MAX_KEY_LENGTH = 250;

// Space, C0 controls and DEL end a key on the text wires.
// biome-ignore lint/suspicious/noControlCharactersInRegex: those are the characters refused
const BAD_CHAR = /[\x00-\x20\x7f]/;

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BadKeyError(Codes.BAD_KEY, `key must be a non-empty string: ${String(key)}`);
  }
  if (BAD_CHAR.test(key)) {
    throw new BadKeyError(
      Codes.BAD_KEY,
      `key has a space or control character: ${JSON.stringify(key)}`,
    );
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: only long keys need counting.
  if (key.length * 3 > MAX_KEY_LENGTH && Buffer.byteLength(key) > MAX_KEY_LENGTH) {
    throw new BadKeyError(
      Codes.BAD_KEY,
      `key longer than ${MAX_KEY_LENGTH} bytes: ${key.slice(0, 40)}...`,
    );
  }
}
