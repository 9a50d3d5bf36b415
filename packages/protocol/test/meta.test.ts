/**
 * The meta protocol's wire pieces without a server: MetaFlags.parse (every flag letter, the
 * fields each one fills, and memcached's error lines for duplicate, unknown and bad flags,
 * including which bad token names the error) and the base64 codec of binary keys (fast-check
 * round trips against Node's own base64, strict padding, offsets and in-place decoding).
 * Every expected error line is memcached 1.6.18's, checked against its proto_text.c.
 */
import fc from 'fast-check';
import t from 'tap';
import {
  ascii,
  base64Length,
  decodeBase64,
  encodeBase64,
  MAX_META_TOKENS,
  MAX_OPAQUE_LENGTH,
  MetaFlags,
  MetaReplies,
  Tokens,
} from '../src/index.ts';

const flags = new MetaFlags();
const tokens = new Tokens();

/** Tokenizes `line` and parses its flags from token `first`; the error line, or null. */
function parse(line: string, first = 2, into: MetaFlags = flags): string | null {
  const buf = ascii(line);
  tokens.split(buf, 0, buf.length);
  const r = into.parse(tokens, first);
  return r === null ? null : Buffer.from(r).toString('latin1');
}

const code = (c: string) => c.charCodeAt(0);
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

const DUPLICATE = 'CLIENT_ERROR duplicate flag\r\n';
const INVALID = 'CLIENT_ERROR invalid flag\r\n';
const BAD_TOKEN = 'CLIENT_ERROR bad token in command line format\r\n';
const FORMAT = 'CLIENT_ERROR bad command line format\r\n';
const M_LENGTH = 'CLIENT_ERROR incorrect length for M token\r\n';
const INITIAL = 'CLIENT_ERROR invalid numeric initial value\r\n';
const DELTA = 'CLIENT_ERROR invalid numeric delta value\r\n';
const DECODING = 'CLIENT_ERROR error decoding key\r\n';

t.test('reply constants are memcached’s bytes', async (t) => {
  t.equal(MAX_META_TOKENS, 20);
  t.equal(MAX_OPAQUE_LENGTH, 32);
  t.equal(text(MetaReplies.ERR_DUPLICATE_FLAG), DUPLICATE);
  t.equal(text(MetaReplies.ERR_INVALID_FLAG), INVALID);
  t.equal(text(MetaReplies.ERR_BAD_TOKEN), BAD_TOKEN);
  t.equal(text(MetaReplies.ERR_FORMAT), FORMAT);
  t.equal(text(MetaReplies.ERR_M_LENGTH), M_LENGTH);
  t.equal(text(MetaReplies.ERR_INITIAL), INITIAL);
  t.equal(text(MetaReplies.ERR_DELTA), DELTA);
  t.equal(text(MetaReplies.ERR_DECODING_KEY), DECODING);
  t.equal(text(MetaReplies.MN), 'MN\r\n');
  t.equal(text(MetaReplies.HD) + text(MetaReplies.VA), 'HDVA ');
});

t.test('no flags: every field at its default', async (t) => {
  t.equal(parse('mg key'), null);
  t.equal(flags.count, 0);
  t.equal(text(flags.key.subarray(flags.keyStart, flags.keyEnd)), 'key');
  t.equal(flags.base64, false);
  t.equal(flags.noReply, false);
  t.equal(flags.value, false);
  t.equal(flags.noBump, false);
  t.equal(flags.invalidate, false);
  t.equal(flags.removeValue, false);
  t.equal(flags.hasTtl, false);
  t.equal(flags.hasVivify, false);
  t.equal(flags.hasRecache, false);
  t.equal(flags.clientFlags, 0);
  t.equal(flags.hasCas, false);
  t.equal(flags.cas, 0);
  t.equal(flags.newCas, 0);
  t.equal(flags.mode, 0);
  t.equal(flags.delta, 1n, 'ma increments by one by default');
  t.equal(flags.initial, 0n);
  for (const c of 'bNTRvuqIxFCEMJDOPLkstcflh') t.equal(flags.has(code(c)), false, c);
});

