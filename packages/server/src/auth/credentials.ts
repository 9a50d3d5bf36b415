/**
 * Usernames and passwords for SASL PLAIN (-S) and ascii auth (-Y). Both read memcached's
 * simple format: one `username:password` per line (memcached's -Y file, and the file its
 * built-in SASL password database reads from the MEMCACHED_SASL_PWDB environment variable).
 * The main thread reads the file once; workers get the parsed pairs.
 */

import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type CredentialPairs = [user: string, password: string][];

export class CredentialsError extends Error {
  readonly code = 'SLAB_ERR_CREDENTIALS';
}

/** Parses `user:password` lines; blank lines are skipped, a line without ':' is an error. */
export function parseCredentials(text: string, source: string): CredentialPairs {
  const pairs: CredentialPairs = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new CredentialsError(`${source}:${i + 1}: expected username:password`);
    }
    pairs.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  if (pairs.length === 0) throw new CredentialsError(`${source}: no username:password lines`);
  return pairs;
}

export function loadCredentials(path: string): CredentialPairs {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CredentialsError(
      `cannot read auth file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return parseCredentials(text, path);
}

/** Checks a username and password given as bytes, comparing passwords in constant time. */
export class Credentials {
  private readonly byUser = new Map<string, Buffer>();

  constructor(pairs: CredentialPairs) {
    for (const [user, password] of pairs) this.byUser.set(user, Buffer.from(password, 'utf8'));
  }

  check(user: Uint8Array, password: Uint8Array): boolean {
    const expected = this.byUser.get(Buffer.from(user).toString('utf8'));
    if (expected === undefined || expected.length !== password.length) return false;
    return timingSafeEqual(expected, password);
  }
}
