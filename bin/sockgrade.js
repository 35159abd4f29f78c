#!/bin/sh
":" //; unset NODE_EXTRA_CA_CERTS; case "$1:${SOCKGRADE_SANDBOX:-auto}" in grade:auto|grade:bwrap) case " $* " in *" --sandbox"*|*" -h "*|*" --help "*) ;; *) s="$0"; [ -L "$s" ] && s="$(readlink -f "$s")"; r="${s%/*}/../dist/native/reaper"; [ -x "$r" ] && exec "$r" --ahead-of-cli "${s%/*}/../dist/bundle/job.js" -- node "$0" "$@";; esac;; esac; exec node "$0" "$@"
// Entry point of the `sockgrade` command: the compiled CLI lives in dist/.
// Run as a command (`sockgrade`, `npx sockgrade`, a symlink to this file),
// the line above is shell: it starts Node on this same file without
// NODE_EXTRA_CA_CERTS, whose certificate file Node otherwise reads and parses
// before any code runs (~40 ms of a ~60 ms start where a distribution's whole
// bundle is named); sockgrade makes no TLS connection. For `grade` (with the
// bwrap sandbox, or the default), when it finds the reaper built beside this
// file (dist/native/reaper, linked at install; through the link npm, npx or a
// global install run it by, resolved), it starts Node through the reaper,
// which first forks the grading job: the job's own Node start then runs
// beside the CLI's rather than after it (runner/job/reaper.c). To Node the
// line is a string and a comment, so `node bin/sockgrade.js` runs the same
// code.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/grader/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('sockgrade: not built yet; run: npm install (or npm run build)\n');
  process.exit(2);
}
const argv = process.argv.slice(2);
// `grade`'s job, started before the CLI loads (by the shell line above, which the CLI then
// takes, or else here), so that its own start overlaps the CLI's rather than following it; the
// CLI takes it when it would start the same, else kills it.
const ahead = !process.env.SOCKGRADE_JOB_AHEAD && argv[0] === 'grade'
  ? (await import(new URL('../dist/runner/job/job-command.js', import.meta.url).href)).startJobAhead(argv)
  : null;
// The CLI as a bundle (dist/bundle/, made at build time), while it is as new as what it was made from.
const { freshBundle } = await import(new URL('../dist/runner/bundles.js', import.meta.url).href);
const bundled = freshBundle('cli');
// The bundle is CommonJS: required, not imported, so that Node does not first scan its source for
// the names it exports (as it must for an import: ~8 ms on a slow machine).
const { main } = bundled ? createRequire(import.meta.url)(bundled) : await import(cli.href);
process.exitCode = await main(argv, ahead ?? undefined);
