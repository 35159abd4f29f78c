// The report channel of a program that carries trusted code (the faults shim,
// a function task's harness): three extra descriptors, and the per-run nonce
// that tells the trusted code's lines from anything the student's code writes.
//
//   fd 5  report: lines "NONCE WORDS...", written by the shim and the harness
//   fd 6  the shim's: the nonce, then its orders (which calls to fail), then EOF
//   fd 7  the harness's: the nonce, then EOF
//
// A program task with `fail:` shares its process with the shim, so it can
// write on fd 5 too: lines without the nonce are counted and dropped. A
// function task's harness forks: the parent, which never loads the student's
// code, reads fd 7 after the fork and writes the harness's lines; the child
// (student code, and the shim's copy) writes to a pipe the parent checks and
// relays (runner/harness/sockgrade_harness.h). The shim takes its nonce and
// closes fd 6 before any student code runs.
import type { Readable } from 'node:stream';
import { randomHex } from '../random-hex.js';
import type { CommandPlan, FaultPlan, ReportObservation } from '../types.js';

export const REPORT_FD = 5;
export const SHIM_FD = 6;
export const HARNESS_FD = 7;
/** Report text kept at most (a program writing garbage on fd 5 cannot grow the job). */
const REPORT_CAP_BYTES = 64 * 1024;

export function needsReportChannel(plan: CommandPlan): boolean {
  return Boolean(plan.viaHarness || plan.calls);
}

/** The shim's orders, as faults.c reads them. */
export function shimOrders(fail: FaultPlan[]): string {
  return fail.map((f) => `fail=${f.calls.join('+')}:${f.errno}:${f.nth}`).join(';');
}

export class ReportChannel {
  // One nonce per writer, each good only for its own kind of line: the shim's
  // copy sits in the student's address space unprotected, so it must not be
  // able to vouch for what the function returned; the harness's never does.
  private readonly shimNonce = randomHex(16);
  private readonly harnessNonce = randomHex(16);
  private text = '';
  private dropped = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly plan: CommandPlan) {}

  /**
   * What the trusted code is handed on fds 6 and 7, each then at its end:
   * the shim's nonce and orders, the harness's nonce. Only to a reader that
   * is there: an unread copy would be the student's to take. The starter
   * writes these before the program runs (spawn.ts, kept-sandbox.ts).
   */
  handed(): Record<number, string> {
    return {
      [SHIM_FD]: this.plan.calls ? this.shimNonce + shimOrders(this.plan.calls.fail) : '',
      [HARNESS_FD]: this.plan.viaHarness ? this.harnessNonce : '',
    };
  }

  /** Reads our end of fd 5, where the shim and the harness report (the caller waits for its end, as for stdout's). */
  read(report: Readable): void {
    report.setEncoding('utf8');
    report.on('data', (d: string) => {
      const room = REPORT_CAP_BYTES - this.text.length;
      if (room > 0) this.text += d.slice(0, room);
      else this.dropped += d.length;
      for (const listener of this.listeners) listener();
    });
  }

  /** Calls `listener` whenever anything arrives on the channel (a call of the program's reported); returns what unsubscribes it. */
  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The authenticated lines (nonce removed), and how many others were written. */
  observation(): ReportObservation {
    const lines: string[] = [];
    let rejected = 0;
    const writers = [
      { prefix: `${this.shimNonce} `, may: /^(call|enter) / },
      { prefix: `${this.harnessNonce} `, may: /^harness / },
    ];
    const all = this.text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    for (const line of all) {
      // Anywhere in the line: bytes the program wrote without a newline must not hide a true line.
      let taken = false;
      for (const w of writers) {
        const at = line.indexOf(w.prefix);
        const rest = at < 0 ? '' : line.slice(at + w.prefix.length);
        if (at >= 0 && w.may.test(rest)) {
          lines.push(rest);
          taken = true;
          if (at > 0) rejected++;
          break;
        }
      }
      if (!taken) rejected++;
    }
    return { lines, rejected, truncated: this.dropped > 0 };
  }
}
