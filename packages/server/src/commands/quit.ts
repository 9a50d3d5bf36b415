/** quit: closes the connection once earlier replies are written. */
import type { Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';

export function quit(c: Connection, _t: Tokens): void {
  c.closeAfterWrite = true;
}
