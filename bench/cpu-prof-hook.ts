// Profiles a Node process that cannot be given --cpu-prof (NODE_OPTIONS
// refuses it): the grading job's own Node process. Loaded with
//   NODE_OPTIONS="--import /path/to/dist/bench/cpu-prof-hook.js" SOCKGRADE_PROF_DIR=/tmp/prof ...
// it starts V8's profiler through the in-process inspector and writes
// <pid>.cpuprofile into SOCKGRADE_PROF_DIR as the process exits. Bench use only.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.SOCKGRADE_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // An in-process inspector session answers synchronously, so this works in 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(path.join(dir, `${process.argv[1] ? path.basename(process.argv[1], '.js') : 'node'}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
