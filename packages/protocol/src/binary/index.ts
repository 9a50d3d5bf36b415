/** memcached's binary protocol: header codec, opcodes, statuses, extras layouts. No I/O. */
export * from './constants.ts';
export * from './extras.ts';
export * from './header.ts';
