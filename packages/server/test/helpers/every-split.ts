/**
 * Pipelined batches split at every byte boundary: the server must answer a batch the same
 * however its bytes are cut into reads. A batch ends with `version\r\n`, whose reply ends the
 * read.
 */
import type { Test } from 'tap';
import { RawClient } from './raw-client.ts';

/** Sends `batch` on a new connection in two writes cut at `split`; returns every reply up to
 * and including the VERSION line. */
export async function sendSplit(port: number, batch: Buffer, split: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    c.write(batch.subarray(0, split));
    // Let the first part arrive on its own so the server sees two reads.
    await new Promise((r) => setTimeout(r, 2));
    c.write(batch.subarray(split));
    return await c.readUntil('VERSION ').then(async (s) => s + (await c.readLine()));
  } finally {
    c.close();
  }
}

/** Asserts that every split of `batch` gets `whole` (the replies to it sent in one write),
 * with one assertion per mismatch and one for the count. */
export async function checkEverySplit(
  t: Test,
  port: number,
  batch: Buffer,
  whole: string,
): Promise<void> {
  let mismatches = 0;
  for (let split = 1; split < batch.length; split++) {
    const got = await sendSplit(port, batch, split);
    if (got !== whole) {
      mismatches++;
      t.equal(got, whole, `split at byte ${split}`);
    }
  }
  t.equal(mismatches, 0, `${batch.length - 1} splits`);
}
