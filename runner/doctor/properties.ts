// The isolation properties `sockgrade doctor` checks, each as the programs it
// runs in the real sandbox, how their observation decides it, and the fix to
// print when it does not hold. These judge the machine, never a student.
import type { BuildObservation, CommandPlan, Limits, TestObservation, TestPlan } from '../types.js';

/** What one doctor run saw, inside the sandbox and from the host. */
export interface DoctorObservation {
  build: BuildObservation | null;
  tests: Map<string, TestObservation>;
  /** Connections the host-side TCP server on 127.0.0.1 accepted from the sandbox. */
  hostConnections: number;
  /** Host processes still carrying the leftover probe's marker after the job. */
  survivors: number[];
  /** The grader's session keyring really held the marker key (else the keyring check proves nothing). */
  keyPlanted: boolean;
}

export interface DoctorSetup {
  /** Port of the host-side TCP server on 127.0.0.1. */
  hostPort: number;
  /** Description of the key planted in the grader's session keyring. */
  keyDescription: string;
  /** Word in the command line of the process that tries to outlive its test. */
  marker: string;
  /** Folders of the grader the student must not see. */
  hiddenPaths: string[];
}

export interface Verdict {
  ok: boolean;
  detail: string;
}

export interface Property {
  name: string;
  /** What to do when it fails. */
  fix: string;
  decide(o: DoctorObservation, setup: DoctorSetup): Verdict;
}

const LIMITS: Limits = { cpuSeconds: 2, wallSeconds: 10, memoryMb: 256, processes: 16, fileSizeMb: 1, openFiles: 64, outputKb: 16 };

/** The probe built in the sandbox from runner/doctor/probe.c: the build runs under the same filter. */
export const PROBE_SOURCE = 'probe.c';
const PROBE = './sg-probe';
export const BUILD: CommandPlan = {
  argv: ['gcc', '-O2', '-pthread', '-o', 'sg-probe', PROBE_SOURCE],
  limits: { cpuSeconds: 30, wallSeconds: 60, memoryMb: 1024, processes: 64, fileSizeMb: 64, openFiles: 256, outputKb: 32 },
};

function run(id: string, argv: string[], limits: Partial<Limits> = {}, extra: Partial<TestPlan> = {}): TestPlan {
  return {
    id,
    port: 10000,
    occupy: [],
    listen: false,
    program: { argv, limits: { ...LIMITS, ...limits } },
    ready: 'none',
    readyTimeoutMs: 5000,
    steps: [],
    end: 'exit',
    exitTimeoutMs: 10_000,
    ...extra,
  };
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

/** The programs of one doctor run, in the order they run. */
export function doctorTests(setup: DoctorSetup): TestPlan[] {
  const seen = setup.hiddenPaths.map((p, i) => `test -e '${p}' && echo SEES_${i}`);
  return [
    run('echo', [PROBE, 'echo', '10000'], {}, {
      ready: 'port',
      steps: [{ kind: 'send', socket: 'a', datagram: Buffer.from('sockgrade-doctor').toString('hex'), await: 'reply', timeoutMs: 3000 }],
    }),
    run('network', sh(`tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sed 's/^/interface: /'; ${PROBE} connect ${setup.hostPort}`)),
    run('identity', sh('echo uid: $(id -u); grep -E "^(CapEff|NoNewPrivs):" /proc/self/status')),
    run('view', sh([...seen, 'true'].join('; '))),
    run('write', sh(['/usr', '/', '/etc', '/run/sockgrade'].map((d) => `touch '${d}/sg-probe' 2>/dev/null && echo WRITES ${d}`).concat('touch ./mine && echo WRITES scratch').join('; '))),
    run('keyring', sh(`echo seen: $(grep -c '${setup.keyDescription}' /proc/keys)`)),
    run('seccomp', [PROBE, 'seccomp']),
    run('unshare', sh('unshare -Ur true 2>&1; echo status: $?')),
    run('normal', [PROBE, 'normal']),
    run('cpu', sh('while :; do :; done'), { cpuSeconds: 1 }),
    run('wall', sh('exec sleep 30'), { wallSeconds: 1 }),
    run('memory', [PROBE, 'memory', '200'], { memoryMb: 64 }),
    run('processes', [PROBE, 'fork', '40'], { processes: 8 }),
    run('file-size', [PROBE, 'write', '3'], { fileSizeMb: 1 }),
    run('output', ['yes', 'flood']),
    run('leftover', sh([
      `setsid sh -c 'echo up > alive; sleep 60; : ${setup.marker}' </dev/null >/dev/null 2>&1 &`,
      'while [ ! -s alive ]; do :; done',
      'echo started',
    ].join('\n'))),
  ];
}

/** "name: outcome" lines of sg-probe. */
function outcomes(t: TestObservation | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of (t?.process.stdout ?? '').split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 2));
  }
  return m;
}

