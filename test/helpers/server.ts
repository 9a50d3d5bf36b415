/**
 * Cross-package tests start slabcached the way a user embeds it: through @slabcache/server,
 * in this process (main thread + worker threads), on an ephemeral loopback port, with
 * memcached's flags. `SLABCACHE_TEST_TARGET=host:port` points the tests at an already running
 * server instead (a real memcached, to tell a client's quirk from a slabcached bug). The admin
 * HTTP service stays off: its default port is one per host (test/admin.test.ts starts its own
 * with --admin-port 0).
 */
import { parse, startServer } from '@slabcache/server';

export interface TestServer {
  host: string;
  port: number;
  /** `host:port`, the form most clients take. */
  address: string;
  /** True when the tests drive a server they did not start (SLABCACHE_TEST_TARGET). */
  external: boolean;
  close(): Promise<void>;
}

export async function startTestServer(flags: string[] = []): Promise<TestServer> {
  const target = process.env.SLABCACHE_TEST_TARGET;
  if (target) {
    const [host = '127.0.0.1', port = '11211'] = target.split(':');
    return { host, port: Number(port), address: target, external: true, close: async () => {} };
  }
  const config = parse(['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin', ...flags], {
    cpus: 2,
  });
  const server = await startServer(config, { log: () => {} });
  return {
    host: '127.0.0.1',
    port: server.port,
    address: `127.0.0.1:${server.port}`,
    external: false,
    close: () => server.close(),
  };
}
