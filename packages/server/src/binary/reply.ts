/**
 * Binary responses appended to the connection's output: every response echoes the request's
 * opcode and opaque (memcached's add_bin_header). Quiet requests skip success replies
 * (write_bin_response); errors are always sent (write_bin_error).
 */
import { Binary } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import type { Request } from './request.ts';

const { HEADER_LENGTH, RESPONSE_MAGIC, Status, StatusText } = Binary;

/** Writes a response header and reserves room for `bodyLength` bytes of body after it;
 * returns where the body starts (the caller writes it and sets out.len). */
export function responseHeader(
  c: Connection,
  r: Request,
  status: number,
  keyLength: number,
  extrasLength: number,
  bodyLength: number,
  cas: number,
): number {
  const out = c.out;
  out.ensure(HEADER_LENGTH + bodyLength);
  const h = r.header;
  out.len = Binary.writeHeader(
    out.buf,
    out.len,
    RESPONSE_MAGIC,
    h.opcode,
    status,
    keyLength,
    extrasLength,
    bodyLength,
    h.opaque,
    cas,
  );
  return out.len;
}

/** Success with no body, unless the request is quiet. */
export function success(c: Connection, r: Request, cas = 0): void {
  if (!r.quiet) responseHeader(c, r, Status.SUCCESS, 0, 0, 0, cas);
}

/** Success with `body` as the value, unless the request is quiet. */
export function successBody(c: Connection, r: Request, body: Uint8Array, cas = 0): void {
  if (r.quiet) return;
  responseHeader(c, r, Status.SUCCESS, 0, 0, body.length, cas);
  c.out.bytes(body);
}

/** An error status with memcached's text for it (or `text`); sent even for quiet requests. */
export function error(c: Connection, r: Request, status: number, text?: Uint8Array): void {
  const body = text ?? StatusText[status];
  responseHeader(c, r, status, 0, 0, body.length, 0);
  c.out.bytes(body);
}
