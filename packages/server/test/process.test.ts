/**
 * The slabcached executable: memcached's flags, -h / -V, one-line errors for bad flags, a
 * silent stdout, logs on stderr, unix sockets, pid files, and a clean exit on signals and on
 * the shutdown command.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';

const BIN = new URL('../../../node_modules/.bin/slabcached', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Daemon {
  proc: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts slabcached on a free port; -v makes it say where it listens. */
async function daemon(args: string[]): Promise<Daemon> {
  const proc = spawn(BIN, ['-p', '0', '-t', '2', '--admin-port', '0', '-v', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${err}`)), 15_000);
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (?:127\.0\.0\.1:(\d+)|(\/\S+))/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1] ?? 0));
      }
    });
  });
  return { proc, port, stdout: () => out, stderr: () => err, exited };
}

t.test('-h lists every flag on stdout', async (t) => {
  const r = await run(['-h']);
  t.equal(r.code, 0);
  for (const flag of [
    '-p',
    '-U',
    '-s',
    '-a',
    '-l',
    '-d',
    '-u',
    '-m',
    '-M',
    '-c',
    '-v',
    '-f',
    '-n',
    '-t',
    '-R',
    '-C',
    '-b',
    '-B',
    '-I',
    '-S',
    '-A',
    '-o',
  ]) {
    t.match(r.stdout, new RegExp(`\\s${flag}[,\\s]`), flag);
  }
});

t.test('-V prints a memcached-style version', async (t) => {
  const r = await run(['-V']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^memcached 1\.6\.\d+/);
  t.match(r.stdout, /slabcached/);
});

t.test('a bad flag exits non-zero with one line', async (t) => {
  for (const args of [['--bogus'], ['-p', 'abc'], ['-o', 'no_such_option'], ['-I', '2g']]) {
    const r = await run(args);
    t.not(r.code, 0, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${r.stderr.trim()}`);
    t.equal(r.stdout, '');
  }
});

t.test('memcached init-script flags start it; SIGTERM stops it cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcached-'));
  const pidFile = join(dir, 'pid');
  const d = await daemon([
    '-m',
    '32',
    '-c',
    '100',
    '-u',
    'root',
    '-o',
    'relaxed_privileges',
    '-P',
    pidFile,
    '-vv',
  ]);
  const c = await RawClient.connect(d.port);
  t.equal(await c.call('set k 0 0 1\r\nv\r\n'), 'STORED\r\n');
  t.match(
    await c.call('stats settings\r\n', 'END\r\n'),
    /STAT maxbytes 33554432\r\nSTAT maxconns 100\r\n/,
  );
  c.close();
  t.equal(readFileSync(pidFile, 'utf8').trim(), String(d.proc.pid));
  d.proc.kill('SIGTERM');
  t.equal(await d.exited, 0);
  t.equal(d.stdout(), '', 'stdout stays silent');
  t.match(d.stderr(), /<\d+ set k 0 0 1/, '-vv logs commands to stderr');
  t.notOk(existsSync(pidFile), 'pid file removed');
});

t.test('shutdown works with -A and stops the process', async (t) => {
  const d = await daemon(['-A']);
  const c = await RawClient.connect(d.port);
  c.write('shutdown\r\n');
  await c.closed();
  t.equal(await d.exited, 0);
});

t.test('-s serves a unix socket with -a permissions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcached-'));
  const path = join(dir, 'mc.sock');
  const d = await daemon(['-s', path, '-a', '0770']);
  t.equal(statSync(path).mode & 0o777, 0o770);
  const socket = createConnection(path);
  const reply = await new Promise<string>((resolve) => {
    socket.once('data', (b) => resolve(b.toString()));
    socket.write('set u 0 0 1\r\nx\r\n');
  });
  t.equal(reply, 'STORED\r\n');
  socket.destroy();
  d.proc.kill('SIGINT');
  t.equal(await d.exited, 0);
  t.notOk(existsSync(path), 'socket file removed on exit');
});

t.test('a port in use is refused, even by another slabcached', async (t) => {
  const d = await daemon([]);
  const r = await run(['-p', String(d.port), '-t', '1', '--no-admin']);
  t.equal(r.code, 71, 'EX_OSERR, as memcached');
  t.match(r.stderr, /failed to listen on TCP port \d+: Address already in use/);
  d.proc.kill('SIGTERM');
  await d.exited;
});

t.test('the admin service: -v says where; a busy admin port is refused', async (t) => {
  const d = await daemon([]);
  t.teardown(() => d.proc.kill('SIGTERM'));
  // The admin line follows the listening line daemon() waited for.
  const line = /admin \(stats, \/metrics, dashboard\) on (http:\/\/127\.0\.0\.1:(\d+)\/)/;
  const deadline = Date.now() + 5000;
  while (!line.test(d.stderr()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const url = line.exec(d.stderr());
  t.ok(url, `-v names the admin address: ${d.stderr()}`);
  const health = await fetch(new URL('healthz', url![1]));
  t.same(await health.json(), { status: 'ok' });
  const r = await run(['-p', '0', '-t', '1', '--admin-port', url![2]]);
  t.equal(r.code, 71, 'EX_OSERR, as for a busy memcached port');
  t.match(r.stderr, /failed to listen on admin port \d+ \(127\.0\.0\.1\): Address already in use/);
});

t.test('-d detaches: the command returns and the server keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcached-'));
  const pidFile = join(dir, 'pid');
  const probe = createServer();
  const port = await new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
  );
  await new Promise((r) => probe.close(r));
  const r = await run(['-d', '-p', String(port), '-t', '1', '--no-admin', '-P', pidFile]);
  t.equal(r.code, 0);
  const deadline = Date.now() + 15_000;
  while (!existsSync(pidFile) && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 50));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  });
  const c = await RawClient.connect(port);
  t.match(await c.call('version\r\n'), /^VERSION /);
  c.close();
});
