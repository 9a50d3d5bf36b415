/**
 * Where coverage-guided fuzzing starts: one seed input per kind of request (text, meta and
 * binary), and a libFuzzer dictionary of the protocol's words so mutations make commands, not
 * only noise. A seed's first byte is the read size the harness cuts it into (0: one read).
 */
const text = [
  'set k 0 0 1\r\na\r\nget k\r\n',
  'set k 5 100 3 noreply\r\nabc\r\ngets k k2\r\n',
  'add k 0 0 1\r\nb\r\nreplace k 1 0 2\r\nbc\r\nappend k 0 0 1\r\nd\r\nprepend k 0 0 1\r\ne\r\nget k\r\n',
  'set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr n 18446744073709551615\r\n',
  'set c 0 0 1\r\nx\r\ngets c\r\ncas c 0 0 1 1\r\ny\r\ncas c 0 0 1 999\r\nz\r\n',
  'touch k 10\r\ngat 100 k\r\ngats 0 k\r\ndelete k\r\ndelete k noreply\r\n',
  'set big 0 0 70000\r\n',
  'flush_all 0\r\nflush_all noreply\r\nversion\r\nverbosity 1\r\n',
  'stats\r\nstats items\r\nstats slabs\r\nstats settings\r\nstats sizes\r\nstats conns\r\nstats reset\r\n',
  'slabs reassign 1 2\r\nslabs automove 1\r\nlru_crawler crawl all\r\nlru_crawler metadump all\r\n',
  'cache_memlimit 16\r\nlru mode flat\r\nmisbehave\r\nquit\r\n',
  `get ${'k'.repeat(251)}\r\nset k\x01 0 0 1\r\na\r\nset k 0 0 -1\r\n`,
];

const meta = [
  'ms m 2 T60 F5 I\r\nhi\r\nmg m v f t c k s O123 q\r\nmn\r\n',
  'ms m 2 MA\r\nxy\r\nms m 2 MP\r\nzz\r\nms m 2 MR\r\nab\r\nms m 2 ME\r\nab\r\n',
  'mg miss N30 v c\r\nmg miss v c W Z X\r\nms miss 1 C1 I\r\nv\r\n',
  'md m q\r\nmd m I T30\r\nmg m v\r\nmd m x\r\n',
  'ma cnt N0 J13 D7 MI v\r\nma cnt MD D100 v t c\r\nma cnt q\r\n',
  'me m\r\nmg bW9vbg== b v k\r\nms bW9vbg== 1 b\r\nz\r\n',
  'mg m E77 h l t v\r\nmg m R30 v\r\nms m S2 T0\r\nab\r\n',
];

/** Binary request packets (memcached's 24-byte header, then extras, key, value). */
function packet(op: number, key: string, extras: number[] = [], value = '', cas = 0n): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const p = Buffer.alloc(24 + extras.length + k.length + v.length);
  p[0] = 0x80;
  p[1] = op;
  p.writeUInt16BE(k.length, 2);
  p[4] = extras.length;
  p.writeUInt32BE(extras.length + k.length + v.length, 8);
  p.writeUInt32BE(0xdeadbeef, 12);
  p.writeBigUInt64BE(cas, 16);
  Buffer.from(extras).copy(p, 24);
  k.copy(p, 24 + extras.length);
  v.copy(p, 24 + extras.length + k.length);
  return p;
}
const setExtras = [0, 0, 0, 1, 0, 0, 0, 0];
const binary = [
  Buffer.concat([packet(0x01, 'b', setExtras, 'val'), packet(0x00, 'b'), packet(0x0c, 'b')]),
  Buffer.concat([packet(0x02, 'b', setExtras, 'v'), packet(0x03, 'b', setExtras, 'w', 1n)]),
  Buffer.concat([
    packet(0x05, 'n', [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]),
    packet(0x06, 'n', [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  ]),
  Buffer.concat([packet(0x0e, 'b', [], 'x'), packet(0x0f, 'b', [], 'y'), packet(0x04, 'b')]),
  Buffer.concat([packet(0x1c, 'b', [0, 0, 0, 10]), packet(0x1d, 'b', [0, 0, 0, 10])]),
  Buffer.concat([packet(0x10, ''), packet(0x10, 'settings'), packet(0x0b, ''), packet(0x0a, '')]),
  Buffer.concat([packet(0x08, '', [0, 0, 0, 0]), packet(0x09, 'q'), packet(0x07, '')]),
  Buffer.concat([packet(0x20, ''), packet(0x21, 'PLAIN', [], '\0u\0p')]),
];

/** Every seed input, with its read size byte in front. */
export function seedInputs(): Buffer[] {
  const out: Buffer[] = [];
  for (const s of [...text, ...meta]) {
    out.push(Buffer.concat([Buffer.from([0]), Buffer.from(s, 'latin1')]));
    out.push(Buffer.concat([Buffer.from([7]), Buffer.from(s, 'latin1')]));
  }
  for (const b of binary) {
    out.push(Buffer.concat([Buffer.from([0]), b]));
    out.push(Buffer.concat([Buffer.from([5]), b]));
  }
  return out;
}

const WORDS = [
  'set ',
  'add ',
  'replace ',
  'append ',
  'prepend ',
  'cas ',
  'get ',
  'gets ',
  'gat ',
  'gats ',
  'touch ',
  'delete ',
  'incr ',
  'decr ',
  'flush_all',
  'version',
  'verbosity ',
  'quit',
  'shutdown',
  'cache_memlimit ',
  'stats',
  ' items',
  ' slabs',
  ' settings',
  ' sizes',
  ' conns',
  ' reset',
  'slabs reassign ',
  'slabs automove ',
  'lru_crawler ',
  ' crawl ',
  ' metadump ',
  'lru ',
  'config get cluster',
  'refresh_certs',
  'noreply',
  'mg ',
  'ms ',
  'md ',
  'ma ',
  'mn',
  'me ',
  ' T',
  ' N',
  ' F',
  ' C',
  ' E',
  ' I',
  ' M',
  ' O',
  ' S',
  ' R',
  ' J',
  ' D',
  ' q',
  ' v',
  ' k',
  ' b',
  ' c',
  ' f',
  ' h',
  ' l',
  ' t',
  ' s',
  ' W',
  ' X',
  ' Z',
  '\r\n',
  '18446744073709551615',
  '4294967295',
  '2592000',
  '-1',
];

/** The libFuzzer dictionary: one quoted entry per line, bytes as \xNN escapes. */
export function dictionary(): string {
  const quote = (s: string) =>
    `"${[...Buffer.from(s, 'latin1')]
      .map((b) =>
        b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
          ? String.fromCharCode(b)
          : `\\x${b.toString(16).padStart(2, '0')}`,
      )
      .join('')}"`;
  const binaryWords = ['\x80\x00', '\x80\x01', '\x80\x0c', '\x80\x10', '\x80\x21'];
  return `${[...WORDS, ...binaryWords].map(quote).join('\n')}\n`;
}
