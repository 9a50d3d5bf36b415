/**
 * @slabcache/client over TLS against slabcached started with memcached's -Z: server
 * verification with the test CA, a client certificate when the server requires one, and a
 * plain client refused by a TLS server.
 */
import { Client } from '@slabcache/client';
import { parse, startServer } from '@slabcache/server';
import t from 'tap';
import { makeCerts } from '../packages/server/test/helpers/certs.ts';

const certs = makeCerts();

async function tlsServer(more: string[] = []) {
  const o = [
    `ssl_chain_cert=${certs.file('live.crt')}`,
    `ssl_key=${certs.file('live.key')}`,
    ...more,
  ].join(',');
  const flags = ['-p', '0', '-t', '2', '-l', '127.0.0.1', '--no-admin', '-Z', '-o', o];
  return startServer(parse(flags, { cpus: 2 }), { log: () => {} });
}

t.test('every protocol over TLS, the server checked against the CA', async (t) => {
  const server = await tlsServer();
  t.teardown(() => server.close());
  for (const protocol of ['meta', 'text', 'binary'] as const) {
    const c = new Client({
      servers: [`127.0.0.1:${server.port}`],
      protocol,
      tls: { ca: certs.read('ca.crt') },
    });
    t.equal(await c.set(`k-${protocol}`, 'over tls'), true, protocol);
    t.equal(await c.get(`k-${protocol}`), 'over tls', protocol);
    t.equal(await c.incr(`n-${protocol}`, 2, { initial: 5 }), 5, protocol);
    await c.close();
  }
});

t.test('an untrusted server certificate fails the call; a plain client gets nothing', async (t) => {
  const server = await tlsServer();
  t.teardown(() => server.close());
  const untrusting = new Client({ servers: [`127.0.0.1:${server.port}`], tls: true, timeout: 500 });
  await t.rejects(untrusting.get('k'), { code: /^SLABCACHE_/ });
  await untrusting.close();
  const plain = new Client({ servers: [`127.0.0.1:${server.port}`], timeout: 300 });
  await t.rejects(plain.get('k'), { code: /^SLABCACHE_/ });
  await plain.close();
});

t.test('a client certificate for ssl_verify_mode=2', async (t) => {
  const server = await tlsServer(['ssl_verify_mode=2', `ssl_ca_cert=${certs.file('ca.crt')}`]);
  t.teardown(() => server.close());
  const c = new Client({
    servers: [`127.0.0.1:${server.port}`],
    tls: {
      ca: certs.read('ca.crt'),
      cert: certs.read('client.crt'),
      key: certs.read('client.key'),
    },
  });
  t.equal(await c.set('cert', 'yes'), true);
  t.equal(await c.get('cert'), 'yes');
  await c.close();
});
