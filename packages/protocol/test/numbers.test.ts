/** Decimal parsing with memcached's acceptance rules, at the edges of each range. */
import t from 'tap';
import { parseI32, parseU32, parseU64, parseU64Number, writeDecimal } from '../src/index.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const u64n = (s: string) => parseU64Number(b(s), 0, s.length);

t.test('parseU64Number takes all of 0 .. 2^64 - 1 and nothing past it', async (t) => {
  t.equal(u64n('0'), 0);
  t.equal(u64n('+42'), 42);
  t.equal(u64n('9007199254740991'), 2 ** 53 - 1);
  t.ok(u64n('18446744073709551615') > 0, '2^64 - 1 (rounded, but accepted)');
  t.equal(u64n('18446744073709551616'), -1);
  t.equal(u64n('99999999999999999999'), -1);
  t.equal(u64n('100000000000000000000'), -1, '21 digits');
  t.equal(u64n('12a'), -1);
  t.equal(u64n(''), -1);
});

t.test('the other parsers at their limits', async (t) => {
  t.equal(parseU32(b('4294967295'), 0, 10), 4294967295);
  t.equal(parseU32(b('4294967296'), 0, 10), -1);
  t.equal(parseI32(b('-2147483648'), 0, 11), -2147483648);
  t.ok(Number.isNaN(parseI32(b('2147483648'), 0, 10)));
  t.equal(parseU64(b('18446744073709551615'), 0, 20), (1n << 64n) - 1n);
  t.equal(parseU64(b('18446744073709551616'), 0, 20), -1n);
  const out = new Uint8Array(20);
  t.equal(
    Buffer.from(out.subarray(0, writeDecimal(out, 0, 9007199254740991))).toString(),
    '9007199254740991',
  );
});
