/**
 * What the admin service reads: a node's statistics as memcached names them, with numbers as
 * numbers. The server implements `StatsSource` from its shared memory (summed across worker
 * threads); this package knows nothing of sockets, threads or the store's layout, so a test can
 * hand it a plain object.
 */

export type StatValue = number | string;

/** One flat group (`stats`, `stats settings`): memcached's field names in memcached's order. */
export type StatMap = Record<string, StatValue>;

/** Per-class fields keyed by class id ("1", "2", ...), as memcached's "<id>:<field>" lines. */
export type ClassStats = Record<string, Record<string, number>>;

/** `stats slabs`: "1:chunk_size 96" becomes slabs["1"].chunk_size. */
export interface SlabsStats {
  slabs: ClassStats;
  active_slabs: number;
  total_malloced: number;
}

/** `stats items`: "items:1:number 3" becomes items["1"].number. */
export interface ItemsStats {
  items: ClassStats;
}

/** `stats conns`: "17:addr tcp:..." becomes conns["17"].addr. */
export interface ConnsStats {
  conns: Record<string, StatMap>;
}

export interface Readiness {
  /** Every listener is bound and the server is not shutting down. */
  listening: boolean;
  /** A new connection would be accepted (fewer than -c are open). */
  accepting: boolean;
}

/** Outcome of a state-changing action, named as memcached's replies name them. */
export type FlushResult = 'OK' | 'DISABLED';
export type ReassignResult = 'OK' | 'BUSY' | 'BADCLASS' | 'NOSPARE' | 'SAME' | 'DISABLED';

/** What an authorized operator may change. Absent: the admin offers no actions. */
export interface StatsActions {
  /** flush_all [delay]: DISABLED under -F. */
  flush(delaySeconds: number): FlushResult;
  /** slabs reassign <src> <dst>: DISABLED without slab_reassign. */
  reassign?(src: number, dst: number): ReassignResult;
}

export interface StatsSource {
  stats(): StatMap;
  settings(): StatMap;
  slabs(): SlabsStats;
  items(): ItemsStats;
  conns(): ConnsStats;
  readiness(): Readiness;
  actions?: StatsActions;
}
