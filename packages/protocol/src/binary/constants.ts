/**
 * memcached's binary protocol constants (protocol_binary.h): magic bytes, opcodes, response
 * statuses and the error texts memcached sends with them.
 */
import { ascii } from '../text/tokens.ts';

export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;
/** Every packet starts with a 24-byte header; extras, key and value follow in its body. */
export const HEADER_LENGTH = 24;
/** The only data type memcached defines. */
export const RAW_BYTES = 0;
/** memcached's MAX_SASL_MECH_LEN: a longer mechanism name is refused. */
export const MAX_SASL_MECH_LENGTH = 32;

export const Opcode = {
  GET: 0x00,
  SET: 0x01,
  ADD: 0x02,
  REPLACE: 0x03,
  DELETE: 0x04,
  INCREMENT: 0x05,
  DECREMENT: 0x06,
  QUIT: 0x07,
  FLUSH: 0x08,
  GETQ: 0x09,
  NOOP: 0x0a,
  VERSION: 0x0b,
  GETK: 0x0c,
  GETKQ: 0x0d,
  APPEND: 0x0e,
  PREPEND: 0x0f,
  STAT: 0x10,
  SETQ: 0x11,
  ADDQ: 0x12,
  REPLACEQ: 0x13,
  DELETEQ: 0x14,
  INCREMENTQ: 0x15,
  DECREMENTQ: 0x16,
  QUITQ: 0x17,
  FLUSHQ: 0x18,
  APPENDQ: 0x19,
  PREPENDQ: 0x1a,
  VERBOSITY: 0x1b,
  TOUCH: 0x1c,
  GAT: 0x1d,
  GATQ: 0x1e,
  SASL_LIST_MECHS: 0x20,
  SASL_AUTH: 0x21,
  SASL_STEP: 0x22,
  GATK: 0x23,
  GATKQ: 0x24,
} as const;

export const Status = {
  SUCCESS: 0x00,
  KEY_ENOENT: 0x01,
  KEY_EEXISTS: 0x02,
  E2BIG: 0x03,
  EINVAL: 0x04,
  NOT_STORED: 0x05,
  DELTA_BADVAL: 0x06,
  AUTH_ERROR: 0x20,
  AUTH_CONTINUE: 0x21,
  UNKNOWN_COMMAND: 0x81,
  ENOMEM: 0x82,
} as const;

/** The body memcached sends with each error status (write_bin_error), as bytes. */
export const StatusText: Readonly<Record<number, Uint8Array>> = {
  [Status.KEY_ENOENT]: ascii('Not found'),
  [Status.KEY_EEXISTS]: ascii('Data exists for key.'),
  [Status.E2BIG]: ascii('Too large.'),
  [Status.EINVAL]: ascii('Invalid arguments'),
  [Status.NOT_STORED]: ascii('Not stored.'),
  [Status.DELTA_BADVAL]: ascii('Non-numeric server-side value for incr or decr'),
  [Status.AUTH_ERROR]: ascii('Auth failure.'),
  [Status.UNKNOWN_COMMAND]: ascii('Unknown command'),
  [Status.ENOMEM]: ascii('Out of memory'),
};

/** Quiet opcode -> the opcode it is a quiet form of; every other opcode maps to itself. */
const LOUD = new Uint8Array(256).map((_, i) => i);
const QUIET_PAIRS: [number, number][] = [
  [Opcode.GETQ, Opcode.GET],
  [Opcode.GETKQ, Opcode.GETK],
  [Opcode.SETQ, Opcode.SET],
  [Opcode.ADDQ, Opcode.ADD],
  [Opcode.REPLACEQ, Opcode.REPLACE],
  [Opcode.DELETEQ, Opcode.DELETE],
  [Opcode.INCREMENTQ, Opcode.INCREMENT],
  [Opcode.DECREMENTQ, Opcode.DECREMENT],
  [Opcode.QUITQ, Opcode.QUIT],
  [Opcode.FLUSHQ, Opcode.FLUSH],
  [Opcode.APPENDQ, Opcode.APPEND],
  [Opcode.PREPENDQ, Opcode.PREPEND],
  [Opcode.GATQ, Opcode.GAT],
  [Opcode.GATKQ, Opcode.GATK],
];
for (const [quiet, loud] of QUIET_PAIRS) LOUD[quiet] = loud;

/** The non-quiet form of an opcode (GETQ -> GET); other opcodes are returned unchanged. */
export function loudOpcode(opcode: number): number {
  return LOUD[opcode & 0xff];
}

/** Whether the opcode is a quiet variant: no reply on success (on a miss, for gets). */
export function isQuiet(opcode: number): boolean {
  return LOUD[opcode & 0xff] !== opcode;
}
