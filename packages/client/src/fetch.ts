/**
 * `client.fetch(key, loader, options)`: read-through caching where one caller recomputes a
 * missing or aging value and the others do not pile onto the loader (thundering herd), using
 * the meta protocol's leases:
 *
 * - `mg <key> v f c N<lockTtl> R<staleTtl>`: on a miss the server creates an empty placeholder
 *   and answers W (you won) to the first caller and Z (someone else won) to the rest; on a hit
 *   whose remaining TTL fell below `staleTtl` (or that was invalidated, X) it also hands W to
 *   one caller and Z to the others, who keep getting the old value meanwhile.
 * - The winner runs the loader and stores the result for `ttl + staleTtl` seconds, which ends
 *   the lease; the value is fresh for `ttl` and then served stale for up to `staleTtl` while
 *   one caller recomputes it.
 * - A caller that gets Z on the empty placeholder waits (polling, up to `wait` ms) for the
 *   winner's value; if none comes (the winner is slow or died), it runs the loader itself.
 *
 * In one process, concurrent fetches of a key share one of these (the client's in-flight map).
 * On the text and binary protocols, which have no leases, fetch is get, then on a miss loader
 * and set: correct, without herd protection.
 */
import type { LeaseItem } from './protocols/protocol.ts';

export interface FetchOptions {
  /** Seconds the value is fresh. */
  ttl: number;
  /** Seconds it is then still served while one caller recomputes it (default 0: none). */
  staleTtl?: number;
  /** Seconds a miss's placeholder (the recompute lease) lives (default 30). */
  lockTtl?: number;
  /** ms a caller waits for another's recompute before running the loader itself (default
   * 500). */
  wait?: number;
}

/** What fetch needs of the client, for one key. */
export interface LeaseOps {
  lease(lockTtl: number, recacheBelow: number): Promise<LeaseItem>;
  decode(item: LeaseItem): Promise<unknown>;
  store(value: unknown, ttl: number): Promise<unknown>;
  remove(): Promise<unknown>;
}

const FIRST_PAUSE = 5;
const MAX_PAUSE = 100;

/** Whether the item is the empty placeholder a miss with N creates (nothing stored yet). */
function placeholder(item: LeaseItem): boolean {
  return item.value.length === 0 && item.flags === 0;
}

export async function fetchWithLease<T>(
  ops: LeaseOps,
  loader: () => T | Promise<T>,
  options: FetchOptions,
): Promise<T> {
  const staleTtl = options.staleTtl ?? 0;
  const lockTtl = options.lockTtl ?? 30;
  const deadline = performance.now() + (options.wait ?? 500);
  let pause = FIRST_PAUSE;
  for (;;) {
    const item = await ops.lease(lockTtl, staleTtl);
    if (item.won) return recompute(ops, loader, options.ttl + staleTtl, placeholder(item));
    if (!item.winSent || !placeholder(item)) return (await ops.decode(item)) as T;
    const left = deadline - performance.now();
    if (left <= 0) return recompute(ops, loader, options.ttl + staleTtl, false);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, MAX_PAUSE);
  }
}

async function recompute<T>(
  ops: LeaseOps,
  loader: () => T | Promise<T>,
  ttl: number,
  dropOnError: boolean,
): Promise<T> {
  let value: T;
  try {
    value = await loader();
  } catch (e) {
    // Free the placeholder, so the next caller wins at once instead of waiting for it.
    if (dropOnError) await ops.remove().catch(() => {});
    throw e;
  }
  await ops.store(value, ttl);
  return value;
}
