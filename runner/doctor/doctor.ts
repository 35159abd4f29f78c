// `sockgrade doctor`, runner side: runs every isolation probe for real in the
// sandbox this machine would grade with, and decides each property
// (runner/doctor/properties.ts). The CLI only prints the result.
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SandboxUnavailableError } from '../errors.js';
import { distRunnerDir, packageRoot } from '../paths.js';
import { compileNative } from '../sandbox/native.js';
import { ROOT_SANDBOX_UID } from '../job/run-job.js';
import { assertSandboxTools, isRoot } from '../sandbox/probe.js';
import type { BuildObservation, JobEvent, JobPlan, TestObservation } from '../types.js';
import type { DoctorJobInput, DoctorJobLine } from './job.js';
import { BUILD, doctorTests, PROBE_SOURCE, PROPERTIES, type DoctorObservation, type DoctorSetup } from './properties.js';

export interface DoctorCheck {
  property: string;
  ok: boolean;
  detail: string;
  /** What to do about it; null when it holds. */
  fix: string | null;
}

const DOCTOR_DIR = path.join(packageRoot, 'runner', 'doctor');
const JOB_DEADLINE_MS = 120_000;

/** Pids of host processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) found.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** Runs the doctor's job under a session keyring holding the marker key; returns what it sent. */
async function runDoctorJob(input: DoctorJobInput): Promise<{ lines: (JobEvent | DoctorJobLine)[]; stderr: string }> {
  const withKey = await compileNative(path.join(DOCTOR_DIR, 'with-session-key.c'), 'exe');
  // As root, the key goes to the sandbox's uid: /proc/keys hides keys of unmapped owners (with-session-key.c).
  const owner = isRoot() ? String(ROOT_SANDBOX_UID) : '-';
  const child = spawn(withKey, [input.keyDescription, owner, '--', process.execPath, path.join(distRunnerDir, 'doctor', 'job.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(JSON.stringify(input));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString('utf8');
  });
  const lines: (JobEvent | DoctorJobLine)[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    try {
      lines.push(JSON.parse(line) as JobEvent | DoctorJobLine);
    } catch {
      /* only our own code writes here */
    }
  }
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('close', () => resolve())));
  return { lines, stderr };
}

/** Every property of PROPERTIES, decided on this machine. Throws SandboxUnavailableError when no sandbox starts at all. */
export async function runDoctor(): Promise<DoctorCheck[]> {
  assertSandboxTools('bwrap');
  const tag = `${process.pid}-${Date.now()}`;
  const { base, workDir } = makeProbeFolder();
  const host = await startHostService();
  try {
    const setup = doctorSetup(tag, host.port);
    const plan: JobPlan = { sandbox: 'bwrap', workDir, build: BUILD, tests: doctorTests(setup), scratchMb: 64 };
    const { lines, stderr } = await runDoctorJob({ plan, keyDescription: setup.keyDescription, deadlineMs: JOB_DEADLINE_MS });
    const fatal = jobFatal(lines, stderr);
    const checks = decideProperties(observe(lines, host.connections(), setup), setup);
    if (fatal !== null) checks.push({ property: 'job completed', ok: false, detail: fatal, fix: 'see the message; a job that dies is a fault of sockgrade or of this machine' });
    return checks;
  } finally {
    host.server.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/** A fresh folder whose work/ holds the probe's source, for the sandbox to build. */
function makeProbeFolder(): { base: string; workDir: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-doctor-'));
  chmodSync(base, 0o711); // the sandbox user must reach work/
  const workDir = path.join(base, 'work');
  mkdirSync(workDir);
  copyFileSync(path.join(DOCTOR_DIR, 'probe.c'), path.join(workDir, PROBE_SOURCE));
  return { base, workDir };
}

/** A service on the machine's own loopback that no sandbox may reach; counts who connected. */
async function startHostService(): Promise<{ server: net.Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

/** The names the probes look for: unique to this run, so nothing of another run is taken for ours. */
function doctorSetup(tag: string, hostPort: number): DoctorSetup {
  return {
    hostPort,
    keyDescription: `sockgrade-doctor-key-${tag}`,
    marker: `sockgrade-doctor-leftover-${tag}`,
    hiddenPaths: [path.join(packageRoot, 'tasks'), path.join(packageRoot, 'runner'), '/root', '/etc/shadow', os.homedir()].filter(
      (p, i, all) => all.indexOf(p) === i,
    ),
  };
}

/**
 * Throws SandboxUnavailableError when the job found no sandbox or never got
 * ready; otherwise the message of a fatal error it ended with, or null.
 */
function jobFatal(lines: (JobEvent | DoctorJobLine)[], stderr: string): string | null {
  const unavailable = lines.find((l) => l.type === 'unavailable');
  if (unavailable?.type === 'unavailable') throw new SandboxUnavailableError(unavailable.message);
  const fatal = lines.find((l) => l.type === 'fatal');
  if (!lines.some((l) => l.type === 'ready')) {
    const why = fatal?.type === 'fatal' ? fatal.message : stderr.trim().split('\n').pop() || 'no output';
    throw new SandboxUnavailableError(`cannot grade: the doctor's job did not start (${why}); see README.md, section Sandbox`);
  }
  return fatal?.type === 'fatal' ? fatal.message : null;
}

/** What the job reported, with what the host saw: connections to its service, processes left behind. */
function observe(lines: (JobEvent | DoctorJobLine)[], hostConnections: number, setup: DoctorSetup): DoctorObservation {
  const tests = new Map<string, TestObservation>();
  let build: BuildObservation | null = null;
  for (const l of lines) {
    if (l.type === 'test') tests.set(l.test.id, l.test);
    if (l.type === 'build') build = l.build;
  }
  return {
    build,
    tests,
    hostConnections,
    survivors: processesWith(setup.marker),
    keyPlanted: lines.some((l) => l.type === 'key' && l.planted),
  };
}

/** Each property decided on what was observed; a fix only for those that fail. */
function decideProperties(observation: DoctorObservation, setup: DoctorSetup): DoctorCheck[] {
  return PROPERTIES.map((p): DoctorCheck => {
    const v = p.decide(observation, setup);
    return { property: p.name, ok: v.ok, detail: v.detail, fix: v.ok ? null : p.fix };
  });
}
