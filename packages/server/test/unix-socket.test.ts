/**
 * Unix sockets (-s path, -a mask), as memcached 1.6.18 serves them: the socket file gets the
 * mask's permissions (default 0700), a stale socket file is replaced but no other file is,
 * and -s turns TCP and UDP off. Unlike memcached, slabcached removes its socket file on close.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from './helpers/ports.ts';
import { startTestServer } from './helpers/server.ts';

let dir: string;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slabcache-unix-'));
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Sends requests over the unix socket and reads until the reply ends with `terminator`. */
function call(path: string, request: string, terminator = '\r\n'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out; got ${JSON.stringify(got)}`));
    }, 5000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith(terminator)) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(request);
  });
}

const mode = (path: string) => lstatSync(path).mode & 0o777;

t.test('the text protocol over the socket; 0700 by default; removed on close', async (t) => {
  const path = join(dir, 'default.sock');
  const server = await startTestServer(['-s', path]);
  t.ok(lstatSync(path).isSocket());
  t.equal(mode(path).toString(8), '700');
  t.equal(await call(path, 'set u 3 0 2\r\nhi\r\n'), 'STORED\r\n');
  t.equal(await call(path, 'get u\r\n', 'END\r\n'), 'VALUE u 3 2\r\nhi\r\nEND\r\n');
  const settings = await call(path, 'stats settings\r\n', 'END\r\n');
  t.match(settings, `STAT domain_socket ${path}\r\n`);
  t.match(settings, 'STAT umask 700\r\n');
  const conns = await call(path, 'stats conns\r\n', 'END\r\n');
  t.match(conns, /STAT \d+:addr unix:/);
  await server.close();
  t.throws(() => lstatSync(path), { code: 'ENOENT' });
});

t.test('-a sets the permissions', async (t) => {
  const path = join(dir, 'mask.sock');
  const server = await startTestServer(['-s', path, '-a', '766']);
  t.teardown(() => server.close());
  t.equal(mode(path).toString(8), '766');
  t.match(await call(path, 'version\r\n'), /^VERSION /);
});

t.test('-s turns TCP and UDP off, as memcached does', async (t) => {
  const path = join(dir, 'only.sock');
  const port = await freePort();
  const server = await startTestServer(['-s', path, '-p', String(port), '-U', String(port)]);
  t.teardown(() => server.close());
  t.equal(server.port, 0);
  t.equal(server.udpPort, 0);
  await t.rejects(
    new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(s.destroy()));
      s.on('error', reject);
    }),
    { code: 'ECONNREFUSED' },
  );
  t.match(await call(path, 'version\r\n'), /^VERSION /);
});

t.test('a stale socket file from an earlier run is replaced', async (t) => {
  const path = join(dir, 'stale.sock');
  // A process that dies while listening leaves its socket file behind.
  const child = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  await new Promise((resolve) => child.on('exit', resolve));
  t.ok(lstatSync(path).isSocket(), 'the stale socket is there');
  const server = await startTestServer(['-s', path]);
  t.teardown(() => server.close());
  t.match(await call(path, 'version\r\n'), /^VERSION /);
});

t.test('any other file at the path is kept and the start fails', async (t) => {
  const path = join(dir, 'regular.sock');
  writeFileSync(path, 'not a socket\n');
  // memcached 1.6.18: "failed to listen on UNIX socket", exit 71, the file untouched.
  await t.rejects(startTestServer(['-s', path]), { code: 'EADDRINUSE' });
  t.equal(readFileSync(path, 'utf8'), 'not a socket\n');
});
