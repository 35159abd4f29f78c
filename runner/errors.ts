/** The machine cannot run a sandbox; `message` says what to do about it. Exit 3. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** A submission that cannot be prepared (missing, unreadable, rejected archive). */
export class SubmissionError extends Error {
  override readonly name: string = 'SubmissionError';
}

/**
 * A submission that does not fit the scratch space the task gives it: the
 * student's failure (graded `failed`, with this message), never the machine's.
 */
export class SubmissionTooLargeError extends SubmissionError {
  override readonly name = 'SubmissionTooLargeError';
}
