// Waiting for events with a deadline. Nothing here sleeps a fixed time: each
// helper returns as soon as its event happens, and gives up at the deadline.

export interface Deadline {
  at: number;
}

export function deadline(ms: number): Deadline {
  return { at: performance.now() + ms };
}

export function remaining(d: Deadline): number {
  return Math.max(0, d.at - performance.now());
}

/** Resolves to the promise's value, or to `undefined` if the deadline passes first. */
export async function withDeadline<T>(p: Promise<T>, d: Deadline): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), remaining(d));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls a condition that has no event to wait on (a port appearing in
 * /proc/net/udp6, a pid disappearing), a few milliseconds apart, until it holds
 * or the deadline passes. `stop` ends the wait early (e.g. the process died).
 * `wake` subscribes to something that often comes just as the condition
 * turns true (the report line of the call that bound the port): it is then
 * checked at once rather than at the next poll.
 */
export async function waitUntil(
  condition: () => boolean,
  d: Deadline,
  opts: { intervalMs?: number; stop?: () => boolean; wake?: (poke: () => void) => () => void } = {},
): Promise<boolean> {
  const interval = opts.intervalMs ?? 2;
  let poke: (() => void) | null = null;
  const unsubscribe = opts.wake?.(() => poke?.());
  try {
    for (;;) {
      if (condition()) return true;
      if (opts.stop?.() || remaining(d) === 0) return condition();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(interval, remaining(d)));
        poke = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      poke = null;
    }
  } finally {
    unsubscribe?.();
  }
}
