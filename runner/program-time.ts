// Waits measured in the program's time rather than the wall clock's. A wait
// for a reply, a datagram, a port or an exit gives the program some
// milliseconds to act; on a busy machine part of them goes to other work
// (the program, or the runner reading its output, sits in a run queue), so
// a plain deadline would judge the machine's load instead of the program.
// Each time the deadline passes, it is pushed back by the run-queue time
// spent since the wait began (runner/run-queue.ts). A program that blocks
// (waits for a datagram) queues for nothing: its wait ends on time. The
// program's wall limit still ends every wait: it stops the program.
//
// A wait for an answer also goes on while the program's memory grows: a
// program filling its memory is on its way to its limit, and how much CPU
// that takes depends on the machine (each new page costs a page fault, 30-70
// µs in some VMs rather than ~1), so its verdict should not depend on
// whether the limit came before the wait's end.
import type { Deadline } from './wait.js';

/** Below this much new run-queue time the wait is over: nothing left to give back. */
const MIN_EXTENSION_MS = 2;
const EARLY_TIMER_MS = 5;
/** Peak memory grown by this much: the program is still filling its memory. */
const GROWING_KB = 4096;
/** It then gets this much more of its own time (the wait's time less the time queued) to grow again. */
const GROWING_MS = 250;

export interface QueuedClock {
  /** Run-queue time (ms) so far of the program and of the runner serving it; 0 where the kernel does not count it. */
  queuedMs(): { program: number; runner: number };
  readonly running: boolean;
  /** Peak resident memory (kB) of the program so far; asked only of waits that go on while it grows. */
  peakMemoryKb?(): number;
}

/**
 * Runs `wait` with a deadline `ms` from now, and again with a later one while
 * the program is running, `done` is false, and the program or the runner
 * queued for a CPU since the start: the wait lasts `ms` plus that time. On a
 * busy machine a spinning program thus gets about `ms` of CPU time in it.
 * With `whileMemoryGrows`, while the program's peak memory grows by
 * GROWING_KB within GROWING_MS of its own time, the wait goes on: its own
 * time, not the wall clock's, so that a busy machine cannot end it early.
 */
export async function waitProgramTime<T>(
  program: QueuedClock,
  ms: number,
  wait: (d: Deadline) => Promise<T>,
  done: (v: T) => boolean,
  whileMemoryGrows = false,
): Promise<T> {
  const start = performance.now();
  const before = program.queuedMs();
  let memoryKb = whileMemoryGrows ? (program.peakMemoryKb?.() ?? null) : null;
  let grewAtMs = 0; // the program's own time (since the start, less the time queued) when it last grew
  let allowed = ms;
  for (;;) {
    const v = await wait({ at: start + allowed });
    // Done, or ended before its deadline for a reason of its own (a stray answer): nothing to
    // stretch. (A timer may fire a little early: libuv's clock counts whole milliseconds.)
    if (done(v) || !program.running || performance.now() < start + allowed - EARLY_TIMER_MS) return v;
    // The larger of the two, not their sum: while both queue at once, that time was lost once.
    const now = program.queuedMs();
    const queued = Math.max(0, now.program - before.program, now.runner - before.runner);
    let programMs = ms;
    if (memoryKb !== null) {
      // Nothing to read after a reading: its process is on its way out (freeing a full memory takes a while), once.
      const grown = program.peakMemoryKb!();
      if ((grown === 0 && memoryKb > 0) || grown - memoryKb >= GROWING_KB) {
        grewAtMs = performance.now() - start - queued;
        memoryKb = grown;
      }
      programMs = Math.max(ms, grewAtMs + GROWING_MS);
    }
    const owed = programMs + queued;
    if (owed - allowed < MIN_EXTENSION_MS) return v;
    allowed = owed;
  }
}
