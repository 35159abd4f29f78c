// The grader's end of sg-remote's control socket (remote-launch.c), for a
// program that runs where the grader cannot signal it or see its processes
// (INGInious's student container), or as a separate user (the user backend). sg-remote streams CPU samples on it while
// the program runs, then its meta record; the grader stops the program by
// closing its side. process.ts reads the meta record from the same socket.
import type { Socket } from 'node:net';
import type { ProcessObservation } from '../types.js';

/** How long sg-remote gets to stop the program before the grader kills run_student itself. */
const STOP_GRACE_MS = 5000;

export class RemoteControl {
  /** CPU time of the program's processes at the last sample (ms). */
  cpuMs: number | null = null;
  /** Most processes the program had at once, as sampled. */
  peakProcesses = 0;
  /** Resolves when sg-remote runs: the student container is up, the program starting. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => {};
  private pending = '';
  private stopping = false;

  constructor(private readonly socket: Socket) {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    socket.on('data', (chunk: string | Buffer) => {
      const lines = (this.pending + String(chunk)).split('\n');
      this.pending = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
  }

  private take(line: string): void {
    try {
      const rec = JSON.parse(line) as { started?: number; cpu_ms?: number; procs?: number };
      if (rec.started) this.markStarted();
      if (typeof rec.cpu_ms === 'number') this.cpuMs = rec.cpu_ms;
      if (typeof rec.procs === 'number') this.peakProcesses = Math.max(this.peakProcesses, rec.procs);
    } catch {
      /* only sg-remote writes here; a torn line means it died mid-write */
    }
  }

  /** Tells sg-remote to stop the program; `kill` runs if run_student has not ended after the grace period. */
  stop(kill: () => void): void {
    if (this.stopping) return;
    this.stopping = true;
    this.socket.end();
    setTimeout(kill, STOP_GRACE_MS).unref();
  }
}

/**
 * run_student's own return code, when sg-remote wrote no final record: the
 * platform stopped or never started the program (251-254, run-student.ts).
 * sg-remote's first record comes before the program runs: without it, the
 * program never ran, whatever the code says (the student container could not
 * start it), and that is never the student's doing (254).
 */
export function remoteOutcome(
  meta: { exit?: number; signal?: number; exec_error?: string },
  launched: boolean,
  runStudentCode: number | null,
): Pick<ProcessObservation, 'platformCode'> {
  const reported = meta.exit !== undefined || meta.signal !== undefined || meta.exec_error !== undefined;
  if (reported) return {};
  const own = runStudentCode !== null && runStudentCode >= 251 && runStudentCode <= 254;
  if (!launched) return { platformCode: own && (runStudentCode === 251 || runStudentCode === 254) ? runStudentCode : 254 };
  return own ? { platformCode: runStudentCode } : {};
}
