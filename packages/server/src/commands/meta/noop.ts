/** mn: memcached's meta no-op, answered MN; clients end a batch of quiet commands with it. */
import { MetaReplies as M } from '@slabcache/protocol';
import type { Connection } from '../../connection.ts';

export function metaNoop(c: Connection): void {
  c.out.bytes(M.MN);
}
