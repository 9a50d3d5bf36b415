/**
 * set / add / replace / append / prepend / cas <key> <flags> <exptime> <bytes> [<cas>]
 * [noreply], then a data block of <bytes> and \r\n. The header is checked first (memcached's
 * process_update_command); the store is written once the whole block is in (completeStorage),
 * straight from the read buffer when the block arrived with its header.
 */
import { parseI32, parseU32, parseU64Number, Replies, type Tokens } from '@slabcache/protocol';
import {
  MAX_KEY_LENGTH,
  Mode,
  Stored,
  type StoreResult,
  type WriteExtras,
  type WriteMode,
} from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { C, countStore } from '../stats/counters.ts';
import { noreplyMaybe } from '../text/noreply.ts';

export const StoreCommand = {
  SET: Mode.SET,
  ADD: Mode.ADD,
  REPLACE: Mode.REPLACE,
  APPEND: Mode.APPEND,
  PREPEND: Mode.PREPEND,
  CAS: Mode.CAS,
} as const;

/** The parsed header of a storage command, kept while its data block arrives. */
export interface StorageRequest {
  mode: WriteMode;
  key: Buffer;
  keyLength: number;
  flags: number;
  exptime: number;
  length: number;
  cas: number;
  noreply: boolean;
  /** What runs when the data block is complete: completeStorage for the classic commands;
   * meta set and ascii auth bring their own. */
  complete: (c: Connection, value: Buffer, off: number) => void;
}

export function beginStorage(
  c: Connection,
  t: Tokens,
  mode: WriteMode,
  buf: Buffer,
  next: number,
  end: number,
): number {
  noreplyMaybe(c, t);
  const klen = t.length(1);
  if (klen > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return next;
  }
  const flags = parseU32(buf, t.start(2), t.end(2));
  const exptime = parseI32(buf, t.start(3), t.end(3));
  const length = parseI32(buf, t.start(4), t.end(4));
  if (flags < 0 || Number.isNaN(exptime) || Number.isNaN(length)) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return next;
  }
  let cas = 0;
  if (mode === StoreCommand.CAS) {
    cas = parseU64Number(buf, t.start(5), t.end(5));
    if (cas < 0) {
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return next;
    }
  }
  // A bad length leaves the data block unread: memcached then parses it as a command too.
  if (length < 0 || length > 0x7ffffffd) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return next;
  }
  const { store, stats } = c.ctx;
  if (store.tooLarge(klen, length)) {
    stats[C.store_too_large]++;
    c.reply(Replies.SERVER_ERROR_TOO_LARGE);
    // memcached drops the old value when a set fails, so no stale data outlives it.
    if (mode === StoreCommand.SET) store.delete(buf, t.start(1), klen);
    return c.swallow(next, end, length + 2);
  }
  const req = c.storage;
  req.mode = mode;
  buf.copy(req.key, 0, t.start(1), t.end(1));
  req.keyLength = klen;
  req.flags = flags;
  // A negative exptime means "already expired" (memcached: EXPTIME_TO_POSITIVE_TIME).
  req.exptime = exptime;
  req.length = length;
  req.cas = cas;
  req.noreply = c.noreply;
  req.complete = completeStorage;
  return c.expectData(buf, next, end);
}

/** writeBlock's answer for a data block that does not end in \r\n. */
export const BAD_DATA_CHUNK = -1;

/**
 * Stores the pending request's data block, value[off, off + length + 2), and counts it as
 * memcached does (cmd_set, the class's set counters, store_too_large, store_no_memory). Shared
 * by the classic storage commands and meta set, which differ only in their replies. Returns a
 * Stored result, or BAD_DATA_CHUNK.
 */
export function writeBlock(
  c: Connection,
  value: Buffer,
  off: number,
  extras: WriteExtras | null,
): StoreResult | typeof BAD_DATA_CHUNK {
  const req = c.storage;
  const { store, stats } = c.ctx;
  const len = req.length;
  if (value[off + len] !== 13 || value[off + len + 1] !== 10) {
    stats[C.cmd_set]++; // memcached counts the command before it checks the block
    return BAD_DATA_CHUNK;
  }
  const r = store.write(
    req.mode,
    req.key,
    0,
    req.keyLength,
    value,
    off,
    len,
    req.flags,
    req.exptime,
    req.cas,
    extras,
  );
  countStore(stats, r, req.mode === Mode.CAS, store.lastClass);
  return r;
}

/** The data block of a classic storage command is complete at value[off, ...). */
export function completeStorage(c: Connection, value: Buffer, off: number): void {
  switch (writeBlock(c, value, off, null)) {
    case BAD_DATA_CHUNK:
      c.reply(Replies.CLIENT_ERROR_BAD_DATA_CHUNK);
      break;
    case Stored.STORED:
      c.reply(Replies.STORED);
      break;
    case Stored.NOT_STORED:
      c.reply(Replies.NOT_STORED);
      break;
    case Stored.EXISTS:
      c.reply(Replies.EXISTS);
      break;
    case Stored.NOT_FOUND:
      c.reply(Replies.NOT_FOUND);
      break;
    case Stored.TOO_LARGE:
      c.reply(Replies.SERVER_ERROR_TOO_LARGE);
      break;
    default:
      c.reply(Replies.SERVER_ERROR_OOM_STORE);
  }
}
