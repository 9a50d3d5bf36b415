/**
 * Starts the admin HTTP service (@slabcache/admin) in the main thread, on its own port, over a
 * SharedStatsSource. Loaded only when the admin is on, so `--no-admin` never loads fastify.
 */
import type { RunningAdmin } from '@slabcache/admin';
import type { ServerConfig } from './cli/options.ts';
import type { SharedStatsSource } from './stats/source.ts';

/** The admin port could not be bound; main.ts exits with memcached's status for a busy port. */
export class AdminListenError extends Error {
  readonly code: string;
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super(
      `failed to listen on admin port ${port} (${host}): ${reason(cause)} (pick another with --admin-port, or --no-admin)`,
      { cause },
    );
    this.code = cause.code ?? 'SLAB_ERR_ADMIN_LISTEN';
  }
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'Address already in use';
    case 'EACCES':
      return 'Permission denied';
    case 'EADDRNOTAVAIL':
      return 'Cannot assign requested address';
    default:
      return err.message;
  }
}

/** --admin-token, else SLABCACHE_ADMIN_TOKEN (kept out of `ps`), else none: actions off. */
export function adminToken(config: ServerConfig): string | null {
  const env = process.env.SLABCACHE_ADMIN_TOKEN;
  return config.adminToken ?? (env !== undefined && env !== '' ? env : null);
}

export async function startAdminService(
  config: ServerConfig,
  source: SharedStatsSource,
  log: (line: string) => void,
): Promise<RunningAdmin> {
  const { startAdmin } = await import('@slabcache/admin');
  try {
    return await startAdmin({
      source,
      host: config.adminHost,
      port: config.adminPort,
      token: adminToken(config),
      log: (line) => log(`slabcached: ${line}`),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.syscall === 'listen' || e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL') {
      throw new AdminListenError(config.adminHost, config.adminPort, e);
    }
    throw err;
  }
}
