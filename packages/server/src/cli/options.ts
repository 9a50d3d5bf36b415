/**
 * slabcached's command line: memcached 1.6's flags, short and long, with memcached's meaning,
 * defaults and (where memcached has one) error wording, so init scripts and memcached.conf
 * lines written for memcached start slabcached unchanged.
 *
 * Pure: `parse(argv, env)` turns argv (without node and the script) into a ServerConfig or
 * throws a CliError with a one-line message; no I/O, no process.exit. The caller prints
 * `warnings` (one line each) to stderr, and `usage()` / `versionText()` / `licenseText()`
 * (usage.ts) for the actions 'help', 'version' and 'license'.
 *
 * getopt conventions: `-p11211`, `-p 11211`, `--port=11211`, `--port 11211`, bundles such as
 * `-vv` and `-dM` (`-dp11211` too), unambiguous long prefixes (`--memory` for
 * `--memory-limit`), `--` ends the options. slabcached takes no operands, so a stray word is an
 * error (memcached silently ignores it). `-h`, `-V` and `-i` act at once, like memcached, which
 * exits there: later arguments are not read.
 *
 * `FLAGS` and `EXTENDED` are the single tables of what is accepted; the test checks that the
 * help text names every entry, so help and parser cannot drift apart.
 */
import { resolve as resolvePath } from 'node:path';
import {
  KiB,
  MAX_ITEM_SIZE,
  MAX_MEMORY_LIMIT,
  MiB,
  resolveSettings,
  StoreSettingsError,
} from '@slabcache/store';
import { formatSize, parseSize } from './size.ts';

/** A bad command line. The message is one line naming the flag (as typed) and the problem;
 * it carries no "see -h" hint (main.ts adds one). */
export class CliError extends Error {
  readonly code = 'SLAB_ERR_CLI';
}

/** memcached's ITEM_SIZE_MAX_LOWER_LIMIT. */
export const MIN_ITEM_SIZE = 1024;
/** The store's slab page; memcached's slab_page_size, which has no option. */
export const SLAB_PAGE_SIZE = MiB;
export const DEFAULT_PORT = 11211;
export const DEFAULT_ADMIN_PORT = 11311;
export const DEFAULT_LISTEN = '127.0.0.1';

