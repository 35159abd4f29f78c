// The shape of task.yaml and of hidden-test files. Protocol-specific parts of
// a step (what is sent, what must come back) are checked by the protocol's
// own schemas in load.ts, with the same positions.
import { z } from 'zod';
import { functionSchema } from '../kinds/function/schema.js';

export const TAGS = ['result', 'endianness', 'protocol', 'error-handling', 'robustness', 'cli'] as const;
// visible: feedback and the test's inputs; feedback: the mistake, not the inputs (default);
// hidden: name and verdict only; after_due_date: hidden until the due date, then visible.
export const VISIBILITIES = ['visible', 'feedback', 'hidden', 'after_due_date'] as const;

const positiveInt = z.number().int().positive();

export const limitsSchema = z
  .object({
    cpu_s: z.number().positive(),
    wall_s: z.number().positive(),
    memory_mb: positiveInt,
    processes: positiveInt,
    file_size_mb: positiveInt,
    open_files: positiveInt,
    output_kb: positiveInt,
    /** What the programs may write in their folder, in all (a tmpfs of this size). */
    disk_mb: positiveInt,
  })
  .partial()
  .strict();

const fileName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a plain file name (letters, digits, . _ -)');

export const taskSchema = z
  .object({
    title: z.string().min(1),
    /** The statement students read, a file in the task folder. */
    statement: fileName,
    /** 'server': the program is started and the grader sends first; 'client': the grader listens. */
    role: z.enum(['server', 'client']),
    /** 'function': the student hands in one C function, called by the task's harness (docs/function-tasks.md). */
    kind: z.enum(['program', 'function']).default('program'),
    function: functionSchema.optional(),
    /** The file the program is run from, in the submission folder after the build. */
    program: fileName,
    /** Build rules, first match wins: `when` a file exists in the submission, `run` this. */
    build: z
      .array(z.object({ when: fileName, run: z.array(z.string()).min(1) }).strict())
      .default([]),
    /** How the program is started; {port} is replaced by the test's port. */
    run: z.array(z.string()).min(1),
    port: z.number().int().min(1024).max(65535).default(10000),
    protocol: z.string(),
    /** How the program prints its result on stdout, one line; {result} stands for the value (`after.result`). */
    result_line: z.string().refine((s) => s.split('{result}').length === 2, { message: 'holds {result} exactly once' }).optional(),
    tests: z.union([fileName, z.array(fileName).min(1)]),
    visibility: z.enum(VISIBILITIES).default('feedback'),
    limits: limitsSchema.default({}),
    build_limits: limitsSchema.default({}),
    timeouts: z
      .object({
        ready_ms: positiveInt.default(2000),
        reply_ms: positiveInt.default(1000),
        exit_ms: positiveInt.default(2000),
      })
      .strict()
      .default({ ready_ms: 2000, reply_ms: 1000, exit_ms: 2000 }),
  })
  .strict();
export type TaskYaml = z.infer<typeof taskSchema>;

export const stepSchema = z
  .object({
    send: z.unknown().optional(),
    /** Peer socket to send from: steps naming the same socket share a source port. */
    from: z.string().regex(/^[\w-]+$/).optional(),
    expect: z.unknown().optional(),
    receive: z.unknown().optional(),
    answer: z.unknown().optional(),
    wait_exit: z.literal(true).optional(),
    repeat: z.number().int().min(1).max(1000).default(1),
    timeout_ms: positiveInt.optional(),
  })
  .strict()
  .refine((s) => [s.send, s.receive, s.wait_exit].filter((v) => v !== undefined).length === 1, {
    message: 'a step has exactly one of send, receive or wait_exit',
  })
  .refine((s) => s.send !== undefined || (s.expect === undefined && s.from === undefined), {
    message: 'expect and from go with send',
  })
  .refine((s) => s.receive !== undefined || s.answer === undefined, { message: 'answer goes with receive' });

const regexString = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const afterSchema = z
  .object({
    /** The program must still be running after the steps (servers). */
    running: z.literal(true).optional(),
    /** The program must exit by itself with this status ('nonzero': any failure). */
    exit: z.union([z.number().int().min(0).max(255), z.literal('nonzero')]).optional(),
    stdout: regexString.optional(),
    /** 'nonempty', 'empty', or a regular expression. */
    stderr: regexString.optional(),
    within_ms: positiveInt.optional(),
    /** The value the program prints in the task's result_line, or 'none': it must print no result line. */
    result: z.union([z.number(), z.string().min(1)]).optional(),
    /** 'none': the program sends nothing at all; 'retransmissions': datagrams no step took repeat the last one a step took. */
    datagrams: z.enum(['none', 'retransmissions']).optional(),
  })
  .strict()
  .refine((a) => (a.running === undefined) !== (a.exit === undefined), { message: 'give exactly one of running or exit' })
  .refine((a) => a.result === undefined || a.exit !== undefined, { message: 'result goes with exit: it is read once the program has ended' });

const testId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

export const testSchema = z
  .object({
    id: testId,
    name: z.string().min(1),
    weight: z.number().positive().default(1),
    tags: z.array(z.enum(TAGS)).default([]),
    visibility: z.enum(VISIBILITIES).optional(),
    /** Overrides the task's `run` for this test ({port} is replaced). */
    args: z.array(z.string()).min(1).optional(),
    /** Ports taken before the program starts; 'port' means the test's own port. */
    occupy: z.array(z.union([z.literal('port'), z.number().int().min(1).max(65535)])).default([]),
    port: z.number().int().min(1024).max(65535).optional(),
    /** Wait for the port to be bound before the steps (default: yes for servers). */
    ready: z.enum(['port', 'none']).optional(),
    steps: z.array(z.unknown()).default([]),
    after: z.unknown().optional(),
    /** Socket calls made to fail (grader/task/faults.ts). */
    fail: z.unknown().optional(),
    /** Negative tests: the positive test(s) that must pass for this one to earn credit (grader/verdict/controls.ts). */
    control: z.union([testId, z.array(testId).min(1)]).optional(),
  })
  .strict();

export const testsFileSchema = z.object({ tests: z.array(z.unknown()).min(1) }).strict();
