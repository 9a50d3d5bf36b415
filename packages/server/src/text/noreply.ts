/** memcached's set_noreply_maybe: a last token "noreply" silences the command's reply. */
import { ascii, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';

const NOREPLY = ascii('noreply');

export function noreplyMaybe(c: Connection, t: Tokens): boolean {
  if (t.count > 1 && t.is(t.count - 1, NOREPLY)) c.noreply = true;
  return c.noreply;
}