function ran(o: DoctorObservation, id: string): TestObservation | null {
  const t = o.tests.get(id);
  return t && !t.internalError ? t : null;
}

function notRun(o: DoctorObservation, id: string): Verdict {
  const t = o.tests.get(id);
  return { ok: false, detail: t?.internalError ? `the probe failed: ${t.internalError}` : 'the probe did not run' };
}

/** Each named call must end with the given outcome. */
function seccompRule(calls: Record<string, string>, extraOk?: (o: DoctorObservation) => string | null): Property['decide'] {
  return (o) => {
    const t = ran(o, 'seccomp');
    if (!t) return notRun(o, 'seccomp');
    const got = outcomes(t);
    const wrong = Object.entries(calls)
      .filter(([call, want]) => got.has(call) && got.get(call) !== want)
      .map(([call]) => `${call}: ${got.get(call)}`);
    const missing = Object.keys(calls).filter((c) => !got.has(c));
    if (missing.length === Object.keys(calls).length) return { ok: false, detail: `the probe printed nothing for ${missing.join(', ')}` };
    const extra = extraOk?.(o);
    if (extra) wrong.push(extra);
    if (wrong.length) return { ok: false, detail: `allowed or wrong errno: ${wrong.join('; ')}` };
    const checked = Object.keys(calls).filter((c) => got.has(c));
    return { ok: true, detail: `${checked.join(', ')} refused` };
  };
}

const SECCOMP_FIX = 'the launcher installs the filter: the kernel needs CONFIG_SECCOMP_FILTER; rebuild the launcher (rm -r dist/native) if runner/sandbox/launcher.c was edited';

function limitVerdict(ok: boolean, yes: string, no: string): Verdict {
  return ok ? { ok, detail: yes } : { ok, detail: no };
}