/** Every flag letter memcached knows (plus E and x from newer memcached), with what it sets. */
const LETTERS: [token: string, check: (f: MetaFlags) => unknown, want: unknown][] = [
  ['N30', (f) => [f.hasVivify, f.vivifyTtl], [true, 30]],
  ['N-1', (f) => [f.hasVivify, f.vivifyTtl], [true, -1]],
  ['T30', (f) => [f.hasTtl, f.ttl], [true, 30]],
  ['T+5', (f) => [f.hasTtl, f.ttl], [true, 5]],
  ['T-1', (f) => [f.hasTtl, f.ttl], [true, -1]],
  ['T2147483647', (f) => f.ttl, 2147483647],
  ['R10', (f) => [f.hasRecache, f.recacheTtl], [true, 10]],
  ['v', (f) => f.value, true],
  ['u', (f) => f.noBump, true],
  ['q', (f) => f.noReply, true],
  ['I', (f) => f.invalidate, true],
  ['x', (f) => f.removeValue, true],
  ['F42', (f) => f.clientFlags, 42],
  ['F4294967295', (f) => f.clientFlags, 4294967295],
  ['F+7', (f) => f.clientFlags, 7],
  ['C123', (f) => [f.hasCas, f.cas], [true, 123]],
  ['C0', (f) => [f.hasCas, f.cas], [true, 0]],
  ['C9007199254740991', (f) => f.cas, 9007199254740991],
  ['E456', (f) => f.newCas, 456],
  ['MS', (f) => f.mode, code('S')],
  ['M+', (f) => f.mode, code('+')],
  // Any one byte: the command decides which modes it knows.
  ['Mz', (f) => f.mode, code('z')],
  ['J7', (f) => f.initial, 7n],
  ['J18446744073709551615', (f) => f.initial, 18446744073709551615n],
  ['D9', (f) => f.delta, 9n],
  ['D0', (f) => f.delta, 0n],
  ['D18446744073709551615', (f) => f.delta, 18446744073709551615n],
  ['O', (f) => f.has(code('O')), true],
  ['Oopaque', (f) => f.has(code('O')), true],
  ['P', (f) => f.has(code('P')), true],
  ['Lhint', (f) => f.has(code('L')), true],
  ['k', (f) => f.has(code('k')), true],
  ['s', (f) => f.has(code('s')), true],
  ['t', (f) => f.has(code('t')), true],
  ['c', (f) => f.has(code('c')), true],
  ['f', (f) => f.has(code('f')), true],
  ['l', (f) => f.has(code('l')), true],
  ['h', (f) => f.has(code('h')), true],
  // Only the first byte names the flag, as in memcached: `vxyz` is v.
  ['vxyz', (f) => f.value, true],
  ['kk', (f) => f.has(code('k')), true],
];

t.test('every flag letter, alone', async (t) => {
  for (const [token, check, want] of LETTERS) {
    t.equal(parse(`mg key ${token}`), null, `${token} parses`);
    t.same(check(flags), want, `${token} sets its field`);
    t.equal(flags.count, 1, `${token}: one flag`);
    t.equal(flags.order[0], code(token), `${token}: in order`);
    t.equal(flags.at[code(token)], 2, `${token}: at its token`);
  }
});

t.test('b decodes the key into keyBuf', async (t) => {
  t.equal(parse('mg Zm9vYmFy b'), null);
  t.equal(flags.base64, true);
  t.equal(flags.key, flags.keyBuf);
  t.equal(flags.keyStart, 0);
  t.equal(flags.keyEnd, 6);
  t.equal(text(flags.key.subarray(0, 6)), 'foobar');
  t.equal(parse('mg AP8A b'), null);
  t.same([...flags.key.subarray(flags.keyStart, flags.keyEnd)], [0, 255, 0], 'binary bytes');
  t.equal(parse('mg Zm9v k b v'), null, 'b anywhere among the flags');
  t.equal(text(flags.key.subarray(flags.keyStart, flags.keyEnd)), 'foo');
  t.equal(parse('mg foo b'), DECODING, '"foo" is not base64');
  t.equal(parse('mg Zm9v= b'), DECODING);
  t.equal(parse('mg Zm9vYg b'), DECODING, 'padding is required');
});

