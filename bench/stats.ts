// Small helpers for the benchmarks: medians and a printed table.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function printTable(title: string, rows: Record<string, number | string>): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  for (const [k, v] of Object.entries(rows)) {
    process.stdout.write(`  ${k.padEnd(width)}  ${typeof v === 'number' ? v.toFixed(1) : v}\n`);
  }
}
