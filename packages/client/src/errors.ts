/**
 * Every error the client rejects with is a SlabcacheError with a stable `code` to branch on
 * (undici's habit), and `server` naming the `host:port` involved when there is one.
 *
 * | class               | code                        | when                                      |
 * | ------------------- | --------------------------- | ----------------------------------------- |
 * | TimeoutError        | SLABCACHE_TIMEOUT           | no reply within `timeout`                 |
 * | TimeoutError        | SLABCACHE_CONNECT_TIMEOUT   | no connection within `connectTimeout`     |
 * | ConnectionError     | SLABCACHE_CONNECT_FAILED    | the connection could not be opened        |
 * | ConnectionError     | SLABCACHE_CONNECTION_LOST   | it closed or failed with requests pending |
 * | ServerDownError     | SLABCACHE_SERVER_DOWN       | the server is ejected; failing fast       |
 * | ServerDownError     | SLABCACHE_NO_SERVERS        | discovery has not found any server yet    |
 * | ServerError         | SLABCACHE_SERVER_ERROR      | the server answered with an error         |
 * | ProtocolError       | SLABCACHE_PROTOCOL          | a reply we cannot read (connection closed)|
 * | BadKeyError         | SLABCACHE_BAD_KEY           | key too long, empty or with spaces        |
 * | ClientClosedError   | SLABCACHE_CLIENT_CLOSED     | a call after close()                      |
 * | NotSupportedError   | SLABCACHE_NOT_SUPPORTED     | a meta-only call on the text or binary wire |
 * | PartialResultError  | SLABCACHE_PARTIAL           | some servers of a fan-out failed          |
 *
 * A request that failed with SLABCACHE_CONNECT_FAILED or SLABCACHE_CONNECT_TIMEOUT was never
 * written: it is safe to retry anywhere. After SLABCACHE_TIMEOUT or SLABCACHE_CONNECTION_LOST
 * the server may or may not have executed it.
 */

export class SlabcacheError extends Error {
  readonly code: string;
  /** `host:port` of the server involved, when there is one. */
  readonly server: string | undefined;

  constructor(code: string, message: string, server?: string, options?: { cause?: unknown }) {
    super(server ? `${message} (${server})` : message, options);
    this.name = new.target.name;
    this.code = code;
    this.server = server;
  }
}

export class TimeoutError extends SlabcacheError {}

export class ConnectionError extends SlabcacheError {}

export class ServerDownError extends SlabcacheError {}

export class ServerError extends SlabcacheError {
  /** The server's words: `SERVER_ERROR out of memory storing object`, or a binary status
   * text. */
  readonly reply: string;
  /** The binary protocol's status code; 0 for text and meta replies. */
  readonly status: number;

  constructor(reply: string, server?: string, status = 0) {
    super(Codes.SERVER_ERROR, `server replied: ${reply}`, server);
    this.reply = reply;
    this.status = status;
  }
}

export class ProtocolError extends SlabcacheError {}
export class BadKeyError extends SlabcacheError {}
export class ClientClosedError extends SlabcacheError {}
export class NotSupportedError extends SlabcacheError {}

/** A fan-out (getMulti, flush, stats, version) where some servers failed: `errors` holds
 * each failed server's error by `host:port`, `results` what the others returned. */
export class PartialResultError<T> extends SlabcacheError {
  readonly errors: Map<string, Error>;
  readonly results: T;

  constructor(what: string, errors: Map<string, Error>, results: T) {
    const first = errors.values().next().value;
    super(
      Codes.PARTIAL,
      `${what}: ${errors.size} server(s) failed, first: ${first?.message ?? 'unknown'}`,
      undefined,
      { cause: first },
    );
    this.errors = errors;
    this.results = results;
  }
}

export const Codes = {
  TIMEOUT: 'SLABCACHE_TIMEOUT',
  CONNECT_TIMEOUT: 'SLABCACHE_CONNECT_TIMEOUT',
  CONNECT_FAILED: 'SLABCACHE_CONNECT_FAILED',
  CONNECTION_LOST: 'SLABCACHE_CONNECTION_LOST',
  SERVER_DOWN: 'SLABCACHE_SERVER_DOWN',
  NO_SERVERS: 'SLABCACHE_NO_SERVERS',
  SERVER_ERROR: 'SLABCACHE_SERVER_ERROR',
  PROTOCOL: 'SLABCACHE_PROTOCOL',
  BAD_KEY: 'SLABCACHE_BAD_KEY',
  CLIENT_CLOSED: 'SLABCACHE_CLIENT_CLOSED',
  NOT_SUPPORTED: 'SLABCACHE_NOT_SUPPORTED',
  PARTIAL: 'SLABCACHE_PARTIAL',
} as const;

/** Whether the request behind `e` certainly never reached a server. */
export function neverSent(e: unknown): boolean {
  return (
    e instanceof SlabcacheError &&
    (e.code === Codes.CONNECT_FAILED ||
      e.code === Codes.CONNECT_TIMEOUT ||
      e.code === Codes.SERVER_DOWN)
  );
}
