/**
 * The fleet: one ServerPool per server and the ring that places keys on them. A key goes to
 * its ring owner; when that server is ejected the key fails fast, or, with `failover`, goes to
 * the next live server clockwise on the ring (keys of live servers never move).
 *
 * With equal weights that is exactly where libmemcached's auto-eject sends a dead server's
 * keys (it rebuilds the ring without the server, and the other servers' points do not change);
 * with unequal weights libmemcached's rebuild also recounts the other servers' points, so a few
 * of their keys move there and not here. Either way a server that comes back gets its keys back
 * and may serve values older than those written elsewhere meanwhile: keep TTLs short, or leave
 * failover off where that matters.
 *
 * With discovery the server list changes while the client runs: `update` builds a new ring
 * and keeps the pools (and connections) of the servers that stay; the keys that move are only
 * those of the servers that left or the share the new ones take (ketama's point names do not
 * depend on the other servers). Until the first list arrives there are no servers at all.
 */
import type { ServerSpec } from './address.ts';
import { Codes, ServerDownError } from './errors.ts';
import { type PoolEvents, type PoolOptions, ServerPool } from './pool.ts';
import { Ring } from './ring.ts';

/** What `update` changed. */
export interface ClusterChange {
  added: ServerPool[];
  removed: ServerPool[];
}

export class Cluster {
  ring: Ring | null;
  pools: readonly ServerPool[];
  private readonly failover: boolean;
  private readonly options: PoolOptions;
  private readonly events: PoolEvents;

  constructor(
    servers: readonly ServerSpec[],
    options: PoolOptions & { failover: boolean },
    events: PoolEvents,
  ) {
    this.ring = servers.length > 0 ? new Ring(servers) : null;
    this.pools = servers.map((s) => new ServerPool(s, options, events));
    this.failover = options.failover;
    this.options = options;
    this.events = events;
  }

  /**
   * Takes `servers` as the fleet (in this order: callers sort discovered lists so that every
   * client builds the same ring). Pools of servers still listed with the same weight are
   * kept; the others are returned in `removed` for the caller to close once they are off the
   * ring. An empty list keeps the current fleet.
   */
  update(servers: readonly ServerSpec[]): ClusterChange {
    const change: ClusterChange = { added: [], removed: [] };
    if (servers.length === 0) return change;
    const old = new Map(this.pools.map((p) => [p.server.address, p]));
    const pools = servers.map((s) => {
      const pool = old.get(s.address);
      if (pool && pool.server.weight === s.weight) {
        old.delete(s.address);
        return pool;
      }
      const fresh = new ServerPool(s, this.options, this.events);
      change.added.push(fresh);
      return fresh;
    });
    change.removed = [...old.values()];
    if (change.added.length === 0 && change.removed.length === 0) {
      if (pools.every((p, i) => p === this.pools[i])) return change;
    }
    this.ring = new Ring(servers);
    this.pools = pools;
    return change;
  }

  /** The pool of the server that owns `key` on the ring, up or not. */
  owner(key: string): ServerPool {
    if (this.ring === null) throw noServers();
    return this.pools[this.ring.indexOf(key)];
  }

  /** Where a request for `key` goes now; a ServerDownError when nowhere. */
  route(key: string): ServerPool | ServerDownError {
    if (this.ring === null) return noServers();
    const owner = this.owner(key);
    if (owner.up || !this.failover) return owner.up ? owner : owner.downError();
    for (const i of this.ring.order(key)) if (this.pools[i].up) return this.pools[i];
    return owner.downError();
  }

  /** Keys grouped by the pool they route to; keys with nowhere to go under their error. */
  group(keys: readonly string[]): Map<ServerPool | ServerDownError, string[]> {
    const groups = new Map<ServerPool | ServerDownError, string[]>();
    const errors = new Map<ServerPool | null, ServerDownError>();
    for (const key of keys) {
      let target = this.route(key);
      if (!(target instanceof ServerPool)) {
        // One error per down server, so its keys share one group.
        const owner = this.ring === null ? null : this.owner(key);
        target = errors.get(owner) ?? target;
        errors.set(owner, target);
      }
      const list = groups.get(target);
      if (list) list.push(key);
      else groups.set(target, [key]);
    }
    return groups;
  }

  close(): Promise<void> {
    return Promise.all(this.pools.map((p) => p.close())).then(() => undefined);
  }
}

function noServers(): ServerDownError {
  return new ServerDownError(Codes.NO_SERVERS, 'no servers (discovery has found none yet)');
}
