/**
 * memcached's binary protocol: a 24-byte header (the Binary codec of @slabcache/protocol),
 * then extras, key and value. Each request here is answered by one packet, except multi-get
 * (quiet GetKQ per key, answered only on hits, then a Noop that ends the batch) and stats (one
 * packet per statistic, then one with no key).
 */
import { Binary } from '@slabcache/protocol';
import { ServerError } from '../errors.ts';
import { protocolError, type ReplyBuffer, Request, type Sink } from '../request.ts';
import { MultiGetRequest, type Protocol, type RawItem, type StoreMode } from './protocol.ts';

const { Opcode, Status, HEADER_LENGTH, REQUEST_MAGIC, RESPONSE_MAGIC } = Binary;
const header = new Binary.PacketHeader();

/** A request packet: header, extras and key in one buffer; the value (if any) after it. */
function packet(
  opcode: number,
  key: string,
  extras: Uint8Array | null,
  value: Uint8Array | null,
  cas = 0n,
  opaque = 0,
): Buffer {
  const keyLength = Buffer.byteLength(key);
  const extrasLength = extras ? extras.length : 0;
  const out = Buffer.allocUnsafe(HEADER_LENGTH + extrasLength + keyLength);
  const body = extrasLength + keyLength + (value ? value.length : 0);
  Binary.writeHeader(out, 0, REQUEST_MAGIC, opcode, 0, keyLength, extrasLength, body, opaque, 0);
  Binary.writeU64(out, Binary.CAS, cas);
  if (extras) out.set(extras, HEADER_LENGTH);
  out.write(key, HEADER_LENGTH + extrasLength, 'utf8');
  return out;
}

/** Reads one response packet's header into `header`; the index after its body, or -1. */
function nextPacket(r: ReplyBuffer): number {
  if (r.length < HEADER_LENGTH) return -1;
  Binary.readHeader(r.buf, r.pos, header);
  if (header.magic !== RESPONSE_MAGIC || header.valueLength < 0) {
    throw protocolError(`bad response header ${r.preview(r.pos, r.pos + HEADER_LENGTH)}`);
  }
  const end = r.pos + HEADER_LENGTH + header.bodyLength;
  return end <= r.end ? end : -1;
}

function valueStart(r: ReplyBuffer): number {
  return r.pos + HEADER_LENGTH + header.extrasLength + header.keyLength;
}

function statusError(r: ReplyBuffer, end: number): ServerError {
  const text = r.text(valueStart(r), end) || `status 0x${header.status.toString(16)}`;
  return new ServerError(text, r.server, header.status);
}

type PacketMap<T> = (r: ReplyBuffer, end: number) => T | ServerError;

/** A request answered by one packet. */
class BinaryRequest<T> extends Request<T> {
  private readonly head: Buffer;
  private readonly value: Uint8Array | null;
  private readonly opcode: number;
  private readonly map: PacketMap<T>;

  constructor(opcode: number, head: Buffer, value: Uint8Array | null, map: PacketMap<T>) {
    super();
    this.opcode = opcode;
    this.head = head;
    this.value = value;
    this.map = map;
  }

  write(out: Sink): void {
    out.write(this.head);
    if (this.value && this.value.length > 0) out.write(this.value);
  }

  read(r: ReplyBuffer): boolean {
    const end = nextPacket(r);
    if (end < 0) return false;
    if (header.opcode !== this.opcode) {
      throw protocolError(
        `reply opcode 0x${header.opcode.toString(16)} to 0x${this.opcode.toString(16)}`,
      );
    }
    const result = this.map(r, end);
    if (result instanceof ServerError) this.error = result;
    else this.result = result;
    r.pos = end;
    return true;
  }
}

/** The item in a Get/GAT/GetK hit: flags in the 4-byte extras. */
function itemOf(r: ReplyBuffer, end: number): RawItem {
  const flags = header.extrasLength >= 4 ? Binary.readU32(r.buf, r.pos + HEADER_LENGTH) : 0;
  return {
    value: r.copy(valueStart(r), end),
    flags,
    cas: Binary.readU64(r.buf, r.pos + Binary.CAS),
  };
}

function hit(r: ReplyBuffer, end: number): RawItem | undefined | ServerError {
  if (header.status === Status.SUCCESS) return itemOf(r, end);
  if (header.status === Status.KEY_ENOENT) return undefined;
  return statusError(r, end);
}

function success(r: ReplyBuffer, end: number): boolean | ServerError {
  switch (header.status) {
    case Status.SUCCESS:
      return true;
    case Status.KEY_ENOENT:
    case Status.KEY_EEXISTS:
    case Status.NOT_STORED:
      return false;
    default:
      return statusError(r, end);
  }
}

/** GetKQ per key (opaque = its index), then Noop. */
class BinaryGetMulti extends MultiGetRequest {
  write(out: Sink): void {
    const packets = this.keys.map((key, i) => packet(Opcode.GETKQ, key, null, null, 0n, i));
    packets.push(packet(Opcode.NOOP, '', null, null));
    out.write(Buffer.concat(packets));
  }

