/**
 * Server addresses as users write them (`'10.0.0.5:11211'`, `'cache-2'`, `'[::1]:11212'`,
 * `{ host, port, weight }`), normalized once, so that every later lookup (ring, pools, error
 * messages) uses the same `host:port` string. (The npm `memcached` client leaked a connection
 * per request when a server was given without its port, because it compared the two spellings:
 * 3rd-Eden/memcached#275, #349.)
 */

/** memcached's default port; libmemcached names such servers by host alone on its ring. */
export const DEFAULT_PORT = 11211;

export interface ServerSpec {
  /** Host name or IP address as given (IPv6 without brackets). */
  host: string;
  port: number;
  /** Share of the keys relative to the other servers' weights (libmemcached's weight). */
  weight: number;
  /** `host:port`, or `[v6]:port`: the server's name in results, errors and events. */
  address: string;
}

export type ServerInput = string | { host: string; port?: number; weight?: number };

export function parseServer(input: ServerInput): ServerSpec {
  if (typeof input === 'string') return fromString(input);
  if (input === null || typeof input !== 'object' || typeof input.host !== 'string') {
    throw new TypeError(`bad server: ${JSON.stringify(input)}`);
  }
  return spec(unbracket(input.host), input.port ?? DEFAULT_PORT, input.weight ?? 1, input);
}

function fromString(s: string): ServerSpec {
  const text = s.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return spec(v6[1], v6[2] === undefined ? DEFAULT_PORT : Number(v6[2]), 1, s);
  const colons = text.split(':').length - 1;
  // More than one colon and no brackets: a bare IPv6 address, on the default port.
  if (colons > 1) return spec(text, DEFAULT_PORT, 1, s);
  const [host, port] = text.split(':');
  if (colons === 1 && !/^\d+$/.test(port)) throw new TypeError(`bad server port: ${s}`);
  return spec(host, port === undefined ? DEFAULT_PORT : Number(port), 1, s);
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function spec(host: string, port: number, weight: number, input: unknown): ServerSpec {
  if (!host) throw new TypeError(`bad server (no host): ${JSON.stringify(input)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`bad server port: ${JSON.stringify(input)}`);
  }
  // libmemcached keeps weights as uint32 and treats them as whole numbers.
  if (!Number.isInteger(weight) || weight < 1 || weight > 0xffffffff) {
    throw new TypeError(`bad server weight (a whole number >= 1): ${JSON.stringify(input)}`);
  }
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, weight, address };
}
