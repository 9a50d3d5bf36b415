/**
 * noop, version, quit(q), flush(q) and verbosity: the commands that touch no key.
 */
import { Binary } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { SH_VERBOSITY } from '../context.ts';
import { C } from '../stats/counters.ts';
import { error, success, successBody } from './reply.ts';
import type { Request } from './request.ts';

const { FlushExtras, Status, VerbosityExtras } = Binary;

const MAX_VERBOSITY_LEVEL = 2; // memcached's cap

/** Answers even inside a quiet batch, so a client knows the batch before it is done. */
export function noop(c: Connection, r: Request): void {
  success(c, r);
}

let versionBytes: Uint8Array | null = null;

export function version(c: Connection, r: Request): void {
  versionBytes ??= Buffer.from(c.ctx.version, 'latin1');
  successBody(c, r, versionBytes);
}

/** quit answers, then closes; quitq closes without a word. */
export function quit(c: Connection, r: Request): void {
  success(c, r);
  c.closeAfterWrite = true;
}

/** flush(q) [delay]: memcached's process_bin_flush. With -F it answers "Auth failure.". */
export function flush(c: Connection, r: Request): void {
  if (!c.ctx.config.flushEnabled) {
    error(c, r, Status.AUTH_ERROR);
    return;
  }
  const delay =
    r.header.extrasLength === FlushExtras.LENGTH ? r.extrasU32(FlushExtras.EXPIRATION) : 0;
  c.ctx.store.flushAll(delay);
  c.ctx.stats[C.cmd_flush]++;
  success(c, r);
}

/** verbosity <level> as memcached 1.4 answered it (1.6 no longer handles the opcode). */
export function verbosity(c: Connection, r: Request): void {
  const level = r.extrasU32(VerbosityExtras.LEVEL);
  Atomics.store(c.ctx.shared, SH_VERBOSITY, Math.min(level, MAX_VERBOSITY_LEVEL));
  success(c, r);
}
