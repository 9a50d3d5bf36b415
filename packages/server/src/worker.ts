/**
 * A worker thread: opens the shared store, listens on the server's port(s) with SO_REUSEPORT
 * (the kernel spreads connections, and UDP datagrams, across workers), and runs connections.
 * Everything it needs arrives in workerData; it talks back to the main thread only to report
 * listening, to ask for shutdown, and to confirm it closed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { Store } from '@slabcache/store';
import { Credentials } from './auth/credentials.ts';
import { Connection } from './connection.ts';
import { type ServerContext, SH_CERTS_REFRESHED, SH_VERBOSITY } from './context.ts';
import { listenOn } from './listen.ts';
import type { WorkerData } from './server.ts';
import { ConnectionTable } from './stats/connections.ts';
import { C, Counters } from './stats/counters.ts';
import { ResetBaseline } from './stats/report.ts';
import { rejectsPeer, tlsOptions } from './tls/options.ts';
import { UdpListener } from './udp/listener.ts';

const data = workerData as WorkerData;
const port = parentPort!;

const store = Store.open(data.store, data.slot + 1);
const counters = new Counters(data.counters, data.threads, data.slot);
const shared = new Int32Array(data.shared);

const ctx: ServerContext = {
  store,
  counters,
  stats: counters.mine,
  config: data.config,
  shared,
  conns: new ConnectionTable(data.conns),
  credentials: data.credentials === null ? null : new Credentials(data.credentials),
  debugHooks: process.env.SLABCACHE_DEBUG_HOOKS === '1',
  baseline: new ResetBaseline(data.baseline),
  version: data.version,
  startedAt: data.startedAt,
  requestShutdown(graceful) {
    port.postMessage({ type: 'shutdown', graceful });
  },
  log(level, message) {
    if (Atomics.load(shared, SH_VERBOSITY) >= level) process.stderr.write(`${message}\n`);
  },
  refreshCerts: () => 'TLS is not enabled (-Z)',
};

const servers: Server[] = [];
const sockets = new Set<Socket>();
let udp: UdpListener | null = null;

function accept(socket: Socket, unix: boolean): void {
  const conn = Connection.accept(ctx, socket, data.slot, unix);
  if (conn === null) return;
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
}

function serve(unix: boolean): Server {
  // Half-open: a client that sends its last requests and closes still gets the replies.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (s) => accept(s, unix));
  servers.push(server);
  return server;
}

/** -Z: a TLS listener; the connection starts once the handshake is done. */
const tlsServers: TlsServer[] = [];
function serveTls(): Server {
  const options = { ...tlsOptions(data.config), noDelay: true, allowHalfOpen: true };
  const server = createTlsServer(options, (socket) => {
    if (rejectsPeer(data.config, socket)) {
      ctx.stats[C.ssl_handshake_errors]++;
      socket.destroy();
      return;
    }
    ctx.stats[C.ssl_new_sessions] += socket.isSessionReused() ? 0 : 1;
    accept(socket, false);
  });
  server.on('tlsClientError', () => {
    ctx.stats[C.ssl_handshake_errors]++;
  });
  tlsServers.push(server);
  servers.push(server);
  return server;
}

/** refresh_certs: every worker of this server loads the certificate files again. */
const certs = new BroadcastChannel(`slabcache-certs-${data.instance}`);
certs.unref();
function reloadCerts(): void {
  const options = tlsOptions(data.config);
  for (const s of tlsServers) s.setSecureContext(options);
}
certs.onmessage = () => {
  try {
    reloadCerts();
  } catch (err) {
    ctx.log(1, `slabcached: worker ${data.slot}: refresh_certs failed: ${(err as Error).message}`);
  }
};
if (data.config.ssl)
  ctx.refreshCerts = () => {
    try {
      reloadCerts();
    } catch (err) {
      return (err as Error).message;
    }
    Atomics.store(shared, SH_CERTS_REFRESHED, Math.floor(Date.now() / 1000));
    certs.postMessage('reload');
    return null;
  };

async function start(): Promise<void> {
  const cfg = data.config;
  if (data.unixSocket !== null) {
    await listenOn(serve(true), { path: data.unixSocket, backlog: cfg.backlog });
  }
  for (const { host, port, tls } of data.addresses) {
    const server = tls ? serveTls() : serve(false);
    await listenOn(server, { host, port, backlog: cfg.backlog, reusePort: data.reusePort });
  }
  if (data.udpAddresses.length > 0) {
    udp = new UdpListener(ctx);
    await udp.listen(data.udpAddresses, data.reusePort);
  }
}

port.on('message', (msg: { type: string }) => {
  if (msg.type !== 'close') return;
  for (const s of servers) s.close();
  for (const s of sockets) s.destroy();
  udp?.close();
  certs.close();
  port.postMessage({ type: 'closed' });
  // Ending on our own (rather than being terminated) lets Node finish the thread properly,
  // which also writes its coverage data when NODE_V8_COVERAGE is set (the tests' coverage).
  process.exit(0);
});

start().then(
  () => port.postMessage({ type: 'listening' }),
  (err: NodeJS.ErrnoException) =>
    port.postMessage({ type: 'error', code: err.code, message: err.message }),
);
