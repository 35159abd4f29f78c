// What the system's numbers are called, as Node says them: a signal's name
// (the launcher's record, a wait status) and an errno's (a failed start, a
// socket call's failure), for the runner, the job's start and the verdicts
// alike. Small: bin/sockgrade.js loads it before the CLI.
import { constants } from 'node:os';

/** The name of signal `n` (SIGKILL...), null for a number this system does not name. */
export function signalName(n: number): NodeJS.Signals | null {
  return (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null;
}

/** A wait status (waitpid's, or /proc's exit_code) as Node gives a child's end: an exit code, or the signal that ended it. */
export function waitStatusEnd(status: number): { exitCode: number | null; signalCode: NodeJS.Signals | null } {
  const signal = status & 0x7f;
  return signal === 0 ? { exitCode: (status >> 8) & 0xff, signalCode: null } : { exitCode: null, signalCode: signalName(signal) };
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno as Record<string, number>).map(([k, v]) => [v, k]));

/** The name of errno `n` (ENOENT...), `errno N` for a number this system does not name. */
export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}
