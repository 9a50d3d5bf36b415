/**
 * The main thread of slabcached: creates the shared store and counters, starts `-t` worker
 * threads that listen on one port with SO_REUSEPORT, keeps the clock, and runs background
 * maintenance (crawler, slab automover). It serves no client itself.
 */

import { randomUUID } from 'node:crypto';
import type { Socket as UdpSocket } from 'node:dgram';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { RunningAdmin } from '@slabcache/admin';
import { MiB, type SharedStore, Store } from '@slabcache/store';
import { startAdminService } from './admin.ts';
import { type CredentialPairs, CredentialsError, loadCredentials } from './auth/credentials.ts';
import { parseListenAddress, type ServerConfig } from './cli/options.ts';
import { MEMCACHED_VERSION } from './cli/usage.ts';
import {
  SH_CRAWLER_SLEEP,
  SH_CRAWLER_TOCRAWL,
  SH_LRU_CRAWLER,
  SH_SLAB_AUTOMOVE,
  SH_VERBOSITY,
  SH_WORDS,
  SH_WORKER_RESTARTS,
} from './context.ts';
import { closeServer, listenOn } from './listen.ts';
import { Maintenance } from './maintenance.ts';
import { ConnectionTable, connectionTableBytes } from './stats/connections.ts';
import { C, Counters, countersBytes } from './stats/counters.ts';
import { ResetBaseline } from './stats/report.ts';
import { SharedStatsSource } from './stats/source.ts';
import { tlsOptions } from './tls/options.ts';
import { bindUdp, closeUdp, udpSocket } from './udp/socket.ts';
import { WorkerPool } from './workers.ts';

export interface WorkerData {
  slot: number;
  threads: number;
  store: SharedStore;
  counters: SharedArrayBuffer;
  conns: SharedArrayBuffer;
  baseline: SharedArrayBuffer;
  shared: SharedArrayBuffer;
  config: ServerConfig;
  version: string;
  startedAt: number;
  /** TCP listeners; `tls` with -Z unless the -l entry said `notls:`. */
  addresses: { host: string; port: number; tls: boolean }[];
  /** Where this worker serves UDP (-U); empty when UDP is off. */
  udpAddresses: { host: string; port: number }[];
  reusePort: boolean;
  unixSocket: string | null;
  /** Users for SASL (-S) or ascii auth (-Y); null when neither is on. */
  credentials: CredentialPairs | null;
  /** Names this server's channel between its workers (refresh_certs reaches them all). */
  instance: string;
}

export interface RunningServer {
  /** The TCP port clients connect to (the chosen one when -p 0), 0 with a unix socket only. */
  port: number;
  /** The UDP port (-U, or the chosen one with `ephemeralUdp`); 0 when UDP is off. */
  udpPort: number;
  hosts: string[];
  /** The main thread's handle on the store (tests and the admin service read it). */
  store: Store;
  /** True when the platform has SO_REUSEPORT; false means one worker accepts everything. */
  reusePort: boolean;
  /** The admin HTTP service's port (the chosen one with --admin-port 0); 0 with --no-admin. */
  adminPort: number;
  /** Where the admin service answers (http://host:port/); null with --no-admin. */
  adminUrl: string | null;
  /** Stops listening, closes every connection, ends the workers. */
  /** Stops listening, closes every connection, ends the workers; with `save` and -e, then
   * writes the cache to the memory file for the next start (memcached's SIGUSR1). */
  close(opts?: { save?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Called when a client sends `shutdown` (with -A). */
  onShutdown?: (graceful: boolean) => void;
  log?: (line: string) => void;
  /** Serves UDP on a port the OS picks, read back from `udpPort` (for tests: -U 0 means UDP
   * off, as in memcached). */
  ephemeralUdp?: boolean;
}

const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js',
  import.meta.url,
);

export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const credentials = readCredentials(config);
  // -Z: the certificate and key are read and checked now, so a bad file stops the start.
  if (config.ssl) tlsOptions(config);
  const instance = randomUUID();
  const store = openStore(config, log);
  const startedAt = Math.floor(Date.now() / 1000);
  const threads = config.threads;
  const counters = new SharedArrayBuffer(countersBytes(threads));
  const conns = new SharedArrayBuffer(connectionTableBytes(config.maxConnections));
  const baseline = new SharedArrayBuffer(ResetBaseline.bytes());
  const sharedBuf = new SharedArrayBuffer(SH_WORDS * 4);
  const shared = new Int32Array(sharedBuf);
  shared[SH_VERBOSITY] = config.verbosity;
  shared[SH_LRU_CRAWLER] = config.lruCrawler ? 1 : 0;
  shared[SH_CRAWLER_TOCRAWL] = config.lruCrawlerToCrawl;
  shared[SH_CRAWLER_SLEEP] = config.lruCrawlerSleep;
  shared[SH_SLAB_AUTOMOVE] = config.slabReassign ? config.slabAutomove : 0;

