import t, { type Test } from 'tap';
import {
  CliError,
  defaultConfig,
  EXTENDED,
  FLAGS,
  parse,
  parseListenAddress,
  type ServerConfig,
} from '../src/cli/options.ts';
import { formatSize, parseSize } from '../src/cli/size.ts';
import {
  licenseText,
  MEMCACHED_VERSION,
  SLABCACHED_VERSION,
  usage,
  versionText,
} from '../src/cli/usage.ts';

const KiB = 1024;
const MiB = 1024 * 1024;
const ENV = { cpus: 6 };

function run(...argv: string[]): ServerConfig {
  return parse(argv, ENV);
}

/** `text` as a literal inside a RegExp. */
function quoteRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Asserts a CliError with a one-line message matching `message`. */
function refuses(t: Test, argv: string[], message: RegExp, what = argv.join(' ')): void {
  try {
    parse(argv, ENV);
    t.fail(`${what}: accepted`);
  } catch (e) {
    t.ok(e instanceof CliError, `${what}: CliError`);
    const err = e as CliError;
    t.equal(err.code, 'SLAB_ERR_CLI');
    t.match(err.message, message, `${what}: ${err.message}`);
    t.notOk(err.message.includes('\n'), `${what}: one line`);
  }
}

t.test('defaults are memcached 1.6 defaults, except the bind address and -t', async (t) => {
  const c = run();
  t.same(c, defaultConfig(ENV));
  t.match(c, {
    action: 'run',
    port: 11211,
    udpPort: 0,
    unixSocket: null,
    unixMask: 0o700,
    listen: ['127.0.0.1'],
    backlog: 1024,
    maxConnections: 1024,
    maxconnsFast: true,
    idleTimeout: 0,
    reqsPerEvent: 20,
    protocol: 'auto',
    napiIds: 0,
    daemonize: false,
    user: null,
    pidFile: null,
    threads: 6,
    verbosity: 0,
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
    lruCrawler: true,
    lruCrawlerSleep: 100,
    lruCrawlerToCrawl: 0,
    lruMaintainer: true,
    hotMaxFactor: 0.2,
    warmMaxFactor: 2,
    tempLru: false,
    temporaryTtl: 61,
    slabReassign: true,
    slabAutomove: 1,
    slabAutomoveRatio: 0.8,
    slabAutomoveWindow: 30,
    tailRepairTime: 0,
    watcherLogbufSize: 256 * KiB,
    workerLogbufSize: 64 * KiB,
    readBufMemLimit: 0,
    ssl: false,
    sslKeyFormat: 'pem',
    sslVerifyMode: 0,
    sslMinVersion: 'TLSv1.2',
    sslWbufSize: 16 * KiB,
    sslSessionCache: false,
    privileges: 'no_drop',
    admin: true,
    adminPort: 11311,
    adminHost: '127.0.0.1',
    adminToken: null,
    warnings: [],
  });
  t.equal(parse([], { cpus: 0.5 }).threads, 1, 'at least one thread');
  // Configs never share arrays.
  const a = run();
  a.listen.push('x');
  a.warnings.push('x');
  t.same(run().listen, ['127.0.0.1']);
  t.same(run().warnings, []);
});

