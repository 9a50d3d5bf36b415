/** The meta protocol's status codes and error lines, as bytes (memcached 1.6's wording). */
import { ascii } from '../text/tokens.ts';

export const HD = ascii('HD');
export const VA = ascii('VA ');
export const EN = ascii('EN');
export const NF = ascii('NF');
export const NS = ascii('NS');
export const EX = ascii('EX');
export const MN = ascii('MN\r\n');
export const ME = ascii('ME ');

export const ERR_FORMAT = ascii('CLIENT_ERROR bad command line format\r\n');
export const ERR_BAD_TOKEN = ascii('CLIENT_ERROR bad token in command line format\r\n');
export const ERR_INVALID_FLAG = ascii('CLIENT_ERROR invalid flag\r\n');
export const ERR_DUPLICATE_FLAG = ascii('CLIENT_ERROR duplicate flag\r\n');
/** md and ma answer every flag problem with this one line. */
export const ERR_INVALID_OR_DUPLICATE = ascii('CLIENT_ERROR invalid or duplicate flag\r\n');
export const ERR_DECODING_KEY = ascii('CLIENT_ERROR error decoding key\r\n');
export const ERR_OPAQUE_TOO_LONG = ascii('CLIENT_ERROR opaque token too long\r\n');
export const ERR_M_LENGTH = ascii('CLIENT_ERROR incorrect length for M token\r\n');
export const ERR_INITIAL = ascii('CLIENT_ERROR invalid numeric initial value\r\n');
export const ERR_DELTA = ascii('CLIENT_ERROR invalid numeric delta value\r\n');
export const ERR_MG_TOO_MANY = ascii('CLIENT_ERROR options flags are too long\r\n');
export const ERR_TOO_MANY = ascii('CLIENT_ERROR options flags too long\r\n');
export const ERR_MS_MODE = ascii('CLIENT_ERROR invalid mode for ms M token\r\n');
export const ERR_MA_MODE = ascii('CLIENT_ERROR invalid mode for ma M token\r\n');
export const ERR_NON_NUMERIC = ascii(
  'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n',
);
export const ERR_VIVIFY_OOM = ascii('SERVER_ERROR Out of memory allocating new item\r\n');
export const ERR_BAD_DATA_CHUNK = ascii('CLIENT_ERROR bad data chunk\r\n');
export const ERR_TOO_LARGE = ascii('SERVER_ERROR object too large for cache\r\n');
export const ERR_OUT_OF_MEMORY_STORING = ascii('SERVER_ERROR out of memory storing object\r\n');
export const ERR_OUT_OF_MEMORY = ascii('SERVER_ERROR out of memory\r\n');