  const entries = config.unixSocket !== null ? [] : config.listen.map(parseListenAddress);
  const hosts = entries.map((a) => a.host);
  let port = entries[0]?.port ?? config.port;
  let reusePort = true;
  // Probes: first an exclusive bind, so a port another process holds (even with
  // SO_REUSEPORT) is refused as memcached would refuse it, and so -p 0 learns its port; then a
  // SO_REUSEPORT bind that holds the port until the workers have bound it too.
  let probe: Server | null = null;
  if (hosts.length > 0) {
    const exclusive = createServer((s) => s.destroy());
    await listenOn(exclusive, { host: hosts[0], port, exclusive: true });
    port = (exclusive.address() as { port: number }).port;
    await closeServer(exclusive);
    probe = createServer((s) => s.destroy());
    try {
      await listenOn(probe, { host: hosts[0], port, reusePort: true, exclusive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw err;
      // No SO_REUSEPORT on this platform (Node throws for it on macOS, for instance): the
      // first worker listens alone and the others stand by.
      reusePort = false;
      probe = null;
      log(
        `slabcached: SO_REUSEPORT unavailable (${code ?? String(err)}); one worker accepts all connections`,
      );
    }
  }
  // UDP on the same addresses, probed the same way. memcached serves neither with -s.
  const udpOn = hosts.length > 0 && (config.udpPort !== 0 || options.ephemeralUdp === true);
  let udpPort = 0;
  let udpProbe: UdpSocket | null = null;
  if (udpOn) {
    const exclusive = udpSocket(hosts[0], false);
    try {
      udpPort = await bindUdp(exclusive, hosts[0], entries[0].port ?? config.udpPort);
      await closeUdp(exclusive);
      if (reusePort) {
        udpProbe = udpSocket(hosts[0], true);
        await bindUdp(udpProbe, hosts[0], udpPort);
      }
    } catch (err) {
      exclusive.close();
      udpProbe?.close();
      if (probe?.listening) await closeServer(probe);
      throw err;
    }
  }
  const workerConfig = udpOn ? { ...config, udpPort } : config;
  /** -l entries on their own port keep it; the others take the first's (TCP and UDP alike). */
  const addressesOn = (first: number) =>
    entries.map((a, i) => ({ host: a.host, port: i === 0 ? first : (a.port ?? first) }));
  if (config.unixSocket !== null) removeSocketFile(config.unixSocket);

  const pool = new WorkerPool(WORKER_URL, {
    log,
    onShutdown: options.onShutdown,
    recover: (slot) => {
      const locks = store.recoverLocks(slot + 1);
      const lost = connTable.releaseOwner(slot);
      new Counters(counters, threads, slot).mine[C.curr_connections] = 0;
      Atomics.add(shared, SH_WORKER_RESTARTS, 1);
      // The first worker serves the unix socket: its replacement binds the path again.
      if (slot === 0 && config.unixSocket !== null) removeSocketFile(config.unixSocket);
      log(`slabcached: worker ${slot}: freed ${locks} locks and ${lost} connection slots`);
    },
  });
  const connTable = new ConnectionTable(conns);
  const ready: Promise<void>[] = [];
  for (let slot = 0; slot < threads; slot++) {
    const listenHere = reusePort || slot === 0;
    ready.push(
      pool.start({
        slot,
        threads,
        store: store.shared,
        counters,
        conns,
        baseline,
        shared: sharedBuf,
        config: workerConfig,
        version: MEMCACHED_VERSION,
        startedAt,
        addresses: listenHere
          ? addressesOn(port).map((a, i) => ({ ...a, tls: config.ssl && !entries[i].notls }))
          : [],
        udpAddresses: listenHere && udpOn ? addressesOn(udpPort) : [],
        reusePort,
        unixSocket: slot === 0 ? config.unixSocket : null,
        credentials,
        instance,
      }),
    );
  }
  // memcached binds its unix socket under umask(~mask): the file never has looser permissions.
  const umask = config.unixSocket !== null ? process.umask(~config.unixMask & 0o777) : null;
  try {
    await Promise.all(ready);
  } catch (err) {
    await pool.terminate();
    if (probe?.listening) await closeServer(probe);
    udpProbe?.close();
    throw err;
  } finally {
    if (umask !== null) process.umask(umask);
  }
  if (probe?.listening) await closeServer(probe);
  if (udpProbe !== null) await closeUdp(udpProbe);
  // memcached's -a is the socket's permission bits (default 0700).
  if (config.unixSocket !== null) chmodSync(config.unixSocket, config.unixMask & 0o777);

  const maintenance = new Maintenance(store, shared, log);
  maintenance.start();

  // The admin reads what the workers share, from this thread; its Counters has no slot.
  const source = new SharedStatsSource({
    store,
    counters: new Counters(counters, threads, null),
    baseline: new ResetBaseline(baseline),
    config: workerConfig,
    conns: connTable,
    shared,
    version: MEMCACHED_VERSION,
    startedAt,
  });
  source.listening = true;
  let admin: RunningAdmin | null = null;

  let closing: Promise<void> | null = null;
  const close = (opts: { save?: boolean } = {}): Promise<void> => {
    closing ??= (async () => {
      // /readyz answers 503 from here on, until the admin port closes too.
      source.listening = false;
      await admin?.close();
      maintenance.stop();
      await pool.close();
      if (config.unixSocket !== null) removeSocketFile(config.unixSocket);
      // Saved only once every worker has stopped, so the copy is consistent.
      if (opts.save === true && config.memoryFile !== null) {
        const t0 = Date.now();
        const info = store.saveSnapshot(config.memoryFile);
        log(
          `slabcached: saved ${info.items} items (${info.bytes} bytes) to ${config.memoryFile} in ${Date.now() - t0} ms`,
        );
      }
    })();
    return closing;
  };

  if (config.admin) {
    try {
      admin = await startAdminService(workerConfig, source, log);
    } catch (err) {
      await close();
      throw err;
    }
  }

  return {
    port: hosts.length > 0 ? port : 0,
    udpPort,
    hosts,
    store,
    reusePort,
    adminPort: admin?.port ?? 0,
    adminUrl: admin?.url ?? null,
    close,
  };
}

/** Removes a unix socket file: a stale one before listening (memcached replaces it too), ours
 * after closing. Any other kind of file stays, and listening then fails as memcached's does
 * (Address already in use). */
function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {}
}

/** -Y names its file; -S reads memcached's MEMCACHED_SASL_PWDB (its built-in password
 * database) since there is no system SASL library here. */
function readCredentials(config: ServerConfig): CredentialPairs | null {
  if (config.authFile !== null) return loadCredentials(config.authFile);
  if (!config.sasl) return null;
  const pwdb = process.env.MEMCACHED_SASL_PWDB;
  if (pwdb === undefined || pwdb === '') {
    throw new CredentialsError(
      'SASL (-S) needs MEMCACHED_SASL_PWDB=<file of username:password lines>',
    );
  }
  return loadCredentials(pwdb);
}

/**
 * The store: restored from -e's memory file when one is there and was written with the same
 * memory layout (its items, flags, CAS values and TTLs come back), else a new empty one, with
 * the reason on stderr. A restored file is removed so that a later crash cannot bring back
 * items deleted since.
 */
export function openStore(config: ServerConfig, log: (line: string) => void): Store {
  const options = {
    memoryLimit: config.memoryLimit,
    pageSize: MiB,
    growthFactor: config.growthFactor,
    minChunk: config.minChunk,
    itemSizeMax: config.itemSizeMax,
    slabChunkMax: config.slabChunkMax ?? undefined,
    cas: config.cas,
    evict: config.evict,
    hashPower: config.hashPower,
    hotPercent: config.hotLruPct,
    warmPercent: config.warmLruPct,
  };
  const file = config.memoryFile;
  if (file !== null && existsSync(file)) {
    const r = Store.restore(options, file);
    if (r.store !== null) {
      r.store.setTime(Date.now() / 1000);
      unlinkSync(file);
      log(`slabcached: restored ${r.store.stats().curr_items} items from ${file}`);
      return r.store;
    }
    log(`slabcached: ${file}: not restored, starting empty: ${r.reason}`);
  }
  return Store.create(options);
}
