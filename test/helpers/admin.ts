/**
 * slabcached with its admin HTTP service on an ephemeral loopback port, for the admin and
 * dashboard tests (the shared helper in server.ts starts servers without it), and a traffic
 * generator that keeps a server busy over the text protocol.
 */
import { parse, type RunningServer, startServer } from '@slabcache/server';
import { RawClient } from '../../packages/server/test/helpers/raw-client.ts';

export interface AdminTestServer extends RunningServer {
  adminUrl: string;
  /** GET or POST on the admin service. */
  http(path: string, init?: RequestInit): Promise<Response>;
}

export async function startAdminServer(flags: string[] = []): Promise<AdminTestServer> {
  const config = parse(['-p', '0', '-l', '127.0.0.1', '--admin-port', '0', ...flags], {
    cpus: 2,
  });
  const server = await startServer(config, { log: () => {} });
  const adminUrl = server.adminUrl;
  if (adminUrl === null) throw new Error('the admin service did not start');
  return Object.assign(server, {
    adminUrl,
    http: (path: string, init?: RequestInit) => fetch(new URL(path, adminUrl), init),
  });
}

/** Pipelined sets and gets (about one in four a miss) on `connections` connections until
 * stop() is awaited. */
export async function runTraffic(
  port: number,
  connections = 2,
): Promise<{ stop(): Promise<void> }> {
  const clients = await Promise.all(
    Array.from({ length: connections }, () => RawClient.connect(port)),
  );
  let running = true;
  const loops = clients.map(async (c, n) => {
    for (let round = 0; running; round++) {
      let batch = '';
      for (let i = 0; i < 20; i++) {
        const key = `load:${n}:${(round * 20 + i) % 500}`;
        const value = 'v'.repeat(10 + ((i * 37) % 300));
        batch += `set ${key} 0 0 ${value.length} noreply\r\n${value}\r\nget ${key} load:none:${i}\r\n`;
      }
      // Every reply of the batch has arrived once the version line has.
      c.write(`${batch}version\r\n`);
      await c.readUntil('VERSION ');
      await c.readLine();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const c of clients) c.close();
    },
  };
}
