// What a task may write in its YAML for the integers protocol, as schemas: a
// list of integers (`send:`, `answer:`) and what the program must answer or
// send (`expect:`, `receive:`). Read only when a task is loaded from its YAML
// (grader/task/load.ts): grading a loaded task needs none of this, nor zod.
import { z } from 'zod';

const u32 = z.number().int().min(0).max(0xffffffff);

/** A list of integers as a task writes it: given, or drawn from the seeded generator. */
export const integersSchema = z
  .object({
    ints: z.array(u32).max(1024).optional(),
    random_ints: z.number().int().min(1).max(1024).optional(),
    /** Drawn integers are below this bound (keeps a text sum short, or a sum below 2^31). */
    below: z.number().int().min(2).max(0x100000000).optional(),
  })
  .strict()
  .refine((r) => (r.ints === undefined) !== (r.random_ints === undefined), { message: 'give exactly one of ints or random_ints' })
  .refine((r) => r.below === undefined || r.random_ints !== undefined, { message: 'below goes with random_ints' });
export type IntegersSpec = z.infer<typeof integersSchema>;

/** What the program must answer to a list of integers. */
export const replyExpectSchema = z
  .object({
    /** Exactly this one integer, 4 bytes. */
    int: u32.optional(),
    /** Exactly these digits, nothing else. */
    text: z.string().regex(/^\d+$/, 'decimal digits').optional(),
    /** The sum of the integers sent, as one integer or as text. */
    sum: z.enum(['int', 'text']).optional(),
  })
  .strict()
  .refine((e) => [e.int, e.text, e.sum].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of int, text or sum' });
export type ReplyExpect = z.infer<typeof replyExpectSchema>;

/** What the program must send: these integers, and nothing else. */
export const requestExpectSchema = z.object({ ints: z.array(u32).min(1).max(1024) }).strict();
export type RequestExpect = z.infer<typeof requestExpectSchema>;
