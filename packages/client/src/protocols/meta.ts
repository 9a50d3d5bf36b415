/**
 * memcached's meta protocol (the default): `mg ms md ma mn` with one-letter flags. It does all
 * the classic commands do, plus what they cannot: CAS and TTL in any reply, quiet mode for
 * multi-gets (`q`: misses say nothing, `mn` ends the batch), opaque tokens (`O`) to match
 * answers to keys without reading keys back, autovivify and recache leases (`N`, `R`, answered
 * by the `W X Z` flags) for stale-while-revalidate, and invalidation (`md I`).
 *
 * flush, version and stats are classic text commands on the same connection.
 */
import { MetaReply, MetaStatus } from '@slabcache/protocol';
import { ServerError } from '../errors.ts';
import { protocolError, type ReplyBuffer, type Sink } from '../request.ts';
import {
  type LeaseItem,
  MultiGetRequest,
  type Protocol,
  type RawItem,
  type StoreMode,
} from './protocol.ts';
import { CommandRequest, flushRequest, statsRequest, UNEXPECTED, versionRequest } from './text.ts';

const CRLF = '\r\n';
const NO_VALUE = Buffer.alloc(0);
/** Readers run one at a time (each to completion), so one reply object serves them all. */
const reply = new MetaReply();

/** The last reply's data block (after VA; null otherwise) and error line, if any. */
let replyValue: Buffer | null = null;
let replyError: ServerError | null = null;

/**
 * Reads one meta reply line into `reply` and, after VA, its data block into `replyValue`;
 * an error line into `replyError`. Returns false, consuming nothing, when incomplete.
 */
function readReply(r: ReplyBuffer): boolean {
  const end = r.lineEnd();
  if (end < 0) return false;
  if (!reply.parse(r.buf, r.pos, end)) {
    throw protocolError(`bad meta reply ${r.preview(r.pos, end)}`);
  }
  replyValue = null;
  replyError = null;
  if (reply.status === MetaStatus.ERROR) {
    replyError = new ServerError(r.text(r.pos, end), r.server);
  } else if (reply.status === MetaStatus.VA) {
    const dataEnd = end + 2 + reply.size;
    if (r.end < dataEnd + 2) return false;
    if (r.buf[dataEnd] !== 0x0d || r.buf[dataEnd + 1] !== 0x0a) {
      throw protocolError('data block not ended by CRLF');
    }
    replyValue = reply.size === 0 ? NO_VALUE : r.copy(end + 2, dataEnd);
    r.pos = dataEnd + 2;
    return true;
  }
  r.pos = end + 2;
  return true;
}

/** A meta command answered by one reply. */
class MetaRequest<T> extends CommandRequest<T, MetaReply> {
  read(r: ReplyBuffer): boolean {
    const start = r.pos;
    if (!readReply(r)) return false;
    if (replyError) this.error = replyError;
    else this.finish(r, start, reply, replyValue);
    return true;
  }
}

/** `mg <key> v f O<i> q` per key, then `mn`: hits come back tagged with their index. */
class MetaGetMulti extends MultiGetRequest {
  write(out: Sink): void {
    let lines = '';
    for (let i = 0; i < this.keys.length; i++) lines += `mg ${this.keys[i]} v f O${i} q${CRLF}`;
    out.write(`${lines}mn${CRLF}`);
  }

  read(r: ReplyBuffer): boolean {
    for (;;) {
      if (!readReply(r)) return false;
      if (replyError) {
        this.error ??= replyError;
        continue;
      }
      if (reply.status === MetaStatus.MN) return true;
      if (reply.status !== MetaStatus.VA) continue; // a quiet miss is silent; nothing else comes
      const key = this.keys[reply.opaque];
      if (key === undefined) throw protocolError(`reply with an unknown opaque ${reply.opaque}`);
      this.result.set(key, { value: replyValue as Buffer, flags: reply.flags, cas: -1n });
    }
  }
}

function item(m: MetaReply, value: Buffer | null): RawItem | undefined | typeof UNEXPECTED {
  if (m.status === MetaStatus.EN) return undefined;
  if (m.status !== MetaStatus.VA || value === null) return UNEXPECTED;
  return { value, flags: m.flags, cas: m.cas };
}

function stored(m: MetaReply): boolean | typeof UNEXPECTED {
  if (m.status === MetaStatus.HD) return true;
  if (m.status === MetaStatus.NS || m.status === MetaStatus.EX || m.status === MetaStatus.NF) {
    return false;
  }
  return UNEXPECTED;
}

function found(m: MetaReply): boolean | typeof UNEXPECTED {
  if (m.status === MetaStatus.HD) return true;
  if (m.status === MetaStatus.NF || m.status === MetaStatus.EN) return false;
  return UNEXPECTED;
}

/** ms mode letters (`M<mode>`); set is the default and sends none. */
const MODES: Record<StoreMode, string> = {
  set: '',
  cas: '',
  add: ' ME',
  replace: ' MR',
  append: ' MA',
  prepend: ' MP',
};

export const meta: Protocol = {
  name: 'meta',

  get(key, withCas, touch) {
    const flags = `${withCas ? ' c' : ''}${touch >= 0 ? ` T${touch}` : ''}`;
    return new MetaRequest(`mg ${key} v f${flags}${CRLF}`, null, item);
  },

  getMulti(keys) {
    return new MetaGetMulti(keys);
  },

  store(mode, key, value, flags, ttl, cas) {
    // append and prepend keep the item's flags and TTL; the others set them.
    const attrs = mode === 'append' || mode === 'prepend' ? '' : ` F${flags} T${ttl}`;
    const compare = mode === 'cas' ? ` C${cas}` : '';
    return new MetaRequest(
      `ms ${key} ${value.length}${attrs}${compare}${MODES[mode]}${CRLF}`,
      value,
      stored,
    );
  },

  delete(key) {
    return new MetaRequest(`md ${key}${CRLF}`, null, found);
  },

  counter(decrement, key, delta, initial, ttl) {
    const vivify = initial === undefined ? '' : ` N${ttl} J${initial}`;
    return new MetaRequest(
      `ma ${key} v${decrement ? ' MD' : ''} D${delta}${vivify}${CRLF}`,
      null,
      (m, value) => {
        if (m.status === MetaStatus.NF) return undefined;
        if (m.status !== MetaStatus.VA || value === null) return UNEXPECTED;
        return BigInt(value.toString('latin1'));
      },
    );
  },

  touch(key, ttl) {
    return new MetaRequest(`mg ${key} T${ttl}${CRLF}`, null, found);
  },

  flush: flushRequest,
  version: versionRequest,
  stats: statsRequest,

  lease(key, lockTtl, recacheBelow) {
    const recache = recacheBelow > 0 ? ` R${recacheBelow}` : '';
    return new MetaRequest<LeaseItem>(
      `mg ${key} v f c N${lockTtl}${recache}${CRLF}`,
      null,
      (m, value) => {
        if (m.status !== MetaStatus.VA || value === null) return UNEXPECTED;
        return {
          value,
          flags: m.flags,
          cas: m.cas,
          won: m.won,
          stale: m.stale,
          winSent: m.winSent,
        };
      },
    );
  },

  invalidate(key, ttl) {
    return new MetaRequest(`md ${key} I T${ttl}${CRLF}`, null, found);
  },
};
