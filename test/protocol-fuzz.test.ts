/**
 * The structured protocol fuzzer, a short run: random streams of valid and invalid text and
 * meta commands, cut at random byte boundaries for slabcached, must get the replies Debian's
 * memcached gives (CAS values renamed). scripts/fuzz/protocol.ts runs it for longer.
 */
import fc from 'fast-check';
import t from 'tap';
import { startTestServer } from '../packages/server/test/helpers/server.ts';
import { skipWithoutMemcached, startMemcached } from './helpers/memcached.ts';
import { cuts, FuzzSession, normalizeCas, resetKeys, stream } from './helpers/protocol-fuzz.ts';

t.test(
  'random command streams: slabcached answers as memcached does',
  { skip: skipWithoutMemcached },
  async (t) => {
    const memcached = await startMemcached();
    t.teardown(() => {
      memcached.process.kill('SIGKILL');
    });
    const server = await startTestServer(['-t', '4']);
    t.teardown(() => server.close());
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(stream, cuts, async (data, at) => {
        runs++;
        const [m, s] = await Promise.all([
          FuzzSession.open(memcached.port),
          FuzzSession.open(server.port),
        ]);
        try {
          await Promise.all([m.run(resetKeys()), s.run(resetKeys())]);
          const [want, got] = await Promise.all([m.run(data), s.run(data, at)]);
          if (normalizeCas(got) !== normalizeCas(want)) {
            throw new Error(
              `stream ${JSON.stringify(data)}\nmemcached ${JSON.stringify(want)}\nslabcached ${JSON.stringify(got)}`,
            );
          }
        } finally {
          m.close();
          s.close();
        }
      }),
      // A fixed seed keeps CI repeatable; FUZZ_SEED explores (scripts/fuzz/protocol.ts for long runs).
      { numRuns: 150, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261127 },
    );
    t.equal(runs >= 150, true, `${runs} streams compared`);
    const check = server.store.check();
    t.equal(check.ok, true, check.errors.join('; '));
  },
);
