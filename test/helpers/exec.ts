/**
 * Runs other people's command-line programs (libmemcached's tools) from tests: PATH lookup so
 * a missing tool skips on a developer machine (never in CI), and a bounded run that captures
 * stdout as bytes.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The program's path when `name` is an executable on PATH, else null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

/** A tap `skip` value: false when every tool is on PATH, else the reason to skip. Never skips
 * in CI (CI=true), where .ci/run installs the tools: there a missing tool fails the test. */
export function skipUnlessOnPath(...names: string[]): false | string {
  const missing = names.filter((n) => onPath(n) === null);
  if (missing.length === 0 || process.env.CI === 'true') return false;
  return `not on PATH: ${missing.join(', ')} (Debian: apt-get install libmemcached-tools)`;
}

export interface RunResult {
  /** The exit code, or null when a signal (our timeout) ended it. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** stdout as text. */
  out: string;
}

/** Runs `cmd args` with no stdin, killing it after `timeoutMs`. Never rejects on exit codes. */
export function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({
        code,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        out: stdout.toString('utf8'),
      });
    });
  });
}
