/**
 * @slabcache/client against three slabcached nodes (embedded in this process): every call on
 * the meta, text and binary protocols, multi-get across nodes, serializers, compression,
 * fetch with stale-while-revalidate, the local cache. The same suite runs against Debian's
 * memcached in client-api-memcached.test.ts; SLABCACHE_CLIENT_TARGET=memcached runs this file
 * against memcached too.
 */
import t from 'tap';
import { clientSuite } from './helpers/client-suite.ts';

clientSuite(t, process.env.SLABCACHE_CLIENT_TARGET === 'memcached' ? 'memcached' : 'embedded');
