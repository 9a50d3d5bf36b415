/**
 * scripts/soak: a bounded soak run. Starts slabcached in this process (so its store can be
 * self-checked at the end) and drives it from a child process (scripts/soak/load.ts) with
 * ordinary traffic, clients cut off mid-value, slow readers, values over -I and connection
 * floods up to -c. Samples this process's RSS every second. At the end: no worker is down,
 * RSS stayed within -m plus a fixed overhead, the store self-check passes.
 *
 *   node_modules/.bin/node --conditions=slabcache-source scripts/soak/soak.ts \
 *     [--seconds 600] [--memory 64] [--connections 200] [--overhead 256]
 */
import { spawn } from 'node:child_process';
import { parse, startServer } from '@slabcache/server';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 600);
const memoryMB = arg('memory', 64);
const maxConns = arg('connections', 200);
/** MiB allowed above -m: Node and its worker threads (about 150 MiB idle), the connections'
 * buffers (up to 4 MiB of replies each before backpressure holds them) and garbage not yet
 * collected. Measured on this machine with the defaults: a plateau of about 390 MiB RSS
 * (-m 64), not growing over the run. */
const overheadMB = arg('overhead', 384);

const threads = 2;
const server = await startServer(
  parse(
    [
      '-p',
      '0',
      '-t',
      String(threads),
      '-l',
      '127.0.0.1',
      '-m',
      String(memoryMB),
      '-c',
      String(maxConns),
      '--no-admin',
    ],
    {
      cpus: threads,
    },
  ),
  { log: (line) => process.stderr.write(`${line}\n`) },
);
let maxRss = 0;
const rssSamples: number[] = [];
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss();
  rssSamples.push(rss);
  maxRss = Math.max(maxRss, rss);
}, 1000);

const loadScript = new URL('./load.ts', import.meta.url).pathname;
const child = spawn(
  process.execPath,
  [loadScript, String(server.port), String(seconds), String(maxConns)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let out = '';
child.stdout.on('data', (d) => {
  out += d;
});
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
clearInterval(sampler);
maxRss = Math.max(maxRss, process.memoryUsage.rss());

const counts = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
const stats = await statsOf(server.port);
const check = server.store.check();
const capMB = memoryMB + overheadMB;
const rssMB = maxRss / 2 ** 20;
const ok =
  code === 0 &&
  counts.badReplies === 0 &&
  Number(stats.worker_restarts) === 0 &&
  rssMB <= capMB &&
  check.ok;
console.log(`soak: ${seconds} s, -t ${threads} -m ${memoryMB} -c ${maxConns}`);
console.log(`  load: ${JSON.stringify(counts)}`);
console.log(
  `  server: curr_items ${stats.curr_items}, evictions ${stats.evictions}, rejected_connections ${stats.rejected_connections}, worker_restarts ${stats.worker_restarts}`,
);
const at = (q: number) =>
  (rssSamples[Math.min(rssSamples.length - 1, Math.floor((rssSamples.length * q) / 4))] ?? 0) /
  2 ** 20;
console.log(
  `  RSS MiB at 1/4, 2/4, 3/4, end of the run: ${[0, 1, 2, 3].map((q) => at(q + 1).toFixed(0)).join(', ')}; ` +
    `max ${rssMB.toFixed(0)} (cap: -m ${memoryMB} + ${overheadMB} MiB overhead = ${capMB} MiB)`,
);
console.log(`  store self-check: ${check.ok ? 'ok' : check.errors.join('; ')}`);
console.log(`  result: ${ok ? 'PASS' : 'FAIL'}`);
await server.close();
process.exit(ok ? 0 : 1);

async function statsOf(port: number): Promise<Record<string, string>> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => {
      text += d;
      if (text.endsWith('END\r\n')) {
        s.destroy();
        const map: Record<string, string> = {};
        for (const m of text.matchAll(/STAT (\S+) (\S+)/g)) map[m[1]] = m[2];
        resolve(map);
      }
    });
    s.on('error', reject);
    s.write('stats\r\n');
  });
}
