// What the machine needs to grade in a sandbox, and the one-line fix when it
// lacks it. Checked before a job starts, so the user sees "install X" rather
// than a job that dies half-way.
import { readFileSync } from 'node:fs';
import { findOnPath } from '../on-path.js';
import { SandboxUnavailableError } from '../errors.js';
import type { SandboxKind } from '../types.js';

/** On PATH, or in the system folders a non-login shell may leave out of it. */
function onPath(cmd: string): boolean {
  return findOnPath(cmd, `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`) !== null;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const NEEDS: { cmd: string; pkg: string; when: 'always' | 'root' }[] = [
  { cmd: 'bwrap', pkg: 'bubblewrap', when: 'always' },
  { cmd: 'unshare', pkg: 'util-linux', when: 'always' },
  { cmd: 'ip', pkg: 'iproute2', when: 'always' },
  // Also ties every job to the grading process (run-job.ts), sandboxed or not.
  { cmd: 'setpriv', pkg: 'util-linux', when: 'always' },
  { cmd: 'gcc', pkg: 'gcc', when: 'always' },
];

/** Throws SandboxUnavailableError naming the package to install. */
export function assertSandboxTools(kind: SandboxKind): void {
  const needed = NEEDS.filter((n) => kind === 'bwrap' || n.cmd === 'gcc' || n.cmd === 'setpriv').filter((n) => n.when === 'always' || isRoot());
  const missing = needed.filter((n) => !onPath(n.cmd));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
    throw new SandboxUnavailableError(
      `cannot grade: ${missing.map((m) => m.cmd).join(', ')} not found; install it with: sudo apt-get install ${pkgs}`,
    );
  }
  if (kind === 'user' && !isRoot()) {
    throw new SandboxUnavailableError('cannot grade: --sandbox user runs the programs as a separate user, which needs root; use --sandbox bwrap');
  }
  if (kind === 'bwrap' && !isRoot()) {
    try {
      if (readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim() === '0') throw new Error();
    } catch {
      throw new SandboxUnavailableError(
        'cannot grade: user namespaces are disabled; enable them with: sudo sysctl -w user.max_user_namespaces=15000',
      );
    }
  }
}

/** Turns what a failed job start printed into the fix the user needs. */
export function explainSandboxFailure(detail: string): SandboxUnavailableError {
  const d = detail.trim().split('\n').pop() ?? detail;
  if (/Operation not permitted|EPERM|No permissions to create new namespace|setting up uid map/i.test(detail)) {
    return new SandboxUnavailableError(
      `cannot grade: the kernel refused a user/network namespace (${d}); allow unprivileged user namespaces ` +
        '(sudo sysctl -w kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0) or run in the docker/ image',
    );
  }
  return new SandboxUnavailableError(`cannot grade: the sandbox failed to start (${d}); see README.md, section Sandbox`);
}
