// Where a batch keeps its grades: OUT/records.jsonl, one JSON record per
// line, appended and flushed to disk (fsync) as each grade is known. A kill
// at any instant loses at most the line being written, which the next start
// cuts off; the latest record of a student wins. OUT/batch.json says which
// task the folder belongs to, OUT/batch.lock which process is writing it.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { BatchInputError } from '../errors.js';
import { log } from '../log.js';
import type { Report } from '../report/model.js';
import { fsyncDir, writeFileAtomic } from './durable.js';

export const BATCH_SCHEMA = 'sockgrade.batch/v1';
const META_FILE = 'batch.json';
const RECORDS_FILE = 'records.jsonl';
const LOCK_FILE = 'batch.lock';

export interface BatchMeta {
  schema: typeof BATCH_SCHEMA;
  task: string;
  created: string;
}

/** One student's grade, and what it was computed from. */
export interface GradeRecord {
  id: string;
  /** The entry's name in the submissions folder. */
  entry: string;
  /** Content hash of the submission (files or archive bytes). */
  submissionHash: string;
  /** Content hash of the task folder (task.yaml, tests, harness sources). */
  taskHash: string;
  seed: number;
  gradedAt: string;
  report: Report;
}

function isRecord(v: unknown): v is GradeRecord {
  const r = v as GradeRecord;
  return Boolean(r) && typeof r.id === 'string' && typeof r.submissionHash === 'string' && typeof r.taskHash === 'string' && typeof r.report === 'object' && r.report !== null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check, nothing is sent
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class BatchStore {
  /** The latest record of each student. */
  readonly records = new Map<string, GradeRecord>();
  private fd: number;
  private readonly file: string;

  private constructor(readonly outDir: string) {
    this.file = path.join(outDir, RECORDS_FILE);
    this.load();
    this.fd = openSync(this.file, 'a');
    fsyncDir(outDir);
  }

  /** Opens (or starts) the batch folder `outDir` for `taskId`; a folder that is not ours is refused. */
  static open(outDir: string, taskId: string): BatchStore {
    const shown = outDir;
    if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new BatchInputError(`--out ${shown} is a file; give a folder for the grades`);
    const metaFile = path.join(outDir, META_FILE);
    if (existsSync(metaFile)) {
      let meta: Partial<BatchMeta>;
      try {
        meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Partial<BatchMeta>;
      } catch (err) {
        throw new BatchInputError(`${metaFile}: not a sockgrade batch file (${(err as Error).message}); choose another --out`);
      }
      if (meta.schema !== BATCH_SCHEMA) throw new BatchInputError(`${metaFile}: not a sockgrade batch file (schema ${meta.schema}); choose another --out`);
      if (meta.task !== taskId) {
        throw new BatchInputError(`${shown} holds the grades of task '${meta.task}', not '${taskId}'; choose another --out for ${taskId}`);
      }
    } else {
      if (existsSync(outDir) && readdirSync(outDir).some((f) => !f.startsWith('.'))) {
        throw new BatchInputError(`${shown} is not empty and holds no sockgrade batch (no ${META_FILE}); choose a new or empty folder for --out`);
      }
      mkdirSync(outDir, { recursive: true });
      const meta: BatchMeta = { schema: BATCH_SCHEMA, task: taskId, created: new Date().toISOString() };
      writeFileAtomic(metaFile, JSON.stringify(meta, null, 2) + '\n', true);
    }
    BatchStore.lock(outDir);
    return new BatchStore(outDir);
  }

  // Two batches appending to one folder would grade students twice.
  private static lock(outDir: string): void {
    const lockFile = path.join(outDir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(lockFile, 'wx');
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
        closeSync(fd);
        fsyncDir(outDir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new BatchInputError(`another sockgrade batch (pid ${pid}) is writing ${outDir}; wait for it, or delete ${lockFile} if that process is not sockgrade`);
      }
      // Left by a run that was killed: its pid is gone.
      rmSync(lockFile, { force: true });
    }
    throw new BatchInputError(`cannot lock ${outDir}: ${lockFile} keeps reappearing; is another sockgrade batch starting on it?`);
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const bytes = readFileSync(this.file);
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) {
      // The process was killed while writing this line: the grade it held was never reported; it is graded again.
      log.warn({ file: this.file, bytes: bytes.length - end }, 'cutting off a record torn by an interrupted run');
      const fd = openSync(this.file, 'r+');
      try {
        ftruncateSync(fd, end);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const lines = bytes.subarray(0, end).toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        log.warn({ file: this.file, line: i + 1 }, 'skipping an unreadable record');
        return;
      }
      if (isRecord(rec)) this.records.set(rec.id, rec);
      else log.warn({ file: this.file, line: i + 1 }, 'skipping a record of the wrong shape');
    });
  }

  /** Records a grade; on return it is on disk. */
  append(record: GradeRecord): void {
    writeSync(this.fd, JSON.stringify(record) + '\n');
    fsyncSync(this.fd);
    this.records.set(record.id, record);
  }

  /** Rewrites the records file with only the latest record of each student. */
  compact(): void {
    const text = [...this.records.values()].map((r) => JSON.stringify(r) + '\n').join('');
    closeSync(this.fd);
    writeFileAtomic(this.file, text, true);
    this.fd = openSync(this.file, 'a');
  }

  close(): void {
    closeSync(this.fd);
    rmSync(path.join(this.outDir, LOCK_FILE), { force: true });
  }
}
