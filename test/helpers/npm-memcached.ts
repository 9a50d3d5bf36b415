/**
 * The npm `memcached` client (3rd-Eden's node-memcached) behind promises: its API is
 * callback-only, and every callback takes (err, result).
 */
import Memcached from 'memcached';

export { Memcached };

/** Calls a callback-style method and resolves with its result, or rejects with its error. */
export function call<T>(fn: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, result) => {
      if (err) reject(Array.isArray(err) ? err[0] : err);
      else resolve(result);
    });
  });
}

/** Like call(), but resolves with the error (or null) and the result instead of rejecting. */
export function settle<T>(
  fn: (cb: (err: unknown, result: T) => void) => void,
): Promise<{ err: Error | null; result: T }> {
  return new Promise((resolve) => {
    fn((err, result) => {
      const e = Array.isArray(err) ? err[0] : err;
      resolve({ err: e ? (e as Error) : null, result });
    });
  });
}

/**
 * A client for one server with short timeouts, and connections closed after a second of
 * idleness so that a finished test does not linger; end() closes the rest.
 */
export function connectClient(address: string, options: Memcached.options = {}): Memcached {
  return new Memcached(address, { timeout: 3000, idle: 1000, poolSize: 8, ...options });
}
