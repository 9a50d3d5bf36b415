/**
 * memcached's classic text protocol: `get k1 k2`, `set k flags exptime bytes`, `incr k 5`...
 * Replies are one line, or VALUE blocks ended by END, or STAT lines ended by END. Every
 * command here may instead be answered by one error line (ERROR, CLIENT_ERROR ...,
 * SERVER_ERROR ...), which fails the request and leaves the connection in step.
 *
 * The meta protocol has no flush, version or stats of its own: it sends these.
 */
import { isErrorLine, isValueLine, parseU64, ValueLine } from '@slabcache/protocol';
import { ServerError } from '../errors.ts';
import { protocolError, type ReplyBuffer, Request, type Sink } from '../request.ts';
import type { Protocol, RawItem, StoreMode } from './protocol.ts';

const CRLF = '\r\n';
/** Keys per `get` line: memcached reads longer lines for get, but a line per 100 keys keeps
 * every server's line buffer small and costs nothing. */
const KEYS_PER_LINE = 100;

/** What a reply mapper returns for a reply that is no answer to its command. */
export const UNEXPECTED: unique symbol = Symbol('unexpected reply');

/** Turns a reply (a line, or a parsed meta reply and its value) into a request's result. */
export type ReplyMap<T, In> = (reply: In, value: Buffer | null) => T | typeof UNEXPECTED;

/** A request sent as one command line and, for storage commands, a data block (the text
 * and meta protocols' shape), whose one reply `map` turns into the result. */
export abstract class CommandRequest<T, In> extends Request<T> {
  private readonly command: string;
  private readonly data: Uint8Array | null;
  private readonly map: ReplyMap<T, In>;

  constructor(command: string, data: Uint8Array | null, map: ReplyMap<T, In>) {
    super();
    this.command = command;
    this.data = data;
    this.map = map;
  }

  write(out: Sink): void {
    out.write(this.command);
    if (this.data) {
      out.write(this.data);
      out.write(CRLF);
    }
  }

  /** Sets the result from the reply read at `start`, or throws when it answers nothing. */
  protected finish(r: ReplyBuffer, start: number, reply: In, value: Buffer | null): void {
    const result = this.map(reply, value);
    if (result === UNEXPECTED) throw protocolError(`unexpected reply ${r.preview(start)}`);
    this.result = result;
  }
}

type LineMap<T> = ReplyMap<T, string>;

/** A command answered by one line. */
class LineRequest<T> extends CommandRequest<T, string> {
  read(r: ReplyBuffer): boolean {
    const end = r.lineEnd();
    if (end < 0) return false;
    const line = r.text(r.pos, end);
    if (isErrorLine(r.buf, r.pos, end)) this.error = new ServerError(line, r.server);
    else this.finish(r, r.pos, line, null);
    r.pos = end + 2;
    return true;
  }
}

const valueLine = new ValueLine();

/**
 * get / gets / gat / gats, for one key or many: VALUE blocks, then END (one END per get line;
 * an error line instead answers a whole get line). `single` requests resolve with their
 * first hit (or undefined), the others with a Map of hits by key.
 */
class RetrievalRequest<T> extends Request<T> {
  private readonly lines: string;
  private readonly single: boolean;
  private readonly hits = new Map<string, RawItem>();
  private first: RawItem | undefined = undefined;
  /** END lines (or error lines) still expected. */
  private ends: number;

  constructor(command: string, keys: string[], single: boolean) {
    super();
    let lines = '';
    let count = 0;
    for (let i = 0; i < keys.length; i += KEYS_PER_LINE) {
      lines += `${command} ${keys.slice(i, i + KEYS_PER_LINE).join(' ')}${CRLF}`;
      count++;
    }
    this.lines = lines;
    this.ends = count;
    this.single = single;
  }

  write(out: Sink): void {
    out.write(this.lines);
  }

