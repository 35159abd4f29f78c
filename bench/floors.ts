// The floors each grade is compared with, measured in the same run as the
// grade (interleaved with it, so a busy moment slows both): the compiler
// alone on the same file, an empty Node process, and one bare sandbox start.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { timeOk } from './measure.js';

export type FloorName = 'gcc' | 'node' | 'bwrap';

/**
 * The bare sandbox start: bwrap with the same namespaces and the same /usr
 * view as the grading sandbox (runner/sandbox/command.ts), running `true`.
 * No network namespace, no launcher, no limits: the least a sandboxed start costs.
 */
export const BWRAP_TRUE = [
  'bwrap', '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
  '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
  '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
  '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', '/usr/bin/true',
];

export interface Floors {
  /** How each floor is run, for the printed lines. */
  commands: Record<FloorName, string>;
  /** Runs every floor once; each call appends one wall and one CPU time (s) per floor. */
  measureOnce(): Promise<void>;
  wall: Record<FloorName, number[]>;
  cpu: Record<FloorName, number[]>;
  dispose(): void;
}

/** gccArgs: the compile the grade itself must do at least, with its source path; the output goes to a scratch folder. */
export function makeFloors(gccArgs: string[]): Floors {
  const out = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-gcc-'));
  const object = gccArgs.includes('-c') ? 'floor.o' : 'floor';
  const argv: Record<FloorName, string[]> = {
    gcc: ['gcc', ...gccArgs, '-o', path.join(out, object)],
    node: [process.execPath, '-e', '0'],
    bwrap: BWRAP_TRUE,
  };
  const wall: Record<FloorName, number[]> = { gcc: [], node: [], bwrap: [] };
  const cpu: Record<FloorName, number[]> = { gcc: [], node: [], bwrap: [] };
  return {
    commands: {
      gcc: `gcc ${gccArgs.map((a) => (path.isAbsolute(a) ? path.basename(a) : a)).join(' ')}`,
      node: 'node -e 0',
      bwrap: 'bwrap (the sandbox\'s namespaces, /usr read-only) true',
    },
    wall,
    cpu,
    async measureOnce() {
      for (const name of ['gcc', 'node', 'bwrap'] as const) {
        const t = await timeOk(argv[name]);
        wall[name].push(t.wallS);
        cpu[name].push(t.cpuS);
      }
    },
    dispose: () => rmSync(out, { recursive: true, force: true }),
  };
}
