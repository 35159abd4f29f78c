// What a process's end says, as Node says it: a signal's name from its
// number (the launcher's record, a wait status), for the runner and the
// job's start alike. Small: bin/sockgrade.js loads it before the CLI.
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
