/**
 * SASL on the binary protocol, mechanism PLAIN only (memcached's bin_list_sasl_mechs,
 * process_bin_sasl_auth and process_bin_complete_sasl_auth over Cyrus SASL's PLAIN).
 *
 * - list mechs answers "PLAIN".
 * - auth PLAIN with the payload `authzid \0 user \0 password` (authzid empty or the user
 *   itself) checks it against the -S password file: "Authenticated", or "Auth failure.".
 * - auth PLAIN with no payload answers "continue" (0x21) and the next step carries it.
 * Each of them first drops the connection's authentication, as memcached's init_sasl_conn
 * does, so only a successful exchange leaves it authenticated. Without -S they are unknown
 * commands.
 */
import { ascii, Binary } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { C } from '../stats/counters.ts';
import { error, responseHeader, successBody } from './reply.ts';
import type { Request } from './request.ts';

const { MAX_SASL_MECH_LENGTH, Opcode: Op, Status } = Binary;

const MECHANISMS = ascii('PLAIN');
const AUTHENTICATED = ascii('Authenticated');

/** Connections whose auth answered "continue": their next step carries the credentials. */
const awaitingStep = new WeakSet<Connection>();

export function listMechanisms(c: Connection, r: Request): void {
  if (!c.ctx.config.sasl) {
    error(c, r, Status.UNKNOWN_COMMAND);
    return;
  }
  c.authenticated = false;
  awaitingStep.delete(c);
  successBody(c, r, MECHANISMS);
}

/** auth and step. Returns the position after the packet, `r.start` while it is arriving. */
export function authenticate(c: Connection, r: Request, end: number): number {
  const { config, store } = c.ctx;
  const vlen = r.header.valueLength;
  if (!config.sasl) {
    error(c, r, Status.UNKNOWN_COMMAND);
    return c.swallow(r.keyEnd, end, vlen);
  }
  if (r.keyLength > MAX_SASL_MECH_LENGTH) {
    error(c, r, Status.EINVAL);
    return c.swallow(r.keyEnd, end, vlen);
  }
  // memcached reads the payload into an item that must fit one chunk.
  if (store.settings.headerBytes + r.keyLength + vlen > store.settings.slabChunkMax) {
    error(c, r, Status.ENOMEM);
    return c.swallow(r.keyEnd, end, vlen);
  }
  if (end < r.end) return r.start;
  c.authenticated = false;
  const step = r.command === Op.SASL_STEP;
  const started = awaitingStep.delete(c);
  if (!step && isPlain(r) && vlen === 0) {
    awaitingStep.add(c);
    responseHeader(c, r, Status.AUTH_CONTINUE, 0, 0, 0, 0);
    return r.end;
  }
  const ok = (step ? started : isPlain(r)) && checkPlain(c, r.buf, r.keyEnd, r.end);
  c.ctx.stats[C.auth_cmds]++;
  if (ok) {
    c.authenticated = true;
    successBody(c, r, AUTHENTICATED);
  } else {
    c.ctx.stats[C.auth_errors]++;
    error(c, r, Status.AUTH_ERROR);
  }
  return r.end;
}

/** The mechanism named by the key is PLAIN (SASL compares names without case). */
function isPlain(r: Request): boolean {
  if (r.keyLength !== MECHANISMS.length) return false;
  for (let i = 0; i < MECHANISMS.length; i++) {
    if ((r.buf[r.key + i] & 0xdf) !== MECHANISMS[i]) return false;
  }
  return true;
}

/** PLAIN's message (RFC 4616): authzid NUL authcid NUL password, nothing more. */
function checkPlain(c: Connection, buf: Buffer, start: number, end: number): boolean {
  const credentials = c.ctx.credentials;
  const first = nul(buf, start, end);
  if (credentials === null || first === end) return false;
  const second = nul(buf, first + 1, end);
  if (second === end || nul(buf, second + 1, end) !== end) return false;
  const user = buf.subarray(first + 1, second);
  if (user.length === 0) return false;
  // Cyrus SASL lets a user act only as itself.
  const authzid = buf.subarray(start, first);
  if (authzid.length > 0 && !authzid.equals(user)) return false;
  return credentials.check(user, buf.subarray(second + 1, end));
}

/** The position of the first NUL in buf[from, end), or `end`. */
function nul(buf: Buffer, from: number, end: number): number {
  let p = from;
  while (p < end && buf[p] !== 0) p++;
  return p;
}
