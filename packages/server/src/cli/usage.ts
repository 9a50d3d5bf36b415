/**
 * The texts of -h, -V and -i. The help follows memcached 1.6's usage() line for line (same
 * flags, order, wording and defaults) and says where slabcached differs. The -o options that
 * have no effect here, or are refused, are listed from the parser's own table, with the same
 * reasons the warnings and errors give.
 */
import { defaultConfig, EXTENDED, MIN_ITEM_SIZE, type ParseEnv } from './options.ts';
import { formatSize } from './size.ts';

/** slabcached's own version. */
export const SLABCACHED_VERSION = '0.1.0';
/** The memcached release whose command line and protocol slabcached follows; what `-V` and the
 * "version" command report first, so memcached-aware tools parse it. */
export const MEMCACHED_VERSION = '1.6.45';

/** `-V`: one line, "memcached 1.6.45 (slabcached 0.1.0)"; tools that read memcached -V
 * ("memcached 1.6.x") find the version they expect. */
export function versionText(): string {
  return `memcached ${MEMCACHED_VERSION} (slabcached ${SLABCACHED_VERSION})`;
}

/** `-i`. */
export function licenseText(): string {
  return `${versionText()}

slabcache is distributed under the BSD 3-Clause License.

slabcached reimplements memcached's protocol and command line; it contains no memcached
code. memcached is Copyright (c) 2003, Danga Interactive, Inc., and is distributed under
the BSD license: see https://github.com/memcached/memcached/blob/master/LICENSE
`;
}

const COL = 26; // where descriptions start, as memcached's help
const WIDTH = 92;

/** Wraps `text` to lines starting at column `indent`, the first one prefixed by `head`. */
function wrap(head: string, text: string, indent = COL): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  let line = head.length >= indent ? `${head} ` : head.padEnd(indent);
  let fresh = true;
  for (const word of text.split(' ')) {
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = pad + word;
    } else {
      line += fresh ? word : ` ${word}`;
    }
    fresh = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** -o options that are accepted without effect, or refused, grouped by reason. */
function listed(kind: 'warned' | 'refused'): string {
  const byReason = new Map<string, string[]>();
  for (const e of EXTENDED) {
    if (e.kind !== kind) continue;
    const names = byReason.get(e.reason!) ?? [];
    names.push(e.name);
    byReason.set(e.reason!, names);
  }
  return [...byReason]
    .map(([reason, names]) => `${wrap('   -', names.join(', '), 5)}\n${wrap('', reason, 8)}`)
    .join('\n');
}