export type Protocol = 'auto' | 'ascii' | 'binary';
/** Node's names for TLS versions (tls.SecureVersion). */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ServerConfig {
  /** 'run', or what -h (--help), -V (--version), -i (--license) asked for. */
  action: 'run' | 'help' | 'version' | 'license';

  // --- network --------------------------------------------------------------------------
  /** -p --port: TCP port, default 11211. 0 picks a free port (memcached: 0 turns TCP off). */
  port: number;
  /** -U --udp-port: UDP port, default 0 = off (memcached 1.6). If -U is non-zero and -p is not
   * given, port = udpPort, as memcached does. */
  udpPort: number;
  /** -s --unix-socket: listen on this UNIX socket instead of TCP/UDP (memcached: "disables
   * network support"). */
  unixSocket: string | null;
  /** -a --unix-mask: permissions of the UNIX socket, given in octal; default 0o700. */
  unixMask: number;
  /** -l --listen: interfaces, comma-separated and/or repeated, duplicates dropped. Each entry is
   * host, host:port, [ipv6] or [ipv6]:port, optionally prefixed `notls:`; read them with
   * parseListenAddress(). Default ['127.0.0.1'] (memcached: INADDR_ANY, all interfaces). */
  listen: string[];
  /** -b --listen-backlog: listen() backlog, default 1024. */
  backlog: number;
  /** -c --conn-limit: max simultaneous connections, default 1024. */
  maxConnections: number;
  /** -o maxconns_fast / no_maxconns_fast: at the limit, answer new connections with an error
   * and close them at once (true, memcached 1.6's default) or stop accepting (false). */
  maxconnsFast: boolean;
  /** -o idle_timeout: close client connections idle this many seconds; 0 = never (default). */
  idleTimeout: number;
  /** -R --max-reqs-per-event: requests served from one connection before others get a turn,
   * default 20. */
  reqsPerEvent: number;
  /** -B --protocol: 'auto' (default; negotiated per connection), 'ascii' or 'binary'. -S makes
   * the default 'binary', -Y makes it 'ascii'. */
  protocol: Protocol;
  /** -N --napi-ids: NIC receive queues to steer connections by; 0 = off (default). No effect
   * here (warned). */
  napiIds: number;

  // --- process --------------------------------------------------------------------------
  /** -d --daemon: detach and run in the background. */
  daemonize: boolean;
  /** -u --user: user to switch to when started as root ('root' itself is accepted). */
  user: string | null;
  /** -P --pidfile: write the PID here. */
  pidFile: string | null;
  /** -t --threads: worker threads, default os.availableParallelism() (memcached: 4). */
  threads: number;
  /** -v (1), -vv (2), -vvv (3): repeated -v add up; --verbose=<n> sets n. */
  verbosity: number;
  /** -k --lock-memory: memcached's mlockall. No effect here (warned). */
  lockMemory: boolean;
  /** -L --enable-largepages: no effect here (warned). */
  largePages: boolean;
  /** -r --enable-coredumps: raise the core file limit. No effect here (warned). */
  coreDumps: boolean;
  /** -o drop_privileges / no_drop_privileges / relaxed_privileges. memcached's syscall filter;
   * no effect here ('drop' is warned). Default 'no_drop'. */
  privileges: 'drop' | 'no_drop' | 'relaxed';

  // --- memory and items (the store's options) -------------------------------------------
  /** -m --memory-limit: item memory in BYTES. Megabytes on the command line, or with a k/m/g
   * suffix. Default 64 MiB. */
  memoryLimit: number;
  /** -M --disable-evictions sets false: answer "out of memory" instead of evicting. */
  evict: boolean;
  /** -f --slab-growth-factor: chunk size factor between slab classes, default 1.25. */
  growthFactor: number;
  /** -n --slab-min-size: minimum key + value space of the smallest chunk, default 48. */
  minChunk: number;
  /** -I --max-item-size: largest item in bytes (k/m suffixes), default 1 MiB; 1k..1024m and at
   * most half of -m, as memcached. */
  itemSizeMax: number;
  /** -o slab_chunk_max (kilobytes, as memcached 1.6; or bytes with a k/m suffix): largest
   * chunk, bigger items are chained. null = the store's default (half a page, 512 KiB).
   * -o no_chunked_items sets a whole page (1 MiB). */
  slabChunkMax: number | null;
  /** -C --disable-cas sets false: no CAS values, 8 bytes less per item. */
  cas: boolean;
  /** -o hashpower: log2 of the hash table's starting size, default 16; 12..30 here
   * (memcached: 12..32). */
  hashPower: number;
  /** -o hot_lru_pct: share of a class's items kept HOT, default 20. */
  hotLruPct: number;
  /** -o warm_lru_pct: share kept WARM, default 40. hot + warm must stay below 80. */
  warmLruPct: number;

  // --- commands and features ------------------------------------------------------------
  /** -A --enable-shutdown: allow the "shutdown" command. */
  enableShutdown: boolean;
  /** -F --disable-flush-all sets false: flush_all answers an error. */
  flushEnabled: boolean;
  /** -X --disable-dumping sets false: no "stats cachedump" / "lru_crawler metadump". */
  dumpEnabled: boolean;
  /** -W --disable-watch sets false: no "watch" (live logging). */
  watchEnabled: boolean;
  /** -D: delimiter between key prefix and id for per-prefix stats, default ':'. */
  delimiter: string;
  /** -D also turns per-prefix stats ("stats detail on") on from the start. */
  detailEnabled: boolean;
  /** -S --enable-sasl: SASL authentication (binary protocol). */
  sasl: boolean;
  /** -Y --auth-file: ASCII authentication tokens file (user:pass lines). */
  authFile: string | null;
  /** -e --memory-file: memcached's restartable cache: SIGUSR1 or `shutdown graceful` writes
   * the cache there, the next start with the same memory settings reads it back. */
  memoryFile: string | null;

  // --- background LRU work -----------------------------------------------------------------
  /** -o lru_crawler / no_lru_crawler: the background crawler that reclaims expired items
   * (default on). */
  lruCrawler: boolean;
  /** -o lru_crawler_sleep: microseconds to sleep between items, 0..1000000, default 100. */
  lruCrawlerSleep: number;
  /** -o lru_crawler_tocrawl: max items to crawl per class per run, 0 = unlimited (default). */
  lruCrawlerToCrawl: number;
  /** -o lru_maintainer / no_lru_maintainer. slabcached's segmented LRU is always on, so false
   * is only reported (and warned). */
  lruMaintainer: boolean;
  /** -o hot_max_factor (default 0.2). No effect here (warned). */
  hotMaxFactor: number;
  /** -o warm_max_factor (default 2.0). No effect here (warned). */
  warmMaxFactor: number;
  /** -o temporary_ttl given: memcached's TEMP LRU. No effect here (warned). */
  tempLru: boolean;
  /** -o temporary_ttl=<s> (default 61). */
  temporaryTtl: number;
  /** -o slab_reassign / no_slab_reassign: allow moving slab pages between classes ("slabs
   * reassign", the automover); default true, memcached 1.6. */
  slabReassign: boolean;
  /** -o slab_automove=0|1|2 (no value: 1) / no_slab_automove: the background automover,
   * default 1. */
  slabAutomove: number;
  /** -o slab_automove_ratio (default 0.8). No effect here (warned): the automover's rule is
   * fixed. */
  slabAutomoveRatio: number;
  /** -o slab_automove_window (default 30). No effect here (warned). */
  slabAutomoveWindow: number;
  /** -o tail_repair_time in seconds, 0 = off (default). No effect here (warned). */
  tailRepairTime: number;
  /** -o track_sizes ("stats sizes"). No effect here (warned). */
  trackSizes: boolean;
  /** -o watcher_logbuf_size in BYTES (kilobytes on the command line), default 256 KiB. */
  watcherLogbufSize: number;
  /** -o worker_logbuf_size in BYTES (kilobytes on the command line), default 64 KiB. */
  workerLogbufSize: number;
  /** -o read_buf_mem_limit in BYTES (megabytes on the command line), 0 = unlimited (default).
   * No effect here (warned). */
  readBufMemLimit: number;

  // --- TLS (-Z and the -o ssl_* options) ----------------------------------------------------
  /** -Z --enable-ssl: TLS on every listener except `notls:` ones; needs sslChainCert. */
  ssl: boolean;
  /** -o ssl_chain_cert: certificate chain file, PEM. */
  sslChainCert: string | null;
  /** -o ssl_key: private key file, if not inside the chain file. */
  sslKey: string | null;
  /** -o ssl_keyformat: 1 / PEM (default) or 2 / DER (memcached's OpenSSL SSL_FILETYPE_*). */
  sslKeyFormat: 'pem' | 'der';
  /** -o ssl_verify_mode: 0 none (default), 1 request a client certificate, 2 require one,
   * 3 require one, checked once per session. */
  sslVerifyMode: 0 | 1 | 2 | 3;
  /** -o ssl_ciphers: OpenSSL cipher list. */
  sslCiphers: string | null;
  /** -o ssl_ca_cert: PEM file of acceptable client CAs. */
  sslCaCert: string | null;
  /** -o ssl_min_version: 0..3 or tlsv1.0..tlsv1.3; default TLSv1.2. */
  sslMinVersion: TlsVersion;
  /** -o ssl_wbuf_size in BYTES (kilobytes on the command line), default 16 KiB. No effect
   * here (warned): Node sizes its TLS buffers itself. */
  sslWbufSize: number;
  /** -o ssl_session_cache: server-side session cache for resumption. */
  sslSessionCache: boolean;
  /** -o ssl_kernel_tls. No effect here (warned). */
  sslKernelTls: boolean;

  // --- slabcached's admin HTTP service (its own long options) -------------------------------
  /** --no-admin sets false. */
  admin: boolean;
  /** --admin-port, default 11311; 0 picks a free port. */
  adminPort: number;
  /** --admin-host, default 127.0.0.1. */
  adminHost: string;
  /** --admin-token: the bearer token for the admin's state-changing routes (POST /flush).
   * null: the SLABCACHE_ADMIN_TOKEN environment variable, read at start, or none (off). */
  adminToken: string | null;
  /** --cluster-config: the file of nodes `config get cluster` answers with (ElastiCache auto
   * discovery), as an absolute path; null: `config` is an unknown command. */
  clusterConfig: string | null;

  /** Options accepted without effect here, one line each naming the option and why. */
  warnings: string[];
}

export interface ParseEnv {
  /** Default for -t: the caller passes os.availableParallelism() (memcached's default is 4). */
  cpus: number;
}

