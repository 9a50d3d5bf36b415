/**
 * set, add, replace, append, prepend and their quiet forms (memcached's process_bin_update,
 * process_bin_append_prepend and complete_update_bin). A non-zero CAS in the header makes
 * set/add/replace a compare-and-swap, and append/prepend check it too. A value too large for
 * an item is answered at once and skipped without being buffered; otherwise the value is
 * stored straight from the read buffer once the whole packet is in.
 */
import { ascii, Binary } from '@slabcache/protocol';
import { Mode, Stored, type WriteMode } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countStore } from '../stats/counters.ts';
import { error, success } from './reply.ts';
import type { Request } from './request.ts';

const { Opcode: Op, Status, StorageExtras } = Binary;

/** memcached's out_of_memory() text in the binary protocol (its "SERVER_ERROR " dropped). */
const OUT_OF_MEMORY = ascii('Out of memory allocating item');

const MODES: Partial<Record<number, WriteMode>> = {
  [Op.SET]: Mode.SET,
  [Op.ADD]: Mode.ADD,
  [Op.REPLACE]: Mode.REPLACE,
  [Op.APPEND]: Mode.APPEND,
  [Op.PREPEND]: Mode.PREPEND,
};

/** Returns the position after the packet, `r.start` while the value is still arriving. */
export function storage(c: Connection, r: Request, end: number): number {
  const { store, stats } = c.ctx;
  const cmd = r.command;
  const klen = r.keyLength;
  const vlen = r.header.valueLength;
  if (store.tooLarge(klen, vlen)) {
    stats[C.store_too_large]++;
    error(c, r, Status.E2BIG);
    // memcached drops the old value when a set fails, so no stale data outlives it.
    if (cmd === Op.SET) store.delete(r.buf, r.key, klen);
    return c.swallow(r.keyEnd, end, vlen);
  }
  if (end < r.end) return r.start;
  const concat = cmd === Op.APPEND || cmd === Op.PREPEND;
  const flags = concat ? 0 : r.extrasU32(StorageExtras.FLAGS);
  const exptime = concat ? 0 : r.extrasU32(StorageExtras.EXPIRATION);
  const cas = r.header.cas;
  const mode = MODES[cmd]!;
  const result = store.write(mode, r.buf, r.key, klen, r.buf, r.keyEnd, vlen, flags, exptime, cas);
  // memcached turns set/add/replace with a CAS into a cas command, counted as one.
  const isCas = cas !== 0 && !concat && store.settings.cas;
  countStore(stats, result, isCas, store.lastClass);
  switch (result) {
    case Stored.STORED:
      success(c, r, store.lastCas);
      break;
    case Stored.EXISTS:
      error(c, r, Status.KEY_EEXISTS);
      break;
    case Stored.NOT_FOUND:
      error(c, r, Status.KEY_ENOENT);
      break;
    case Stored.TOO_LARGE:
      error(c, r, Status.E2BIG);
      break;
    case Stored.NO_MEMORY:
      error(c, r, Status.ENOMEM, OUT_OF_MEMORY);
      break;
    default:
      // memcached's complete_update_bin: a failed add means the key exists, a failed
      // replace that it does not; anything else (append, prepend, cas) is "Not stored.".
      if (isCas) error(c, r, Status.NOT_STORED);
      else if (cmd === Op.ADD) error(c, r, Status.KEY_EEXISTS);
      else if (cmd === Op.REPLACE) error(c, r, Status.KEY_ENOENT);
      else error(c, r, Status.NOT_STORED);
  }
  return r.end;
}
