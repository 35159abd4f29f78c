// What each planned step asked of the program (the request the peer sent, the
// answer it gives back), kept by the plan (grader/plan.ts) for the verdicts,
// which hold the program's observation against it.

/** What a step asked of the program, kept for checking its observation. */
export interface StepContext {
  /** The resolved request the peer sent (send steps). */
  request?: unknown;
  describe: string;
  /** The answer the peer sends back (receive steps), hex; absent when it stays silent. */
  answer?: string;
}