export function defaultConfig(env: ParseEnv): ServerConfig {
  return {
    action: 'run',
    port: DEFAULT_PORT,
    udpPort: 0,
    unixSocket: null,
    unixMask: 0o700,
    listen: [DEFAULT_LISTEN],
    backlog: 1024,
    maxConnections: 1024,
    maxconnsFast: true,
    idleTimeout: 0,
    reqsPerEvent: 20,
    protocol: 'auto',
    napiIds: 0,
    daemonize: false,
    user: null,
    threads: Math.max(1, Math.floor(env.cpus)),
    pidFile: null,
    verbosity: 0,
    lockMemory: false,
    largePages: false,
    coreDumps: false,
    privileges: 'no_drop',
    memoryLimit: 64 * MiB,
    evict: true,
    growthFactor: 1.25,
    minChunk: 48,
    itemSizeMax: MiB,
    slabChunkMax: null,
    cas: true,
    hashPower: 16,
    hotLruPct: 20,
    warmLruPct: 40,
    enableShutdown: false,
    flushEnabled: true,
    dumpEnabled: true,
    watchEnabled: true,
    delimiter: ':',
    detailEnabled: false,
    sasl: false,
    authFile: null,
    memoryFile: null,
    lruCrawler: true,
    lruCrawlerSleep: 100,
    lruCrawlerToCrawl: 0,
    lruMaintainer: true,
    hotMaxFactor: 0.2,
    warmMaxFactor: 2.0,
    tempLru: false,
    temporaryTtl: 61,
    slabReassign: true,
    slabAutomove: 1,
    slabAutomoveRatio: 0.8,
    slabAutomoveWindow: 30,
    tailRepairTime: 0,
    trackSizes: false,
    watcherLogbufSize: 256 * KiB,
    workerLogbufSize: 64 * KiB,
    readBufMemLimit: 0,
    ssl: false,
    sslChainCert: null,
    sslKey: null,
    sslKeyFormat: 'pem',
    sslVerifyMode: 0,
    sslCiphers: null,
    sslCaCert: null,
    sslMinVersion: 'TLSv1.2',
    sslWbufSize: 16 * KiB,
    sslSessionCache: false,
    sslKernelTls: false,
    admin: true,
    adminPort: DEFAULT_ADMIN_PORT,
    adminHost: '127.0.0.1',
    adminToken: null,
    clusterConfig: null,
    warnings: [],
  };
}

/** Parsing state: the config plus what memcached tracks to resolve defaults at the end. */
export interface ParseState {
  cfg: ServerConfig;
  tcpSpecified: boolean;
  udpSpecified: boolean;
  protocolSpecified: boolean;
  /** Labels of the options the final cross-checks name ("-I 2m", "-m 64"). */
  labels: Partial<Record<'m' | 'I' | 'N' | 'hot' | 'warm' | 'ttl' | 'S' | 'Y' | 'Z', string>>;
  listenGiven: boolean;
}

/**
 * One command-line option. `label` is the option as the user typed it, value included
 * ("-p 99999", "--port=99999", "-o hashpower=8"), for messages.
 */
export interface FlagSpec {
  /** The short letter, or null for slabcached's own long-only options. */
  readonly short: string | null;
  /** Long names; the first is the one the help shows. */
  readonly long: readonly string[];
  /** Argument of the long form; short forms of 'optional' flags (-v) take none, as getopt. */
  readonly arg: 'none' | 'required' | 'optional';
  readonly apply: (st: ParseState, value: string | undefined, label: string) => void;
}

/** What happens to an -o option. */
export type ExtendedKind =
  | 'applied' // sets a field that takes effect
  | 'partial' // sets fields; its apply() warns when part of what was asked has no effect
  | 'warned' // accepted and recorded, a warning says it has no effect here
  | 'noop' // accepted silently: memcached ignores it too
  | 'refused'; // cannot be honoured: CliError

export interface ExtendedSpec {
  readonly name: string;
  readonly kind: ExtendedKind;
  readonly value: 'none' | 'required' | 'optional';
  /** For 'warned', 'partial' and 'refused': why it has no effect or is refused. */
  readonly reason?: string;
  readonly apply?: (st: ParseState, value: string | undefined, label: string) => void;
}

// ---------------------------------------------------------------------------------------
// value helpers

/** A value as shown in messages: bare when plain, JSON-quoted when empty or odd. */
export function show(value: string): string {
  return /^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value);
}

function fail(label: string, problem: string): never {
  throw new CliError(`${label}: ${problem}`);
}

function warn(st: ParseState, line: string): void {
  if (!st.cfg.warnings.includes(line)) st.cfg.warnings.push(line);
}

function ignored(st: ParseState, label: string, reason: string, partly = false): void {
  warn(st, `${label}: ${partly ? 'partly ignored' : 'ignored'}: ${reason}`);
}

const INT32_MAX = 2 ** 31 - 1;

/** A whole number (memcached reads these with atoi; slabcached refuses what atoi would bend). */
function int(label: string, value: string): number {
  const s = value.trim();
  if (!/^[+-]?\d+$/.test(s)) fail(label, 'not a whole number');
  const n = Number(s);
  if (Math.abs(n) > INT32_MAX) fail(label, 'number out of range');
  return n;
}

/** A whole number checked against [lo, hi]; `problem` is memcached's message where it has one. */
function intIn(label: string, value: string, lo: number, hi: number, problem: string): number {
  const n = int(label, value);
  if (n < lo || n > hi) fail(label, problem);
  return n;
}

function float(label: string, value: string): number {
  const s = value.trim();
  if (!/^(\d+\.?\d*|\.\d+)$/.test(s)) fail(label, 'not a number');
  return Number(s);
}

/** memcached strips leading blanks from every option argument. */
function text(value: string): string {
  return value.replace(/^\s+/, '');
}

function nonEmpty(label: string, value: string, what: string): string {
  const s = text(value);
  if (s === '') fail(label, `${what} is empty`);
  return s;
}

function port(label: string, value: string): number {
  const n = int(label, value);
  if (n < 0 || n > 65535) fail(label, `Invalid port number ${n} (0 to 65535)`);
  return n;
}

// ---------------------------------------------------------------------------------------
// -l addresses

export interface ListenAddress {
  /** Host name or address; IPv6 without brackets. */
  host: string;
  /** The entry's own port, or null: use -p (TCP) / -U (UDP). */
  port: number | null;
  /** `notls:` prefix: plain TCP on this listener even with -Z. */
  notls: boolean;
}

/**
 * Reads one -l entry the way memcached's server_sockets() does: `[v6]:port` or `[v6]`; else a
 * single colon separates host and port, and several colons mean a bare IPv6 address.
 */
export function parseListenAddress(entry: string): ListenAddress {
  const label = `-l ${show(entry)}`;
  let rest = entry.trim();
  let notls = false;
  if (rest.startsWith('notls:')) {
    notls = true;
    rest = rest.slice('notls:'.length);
  }
  let host = rest;
  let portText: string | null = null;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) fail(label, 'missing ] after the IPv6 address');
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) fail(label, 'expected :port after ]');
      portText = after.slice(1);
    }
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0 && rest.indexOf(':', colon + 1) < 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  if (host === '') fail(label, 'no address before the port');
  const p = portText === null ? null : port(label, portText);
  return { host, port: p, notls };
}

