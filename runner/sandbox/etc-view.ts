// The sandbox's /etc made once per grade: a small tmpfs in the job's own mount
// namespace holding bind mounts of the machine's files and sockgrade's own
// ones (the same files, not copies: a change to them is seen by the next
// grade), then made read-only, so nothing in the job can add an entry. Every
// sandbox of the job then shows it with one bind instead of one per entry,
// which saves the kernel ~2.5 ms of CPU per start. Made through the job's
// addon, in the job's own process (a helper process cost a process start per
// grade); a job without its addon binds each entry in every sandbox instead.
import { closeSync, mkdirSync, openSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { JobAddon } from '../job/addon.js';
import { etcEntries, type SandboxEtcFiles } from './command.js';

const OPTIONS = 'size=1m,mode=0755';

/** Makes the view at `dir` (created here, or a tmpfs over it when there); throws naming the entry that failed. */
export function prepareEtcView(addon: JobAddon, dir: string, own: SandboxEtcFiles | undefined): string {
  mkdirSync(dir, { mode: 0o755, recursive: true });
  addon.mountTmpfs(dir, OPTIONS, 'sockgrade-etc');
  for (const e of etcEntries(own)) {
    if (e.name.includes('/')) throw new Error(`bad /etc entry name ${e.name}`);
    const at = path.join(dir, e.name);
    if (e.kind === 'link') {
      symlinkSync(e.source, at);
      continue;
    }
    // A bind mount needs something of the same kind to cover: an empty folder or file.
    if (statSync(e.source).isDirectory()) mkdirSync(at, { mode: 0o755 });
    else closeSync(openSync(at, 'wx', 0o644));
    addon.bindMount(e.source, at);
  }
  addon.remountReadOnly(dir, OPTIONS);
  return dir;
}