/** Every flag, short and long: [short argv, long argv(s), expected fields]. */
const CASES: [string[] | null, string[][], Partial<ServerConfig>][] = [
  [['-a', '0755'], [['--unix-mask=755'], ['--unix-mask', '0o755']], { unixMask: 0o755 }],
  [['-A'], [['--enable-shutdown']], { enableShutdown: true }],
  [
    ['-Z', '-o', 'ssl_chain_cert=/c.pem'],
    [['--enable-ssl', '--extended=ssl_chain_cert=/c.pem']],
    { ssl: true, sslChainCert: '/c.pem' },
  ],
  [['-p', '11311'], [['--port=11311'], ['--port', '11311']], { port: 11311 }],
  [['-s', '/tmp/mc.sock'], [['--unix-socket=/tmp/mc.sock']], { unixSocket: '/tmp/mc.sock' }],
  [['-U', '11211'], [['--udp-port', '11211']], { udpPort: 11211 }],
  [['-m', '128'], [['--memory-limit=128']], { memoryLimit: 128 * MiB }],
  [['-M'], [['--disable-evictions']], { evict: false }],
  [['-c', '10'], [['--conn-limit', '10']], { maxConnections: 10 }],
  [['-k'], [['--lock-memory']], { lockMemory: true }],
  [['-h'], [['--help']], { action: 'help' }],
  [['-i'], [['--license']], { action: 'license' }],
  [['-V'], [['--version']], { action: 'version' }],
  [['-r'], [['--enable-coredumps']], { coreDumps: true }],
  [['-v'], [['--verbose']], { verbosity: 1 }],
  [['-d'], [['--daemon']], { daemonize: true }],
  [['-l', '10.0.0.1'], [['--listen=10.0.0.1']], { listen: ['10.0.0.1'] }],
  [['-u', 'root'], [['--user', 'root']], { user: 'root' }],
  [['-P', '/run/mc.pid'], [['--pidfile=/run/mc.pid']], { pidFile: '/run/mc.pid' }],
  [['-f', '1.08'], [['--slab-growth-factor=1.08']], { growthFactor: 1.08 }],
  [['-n', '64'], [['--slab-min-size', '64']], { minChunk: 64 }],
  [['-t', '2'], [['--threads=2']], { threads: 2 }],
  [['-D', '#'], [], { delimiter: '#', detailEnabled: true }],
  [['-L'], [['--enable-largepages']], { largePages: true }],
  [['-R', '5'], [['--max-reqs-per-event=5']], { reqsPerEvent: 5 }],
  [['-C'], [['--disable-cas']], { cas: false }],
  [['-b', '64'], [['--listen-backlog', '64']], { backlog: 64 }],
  [['-B', 'ascii'], [['--protocol=ascii']], { protocol: 'ascii' }],
  [['-I', '2m'], [['--max-item-size=2m']], { itemSizeMax: 2 * MiB }],
  [['-S'], [['--enable-sasl']], { sasl: true, protocol: 'binary' }],
  [['-F'], [['--disable-flush-all']], { flushEnabled: false }],
  [['-X'], [['--disable-dumping']], { dumpEnabled: false }],
  [['-W'], [['--disable-watch']], { watchEnabled: false }],
  [
    ['-Y', '/etc/mc-auth'],
    [['--auth-file=/etc/mc-auth']],
    { authFile: '/etc/mc-auth', protocol: 'ascii' },
  ],
  [['-e', '/dev/shm/mc'], [['--memory-file', '/dev/shm/mc']], { memoryFile: '/dev/shm/mc' }],
  [['-o', 'idle_timeout=5'], [['--extended=idle_timeout=5']], { idleTimeout: 5 }],
  [['-N', '2'], [['--napi-ids=2'], ['--napi_ids', '2']], { napiIds: 2 }],
  [null, [['--admin-port=9000'], ['--admin-port', '9000']], { adminPort: 9000 }],
  [null, [['--admin-host=0.0.0.0']], { adminHost: '0.0.0.0' }],
  [null, [['--admin-token=s3cret'], ['--admin-token', 's3cret']], { adminToken: 's3cret' }],
  [null, [['--no-admin']], { admin: false }],
  [
    null,
    [['--cluster-config=/etc/nodes'], ['--cluster-config', '/etc/nodes']],
    { clusterConfig: '/etc/nodes' },
  ],
];

t.test('every flag, short and long, with memcached meaning', async (t) => {
  for (const [short, longs, expected] of CASES) {
    for (const argv of [...(short ? [short] : []), ...longs]) {
      t.match(run(...argv), expected, argv.join(' '));
    }
  }
  // The cases cover the parser's whole table.
  const shorts = new Set(CASES.flatMap(([s]) => (s ? [s[0]!.slice(1)] : [])));
  const longs = new Set(
    CASES.flatMap(([, ls]) => ls.map((argv) => argv[0]!.slice(2).split('=')[0]!)),
  );
  for (const f of FLAGS) {
    if (f.short !== null) t.ok(shorts.has(f.short), `-${f.short} is tested`);
    for (const l of f.long) t.ok(longs.has(l), `--${l} is tested`);
  }
});