// ---------------------------------------------------------------------------------------
// the flags

const ACTIONS = { h: 'help', i: 'license', V: 'version' } as const;

function sizeOrFail(label: string, value: string, plainUnit: number, hint: string): number {
  const parsed = parseSize(value, plainUnit);
  if (parsed === null) fail(label, `not a size (${hint})`);
  return parsed.bytes;
}

export const FLAGS: readonly FlagSpec[] = [
  {
    short: 'a',
    long: ['unix-mask'],
    arg: 'required',
    apply(st, v, label) {
      const s = v!.trim().replace(/^0o/i, '');
      if (!/^[0-7]{1,4}$/.test(s) || Number.parseInt(s, 8) > 0o777) {
        fail(label, 'unix socket mask must be octal, 0 to 777 (like 700)');
      }
      st.cfg.unixMask = Number.parseInt(s, 8);
    },
  },
  {
    short: 'A',
    long: ['enable-shutdown'],
    arg: 'none',
    apply(st) {
      st.cfg.enableShutdown = true;
    },
  },
  {
    short: 'Z',
    long: ['enable-ssl'],
    arg: 'none',
    apply(st, _v, label) {
      st.cfg.ssl = true;
      st.labels.Z = label;
    },
  },
  {
    short: 'p',
    long: ['port'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.port = port(label, v!);
      st.tcpSpecified = true;
    },
  },
  {
    short: 's',
    long: ['unix-socket'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.unixSocket = nonEmpty(label, v!, 'socket path');
    },
  },
  {
    short: 'U',
    long: ['udp-port'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.udpPort = port(label, v!);
      st.udpSpecified = true;
    },
  },
  {
    short: 'm',
    long: ['memory-limit'],
    arg: 'required',
    apply(st, v, label) {
      const bytes = sizeOrFail(label, v!, MiB, 'megabytes, or with a k/m/g suffix: 64, 512k, 2g');
      if (bytes < MiB) fail(label, 'memory limit must be at least 1 megabyte');
      if (bytes > MAX_MEMORY_LIMIT) {
        fail(
          label,
          `memory limit must be under 16 GiB (at most ${Math.floor(MAX_MEMORY_LIMIT / MiB)}m)`,
        );
      }
      st.cfg.memoryLimit = bytes;
      st.labels.m = label;
    },
  },
  {
    short: 'M',
    long: ['disable-evictions'],
    arg: 'none',
    apply(st) {
      st.cfg.evict = false;
    },
  },
  {
    short: 'c',
    long: ['conn-limit'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.maxConnections = intIn(
        label,
        v!,
        1,
        INT32_MAX,
        'Maximum connections must be greater than 0',
      );
    },
  },
  {
    short: 'k',
    long: ['lock-memory'],
    arg: 'none',
    apply(st, _v, label) {
      st.cfg.lockMemory = true;
      warn(st, `${label}: ignored: Node.js cannot lock the cache's pages in RAM (mlockall)`);
    },
  },
  ...(['h', 'i', 'V'] as const).map(
    (short): FlagSpec => ({
      short,
      long: [ACTIONS[short]],
      arg: 'none',
      apply(st) {
        st.cfg.action = ACTIONS[short];
      },
    }),
  ),
  {
    short: 'r',
    long: ['enable-coredumps'],
    arg: 'none',
    apply(st, _v, label) {
      st.cfg.coreDumps = true;
      warn(
        st,
        `${label}: ignored: Node.js cannot raise the core file limit; run "ulimit -c unlimited" before starting`,
      );
    },
  },
  {
    short: 'v',
    long: ['verbose'],
    arg: 'optional',
    apply(st, v, label) {
      st.cfg.verbosity =
        v === undefined ? st.cfg.verbosity + 1 : intIn(label, v, 0, 9, 'verbosity must be 0 to 9');
    },
  },
  {
    short: 'd',
    long: ['daemon'],
    arg: 'none',
    apply(st) {
      st.cfg.daemonize = true;
    },
  },
  {
    short: 'l',
    long: ['listen'],
    arg: 'required',
    apply(st, v, label) {
      if (!st.listenGiven) st.cfg.listen = [];
      st.listenGiven = true;
      const entries = v!.split(',').map((e) => e.trim());
      for (const entry of entries) {
        if (entry === '') fail(label, 'empty address');
        parseListenAddress(entry);
        if (!st.cfg.listen.includes(entry)) st.cfg.listen.push(entry);
      }
    },
  },
  {
    short: 'u',
    long: ['user'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.user = nonEmpty(label, v!, 'user name');
    },
  },
  {
    short: 'P',
    long: ['pidfile'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.pidFile = nonEmpty(label, v!, 'pid file path');
    },
  },
  {
    short: 'f',
    long: ['slab-growth-factor'],
    arg: 'required',
    apply(st, v, label) {
      const f = float(label, v!);
      if (f <= 1) fail(label, 'Factor must be greater than 1');
      if (f > 8) fail(label, 'Factor must be at most 8 in slabcached');
      st.cfg.growthFactor = f;
    },
  },
  {
    short: 'n',
    long: ['slab-min-size'],
    arg: 'required',
    apply(st, v, label) {
      const n = intIn(label, v!, 1, INT32_MAX, 'Chunk size must be greater than 0');
      if (n < 8 || n > MiB) fail(label, 'Chunk size must be 8 to 1048576 bytes in slabcached');
      st.cfg.minChunk = n;
    },
  },
  {
    short: 't',
    long: ['threads'],
    arg: 'required',
    apply(st, v, label) {
      const n = intIn(label, v!, 1, INT32_MAX, 'Number of threads must be greater than 0');
      if (n > 64) {
        warn(
          st,
          `${label}: WARNING: Setting a high number of worker threads is not recommended. Set this value to the number of cores in your machine or less.`,
        );
      }
      st.cfg.threads = n;
    },
  },
  {
    short: 'D',
    long: [],
    arg: 'required',
    apply(st, v, label) {
      const s = text(v!);
      if (s === '') fail(label, 'No delimiter specified');
      st.cfg.delimiter = String.fromCodePoint(s.codePointAt(0)!);
      st.cfg.detailEnabled = true;
    },
  },
  {
    short: 'L',
    long: ['enable-largepages'],
    arg: 'none',
    apply(st, _v, label) {
      st.cfg.largePages = true;
      warn(
        st,
        `${label}: ignored: the cache lives in SharedArrayBuffers, which get huge pages only through the kernel's transparent huge pages`,
      );
    },
  },
  {
    short: 'R',
    long: ['max-reqs-per-event'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.reqsPerEvent = intIn(
        label,
        v!,
        1,
        INT32_MAX,
        'Number of requests per event must be greater than 0',
      );
    },
  },
  {
    short: 'C',
    long: ['disable-cas'],
    arg: 'none',
    apply(st) {
      st.cfg.cas = false;
    },
  },
  {
    short: 'b',
    long: ['listen-backlog'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.backlog = intIn(label, v!, 0, INT32_MAX, 'backlog must not be negative');
    },
  },
  {
    short: 'B',
    long: ['protocol'],
    arg: 'required',
    apply(st, v, label) {
      const p = text(v!);
      if (p !== 'auto' && p !== 'ascii' && p !== 'binary') {
        fail(
          label,
          `Invalid value for binding protocol: ${show(p)} -- should be one of auto, binary, or ascii`,
        );
      }
      st.cfg.protocol = p;
      st.protocolSpecified = true;
    },
  },
  {
    short: 'I',
    long: ['max-item-size'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.itemSizeMax = sizeOrFail(label, v!, 1, 'bytes, or with a k/m suffix: 512k, 2m');
      st.labels.I = label;
    },
  },
  {
    short: 'S',
    long: ['enable-sasl'],
    arg: 'none',
    apply(st, _v, label) {
      st.cfg.sasl = true;
      st.labels.S = label;
    },
  },
  {
    short: 'F',
    long: ['disable-flush-all'],
    arg: 'none',
    apply(st) {
      st.cfg.flushEnabled = false;
    },
  },
  {
    short: 'X',
    long: ['disable-dumping'],
    arg: 'none',
    apply(st) {
      st.cfg.dumpEnabled = false;
    },
  },
  {
    short: 'W',
    long: ['disable-watch'],
    arg: 'none',
    apply(st) {
      st.cfg.watchEnabled = false;
    },
  },
  {
    short: 'Y',
    long: ['auth-file'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.authFile = nonEmpty(label, v!, 'auth file path');
      st.labels.Y = label;
    },
  },
  {
    short: 'e',
    long: ['memory-file'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.memoryFile = nonEmpty(label, v!, 'memory file path');
    },
  },
  {
    short: 'o',
    long: ['extended'],
    arg: 'required',
    apply(st, v) {
      for (const token of v!.split(',')) extended(st, token.trim());
    },
  },
  {
    short: 'N',
    long: ['napi-ids', 'napi_ids'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.napiIds = intIn(
        label,
        v!,
        1,
        INT32_MAX,
        'Maximum number of NAPI IDs must be greater than 0',
      );
      st.labels.N = label;
      warn(
        st,
        `${label}: ignored: Node.js cannot read a connection's NAPI ID (SO_INCOMING_NAPI_ID), so connections are not steered by NIC queue`,
      );
    },
  },
  // slabcached's own: the admin HTTP service.
  {
    short: null,
    long: ['admin-port'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.adminPort = port(label, v!);
    },
  },
  {
    short: null,
    long: ['admin-host'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.adminHost = nonEmpty(label, v!, 'admin host');
    },
  },
  {
    short: null,
    long: ['admin-token'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.adminToken = nonEmpty(label, v!, 'admin token');
    },
  },
  {
    short: null,
    long: ['cluster-config'],
    arg: 'required',
    apply(st, v, label) {
      st.cfg.clusterConfig = resolvePath(nonEmpty(label, v!, 'cluster config file'));
    },
  },
  {
    short: null,
    long: ['no-admin'],
    arg: 'none',
    apply(st) {
      st.cfg.admin = false;
    },
  },
];

