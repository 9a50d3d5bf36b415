/**
 * config get cluster: AWS ElastiCache's auto-discovery command, so ElastiCache-aware clients
 * (Java, PHP, .NET, Python, ...) pointed at any slabcached find the whole fleet. The node list
 * comes from the file named by --cluster-config; it is read again whenever it changes (each
 * request checks its mtime and size, so no signal is needed), and the version clients see goes
 * up by one each time its content changes (counted once for all worker threads, in shared
 * memory). Without --cluster-config, `config` is an unknown command (ERROR), as in memcached.
 *
 * The reply, byte for byte as ElastiCache sends it:
 *   CONFIG cluster 0 <bytes>\r\n<version>\n<host>|<ip>|<port> <host>|<ip>|<port>...\n\r\nEND\r\n
 * `config set cluster` (ElastiCache's own, for its engine) answers ERROR.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { Replies, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { SH_CLUSTER_HASH, SH_CLUSTER_VERSION } from '../context.ts';

/** This worker's last read of the file: its identity and the node list it held. */
let cached: { path: string; stamp: string; nodes: string } | null = null;

export function config(c: Connection, t: Tokens): void {
  const path = c.ctx.config.clusterConfig;
  if (path === null || t.count !== 3 || t.text(1) !== 'get' || t.text(2) !== 'cluster') {
    c.reply(Replies.ERROR);
    return;
  }
  let nodes: string;
  try {
    nodes = clusterNodes(path, c.ctx.config.port);
  } catch (e) {
    c.out.text(`SERVER_ERROR cannot read cluster config: ${(e as Error).message}\r\n`);
    return;
  }
  const version = clusterVersion(c.ctx.shared, nodes);
  const body = `${version}\n${nodes}\n`;
  c.out.text(`CONFIG cluster 0 ${Buffer.byteLength(body)}\r\n${body}\r\nEND\r\n`);
}

/** The file's node list as ElastiCache writes it: `host|ip|port` separated by spaces. */
function clusterNodes(path: string, defaultPort: number): string {
  const st = statSync(path);
  const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
  if (cached?.path === path && cached.stamp === stamp) return cached.nodes;
  const nodes = parseClusterFile(readFileSync(path, 'utf8'), defaultPort).join(' ');
  cached = { path, stamp, nodes };
  return nodes;
}

/**
 * Nodes of a cluster-config file: separated by white space or new lines, `#` starts a
 * comment; each is `host|ip|port` (ElastiCache's form), `host:port`, `[v6]:port` or `host`
 * (this server's port). The IP field is the host itself when the host is an IP address, else
 * empty (clients then connect by name).
 */
export function parseClusterFile(text: string, defaultPort: number): string[] {
  const nodes: string[] = [];
  for (const line of text.split('\n')) {
    for (const word of line.replace(/#.*/, '').split(/\s+/)) {
      if (word) nodes.push(clusterNode(word, defaultPort));
    }
  }
  return nodes;
}

function clusterNode(word: string, defaultPort: number): string {
  const parts = word.split('|');
  if (parts.length === 3 && /^\d+$/.test(parts[2])) return word;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(word);
  const host = m?.[1] ?? m?.[2];
  if (!m || host === undefined || parts.length !== 1) throw new Error(`bad node "${word}"`);
  return `${host}|${isIP(host) ? host : ''}|${m[3] ?? defaultPort}`;
}

/** FNV-1a of the node list, never 0 (0 means "not seen yet"). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

/** The version for this node list: 1 for the first list served, one more for every change
 * any worker sees first. */
function clusterVersion(shared: Int32Array, nodes: string): number {
  const h = hash(nodes);
  for (;;) {
    const seen = Atomics.load(shared, SH_CLUSTER_HASH);
    if (seen === h) break;
    if (Atomics.compareExchange(shared, SH_CLUSTER_HASH, seen, h) === seen) {
      Atomics.add(shared, SH_CLUSTER_VERSION, 1);
      break;
    }
  }
  return Atomics.load(shared, SH_CLUSTER_VERSION);
}
