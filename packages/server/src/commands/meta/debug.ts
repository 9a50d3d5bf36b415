/**
 * me <key> [b]: memcached's meta debug line for an item, without bumping it:
 * `ME <key> exp=<e> la=<s> cas=<n> fetch=<yes|no> cls=<id> size=<bytes>`, or EN. As in
 * memcached, exp is the current time minus the expiry (so negative while the item lives)
 * and -1 for an item that never expires; size is our item's bytes (header, key, value).
 */
import { MetaReplies as M, Replies, type Tokens } from '@slabcache/protocol';
import { type ItemReader, type ItemView, MAX_KEY_LENGTH, MetaGet, Read } from '@slabcache/store';
import type { Connection } from '../../connection.ts';
import { C } from '../../stats/counters.ts';
import { flags, writeKeyBytes } from './reply.ts';

const req = new MetaGet();
req.noBump = true;
req.peek = true;
const keyScratch = new Uint8Array(256);
const B = new Uint8Array([0x62]);

class DebugWriter implements ItemReader {
  c: Connection | null = null;
  onHit(item: ItemView): void {
    const out = this.c!.out;
    out.bytes(M.ME);
    const klen = item.keyLength;
    item.copyKey(keyScratch, 0);
    writeKeyBytes(out, keyScratch, 0, klen, item.keyBinary);
    const ttl = item.ttl;
    out.text(
      ` exp=${ttl < 0 ? -1 : -ttl} la=${item.idleSeconds} cas=${item.cas} fetch=${item.fetched ? 'yes' : 'no'} cls=${item.classId} size=${item.totalSize}\r\n`,
    );
  }
}

const writer = new DebugWriter();

export function metaDebug(c: Connection, t: Tokens): void {
  if (t.count < 2 || t.length(1) > MAX_KEY_LENGTH) {
    c.reply(Replies.CLIENT_ERROR_FORMAT);
    return;
  }
  let key: Uint8Array = t.buf;
  let start = t.start(1);
  let end = t.end(1);
  if (t.count >= 3 && t.length(2) === 1 && t.is(2, B)) {
    // Same decoding as the b flag of the other meta commands.
    if (flags.parse(t, 2) !== null) {
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return;
    }
    key = flags.key;
    start = flags.keyStart;
    end = flags.keyEnd;
  }
  c.ctx.stats[C.cmd_meta]++;
  writer.c = c;
  const r = c.ctx.store.metaGet(key, start, end - start, req, writer);
  writer.c = null;
  if (r !== Read.HIT) {
    c.out.bytes(M.EN);
    c.out.crlf();
  }
}
