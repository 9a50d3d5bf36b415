/** The -S / -Y credentials file: memcached's `user:password` lines. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Credentials, loadCredentials, parseCredentials } from '../src/auth/credentials.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

t.test('parses user:password lines, skipping blank ones and CRs', async (t) => {
  const pairs = parseCredentials('alice:secret\r\n\nbob:pa:ss\n', 'file');
  t.same(pairs, [
    ['alice', 'secret'],
    ['bob', 'pa:ss'],
  ]);
  const c = new Credentials(pairs);
  t.equal(c.check(bytes('alice'), bytes('secret')), true);
  t.equal(c.check(bytes('alice'), bytes('secreT')), false);
  t.equal(c.check(bytes('alice'), bytes('secret!')), false, 'length differs');
  t.equal(c.check(bytes('carol'), bytes('secret')), false, 'unknown user');
  t.equal(c.check(bytes('bob'), bytes('pa:ss')), true);
});

t.test('refuses a line without a user and an empty file, naming the place', async (t) => {
  t.throws(() => parseCredentials('alice:x\nnocolon\n', 'f.txt'), {
    code: 'SLAB_ERR_CREDENTIALS',
    message: 'f.txt:2: expected username:password',
  });
  t.throws(() => parseCredentials(':x\n', 'f.txt'), { message: /f\.txt:1/ });
  t.throws(() => parseCredentials('\n\n', 'f.txt'), {
    message: 'f.txt: no username:password lines',
  });
});

t.test('loads a file; a missing one is a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-cred-'));
  const file = join(dir, 'users');
  writeFileSync(file, 'u:p\n');
  t.same(loadCredentials(file), [['u', 'p']]);
  t.throws(() => loadCredentials(join(dir, 'none')), {
    code: 'SLAB_ERR_CREDENTIALS',
    message: /cannot read auth file .*none: ENOENT/,
  });
});
