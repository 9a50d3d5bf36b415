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
 */
import type { ServerSpec } from './address.ts';
import type { ServerDownError } from './errors.ts';
import { type PoolEvents, type PoolOptions, ServerPool } from './pool.ts';
import { Ring } from './ring.ts';

export class Cluster {
  readonly ring: Ring;
  readonly pools: readonly ServerPool[];
  private readonly failover: boolean;

  constructor(
    servers: readonly ServerSpec[],
    options: PoolOptions & { failover: boolean },
    events: PoolEvents,
  ) {
    this.ring = new Ring(servers);
    this.pools = servers.map((s) => new ServerPool(s, options, events));
    this.failover = options.failover;
  }

  /** The pool of the server that owns `key` on the ring, up or not. */
  owner(key: string): ServerPool {
    return this.pools[this.ring.indexOf(key)];
  }

  /** Where a request for `key` goes now; a ServerDownError when nowhere. */
  route(key: string): ServerPool | ServerDownError {
    const owner = this.owner(key);
    if (owner.up || !this.failover) return owner.up ? owner : owner.downError();
    for (const i of this.ring.order(key)) if (this.pools[i].up) return this.pools[i];
    return owner.downError();
  }

  /** Keys grouped by the pool they route to; keys with nowhere to go under their error. */
  group(keys: readonly string[]): Map<ServerPool | ServerDownError, string[]> {
    const groups = new Map<ServerPool | ServerDownError, string[]>();
    const errors = new Map<ServerPool, ServerDownError>();
    for (const key of keys) {
      let target = this.route(key);
      if (!(target instanceof ServerPool)) {
        // One error per down server, so its keys share one group.
        const owner = this.owner(key);
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