// ---------------------------------------------------------------------------------------
// -o

const NO_EXTSTORE = 'slabcached has no extstore (flash storage tier); items live in -m memory only';
const AUTOMOVE_FIXED =
  "slabcached's automover compares eviction counts over a fixed 10-second window; memcached's ratio and window tuning do not apply";
const MURMUR3_ONLY =
  'slabcached always hashes with murmur3 (the hash only places keys inside this server; clients are unaffected)';
const LRU_STAYS = "slabcached's segmented LRU (HOT/WARM/COLD) is built into the store and stays on";

function setField<K extends keyof ServerConfig>(key: K, to: ServerConfig[K]) {
  return (st: ParseState) => {
    st.cfg[key] = to;
  };
}

/** An option that takes a kilobyte (or megabyte) count and is stored in bytes. */
function unitsField(
  key: 'watcherLogbufSize' | 'workerLogbufSize' | 'readBufMemLimit' | 'sslWbufSize',
  unit: number,
) {
  return (st: ParseState, v: string | undefined, label: string) => {
    st.cfg[key] = intIn(label, v!, 0, INT32_MAX, 'must not be negative') * unit;
  };
}

function slabChunkMax(st: ParseState, v: string | undefined, label: string): void {
  const parsed = parseSize(v!, KiB);
  if (parsed === null) fail(label, 'could not parse argument to slab_chunk_max');
  let bytes = parsed.bytes;
  if (bytes <= 0) fail(label, 'slab_chunk_max must be greater than 0');
  if (!parsed.suffixed && bytes > 1024 * KiB) {
    // memcached before 1.6.12 read this in bytes; 1.6.12+ refuse numbers above 1024.
    bytes /= KiB;
    warn(
      st,
      `${label}: read as bytes (${formatSize(bytes)}), as memcached before 1.6.12 did; memcached 1.6 takes kilobytes`,
    );
  }
  const pow2 = bytes >= 8 && (bytes & (bytes - 1)) === 0;
  if (!pow2 || SLAB_PAGE_SIZE % bytes !== 0) {
    fail(
      label,
      `slab_chunk_max (bytes: ${bytes}) must divide evenly into ${SLAB_PAGE_SIZE} (slab_page_size)`,
    );
  }
  st.cfg.slabChunkMax = bytes;
}

const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function sslMinVersion(st: ParseState, v: string | undefined, label: string): void {
  const s = v!.trim().toLowerCase();
  const byName = ['tlsv1.0', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'].indexOf(
    s === 'tlsv1' ? 'tlsv1.0' : s,
  );
  const i = /^\d$/.test(s) ? Number(s) : byName;
  if (i < 0 || i > 3) {
    fail(label, 'Invalid ssl_min_version (0 tlsv1.0, 1 tlsv1.1, 2 tlsv1.2, 3 tlsv1.3)');
  }
  st.cfg.sslMinVersion = TLS_VERSIONS[i]!;
}