t.test('many flags at once: fields and request order', async (t) => {
  t.equal(parse('mg key s v T30 N5 R3 Oab k c f t l h u q'), null);
  t.equal(flags.count, 14);
  t.equal(text(flags.order.subarray(0, flags.count)), 'svTNROkcftlhuq');
  t.equal(flags.at[code('O')], 7);
  t.same(
    [flags.value, flags.hasTtl, flags.ttl, flags.vivifyTtl, flags.recacheTtl, flags.noBump],
    [true, true, 30, 5, 3, true],
  );
  t.equal(parse('ms key 5 MA F9 C77 E88 I q T0', 3), null, 'ms flags start at token 3');
  t.same(
    [flags.mode, flags.clientFlags, flags.cas, flags.newCas, flags.invalidate, flags.ttl],
    [code('A'), 9, 77, 88, true, 0],
  );
  t.equal(flags.has(code('5')), false, 'the length token is not a flag');
  t.equal(parse('ma key MD D5 J10 N0 v', 2), null);
  t.same([flags.mode, flags.delta, flags.initial, flags.hasVivify], [code('D'), 5n, 10n, true]);
});

t.test('one MetaFlags reused: nothing carries over from the last request', async (t) => {
  t.equal(parse('mg key v T5 N1 R1 F1 C1 E1 MS J1 D2 q u I x Oa k'), null);
  t.equal(parse('mg other s'), null);
  t.equal(flags.count, 1);
  t.same(
    [
      flags.value,
      flags.hasTtl,
      flags.hasVivify,
      flags.hasRecache,
      flags.clientFlags,
      flags.hasCas,
      flags.cas,
      flags.newCas,
      flags.mode,
      flags.delta,
      flags.initial,
      flags.noReply,
      flags.noBump,
      flags.invalidate,
      flags.removeValue,
    ],
    [false, false, false, false, 0, false, 0, 0, 0, 1n, 0n, false, false, false, false],
  );
  for (const c of 'vTNRFCEMJDquIxOk') t.equal(flags.has(code(c)), false, `${c} forgotten`);
  t.equal(text(flags.key.subarray(flags.keyStart, flags.keyEnd)), 'other');
  t.equal(parse('mg Zm9v b'), null);
  t.equal(parse('mg Zm9v'), null);
  t.equal(flags.base64, false);
  t.equal(text(flags.key.subarray(flags.keyStart, flags.keyEnd)), 'Zm9v', 'the raw key again');
  t.equal(parse('mg key v v'), DUPLICATE);
  t.equal(parse('mg key v'), null, 'a failed parse leaves nothing behind either');
});

t.test('more flags than MAX_META_TOKENS: the next parse still starts clean', async (t) => {
  const own = new MetaFlags(); // a broken one must not spoil the other tests
  const all = 'mg Zm9v v u q I x O P L k s t c f l h T1 N1 R1 F1 C1 E1 MS J1 D1 b';
  t.equal(parse(all, 2, own), null);
  t.equal(parse('mg key', 2, own), null);
  t.equal(own.has(code('D')), false);
  t.equal(parse('mg key D5 b', 2, own), DECODING);
});

t.test('a repeated letter: duplicate flag, at once', async (t) => {
  t.equal(parse('mg key v v'), DUPLICATE);
  t.equal(parse('mg key T1 T2'), DUPLICATE);
  t.equal(parse('mg key Oa Ob'), DUPLICATE);
  t.equal(parse('mg key k s k'), DUPLICATE);
  t.equal(parse('mg key vx vy'), DUPLICATE, 'only the first byte counts');
  t.equal(parse('mg key Cx v v'), DUPLICATE, 'beats an earlier bad token');
  t.equal(parse('mg key v v Z'), DUPLICATE, 'stops before a later unknown flag');
  t.equal(parse('mg key \x80'), DUPLICATE, 'memcached: a byte >= 127 is a duplicate');
  t.equal(parse('mg key \x7f'), DUPLICATE);
  t.equal(parse('mg key \xff'), DUPLICATE);
});

t.test('an unknown letter: invalid flag, at once', async (t) => {
  for (const bad of ['Z', 'a', 'S3', 'W', 'X', 'z', 'A', '1', '!', '-', '=', 'B', 'd', 'e'])
    t.equal(parse(`mg key ${bad}`), INVALID, bad);
  t.equal(parse('mg key Cx Jx Z'), INVALID, 'beats earlier bad tokens');
  t.equal(parse('mg key Z v v'), INVALID, 'stops before a later duplicate');
});

