/**
 * Debian's libmemcached-tools (libmemcached 1.1.4: memccp, memccat, memcrm, memcexist,
 * memctouch, memcstat, memcflush, memcdump, memcping, and the conformance checker
 * memccapable) against a started slabcached, asserting on their output and exit codes.
 * Each test skips when its tools are not on PATH, except in CI, which installs them (.ci/run).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, startServer } from '@slabcache/server';
import t, { type Test } from 'tap';
import { freePort } from '../packages/server/test/helpers/ports.ts';
import { run, skipUnlessOnPath } from './helpers/exec.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const KiB = 1024;

let server: TestServer;
let servers: string;
let dir: string;

t.before(async () => {
  server = await startTestServer(['-m', '64']);
  servers = `--servers=${server.address}`;
  dir = mkdtempSync(join(tmpdir(), 'slabcache-libmemcached-'));
});
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
});

/** Writes `data` to a new file in the test's directory and returns its path. */
function file(name: string, data: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** Polls `check` every 100 ms, at most `tries` times, until it returns true. */
async function eventually(check: () => Promise<boolean>, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function exists(key: string): Promise<boolean> {
  const r = await run('memcexist', [servers, key]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`memcexist exited ${r.code}: ${r.stderr}`);
  return r.code === 0;
}

/** memccapable's ascii tests, in the order it runs them. */
const ASCII_TESTS = [
  'version',
  'quit',
  'verbosity',
  'set',
  'set noreply',
  'get',
  'gets',
  'mget',
  'flush',
  'flush noreply',
  'add',
  'add noreply',
  'replace',
  'replace noreply',
  'cas',
  'cas noreply',
  'delete',
  'delete noreply',
  'incr',
  'incr noreply',
  'decr',
  'decr noreply',
  'append',
  'append noreply',
  'prepend',
  'prepend noreply',
  'stat',
].map((name) => `ascii ${name}`);

/** Runs memccapable with -a or -b on a server of its own and returns its test results. */
async function memccapable(
  t: Test,
  mode: '-a' | '-b',
): Promise<{ results: Map<string, string>; out: string; code: number | null; stderr: string }> {
  // memccapable flushes the server: give it one of its own. (It also runs first, so that
  // with SLABCACHE_TEST_TARGET no delayed flush from the memcflush test is pending.)
  const own = await startTestServer(['-m', '64']);
  t.teardown(() => own.close());
  const r = await run(
    'memccapable',
    ['-h', own.host, '-p', String(own.port), mode, '-t', '5'],
    25_000,
  );
  const results = new Map<string, string>();
  for (const line of r.out.split('\n')) {
    const m = /^((?:ascii|binary) .*?)\s+\[(\w+)\]$/.exec(line);
    if (m?.[1] && m[2]) results.set(m[1], m[2]);
  }
  return { results, out: r.out, code: r.code, stderr: r.stderr };
}

t.test(
  'memccapable -a: every ascii protocol test passes',
  { skip: skipUnlessOnPath('memccapable') },
  async (t) => {
    const r = await memccapable(t, '-a');
    for (const name of ASCII_TESTS) t.equal(r.results.get(name), 'pass', name);
    t.same(
      [...r.results.keys()].filter((n) => !ASCII_TESTS.includes(n)),
      [],
      'no tests beyond the known ones',
    );
    t.match(r.out, /^All tests passed$/m);
    t.equal(r.code, 0, `memccapable exits 0 (stderr: ${r.stderr})`);
  },
);

t.test(
  'memccapable -b: every binary protocol test passes',
  { skip: skipUnlessOnPath('memccapable') },
  async (t) => {
    const r = await memccapable(t, '-b');
    const names = [...r.results.keys()];
    t.ok(names.length >= 27, `memccapable ran its binary tests (${names.length})`);
    for (const name of names) t.equal(r.results.get(name), 'pass', name);
    t.ok(
      names.every((n) => n.startsWith('binary ')),
      'only binary tests ran',
    );
    t.match(r.out, /^All tests passed$/m);
    t.equal(r.code, 0, `memccapable exits 0 (stderr: ${r.stderr})`);
  },
);

t.test(
  'memccp copies files in, memccat reads them back byte for byte',
  { skip: skipUnlessOnPath('memccp', 'memccat') },
  async (t) => {
    const text = file('cp-text.txt', 'hello\nworld\r\nEND\r\n');
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const binary = file('cp-binary.bin', Buffer.concat([allBytes, randomBytes(64 * KiB)]));
    const bigData = randomBytes(600 * KiB);
    const big = file('cp-big.bin', bigData);
    const empty = file('cp-empty', '');

    const cp = await run('memccp', [servers, text, binary, big, empty]);
    t.equal(cp.code, 0, `memccp exits 0 (stderr: ${cp.stderr})`);
    t.equal(cp.stderr, '');

    // memccat writes each value and a newline; --file writes the bare value.
    const cat = await run('memccat', [servers, 'cp-text.txt']);
    t.equal(cat.code, 0);
    t.equal(cat.out, `${readFileSync(text, 'utf8')}\n`, 'the value, then a newline');

    for (const [key, path] of [
      ['cp-binary.bin', binary],
      ['cp-big.bin', big],
      ['cp-text.txt', text],
      ['cp-empty', empty],
    ] as const) {
      const out = join(dir, `${key}.out`);
      const r = await run('memccat', [servers, `--file=${out}`, key]);
      t.equal(r.code, 0, `memccat --file ${key} exits 0`);
      t.ok(readFileSync(out).equals(readFileSync(path)), `${key}: byte-identical`);
    }
    const viaStdout = await run('memccat', [servers, 'cp-binary.bin']);
    t.ok(
      viaStdout.stdout.equals(Buffer.concat([readFileSync(binary), Buffer.from('\n')])),
      'binary through stdout: identical, plus the newline',
    );

    // Several keys in one memccat, in order.
    const two = await run('memccat', [servers, 'cp-text.txt', 'cp-empty']);
    t.equal(two.out, `${readFileSync(text, 'utf8')}\n\n`);

    // A missing key: exit 1, nothing on stdout.
    const missing = await run('memccat', [servers, 'cp-no-such-key']);
    t.equal(missing.code, 1, 'memccat on a missing key exits 1');
    t.equal(missing.out, '');

    // Flags (-F) and the verbose form.
    const flagged = file('cp-flagged', 'with flags');
    t.equal((await run('memccp', [servers, '--flags=4242', flagged])).code, 0);
    const f = await run('memccat', [servers, '--flags', 'cp-flagged']);
    t.equal(f.out, '4242\nwith flags\n', 'memccat --flags prints the flags first');
    const v = await run('memccat', [servers, '--verbose', 'cp-text.txt']);
    t.equal(v.out, `key: cp-text.txt\nvalue: ${readFileSync(text, 'utf8')}\n`);

    // Overwrite, then add (refused: exists) and replace (refused: missing).
    writeFileSync(text, 'second version');
    t.equal((await run('memccp', [servers, '--set', text])).code, 0);
    t.equal((await run('memccat', [servers, 'cp-text.txt'])).out, 'second version\n');
    const add = await run('memccp', [servers, '--add', text]);
    t.equal(add.code, 1, 'memccp --add of an existing key exits 1');
    t.match(add.stderr, /memcached_add\('cp-text\.txt'\): NOT STORED/);
    const fresh = file('cp-fresh', 'fresh');
    const replace = await run('memccp', [servers, '--replace', fresh]);
    t.equal(replace.code, 1, 'memccp --replace of a missing key exits 1');
    t.match(replace.stderr, /memcached_replace\('cp-fresh'\): NOT STORED/);
    t.equal((await run('memccp', [servers, '--add', fresh])).code, 0, '--add of a new key');
    t.equal((await run('memccp', [servers, '--replace', fresh])).code, 0, '--replace now');
    t.equal((await run('memccat', [servers, 'cp-fresh'])).out, 'fresh\n');

    // Key naming: --relative keeps the path as given.
    const relative = await run('memccp', [servers, '--relative', flagged]);
    t.equal(relative.code, 0);
    t.equal((await run('memccat', [servers, flagged])).out, 'with flags\n', 'key is the path');

    // A file above the item limit (1 MiB) is refused; the server goes on answering.
    const huge = file('cp-huge', Buffer.alloc(2 * 1024 * KiB, 0x61));
    const tooBig = await run('memccp', [servers, huge]);
    t.equal(tooBig.code, 1, 'memccp of a 2 MiB file exits 1');
    t.not(tooBig.stderr, '', 'and says why');
    t.equal((await run('memccat', [servers, 'cp-huge'])).code, 1, 'nothing stored');
    t.equal((await run('memccat', [servers, 'cp-fresh'])).out, 'fresh\n', 'still serving');
  },
);

t.test(
  'memcexist, memctouch, memcrm',
  { skip: skipUnlessOnPath('memccp', 'memcexist', 'memctouch', 'memcrm') },
  async (t) => {
    t.equal((await run('memccp', [servers, file('ex-a', 'a'), file('ex-b', 'b')])).code, 0);

    const found = await run('memcexist', [servers, 'ex-a', 'ex-b']);
    t.equal(found.code, 0, 'memcexist of present keys exits 0');
    const some = await run('memcexist', [servers, '--verbose', 'ex-a', 'ex-missing']);
    t.equal(some.code, 1, 'memcexist exits 1 when a key is missing');
    t.match(some.stderr, /Found key 'ex-a'\./);
    t.match(some.stderr, /Could not find key 'ex-missing': NOT FOUND/);

    const touch = await run('memctouch', [servers, '--expire=300', 'ex-a']);
    t.equal(touch.code, 0, 'memctouch of a present key exits 0');
    const touchMissing = await run('memctouch', [servers, '-v', '--expire=300', 'ex-missing']);
    t.equal(touchMissing.code, 1, 'memctouch of a missing key exits 1');
    t.match(touchMissing.stderr, /Could not find key 'ex-missing': NOT FOUND/);
    t.ok(await exists('ex-a'), 'touched key still there');

    // A touch to 1 second: the key expires.
    t.equal((await run('memctouch', [servers, '--expire=1', 'ex-a'])).code, 0);
    t.ok(
      await eventually(async () => !(await exists('ex-a'))),
      'gone within 5 s of memctouch -e 1',
    );
    t.ok(await exists('ex-b'), 'the other key is untouched');

    const rm = await run('memcrm', [servers, 'ex-b']);
    t.equal(rm.code, 0, 'memcrm of a present key exits 0');
    t.equal(rm.stderr, '');
    t.notOk(await exists('ex-b'), 'removed');
    const rmAgain = await run('memcrm', [servers, '-v', 'ex-b']);
    t.equal(rmAgain.code, 1, 'memcrm of a missing key exits 1');
    t.match(rmAgain.stderr, /Could not find key 'ex-b': NOT FOUND/);
  },
);

t.test('memcstat', { skip: skipUnlessOnPath('memccp', 'memcstat') }, async (t) => {
  await run('memccp', [servers, file('st-a', 'x'.repeat(100))]);
  const host = `${server.host} (${server.port})`;

  const stat = await run('memcstat', [servers]);
  t.equal(stat.code, 0, 'memcstat exits 0');
  const lines = stat.out.split('\n');
  t.equal(lines[0], `Server: ${host}`);
  const stats = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const m = /^\t(\w+): (.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) stats.set(m[1], m[2]);
  }
  for (const name of ['pid', 'uptime', 'time', 'curr_connections', 'cmd_get', 'curr_items'])
    t.match(stats.get(name), /^\d+$/, `stats ${name}`);
  t.match(stats.get('version'), /^\d+\.\d+\.\d+$/, 'stats version');
  t.ok(Number(stats.get('curr_items')) >= 1, 'curr_items counts our item');

  const version = await run('memcstat', [servers, '--server-version']);
  t.equal(version.code, 0);
  // memcstat prints the versions on stderr.
  t.equal(version.stderr, `${server.address} ${stats.get('version')}\n`, 'memcstat -S');

  const items = await run('memcstat', [servers, 'items']);
  t.equal(items.code, 0);
  t.match(items.out, new RegExp(`^Server: ${host.replace(/[()]/g, '\\$&')}\n`));
  t.match(items.out, /\n\titems:\d+:number: [1-9]\d*\n/, 'memcstat items');
  const slabs = await run('memcstat', [servers, 'slabs']);
  t.match(slabs.out, /\n\t\d+:chunk_size: \d+\n/, 'memcstat slabs');
  t.match(slabs.out, /\n\tactive_slabs: [1-9]\d*\n/);
  const settings = await run('memcstat', [servers, 'settings']);
  t.match(settings.out, /\n\tmaxbytes: 67108864\n/, 'memcstat settings');
  const unknown = await run('memcstat', [servers, 'nosuchgroup']);
  t.equal(unknown.code, 1, 'an unknown stats group exits 1');
  t.match(unknown.stderr, /Failed to 'STAT nosuchgroup'/);

  const analyze = await run('memcstat', [servers, '--analyze']);
  t.equal(analyze.code, 0, 'memcstat --analyze exits 0');
  t.match(analyze.out, /Memcached Cluster Analysis Report/);
  t.match(analyze.out, /Number of Servers Analyzed\s+: 1/);
  t.match(analyze.out, /Average Item Size \(incl\/overhead\)\s+: \d+ bytes/);
  const latency = await run('memcstat', [servers, '--analyze=latency', '--iterations=50']);
  t.equal(latency.code, 0, 'memcstat --analyze=latency exits 0');
  t.match(latency.out, /Network Latency Test:/);
  t.match(latency.out, new RegExp(`${server.host} \\(${server.port}\\)\\s+=> [\\d.]+ seconds`));
});

t.test(
  'memcflush empties the cache',
  { skip: skipUnlessOnPath('memccp', 'memcflush', 'memcexist') },
  async (t) => {
    t.equal((await run('memccp', [servers, file('fl-a', 'a'), file('fl-b', 'b')])).code, 0);
    t.ok(await exists('fl-a'));
    const flush = await run('memcflush', [servers]);
    t.equal(flush.code, 0, 'memcflush exits 0');
    t.equal(flush.out + flush.stderr, '');
    t.notOk(await exists('fl-a'), 'fl-a gone');
    t.notOk(await exists('fl-b'), 'fl-b gone');
    t.equal((await run('memccp', [servers, file('fl-c', 'c')])).code, 0, 'usable after');
    t.ok(await exists('fl-c'));

    // A delayed flush (flush_all 2): the key stays until then.
    const later = await run('memcflush', [servers, '--expire=2']);
    t.equal(later.code, 0, 'memcflush --expire=2 exits 0');
    t.ok(await exists('fl-c'), 'still there right after a delayed flush');
    t.ok(
      await eventually(async () => !(await exists('fl-c'))),
      'gone within 5 s of a flush delayed 2 s',
    );
  },
);

t.test('memcping', { skip: skipUnlessOnPath('memcping') }, async (t) => {
  const ping = await run('memcping', [servers]);
  t.equal(ping.code, 0, 'memcping exits 0');
  t.equal(ping.out + ping.stderr, '');
  const port = await freePort();
  const dead = await run('memcping', [`--servers=127.0.0.1:${port}`]);
  t.equal(dead.code, 1, 'memcping of a closed port exits 1');
  t.match(dead.stderr, `Failed to ping '127.0.0.1:${port}:CONNECTION FAILURE`);
});

t.test('memcdump lists the keys', { skip: skipUnlessOnPath('memccp', 'memcdump') }, async (t) => {
  const keys = ['du-a', 'du-b', 'du-c'];
  t.equal((await run('memccp', [servers, ...keys.map((k) => file(k, k))])).code, 0);
  const dump = await run('memcdump', [servers]);
  t.equal(dump.code, 0, 'memcdump exits 0');
  t.equal(dump.stderr, '', 'no error');
  // memcached dumps only its COLD LRU (so fresh keys may be absent) and lists flushed or
  // expired items until they are reclaimed: all that holds is one key a line.
  const listed = dump.out.split('\n').filter(Boolean);
  t.ok(
    listed.every((line) => /^[\x21-\x7e]{1,250}$/.test(line)),
    `one key a line (${listed.length} listed)`,
  );
});

t.test(
  'memccp --udp stores over UDP',
  { skip: skipUnlessOnPath('memccp', 'memccat') },
  async (t) => {
    // libmemcached sends UDP sets as noreply and reads nothing back; memccat reads over TCP.
    // SLABCACHE_TEST_TARGET must then serve UDP on its TCP port (memcached -p P -U P).
    let tcp = servers;
    let udp = servers;
    if (!server.external) {
      const config = parse(['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin'], { cpus: 2 });
      const own = await startServer(config, { ephemeralUdp: true, log: () => {} });
      t.teardown(() => own.close());
      tcp = `--servers=127.0.0.1:${own.port}`;
      udp = `--servers=127.0.0.1:${own.udpPort}`;
    }
    const small = file('udp-small.txt', 'over udp\n');
    const large = file('udp-large.txt', randomBytes(1500).toString('base64'));
    const cp = await run('memccp', [udp, '--udp', '--flags=77', small, large]);
    t.equal(cp.code, 0, `memccp --udp exits 0 (stderr: ${cp.stderr})`);
    const stored = () => run('memccat', [tcp, '--flags', 'udp-small.txt']);
    t.ok(await eventually(async () => (await stored()).code === 0), 'the set arrived');
    t.equal((await stored()).out, '77\nover udp\n\n', 'with its flags (--flags prints them first)');
    const back = await run('memccat', [tcp, 'udp-small.txt', 'udp-large.txt']);
    t.equal(back.out, `over udp\n\n${readFileSync(large, 'utf8')}\n`, 'both values, byte for byte');
  },
);
