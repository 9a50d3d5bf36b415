/**
 * memcached's ascii auth (-Y, doc/protocol.txt "Authentication", proto_text.c
 * try_read_command_asciiauth). Until a connection authenticates, every request line is read
 * as an attempt:
 *
 *   set <key> <flags> <exptime> <bytes>\r\n<username> <password>\r\n
 *
 * Key, flags and exptime are ignored and nothing is stored. Any other line answers
 * "CLIENT_ERROR unauthenticated"; a wrong username or password answers "CLIENT_ERROR
 * authentication failure". Neither closes the connection; the client may try again.
 */
import { ascii, parseU32, type Tokens } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { C } from '../stats/counters.ts';

const SET = ascii('set');
const STORED = ascii('STORED\r\n');
const UNAUTHENTICATED = ascii('CLIENT_ERROR unauthenticated\r\n');
const FAILURE = ascii('CLIENT_ERROR authentication failure\r\n');
const BAD_TERMINATION = ascii('CLIENT_ERROR bad command line termination\r\n');
const BAD_FORMAT = ascii('CLIENT_ERROR bad authentication token format\r\n');

/** memcached reads the credentials block in its 16 KiB read buffer and closes a connection
 * whose block (with its \r\n) cannot fit: nobody unauthenticated makes it buffer more. */
const AUTH_BLOCK_MAX = 16 * 1024;

/**
 * An unauthenticated connection's request line, tokenized in `t` (n tokens); `next` is where
 * the bytes after the line begin and `end` where the read ends. Returns the position to
 * continue from.
 */
export function asciiAuthLine(
  c: Connection,
  t: Tokens,
  n: number,
  buf: Buffer,
  next: number,
  end: number,
): number {
  const size = n >= 5 && t.is(0, SET) ? parseU32(buf, t.start(4), t.end(4)) : -1;
  if (size < 0) {
    c.reply(UNAUTHENTICATED);
    return next;
  }
  if (size + 2 > AUTH_BLOCK_MAX) {
    c.close();
    return next;
  }
  const req = c.storage;
  req.length = size;
  // memcached answers every attempt, noreply or not.
  req.noreply = false;
  req.complete = completeAsciiAuth;
  return c.expectData(buf, next, end);
}

/** The credentials block is complete at value[off, off + length + 2). */
function completeAsciiAuth(c: Connection, value: Buffer, off: number): void {
  const len = c.storage.length;
  if (value[off + len] !== 13 || value[off + len + 1] !== 10) {
    c.reply(BAD_TERMINATION);
    return;
  }
  // "<username> <password>", split on spaces as memcached tokenizes it; more words are ignored.
  const t = c.tokens;
  if (t.split(value, off, off + len) < 2) {
    c.reply(BAD_FORMAT);
    return;
  }
  const stats = c.ctx.stats;
  stats[C.auth_cmds]++;
  const user = value.subarray(t.start(0), t.end(0));
  const password = value.subarray(t.start(1), t.end(1));
  if (c.ctx.credentials?.check(user, password) === true) {
    c.authenticated = true;
    c.reply(STORED);
  } else {
    stats[C.auth_errors]++;
    c.reply(FAILURE);
  }
}
