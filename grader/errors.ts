// Errors of the grader's own work that the person running it can fix: the
// grader throws them, the CLI maps them to an exit status (grader/cli/exit.ts).

/** A batch's input cannot be used: its submissions folder, or its output folder (another task's, locked, ...). Exit 2. */
export class BatchInputError extends Error {
  override readonly name = 'BatchInputError';
}
