// `sockgrade doctor` as CI runs it: every isolation property tried for real in
// the sandbox of this machine, a table (or JSON), exit 0 only when all hold.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { formatDoctorText } from '../grader/doctor.js';
import { PROPERTIES } from '../runner/doctor/properties.js';
import { compileNative } from '../runner/sandbox/native.js';
import { launcherSource } from '../runner/job/run-job.js';
import { BIN, ROOT, checkoutReadableBy, runCli } from './helpers.js';

const ASKED = [
  'private loopback', 'host loopback unreachable', 'unprivileged student', 'task files invisible', 'read-only system',
  'fresh keyring', 'seccomp: keyring calls', 'seccomp: new namespaces', 'seccomp: mounts', 'seccomp: bpf',
  'seccomp: perf_event_open', 'seccomp: userfaultfd', 'seccomp: io_uring', 'limit: CPU', 'limit: wall time', 'limit: memory',
  'limit: processes', 'limit: file size', 'limit: output', 'nothing left after the test',
];

describe('sockgrade doctor', () => {
  it('checks every isolation property the issue lists', () => {
    expect(PROPERTIES.map((p) => p.name)).toEqual(expect.arrayContaining(ASKED));
  });

  it('finds every property holding on this machine: a PASS table, exit 0', async () => {
    const r = await runCli(['doctor']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const name of ASKED) expect(r.stdout).toMatch(new RegExp(`^  PASS  ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/^all \d+ checks passed$/m);
  }, 120_000);

  it('prints the same checks as JSON', async () => {
    const r = await runCli(['doctor', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: 'sockgrade.doctor/v1', ok: true });
    expect(doc.checks.map((c: { property: string }) => c.property)).toEqual(PROPERTIES.map((p) => p.name));
    for (const c of doc.checks) expect(c).toMatchObject({ ok: true, fix: null, detail: expect.any(String) });
  }, 120_000);

  it.runIf(checkoutReadableBy(65534))('holds as an ordinary user too, through user namespaces', async () => {
    await compileNative(launcherSource(), 'exe'); // built by root: the user cannot write dist/
    const r = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', process.execPath, BIN, 'doctor', '--format', 'json'], {
      reject: false,
      cwd: ROOT,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
  }, 120_000);

  it('exits 3 with the fix in one line when no sandbox can start at all', async () => {
    const r = await runCli(['doctor'], { env: { PATH: '/nonexistent' }, extendEnv: false });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim()).toMatch(/^sockgrade: cannot grade: bwrap.*not found; install it with: .*bubblewrap/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the fix under a failing row, and says the machine cannot grade', () => {
    const text = formatDoctorText([
      { property: 'fresh keyring', ok: true, detail: 'not visible', fix: null },
      { property: 'seccomp: bpf', ok: false, detail: 'allowed or wrong errno: bpf: EINVAL', fix: 'rebuild the launcher' },
    ]);
    expect(text).toMatch(/^ {2}FAIL {2}seccomp: bpf {3}allowed or wrong errno: bpf: EINVAL\n {23}fix: rebuild the launcher$/m);
    expect(text).toMatch(/^1 of 2 checks failed: this machine cannot grade safely$/m);
  });
});