t.test('bad tokens', async (t) => {
  for (const letter of 'NTR') {
    for (const v of ['', 'x', '1x', '-', '+', '1.5', '1a', ' '.trim()])
      t.equal(parse(`mg key ${letter}${v}`), BAD_TOKEN, `${letter}${v}`);
  }
  for (const v of ['', 'x', '-1', '1x', '18446744073709551616', '123456789012345678901'])
    t.equal(parse(`mg key C${v}`), BAD_TOKEN, `C${v}`);
  for (const v of ['', 'x', '-1']) t.equal(parse(`mg key E${v}`), BAD_TOKEN, `E${v}`);
  // memcached's F sets no message of its own: the default one is left.
  for (const v of ['', 'x', '-1', '4x']) t.equal(parse(`mg key F${v}`), FORMAT, `F${v}`);
});

t.test('M takes exactly one character', async (t) => {
  t.equal(parse('ms key 1 M', 3), M_LENGTH);
  t.equal(parse('ms key 1 MSS', 3), M_LENGTH);
  t.equal(parse('ms key 1 MS', 3), null);
  t.equal(parse('ma key M'), M_LENGTH);
});

t.test('J and D: unsigned 64-bit numbers', async (t) => {
  for (const v of ['', 'x', '-1', '18446744073709551616', '1e3'])
    t.equal(parse(`ma key J${v}`), INITIAL, `J${v}`);
  for (const v of ['', 'x', '-1', '18446744073709551616', '0x1'])
    t.equal(parse(`ma key D${v}`), DELTA, `D${v}`);
  t.equal(parse('ma key J+3 D+4'), null, 'strtoull takes a plus sign');
  t.same([flags.initial, flags.delta], [3n, 4n]);
});

t.test('the last bad token names the error, and parsing goes on past it', async (t) => {
  t.equal(parse('mg key Cx Mxx'), M_LENGTH);
  t.equal(parse('mg key Mxx Cx'), BAD_TOKEN);
  t.equal(parse('ma key Jx Dx'), DELTA);
  t.equal(parse('ma key Dx Jx'), INITIAL);
  t.equal(parse('mg Zm9v Nx b'), BAD_TOKEN, 'b decodes fine; N was bad');
  t.equal(parse('mg foo Nx b'), DECODING, 'the key fails after N');
  t.equal(parse('mg foo b Nx'), BAD_TOKEN, 'N fails after the key');
  t.equal(parse('mg key Tx v k'), BAD_TOKEN, 'good flags after a bad one');
  t.equal(flags.value, true, 'were still parsed');
  t.equal(parse('mg key Fx Tx'), BAD_TOKEN);
});

t.test('a bad F after another bad token keeps that token’s message', async (t) => {
  t.equal(parse('mg key Tx Fx'), BAD_TOKEN);
  t.equal(parse('mg key Cx Fx'), BAD_TOKEN);
  t.equal(parse('ma key Dx Fx'), DELTA);
});

t.test('opaque length: O and up to 31 bytes', async (t) => {
  const ok = `O${'a'.repeat(MAX_OPAQUE_LENGTH - 1)}`;
  t.equal(parse(`mg key ${ok}`), null);
  t.equal(flags.opaqueTooLong(tokens), false, '32 bytes with the O');
  t.equal(parse(`mg key v ${ok}a`), null, 'parse itself does not check it');
  t.equal(flags.opaqueTooLong(tokens), true, '33 bytes');
  t.equal(parse('mg key v'), null);
  t.equal(flags.opaqueTooLong(tokens), false, 'no O at all');
});

// ---- base64 ----

const b64 = (s: string) => Buffer.from(s, 'latin1');

/** decodeBase64 of `s` into a fresh buffer: the bytes, or null when invalid. */
function decode(s: string): number[] | null {
  const src = b64(s);
  const dst = new Uint8Array(s.length + 4);
  const n = decodeBase64(src, 0, src.length, dst, 0);
  return n < 0 ? null : [...dst.subarray(0, n)];
}

function encode(bytes: Uint8Array): string {
  const dst = new Uint8Array(base64Length(bytes.length));
  const n = encodeBase64(bytes, 0, bytes.length, dst, 0);
  return text(dst.subarray(0, n));
}

