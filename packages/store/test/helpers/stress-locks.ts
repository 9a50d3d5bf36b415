/**
 * Lock diagnostics for the stress test: which lock words are held, and by which thread id
 * (see lock.ts: a held word records its owner). Also the layout of the progress counters the
 * watchdog (stress-watchdog.ts) reads.
 */
import { C_PAGES_LOCK, C_SPLIT_LOCK, classBase, K_LOCK, STRIPES_BASE } from '../../src/layout.ts';
import { lockOwner } from '../../src/lock.ts';

/** Progress slot of the main thread's heartbeat; workers use slots 1..n. */
export const MAIN_BEAT = 0;
/** Slot set to 1 when the test is over and the watchdog should stop. */
export const doneSlot = (workers: number) => workers + 1;

export function heldLocks(control: SharedArrayBuffer, stripes: number, largest: number): string[] {
  const ctl = new Int32Array(control);
  const held: string[] = [];
  for (let i = 0; i < stripes; i++) {
    const o = lockOwner(ctl, STRIPES_BASE + i);
    if (o >= 0) held.push(`stripe ${i} by thread ${o}`);
  }
  for (let c = 1; c <= largest; c++) {
    const o = lockOwner(ctl, classBase(c) + K_LOCK);
    if (o >= 0) held.push(`class ${c} by thread ${o}`);
  }
  const split = lockOwner(ctl, C_SPLIT_LOCK);
  if (split >= 0) held.push(`split lock by thread ${split}`);
  const pages = lockOwner(ctl, C_PAGES_LOCK);
  if (pages >= 0) held.push(`pages lock by thread ${pages}`);
  return held;
}
