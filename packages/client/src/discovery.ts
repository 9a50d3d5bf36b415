/**
 * Where the fleet comes from when it is not a fixed list: DNS (the A, AAAA or SRV records of
 * a name, e.g. a Kubernetes headless service) or an AWS ElastiCache configuration endpoint
 * (`config get cluster`, which slabcached also answers with --cluster-config). A Discovery
 * asks on start and then every `interval` ms, and hands each new list, sorted by address so
 * that every client builds the same ring, to the Cluster. A failed or empty answer keeps the
 * last good list.
 */
import type { SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';
import { DEFAULT_PORT, parseServer, type ServerInput, type ServerSpec } from './address.ts';

/** The part of node:dns/promises' Resolver that discovery uses (tests may pass their own). */
export interface DnsResolver {
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export interface DiscoveryOptions {
  /** A DNS name whose records are the servers (give this or `configEndpoint`). */
  dns?: string;
  /** 'A' (default), 'AAAA', or 'SRV' (each record gives host, port and weight). */
  type?: 'A' | 'AAAA' | 'SRV';
  /** Port of the servers found by A or AAAA records (default 11211). */
  port?: number;
  /** DNS servers to ask instead of the system's, e.g. `['10.0.0.2', '127.0.0.1:5353']`. */
  nameservers?: string[];
  /** A resolver of your own (resolve4, resolve6, resolveSrv); overrides `nameservers`. */
  resolver?: DnsResolver;
  /** An ElastiCache-style configuration endpoint `host:port` (or `{ host, port }`): the
   * servers are the reply to `config get cluster` (give this or `dns`). */
  configEndpoint?: ServerInput;
  /** ms between two look-ups (default 30000); 0 asks only once. */
  interval?: number;
}

/** One answer: the servers, and the configuration version when the source has one. */
export interface Discovered {
  servers: ServerSpec[];
  version: number | null;
}

/** How the configuration endpoint is reached: the client's own timeout and TLS. */
export interface EndpointOptions {
  timeout: number;
  tls: TlsConnectionOptions | null;
}

export const DEFAULT_INTERVAL = 30_000;

/** Checks the options and returns the function that asks the source once. */
export function discoverySource(
  options: DiscoveryOptions,
  endpoint: EndpointOptions,
): () => Promise<Discovered> {
  if (!options || typeof options !== 'object') throw new TypeError('discovery: an object');
  const { dns, configEndpoint } = options;
  if ((dns === undefined) === (configEndpoint === undefined)) {
    throw new TypeError('discovery needs one of `dns` (a name) or `configEndpoint`');
  }
  if (configEndpoint !== undefined) {
    const server = parseServer(configEndpoint);
    return () => fetchClusterConfig(server, endpoint);
  }
  if (typeof dns !== 'string' || dns === '') throw new TypeError('discovery.dns: a DNS name');
  const type = options.type ?? 'A';
  if (type !== 'A' && type !== 'AAAA' && type !== 'SRV') {
    throw new TypeError(`discovery.type: 'A', 'AAAA' or 'SRV', not ${JSON.stringify(type)}`);
  }
  const port = options.port ?? DEFAULT_PORT;
  let resolver = options.resolver;
  if (!resolver) {
    const own = new Resolver({ timeout: endpoint.timeout, tries: 2 });
    if (options.nameservers) own.setServers(options.nameservers);
    resolver = own;
  }
  const r = resolver;
  return async () => ({ servers: await resolveServers(r, dns, type, port), version: null });
}

/** The servers a DNS name stands for, sorted by address. */
export async function resolveServers(
  resolver: DnsResolver,
  name: string,
  type: 'A' | 'AAAA' | 'SRV',
  port: number,
): Promise<ServerSpec[]> {
  if (type === 'SRV') {
    const records = await resolver.resolveSrv(name);
    // SRV weight 0 means "rarely"; libmemcached weights start at 1.
    return sorted(
      records.map((r) => parseServer({ host: r.name, port: r.port, weight: r.weight || 1 })),
    );
  }
  const ips = await (type === 'A' ? resolver.resolve4(name) : resolver.resolve6(name));
  return sorted(ips.map((host) => parseServer({ host, port })));
}

/** By address, duplicates dropped: every client builds the same ring from the same answer. */
export function sorted(servers: ServerSpec[]): ServerSpec[] {
  const unique = new Map(servers.map((s) => [s.address, s]));
  return [...unique.values()].sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
  );
}

/** Asks `config get cluster` of a configuration endpoint (ElastiCache, or slabcached with
 * --cluster-config). */
export function fetchClusterConfig(
  server: ServerSpec,
  options: EndpointOptions,
): Promise<Discovered> {
  return new Promise((resolve, reject) => {
    const target = { host: server.host, port: server.port };
    const socket: Socket = options.tls
      ? tlsConnect({ ...options.tls, ...target, servername: server.host })
      : netConnect(target);
    let reply = Buffer.alloc(0);
    const fail = (e: Error) => {
      socket.destroy();
      reject(new Error(`config get cluster from ${server.address}: ${e.message}`, { cause: e }));
    };
    socket.setTimeout(options.timeout, () => fail(new Error('timed out')));
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed before the reply')));
    socket.once(options.tls ? 'secureConnect' : 'connect', () =>
      socket.write('config get cluster\r\n'),
    );
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      let parsed: Discovered | null;
      try {
        parsed = parseClusterConfig(reply);
      } catch (e) {
        fail(e as Error);
        return;
      }
      if (parsed === null) return;
      socket.removeAllListeners('close');
      socket.end();
      resolve(parsed);
    });
  });
}

/**
 * The reply to `config get cluster`, or null while it is incomplete:
 * `CONFIG cluster 0 <bytes>\r\n<version>\n<host>|<ip>|<port> ...\n\r\nEND\r\n`.
 * Servers are named by IP when the node has one (as ElastiCache's own clients connect), else
 * by host name.
 */
export function parseClusterConfig(reply: Buffer): Discovered | null {
  const eol = reply.indexOf('\r\n');
  if (eol < 0) return null;
  const head = reply.toString('latin1', 0, eol);
  const m = /^CONFIG cluster \d+ (\d+)$/.exec(head);
  if (!m) throw new Error(`unexpected reply: ${head.slice(0, 100)}`);
  const start = eol + 2;
  const end = start + Number(m[1]);
  if (reply.length < end + 7) return null; // \r\nEND\r\n
  if (reply.toString('latin1', end, end + 7) !== '\r\nEND\r\n') {
    throw new Error('reply does not end with END');
  }
  const [versionLine, nodesLine = ''] = reply.toString('utf8', start, end).split('\n');
  if (!/^\d+$/.test(versionLine.trim())) throw new Error(`bad version: ${versionLine}`);
  const servers = nodesLine
    .split(' ')
    .filter((n) => n !== '')
    .map((node) => {
      const [host, ip, port] = node.split('|');
      if (port === undefined || !/^\d+$/.test(port)) throw new Error(`bad node: ${node}`);
      return parseServer({ host: ip || host, port: Number(port) });
    });
  return { servers: sorted(servers), version: Number(versionLine.trim()) };
}
