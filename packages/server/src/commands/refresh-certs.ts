/**
 * refresh_certs [noreply]: memcached's TLS certificate reload. Every worker reads the
 * certificate, key and CA files again; new connections get the new certificate, open ones
 * keep theirs. OK, or the reason the files could not be used (the old ones stay in force).
 */
import type { Tokens } from '@slabcache/protocol';
import { Replies } from '@slabcache/protocol';
import type { Connection } from '../connection.ts';
import { noreplyMaybe } from '../text/noreply.ts';

export function refreshCerts(c: Connection, t: Tokens): void {
  noreplyMaybe(c, t);
  const error = c.ctx.refreshCerts();
  if (error === null) {
    c.reply(Replies.OK);
    return;
  }
  c.noreply = false;
  c.out.text(`SERVER_ERROR ${error.replace(/[\r\n]+/g, ' ')}\r\n`);
}
