/** Loopback ports for tests. */
import { createServer } from 'node:net';

/** A port nobody listens on now (the OS's pick for a moment's listener). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
