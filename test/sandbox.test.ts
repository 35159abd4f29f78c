// The isolation requirements of docs/design.md, each checked against the real
// sandbox: a probe program reports what it can see and do, the runner's
// observation is asserted on.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobKeeper, runJob } from '../runner/job/run-job.js';
import { spawnJob } from '../runner/job/job-process.js';
import { etcEntries } from '../runner/sandbox/command.js';
import type { CommandPlan, JobPlan, Limits, TestObservation, TestPlan } from '../runner/types.js';
import { ROOT, tempDir, writeFiles } from './helpers.js';

const LIMITS: Limits = { cpuSeconds: 2, wallSeconds: 10, memoryMb: 256, processes: 16, fileSizeMb: 1, openFiles: 64, outputKb: 16 };

function scratch(files: Record<string, string> = {}): string {
  const base = tempDir();
  const work = path.join(base, 'work');
  mkdirSync(work);
  return writeFiles(work, files, () => 0o755);
}

function shellTest(id: string, script: string, extra: Partial<TestPlan> = {}, limits: Partial<Limits> = {}): TestPlan {
  const program: CommandPlan = { argv: ['/bin/sh', '-c', script], limits: { ...LIMITS, ...limits } };
  return { id, port: 10000, occupy: [], listen: false, program, ready: 'none', readyTimeoutMs: 2000, steps: [], end: 'exit', exitTimeoutMs: 5000, ...extra };
}

async function observe(tests: TestPlan[], workDir = scratch(), scratchMb?: number): Promise<Map<string, TestObservation>> {
  chmodSync(path.dirname(workDir), 0o711); // mkdtemp makes 0700; the sandbox user must reach work/
  const plan: JobPlan = { sandbox: 'bwrap', workDir, build: null, tests, ...(scratchMb ? { scratchMb } : {}) };
  const events = await runJob(plan, { deadlineMs: 60_000 });
  const out = new Map<string, TestObservation>();
  for (const e of events) if (e.type === 'test') out.set(e.test.id, e.test);
  return out;
}

