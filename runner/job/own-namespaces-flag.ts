// The argument that tells a job it runs in namespaces of its own, made by its
// reaper: composed on the job's command line by job-command.ts, read by the
// job (start.ts, main.ts). A module of its own: bin/sockgrade.js loads
// job-command.ts before the CLI, and should load nothing of the job with it.

export const OWN_NAMESPACES = '--own-namespaces';

/** True when the job's command line says it has namespaces of its own. */
export function hasOwnNamespaces(argv: string[]): boolean {
  return argv.includes(OWN_NAMESPACES);
}
