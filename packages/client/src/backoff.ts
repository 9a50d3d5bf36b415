/**
 * Waits between attempts to reach a server that is down: exponential from `base` up to `max`,
 * with "equal jitter" (half the delay fixed, half random), so the clients of a fleet that lost
 * a server together do not all knock on it again at the same instant.
 */
export function backoffDelay(
  attempt: number,
  base: number,
  max: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
