/**
 * delete and deleteq (memcached's process_bin_delete): with a non-zero CAS only when it
 * matches the item's.
 */
import { Binary } from '@slabcache/protocol';
import { Deleted } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countHit } from '../stats/counters.ts';
import { error, success } from './reply.ts';
import type { Request } from './request.ts';

const { Status } = Binary;

export function deleteCommand(c: Connection, r: Request): void {
  const { store, stats } = c.ctx;
  const result = store.delete(r.buf, r.key, r.keyLength, r.header.cas);
  if (result === Deleted.DELETED) {
    countHit(stats, C.delete_hits, store.lastClass);
    success(c, r);
  } else if (result === Deleted.EXISTS) {
    error(c, r, Status.KEY_EEXISTS);
  } else {
    stats[C.delete_misses]++;
    error(c, r, Status.KEY_ENOENT);
  }
}
