/**
 * increment, decrement and their quiet forms (memcached's complete_incr_bin): the new value
 * as an 8-byte big-endian body and the item's new CAS. A missing key is created with the
 * initial value from the extras, unless the expiration is 0xffffffff (then "Not found").
 */
import { ascii, Binary } from '@slabcache/protocol';
import { Arith, ArithOutput, type ArithResult } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countHit } from '../stats/counters.ts';
import { error, responseHeader } from './reply.ts';
import type { Request } from './request.ts';

const { ARITHMETIC_NO_CREATE, ArithmeticExtras, Opcode: Op, Status } = Binary;

const OUT_OF_MEMORY_INCR = ascii('Out of memory incrementing value');
const OUT_OF_MEMORY_NEW = ascii('Out of memory allocating new item');
const VALUE_LENGTH = 8;

const result = new ArithOutput();

export function arithmetic(c: Connection, r: Request): void {
  const { store, stats } = c.ctx;
  const incr = r.command === Op.INCREMENT;
  const delta = r.extrasU64(ArithmeticExtras.DELTA);
  const cas = r.header.cas;
  let outcome: ArithResult = store.arith(
    r.buf,
    r.key,
    r.keyLength,
    incr,
    delta,
    result,
    null,
    0,
    cas,
  );
  if (outcome === Arith.OK) {
    countHit(stats, incr ? C.incr_hits : C.decr_hits, store.lastClass);
  } else if (outcome === Arith.NOT_FOUND) {
    const exptime = r.extrasU32(ArithmeticExtras.EXPIRATION);
    if (exptime === ARITHMETIC_NO_CREATE) {
      stats[incr ? C.incr_misses : C.decr_misses]++;
      error(c, r, Status.KEY_ENOENT);
      return;
    }
    // memcached stores the initial value as a new item (counted as neither hit nor miss).
    const initial = r.extrasU64(ArithmeticExtras.INITIAL);
    outcome = store.arith(r.buf, r.key, r.keyLength, incr, delta, result, initial, exptime);
    if (outcome === Arith.NO_MEMORY) {
      error(c, r, Status.ENOMEM, OUT_OF_MEMORY_NEW);
      return;
    }
  }
  switch (outcome) {
    case Arith.OK: {
      if (r.quiet) return;
      const body = responseHeader(c, r, Status.SUCCESS, 0, 0, VALUE_LENGTH, result.cas);
      c.out.buf.writeBigUInt64BE(result.value, body);
      c.out.len = body + VALUE_LENGTH;
      return;
    }
    case Arith.NON_NUMERIC:
      error(c, r, Status.DELTA_BADVAL);
      return;
    case Arith.EXISTS:
      error(c, r, Status.KEY_EEXISTS);
      return;
    default:
      error(c, r, Status.ENOMEM, OUT_OF_MEMORY_INCR);
  }
}
