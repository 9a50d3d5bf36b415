/**
 * Process plumbing for scripts/bench/server.ts: finding (or installing) memcached, CPU pinning
 * with taskset, starting servers on free loopback ports, reading a process tree's RSS and CPU
 * time from /proc, and killing everything we started (on exit, errors and signals).
 */
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';

// ---- finding programs -----------------------------------------------------------------------

export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** memcached's path; installs Debian's package when missing and we are root, else null. */
export function ensureMemcached(log: (s: string) => void): string | null {
  const found = which('memcached');
  if (found) return found;
  if (process.getuid?.() !== 0) {
    log(
      'memcached is not installed and this is not root: skipping memcached ' +
        '(install it with `apt-get install -y memcached`)',
    );
    return null;
  }
  log('memcached not found: running apt-get update && apt-get install -y memcached');
  try {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', 'memcached'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (e) {
    log(`installing memcached failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  return which('memcached');
}

export function memcachedVersion(path: string): string {
  try {
    return execFileSync(path, ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    return 'memcached (unknown version)';
  }
}

// ---- pinning --------------------------------------------------------------------------------

export interface Pinning {
  taskset: string | null;
  genCpus: string;
  serverCpus: string;
  note: string;
}

export function planPinning(
  genCpus: string,
  serverCpus: string,
  cores: number,
  enabled: boolean,
): Pinning {
  const taskset = which('taskset');
  if (!enabled) return { taskset: null, genCpus, serverCpus, note: 'pinning off (--no-pin)' };
  if (!taskset) {
    return {
      taskset: null,
      genCpus,
      serverCpus,
      note: 'WARNING: taskset not found (apt-get install util-linux): generator and servers unpinned, sharing all cores',
    };
  }
  if (cores < 2) {
    return {
      taskset: null,
      genCpus,
      serverCpus,
      note: `WARNING: only ${cores} core: generator and servers unpinned, sharing it`,
    };
  }
  return {
    taskset,
    genCpus,
    serverCpus,
    note: `generator on cpu ${genCpus}, servers on cpu ${serverCpus} (taskset)`,
  };
}

/** The argv to run `cmd args` pinned to `cpus` (or unpinned). */
export function pinned(p: Pinning, cpus: string, cmd: string, args: string[]): [string, string[]] {
  return p.taskset ? [p.taskset, ['-c', cpus, cmd, ...args]] : [cmd, args];
}

export function cpusAllowed(pid: number): string {
  try {
    const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1] : '?';
  } catch {
    return '?';
  }
}

// ---- process registry and cleanup -----------------------------------------------------------

const children = new Set<ChildProcess>();

/** Spawns in a new process group (so a kill reaches the group's children too) and tracks it. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, { ...opts, detached: true });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {}
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(child, 'SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    killGroup(child, 'SIGKILL');
    await Promise.race([exited, sleep(1000)]);
  }
}

export function killAllNow(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
}

let hooksInstalled = false;
export function installCleanupHooks(log: (s: string) => void): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`\n${sig}: stopping servers and generator`);
      killAllNow();
      process.exit(130);
    });
  }
}

// ---- ports and readiness --------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Sends `request` on a fresh connection and resolves with the reply once `done(reply)` is true.
 */
export function ask(
  port: number,
  request: string,
  done: (reply: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    const sock = connect({ host: HOST, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request.trim())} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('latin1');
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('data', (d: string) => {
      acc += d;
      if (done(acc)) {
        clearTimeout(timer);
        sock.end();
        resolve(acc);
      }
    });
    sock.on('connect', () => sock.write(request));
  });
}

/** Parses `stats` into a map (empty when the server doesn't answer it). */
export async function stats(port: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    const r = await ask(port, 'stats\r\n', (s) => /(^|\n)(END|ERROR|\S*_ERROR[^\n]*)\r\n$/.test(s));
    for (const line of r.split('\r\n')) {
      const m = /^STAT (\S+) (.*)$/.exec(line);
      if (m) out.set(m[1], m[2]);
    }
  } catch {}
  return out;
}

// ---- servers --------------------------------------------------------------------------------

export interface ServerHandle {
  label: string;
  kind: string;
  port: number;
  child: ChildProcess;
  pid: number;
  cmdline: string;
  /** The last few KiB of its stdout/stderr, for error messages. */
  output(): string;
}

export interface ServerLaunch {
  label: string;
  kind: string;
  /** argv with {port} {threads} {memory} already filled in */
  cmd: string;
  args: string[];
}

export async function startServer(
  launch: ServerLaunch,
  port: number,
  pin: Pinning,
  readyTimeoutMs = 20_000,
): Promise<ServerHandle> {
  const [cmd, args] = pinned(pin, pin.serverCpus, launch.cmd, launch.args);
  let out = '';
  const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(e));
  });
  const cmdline = [launch.cmd, ...launch.args].join(' ');
  const handle: ServerHandle = {
    label: launch.label,
    kind: launch.kind,
    port,
    child,
    pid: child.pid ?? -1,
    cmdline,
    output: () => out,
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${launch.label} exited (${child.exitCode ?? child.signalCode}) on start: ${cmdline}\n${out}`,
      );
    }
    try {
      const r = await Promise.race([
        ask(port, 'version\r\n', (s) => s.includes('\r\n'), 1000),
        spawnError,
      ]);
      if (!r.startsWith('VERSION')) throw new Error(`unexpected reply to version: ${r.trim()}`);
      return handle;
    } catch (e) {
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new Error(
          `${launch.label} did not answer on ${HOST}:${port} within ${readyTimeoutMs} ms ` +
            `(${e instanceof Error ? e.message : String(e)}): ${cmdline}\n${out}`,
        );
      }
      await sleep(100);
    }
  }
}

// ---- /proc ----------------------------------------------------------------------------------

/** pid and all its descendants (servers may fork, or be wrapped by a shell). */
export function processTree(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid);
      if (list) list.push(Number(name));
      else kids.set(ppid, [Number(name)]);
    } catch {}
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    for (const k of kids.get(p) ?? []) stack.push(k);
  }
  return out;
}

/** VmRSS of the process tree, in bytes. */
export function rssBytes(root: number): number {
  let kib = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      if (m) kib += Number(m[1]);
    } catch {}
  }
  return kib * 1024;
}

export interface Sched {
  /** Time on a cpu, all threads of the process tree, in ms. */
  runMs: number;
  /** Time runnable but waiting for a cpu (run-queue delay), all threads, in ms. */
  waitMs: number;
}

/** /proc/PID/task/TID/schedstat summed over the process tree (zeros where unavailable). */
export function sched(root: number): Sched {
  let run = 0;
  let wait = 0;
  for (const pid of processTree(root)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ');
        run += Number(f[0]);
        wait += Number(f[1]);
      } catch {}
    }
  }
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
}