export const PROPERTIES: Property[] = [
  {
    name: 'private loopback',
    fix: "the job's network namespace needs loopback up: check that `unshare --net` and `ip link set lo up` (iproute2) work here",
    decide(o) {
      const echo = ran(o, 'echo');
      const net = ran(o, 'network');
      if (!echo || !net) return notRun(o, echo ? 'network' : 'echo');
      const ifaces = [...net.process.stdout.matchAll(/^interface: (.+)$/gm)].map((m) => m[1]);
      const replied = echo.steps[0]?.kind === 'send' && echo.steps[0].replies[0]?.hex === Buffer.from('sockgrade-doctor').toString('hex');
      if (!replied) return { ok: false, detail: `no answer from the program on [::1]:10000 (ready: ${echo.ready})` };
      // Beside lo, only sockgrade's own pair (runner/sandbox/network.ts), which leads nowhere: it exists for AI_ADDRCONFIG.
      const foreign = ifaces.filter((i) => i !== 'lo' && !/^sg\d+$/.test(i ?? ''));
      if (!ifaces.includes('lo') || foreign.length) return { ok: false, detail: `the sandbox sees interfaces ${ifaces.join(', ') || '(none)'}, not lo and sockgrade's own sg0/sg1 alone` };
      return { ok: true, detail: `the program answered on [::1]:10000; its interfaces are ${ifaces.join(', ')} (sg*: sockgrade's own, leading nowhere)` };
    },
  },
  {
    name: 'host loopback unreachable',
    fix: 'each job must run in its own network namespace (unshare --net from util-linux); never grade untrusted code with --sandbox none',
    decide(o, setup) {
      const net = ran(o, 'network');
      if (!net) return notRun(o, 'network');
      const got = outcomes(net).get('connect') ?? 'no outcome';
      if (got === 'allowed' || o.hostConnections > 0) return { ok: false, detail: `a TCP connection to the host's 127.0.0.1:${setup.hostPort} succeeded` };
      return { ok: true, detail: `connect to the host's 127.0.0.1:${setup.hostPort}: ${got}` };
    },
  },
  {
    name: 'unprivileged student',
    fix: 'bwrap must drop every capability (--cap-drop ALL) and the launcher set no_new_privs: check bubblewrap and runner/sandbox/launcher.c',
    decide(o) {
      const t = ran(o, 'identity');
      if (!t) return notRun(o, 'identity');
      const out = t.process.stdout;
      const uid = /^uid: (\d+)/m.exec(out)?.[1];
      const caps = /^CapEff:\s+([0-9a-f]+)/m.exec(out)?.[1];
      const noNewPrivs = /^NoNewPrivs:\s+1/m.test(out);
      if (uid === undefined || uid === '0') return { ok: false, detail: `the program runs as uid ${uid ?? '?'}` };
      if (!caps || /[1-9a-f]/.test(caps)) return { ok: false, detail: `the program has capabilities ${caps ?? '?'}` };
      if (!noNewPrivs) return { ok: false, detail: 'the program may gain privileges (no_new_privs unset)' };
      // Its uid on the host (65534 when sockgrade runs as root) shows in the process limit below.
      return { ok: true, detail: `uid ${uid}, no capabilities, no_new_privs` };
    },
  },
  {
    name: 'task files invisible',
    fix: "the sandbox shows /usr, the launcher and the scratch folder only: check bubblewrap's version and runner/sandbox/command.ts",
    decide(o, setup) {
      const t = ran(o, 'view');
      if (!t) return notRun(o, 'view');
      const seen = [...t.process.stdout.matchAll(/SEES_(\d+)/g)].map((m) => setup.hiddenPaths[Number(m[1])]);
      if (t.process.exitCode !== 0 && !seen.length) return { ok: false, detail: `the probe failed: ${t.process.stderr.trim().slice(0, 200)}` };
      return seen.length ? { ok: false, detail: `visible: ${seen.join(', ')}` } : { ok: true, detail: `not there: ${setup.hiddenPaths.join(', ')}` };
    },
  },
  {
    name: 'read-only system',
    fix: 'bwrap must bind /usr read-only and remount / read-only (--remount-ro /): check bubblewrap is at least 0.4',
    decide(o) {
      const t = ran(o, 'write');
      if (!t) return notRun(o, 'write');
      const writes = [...t.process.stdout.matchAll(/^WRITES (.+)$/gm)].map((m) => m[1]);
      const bad = writes.filter((w) => w !== 'scratch');
      if (bad.length) return { ok: false, detail: `writable: ${bad.join(', ')}` };
      if (!writes.includes('scratch')) return { ok: false, detail: 'not even the scratch folder is writable' };
      return { ok: true, detail: '/usr, / and /etc read-only; the scratch folder writable' };
    },
  },
  {
    name: 'fresh keyring',
    fix: 'the launcher joins a new session keyring (keyctl): the kernel needs CONFIG_KEYS, and kernel.keys.maxkeys room for one keyring per program',
    decide(o) {
      // Not planted: keyctl is refused to the grader (ENOSYS/EPERM, see with-session-key.c), so to every sandbox too.
      if (!o.keyPlanted) return { ok: true, detail: 'this machine gives the grader no keyrings (keyctl refused): nothing to leak' };
      const t = ran(o, 'keyring');
      if (!t) return notRun(o, 'keyring');
      const seen = /^seen: (\d+)/m.exec(t.process.stdout)?.[1];
      if (seen === undefined) return { ok: false, detail: `the probe failed: ${t.process.stderr.trim().slice(0, 200)}` };
      return seen === '0'
        ? { ok: true, detail: "a key of the grader's session keyring is not visible inside" }
        : { ok: false, detail: "the sandbox sees a key of the grader's session keyring" };
    },
  },
  {
    name: 'seccomp: keyring calls',
    fix: SECCOMP_FIX,
    decide: seccompRule({ keyctl: 'EPERM', add_key: 'EPERM', request_key: 'EPERM' }),
  },
  {
    name: 'seccomp: new namespaces',
    fix: SECCOMP_FIX,
    decide: seccompRule({ unshare: 'EPERM', setns: 'EPERM', 'clone-newuser': 'EPERM', 'clone-newnet': 'EPERM', clone3: 'ENOSYS' }, (o) => {
      const t = ran(o, 'unshare');
      const status = t ? /status: (\d+)/.exec(t.process.stdout)?.[1] : undefined;
      return status === '0' ? 'unshare -Ur true succeeded' : status === undefined ? 'unshare -Ur did not run' : null;
    }),
  },
  {
    name: 'seccomp: mounts',
    fix: SECCOMP_FIX,
    decide: seccompRule({
      mount: 'EPERM', umount2: 'EPERM', pivot_root: 'EPERM', open_tree: 'EPERM', move_mount: 'EPERM',
      fsopen: 'EPERM', fsconfig: 'EPERM', fsmount: 'EPERM', fspick: 'EPERM', mount_setattr: 'EPERM',
    }),
  },
  { name: 'seccomp: bpf', fix: SECCOMP_FIX, decide: seccompRule({ bpf: 'EPERM' }) },
  { name: 'seccomp: perf_event_open', fix: SECCOMP_FIX, decide: seccompRule({ perf_event_open: 'EPERM' }) },
  { name: 'seccomp: userfaultfd', fix: SECCOMP_FIX, decide: seccompRule({ userfaultfd: 'EPERM' }) },
  { name: 'seccomp: io_uring', fix: SECCOMP_FIX, decide: seccompRule({ io_uring_setup: 'EPERM', io_uring_enter: 'EPERM' }) },
  {
    name: 'build and ordinary calls work',
    fix: 'the seccomp filter refuses too much: see the calls named, in runner/sandbox/launcher.c',
    decide(o) {
      if (!o.build?.ok) return { ok: false, detail: `gcc failed in the sandbox: ${(o.build?.process.stderr ?? 'no build').trim().slice(0, 200)}` };
      const t = ran(o, 'normal');
      if (!t) return notRun(o, 'normal');
      const got = outcomes(t);
      const want = ['socket', 'bind', 'sendto', 'recvfrom', 'fork', 'pthread_create'];
      const bad = want.filter((c) => got.get(c) !== 'allowed').map((c) => `${c}: ${got.get(c) ?? 'no outcome'}`);
      const plain = outcomes(ran(o, 'seccomp') ?? undefined).get('clone-plain');
      if (plain !== 'allowed') bad.push(`clone: ${plain ?? 'no outcome'}`);
      return bad.length ? { ok: false, detail: bad.join('; ') } : { ok: true, detail: `gcc builds; ${want.join(', ')}, clone allowed` };
    },
  },
  {
    name: 'limit: CPU',
    fix: 'RLIMIT_CPU set by the launcher was not enforced: check the kernel and that nothing resets rlimits (runner/sandbox/launcher.c)',
    decide(o) {
      const t = ran(o, 'cpu');
      if (!t) return notRun(o, 'cpu');
      const p = t.process;
      return limitVerdict(/SIGXCPU|SIGKILL/.test(p.signal ?? '') && p.stoppedBy === null, `a busy loop was stopped by the kernel (${p.signal}) after ${p.cpuMs ?? '?'} ms of CPU`, `a busy loop ended with ${p.signal ?? `exit ${p.exitCode}`}, stopped by ${p.stoppedBy ?? 'nobody'}`);
    },
  },
  {
    name: 'limit: wall time',
    fix: 'the runner must kill a program at its wall time: see runner/process.ts',
    decide(o) {
      const t = ran(o, 'wall');
      if (!t) return notRun(o, 'wall');
      const p = t.process;
      return limitVerdict(p.stoppedBy === 'wall-time' && p.wallMs < 5000, `sleep 30 stopped after ${Math.round(p.wallMs)} ms`, `sleep 30 ended after ${Math.round(p.wallMs)} ms, stopped by ${p.stoppedBy ?? 'nobody'}`);
    },
  },
  {
    name: 'limit: memory',
    fix: 'RLIMIT_AS set by the launcher was not enforced: check that the kernel honours it (no overcommit tricks) and runner/sandbox/launcher.c',
    decide(o) {
      const t = ran(o, 'memory');
      if (!t) return notRun(o, 'memory');
      const got = outcomes(t).get('malloc');
      return limitVerdict(got === 'ENOMEM' || t.process.signal !== null, `200 MiB under a 64 MiB limit: ${got ?? t.process.signal}`, `200 MiB under a 64 MiB limit: ${got ?? 'no outcome'}`);
    },
  },
  {
    name: 'limit: processes',
    fix: 'RLIMIT_NPROC only holds for a non-root uid: as root, sockgrade drops to uid 65534 with setpriv (util-linux); do not run student code as uid 0',
    decide(o) {
      const t = ran(o, 'processes');
      if (!t) return notRun(o, 'processes');
      const made = /^forked: (\d+)/m.exec(t.process.stdout)?.[1];
      return limitVerdict(outcomes(t).get('fork') === 'EAGAIN' && Number(made) < 10, `fork refused after ${made} children under a limit of 8`, `forked ${made ?? '?'} of 40 children under a limit of 8`);
    },
  },
  {
    name: 'limit: file size',
    fix: 'RLIMIT_FSIZE set by the launcher was not enforced: see runner/sandbox/launcher.c',
    decide(o) {
      const t = ran(o, 'file-size');
      if (!t) return notRun(o, 'file-size');
      const got = outcomes(t).get('write');
      return limitVerdict(got === 'EFBIG', `a 3 MiB file under a 1 MiB limit: ${got}`, `a 3 MiB file under a 1 MiB limit: ${got ?? 'no outcome'}`);
    },
  },
  {
    name: 'limit: output',
    fix: 'the runner must stop a program at its output cap: see runner/process.ts',
    decide(o) {
      const t = ran(o, 'output');
      if (!t) return notRun(o, 'output');
      const p = t.process;
      return limitVerdict(p.stoppedBy === 'output-limit' && p.stdout.length <= LIMITS.outputKb * 1024, `yes stopped at ${p.stdout.length} bytes (cap ${LIMITS.outputKb} KiB)`, `yes ended with ${p.stdout.length} bytes kept, stopped by ${p.stoppedBy ?? 'nobody'}`);
    },
  },
  {
    name: 'nothing left after the test',
    fix: 'the launcher must be the sandbox\'s pid 1 (bwrap --as-pid-1 and --die-with-parent): install a bubblewrap that has --as-pid-1',
    decide(o) {
      const t = ran(o, 'leftover');
      if (!t) return notRun(o, 'leftover');
      if (!t.process.stdout.includes('started')) return { ok: false, detail: `the detached process did not start: ${t.process.stderr.trim().slice(0, 200)}` };
      if (o.survivors.length || t.process.leftover) return { ok: false, detail: `a detached process survived its test (host pids: ${o.survivors.join(', ') || '?'})` };
      return { ok: true, detail: 'a process that detached itself (setsid) was gone when the test ended' };
    },
  },
];
