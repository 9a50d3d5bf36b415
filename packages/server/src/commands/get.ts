/**
 * get / gets / gat / gats <exptime> <key>*: one VALUE block per hit, then END. A key over
 * 250 bytes discards what was written and answers CLIENT_ERROR, as memcached does.
 */
import { parseI32, Replies, type Tokens } from '@slabcache/protocol';
import { MAX_KEY_LENGTH } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { countRead } from '../stats/counters.ts';

export function get(c: Connection, t: Tokens, withCas: boolean, touch: boolean): void {
  const { store, stats } = c.ctx;
  let first = 1;
  let exptime = 0;
  if (touch) {
    exptime = parseI32(t.buf, t.start(1), t.end(1));
    if (Number.isNaN(exptime)) {
      c.reply(Replies.CLIENT_ERROR_EXPTIME);
      return;
    }
    first = 2;
  }
  const out = c.out;
  const mark = out.len;
  const buf = t.buf;
  c.hitKey = buf;
  c.hitWithCas = withCas;
  for (let i = first; i < t.count; i++) {
    const ks = t.start(i);
    const ke = t.end(i);
    if (ke - ks > MAX_KEY_LENGTH) {
      out.len = mark;
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return;
    }
    c.hitKeyStart = ks;
    c.hitKeyEnd = ke;
    const r = touch
      ? store.getAndTouch(buf, ks, ke - ks, exptime, c)
      : store.get(buf, ks, ke - ks, c);
    countRead(stats, r, touch, store.lastClass);
  }
  out.bytes(Replies.END);
}
