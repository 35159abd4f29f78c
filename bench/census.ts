// What a grading process has left on the machine, counted from /proc: its
// open file descriptors, its descendant processes and the namespaces they
// hold, and its scratch folders. Used by the leftovers stress script and by
// the kill tests.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { ownedScratchDirs } from '../runner/scratch-dirs.js';
import { procStat } from '../runner/proc-stat.js';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, names one process for good. */
  start: number;
  state: string;
}

function readStat(pid: number): ProcessEntry | null {
  const stat = procStat(pid);
  return stat && { pid, ppid: stat.ppid, start: stat.start, state: stat.state };
}

/** Every process on the machine, as /proc shows it now. */
export function processTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const e = readStat(Number(name));
    if (e) out.push(e);
  }
  return out;
}

/** The descendants of `root` (not root itself), through the ppid chains of the table. */
export function descendantsOf(root: number, table = processTable()): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const e of table) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e]);
  const out: ProcessEntry[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Still running: present with the same start time, and not a zombie (dead, only waiting for its reaper). */
export function stillRunning(p: ProcessEntry): boolean {
  const now = readStat(p.pid);
  return now !== null && now.start === p.start && now.state !== 'Z';
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Running processes whose command line or environment mentions `text` (a run's unique temporary path). */
export function processesMentioning(text: string): ProcessEntry[] {
  return processTable().filter((p) => {
    if (p.state === 'Z' || p.pid === process.pid) return false;
    if (commandLine(p.pid).includes(text)) return true;
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

export interface Census {
  /** Open file descriptors of this process. */
  fds: number;
  /** Running (non-zombie) descendants of this process. */
  processes: number;
  /** Distinct network, pid and mount namespaces held by those descendants and not by this process. */
  namespaces: number;
  /** Scratch folders recorded as this process's. */
  scratchDirs: number;
}

function namespacesOf(pid: number): string[] {
  const out: string[] = [];
  for (const kind of ['net', 'pid', 'mnt']) {
    try {
      out.push(readlinkSync(`/proc/${pid}/ns/${kind}`));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

export function census(tmp = os.tmpdir()): Census {
  const running = descendantsOf(process.pid).filter((p) => p.state !== 'Z');
  const own = new Set(namespacesOf(process.pid));
  const namespaces = new Set(running.flatMap((p) => namespacesOf(p.pid)).filter((n) => !own.has(n)));
  return {
    fds: readdirSync('/proc/self/fd').length,
    processes: running.length,
    namespaces: namespaces.size,
    scratchDirs: ownedScratchDirs(tmp).filter((d) => d.owner.pid === process.pid).length,
  };
}

/** What each open fd of this process points to (a socket, a pipe, a file): to say which one leaked. */
export function openFds(): string[] {
  return readdirSync('/proc/self/fd').map((fd) => {
    try {
      return `${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`;
    } catch {
      return `${fd} (closed meanwhile)`;
    }
  });
}
