/**
 * A worker's request path without a socket: a real Store, the server's counters and
 * connection table, and a Connection whose transport only counts what it is given. Each input
 * is one connection's bytes, cut into reads at the size its first byte chooses, so the parser's
 * carry-over between reads is fuzzed too. The first byte of the rest picks the protocol as on a
 * socket (0x80: binary; else text and meta).
 *
 * Used by the jazzer target (target.ts, on the built dist code, which jazzer instruments) and
 * by the regression test that replays saved inputs (test/jazzer.test.ts, on the sources).
 */

import { parse } from '@slabcache/server/internal/cli/options';
import { MEMCACHED_VERSION } from '@slabcache/server/internal/cli/usage';
import { Connection } from '@slabcache/server/internal/connection';
import { SH_WORDS } from '@slabcache/server/internal/context';
import { openStore } from '@slabcache/server/internal/server';
import {
  ConnectionTable,
  connectionTableBytes,
} from '@slabcache/server/internal/stats/connections';
import { Counters, countersBytes } from '@slabcache/server/internal/stats/counters';
import { ResetBaseline } from '@slabcache/server/internal/stats/report';

export interface Harness {
  /** Runs one input; throws what the server code threw. */
  run(input: Buffer): void;
  /** The store's structural self-check; throws when it fails. */
  check(): void;
  readonly repliedBytes: number;
}

export function createHarness(): Harness {
  // A small cache so that eviction, slab moves and chaining of large values are reached.
  const config = parse(['-m', '8', '-I', '2m', '-U', '0', '-o', 'slab_reassign', '--no-admin'], {
    cpus: 1,
  });
  const store = openStore(config, () => {});
  const counters = new Counters(new SharedArrayBuffer(countersBytes(1)), 1, 0);
  const shared = new Int32Array(new SharedArrayBuffer(SH_WORDS * 4));
  const ctx = {
    store,
    counters,
    stats: counters.mine,
    config,
    shared,
    conns: new ConnectionTable(new SharedArrayBuffer(connectionTableBytes(16))),
    debugHooks: false,
    credentials: null,
    baseline: new ResetBaseline(new SharedArrayBuffer(ResetBaseline.bytes())),
    version: MEMCACHED_VERSION,
    startedAt: Math.floor(Date.now() / 1000),
    requestShutdown() {},
    refreshCerts: () => 'TLS is not enabled (-Z)',
    log() {},
  };
  let replied = 0;
  const transport = {
    writableLength: 0,
    write(data: Uint8Array): boolean {
      replied += data.length;
      return true;
    },
    pause() {},
    resume() {},
    end() {},
    destroy() {},
  };
  let id = 0;
  return {
    run(input: Buffer): void {
      if (input.length < 2) return;
      const step = input[0] === 0 ? input.length : input[0];
      const conn = new Connection(ctx, transport, -1, ++id);
      for (let p = 1; p < input.length; p += step) {
        conn.receive(input.subarray(p, Math.min(p + step, input.length)));
      }
      conn.receiveEnd();
    },
    check(): void {
      const report = store.check();
      if (!report.ok) throw new Error(`store self-check failed: ${report.errors.join('; ')}`);
    },
    get repliedBytes() {
      return replied;
    },
  };
}
