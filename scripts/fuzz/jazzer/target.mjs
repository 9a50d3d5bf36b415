/**
 * The jazzer fuzz target (plain JS: jazzer loads targets by a .js/.mjs name): every input is one connection's bytes through the server's request
 * path (harness.ts). A thrown error is a finding (in the daemon it would kill the worker);
 * every 2,048 inputs the store's self-check must also pass, so corrupted links or counts are
 * findings too, not only exceptions.
 */
import { createHarness } from './harness.ts';

const harness = createHarness();
let runs = 0;

/** @param {Buffer} data */
export function fuzz(data) {
  harness.run(data);
  if (++runs % 2048 === 0) harness.check();
}
