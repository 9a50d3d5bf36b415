/**
 * @slabcache/server: slabcached as a library, for tests and embedding. The daemon itself is
 * bin/slabcached (src/main.ts).
 */
export { type CliError, parse, type ServerConfig } from './cli/options.ts';
export { type RunningServer, type StartOptions, startServer } from './server.ts';
