// A sandbox's process started through the job's addon (runner/spawn.ts,
// spawnProcess in job-addon.c) must be the process Node's spawn would start:
// the same descriptors, environment, folder, session, ids, signal state, and
// the same end as Node reports it. Each case runs real processes both ways.
import { execa } from 'execa';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJobAddon, type JobAddon } from '../runner/job/addon.js';
import { compileJobAddon } from '../runner/sandbox/native.js';
import { isRoot } from '../runner/sandbox/probe.js';
import { startProcess, type ProcessStarter, type StartOptions } from '../runner/spawn.js';

let addon: JobAddon;
let addonFile: string;

beforeAll(async () => {
  const file = await compileJobAddon();
  expect(file, "the addon builds where Node's headers are installed").not.toBeNull();
  addonFile = file!;
  addon = loadJobAddon(addonFile)!;
  expect(addon?.spawnProcess).toBeTypeOf('function');
});

interface Seen {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string[];
  error?: string;
  pid: number | undefined;
}

const text = (s: Readable | null | undefined): Promise<string> =>
  new Promise((resolve) => {
    if (!s) return resolve('');
    let t = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (t += d));
    s.on('close', () => resolve(t));
  });

/** This process's descriptors above stderr without close-on-exec: any child started from it keeps them. */
function inheritableDescriptors(): Set<number> {
  const fds = readdirSync('/proc/self/fd').map(Number).filter((fd) => fd > 2);
  const O_CLOEXEC = 0o2000000;
  const inheritable = (fd: number): boolean => {
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0;
    } catch {
      return false; // the folder's own descriptor, closed by now
    }
  };
  return new Set(fds.filter(inheritable));
}

/** Runs one process to its end; what it printed on each piped descriptor, and how it ended. */
async function run(starter: ProcessStarter | null, file: string, args: string[], opts: StartOptions, onStart?: (kill: () => boolean) => void): Promise<Seen> {
  const child = startProcess(starter, file, args, opts);
  const outputs = opts.stdio.map((how, fd) => (how === 'pipe' ? text(child.stdio[fd] as Readable) : Promise.resolve('')));
  const end = new Promise<Omit<Seen, 'out' | 'pid'>>((resolve) => {
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: e.code }));
  });
  onStart?.(() => child.kill('SIGKILL'));
  const ended = await end;
  const seen = { ...ended, out: await Promise.all(outputs), pid: child.pid };
  expect(child.kill('SIGKILL'), 'a process that ended is not signalled').toBe(false);
  return seen;
}

/** The same process both ways: what the addon's start shows, once it is checked to be what Node's shows. */
async function both(file: string, args: string[], opts: StartOptions, onStart?: (kill: () => boolean) => void): Promise<Seen> {
  const viaNode = await run(null, file, args, opts, onStart);
  const viaAddon = await run(addon, file, args, opts, onStart);
  const same = (s: Seen) => ({ ...s, pid: s.pid === undefined, out: s.out.map((o) => o.replaceAll(String(s.pid), 'PID')) });
  expect(same(viaAddon)).toEqual(same(viaNode));
  return viaAddon;
}

describe('a process started without forking the job', () => {
  it('gets the descriptors, environment, folder and session Node would give it, and ends as Node says', async () => {
    const extra = openSync('/etc/hostname', 'r'); // a descriptor of ours, handed over as fd 4
    try {
      const script = [
        'echo "out $FOO $(pwd)"',
        'echo err >&2',
        'echo three >&3',
        'echo "four: $(readlink /proc/$$/fd/4)"',
        // pid, process group, session (fields 1, 5, 6): a session of its own, as `detached` makes it
        'read pid comm state ppid pgrp session rest </proc/$$/stat; echo "ids $pid $pgrp $session"',
        // Read by the shell itself: a shell blocks every signal while it forks, and a grep could see that.
        'while read -r name value; do case $name in SigBlk:|SigIgn:) echo "$name $value";; esac; done </proc/$$/status',
        // The shell's own glob, not `ls | sort`: a pipeline's pipe may or may not still be open in the shell as ls looks.
        'printf "fds"; for f in /proc/$$/fd/*; do printf " %s" "${f##*/}"; done; echo',
        'exit 3',
      ].join('\n');
      const seen = await both('sh', ['-c', script], {
        cwd: os.tmpdir(),
        env: { FOO: 'bar', PATH: '/usr/bin:/bin', UNSET: undefined },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', extra],
      });
      expect(seen.code).toBe(3);
      expect(seen.out[1]).toContain(`out bar ${os.tmpdir()}\nfour: /etc/hostname\n`);
      expect(seen.out[1]).toContain(`ids ${seen.pid} ${seen.pid} ${seen.pid}\n`);
      expect(seen.out[1]).toContain('SigBlk: 0000000000000000\nSigIgn: 0000000000000000\n');
      // Its own descriptors and the one the glob reads the folder through, nothing of the job's.
      // Descriptors this test's process was itself handed without close-on-exec pass on through Node's start too.
      const fds = (/^fds (.*)$/m.exec(seen.out[1] ?? '')?.[1] ?? '').split(' ').map(Number);
      const handedDown = inheritableDescriptors();
      expect(fds.filter((fd) => fd <= 4).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(fds.filter((fd) => fd > 4 && !handedDown.has(fd)), `descriptors ${fds.join(' ')}`).toHaveLength(1);
      expect(seen.out[2]).toBe('err\n');
      expect(seen.out[3]).toBe('three\n');
    } finally {
      closeSync(extra);
    }
  });

  it('says a signal ended it, and a missing program as Node does', async () => {
    const killed = await both('sleep', ['30'], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'ignore'] }, (kill) =>
      expect(kill()).toBe(true),
    );
    expect(killed.signal).toBe('SIGKILL');
    const missing = await both('sockgrade-no-such-program', [], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(missing.error).toBe('ENOENT');
    expect(missing.pid).toBeUndefined();
  });

  it('reports the end of each of many short processes exactly once', async () => {
    // Ends reported while others start: the waiting threads and the main thread hand each end over
    // (job-addon.c). In a Node of its own whose malloc fills freed memory: a thread that read what the
    // main thread had freed would read garbage, not the old value (such a read once crashed a job under
    // strace; the window is too narrow for this test to hit it reliably).
    const script = `
      const { startProcess } = await import(${JSON.stringify(new URL('../dist/runner/spawn.js', import.meta.url).href)});
      const module = { exports: {} };
      process.dlopen(module, ${JSON.stringify(addonFile)});
      const counts = [];
      const codes = await Promise.all(Array.from({ length: 300 }, (_, i) => new Promise((resolve) => {
        const child = startProcess(module.exports, 'sh', ['-c', 'exit ' + (i % 7)], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'ignore'] });
        counts[i] = 0;
        child.on('exit', (code) => { counts[i]++; resolve(code); });
      })));
      // The counts a turn of the event loop after the last first end: an end reported twice in a row shows.
      await new Promise((resolve) => setImmediate(resolve));
      process.stdout.write(JSON.stringify(codes.map((c, i) => (counts[i] === 1 ? c : -counts[i]))));`;
    const r = await execa('node', ['--input-type=module', '-e', script], { env: { MALLOC_PERTURB_: '165' }, reject: false });
    expect(r.signal ?? r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(Array.from({ length: 300 }, (_, i) => i % 7));
  });

  it.skipIf(!isRoot())('runs as the uid and gid asked, without the job\'s groups', async () => {
    const seen = await both('sh', ['-c', 'id -u; id -g; id -G'], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'], uid: 65534, gid: 65534 });
    expect(seen.out[1]).toBe('65534\n65534\n65534\n');
  });
});
