/**
 * The binary protocol's entry (memcached's try_read_command_binary and dispatch_bin_command):
 * frames one request packet, checks its lengths as memcached does, and hands it to the module
 * of its command: get.ts, storage.ts, arithmetic.ts, delete.ts, stat.ts, sasl.ts, misc.ts.
 *
 * Framing is memcached's: a request is header, extras and key; only the commands that carry
 * a value (set, add, replace, append, prepend, SASL auth and step) read the rest of the body.
 * So surplus body bytes after a stat or touch are read as the next request, and an unknown
 * command skips `body length` bytes after its key, exactly as memcached does.
 *
 * Errors that end the connection, as in memcached: a packet not starting with the request
 * magic closes it at once; lengths that cannot hold the extras and key answer "Unknown
 * command", a command before SASL authentication "Auth failure.", a key over 250 bytes or
 * lengths the command does not take "Invalid arguments", and then the connection closes.
 */
import { Binary } from '@slabcache/protocol';
import { MAX_KEY_LENGTH } from '@slabcache/store';
import type { Connection } from '../connection.ts';
import { SH_VERBOSITY } from '../context.ts';
import { arithmetic } from './arithmetic.ts';
import { deleteCommand } from './delete.ts';
import { getOrTouch } from './get.ts';
import { flush, noop, quit, verbosity, version } from './misc.ts';
import { error } from './reply.ts';
import { Request } from './request.ts';
import { authenticate, listMechanisms } from './sasl.ts';
import { stat } from './stat.ts';
import { storage } from './storage.ts';

const { HEADER_LENGTH, Opcode: Op, REQUEST_MAGIC, Status } = Binary;

const request = new Request();

/**
 * Handles the request packet at buf[pos] when enough of it is in buf[pos, end). Returns the
 * position after what it consumed, or `pos` when more bytes are needed.
 */
export function dispatchPacket(c: Connection, buf: Buffer, pos: number, end: number): number {
  if (end - pos < HEADER_LENGTH) return pos;
  if (buf[pos] !== REQUEST_MAGIC) {
    c.close();
    return end;
  }
  const r = request;
  const h = Binary.readHeader(buf, pos, r.header);
  r.buf = buf;
  r.start = pos;
  r.extras = pos + HEADER_LENGTH;
  r.key = r.extras + h.extrasLength;
  r.keyEnd = r.key + h.keyLength;
  if (end < r.keyEnd) return pos;
  r.command = Binary.loudOpcode(h.opcode);
  r.quiet = r.command !== h.opcode;
  c.lastCommandNow();
  if (c.ctx.shared[SH_VERBOSITY] > 1) {
    c.ctx.log(2, `<${c.id} binary opcode 0x${h.opcode.toString(16)} body ${h.bodyLength}`);
  }
  if (h.keyLength + h.extrasLength > h.bodyLength) return closeWith(c, r, Status.UNKNOWN_COMMAND);
  if (c.ctx.config.sasl && !c.authenticated && !allowedBeforeAuth(h.opcode)) {
    return closeWith(c, r, Status.AUTH_ERROR);
  }
  if (h.keyLength > MAX_KEY_LENGTH || !lengthsFit(r)) return closeWith(c, r, Status.EINVAL);
  return run(c, r, end);
}

function run(c: Connection, r: Request, end: number): number {
  switch (r.command) {
    case Op.GET:
    case Op.GETK:
    case Op.TOUCH:
    case Op.GAT:
    case Op.GATK:
      getOrTouch(c, r);
      break;
    case Op.SET:
    case Op.ADD:
    case Op.REPLACE:
    case Op.APPEND:
    case Op.PREPEND:
      return storage(c, r, end);
    case Op.DELETE:
      deleteCommand(c, r);
      break;
    case Op.INCREMENT:
    case Op.DECREMENT:
      arithmetic(c, r);
      break;
    case Op.STAT:
      stat(c, r);
      break;
    case Op.NOOP:
      noop(c, r);
      break;
    case Op.VERSION:
      version(c, r);
      break;
    case Op.QUIT:
      quit(c, r);
      break;
    case Op.FLUSH:
      flush(c, r);
      break;
    case Op.VERBOSITY:
      verbosity(c, r);
      break;
    case Op.SASL_LIST_MECHS:
      listMechanisms(c, r);
      break;
    case Op.SASL_AUTH:
    case Op.SASL_STEP:
      return authenticate(c, r, end);
    default:
      error(c, r, Status.UNKNOWN_COMMAND);
      return c.swallow(r.keyEnd, end, r.header.bodyLength);
  }
  return r.keyEnd;
}

/** The extras, key and body lengths each command takes (memcached's dispatch_bin_command). */
function lengthsFit(r: Request): boolean {
  const { extrasLength: ext, keyLength: key, bodyLength: body } = r.header;
  switch (r.command) {
    case Op.VERSION:
    case Op.NOOP:
    case Op.QUIT:
    case Op.SASL_LIST_MECHS:
      return ext === 0 && key === 0 && body === 0;
    case Op.FLUSH:
      return key === 0 && body === ext && (ext === 0 || ext === Binary.FlushExtras.LENGTH);
    case Op.SET:
    case Op.ADD:
    case Op.REPLACE:
      return ext === Binary.StorageExtras.LENGTH && key > 0;
    case Op.GET:
    case Op.GETK:
    case Op.DELETE:
      return ext === 0 && key > 0 && body === key;
    case Op.INCREMENT:
    case Op.DECREMENT:
      return ext === Binary.ArithmeticExtras.LENGTH && key > 0 && body === key + ext;
    case Op.APPEND:
    case Op.PREPEND:
      return ext === 0 && key > 0;
    case Op.STAT:
      return ext === 0;
    case Op.SASL_AUTH:
    case Op.SASL_STEP:
      return ext === 0 && key > 0;
    case Op.TOUCH:
    case Op.GAT:
    case Op.GATK:
      return ext === Binary.TouchExtras.LENGTH && key > 0;
    case Op.VERBOSITY:
      return ext === Binary.VerbosityExtras.LENGTH && key === 0 && body === ext;
    default:
      return true;
  }
}

/** What memcached serves before SASL authentication (its authenticated()). */
function allowedBeforeAuth(opcode: number): boolean {
  return (
    opcode === Op.SASL_LIST_MECHS ||
    opcode === Op.SASL_AUTH ||
    opcode === Op.SASL_STEP ||
    opcode === Op.VERSION
  );
}

/** A protocol error: memcached answers it, then closes the connection. */
function closeWith(c: Connection, r: Request, status: number): number {
  error(c, r, status);
  c.closeAfterWrite = true;
  return r.keyEnd;
}
