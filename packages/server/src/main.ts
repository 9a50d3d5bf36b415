/**
 * The slabcached process: reads memcached's command line, starts the server, and stops it
 * cleanly on SIGTERM / SIGINT or the `shutdown` command. Logs go to stderr; stdout carries
 * only what -h, -V and -i print.
 */
import { spawn } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { AdminListenError } from './admin.ts';
import { CliError, parse, type ServerConfig } from './cli/options.ts';
import { licenseText, usage, versionText } from './cli/usage.ts';
import { type RunningServer, startServer } from './server.ts';

/** memcached exits with EX_USAGE on a bad command line. */
const EX_USAGE = 64;

function fail(message: string, code = 1): never {
  process.stderr.write(`slabcached: ${message}\n`);
  process.exit(code);
}

function readConfig(): ServerConfig {
  try {
    return parse(process.argv.slice(2), { cpus: availableParallelism() });
  } catch (err) {
    if (err instanceof CliError) fail(`${err.message} (see slabcached -h)`, EX_USAGE);
    throw err;
  }
}

/** -d: start a detached copy of ourselves without -d and leave. */
function daemonize(): never {
  const args = process.argv.slice(1).filter((a) => a !== '-d' && a !== '--daemon');
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  process.exit(0);
}

/** -u: as root, switch to the given user once the ports are bound (memcached does too). */
function dropPrivileges(user: string | null): void {
  if (user === null || user === 'root' || process.getuid?.() !== 0) return;
  try {
    process.setgid?.(user);
    process.setuid?.(user);
  } catch (err) {
    fail(`can't switch to user ${user}: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  switch (config.action) {
    case 'help':
      process.stdout.write(usage({ cpus: availableParallelism() }));
      return;
    case 'version':
      process.stdout.write(`${versionText()}\n`);
      return;
    case 'license':
      process.stdout.write(licenseText());
      return;
  }
  for (const w of config.warnings) process.stderr.write(`slabcached: warning: ${w}\n`);
  if (config.daemonize) daemonize();

  let server: RunningServer | null = null;
  let stopping = false;
  const stop = async (why: string, save = false) => {
    if (stopping) return;
    stopping = true;
    if (config.verbosity > 0) process.stderr.write(`slabcached: ${why}, shutting down\n`);
    await server?.close({ save });
    if (config.pidFile !== null) {
      try {
        unlinkSync(config.pidFile);
      } catch {}
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // memcached -e: SIGUSR1 (and `shutdown graceful`) stop and keep the cache for the next start.
  process.on('SIGUSR1', () => void stop('SIGUSR1', true));

  try {
    server = await startServer(config, {
      onShutdown: (graceful) =>
        void stop(graceful ? 'shutdown graceful' : 'shutdown command', graceful),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof AdminListenError) fail(err.message, 71);
    if (e.code === 'EADDRINUSE') {
      // The error names what was busy: a TCP or UDP port, or the unix socket's path.
      const what = e.syscall === 'bind' && e.message.includes('udp') ? 'UDP port' : 'TCP port';
      const where = config.unixSocket ?? `${what} ${(e as { port?: number }).port ?? config.port}`;
      fail(`failed to listen on ${where}: Address already in use`, 71);
    }
    fail(e.message ?? String(err));
  }
  dropPrivileges(config.user);
  if (config.pidFile !== null) writeFileSync(config.pidFile, `${process.pid}\n`);
  if (config.verbosity > 0) {
    const where = config.unixSocket ?? server.hosts.map((h) => `${h}:${server?.port}`).join(', ');
    process.stderr.write(`slabcached: ${config.threads} threads, listening on ${where}\n`);
    if (server.adminUrl !== null) {
      process.stderr.write(
        `slabcached: admin (stats, /metrics, dashboard) on ${server.adminUrl}\n`,
      );
    }
  }
}

main().catch((err) => fail((err as Error).stack ?? String(err)));
