/**
 * Debian's real memcached as a test peer: where it is, whether a test may skip without it
 * (only outside CI: .ci/run installs it), and starting one on a free loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '../../packages/server/test/helpers/ports.ts';
import { onPath } from './exec.ts';

export const MEMCACHED = existsSync('/usr/bin/memcached')
  ? '/usr/bin/memcached'
  : onPath('memcached');

/** A tap `skip` value: memcached missing outside CI; never skips in CI. */
export const skipWithoutMemcached: false | string =
  MEMCACHED === null && !process.env.CI ? 'memcached is not installed' : false;

/** Starts memcached on a free port and resolves once it accepts connections. */
export async function startMemcached(
  args: string[] = [],
): Promise<{ port: number; process: ChildProcess }> {
  if (MEMCACHED === null) throw new Error('memcached is not installed (CI installs it)');
  const port = await freePort();
  const child = spawn(
    MEMCACHED,
    ['-u', 'root', '-p', String(port), '-l', '127.0.0.1', '-U', '0', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`memcached exited: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return { port, process: child };
    if (Date.now() > deadline) throw new Error(`memcached did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