export const EXTENDED: readonly ExtendedSpec[] = [
  // connections
  { name: 'maxconns_fast', kind: 'applied', value: 'none', apply: setField('maxconnsFast', true) },
  {
    name: 'no_maxconns_fast',
    kind: 'applied',
    value: 'none',
    apply: setField('maxconnsFast', false),
  },
  {
    name: 'idle_timeout',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.idleTimeout = intIn(label, v!, 0, INT32_MAX, 'idle_timeout must not be negative');
    },
  },
  // hash table
  {
    name: 'hashpower',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      const n = int(label, v!);
      if (n < 12) fail(label, `Initial hashtable multiplier of ${n} is too low`);
      if (n > 30) {
        fail(
          label,
          `Initial hashtable multiplier of ${n} is too high (slabcached allows 12 to 30; memcached 12 to 32)`,
        );
      }
      st.cfg.hashPower = n;
    },
  },
  {
    name: 'no_hashexpand',
    kind: 'warned',
    value: 'none',
    reason:
      'the hash table grows a bucket at a time (linear hashing), with no expansion thread to turn off',
  },
  {
    name: 'hash_algorithm',
    kind: 'partial',
    value: 'required',
    reason: MURMUR3_ONLY,
    apply(st, v, label) {
      const a = v!.trim();
      if (a !== 'murmur3' && a !== 'jenkins' && a !== 'xxh3') {
        fail(label, 'Unknown hash_algorithm option (jenkins, murmur3, xxh3)');
      }
      if (a !== 'murmur3') ignored(st, label, MURMUR3_ONLY);
    },
  },
  // slabs
  { name: 'slab_chunk_max', kind: 'applied', value: 'required', apply: slabChunkMax },
  {
    name: 'no_chunked_items',
    kind: 'applied',
    value: 'none',
    apply: setField('slabChunkMax', SLAB_PAGE_SIZE),
  },
  {
    name: 'slab_sizes',
    kind: 'warned',
    value: 'required',
    reason: 'custom slab class sizes are not supported; classes follow -n and -f',
  },
  { name: 'slab_reassign', kind: 'applied', value: 'none', apply: setField('slabReassign', true) },
  {
    name: 'no_slab_reassign',
    kind: 'applied',
    value: 'none',
    apply: setField('slabReassign', false),
  },
  {
    name: 'slab_automove',
    kind: 'applied',
    value: 'optional',
    apply(st, v, label) {
      st.cfg.slabAutomove =
        v === undefined ? 1 : intIn(label, v, 0, 2, 'slab_automove must be between 0 and 2');
    },
  },
  { name: 'no_slab_automove', kind: 'applied', value: 'none', apply: setField('slabAutomove', 0) },
  {
    name: 'slab_automove_ratio',
    kind: 'warned',
    value: 'required',
    reason: AUTOMOVE_FIXED,
    apply(st, v, label) {
      const r = float(label, v!);
      if (r <= 0 || r > 1) fail(label, 'slab_automove_ratio must be > 0 and < 1');
      st.cfg.slabAutomoveRatio = r;
    },
  },
  {
    name: 'slab_automove_window',
    kind: 'warned',
    value: 'required',
    reason: AUTOMOVE_FIXED,
    apply(st, v, label) {
      st.cfg.slabAutomoveWindow = intIn(
        label,
        v!,
        3,
        INT32_MAX,
        'slab_automove_window must be > 2',
      );
    },
  },
  {
    name: 'slab_automove_freeratio',
    kind: 'warned',
    value: 'required',
    reason: NO_EXTSTORE,
  },
  // LRU
  { name: 'lru_crawler', kind: 'applied', value: 'none', apply: setField('lruCrawler', true) },
  { name: 'no_lru_crawler', kind: 'applied', value: 'none', apply: setField('lruCrawler', false) },
  {
    name: 'lru_crawler_sleep',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.lruCrawlerSleep = intIn(
        label,
        v!,
        0,
        1_000_000,
        'LRU crawler sleep must be between 0 and 1 second',
      );
    },
  },
  {
    name: 'lru_crawler_tocrawl',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      const s = v!.trim();
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 0xffffffff)
        fail(label, 'lru_crawler_tocrawl takes a numeric 32bit value');
      st.cfg.lruCrawlerToCrawl = n;
    },
  },
  {
    name: 'lru_maintainer',
    kind: 'applied',
    value: 'none',
    apply: setField('lruMaintainer', true),
  },
  {
    name: 'no_lru_maintainer',
    kind: 'partial',
    value: 'none',
    reason: LRU_STAYS,
    apply(st, _v, label) {
      st.cfg.lruMaintainer = false;
      ignored(st, label, LRU_STAYS, true);
    },
  },
  {
    name: 'hot_lru_pct',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.hotLruPct = intIn(label, v!, 1, 79, 'hot_lru_pct must be > 1 and < 80');
      st.labels.hot = label;
    },
  },
  {
    name: 'warm_lru_pct',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.warmLruPct = intIn(label, v!, 1, 79, 'warm_lru_pct must be > 1 and < 80');
      st.labels.warm = label;
    },
  },
  {
    name: 'hot_max_factor',
    kind: 'warned',
    value: 'required',
    reason:
      'the HOT and WARM segments are sized by share of items only (hot_lru_pct, warm_lru_pct), not by age',
    apply(st, v, label) {
      const f = float(label, v!);
      if (f <= 0) fail(label, 'hot_max_factor must be > 0');
      st.cfg.hotMaxFactor = f;
    },
  },
  {
    name: 'warm_max_factor',
    kind: 'warned',
    value: 'required',
    reason:
      'the HOT and WARM segments are sized by share of items only (hot_lru_pct, warm_lru_pct), not by age',
    apply(st, v, label) {
      const f = float(label, v!);
      if (f <= 0) fail(label, 'warm_max_factor must be > 0');
      st.cfg.warmMaxFactor = f;
    },
  },
  {
    name: 'temporary_ttl',
    kind: 'warned',
    value: 'required',
    reason:
      'slabcached has no TEMP LRU; short-lived items share the segmented LRU and can be evicted',
    apply(st, v, label) {
      st.cfg.temporaryTtl = intIn(label, v!, 0, INT32_MAX, 'temporary_ttl must not be negative');
      st.cfg.tempLru = true;
      st.labels.ttl = label;
    },
  },
  {
    name: 'tail_repair_time',
    kind: 'warned',
    value: 'required',
    reason:
      'items are never pinned by readers in slabcached, so there is no stuck LRU tail to repair',
    apply(st, v, label) {
      st.cfg.tailRepairTime = intIn(
        label,
        v!,
        10,
        INT32_MAX,
        'Cannot set tail_repair_time to less than 10 seconds',
      );
    },
  },
  // logging and statistics
  {
    name: 'watcher_logbuf_size',
    kind: 'warned',
    value: 'required',
    reason: "memcached's log buffer sizing does not apply to slabcached's logging",
    apply: unitsField('watcherLogbufSize', KiB),
  },
  {
    name: 'worker_logbuf_size',
    kind: 'warned',
    value: 'required',
    reason: "memcached's log buffer sizing does not apply to slabcached's logging",
    apply: unitsField('workerLogbufSize', KiB),
  },
  {
    name: 'track_sizes',
    kind: 'warned',
    value: 'none',
    reason: '"stats sizes" histograms are not kept',
    apply: setField('trackSizes', true),
  },
  // memory for connections
  {
    name: 'read_buf_mem_limit',
    kind: 'warned',
    value: 'required',
    reason: 'connection buffers are not drawn from a shared pool that could be capped',
    apply: unitsField('readBufMemLimit', MiB),
  },
  {
    name: 'resp_obj_mem_limit',
    kind: 'warned',
    value: 'optional',
    reason: 'DEPRECATED in memcached 1.6 (no longer used; see read_buf_mem_limit)',
  },
  // compatibility switches
  { name: 'modern', kind: 'noop', value: 'none' },
  {
    name: 'no_modern',
    kind: 'partial',
    value: 'none',
    reason: 'the segmented LRU and murmur3 hashing stay on in slabcached',
    apply(st, _v, label) {
      ignored(st, label, 'the segmented LRU and murmur3 hashing stay on in slabcached', true);
      // memcached: 1.4's defaults. Keeps an explicit slab_chunk_max given before it.
      if (st.cfg.slabChunkMax === null) st.cfg.slabChunkMax = SLAB_PAGE_SIZE;
      st.cfg.slabReassign = false;
      st.cfg.slabAutomove = 0;
      st.cfg.maxconnsFast = false;
      st.cfg.lruCrawler = false;
      st.cfg.lruMaintainer = false;
    },
  },
  { name: 'inline_ascii_resp', kind: 'noop', value: 'none' },
  { name: 'no_inline_ascii_resp', kind: 'noop', value: 'none' },
  // privileges
  {
    name: 'drop_privileges',
    kind: 'warned',
    value: 'none',
    reason: "Node.js cannot install memcached's syscall filter (seccomp / pledge)",
    apply: setField('privileges', 'drop'),
  },
  {
    name: 'no_drop_privileges',
    kind: 'applied',
    value: 'none',
    apply: setField('privileges', 'no_drop'),
  },
  {
    name: 'relaxed_privileges',
    kind: 'applied',
    value: 'none',
    apply: setField('privileges', 'relaxed'),
  },
  {
    name: 'sock_cookie_id',
    kind: 'warned',
    value: 'required',
    reason: 'Node.js cannot set a socket cookie (SO_MARK) on connections',
  },
  // TLS
  {
    name: 'ssl_chain_cert',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.sslChainCert = nonEmpty(label, v!, 'certificate file');
    },
  },
  {
    name: 'ssl_key',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.sslKey = nonEmpty(label, v!, 'key file');
    },
  },
  {
    name: 'ssl_keyformat',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      const s = v!.trim().toUpperCase();
      if (s === '1' || s === 'PEM') st.cfg.sslKeyFormat = 'pem';
      else if (s === '2' || s === 'DER' || s === 'ASN1') st.cfg.sslKeyFormat = 'der';
      else fail(label, 'only PEM (1) and DER (2) keys are supported');
    },
  },
  {
    name: 'ssl_verify_mode',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      const n = int(label, v!);
      if (n !== 0 && n !== 1 && n !== 2 && n !== 3) {
        fail(label, 'Invalid ssl_verify_mode (0 None, 1 Request, 2 Require, 3 Once)');
      }
      st.cfg.sslVerifyMode = n;
    },
  },
  {
    name: 'ssl_ciphers',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.sslCiphers = nonEmpty(label, v!, 'cipher list');
    },
  },
  {
    name: 'ssl_ca_cert',
    kind: 'applied',
    value: 'required',
    apply(st, v, label) {
      st.cfg.sslCaCert = nonEmpty(label, v!, 'CA file');
    },
  },
  {
    name: 'ssl_wbuf_size',
    kind: 'warned',
    value: 'required',
    reason: "Node's TLS sockets size their own write buffers",
    apply: unitsField('sslWbufSize', KiB),
  },
  {
    name: 'ssl_session_cache',
    kind: 'applied',
    value: 'none',
    apply: setField('sslSessionCache', true),
  },
  {
    name: 'ssl_kernel_tls',
    kind: 'warned',
    value: 'none',
    reason: "Node's TLS runs in user space (no kernel TLS offload)",
    apply: setField('sslKernelTls', true),
  },
  { name: 'ssl_min_version', kind: 'applied', value: 'required', apply: sslMinVersion },
  // extstore: tuning is accepted (without ext_path memcached ignores it too), ext_path is not.
  ...[
    'ext_page_size',
    'ext_wbuf_size',
    'ext_threads',
    'ext_io_depth',
    'ext_item_size',
    'ext_item_age',
    'ext_low_ttl',
    'ext_recache_rate',
    'ext_compact_under',
    'ext_drop_under',
    'ext_max_sleep',
    'ext_max_frag',
  ].map((name): ExtendedSpec => ({ name, kind: 'warned', value: 'required', reason: NO_EXTSTORE })),
  { name: 'ext_drop_unread', kind: 'warned', value: 'none', reason: NO_EXTSTORE },
  {
    name: 'ext_path',
    kind: 'refused',
    value: 'required',
    reason:
      'extstore (flash storage) is not supported by slabcached: remove the ext_* options and size -m for the whole data set',
  },
  // proxy mode
  ...['proxy_config', 'proxy_arg', 'proxy_uring', 'proxy_memprofile'].map(
    (name): ExtendedSpec => ({
      name,
      kind: 'refused',
      value: 'optional',
      reason:
        "memcached's proxy mode (routing to other servers, Lua) is not supported by slabcached",
    }),
  ),
];

