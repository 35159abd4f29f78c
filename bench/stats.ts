// Small helpers for the benchmarks: medians, minima and the printed lines.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function min(xs: number[]): number {
  return Math.min(...xs);
}

/** Seconds with the precision a 2-core machine's noise allows: 1.12 s, 0.080 s, 0.0061 s. */
export function secs(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : s >= 0.01 ? `${s.toFixed(3)} s` : `${s.toFixed(4)} s`;
}

/** CPU seconds as GNU time counts them: in 10 ms ticks. */
export function cpu(s: number): string {
  return s < 0.01 ? '< 0.01 s' : `${s.toFixed(2)} s`;
}

/** "1.12 s (min 1.05)": a median beside the run's best, since a busy machine only adds time. */
export function medMin(xs: number[]): string {
  return `${secs(median(xs))} (min ${secs(min(xs))})`;
}

export function ratio(x: number, floor: number): string {
  return `${(x / floor).toFixed(1)}×`;
}

export function printSection(title: string, lines: [string, string][]): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}
