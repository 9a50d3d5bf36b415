/**
 * Debian's python3-pylibmc (libmemcached 1.0) as a second real binary-protocol client:
 * every call of test/python/pylibmc_binary.py against slabcached, plain and with SASL (-S).
 * Installed by .ci/run; outside CI the test skips when pylibmc is missing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, startServer } from '@slabcache/server';
import t, { type Test } from 'tap';
import { run } from './helpers/exec.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'python', 'pylibmc_binary.py');

async function pylibmcMissing(): Promise<false | string> {
  if (process.env.CI === 'true') return false;
  const r = await run(PYTHON, ['-c', 'import pylibmc']).catch(() => null);
  return r?.code === 0
    ? false
    : 'python3-pylibmc is not installed (apt-get install python3-pylibmc)';
}

const skip = await pylibmcMissing();

function assertAllOk(t: Test, out: string): void {
  const lines = out.trim().split('\n');
  t.equal(lines.at(-1), 'done', `the script ran to the end:\n${out}`);
  const failed = lines.filter((l) => l.startsWith('FAIL'));
  t.same(failed, [], 'every pylibmc call did what memcached does');
  t.ok(lines.filter((l) => l.startsWith('ok ')).length >= 17, 'every check ran');
}

t.test('pylibmc, binary protocol', { skip }, async (t) => {
  const server = await startServer(
    parse(['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin'], { cpus: 2 }),
    {
      log: () => {},
    },
  );
  t.teardown(() => server.close());
  const r = await run(PYTHON, [SCRIPT, `127.0.0.1:${server.port}`], 20_000);
  t.equal(r.code, 0, r.stderr);
  assertAllOk(t, r.out);
});

t.test('pylibmc, binary protocol with SASL PLAIN (-S)', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-pylibmc-'));
  const pwdb = join(dir, 'users');
  writeFileSync(pwdb, 'app:s3cret\n');
  const saved = process.env.MEMCACHED_SASL_PWDB;
  process.env.MEMCACHED_SASL_PWDB = pwdb;
  const server = await startServer(
    parse(['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin', '-S'], { cpus: 2 }),
    { log: () => {} },
  ).finally(() => {
    if (saved === undefined) delete process.env.MEMCACHED_SASL_PWDB;
    else process.env.MEMCACHED_SASL_PWDB = saved;
  });
  t.teardown(() => server.close());
  const good = await run(PYTHON, [SCRIPT, `127.0.0.1:${server.port}`, 'app', 's3cret'], 20_000);
  t.equal(good.code, 0, good.stderr);
  assertAllOk(t, good.out);
  const bad = await run(PYTHON, [SCRIPT, `127.0.0.1:${server.port}`, 'app', 'wrong'], 20_000);
  t.match(bad.out, /FAIL set\/get str: .*AUTHENTICATION FAILURE/, 'a wrong password is refused');
});
