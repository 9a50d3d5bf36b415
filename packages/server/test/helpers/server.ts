/**
 * Tests start real servers: slabcached in this process (main thread + worker threads) on an
 * ephemeral loopback port, with memcached flags, and stop them afterwards. Without the admin
 * HTTP service, whose default port tests running side by side would fight over (admin tests
 * start their own with --admin-port 0).
 */
import { parse } from '../../src/cli/options.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export interface TestServer extends RunningServer {
  host: string;
}

export interface TestServerOptions {
  /** Also serve UDP, on an ephemeral port (server.udpPort). */
  udp?: boolean;
}

export async function startTestServer(
  flags: string[] = [],
  options: TestServerOptions = {},
): Promise<TestServer> {
  const config = parse(['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin', ...flags], {
    cpus: 2,
  });
  const server = await startServer(config, { log: () => {}, ephemeralUdp: options.udp });
  return Object.assign(server, { host: '127.0.0.1' });
}
