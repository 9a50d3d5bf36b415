/** version: "VERSION <memcached-compatible version>". */
import type { Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';

export function version(c: Connection, _t: Tokens): void {
  c.out.text(`VERSION ${c.ctx.version}\r\n`);
}
