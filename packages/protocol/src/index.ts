/**
 * @slabcache/protocol: memcached's wire formats, shared by the server (parse requests, write
 * replies) and the client (write requests, parse replies). Bytes in, bytes out; no I/O.
 */
export {
  decimalLength,
  parseI32,
  parseU32,
  parseU64,
  parseU64Number,
  writeDecimal,
} from './text/numbers.ts';
export * as Replies from './text/replies.ts';
export { ascii, Tokens } from './text/tokens.ts';