const EXTENDED_BY_NAME = new Map(EXTENDED.map((e) => [e.name, e]));

function extended(st: ParseState, token: string): void {
  if (token === '') return; // "a,,b" or a trailing comma
  const eq = token.indexOf('=');
  const name = eq < 0 ? token : token.slice(0, eq);
  const value = eq < 0 ? undefined : token.slice(eq + 1);
  const label = `-o ${show(token)}`;
  const spec = EXTENDED_BY_NAME.get(name);
  if (spec === undefined) throw new CliError(`unknown -o option: ${show(name)}`);
  if (spec.kind === 'refused') fail(label, spec.reason!);
  if (spec.value === 'none' && value !== undefined) {
    fail(
      label,
      `${name} takes no value${name.startsWith('no_') ? '' : ` (no_${name} turns it off, where memcached has one)`}`,
    );
  }
  if (spec.value === 'required' && (value === undefined || value.trim() === '')) {
    fail(label, `Missing ${name} argument`);
  }
  spec.apply?.(st, value, label);
  if (spec.kind === 'warned') ignored(st, label, spec.reason!);
}

// ---------------------------------------------------------------------------------------
// the command line

const SHORT = new Map<string, FlagSpec>();
const LONG = new Map<string, FlagSpec>();
for (const f of FLAGS) {
  if (f.short !== null) SHORT.set(f.short, f);
  for (const l of f.long) LONG.set(l, f);
}