  read(r: ReplyBuffer): boolean {
    for (;;) {
      const end = r.lineEnd();
      if (end < 0) return false;
      const buf = r.buf;
      if (isValueLine(buf, r.pos, end)) {
        if (!valueLine.parse(buf, r.pos, end)) {
          throw protocolError(`bad VALUE line ${r.preview(r.pos, end)}`);
        }
        const dataEnd = end + 2 + valueLine.bytes;
        if (r.end < dataEnd + 2) return false;
        if (buf[dataEnd] !== 0x0d || buf[dataEnd + 1] !== 0x0a) {
          throw protocolError('data block not ended by CRLF');
        }
        const item = {
          value: r.copy(end + 2, dataEnd),
          flags: valueLine.flags,
          cas: valueLine.cas,
        };
        if (this.single) this.first ??= item;
        else this.hits.set(r.text(valueLine.keyStart, valueLine.keyEnd), item);
        r.pos = dataEnd + 2;
        continue;
      }
      if (
        end - r.pos === 3 &&
        buf[r.pos] === 0x45 &&
        buf[r.pos + 1] === 0x4e &&
        buf[r.pos + 2] === 0x44
      ) {
        r.pos = end + 2;
      } else if (isErrorLine(buf, r.pos, end)) {
        this.error ??= new ServerError(r.text(r.pos, end), r.server);
        r.pos = end + 2;
      } else {
        throw protocolError(`unexpected reply ${r.preview(r.pos, end)}`);
      }
      if (--this.ends === 0) {
        this.result = (this.single ? this.first : this.hits) as T;
        return true;
      }
    }
  }
}

/** STAT name value lines until END. */
class StatsRequest extends Request<Record<string, string>> {
  private readonly command: string;

  constructor(command: string) {
    super();
    this.command = command;
    this.result = {};
  }

  write(out: Sink): void {
    out.write(this.command);
  }

  read(r: ReplyBuffer): boolean {
    for (;;) {
      const end = r.lineEnd();
      if (end < 0) return false;
      const line = r.text(r.pos, end);
      r.pos = end + 2;
      if (line === 'END') return true;
      if (line.startsWith('STAT ')) {
        const space = line.indexOf(' ', 5);
        if (space < 0) this.result[line.slice(5)] = '';
        else this.result[line.slice(5, space)] = line.slice(space + 1);
      } else if (isErrorLine(r.buf, r.pos - line.length - 2, end)) {
        this.error = new ServerError(line, r.server);
        return true;
      } else {
        throw protocolError(`unexpected stats line ${JSON.stringify(line)}`);
      }
    }
  }
}

export function flushRequest(delay: number): Request<void> {
  const command = delay > 0 ? `flush_all ${delay}${CRLF}` : `flush_all${CRLF}`;
  return new LineRequest<void>(command, null, (line) => (line === 'OK' ? undefined : UNEXPECTED));
}

export function versionRequest(): Request<string> {
  return new LineRequest(`version${CRLF}`, null, (line) =>
    line.startsWith('VERSION ') ? line.slice(8) : UNEXPECTED,
  );
}

export function statsRequest(group: string): Request<Record<string, string>> {
  return new StatsRequest(group ? `stats ${group}${CRLF}` : `stats${CRLF}`);
}

function storedOrNot(line: string): boolean | typeof UNEXPECTED {
  if (line === 'STORED') return true;
  if (line === 'NOT_STORED' || line === 'EXISTS' || line === 'NOT_FOUND') return false;
  return UNEXPECTED;
}

function counterValue(line: string): bigint | undefined | typeof UNEXPECTED {
  if (line === 'NOT_FOUND') return undefined;
  const bytes = Buffer.from(line, 'latin1');
  const n = parseU64(bytes, 0, bytes.length);
  return n < 0n ? UNEXPECTED : n;
}

function yesNo(yes: string, no: string): LineMap<boolean> {
  return (line) => (line === yes ? true : line === no ? false : UNEXPECTED);
}

export const text: Protocol = {
  name: 'text',

  get(key, withCas, touch) {
    const command = touch >= 0 ? `${withCas ? 'gats' : 'gat'} ${touch}` : withCas ? 'gets' : 'get';
    return new RetrievalRequest<RawItem | undefined>(command, [key], true);
  },

  getMulti(keys) {
    return new RetrievalRequest<Map<string, RawItem>>('get', keys, false);
  },

  store(mode: StoreMode, key, value, flags, ttl, cas) {
    const casPart = mode === 'cas' ? ` ${cas}` : '';
    return new LineRequest(
      `${mode} ${key} ${flags} ${ttl} ${value.length}${casPart}${CRLF}`,
      value,
      storedOrNot,
    );
  },

  delete(key) {
    return new LineRequest(`delete ${key}${CRLF}`, null, yesNo('DELETED', 'NOT_FOUND'));
  },

  counter(decrement, key, delta) {
    // The text protocol cannot create a missing counter: the client adds it (see client.ts).
    return new LineRequest(
      `${decrement ? 'decr' : 'incr'} ${key} ${delta}${CRLF}`,
      null,
      counterValue,
    );
  },

  touch(key, ttl) {
    return new LineRequest(`touch ${key} ${ttl}${CRLF}`, null, yesNo('TOUCHED', 'NOT_FOUND'));
  },

  flush: flushRequest,
  version: versionRequest,
  stats: statsRequest,
};