t.test('getopt conventions', async (t) => {
  t.equal(run('-p11212').port, 11212, 'attached value');
  t.equal(run('-p', '11212').port, 11212, 'separate value');
  t.equal(run('-p', ' 11212').port, 11212, 'leading blanks stripped, as memcached');
  t.equal(run('-vv').verbosity, 2);
  t.equal(run('-vvv').verbosity, 3);
  t.equal(run('-v', '-v', '--verbose').verbosity, 3, 'repeated -v add up');
  t.equal(run('--verbose=2').verbosity, 2, '--verbose=n sets n');
  t.match(run('-dM'), { daemonize: true, evict: false }, 'bundled flags');
  t.match(run('-dp12345'), { daemonize: true, port: 12345 }, 'bundle ending with a value');
  t.match(run('-dvp', '12345'), { daemonize: true, verbosity: 1, port: 12345 });
  t.equal(run('-u', '-m').user, '-m', 'a required value may start with -, as getopt');
  t.equal(run('--memory-l=32').memoryLimit, 32 * MiB, 'unambiguous long prefix');
  t.equal(run('--conn', '5').maxConnections, 5);
  refuses(
    t,
    ['--mem=32'],
    /option '--mem' is ambiguous; possibilities: '--memory-limit' '--memory-file'/,
  );
  t.equal(run('--napi=1', '-t', '2').napiIds, 1, 'prefix of two names of one option');
  t.equal(run('--port', '1', '--').port, 1, '-- ends the options');
  t.equal(run('--').port, 11211);
  refuses(t, ['--', '-p', '1'], /unexpected argument -p: slabcached takes only options/);
  refuses(t, ['extra'], /unexpected argument extra/);
  refuses(t, ['-'], /unexpected argument -/);
  refuses(t, ['-p', '1', ''], /unexpected argument "": /);
  refuses(t, ['--verbose', '2'], /unexpected argument 2/, 'optional values only with =');
  refuses(t, ['--dis'], /option '--dis' is ambiguous; possibilities: .*'--disable-cas'/);
  refuses(t, ['--frobnicate'], /unrecognized option '--frobnicate'/);
  refuses(t, ['--'.concat('=3')], /unrecognized option '--'/);
  refuses(t, ['-x'], /invalid option -- x/);
  refuses(t, ['-dx'], /invalid option -- x/);
  refuses(t, ['-p'], /option requires an argument -- 'p'/);
  refuses(t, ['-vp'], /option requires an argument -- 'p'/);
  refuses(t, ['--port'], /option '--port' requires an argument/);
  refuses(t, ['--daemon=1'], /option '--daemon' doesn't allow an argument/);
  // -h, -V, -i act at once, as memcached exits there; earlier errors still count.
  t.equal(run('-h', '--nonsense').action, 'help');
  t.equal(run('-Vh').action, 'version');
  t.equal(run('-I', '1', '-V').action, 'version', 'no final checks when printing');
  refuses(t, ['-p', 'x', '-h'], /-p x: not a whole number/);
  const argv = ['-p', '1', '-l', 'a,b'];
  run(...argv);
  t.same(argv, ['-p', '1', '-l', 'a,b'], 'argv is not touched');
});

t.test('sizes: memcached units and k/m/g suffixes', async (t) => {
  t.same(parseSize('64', MiB), { bytes: 64 * MiB, suffixed: false });
  t.same(parseSize('512k', 1), { bytes: 512 * KiB, suffixed: true });
  t.same(parseSize(' 2G ', 1), { bytes: 2048 * MiB, suffixed: true });
  t.same(parseSize('64mb', 1), { bytes: 64 * MiB, suffixed: true });
  t.same(parseSize('4096B', MiB), { bytes: 4096, suffixed: true }, 'a lone b means bytes');
  for (const bad of ['', 'm', '-1', '1.5m', '1t', '0x10', '1 k b', '99999999999999999g']) {
    t.equal(parseSize(bad, 1), null, `"${bad}" is not a size`);
  }
  t.equal(formatSize(MiB), '1m');
  t.equal(formatSize(1536 * KiB), '1536k');
  t.equal(formatSize(3 * 1024 * MiB), '3g');
  t.equal(formatSize(1000), '1000');

  // -m: megabytes, as memcached; suffixes are slabcached's extension.
  t.equal(run('-m', '2048k', '-I', '1k').memoryLimit, 2 * MiB);
  t.equal(run('-m', '2g').memoryLimit, 2048 * MiB);
  t.equal(run('-m', '1G').memoryLimit, 1024 * MiB);
  t.equal(run('-m', '64mb').memoryLimit, 64 * MiB);
  t.equal(run('-m', '16383').memoryLimit, 16383 * MiB);
  refuses(t, ['-m', 'lots'], /^-m lots: not a size \(megabytes/);
  refuses(t, ['-m', '0'], /^-m 0: memory limit must be at least 1 megabyte/);
  refuses(t, ['-m', '64b'], /^-m 64b: memory limit must be at least 1 megabyte/);
  refuses(t, ['-m', '512k'], /^-m 512k: memory limit must be at least 1 megabyte/);
  refuses(t, ['-m', '16384'], /^-m 16384: memory limit must be under 16 GiB \(at most 16383m\)/);
  // -I: bytes, or k/m (memcached), or g.
  t.equal(run('-I', '1048576').itemSizeMax, MiB);
  t.equal(run('-I', '512k').itemSizeMax, 512 * KiB);
  t.equal(run('-I', '1k').itemSizeMax, 1024);
  t.equal(run('-I', '1g', '-m', '4g').itemSizeMax, 1024 * MiB);
  t.equal(run('-I', '128m', '-m', '256').itemSizeMax, 128 * MiB);
  refuses(t, ['-I', '1.5m'], /^-I 1.5m: not a size \(bytes, or with a k\/m suffix/);
  refuses(t, ['-I', '512'], /^-I 512: Item max size cannot be less than 1024 bytes/);
  refuses(
    t,
    ['-I', '40m'],
    /^-I 40m: Cannot set item size limit higher than 1\/2 of memory max \(-m 64 \(the default\)\)/,
  );
  refuses(
    t,
    ['-m', '1'],
    /^-I 1m \(the default\): Cannot set item size limit higher than 1\/2 of memory max \(-m 1\)/,
  );
  refuses(
    t,
    ['--max-item-size=2g', '-m', '8g'],
    /^--max-item-size=2g: Cannot set item size limit higher than a gigabyte/,
  );
});

t.test('-l: comma-separated, repeated, host:port, IPv6, notls:', async (t) => {
  t.same(run('-l', '10.0.0.1,10.0.0.2', '-l', '10.0.0.3').listen, [
    '10.0.0.1',
    '10.0.0.2',
    '10.0.0.3',
  ]);
  t.same(run('-l', 'a, b', '-l', 'a', '-l', 'b,c').listen, ['a', 'b', 'c'], 'duplicates dropped');
  t.same(run('-l', '127.0.0.10', '-l', '127.0.0.1').listen, ['127.0.0.10', '127.0.0.1']);
  t.same(run('-l', '0.0.0.0:11311,[::1]:11312,::').listen, ['0.0.0.0:11311', '[::1]:11312', '::']);
  t.same(parseListenAddress('10.0.0.1'), { host: '10.0.0.1', port: null, notls: false });
  t.same(parseListenAddress('localhost:0'), { host: 'localhost', port: 0, notls: false });
  t.same(parseListenAddress('[::1]:11211'), { host: '::1', port: 11211, notls: false });
  t.same(parseListenAddress('[fe80::1]'), { host: 'fe80::1', port: null, notls: false });
  t.same(parseListenAddress('::1'), { host: '::1', port: null, notls: false }, 'bare IPv6');
  t.same(parseListenAddress('notls:10.0.0.1:11212'), {
    host: '10.0.0.1',
    port: 11212,
    notls: true,
  });
  refuses(t, ['-l', ''], /^-l "": empty address/);
  refuses(t, ['-l', 'a,,b'], /^-l a,,b: empty address/);
  refuses(t, ['-l', '[::1'], /^-l \[::1: missing \] after the IPv6 address/);
  refuses(t, ['-l', '[::1]11211'], /expected :port after \]/);
  refuses(t, ['-l', ':11211'], /^-l :11211: no address before the port/);
  refuses(t, ['-l', 'h:99999'], /^-l h:99999: Invalid port number 99999/);
  refuses(t, ['-l', 'h:http'], /^-l h:http: not a whole number/);
});

t.test('-o: lists, repeats, and memcached checks', async (t) => {
  const c = run(
    '-o',
    'hashpower=20, lru_crawler_sleep=50,,no_maxconns_fast,',
    '--extended',
    'idle_timeout=30',
    '-o',
    'hot_lru_pct=10,warm_lru_pct=30',
  );
  t.match(c, {
    hashPower: 20,
    lruCrawlerSleep: 50,
    maxconnsFast: false,
    idleTimeout: 30,
    hotLruPct: 10,
    warmLruPct: 30,
    warnings: [],
  });
  refuses(t, ['-o', 'foo'], /^unknown -o option: foo$/);
  refuses(t, ['-o', 'hashpower=20,bar=1'], /^unknown -o option: bar/);
  refuses(t, ['-o', 'hashpower'], /^-o hashpower: Missing hashpower argument/);
  refuses(t, ['-o', 'hashpower='], /^-o hashpower=: Missing hashpower argument/);
  refuses(t, ['-o', 'hashpower=x'], /^-o hashpower=x: not a whole number/);
  refuses(
    t,
    ['-o', 'hashpower=11'],
    /^-o hashpower=11: Initial hashtable multiplier of 11 is too low/,
  );
  refuses(t, ['-o', 'hashpower=31'], /too high \(slabcached allows 12 to 30; memcached 12 to 32\)/);
  refuses(
    t,
    ['-o', 'lru_crawler=0'],
    /^-o lru_crawler=0: lru_crawler takes no value \(no_lru_crawler/,
  );
  refuses(t, ['-o', 'no_lru_crawler=1'], /^-o no_lru_crawler=1: no_lru_crawler takes no value$/);
  // slab_chunk_max: kilobytes (memcached 1.6), suffixes, or old-style bytes.
  t.equal(run('-o', 'slab_chunk_max=16').slabChunkMax, 16 * KiB);
  t.equal(run('-o', 'slab_chunk_max=16k').slabChunkMax, 16 * KiB);
  t.equal(run('-o', 'slab_chunk_max=1m').slabChunkMax, MiB);
  const old = run('-o', 'slab_chunk_max=16384');
  t.equal(old.slabChunkMax, 16 * KiB);
  t.match(old.warnings, [/^-o slab_chunk_max=16384: read as bytes \(16k\)/]);
  refuses(
    t,
    ['-o', 'slab_chunk_max=300'],
    /slab_chunk_max \(bytes: 307200\) must divide evenly into 1048576 \(slab_page_size\)/,
  );
  refuses(t, ['-o', 'slab_chunk_max=4b'], /\(bytes: 4\) must divide evenly/, 'below 8 bytes');
  refuses(t, ['-o', 'slab_chunk_max=0'], /slab_chunk_max must be greater than 0/);
  refuses(t, ['-o', 'slab_chunk_max=big'], /could not parse argument to slab_chunk_max/);
  t.equal(run('-o', 'no_chunked_items').slabChunkMax, MiB);
  // LRU and crawler
  t.equal(run('-o', 'no_lru_crawler').lruCrawler, false);
  t.equal(run('-o', 'no_lru_crawler,lru_crawler').lruCrawler, true);
  t.equal(run('-o', 'lru_crawler_tocrawl=4294967295').lruCrawlerToCrawl, 4294967295);
  refuses(t, ['-o', 'lru_crawler_tocrawl=4294967296'], /takes a numeric 32bit value/);
  refuses(
    t,
    ['-o', 'lru_crawler_sleep=1000001'],
    /LRU crawler sleep must be between 0 and 1 second/,
  );
  refuses(t, ['-o', 'hot_lru_pct=80'], /^-o hot_lru_pct=80: hot_lru_pct must be > 1 and < 80/);
  refuses(t, ['-o', 'warm_lru_pct=0'], /warm_lru_pct must be > 1 and < 80/);
  refuses(
    t,
    ['-o', 'hot_lru_pct=40,warm_lru_pct=40'],
    /^-o hot_lru_pct=40, -o warm_lru_pct=40: hot_lru_pct \+ warm_lru_pct must be below 80%/,
  );
  refuses(t, ['-o', 'warm_lru_pct=60'], /^-o warm_lru_pct=60: hot_lru_pct \+ warm_lru_pct/);
  t.match(run('-o', 'temporary_ttl=30'), { tempLru: true, temporaryTtl: 30 });
  refuses(
    t,
    ['-o', 'no_lru_maintainer,temporary_ttl=30'],
    /^-o temporary_ttl=30: temporary_ttl requires lru_maintainer to be enabled/,
  );
  refuses(t, ['-o', 'tail_repair_time=5'], /Cannot set tail_repair_time to less than 10 seconds/);
  refuses(t, ['-o', 'hot_max_factor=0'], /hot_max_factor must be > 0/);
  refuses(t, ['-o', 'warm_max_factor=-1'], /^-o warm_max_factor=-1: not a number/);
  // slab mover
  t.match(run('-o', 'slab_automove=0'), { slabAutomove: 0, warnings: [] });
  t.match(run('-o', 'no_slab_automove,no_slab_reassign'), {
    slabAutomove: 0,
    slabReassign: false,
    warnings: [],
  });
  t.match(run('-o', 'no_slab_reassign,slab_reassign,slab_automove=2'), {
    slabReassign: true,
    slabAutomove: 2,
    warnings: [],
  });
  t.equal(run('-o', 'no_slab_automove,slab_automove').slabAutomove, 1, 'no value: 1');
  refuses(t, ['-o', 'slab_automove=3'], /slab_automove must be between 0 and 2/);
  refuses(t, ['-o', 'slab_automove_ratio=1.5'], /slab_automove_ratio must be > 0 and < 1/);
  refuses(t, ['-o', 'slab_automove_window=2'], /slab_automove_window must be > 2/);
  // hash algorithm
  t.same(run('-o', 'hash_algorithm=murmur3').warnings, []);
  t.match(run('-o', 'hash_algorithm=xxh3').warnings, [/always hashes with murmur3/]);
  refuses(
    t,
    ['-o', 'hash_algorithm=md5'],
    /Unknown hash_algorithm option \(jenkins, murmur3, xxh3\)/,
  );
  // compatibility switches
  t.match(run('-o', 'no_modern'), {
    slabChunkMax: MiB,
    slabReassign: false,
    slabAutomove: 0,
    maxconnsFast: false,
    lruCrawler: false,
    lruMaintainer: false,
    warnings: [/^-o no_modern: partly ignored: the segmented LRU and murmur3/],
  });
  t.equal(run('-o', 'slab_chunk_max=16,no_modern').slabChunkMax, 16 * KiB, 'explicit value kept');
  t.same(run('-o', 'modern,inline_ascii_resp,no_inline_ascii_resp').warnings, []);
  // privileges: -u root and relaxed_privileges are accepted.
  t.match(run('-u', 'root', '-o', 'relaxed_privileges'), { user: 'root', privileges: 'relaxed' });
  t.match(run('-o', 'drop_privileges'), { privileges: 'drop', warnings: [/syscall filter/] });
  t.equal(run('-o', 'drop_privileges,no_drop_privileges').privileges, 'no_drop');
  // sizes in kilobytes / megabytes
  t.match(run('-o', 'watcher_logbuf_size=512,worker_logbuf_size=128,read_buf_mem_limit=100'), {
    watcherLogbufSize: 512 * KiB,
    workerLogbufSize: 128 * KiB,
    readBufMemLimit: 100 * MiB,
  });
  refuses(t, ['-o', 'read_buf_mem_limit=-1'], /must not be negative/);
});

t.test('-o TLS options', async (t) => {
  const c = run(
    '-Z',
    '-o',
    'ssl_chain_cert=/etc/c.pem,ssl_key=/etc/k.der,ssl_keyformat=2,ssl_verify_mode=3',
    '-o',
    'ssl_ciphers=HIGH:!aNULL,ssl_ca_cert=/etc/ca.pem,ssl_session_cache,ssl_min_version=3',
  );
  t.match(c, {
    ssl: true,
    sslChainCert: '/etc/c.pem',
    sslKey: '/etc/k.der',
    sslKeyFormat: 'der',
    sslVerifyMode: 3,
    sslCiphers: 'HIGH:!aNULL',
    sslCaCert: '/etc/ca.pem',
    sslSessionCache: true,
    sslMinVersion: 'TLSv1.3',
    warnings: [],
  });
  t.equal(run('-o', 'ssl_keyformat=PEM').sslKeyFormat, 'pem');
  t.equal(run('-o', 'ssl_min_version=0').sslMinVersion, 'TLSv1');
  t.equal(run('-o', 'ssl_min_version=tlsv1').sslMinVersion, 'TLSv1');
  t.equal(run('-o', 'ssl_min_version=TLSv1.1').sslMinVersion, 'TLSv1.1');
  t.equal(run('-o', 'ssl_min_version=tlsv1.2').sslMinVersion, 'TLSv1.2');
  t.match(run('-o', 'ssl_wbuf_size=32,ssl_kernel_tls'), {
    sslWbufSize: 32 * KiB,
    sslKernelTls: true,
    warnings: [/ssl_wbuf_size=32: ignored/, /ssl_kernel_tls: ignored/],
  });
  refuses(t, ['-o', 'ssl_min_version=4'], /Invalid ssl_min_version/);
  refuses(t, ['-o', 'ssl_min_version=sslv3'], /Invalid ssl_min_version/);
  refuses(
    t,
    ['-o', 'ssl_verify_mode=4'],
    /Invalid ssl_verify_mode \(0 None, 1 Request, 2 Require, 3 Once\)/,
  );
  refuses(t, ['-o', 'ssl_keyformat=3'], /only PEM \(1\) and DER \(2\) keys are supported/);
  refuses(t, ['-o', 'ssl_key= '], /Missing ssl_key argument/);
  refuses(t, ['-Z'], /^-Z: TLS needs a certificate: add -o ssl_chain_cert=<file>/);
  refuses(t, ['--enable-ssl'], /^--enable-ssl: TLS needs a certificate/);
});

/** A valid value for each -o option that takes one. */
const SAMPLE: Record<string, string> = {
  hashpower: '20',
  idle_timeout: '5',
  hash_algorithm: 'jenkins',
  slab_chunk_max: '256',
  slab_sizes: '96-192-384',
  slab_automove_ratio: '0.5',
  slab_automove_window: '10',
  lru_crawler_sleep: '50',
  lru_crawler_tocrawl: '10',
  hot_lru_pct: '10',
  warm_lru_pct: '30',
  hot_max_factor: '0.5',
  warm_max_factor: '1.5',
  temporary_ttl: '30',
  tail_repair_time: '60',
  ssl_keyformat: '1',
  ssl_verify_mode: '1',
  ssl_min_version: '2',
  ext_path: '/mnt/flash/extstore:64G',
  ext_max_frag: '0.8',
};

t.test('every -o option is applied, warned or refused, as its table entry says', async (t) => {
  const names = new Set<string>();
  for (const spec of EXTENDED) {
    t.notOk(names.has(spec.name), `${spec.name} listed once`);
    names.add(spec.name);
    const token =
      spec.value === 'required' ? `${spec.name}=${SAMPLE[spec.name] ?? '16'}` : spec.name;
    if (spec.kind === 'refused') {
      t.ok(spec.reason, `${spec.name} says why`);
      refuses(t, ['-o', token], new RegExp(`^${quoteRe(`-o ${token}: ${spec.reason}`)}$`));
      continue;
    }
    const c = run('-o', token);
    if (spec.kind === 'applied' || spec.kind === 'noop') {
      t.same(c.warnings, [], `${token}: no warning`);
    } else {
      t.equal(c.warnings.length, 1, `${token}: one warning`);
      t.match(c.warnings[0], new RegExp(`^-o ${spec.name}\\b.*: (partly )?ignored: `));
      t.ok(spec.reason, `${spec.name} says why`);
    }
  }
  // Every option memcached 1.6 documents in -h (plus its undocumented ones) is in the table.
  for (const name of [
    'maxconns_fast',
    'hashpower',
    'tail_repair_time',
    'hash_algorithm',
    'no_lru_crawler',
    'lru_crawler_sleep',
    'lru_crawler_tocrawl',
    'read_buf_mem_limit',
    'no_lru_maintainer',
    'hot_lru_pct',
    'warm_lru_pct',
    'hot_max_factor',
    'warm_max_factor',
    'temporary_ttl',
    'idle_timeout',
    'slab_chunk_max',
    'watcher_logbuf_size',
    'worker_logbuf_size',
    'track_sizes',
    'no_hashexpand',
    'modern',
    'no_modern',
    'drop_privileges',
    'no_drop_privileges',
    'relaxed_privileges',
    'ext_path',
    'ext_page_size',
    'ext_wbuf_size',
    'ext_threads',
    'ext_item_size',
    'ext_item_age',
    'ext_low_ttl',
    'ext_drop_unread',
    'ext_recache_rate',
    'ext_compact_under',
    'ext_drop_under',
    'ext_max_frag',
    'slab_automove_freeratio',
    'ssl_chain_cert',
    'ssl_key',
    'ssl_keyformat',
    'ssl_verify_mode',
    'ssl_ciphers',
    'ssl_ca_cert',
    'ssl_wbuf_size',
    'ssl_session_cache',
    'ssl_kernel_tls',
    'ssl_min_version',
    'proxy_config',
    'proxy_arg',
    'slab_reassign',
    'slab_automove',
    'slab_sizes',
    'no_chunked_items',
  ]) {
    t.ok(names.has(name), `-o ${name} is known`);
  }
});

t.test('warnings: one line each, once each', async (t) => {
  const c = run('-k', '-k', '--lock-memory', '-L', '-r', '-e', '/dev/shm/x', '-N', '1', '-t', '65');
  t.equal(c.warnings.length, 6, '-e is supported now: no warning');
  t.match(c.warnings, [
    /^-k: ignored: /,
    /^--lock-memory: ignored: /,
    /^-L: ignored: /,
    /^-r: ignored: .*ulimit -c unlimited/,
    /^-N 1: ignored: /,
    /^-t 65: WARNING: Setting a high number of worker threads is not recommended/,
  ]);
  for (const w of c.warnings) t.notOk(w.includes('\n'), 'one line');
  t.match(run('-o', 'no_lru_maintainer').warnings, [/^-o no_lru_maintainer: partly ignored: /]);
  t.match(run('-o', 'slab_automove_ratio=0.5,slab_automove_window=10').warnings, [
    /^-o slab_automove_ratio=0.5: ignored: .*fixed 10-second window/,
    /^-o slab_automove_window=10: ignored: /,
  ]);
});

t.test('bad values: one-line errors naming the flag, in memcached words', async (t) => {
  refuses(t, ['-p', 'abc'], /^-p abc: not a whole number$/);
  refuses(t, ['--port=70000'], /^--port=70000: Invalid port number 70000 \(0 to 65535\)/);
  refuses(t, ['-p', '-1'], /Invalid port number -1/);
  refuses(t, ['-p', '99999999999'], /^-p 99999999999: number out of range/);
  refuses(t, ['-U', '65536'], /^-U 65536: Invalid port number/);
  refuses(t, ['--admin-port', 'x'], /^--admin-port x: not a whole number/);
  refuses(t, ['--admin-host='], /^--admin-host="": admin host is empty/);
  refuses(t, ['--admin-token='], /^--admin-token="": admin token is empty/);
  refuses(t, ['--cluster-config='], /^--cluster-config="": cluster config file is empty/);
  refuses(t, ['-c', '0'], /^-c 0: Maximum connections must be greater than 0/);
  refuses(t, ['-R', '0'], /^-R 0: Number of requests per event must be greater than 0/);
  refuses(t, ['-t', '0'], /^-t 0: Number of threads must be greater than 0/);
  refuses(t, ['-n', '0'], /^-n 0: Chunk size must be greater than 0/);
  refuses(t, ['-n', '4'], /^-n 4: Chunk size must be 8 to 1048576 bytes in slabcached/);
  refuses(t, ['-f', '1'], /^-f 1: Factor must be greater than 1/);
  refuses(t, ['-f', '9'], /^-f 9: Factor must be at most 8/);
  refuses(t, ['-f', 'fast'], /^-f fast: not a number/);
  refuses(t, ['-b', '-1'], /^-b -1: backlog must not be negative/);
  refuses(t, ['--verbose=x'], /^--verbose=x: not a whole number/);
  refuses(
    t,
    ['-B', 'text'],
    /^-B text: Invalid value for binding protocol: text -- should be one of auto, binary, or ascii/,
  );
  refuses(t, ['-D', ''], /^-D "": No delimiter specified/);
  refuses(t, ['-a', '999'], /^-a 999: unix socket mask must be octal/);
  refuses(t, ['-a', '1777'], /unix socket mask must be octal, 0 to 777/);
  refuses(t, ['-s', ''], /^-s "": socket path is empty/);
  refuses(t, ['-u', ' '], /^-u " ": user name is empty/);
  refuses(t, ['-N', '0'], /^-N 0: Maximum number of NAPI IDs must be greater than 0/);
  refuses(
    t,
    ['-t', '2', '-N', '3'],
    /^-N 3: Number of napi_ids\(3\) cannot be greater than number of threads\(2\)/,
  );
  // protocol rules of -S and -Y
  refuses(t, ['-S', '-B', 'ascii'], /^-S: You cannot allow the ASCII protocol while using SASL/);
  refuses(
    t,
    ['-S', '-U', '11211'],
    /^-S: Cannot enable UDP while using binary SASL authentication/,
  );
  refuses(
    t,
    ['-Y', '/a', '-B', 'auto'],
    /^-Y \/a: You cannot allow the BINARY protocol while using ascii/,
  );
  refuses(
    t,
    ['-Y', '/a', '-U', '1'],
    /Cannot use UDP with ascii authentication enabled \(-U 0 to disable\)/,
  );
  refuses(t, ['-S', '-Y', '/a'], /^-S -Y \/a: SASL .* cannot be combined/);
  t.equal(run('-S', '-B', 'binary').protocol, 'binary');
  t.equal(run('-Y', '/a', '-B', 'ascii').protocol, 'ascii');
  // the store's own rules, checked up front
  refuses(
    t,
    ['-n', '600000', '-o', 'slab_chunk_max=512'],
    /^cache settings \(-m, -f, -n, -I, -C, -o slab_chunk_max\): slab_chunk_max is smaller than the smallest chunk/,
  );
});

t.test('-U without -p moves TCP to the UDP port, as memcached', async (t) => {
  t.match(run('-U', '9999'), { udpPort: 9999, port: 9999 });
  t.match(run('-U', '9999', '-p', '1'), { udpPort: 9999, port: 1 });
  t.match(run('-p', '1', '-U', '9999'), { udpPort: 9999, port: 1 });
  t.match(run('-U', '0'), { udpPort: 0, port: 11211 });
  t.match(run('-p', '0'), { port: 0 }, '0 = a free port (tests use it)');
});

t.test('a memcached.conf / init script line works unchanged', async (t) => {
  // Debian's /etc/memcached.conf defaults, as start-memcached passes them.
  const c = run(
    '-d',
    '-m',
    '64',
    '-p',
    '11211',
    '-u',
    'memcache',
    '-l',
    '127.0.0.1',
    '-P',
    '/var/run/memcached/memcached.pid',
  );
  t.match(c, { daemonize: true, memoryLimit: 64 * MiB, user: 'memcache', warnings: [] });
  const k = run(
    '--port=11211',
    '--memory-limit=1024',
    '--conn-limit=4096',
    '--threads=4',
    '-vv',
    '-o',
    'modern,hashpower=22,idle_timeout=600',
  );
  t.match(k, {
    memoryLimit: 1024 * MiB,
    maxConnections: 4096,
    threads: 4,
    verbosity: 2,
    hashPower: 22,
    idleTimeout: 600,
  });
});

t.test(
  'help lists every flag and -o option the parser accepts; version is parseable',
  async (t) => {
    const help = usage({ cpus: 12 });
    for (const f of FLAGS) {
      if (f.short !== null)
        t.match(help, new RegExp(`(^|[\\s,])-${f.short}\\b`, 'm'), `-${f.short}`);
      for (const l of f.long) t.ok(help.includes(`--${l}`), `--${l}`);
    }
    for (const e of EXTENDED) t.ok(help.includes(e.name), `-o ${e.name}`);
    t.match(help, /default: 127\.0\.0\.1/);
    t.match(help, /INADDR_ANY/);
    t.match(help, /number of threads to use \(default: 12\)/);
    t.match(help, /--admin-port=<num> +admin service port \(default: 11311/);
    t.match(usage(), /\(default: 4\)/, 'usage() without an env');
    t.equal(versionText(), `memcached ${MEMCACHED_VERSION} (slabcached ${SLABCACHED_VERSION})`);
    t.match(versionText(), /^memcached 1\.6\.\d+ \(slabcached \d+\.\d+\.\d+\)$/);
    t.notOk(versionText().includes('\n'));
    t.ok(help.startsWith(versionText()), 'help starts with the version, as memcached');
    t.match(licenseText(), /BSD/);
    t.ok(licenseText().startsWith(versionText()));
  },
);
