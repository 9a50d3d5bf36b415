/**
 * memcached's classic text replies, as bytes made once. Server and client both use them:
 * the server writes them, the client recognises them.
 */
import { ascii } from './tokens.ts';

export const CRLF = ascii('\r\n');
export const STORED = ascii('STORED\r\n');
export const NOT_STORED = ascii('NOT_STORED\r\n');
export const EXISTS = ascii('EXISTS\r\n');
export const NOT_FOUND = ascii('NOT_FOUND\r\n');
export const DELETED = ascii('DELETED\r\n');
export const TOUCHED = ascii('TOUCHED\r\n');
export const END = ascii('END\r\n');
export const OK = ascii('OK\r\n');
export const RESET = ascii('RESET\r\n');
export const ERROR = ascii('ERROR\r\n');
export const VALUE_PREFIX = ascii('VALUE ');

export const CLIENT_ERROR_FORMAT = ascii('CLIENT_ERROR bad command line format\r\n');
export const CLIENT_ERROR_BAD_DATA_CHUNK = ascii('CLIENT_ERROR bad data chunk\r\n');
export const CLIENT_ERROR_EXPTIME = ascii('CLIENT_ERROR invalid exptime argument\r\n');
export const CLIENT_ERROR_DELTA = ascii('CLIENT_ERROR invalid numeric delta argument\r\n');
export const CLIENT_ERROR_NON_NUMERIC = ascii(
  'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n',
);
export const CLIENT_ERROR_DELETE_USAGE = ascii(
  'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n',
);
export const CLIENT_ERROR_FLUSH_DISABLED = ascii('CLIENT_ERROR flush_all not allowed\r\n');
export const SERVER_ERROR_TOO_LARGE = ascii('SERVER_ERROR object too large for cache\r\n');
export const SERVER_ERROR_OOM_STORE = ascii('SERVER_ERROR out of memory storing object\r\n');
export const SERVER_ERROR_OOM = ascii('SERVER_ERROR out of memory\r\n');
