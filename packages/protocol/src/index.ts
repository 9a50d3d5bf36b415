/**
 * @slabcache/protocol: memcached's wire formats, shared by the server (parse requests, write
 * replies) and the client (write requests, parse replies). Bytes in, bytes out; no I/O.
 */

export * as Binary from './binary/index.ts';
export { base64Length, decodeBase64, encodeBase64 } from './meta/base64.ts';
export { MAX_META_TOKENS, MAX_OPAQUE_LENGTH, MetaFlags } from './meta/flags.ts';
export * as MetaReplies from './meta/replies.ts';
export { isErrorLine, MetaReply, MetaStatus } from './meta/reply.ts';
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
export { isValueLine, ValueLine } from './text/value-line.ts';
