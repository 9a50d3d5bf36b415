/**
 * get, getq, getk, getkq, touch, gat, gatq, gatk, gatkq (memcached's
 * process_bin_get_or_touch). A hit answers the item's flags as extras and its CAS, the key
 * for the K forms, the value for all but touch; quiet forms answer hits only. A miss is
 * "Not found", or for the K forms the key alone.
 */
import { Binary } from '@slabcache/protocol';
import { type ItemReader, type ItemView, Read } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { countRead } from '../stats/counters.ts';
import { error, responseHeader } from './reply.ts';
import type { Request } from './request.ts';

const { GetResponseExtras, Opcode: Op, Status, TouchExtras } = Binary;

/** Writes a hit straight from the item into the connection's output, under the item's lock. */
class HitWriter implements ItemReader {
  c: Connection | null = null;
  r: Request | null = null;
  withKey = false;
  withValue = false;

  onHit(item: ItemView): void {
    const c = this.c!;
    const r = this.r!;
    const klen = this.withKey ? r.keyLength : 0;
    const vlen = this.withValue ? item.valueLength : 0;
    const flagsLength = GetResponseExtras.LENGTH;
    const body = responseHeader(
      c,
      r,
      Status.SUCCESS,
      klen,
      flagsLength,
      flagsLength + klen + vlen,
      item.cas,
    );
    const out = c.out;
    Binary.writeU32(out.buf, body + GetResponseExtras.FLAGS, item.flags);
    out.len = body + flagsLength;
    if (klen > 0) out.range(r.buf, r.key, r.keyEnd);
    if (vlen > 0) item.copyValue(out.buf, out.len);
    out.len += vlen;
  }
}

const hit = new HitWriter();

export function getOrTouch(c: Connection, r: Request): void {
  const { store, stats } = c.ctx;
  const cmd = r.command;
  const touch = cmd === Op.TOUCH || cmd === Op.GAT || cmd === Op.GATK;
  const withKey = cmd === Op.GETK || cmd === Op.GATK;
  hit.c = c;
  hit.r = r;
  hit.withKey = withKey;
  hit.withValue = cmd !== Op.TOUCH;
  const result = touch
    ? store.getAndTouch(r.buf, r.key, r.keyLength, r.extrasU32(TouchExtras.EXPIRATION), hit)
    : store.get(r.buf, r.key, r.keyLength, hit);
  hit.c = null;
  hit.r = null;
  countRead(stats, result, touch, store.lastClass);
  if (result === Read.HIT || r.quiet) return;
  if (withKey) {
    // memcached's write_bin_miss_response: the key, and no text.
    responseHeader(c, r, Status.KEY_ENOENT, r.keyLength, 0, r.keyLength, 0);
    c.out.range(r.buf, r.key, r.keyEnd);
  } else {
    error(c, r, Status.KEY_ENOENT);
  }
}
