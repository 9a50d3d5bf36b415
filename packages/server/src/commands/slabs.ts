/**
 * slabs reassign <src> <dst> | slabs automove <0|1|2> [noreply]: memcached's page
 * rebalancing commands and replies.
 */
import { ascii, parseI32, parseU32, Replies, type Tokens } from '@slabcache/protocol';
import { Reassign } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { SH_SLAB_AUTOMOVE } from '../context.ts';
import { noreplyMaybe } from '../text/noreply.ts';

const REASSIGN = ascii('reassign');
const AUTOMOVE = ascii('automove');
const RATIO = ascii('ratio');
const DISABLED = ascii('CLIENT_ERROR slab reassignment disabled\r\n');
const REPLIES: Record<number, Uint8Array> = {
  [Reassign.OK]: Replies.OK,
  [Reassign.BUSY]: ascii('BUSY currently processing reassign request\r\n'),
  [Reassign.BADCLASS]: ascii('BADCLASS invalid src or dst class id\r\n'),
  [Reassign.NOSPARE]: ascii('NOSPARE source class has no spare pages\r\n'),
  [Reassign.SAME]: ascii('SAME src and dst class are identical\r\n'),
};

export function slabs(c: Connection, t: Tokens): void {
  if (t.count === 4 && t.is(1, REASSIGN)) {
    if (!c.ctx.config.slabReassign) {
      c.reply(DISABLED);
      return;
    }
    const src = parseI32(t.buf, t.start(2), t.end(2));
    const dst = parseI32(t.buf, t.start(3), t.end(3));
    if (Number.isNaN(src) || Number.isNaN(dst)) {
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return;
    }
    c.reply(REPLIES[c.ctx.store.reassignPage(src, dst)]);
    return;
  }
  if (t.count >= 3 && t.is(1, AUTOMOVE)) {
    noreplyMaybe(c, t);
    if (t.is(2, RATIO)) {
      // accepted for compatibility: our automover moves pages only out of classes whose
      // free chunks exceed a page and a half, whatever the ratio.
      c.reply(t.count < 4 ? Replies.ERROR : Replies.OK);
      return;
    }
    const level = parseU32(t.buf, t.start(2), t.end(2));
    if (level < 0) {
      c.reply(Replies.CLIENT_ERROR_FORMAT);
      return;
    }
    if (level > 2) {
      c.reply(Replies.ERROR);
      return;
    }
    Atomics.store(c.ctx.shared, SH_SLAB_AUTOMOVE, level);
    c.reply(Replies.OK);
    return;
  }
  c.reply(Replies.ERROR);
}