const VECTORS: [string, string][] = [
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
  ['\x00\x00\x00', 'AAAA'],
  ['\xff\xff\xff', '////'],
  ['\xfb\xef\xbe', '++++'],
];

t.test('base64: RFC 4648 vectors both ways', async (t) => {
  for (const [plain, encoded] of VECTORS) {
    t.equal(encode(b64(plain)), encoded, `encode ${JSON.stringify(plain)}`);
    t.same(decode(encoded), [...b64(plain)], `decode ${encoded}`);
  }
  t.equal(encode(new Uint8Array(0)), '', 'nothing encodes to nothing');
  t.same([0, 1, 2, 3, 4, 5, 6, 250].map(base64Length), [0, 4, 4, 4, 8, 8, 8, 336], 'base64Length');
});

t.test('base64: invalid input', async (t) => {
  for (const bad of [
    '', // memcached: decoding nothing fails
    'Z',
    'Zm',
    'Zm9',
    'Zm9v=', // whole groups only: memcached rejects it too
    'Zm9vY',
    'Zm9vYg',
    'Z===', // three pads
    '====',
    'Zm9v====',
    'Zm9-', // URL-safe alphabet is not memcached's
    'Zm9_',
    '-_-_',
    'Zm9\x00',
    'Zm9\xff',
    'Zm 9',
  ])
    t.equal(decode(bad), null, JSON.stringify(bad));
});

t.test('base64: leftover bits in the last character are ignored, as in memcached', async (t) => {
  t.same(decode('Zh=='), [0x66]);
  t.same(decode('Zm9='), [0x66, 0x6f]);
});

t.test('base64: decoding and encoding respect offsets', async (t) => {
  const src = b64('xxZm9vYmE=yy');
  const dst = new Uint8Array(12).fill(0xee);
  t.equal(decodeBase64(src, 2, 10, dst, 3), 5);
  t.same([...dst], [0xee, 0xee, 0xee, ...b64('fooba'), 0xee, 0xee, 0xee, 0xee]);
  const out = new Uint8Array(14).fill(0x2e);
  t.equal(encodeBase64(b64('..foob..'), 2, 6, out, 3), 8);
  t.equal(text(out), '...Zm9vYg==...');
});

t.test('base64 round trips (fast-check)', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const encoded = encode(bytes);
      if (encoded !== Buffer.from(bytes).toString('base64')) return false;
      if (bytes.length === 0) return true;
      const back = decode(encoded);
      return back !== null && Buffer.from(back).equals(Buffer.from(bytes));
    }),
    { numRuns: 500 },
  );
  // Decoding in place, as the server does with a request's key: dst is src, at <= start.
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 190 }),
      fc.nat({ max: 8 }),
      fc.nat({ max: 8 }),
      (bytes, lead, back) => {
        const encoded = b64(Buffer.from(bytes).toString('base64'));
        const buf = new Uint8Array(lead + encoded.length + 3);
        buf.set(encoded, lead);
        const at = Math.max(0, lead - back);
        const n = decodeBase64(buf, lead, lead + encoded.length, buf, at);
        return n === bytes.length && Buffer.from(buf.subarray(at, at + n)).equals(bytes);
      },
    ),
    { numRuns: 500 },
  );
  t.pass('properties hold');
});

t.test(
  'base64: strings of whole groups with one foreign byte are refused (fast-check)',
  async (t) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        fc.nat(),
        (groups, foreign, seed, where) => {
          if (alphabet.includes(String.fromCharCode(foreign)) || foreign === 0x3d) return true;
          let s = '';
          for (let i = 0; i < groups * 4; i++) s += alphabet[(seed + i * 7919) % 64];
          const i = where % s.length;
          const bad = s.slice(0, i) + String.fromCharCode(foreign) + s.slice(i + 1);
          return decode(bad) === null && decode(s) !== null;
        },
      ),
      { numRuns: 500 },
    );
    // memcached skips bytes outside the alphabet: what counts is the number of digits.
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (s) => {
        const latin = b64(s);
        let digits = 0;
        for (const ch of latin)
          if (alphabet.includes(String.fromCharCode(ch)) || ch === 0x3d) digits++;
        if (digits % 4 === 0) return true;
        return decode(latin.toString('latin1')) === null;
      }),
      { numRuns: 500 },
    );
    t.pass('properties hold');
  },
);