/** Every process under `pid`, children first. */
function descendants(pid: number): number[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** How many mounts the job started as `pid` has in its own mount namespace. */
function mountCount(pid: number): number {
  const ours = readlinkSync('/proc/self/ns/mnt');
  const inJob = descendants(pid).find((p) => readlinkSync(`/proc/${p}/ns/mnt`) !== ours)!;
  return readFileSync(`/proc/${inJob}/mountinfo`, 'utf8').trim().split('\n').length;
}

describe('the student sandbox', () => {
  it('runs the student unprivileged, in its own pid namespace, without capabilities', async () => {
    const obs = await observe([
      shellTest('who', 'id -u; id -G; echo pid=$$; grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status; ls /proc | grep -c "^[0-9]"'),
    ]);
    const out = obs.get('who')!.process.stdout;
    expect(out).toMatch(/^1000\n1000$/m); // its own group only
    expect(out).toMatch(/CapEff:\s+0000000000000000/);
    expect(out).toMatch(/CapPrm:\s+0000000000000000/);
    expect(out).toMatch(/NoNewPrivs:\s+1/);
    // pid 1 is the launcher, the shell is 2: nothing of the host is visible.
    expect(Number(/pid=(\d+)/.exec(out)![1])).toBeLessThan(10);
    expect(Number(out.trim().split('\n').pop())).toBeLessThan(10);
  });

  it('shows no task folder, grader, home or host files, and keeps the system read-only', async () => {
    const obs = await observe([
      shellTest(
        'view',
        [
          `test -e ${ROOT}/tasks && echo SEES_TASKS`,
          `test -e ${ROOT}/grader && echo SEES_GRADER`,
          'test -e /root && echo SEES_ROOT',
          'test -e /etc/shadow && echo SEES_SHADOW',
          'ls /',
          'touch /usr/sockgrade-probe 2>/dev/null && echo USR_WRITABLE',
          'touch /sockgrade-probe 2>/dev/null && echo ROOT_WRITABLE',
          'touch ./mine && echo SCRATCH_WRITABLE',
          'pwd',
        ].join('; '),
      ),
    ]);
    const out = obs.get('view')!.process.stdout;
    expect(out).not.toMatch(/SEES_|USR_WRITABLE|ROOT_WRITABLE/);
    expect(out).toMatch(/SCRATCH_WRITABLE/);
    expect(out).toMatch(/^\/home\/student$/m);
    expect(out).not.toMatch(/^(work|root|opt|var|srv|mnt)$/m);
  });

  it('shows the student no environment of the grader, in any process it can see', async () => {
    process.env.SOCKGRADE_TEST_SECRET = 'grader-secret-value';
    try {
      const obs = await observe([shellTest('env', 'env; for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < $f; done')]);
      const out = obs.get('env')!.process.stdout;
      expect(out).not.toContain('grader-secret-value');
      const keys = new Set(out.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=')[0]));
      for (const key of keys) expect(['PATH', 'LANG', 'LC_ALL', 'HOME', 'PWD', 'SHLVL', '_', 'OLDPWD']).toContain(key);
    } finally {
      delete process.env.SOCKGRADE_TEST_SECRET;
    }
  });

  it('hands the program no inherited descriptor, and no way to take the launcher\'s', async () => {
    const probe = [
      'import ctypes, os',
      "print('fds', sorted(int(f) for f in os.listdir('/proc/self/fd')))",
      'libc = ctypes.CDLL(None, use_errno=True)',
      'pidfd = os.pidfd_open(1)',
      'got = libc.syscall(438, pidfd, 3, 0)  # pidfd_getfd(launcher, its meta fd)',
      "print('getfd', got, os.strerror(ctypes.get_errno()))",
    ].join('\n');
    const obs = await observe([shellTest('fds', `python3 -c "${probe.replaceAll('"', '\\"')}"`)]);
    const out = obs.get('fds')!.process.stdout;
    expect(out).toMatch(/^fds \[0, 1, 2, 3\]$/m); // 3 is the listing's own
    expect(out).toMatch(/^getfd -1 Operation not permitted$/m);
  });

  it('gives each job a private loopback: two jobs bind the same port at once', async () => {
    const bindAndWait = shellTest(
      'bind',
      `exec python3 -c "
import socket,select
s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::1', 10000))
print('bound', flush=True)
if select.select([s],[],[],3)[0]:
  d,a=s.recvfrom(64); s.sendto(d,a)
"`,
      // The reply comes after 'bound' is written: a kill right after readiness would race the print.
      { ready: 'port', end: 'kill', steps: [{ kind: 'send', socket: 'a', datagram: '00', await: 'reply', timeoutMs: 3000 }] },
    );
    const [a, b] = await Promise.all([observe([bindAndWait]), observe([bindAndWait])]);
    for (const obs of [a, b]) {
      const t = obs.get('bind')!;
      expect(t.ready, t.process.stderr).toBe('ready');
      expect(t.process.stdout).toContain('bound');
    }
  });

  it('gives each grade of a kept job (a batch\'s) a network namespace of its own, and takes its mounts down after it', async () => {
    const jobs = new JobKeeper();
    const probe = shellTest('ns', 'readlink /proc/self/ns/net; ip -o link | wc -l');
    const nets: string[] = [];
    const pids = new Set<number>();
    const mounts: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const workDir = scratch();
        chmodSync(path.dirname(workDir), 0o711);
        const events = await runJob({ sandbox: 'bwrap', workDir, build: null, tests: [probe], scratchMb: 16 }, { deadlineMs: 60_000, keeper: jobs });
        const test = events.find((e) => e.type === 'test');
        expect(test?.type === 'test' && test.test.process.exitCode, JSON.stringify(events)).toBe(0);
        const [net, links] = test?.type === 'test' ? test.test.process.stdout.trim().split('\n') : [];
        nets.push(net!);
        expect(Number(links)).toBe(3); // lo, and the interface that leads nowhere with its peer (runner/sandbox/network.ts)
        const job = jobs.take()!;
        expect(job, 'the job is kept for the next grade').not.toBeNull();
        pids.add(job.child.pid!);
        mounts.push(mountCount(job.child.pid!));
        jobs.keep(job);
      }
    } finally {
      await jobs.close();
    }
    expect(new Set(nets).size).toBe(3);
    expect(pids.size).toBe(1);
    expect(mounts[2]).toBe(mounts[0]); // each grade's scratch tmpfs and /etc view are gone with it
  });

  it('never keeps a job stopped at its deadline: the next grade gets a new one', async () => {
    const jobs = new JobKeeper();
    try {
      const workDir = scratch();
      chmodSync(path.dirname(workDir), 0o711);
      const hang = shellTest('hang', 'sleep 30', {}, { wallSeconds: 60, cpuSeconds: 60 });
      const stopped = await runJob({ sandbox: 'bwrap', workDir, build: null, tests: [hang] }, { deadlineMs: 1500, keeper: jobs });
      expect(stopped.find((e) => e.type === 'fatal')).toMatchObject({ message: expect.stringContaining('did not finish within 1500 ms') });
      expect(jobs.take()).toBeNull();
      const after = scratch();
      chmodSync(path.dirname(after), 0o711);
      const next = await runJob({ sandbox: 'bwrap', workDir: after, build: null, tests: [shellTest('after', 'echo fine')] }, { deadlineMs: 60_000, keeper: jobs });
      expect(next.find((e) => e.type === 'test')).toMatchObject({ test: { process: { stdout: 'fine\n' } } });
      const kept = jobs.take();
      expect(kept, 'the new job is kept').not.toBeNull();
      jobs.keep(kept!);
    } finally {
      await jobs.close();
    }
  });

  it('reaches nothing on the host network, loopback included', async () => {
    // A service on the grading machine's own loopback, that the student must not reach.
    const server = net.createServer((sock) => sock.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    let reached = 0;
    server.on('connection', () => reached++);
    try {
      const obs = await observe([
        shellTest(
          'net',
          `cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=1)" 2>&1 | tail -1`,
        ),
      ]);
      const out = obs.get('net')!.process.stdout;
      expect(out.split('\n').filter(Boolean)[0]).toBe('lo'); // loopback, then only the job's own interface
      expect(out.split('\n').filter((l) => /^(lo|sg\d)$/.test(l)).length).toBe(out.split('\n').filter(Boolean).length - 1);
      expect(out).toMatch(/Connection refused/i);
      expect(reached).toBe(0);
    } finally {
      server.close();
    }
  });

  it('shows the system programs their /etc (alternatives, linker cache, protocols), read-only, and nothing private', async () => {
    const work = scratch({ 'hello.c': '#include <stdio.h>\nint main(void) { puts("built by make"); return 0; }\n', Makefile: 'hello: hello.o\n' });
    const hasGxx = existsSync('/usr/bin/g++');
    const obs = await observe(
      [
        shellTest(
          'etc',
          [
            'make hello >/dev/null 2>&1 && ./hello', // make's built-in rules: cc, a link into /etc/alternatives on Debian
            'awk "BEGIN { print \\"awk \\" 6 * 7 }"',
            ...(hasGxx ? ['echo "int main() {}" > x.cc && c++ -o x x.cc && echo "c++ ok"'] : []),
            'perl -e "print qq(perl ok\\n)"',
            'getent hosts localhost | sort',
            'perl -MSocket -e "print scalar(getprotobyname(q(udp))), qq( udp\\n)"',
            'id -un',
            'getent passwd daemon && echo SEES_HOST_USERS',
            'test -e /etc/shadow && echo SEES_SHADOW',
            'test -e /etc/ssl && echo SEES_SSL',
            'test -e /etc/machine-id && echo SEES_MACHINE_ID',
            'touch /etc/alternatives/probe 2>/dev/null && echo ETC_WRITABLE',
            'touch /etc/probe 2>/dev/null && echo ETC_WRITABLE',
            'echo "etc: $(ls -A /etc | sort | tr "\\n" " ")"',
            'echo "cache owner: $(stat -c %u /etc/ld.so.cache)"',
            // Every mount of /etc read-only, sockgrade's own files too (the grading user owns them when not root).
            'awk \'$5 == "/etc" || index($5, "/etc/") == 1 { n++; if ($6 !~ /(^|,)ro(,|$)/) print "ETC_MOUNT_WRITABLE " $5 } END { print "etc mounts: " n }\' /proc/self/mountinfo',
          ].join('; '),
        ),
      ],
      work,
    );
    const p = obs.get('etc')!.process;
    expect(p.stdout).toMatch(/^built by make$/m);
    expect(p.stdout).toMatch(/^awk 42$/m);
    if (hasGxx) expect(p.stdout).toMatch(/^c\+\+ ok$/m);
    expect(p.stdout).toMatch(/^perl ok$/m);
    expect(p.stdout).toMatch(/^::1\s+localhost/m); // localhost is ::1 too, whatever the machine's own hosts file says
    expect(p.stdout).toMatch(/^17 udp$/m);
    expect(p.stdout).toMatch(/^student$/m);
    expect(p.stdout).not.toMatch(/SEES_|ETC_WRITABLE/);
    // Exactly the entries the view names (the machine's that are present, sockgrade's own, mtab), and the
    // machine's files are the machine's (the sandbox's user does not own them), not copies.
    const names = etcEntries(undefined).map((e) => e.name).sort();
    expect(/^etc: (.*)$/m.exec(p.stdout)?.[1]?.trim().split(' ')).toEqual(names);
    expect(p.stdout).not.toMatch(/^cache owner: 1000$/m);
    expect(p.stdout).not.toMatch(/ETC_MOUNT_WRITABLE/);
    expect(Number(/^etc mounts: (\d+)$/m.exec(p.stdout)?.[1])).toBeGreaterThan(0);
  });

  it('shows the files it lends a program (the faults shim, a task file) at paths of its own, never where sockgrade is', async () => {
    const lent = path.join(ROOT, 'tasks', 'sockets-creating-a-socket', 'prelude.h');
    const probe = shellTest(
      'lent',
      [
        // The shim is loaded (LD_PRELOAD), the task file readable, both under /run/sockgrade/files.
        'grep -o "/run/sockgrade/files/[^ ]*faults[^ ]*" /proc/$$/maps | head -1',
        'ls /run/sockgrade/files',
        `test -e ${ROOT} && echo SEES_CHECKOUT`,
        `test -e ${path.dirname(ROOT)} && echo SEES_CHECKOUT_PARENT`,
      ].join('; '),
    );
    probe.program = { ...probe.program, calls: { fail: [] }, readOnlyFiles: [lent] };
    const p = (await observe([probe])).get('lent')!.process;
    expect(p.stdout).toMatch(/^\/run\/sockgrade\/files\/\d+-faults[^\n]*\.so$/m);
    expect(p.stdout).toMatch(/^\d+-prelude\.h$/m);
    expect(p.stdout).not.toMatch(/SEES_CHECKOUT/);
  });

  it('looks like an ordinary host to getaddrinfo(AI_ADDRCONFIG), with no route out', async () => {
    const probe = [
      'import socket',
      'for host in ("::1", "::"):',
      '    try:',
      '        socket.getaddrinfo(host, 10000, socket.AF_INET6, socket.SOCK_DGRAM, 0, socket.AI_ADDRCONFIG | socket.AI_PASSIVE)',
      '        print("resolved", host)',
      '    except OSError as e:',
      '        print("refused", host, e)',
      'for dest in ("fd00:5eed::2", "2001:db8::1", "2606:4700:4700::1111", "192.0.2.2", "1.1.1.1"):',
      '    s = socket.socket(socket.AF_INET6 if ":" in dest else socket.AF_INET, socket.SOCK_DGRAM)',
      '    try:',
      '        s.sendto(b"x", (dest, 9))',
      '        print("sent", dest)',
      '    except OSError as e:',
      '        print("unreachable", dest, e.errno)',
    ].join('\n');
    const obs = await observe([
      shellTest(
        'addrconfig',
        [
          `python3 -c '${probe}'`,
          'cat /proc/net/if_inet6',
          `perl -MIO::Socket::IP -MSocket=AF_INET6 -e 'IO::Socket::IP->new(Family => AF_INET6, LocalHost => "::", LocalPort => 10000, Proto => "udp") or die "perl: $@\\n"; print "perl bound\\n"'`,
        ].join('; '),
      ),
    ]);
    const p = obs.get('addrconfig')!.process;
    expect(p.stdout, p.stderr).toMatch(/^resolved ::1$/m);
    expect(p.stdout).toMatch(/^resolved ::$/m);
    expect(p.stdout, p.stderr).toMatch(/^perl bound$/m);
    // The extra interface carries a unique-local address, and nothing is routed anywhere through it.
    expect(p.stdout).toMatch(/^fd005eed0+1 .* sg0$/m);
    for (const dest of ['fd00:5eed::2', '2001:db8::1', '2606:4700:4700::1111', '192.0.2.2', '1.1.1.1']) {
      expect(p.stdout).toContain(`unreachable ${dest} 101`); // ENETUNREACH: no route, not even a default one
    }
  });

  it('reads chatty output to its end without stopping it, and keeps its start and end', async () => {
    // 200 KiB of debug lines on stdout and stderr, then a last line: far past what is kept (16 KiB here).
    const chatty = 'i=0; while [ $i -lt 1000 ]; do printf "%0200d\\n" $i; printf "%0200d\\n" $i >&2; i=$((i+1)); done; echo "last line"';
    const obs = await observe([shellTest('chatty', chatty), shellTest('short', 'echo hello; echo oops >&2')]);
    const p = obs.get('chatty')!.process;
    expect(p.stoppedBy).toBeNull();
    expect(p.exitCode).toBe(0);
    expect(p.outputTruncated).toBe(true);
    expect(p.stdout + p.stderr).toMatch(/^0{200}$/m); // the start...
    expect(p.stdout).toMatch(/last line\n$/); // ...and the end
    expect(p.stdout).toMatch(/\[\.\.\. \d+ bytes not kept \.\.\.\]/);
    expect(p.stdout.length + p.stderr.length).toBeLessThanOrEqual(LIMITS.outputKb * 1024 + 100);
    const short = obs.get('short')!.process;
    expect([short.stdout, short.stderr, short.outputTruncated]).toEqual(['hello\n', 'oops\n', false]);
  });

  it('enforces the output, file size, process, CPU, wall-time and memory limits', async () => {
    const obs = await observe([
      shellTest('memory', 'python3 -c "x = bytearray(200_000_000)" 2>&1 | tail -1', {}, { memoryMb: 64 }),
      shellTest('output', 'yes flood'),
      shellTest('fsize', 'head -c 3000000 /dev/zero > big; echo status=$?'),
      shellTest('cpu', 'while :; do :; done', {}, { cpuSeconds: 1 }),
      shellTest('wall', 'exec sleep 30', { exitTimeoutMs: 20_000 }, { wallSeconds: 1 }),
      shellTest('procs', 'for i in $(seq 40); do sleep 5 & done; wait', { exitTimeoutMs: 3000 }, { processes: 8 }),
      shellTest('files', 'python3 -c "\nfs=[]\ntry:\n  [fs.append(open(\'/dev/null\')) for _ in range(500)]\nexcept OSError as e: print(\'open failed after\', len(fs))"', {}, { openFiles: 32 }),
    ]);
    expect(obs.get('memory')!.process.stdout).toMatch(/MemoryError/);

    const output = obs.get('output')!.process;
    expect(output.stoppedBy).toBe('output-limit');
    expect(output.stdout.length).toBeLessThanOrEqual(LIMITS.outputKb * 1024);

    const fsize = obs.get('fsize')!.process;
    expect(fsize.stdout + fsize.stderr).toMatch(/File too large|status=1|status=153/);

    const cpu = obs.get('cpu')!.process;
    expect(cpu.signal).toMatch(/SIGXCPU|SIGKILL/);
    expect(cpu.stoppedBy).toBeNull(); // the kernel stopped it, not the runner's timer

    expect(obs.get('wall')!.process.stoppedBy).toBe('wall-time');

    const procs = obs.get('procs')!.process;
    expect(procs.stderr).toMatch(/fork|Resource temporarily unavailable|retry/i);

    expect(obs.get('files')!.process.stdout).toMatch(/open failed after 2\d/);
  });

  it('caps what the programs write in their folder, in all, and keeps it off the host disk', async () => {
    const work = scratch();
    const fill = 'i=0; while [ $i -lt 50 ] && head -c 4000000 /dev/zero > f$i 2>/dev/null; do i=$((i+1)); done; echo files=$i';
    const obs = await observe([shellTest('disk', fill, {}, { fileSizeMb: 8 })], work, 16);
    const files = Number(/files=(\d+)/.exec(obs.get('disk')!.process.stdout)?.[1]);
    expect(files).toBeGreaterThanOrEqual(2); // it could write...
    expect(files).toBeLessThanOrEqual(5); // ...16 MiB, not the 200 MB it tried
    expect(existsSync(path.join(work, 'f0'))).toBe(false); // and none of it on the host
  });

  it('leaves no process behind, even one that detached itself', async () => {
    const marker = `sockgrade-leftover-${process.pid}-${Date.now()}`;
    const work = scratch();
    // A detached process carrying the marker; the program waits until it runs, then exits.
    const script = [
      `setsid python3 -c "import sys, time; open('alive', 'w').write(sys.argv[1]); time.sleep(60)" ${marker} >/dev/null 2>&1 &`,
      'while [ ! -s alive ]; do :; done',
      'echo started',
    ].join('\n');
    const obs = await observe([shellTest('daemon', script)], work);
    expect(obs.get('daemon')!.process.stdout).toContain('started');
    expect(readFileSync(path.join(work, 'alive'), 'utf8')).toBe(marker); // it did run
    expect(obs.get('daemon')!.process.leftover).toBe(false);
    const survivors = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
    expect(survivors).toEqual([]);
  });

  it('records CPU time and peak memory like a meta file', async () => {
    const obs = await observe([shellTest('meta', 'python3 -c "x = bytearray(50_000_000); print(len(x))"')]);
    const p = obs.get('meta')!.process;
    expect(p.exitCode).toBe(0);
    expect(p.maxRssKb!).toBeGreaterThan(45_000);
    expect(p.cpuMs).not.toBeNull();
  });
});

describe('a kept sandbox (a grade\'s tests start their programs in one sandbox, one after another)', () => {
  // pid 1's start time (field 22 of its stat) tells whether two tests ran in the same sandbox.
  const launcherStart = "cut -d' ' -f22 /proc/1/stat";

  it('starts each program with nothing of the one before but the scratch folder: no process, nothing in /tmp or /dev/shm, however deep', async () => {
    const first = [
      launcherStart,
      'sleep 300 & echo $! > sleeper',
      'mkdir /tmp/locked && touch /tmp/locked/inside /tmp/file /dev/shm/segment && chmod 0 /tmp/locked',
      // Deeper than any path can name (PATH_MAX is 4096), with a file at the bottom.
      `python3 -c "import os; os.chdir('/tmp'); [(os.mkdir('nested'), os.chdir('nested')) for _ in range(3000)]; open('bottom', 'w').close()" && echo deep-made`,
      'echo left > kept-file',
    ].join('\n');
    const second = [
      launcherStart,
      'echo "tmp:$(ls -A /tmp /dev/shm | grep -v : | tr -d "\\n")"',
      'if [ -e /proc/$(cat sleeper) ]; then echo sleeper-alive; else echo sleeper-gone; fi',
      'echo "processes:$(ls /proc | grep -cE "^[0-9]+$")"',
      'cat kept-file',
    ].join('\n');
    const obs = await observe([shellTest('first', first), shellTest('second', second)]);
    const [a, b] = [obs.get('first')!.process, obs.get('second')!.process];
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toContain('deep-made');
    const [startA, startB] = [a.stdout.split('\n')[0], b.stdout.split('\n')[0]];
    expect(startB).toBe(startA); // one sandbox for both
    expect(b.stdout).toContain('tmp:\n');
    expect(b.stdout).toContain('sleeper-gone');
    // pid 1, the shell, its subshell, ls and grep: nothing of the first test.
    expect(Number(/processes:(\d+)/.exec(b.stdout)![1])).toBeLessThanOrEqual(5);
    expect(b.stdout).toContain('left'); // the scratch folder is the grade's, as it always was
  });

  it('stops a program at its limit and starts the next one in the same sandbox', async () => {
    const obs = await observe([
      shellTest('stuck', `${launcherStart}; exec sleep 100`, {}, { wallSeconds: 1 }),
      shellTest('next', `${launcherStart}; echo next ran`),
    ]);
    const [stuck, next] = [obs.get('stuck')!.process, obs.get('next')!.process];
    expect(stuck.stoppedBy).toBe('wall-time');
    expect(stuck.signal).toBe('SIGKILL');
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toContain('next ran');
    expect(next.stdout.split('\n')[0]).toBe(stuck.stdout.split('\n')[0]);
  });

  it('gives each program the exit status, CPU time and memory of its own run only', async () => {
    const obs = await observe([
      shellTest('big', 'python3 -c "x = bytearray(80_000_000); print(len(x))"; exit 3'),
      shellTest('small', 'exit 0'),
    ]);
    const [big, small] = [obs.get('big')!.process, obs.get('small')!.process];
    expect(big.exitCode).toBe(3);
    expect(big.maxRssKb!).toBeGreaterThan(75_000);
    expect(small.exitCode).toBe(0);
    expect(small.maxRssKb!).toBeLessThan(20_000);
    expect(small.cpuMs!).toBeLessThan(big.cpuMs!);
  });
});

describe('the grading job\'s process', () => {
  it('starts without NODE_EXTRA_CA_CERTS (Node would read the certificates before the job runs), with the rest of the environment', async () => {
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
    try {
      const job = spawnJob(['sh', '-c', 'echo "[${NODE_EXTRA_CA_CERTS-unset}] [$PATH]"']);
      const line = await job.lines.next();
      expect(line.value).toBe(`[unset] [${process.env.PATH}]`);
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
    }
  });
});
