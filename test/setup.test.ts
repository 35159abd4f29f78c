// The README's first command, scripts/setup.sh, on a machine that lacks a
// system package: it installs it (as root directly, as a user through sudo)
// before npm ci. The machine's package manager, sudo and npm are stand-ins
// that write down how they were called: a test cannot install packages.
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, checkoutReadableBy, tempDir } from './helpers.js';

/** A PATH with every tool the scripts use but bwrap, and logging apt-get, sudo and npm. */
function machineWithoutBwrap(): { bin: string; log: string } {
  const bin = tempDir('sockgrade-setup-bin-');
  const log = path.join(tempDir('sockgrade-setup-log-'), 'calls.log');
  for (const tool of ['bash', 'dirname', 'id', 'awk', 'sed', 'cut', 'grep', 'cat', 'env', 'node', 'unshare', 'setpriv', 'ip', 'gcc', 'make', 'zip']) {
    const from = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin', path.dirname(process.execPath)].map((d) => path.join(d, tool)).find(existsSync);
    if (from) symlinkSync(from, path.join(bin, tool));
  }
  for (const tool of ['apt-get', 'sudo', 'npm']) {
    writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\nexit 0\n`);
    chmodSync(path.join(bin, tool), 0o755);
  }
  // The second test runs the script as another user: it must reach these.
  chmodSync(bin, 0o755);
  chmodSync(path.dirname(log), 0o777);
  return { bin, log };
}

describe('scripts/setup.sh (npm run setup)', () => {
  it('as root, installs the missing bubblewrap with apt-get, then runs npm ci', async () => {
    const { bin, log } = machineWithoutBwrap();
    const r = await execa(path.join(bin, 'bash'), [path.join(ROOT, 'scripts', 'setup.sh'), '--no-demo'], { env: { PATH: bin }, extendEnv: false, reject: false });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls, r.stderr).toContain('apt-get update -qq');
    expect(calls.find((c) => c.startsWith('apt-get install'))).toMatch(/ bubblewrap( |$)/);
    expect(calls.at(-1)).toBe('npm ci --no-audit --no-fund');
    expect(calls.some((c) => c.startsWith('sudo'))).toBe(false);
  });

  it.runIf(checkoutReadableBy(65534))('as a user, asks sudo for the system part only', async () => {
    const { bin, log } = machineWithoutBwrap();
    const r = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', path.join(bin, 'bash'), path.join(ROOT, 'scripts', 'setup.sh'), '--no-demo'], {
      env: { PATH: bin },
      extendEnv: false,
      reject: false,
    });
    expect(r.stdout + r.stderr).toMatch(/^install-system-deps: installing bubblewrap( \S+)*\nsetup: sudo bash \.ci\/install-system-deps\.sh --for-tests$/m);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toEqual([`sudo bash .ci/install-system-deps.sh --for-tests`, 'npm ci --no-audit --no-fund']);
  });

  it('says which option it takes, exit 2', async () => {
    const r = await execa('bash', [path.join(ROOT, 'scripts', 'setup.sh'), '--bogus'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('setup: unknown option --bogus (setup takes --no-demo)');
  });
});
