// What a task may write in its YAML for the calculator protocol, as schemas:
// a request (`send:`), an answer to a client (`answer:`), and what the program
// must answer or send (`expect:`, `receive:`). Read only when a task is
// loaded from its YAML (grader/task/load.ts): grading a loaded task needs
// none of this, nor zod.
import { z } from 'zod';
import { MAX_INTS } from './codec.js';

const u32 = z.number().int().min(0).max(0xffffffff);

export const replyExpectSchema = z.union([
  z.literal('silence'),
  z
    .object({
      status: z.enum(['ok', 'error']),
      int: u32.optional(),
      text: z.string().regex(/^\d+$/, 'a text result is decimal digits').optional(),
      /** The reply may also be missing (malformed requests: S=0 or silence). */
      optional: z.boolean().default(false),
    })
    .strict(),
]);
export type ReplyExpect = z.infer<typeof replyExpectSchema>;

export const requestExpectSchema = z
  .object({
    op: z.enum(['sum', 'product']),
    format: z.enum(['int', 'text']),
    ints: z.array(u32).min(1).max(MAX_INTS),
  })
  .strict();
export type RequestExpect = z.infer<typeof requestExpectSchema>;

/** A request as a task writes it. `header` overrides op/format/unused. */
export const requestSchema = z
  .object({
    op: z.union([z.enum(['sum', 'product']), z.number().int().min(0).max(7)]).default('sum'),
    format: z.enum(['int', 'text']).default('int'),
    unused: z.number().int().min(0).max(15).default(0),
    header: z.number().int().min(0).max(255).optional(),
    ints: z.array(u32).max(256).optional(),
    /** Draw this many integers from the seeded generator instead of listing them. */
    random_ints: z.number().int().min(1).max(256).optional(),
  })
  .strict()
  .refine((r) => (r.ints === undefined) !== (r.random_ints === undefined), {
    message: 'give exactly one of ints or random_ints',
  });
export type RequestSpec = z.infer<typeof requestSchema>;

/** A response as a task writes it (for client tasks, the server's answer). */
export const responseSchema = z
  .object({
    status: z.enum(['ok', 'error']),
    int: u32.optional(),
    text: z.string().optional(),
    /** Extra bits to set in the response header's 7 unused bits. */
    unused: z.number().int().min(0).max(127).default(0),
    /** Raw payload after the header, hex (e.g. a meaningless payload after S=0). */
    payload: z.string().regex(/^[0-9a-fA-F\s]*$/).optional(),
  })
  .strict();
export type ResponseSpec = z.infer<typeof responseSchema>;
