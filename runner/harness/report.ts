// Reads the authenticated report lines of one run (see channel.ts) back into
// what the shim and the harness saw. The wire format is written by faults.c
// and sockgrade_harness.h; this is its only reader. Describes, never judges.

export interface CallRecord {
  /** socket, bind, connect, send, sendto, sendmsg, write, recv, recvfrom, recvmsg, read */
  name: string;
  ret: number;
  errno: number;
  /** The shim made this call fail (it was never made). */
  injected: boolean;
  fd?: number;
  /** socket(): the domain; bind/connect/sendto: the address's family. */
  family?: number;
  /** socket(): the type, without SOCK_NONBLOCK/SOCK_CLOEXEC. */
  type?: number;
  port?: number;
  len?: number;
  /** recvfrom/recvmsg that asked for the sender's address: the room the program gave for it... */
  addrRoom?: number;
  /** ...and the length the kernel reported (more than addrRoom: the address was cut to fit). */
  addrLen?: number;
}

export interface RunReport {
  /** Every socket call, in order. */
  calls: CallRecord[];
  /** A receive that started and never came back (the program was stopped or died in it). */
  blockedIn: string | null;
  /** The harness itself could not do its job (its parent says so, never the student's code). */
  failed: string | null;
  /** The harness loaded the student's library and found the function. */
  loaded: boolean;
  loadError: string | null;
  /** The function the harness could not find in the library. */
  missing: string | null;
  /** The harness was about to call the function. */
  called: boolean;
  /** What the function returned, if it returned. */
  returned: number | null;
  /** A value the harness read back after the call (e.g. *result), unsigned 32-bit. */
  result: number | null;
  /** The harness saw the value it had put there before the call. */
  resultUntouched: boolean;
  /**
   * Descriptors holding a socket when the function returned that were not
   * open when it was called (the kernel's view, taken by the harness); null
   * when the harness did not say (the function did not return).
   */
  openSockets: number[] | null;
}

function fields(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    out[eq < 0 ? w : w.slice(0, eq)] = eq < 0 ? '' : w.slice(eq + 1);
  }
  return out;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function readRunReport(lines: readonly string[]): RunReport {
  const r: RunReport = {
    calls: [],
    blockedIn: null,
    failed: null,
    loaded: false,
    loadError: null,
    missing: null,
    called: false,
    returned: null,
    result: null,
    resultUntouched: false,
    openSockets: null,
  };
  for (const line of lines) {
    const [source, what, ...rest] = line.split(' ');
    if (source === 'enter' && what) {
      r.blockedIn = what;
    } else if (source === 'call' && what) {
      const f = fields(rest);
      const call: CallRecord = { name: what, ret: num(f.ret) ?? -1, errno: num(f.errno) ?? 0, injected: 'injected' in f };
      for (const key of ['fd', 'family', 'type', 'port', 'len'] as const) {
        const v = num(f[key]);
        if (v !== undefined && v >= 0) call[key] = v;
      }
      const room = num(f.room);
      const addrLen = num(f.addrlen);
      if (room !== undefined && addrLen !== undefined) {
        call.addrRoom = room;
        call.addrLen = addrLen;
      }
      r.calls.push(call);
      if (r.blockedIn === what) r.blockedIn = null;
    } else if (source === 'harness') {
      if (what === 'failed') r.failed = rest.join(' ');
      else if (what === 'loaded') r.loaded = true;
      else if (what === 'load-error') r.loadError = rest.join(' ');
      else if (what === 'missing') r.missing = rest.join(' ');
      else if (what === 'calling') r.called = true;
      else if (what === 'returned') r.returned = num(rest[0]) ?? null;
      else if (what === 'result') r.result = num(rest[0]) ?? null;
      else if (what === 'result-untouched') r.resultUntouched = true;
      else if (what === 'open-sockets') r.openSockets = rest.filter((w) => w !== 'none').map(Number).filter(Number.isInteger);
    }
  }
  return r;
}
