/**
 * Test certificates made by the openssl CLI in a temporary folder: a CA, two server
 * certificates (server1, server2: for refresh_certs swaps) and a client certificate, all
 * signed by the CA and valid for 127.0.0.1 and localhost. `live.crt`/`live.key` start as
 * server1's and are what a test server reads.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** Path of a file in the folder. */
  file(name: string): string;
  /** Contents of a file in the folder. */
  read(name: string): Buffer;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-tls-'));
  const f = (name: string) => join(dir, name);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server1', 'server2', 'client']) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f('ext.cnf'),
      '-out',
      f(`${name}.crt`),
    );
  }
  copyFileSync(f('server1.crt'), f('live.crt'));
  copyFileSync(f('server1.key'), f('live.key'));
  return { dir, file: f, read: (name) => readFileSync(f(name)) };
}
