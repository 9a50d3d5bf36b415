/**
 * The @slabcache/client suite (test/helpers/client-suite.ts) against three Debian memcached
 * processes: what the client does is what memcached itself answers. .ci/run installs
 * memcached; outside CI the file skips when it is missing.
 */
import t from 'tap';
import { clientSuite } from './helpers/client-suite.ts';

clientSuite(t, 'memcached');
