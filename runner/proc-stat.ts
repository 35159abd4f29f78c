// One reader of /proc/PID/stat for everything that asks the kernel about a
// process (CPU time, parent, start time, state). The command name may hold
// spaces and parentheses, so the fields are read after its last ')'.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** R running or runnable, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  /** User and system CPU time, in clock ticks (USER_HZ, 100 on Linux). */
  utime: number;
  stime: number;
  /** Of the children it has waited for, in clock ticks. */
  cutime: number;
  cstime: number;
  /** Start time in clock ticks since boot: with the pid, it names one process for good. */
  start: number;
  /** Once it has exited (state Z): its status as waitpid() would give it. */
  exitStatus: number;
}

/** The stat of a process; null when there is no such process (any more). */
export function procStat(pid: number | 'self'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, numbered from 0: state, ppid, ...; see proc(5), minus 3.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    state: f[0]!,
    ppid: Number(f[1]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    cutime: Number(f[13]),
    cstime: Number(f[14]),
    start: Number(f[19]),
    exitStatus: Number(f[49]),
  };
}
