// Profiles a Node process that cannot be given --cpu-prof (NODE_OPTIONS
// refuses it): the grading job's own Node process. Loaded with
//   NODE_OPTIONS="--import /path/to/dist/bench/cpu-prof-hook.js" SOCKGRADE_PROF_DIR=/tmp/prof ...
// it starts V8's profiler through the in-process inspector and writes
// NAME-PID.cpuprofile into SOCKGRADE_PROF_DIR as the process exits, beside
// NAME-PID.cpu.json: the process's own CPU since it started (process.cpuUsage,
// boot included, children not). SOCKGRADE_PROF_CPU_ONLY=1 writes only the
// latter, without the profiler's own cost. Bench use only.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.SOCKGRADE_PROF_DIR;
if (dir) {
  const profile = process.env.SOCKGRADE_PROF_CPU_ONLY !== '1';
  const session = new Session();
  if (profile) {
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
    session.post('Profiler.start');
  }
  // An in-process inspector session answers synchronously, so this works in 'exit'.
  // pid and a random tag: every job is pid 2 of its own namespace.
  const name = `${process.argv[1] ? path.basename(process.argv[1], '.js') : 'node'}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  process.on('exit', () => {
    const u = process.cpuUsage();
    writeFileSync(path.join(dir, `${name}.cpu.json`), JSON.stringify({ userMs: u.user / 1000, systemMs: u.system / 1000, uptimeMs: process.uptime() * 1000 }));
    if (profile) session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