/** `-h`. `env` gives the -t default shown (the caller's os.availableParallelism()). */
export function usage(env: ParseEnv = { cpus: 4 }): string {
  const d = defaultConfig(env);
  return `${versionText()}
usage: slabcached [options]
memcached's options, short and long, with memcached's meaning. Differences are marked
"slabcached:". Options accepted without effect here print a warning at start-up.

-p, --port=<num>          TCP port to listen on (default: ${d.port})
                          slabcached: 0 picks a free port (memcached: 0 turns TCP off)
-U, --udp-port=<num>      UDP port to listen on (default: ${d.udpPort}, off)
-s, --unix-socket=<file>  UNIX socket to listen on (disables network support)
-a, --unix-mask=<mask>    access mask for UNIX socket, in octal (default: ${d.unixMask.toString(8)})
-A, --enable-shutdown     enable ascii "shutdown" command
-l, --listen=<addr>       interface to listen on (default: ${d.listen.join(',')})
                          slabcached: memcached's default is INADDR_ANY (all
                          interfaces); give -l 0.0.0.0 (or -l ::) for that.
                          <addr> may be host:port or [ipv6]:port; separate several with
                          commas or repeat -l. If TLS/SSL is enabled, the 'notls:' prefix
                          disables it for one listener (-l notls:<ip>:<port>)
-d, --daemon              run as a daemon
-r, --enable-coredumps    maximize core file limit
                          slabcached: no effect; run "ulimit -c unlimited" first
-u, --user=<user>         assume identity of <username> (only when run as root)
-m, --memory-limit=<num>  item memory in megabytes (default: ${d.memoryLimit / 2 ** 20})
                          slabcached: also 512k, 2g; at most 16383m
-M, --disable-evictions   return error on memory exhausted instead of evicting
-c, --conn-limit=<num>    max simultaneous connections (default: ${d.maxConnections})
-k, --lock-memory         lock down all paged memory (slabcached: no effect)
-v, --verbose[=<n>]       verbose (print errors/warnings while in event loop)
-vv                       very verbose (also print client commands/responses)
-vvv                      extremely verbose (internal state transitions)
                          slabcached: --verbose=<n> sets level n (memcached adds 1)
-h, --help                print this help and exit
-i, --license             print the license and exit
-V, --version             print version and exit
-P, --pidfile=<file>      save PID in <file>, only used with -d option
-f, --slab-growth-factor=<num> chunk size growth factor (default: ${d.growthFactor.toFixed(2)})
-n, --slab-min-size=<bytes> min space used for key+value+flags (default: ${d.minChunk})
-L, --enable-largepages   try to use large memory pages (slabcached: no effect)
-D <char>                 Use <char> as the delimiter between key prefixes and IDs.
                          This is used for per-prefix stats reporting. The default is
                          "${d.delimiter}" (colon). If this option is specified, stats collection
                          is turned on automatically; if not, then it may be turned on
                          by sending the "stats detail on" command to the server.
-t, --threads=<num>       number of threads to use (default: ${d.threads})
                          slabcached: the default is the number of CPUs (memcached: 4)
-R, --max-reqs-per-event=<num> maximum number of requests per event, limits the
                          requests processed per connection to prevent
                          starvation (default: ${d.reqsPerEvent})
-C, --disable-cas         disable use of CAS
-b, --listen-backlog=<num> set the backlog queue limit (default: ${d.backlog})
-B, --protocol=<name>     protocol - one of ascii, binary, or auto (default: auto-negotiate)
-I, --max-item-size=<num> adjusts max item size
                          (default: ${formatSize(d.itemSizeMax)}, min: ${formatSize(MIN_ITEM_SIZE)}, max: 1024m, and at most half of -m)
-S, --enable-sasl         turn on Sasl authentication (binary protocol)
-F, --disable-flush-all   disable flush_all command
-X, --disable-dumping     disable stats cachedump and lru_crawler metadump
-W, --disable-watch       disable watch commands (live logging)
-Y, --auth-file=<file>    (EXPERIMENTAL) enable ASCII protocol authentication. format:
                          user:pass\\nuser2:pass2\\n
-e, --memory-file=<file>  restartable cache: SIGUSR1 or "shutdown graceful" saves the cache
                          to <file>; the next start with the same memory settings loads it
                          slabcached: not supported; accepted with a warning, and the
                          cache starts empty
-Z, --enable-ssl          enable TLS/SSL (needs -o ssl_chain_cert)
-N, --napi-ids=<num>      number of napi ids (also --napi_ids)
                          slabcached: no effect (Node.js cannot read NAPI IDs)
-o, --extended=<opts>     comma separated list of extended options; may be repeated
                          most options have a 'no_' prefix to disable
                          slabcached: an unknown option is an error
   - maxconns_fast:       immediately close new connections after limit (default: ${d.maxconnsFast ? 'enabled' : 'disabled'})
   - no_maxconns_fast:    stop accepting at the limit instead
   - hashpower:           an integer multiplier for how large the hash
                          table should be. normally grows at runtime. (default starts at: ${d.hashPower})
                          set based on "STAT hash_power_level"
                          slabcached: 12 to 30 (memcached: 12 to 32)
   - hash_algorithm:      the hash table algorithm: jenkins, murmur3, xxh3
                          slabcached: always murmur3; the others are accepted with a warning
   - idle_timeout:        timeout for idle connections. (default: ${d.idleTimeout}, no timeout)
   - lru_crawler:         enable LRU Crawler background thread (default)
   - no_lru_crawler:      disable LRU Crawler background thread.
   - lru_crawler_sleep:   microseconds to sleep between items
                          default is ${d.lruCrawlerSleep}.
   - lru_crawler_tocrawl: max items to crawl per slab per run
                          default is ${d.lruCrawlerToCrawl} (unlimited)
   - lru_maintainer:      new LRU system + background thread (default)
   - no_lru_maintainer:   disable new LRU system + background thread.
                          slabcached: the segmented LRU stays on (warning)
   - hot_lru_pct:         pct of slab memory to reserve for hot lru.
                          (default pct: ${d.hotLruPct})
   - warm_lru_pct:        pct of slab memory to reserve for warm lru.
                          (default pct: ${d.warmLruPct}; hot + warm must stay below 80)
   - slab_chunk_max:      (EXPERIMENTAL) maximum slab size in kilobytes. use extreme care. (default: 512)
                          slabcached: also 16k, 1m; a number above 1024 is read as
                          bytes, as memcached before 1.6.12
   - no_chunked_items:    slab_chunk_max of a whole page (1m); larger items are still
                          chained in slabcached
   - slab_reassign:       allow moving slab pages between classes ("slabs reassign")
                          (default: ${d.slabReassign ? 'enabled' : 'disabled'})
   - no_slab_reassign:    disable moving slab pages between classes
   - slab_automove:       0 off, 1 (default: ${d.slabAutomove}) or 2: move pages to classes that evict
                          slabcached: 1 and 2 act the same (at most a page per 10 seconds)
   - no_slab_automove:    same as slab_automove=0
   - modern:              enables options which will be default in future.
                          currently: nothing
   - no_modern:           uses defaults of previous major version (1.4.x)
                          slabcached: except the segmented LRU and murmur3 (warning)
   - inline_ascii_resp, no_inline_ascii_resp: no effect (as in memcached)
   - no_drop_privileges:  do not filter syscalls (default)
   - relaxed_privileges:  running tests requires extra privileges.
   - ssl_chain_cert:      certificate chain file in PEM format
   - ssl_key:             private key, if not part of the -ssl_chain_cert
   - ssl_keyformat:       private key format (PEM, DER) (default: PEM)
   - ssl_verify_mode:     peer certificate verification mode, default is 0(None).
                          valid values are 0(None), 1(Request), 2(Require)
                          or 3(Once)
   - ssl_ciphers:         specify cipher list to be used
   - ssl_ca_cert:         PEM format file of acceptable client CA's
   - ssl_session_cache:   enable server-side SSL session cache, to support session
                          resumption
   - ssl_min_version:     minimum protocol version to accept (default: tlsv1.2)
                          valid values are 0(tlsv1.0), 1(tlsv1.1), 2(tlsv1.2), or 3(tlsv1.3).

   accepted, but without effect in slabcached (a warning says so at start-up):
${listed('warned')}

   refused (slabcached cannot honour them):
${listed('refused')}

slabcached's own options (the admin HTTP service, and cluster discovery):
    --admin-port=<num>    admin service port (default: ${d.adminPort}; 0 picks a free port)
    --admin-host=<addr>   interface for the admin service (default: ${d.adminHost})
    --admin-token=<str>   bearer token for the admin's actions (POST /flush); default:
                          $SLABCACHE_ADMIN_TOKEN, which other users cannot read in ps;
                          without either, actions are off
    --no-admin            do not start the admin service
    --cluster-config=<file> answer ElastiCache's "config get cluster" with the nodes in
                          <file> (host|ip|port, host:port or host, one per line);
                          read again when it changes, the version goes up each time
`;
}
