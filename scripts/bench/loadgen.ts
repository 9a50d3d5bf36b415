/**
 * The load generator process of scripts/bench/server.ts (not run by hand). The parent starts it
 * (pinned to its own core with taskset) with an IPC channel and sends it commands:
 *
 *   { type: 'run', id, spec: RunSpec, seed }   -> { type: 'mark', id, phase } x2, then
 *                                                 { type: 'result', id, result: RunResult }
 *   { type: 'load', id, spec: LoadSpec }        -> { type: 'loaded', id, result: LoadResult }
 *   { type: 'exit' }
 *
 * Failures come back as { type: 'error', id, message }. It exits when the parent goes away.
 * Request streams are built once per workload and kept, so every round and both servers are
 * sent exactly the same bytes.
 */
import {
  buildStream,
  type LoadSpec,
  loadKeys,
  type RequestStream,
  type RunSpec,
  runLoad,
} from './loadgen-core.ts';

export type GenCommand =
  | { type: 'run'; id: number; spec: RunSpec; seed: number }
  | { type: 'load'; id: number; spec: LoadSpec }
  | { type: 'exit' };

const streams = new Map<string, RequestStream>();

function reply(msg: unknown): void {
  process.send?.(msg);
}

async function handle(cmd: GenCommand): Promise<void> {
  if (cmd.type === 'exit') {
    process.exit(0);
  }
  try {
    if (cmd.type === 'run') {
      const key = `${JSON.stringify(cmd.spec.workload)}#${cmd.seed}`;
      let stream = streams.get(key);
      if (!stream) {
        stream = buildStream(cmd.spec.workload, cmd.seed);
        streams.set(key, stream);
      }
      const result = await runLoad(cmd.spec, stream, (phase) =>
        reply({ type: 'mark', id: cmd.id, phase }),
      );
      reply({ type: 'result', id: cmd.id, result });
    } else if (cmd.type === 'load') {
      const result = await loadKeys(cmd.spec);
      reply({ type: 'loaded', id: cmd.id, result });
    }
  } catch (e) {
    reply({ type: 'error', id: cmd.id, message: e instanceof Error ? e.message : String(e) });
  }
}

if (!process.send) {
  console.error('loadgen.ts is started by scripts/bench/server.ts (it needs an IPC channel)');
  process.exit(2);
}
process.on('message', (m) => void handle(m as GenCommand));
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready', pid: process.pid });
