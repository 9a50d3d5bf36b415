/**
 * Warm restart (memcached's `-e <file>`): the whole cache already lives in three shared
 * buffers, so a snapshot is a straight copy of them, not a walk over items. Item times are
 * relative to the store's start second, which the control block keeps, so after a restore
 * every TTL goes on counting down from where wall-clock time now stands.
 *
 * File: one text line `SLABCACHE-SNAPSHOT <version>`, one line of JSON (the settings that
 * shape memory, and the byte length of each section), then the control block, the hash
 * buckets in use and the item pages in use, raw. It is written to `<file>.tmp` and renamed,
 * so a crash while saving leaves no half file under the real name.
 *
 * Save only while no thread uses the store (after the workers have stopped): a snapshot of
 * memory that is changing would not be consistent.
 */
import { closeSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { Engine, type SharedStore } from './engine.ts';
import {
  C_BUCKETS,
  C_CURR_ITEMS,
  C_FLUSH_LOCK,
  C_PAGES_LOCK,
  C_PAGES_USED,
  C_SPLIT_LOCK,
  classBase,
  controlBytes,
  ITEMS_BASE,
  itemsBytes,
  K_LOCK,
  STRIPES_BASE,
} from './layout.ts';
import { resolveSettings, type StoreOptions, type StoreSettings } from './settings.ts';

const MAGIC_LINE = 'SLABCACHE-SNAPSHOT 1\n';
const CHUNK = 64 * 1024 * 1024;

/** The settings a snapshot must share with the store that reads it: everything that decides
 * where bytes lie. (Behaviour such as -M or the LRU shares may change across a restart.) */
const LAYOUT_FIELDS = [
  'memoryLimit',
  'pageSize',
  'maxPages',
  'itemSizeMax',
  'slabChunkMax',
  'growthFactor',
  'minChunk',
  'classSizes',
  'cas',
  'headerBytes',
  'stripes',
  'maxBuckets',
] as const;

interface SnapshotHeader {
  settings: Pick<StoreSettings, (typeof LAYOUT_FIELDS)[number]>;
  controlBytes: number;
  tableBytes: number;
  itemsBytes: number;
}

export interface SnapshotInfo {
  bytes: number;
  items: number;
}

/** Writes the store's memory to `path`; returns the bytes written and the items kept. */
export function saveSnapshot(e: Engine, path: string): SnapshotInfo {
  const s = e.settings;
  const shared = e.shared;
  const pagesUsed = e.ctl[C_PAGES_USED];
  const header: SnapshotHeader = {
    settings: pickLayout(s),
    controlBytes: shared.control.byteLength,
    tableBytes: e.ctl[C_BUCKETS] * 4,
    itemsBytes: ITEMS_BASE + pagesUsed * s.pageSize,
  };
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    bytes += writeAll(fd, Buffer.from(`${MAGIC_LINE}${JSON.stringify(header)}\n`));
    bytes += writeAll(fd, new Uint8Array(shared.control, 0, header.controlBytes));
    bytes += writeAll(fd, new Uint8Array(shared.table, 0, header.tableBytes));
    bytes += writeAll(fd, new Uint8Array(shared.items, 0, header.itemsBytes));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { bytes, items: e.ctl[C_CURR_ITEMS] };
}

/**
 * Reads a snapshot written by saveSnapshot into fresh shared memory for a store with
 * `options`. Returns the memory, or why it cannot be used: a file of another format, or
 * settings that lay memory out differently (then the caller starts empty and says so).
 */
export function loadSnapshot(
  options: StoreOptions,
  path: string,
): { shared: SharedStore; reason: null } | { shared: null; reason: string } {
  const settings = resolveSettings(options);
  const fd = openSync(path, 'r');
  try {
    const head = readHeader(fd);
    if (typeof head === 'string') return { shared: null, reason: head };
    const changed = LAYOUT_FIELDS.filter(
      (f) => JSON.stringify(head.header.settings[f]) !== JSON.stringify(settings[f]),
    );
    if (changed.length > 0) {
      const what = changed
        .map((f) => `${f} ${show(head.header.settings[f])} -> ${show(settings[f])}`)
        .join(', ');
      return { shared: null, reason: `settings changed since the snapshot: ${what}` };
    }
    const sizes = {
      stripes: settings.stripes,
      maxPages: settings.maxPages,
      pageSize: settings.pageSize,
      maxBuckets: settings.maxBuckets,
    };
    const h = head.header;
    if (
      h.controlBytes !== controlBytes(sizes) ||
      h.tableBytes > settings.maxBuckets * 4 ||
      h.itemsBytes > itemsBytes(sizes)
    ) {
      return { shared: null, reason: 'snapshot sections do not fit this store' };
    }
    const shared: SharedStore = {
      settings,
      control: new SharedArrayBuffer(h.controlBytes),
      table: new SharedArrayBuffer(settings.maxBuckets * 4),
      items: new SharedArrayBuffer(itemsBytes(sizes)),
    };
    let pos = head.offset;
    pos += readAll(fd, new Uint8Array(shared.control, 0, h.controlBytes), pos);
    pos += readAll(fd, new Uint8Array(shared.table, 0, h.tableBytes), pos);
    readAll(fd, new Uint8Array(shared.items, 0, h.itemsBytes), pos);
    clearLocks(new Int32Array(shared.control), settings);
    // Opening it checks the control block's magic and layout version.
    new Engine(shared, 0);
    return { shared, reason: null };
  } catch (err) {
    return { shared: null, reason: `cannot read snapshot: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

function pickLayout(s: StoreSettings): SnapshotHeader['settings'] {
  const out: Record<string, unknown> = {};
  for (const f of LAYOUT_FIELDS) out[f] = s[f];
  return out as SnapshotHeader['settings'];
}

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.length} classes]` : String(v);
}

/** Locks are free in a snapshot taken at rest; cleared anyway, since a lock word left by a
 * thread of the old process would never be released. */
function clearLocks(ctl: Int32Array, s: StoreSettings): void {
  for (let i = 0; i < s.stripes; i++) ctl[STRIPES_BASE + i] = 0;
  for (let id = 1; id <= s.largestClass; id++) ctl[classBase(id) + K_LOCK] = 0;
  ctl[C_SPLIT_LOCK] = 0;
  ctl[C_PAGES_LOCK] = 0;
  ctl[C_FLUSH_LOCK] = 0;
}

function readHeader(fd: number): { header: SnapshotHeader; offset: number } | string {
  const probe = Buffer.alloc(64 * 1024);
  const n = readSync(fd, probe, 0, probe.length, 0);
  const text = probe.toString('latin1', 0, n);
  if (!text.startsWith(MAGIC_LINE)) return 'not a slabcache snapshot (or another version)';
  const end = text.indexOf('\n', MAGIC_LINE.length);
  if (end < 0) return 'snapshot header is cut short';
  try {
    const header = JSON.parse(text.slice(MAGIC_LINE.length, end)) as SnapshotHeader;
    return { header, offset: end + 1 };
  } catch {
    return 'snapshot header is not valid';
  }
}

function writeAll(fd: number, data: Uint8Array): number {
  for (let off = 0; off < data.length; ) {
    off += writeSync(fd, data, off, Math.min(CHUNK, data.length - off));
  }
  return data.length;
}

function readAll(fd: number, into: Uint8Array, position: number): number {
  for (let off = 0; off < into.length; ) {
    const n = readSync(fd, into, off, Math.min(CHUNK, into.length - off), position + off);
    if (n === 0) throw new Error('snapshot is shorter than its header says');
    off += n;
  }
  return into.length;
}
