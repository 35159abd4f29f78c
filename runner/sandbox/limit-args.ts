// The launchers' (sg-launch, sg-remote) limit arguments, in the order their
// command lines take them. Its own module so that every backend can use it
// without importing runner/sandbox/command.ts, which imports the backends.
import type { CommandPlan } from '../types.js';

export function limitArgs(plan: CommandPlan): string[] {
  const l = plan.limits;
  return [
    String(Math.max(1, Math.ceil(l.cpuSeconds))),
    String(l.memoryMb * 1024 * 1024),
    String(l.processes + 1), // the launcher itself runs as the same user and counts too
    String(l.fileSizeMb * 1024 * 1024),
    String(l.openFiles),
  ];
}
