/**
 * The structured protocol fuzzer, long run: random text and meta command streams (valid and
 * invalid), cut at random byte boundaries for slabcached, compared with Debian's memcached.
 * Bounded by count and time; prints executions, mismatches, hangs and the store self-check.
 *
 *   node_modules/.bin/node --conditions=slabcache-source scripts/fuzz/protocol.ts \
 *     [--runs 5000] [--seconds 300] [--seed N]
 *
 * A mismatch prints the stream and both replies and exits 1.
 */
import fc from 'fast-check';
import { startTestServer } from '../../packages/server/test/helpers/server.ts';
import { startMemcached } from '../../test/helpers/memcached.ts';
import {
  cuts,
  FuzzSession,
  normalizeCas,
  resetKeys,
  stream,
} from '../../test/helpers/protocol-fuzz.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', 5000);
const seconds = arg('seconds', 300);
const seed = arg('seed', Date.now() % 2 ** 31);

const memcached = await startMemcached();
const server = await startTestServer(['-t', '4']);
const deadline = Date.now() + seconds * 1000;
let executions = 0;
let hangs = 0;
let failure: string | null = null;
const started = Date.now();
const samples = fc.sample(fc.tuple(stream, cuts), { numRuns: runs, seed });
for (const [data, at] of samples) {
  if (Date.now() > deadline) break;
  const [m, s] = await Promise.all([
    FuzzSession.open(memcached.port),
    FuzzSession.open(server.port),
  ]);
  await Promise.all([m.run(resetKeys()), s.run(resetKeys())]);
  const [want, got] = await Promise.all([m.run(data), s.run(data, at)]);
  m.close();
  s.close();
  executions++;
  if (got.endsWith('<timeout>')) hangs++;
  if (normalizeCas(got) !== normalizeCas(want)) {
    failure = `stream ${JSON.stringify(data)}\nmemcached  ${JSON.stringify(want)}\nslabcached ${JSON.stringify(got)}`;
    break;
  }
}
const check = server.store.check();
console.log(
  `protocol fuzz: seed ${seed}, ${executions} streams in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
    `mismatches ${failure === null ? 0 : 1}, hangs ${hangs}, server crashes 0, self-check ${check.ok ? 'ok' : check.errors.join('; ')}`,
);
if (failure !== null) console.log(failure);
await server.close();
memcached.process.kill('SIGKILL');
process.exit(failure === null && check.ok && hangs === 0 ? 0 : 1);
