/**
 * Fleets of cache nodes for the client tests: slabcached embedded in this process (quick to
 * start), slabcached as a child process (so a test can kill -9 it and start it again on the
 * same port), or Debian's memcached as a child process (the client must work against the real
 * thing). Nodes listen on loopback; a port of 0 picks a free one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, startServer } from '@slabcache/server';
import { freePort } from '../../packages/server/test/helpers/ports.ts';
import { onPath } from './exec.ts';

export type NodeKind = 'embedded' | 'slabcached' | 'memcached';

export interface CacheNode {
  host: string;
  port: number;
  /** `host:port`. */
  address: string;
  /** Starts it (again, on the same port). */
  start(): Promise<void>;
  /** Stops it gracefully. */
  stop(): Promise<void>;
  /** kill -9 (child processes only). */
  kill(): Promise<void>;
}

export interface Fleet {
  kind: NodeKind;
  nodes: CacheNode[];
  addresses: string[];
  close(): Promise<void>;
}

export interface NodeSpec {
  host?: string;
  port?: number;
}

const SLABCACHED = fileURLToPath(new URL('../../node_modules/.bin/slabcached', import.meta.url));
const MEMORY_MB = '32';

/** Servers started as child processes and not yet stopped: killed if this process ends
 * first (a failed or timed-out test), so no server outlives its test. */
const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
process.once('exit', killChildren);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killChildren();
    process.kill(process.pid, signal); // then die of it, as without this handler
  });
}

/** Debian's memcached, or null. */
export function memcachedPath(): string | null {
  for (const p of ['/usr/bin/memcached', onPath('memcached')]) {
    if (!p) continue;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** A tap `skip` value for tests of `kind`: never skips in CI, where .ci/run installs
 * memcached (a missing one fails there). */
export function skipUnlessAvailable(kind: NodeKind): false | string {
  if (kind !== 'memcached' || memcachedPath() || process.env.CI) return false;
  return 'memcached is not installed (Debian: apt-get install memcached)';
}

export async function startFleet(kind: NodeKind, specs: NodeSpec[] | number): Promise<Fleet> {
  const list = typeof specs === 'number' ? Array.from({ length: specs }, () => ({})) : specs;
  const nodes = await Promise.all(list.map((spec) => startNode(kind, spec)));
  return {
    kind,
    nodes,
    addresses: nodes.map((n) => n.address),
    close: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

export async function startNode(kind: NodeKind, spec: NodeSpec = {}): Promise<CacheNode> {
  const host = spec.host ?? '127.0.0.1';
  const port = spec.port || (await freePort(host));
  const node = kind === 'embedded' ? embedded(host, port) : child(kind, host, port);
  await node.start();
  return node;
}

/** Whether something listens on host:port (tests that need port 11211 check first). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

function address(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function embedded(host: string, port: number): CacheNode {
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  return {
    host,
    port,
    address: address(host, port),
    async start() {
      const flags = ['-p', String(port), '-l', host, '-t', '1', '-m', MEMORY_MB, '-U', '0'];
      server = await startServer(parse([...flags, '--no-admin'], { cpus: 1 }), { log: () => {} });
    },
    async stop() {
      await server?.close();
      server = null;
    },
    kill() {
      return Promise.reject(
        new Error('an embedded slabcached cannot be killed: use kind slabcached'),
      );
    },
  };
}

function child(kind: 'slabcached' | 'memcached', host: string, port: number): CacheNode {
  let proc: ChildProcess | null = null;
  let output = '';
  const common = ['-p', String(port), '-l', host, '-U', '0', '-t', '1', '-m', MEMORY_MB];
  const [cmd, args] =
    kind === 'slabcached'
      ? [SLABCACHED, [...common, '--no-admin']]
      : [
          memcachedPath() ?? 'memcached',
          process.getuid?.() === 0 ? [...common, '-u', 'root'] : common,
        ];
  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => p.once('exit', () => resolve()));
  return {
    host,
    port,
    address: address(host, port),
    async start() {
      output = '';
      const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      children.add(p);
      p.once('exit', () => children.delete(p));
      const keep = (d: Buffer) => {
        output = (output + d.toString()).slice(-2000);
      };
      p.stdout?.on('data', keep);
      p.stderr?.on('data', keep);
      p.once('error', (e) => {
        output += String(e);
      });
      await waitReady(host, port, p, () => output);
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p) return;
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
      await exited(p);
      clearTimeout(timer);
    },
    async kill() {
      const p = proc;
      proc = null;
      if (!p) return;
      p.kill('SIGKILL');
      await exited(p);
    },
  };
}

/** Polls `version` until the server answers (or the process dies, or 15 s pass). */
async function waitReady(
  host: string,
  port: number,
  p: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (p.exitCode !== null || p.signalCode !== null) {
      throw new Error(
        `server on ${host}:${port} exited (${p.exitCode ?? p.signalCode}): ${output()}`,
      );
    }
    if (await answersVersion(host, port)) return;
    if (Date.now() > deadline) throw new Error(`no server on ${host}:${port}: ${output()}`);
    await sleep(30);
  }
}

function answersVersion(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    // A starting slabcached may close a connection that reached its port too early.
    socket.on('close', () => done(false));
    socket.on('connect', () => socket.write('version\r\n'));
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('VERSION '));
    });
  });
}
