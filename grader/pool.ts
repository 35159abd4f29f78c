// A fixed number of gradings at a time: each grading job is a sandbox with
// its own processes, and two of them already fill two cores.

/**
 * Runs `fn` over `items`, at most `workers` at a time; results in item order.
 * An error stops new starts; it is rethrown once the running ones have ended,
 * so no grading job is left behind.
 */
export async function inPool<T, R>(items: readonly T[], workers: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  async function worker(): Promise<void> {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