  read(r: ReplyBuffer): boolean {
    for (;;) {
      const end = nextPacket(r);
      if (end < 0) return false;
      const opcode = header.opcode;
      if (opcode === Opcode.NOOP) {
        r.pos = end;
        return true;
      }
      if (opcode !== Opcode.GETKQ)
        throw protocolError(`reply opcode 0x${opcode.toString(16)} in a multi-get`);
      if (header.status === Status.SUCCESS) {
        const key = this.keys[header.opaque];
        if (key === undefined) throw protocolError(`reply with an unknown opaque ${header.opaque}`);
        this.result.set(key, itemOf(r, end));
      } else if (header.status !== Status.KEY_ENOENT) {
        this.error ??= statusError(r, end);
      }
      r.pos = end;
    }
  }
}

/** Stat: one packet per statistic, ended by one without a key. */
class BinaryStats extends Request<Record<string, string>> {
  private readonly group: string;

  constructor(group: string) {
    super();
    this.group = group;
    this.result = {};
  }

  write(out: Sink): void {
    out.write(packet(Opcode.STAT, this.group, null, null));
  }

  read(r: ReplyBuffer): boolean {
    for (;;) {
      const end = nextPacket(r);
      if (end < 0) return false;
      if (header.status !== Status.SUCCESS) {
        this.error = statusError(r, end);
        r.pos = end;
        return true;
      }
      const keyStart = r.pos + HEADER_LENGTH + header.extrasLength;
      const done = header.keyLength === 0;
      if (!done) {
        this.result[r.text(keyStart, keyStart + header.keyLength)] = r.text(valueStart(r), end);
      }
      r.pos = end;
      if (done) return true;
    }
  }
}

function expirationExtras(ttl: number): Buffer {
  const extras = Buffer.allocUnsafe(Binary.TouchExtras.LENGTH);
  Binary.writeU32(extras, Binary.TouchExtras.EXPIRATION, ttl >>> 0);
  return extras;
}

const STORE_OPCODES: Record<StoreMode, number> = {
  set: Opcode.SET,
  cas: Opcode.SET,
  add: Opcode.ADD,
  replace: Opcode.REPLACE,
  append: Opcode.APPEND,
  prepend: Opcode.PREPEND,
};

export const binary: Protocol = {
  name: 'binary',

  get(key, _withCas, touch) {
    // Binary replies always carry the CAS.
    if (touch >= 0) {
      return new BinaryRequest(
        Opcode.GAT,
        packet(Opcode.GAT, key, expirationExtras(touch), null),
        null,
        hit,
      );
    }
    return new BinaryRequest(Opcode.GET, packet(Opcode.GET, key, null, null), null, hit);
  },

  getMulti(keys) {
    return new BinaryGetMulti(keys);
  },

  store(mode, key, value, flags, ttl, cas) {
    const opcode = STORE_OPCODES[mode];
    let extras: Buffer | null = null;
    if (mode !== 'append' && mode !== 'prepend') {
      extras = Buffer.allocUnsafe(Binary.StorageExtras.LENGTH);
      Binary.writeU32(extras, Binary.StorageExtras.FLAGS, flags);
      Binary.writeU32(extras, Binary.StorageExtras.EXPIRATION, ttl >>> 0);
    }
    const head = packet(opcode, key, extras, value, mode === 'cas' ? cas : 0n);
    return new BinaryRequest(opcode, head, value, success);
  },

  delete(key) {
    return new BinaryRequest(Opcode.DELETE, packet(Opcode.DELETE, key, null, null), null, success);
  },

  counter(decrement, key, delta, initial, ttl) {
    const opcode = decrement ? Opcode.DECREMENT : Opcode.INCREMENT;
    const extras = Buffer.alloc(Binary.ArithmeticExtras.LENGTH);
    Binary.writeU64(extras, Binary.ArithmeticExtras.DELTA, delta);
    Binary.writeU64(extras, Binary.ArithmeticExtras.INITIAL, initial ?? 0n);
    Binary.writeU32(
      extras,
      Binary.ArithmeticExtras.EXPIRATION,
      initial === undefined ? Binary.ARITHMETIC_NO_CREATE : ttl >>> 0,
    );
    return new BinaryRequest(opcode, packet(opcode, key, extras, null), null, (r, end) => {
      if (header.status === Status.KEY_ENOENT) return undefined;
      if (header.status !== Status.SUCCESS) return statusError(r, end);
      if (end - valueStart(r) !== 8) throw protocolError('counter reply without an 8-byte value');
      return Binary.readU64(r.buf, valueStart(r));
    });
  },

  touch(key, ttl) {
    const head = packet(Opcode.TOUCH, key, expirationExtras(ttl), null);
    return new BinaryRequest(Opcode.TOUCH, head, null, success);
  },

  flush(delay) {
    const head = packet(Opcode.FLUSH, '', delay > 0 ? expirationExtras(delay) : null, null);
    return new BinaryRequest<void>(Opcode.FLUSH, head, null, (r, end) =>
      header.status === Status.SUCCESS ? undefined : statusError(r, end),
    );
  },

  version() {
    return new BinaryRequest(
      Opcode.VERSION,
      packet(Opcode.VERSION, '', null, null),
      null,
      (r, end) =>
        header.status === Status.SUCCESS ? r.text(valueStart(r), end) : statusError(r, end),
    );
  },

  stats(group) {
    return new BinaryStats(group);
  },
};
