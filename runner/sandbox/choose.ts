// Which backend runs the student's programs, when the user lets sockgrade
// choose (--sandbox auto, or a list such as bwrap,user: the first that can
// run here). bwrap is sockgrade's own sandbox and the strongest; inside an
// INGInious grading container, where it cannot start, run_student can.
import { spawnSync } from 'node:child_process';
import { findOnPath } from '../on-path.js';
import { isRoot } from './probe.js';
import type { SandboxKind } from '../types.js';

export const SANDBOX_KINDS: readonly SandboxKind[] = ['bwrap', 'inginious', 'user', 'none'];

/** What `auto` means: bwrap, or INGInious's run_student where bwrap cannot start. */
const AUTO: SandboxKind[] = ['bwrap', 'inginious'];

function succeeds(file: string, args: string[]): boolean {
  const r = spawnSync(file, args, { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * Can bwrap make a sandbox here, as a job would: a user and pid namespace
 * (as nobody, when root), and the job's own network and mount namespaces.
 */
export function bwrapCanRun(): boolean {
  const box = ['--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--', 'true'];
  if (isRoot()) {
    return succeeds('unshare', ['--net', '--mount', 'true']) &&
      succeeds('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', 'bwrap', ...box]);
  }
  return succeeds('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true']) && succeeds('bwrap', box);
}

function canRun(kind: SandboxKind): boolean {
  switch (kind) {
    case 'bwrap': return bwrapCanRun();
    case 'inginious': return findOnPath('run_student', process.env.PATH ?? '') !== null;
    case 'user': return isRoot();
    case 'none': return true;
  }
}

/** Parses `auto` or a comma-separated list of backends; null when a name is unknown. */
export function parseSandboxChoice(value: string): SandboxKind[] | null {
  if (value === 'auto') return AUTO;
  const kinds = value.split(',').map((s) => s.trim());
  return kinds.every((k) => (SANDBOX_KINDS as readonly string[]).includes(k)) ? (kinds as SandboxKind[]) : null;
}

/** The backend chooseSandbox picks when it needs no probe to know it (one kind; auto outside INGInious); else null. */
export function choiceWithoutProbe(kinds: SandboxKind[]): SandboxKind | null {
  if (kinds.length === 1) return kinds[0]!;
  const later = kinds.slice(1);
  if (kinds[0] === 'bwrap' && later.every((k) => k === 'inginious') && findOnPath('run_student', process.env.PATH ?? '') === null) return 'bwrap';
  return null;
}

/**
 * The first backend of the list that can run here. Probing costs a few ms,
 * so a list whose alternatives are all absent (auto, outside INGInious) is
 * not probed: its first backend is used and fails with its own fix.
 */
export function chooseSandbox(kinds: SandboxKind[]): SandboxKind {
  const known = choiceWithoutProbe(kinds);
  if (known) return known;
  for (const kind of kinds.slice(0, -1)) if (canRun(kind)) return kind;
  return kinds[kinds.length - 1]!;
}
