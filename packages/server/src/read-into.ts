/**
 * Reads into one caller-owned buffer, handed to a callback: Node's `onread` socket option.
 *
 * By default every read becomes a new Buffer pushed through the Readable stream machinery
 * (push, 'data' event, a nextTick to read more) before our parser sees it. `onread` skips all
 * of that, but Node offers it only for sockets a client creates, not for the ones a server
 * accepts. An accepted socket gets the same by setting what the option sets: the socket's
 * kBuffer/kBufferCb fields (Node's own pause()/resume() and end-of-stream handling honour them)
 * and the handle's useUserBuffer(). Where this Node's internals are not shaped so (another
 * version, a TLS socket), it changes nothing and returns false: the caller listens for 'data'.
 *
 * One buffer can serve every connection of a worker: each callback runs to completion before
 * the next read, so the callback must copy whatever it keeps past its return.
 */
import type { Socket } from 'node:net';

export type ReadCallback = (bytes: number, buffer: Buffer) => void;

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

function ownSymbol(o: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(o).find((s) => s.description === description);
}

export function readInto(socket: Socket, buffer: Buffer, onRead: ReadCallback): boolean {
  const handle = (socket as unknown as { _handle: Partial<UserBufferHandle> | null })._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const kBuffer = ownSymbol(socket, 'kBuffer');
  const kBufferCb = ownSymbol(socket, 'kBufferCb');
  if (kBuffer === undefined || kBufferCb === undefined) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[kBuffer] !== null || fields[kBufferCb] !== null) return false;
  fields[kBuffer] = buffer;
  // Node stops reading when the callback returns false; ours pause explicitly instead.
  fields[kBufferCb] = (bytes: number, buf: Buffer) => {
    onRead(bytes, buf);
  };
  handle.useUserBuffer(buffer);
  return true;
}
