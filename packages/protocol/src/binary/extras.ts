/**
 * The extras each command carries, as byte offsets into the extras and their total length
 * (memcached's protocol_binary_request_* bodies). All fields are big-endian.
 */

/** set / add / replace (and their quiet forms): flags, then expiration. */
export const StorageExtras = { FLAGS: 0, EXPIRATION: 4, LENGTH: 8 } as const;

/** increment / decrement: delta, the initial value for a missing key, expiration. */
export const ArithmeticExtras = { DELTA: 0, INITIAL: 8, EXPIRATION: 16, LENGTH: 20 } as const;

/** An increment/decrement expiration that means "do not create a missing key". */
export const ARITHMETIC_NO_CREATE = 0xffffffff;

/** touch, gat, gatq, gatk, gatkq: the new expiration. */
export const TouchExtras = { EXPIRATION: 0, LENGTH: 4 } as const;

/** flush: an optional delay (the extras may also be absent). */
export const FlushExtras = { EXPIRATION: 0, LENGTH: 4 } as const;

/** verbosity: the new level. */
export const VerbosityExtras = { LEVEL: 0, LENGTH: 4 } as const;

/** The extras of a get / gat hit response: the item's flags. */
export const GetResponseExtras = { FLAGS: 0, LENGTH: 4 } as const;