/** getopt_long: an exact name, else an unambiguous prefix. */
function findLong(name: string): { spec: FlagSpec; name: string } {
  const exact = LONG.get(name);
  if (exact) return { spec: exact, name };
  const hits = [...LONG.keys()].filter((l) => name !== '' && l.startsWith(name));
  const specs = new Set(hits.map((h) => LONG.get(h)));
  if (specs.size === 1) return { spec: LONG.get(hits[0]!)!, name: hits[0]! };
  if (specs.size > 1) {
    throw new CliError(
      `option '--${name}' is ambiguous; possibilities: ${hits.map((h) => `'--${h}'`).join(' ')}`,
    );
  }
  throw new CliError(`unrecognized option '--${name}'`);
}

/**
 * Parses `argv` (process.argv.slice(2)) into a ServerConfig. Throws CliError for an unknown
 * option, a missing or malformed argument, or a value memcached (or slabcached) refuses.
 */
export function parse(argv: readonly string[], env: ParseEnv): ServerConfig {
  const st: ParseState = {
    cfg: defaultConfig(env),
    tcpSpecified: false,
    udpSpecified: false,
    protocolSpecified: false,
    labels: {},
    listenGiven: false,
  };
  let i = 0;
  while (i < argv.length && st.cfg.action === 'run') {
    const arg = argv[i++]!;
    if (arg === '--') {
      if (i < argv.length) unexpected(argv[i]!);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const typed = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const { spec, name } = findLong(typed);
      let value: string | undefined;
      let label = `--${name}`;
      if (eq >= 0) {
        if (spec.arg === 'none') throw new CliError(`option '--${name}' doesn't allow an argument`);
        value = arg.slice(eq + 1);
        label = `--${name}=${show(value)}`;
      } else if (spec.arg === 'required') {
        if (i >= argv.length) throw new CliError(`option '--${name}' requires an argument`);
        value = argv[i++]!;
        label = `--${name} ${show(value)}`;
      }
      spec.apply(st, value, label);
    } else if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length && st.cfg.action === 'run'; j++) {
        const letter = arg[j]!;
        const spec = SHORT.get(letter);
        if (spec === undefined) {
          throw new CliError(`invalid option -- ${show(letter)}`);
        }
        if (spec.arg !== 'required') {
          spec.apply(st, undefined, `-${letter}`);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i >= argv.length) throw new CliError(`option requires an argument -- '${letter}'`);
          value = argv[i++]!;
        }
        spec.apply(st, value, `-${letter} ${show(value)}`);
        break;
      }
    } else {
      unexpected(arg);
    }
  }
  if (st.cfg.action === 'run') finish(st);
  return st.cfg;
}

function unexpected(arg: string): never {
  throw new CliError(`unexpected argument ${show(arg)}: slabcached takes only options`);
}

/** memcached's checks after getopt, in its order, then the store's own rules. */
function finish(st: ParseState): void {
  const c = st.cfg;
  const L = st.labels;
  if (c.napiIds > c.threads) {
    fail(
      L.N!,
      `Number of napi_ids(${c.napiIds}) cannot be greater than number of threads(${c.threads})`,
    );
  }
  const item = L.I ?? `-I ${formatSize(c.itemSizeMax)} (the default)`;
  const mem = L.m ?? `-m ${c.memoryLimit / MiB} (the default)`;
  if (c.itemSizeMax < MIN_ITEM_SIZE) fail(item, 'Item max size cannot be less than 1024 bytes');
  if (c.itemSizeMax > c.memoryLimit / 2) {
    fail(item, `Cannot set item size limit higher than 1/2 of memory max (${mem})`);
  }
  if (c.itemSizeMax > MAX_ITEM_SIZE)
    fail(item, 'Cannot set item size limit higher than a gigabyte');
  if (c.hotLruPct + c.warmLruPct >= 80) {
    const which = [L.hot, L.warm].filter((l) => l !== undefined).join(', ');
    fail(
      which,
      'hot_lru_pct + warm_lru_pct must be below 80% combined (slabcached keeps room for COLD)',
    );
  }
  if (c.tempLru && !c.lruMaintainer)
    fail(L.ttl!, 'temporary_ttl requires lru_maintainer to be enabled');
  if (c.sasl && c.authFile !== null) {
    fail(`${L.S} ${L.Y}`, 'SASL (binary protocol) and an ASCII auth file cannot be combined');
  }
  if (c.sasl) {
    if (!st.protocolSpecified) c.protocol = 'binary';
    else if (c.protocol !== 'binary')
      fail(L.S!, 'You cannot allow the ASCII protocol while using SASL');
    if (c.udpPort) fail(L.S!, 'Cannot enable UDP while using binary SASL authentication');
  }
  if (c.authFile !== null) {
    if (!st.protocolSpecified) c.protocol = 'ascii';
    else if (c.protocol !== 'ascii') {
      fail(L.Y!, 'You cannot allow the BINARY protocol while using ascii authentication tokens');
    }
    if (c.udpPort) fail(L.Y!, 'Cannot use UDP with ascii authentication enabled (-U 0 to disable)');
  }
  if (st.udpSpecified && c.udpPort !== 0 && !st.tcpSpecified) c.port = c.udpPort;
  if (c.ssl && c.sslChainCert === null) {
    fail(L.Z!, 'TLS needs a certificate: add -o ssl_chain_cert=<file> (and ssl_key=<file>)');
  }
  try {
    resolveSettings({
      memoryLimit: c.memoryLimit,
      growthFactor: c.growthFactor,
      minChunk: c.minChunk,
      itemSizeMax: c.itemSizeMax,
      slabChunkMax: c.slabChunkMax ?? undefined,
      cas: c.cas,
      evict: c.evict,
      hashPower: c.hashPower,
      hotPercent: c.hotLruPct,
      warmPercent: c.warmLruPct,
    });
  } catch (e) {
    if (!(e instanceof StoreSettingsError)) throw e;
    throw new CliError(`cache settings (-m, -f, -n, -I, -C, -o slab_chunk_max): ${e.message}`);
  }
}
