// The grade's network (runner/sandbox/network.ts): a kept job sets each
// grade's up through its addon (rtnetlink), the first through `ip`. Both are
// made here in fresh network namespaces and must be the same network.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compileJobAddon } from '../runner/sandbox/native.js';
import { isRoot } from '../runner/sandbox/probe.js';

/** The links, addresses and routes of the namespace, without what the kernel settles later (a link's carrier state) or picks at random. */
const SHOW = `
  ip -d link show | sed -E 's/NO-CARRIER,//; s/ state [A-Z]+//; s/link\\/ether [0-9a-f:]+ brd [0-9a-f:]+/link\\/ether MAC/'
  ip addr show | grep -E 'inet|valid'
  ip -6 route show table all | sed 's/ linkdown//'
  ip -4 route show table all | sed 's/ linkdown//'
`;

/** `file ARGS` in a fresh network namespace of its own (with a user namespace when not root): its output. */
async function inFreshNetwork(file: string, args: string[]): Promise<string> {
  const unshare = isRoot() ? ['--net'] : ['--map-root-user', '--net'];
  const r = await execa('unshare', [...unshare, '--', file, ...args], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

describe("the grade's network", () => {
  it("is the same set up through the job's addon as through ip", async () => {
    const addon = await compileJobAddon();
    expect(addon, "the addon builds where Node's headers are installed").not.toBeNull();
    const ipLines = await inFreshNetwork('node', [
      '--input-type=module',
      '-e',
      `const { setUpJobNetwork } = await import(${JSON.stringify(new URL('../dist/runner/sandbox/network.js', import.meta.url).href)});
       await setUpJobNetwork();
       const { execSync } = await import('node:child_process');
       process.stdout.write(execSync(${JSON.stringify(SHOW)}).toString());`,
    ]);
    const addonLines = await inFreshNetwork('node', [
      '--input-type=module',
      '-e',
      `const { setUpJobNetwork } = await import(${JSON.stringify(new URL('../dist/runner/sandbox/network.js', import.meta.url).href)});
       const module = { exports: {} };
       process.dlopen(module, ${JSON.stringify(addon)});
       await setUpJobNetwork(module.exports);
       const { execSync } = await import('node:child_process');
       process.stdout.write(execSync(${JSON.stringify(SHOW)}).toString());`,
    ]);
    expect(ipLines).toMatch(/sg0@sg1: .*UP/);
    expect(ipLines).toContain('inet6 fd00:5eed::1/128 scope global nodad');
    expect(ipLines).toContain('inet 192.0.2.1/32 scope global sg0');
    expect(addonLines).toBe(ipLines);
  });

  it("says what failed when the addon cannot add the link", async () => {
    const addon = await compileJobAddon();
    const out = await inFreshNetwork('node', [
      '-e',
      `const module = { exports: {} };
       process.dlopen(module, ${JSON.stringify(addon)});
       try { module.exports.setUpNetwork('lo', 'sg1', 'fd00:5eed::1', '192.0.2.1'); } catch (e) { console.log(e.message); }`,
    ]);
    // "lo" exists: neither a veth nor a dummy can take its name.
    expect(out).toMatch(/^veth: File exists; dummy: /m);
  });
});
