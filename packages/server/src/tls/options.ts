/**
 * memcached's TLS settings (-Z and the -o ssl_* options) as Node TLS server options. The
 * files are read here, synchronously, at start and again on `refresh_certs`; an unreadable or
 * mismatched certificate/key is a clear error rather than a listener that fails later.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type TlsOptions } from 'node:tls';
import type { ServerConfig } from '../cli/options.ts';

export class TlsSetupError extends Error {
  readonly code = 'SLAB_ERR_TLS';
}

/** memcached's ssl_verify_mode: 0 none, 1 request a client certificate (checked if sent),
 * 2 require one, 3 require one on the first handshake only (sessions resume without). */
export function tlsOptions(cfg: ServerConfig): TlsOptions {
  if (cfg.sslChainCert === null) {
    throw new TlsSetupError('-Z needs -o ssl_chain_cert=<file> (and ssl_key=<file>)');
  }
  const cert = read(cfg.sslChainCert, 'ssl_chain_cert');
  const keyFile = cfg.sslKey ?? cfg.sslChainCert;
  const rawKey = read(keyFile, 'ssl_key');
  const key = cfg.sslKeyFormat === 'der' ? derToPem(rawKey, keyFile) : rawKey;
  const options: TlsOptions = {
    cert,
    key,
    minVersion: cfg.sslMinVersion,
    requestCert: cfg.sslVerifyMode >= 1,
    // Mode 1 lets a client without a certificate in; a bad certificate is refused after the
    // handshake (see rejectsPeer).
    rejectUnauthorized: cfg.sslVerifyMode >= 2,
  };
  if (cfg.sslCaCert !== null) options.ca = read(cfg.sslCaCert, 'ssl_ca_cert');
  if (cfg.sslCiphers !== null) options.ciphers = cfg.sslCiphers;
  try {
    // Fails now on a key that does not match the certificate, a bad cipher list, etc.
    createSecureContext(options);
  } catch (err) {
    throw new TlsSetupError(`TLS setup failed: ${(err as Error).message}`);
  }
  return options;
}

/** With ssl_verify_mode 1 a client may send no certificate, but one that fails verification
 * is turned away, as OpenSSL's SSL_VERIFY_PEER does. */
export function rejectsPeer(
  cfg: ServerConfig,
  socket: { authorized: boolean; getPeerCertificate(): object | null },
): boolean {
  if (cfg.sslVerifyMode !== 1 || socket.authorized) return false;
  const peer = socket.getPeerCertificate() as { raw?: Buffer } | null;
  return peer?.raw !== undefined;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsSetupError(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

function derToPem(der: Buffer, file: string): string {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type })
        .export({ format: 'pem', type: 'pkcs8' })
        .toString();
    } catch {}
  }
  throw new TlsSetupError(`ssl_key ${file} is not a DER private key (ssl_keyformat=2)`);
}
