// The integers a task draws instead of listing them (`random_ints:`) come
// from this generator, seeded by --seed and the test, so a run replays.

/** A small deterministic generator (mulberry32) of u32 values. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
