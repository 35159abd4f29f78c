// The `sockgrade` command: finds the command in the table (commands.ts),
// parses its command line, loads that command's module only, and runs it;
// every error ends as exit.ts says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import { logLevelProblem, shows } from '../log-level.js';
import type { JobAhead } from '../../runner/job/job-command.js';
import { COMMANDS, NAMED_IN_ERRORS, type CommandModule } from './commands.js';
import { EXIT, exitFor, guardProcess, UsageError } from './exit.js';
import { commandHelp, mainHelp, parse } from './options.js';

/** Commands outside the table: a test stands in a bug with one (they take their arguments unparsed). */
const registered: Record<string, (args: string[]) => Promise<number> | number> = {};

export function registerCommand(name: string, run: (args: string[]) => Promise<number> | number): void {
  registered[name] = run;
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `sockgrade`, `sockgrade --help`, `sockgrade help [COMMAND]`. */
function printHelp(command: string | undefined, rest: string[]): number {
  // `sockgrade help grade` is `sockgrade grade --help`.
  const topic = command === 'help' ? rest[0] : undefined;
  process.stdout.write(topic && Object.hasOwn(COMMANDS, topic) ? commandHelp(topic, COMMANDS[topic]!) : mainHelp(COMMANDS));
  return command ? EXIT.ok : EXIT.usage;
}

/** The command named on the command line, parsed and loaded, or a UsageError. */
async function runCommand(command: string, rest: string[], ahead?: JobAhead): Promise<number> {
  const extra = Object.hasOwn(registered, command) ? registered[command] : undefined;
  if (extra) return extra(rest);
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  const names = [...NAMED_IN_ERRORS, ...Object.keys(registered)].join(', ');
  if (!spec && command.startsWith('-')) throw new UsageError(`unknown option '${command}'; before a command sockgrade takes --help or --version; commands: ${names}`);
  if (!spec) throw new UsageError(`unknown command '${command}'; commands: ${names} (sockgrade --help)`);
  const args = parse(command, spec, rest);
  const release = await spec.early?.(args, ahead);
  try {
    const module: CommandModule = await spec.load();
    return await module.run(args);
  } finally {
    await release?.();
  }
}

/**
 * The job the command's shell line started before any Node (bin/sockgrade.js),
 * when it did: taken with the bundle's own modules, loaded for the grade
 * anyway, rather than by bin/sockgrade.js importing them one by one first.
 * Where it cannot be taken, `grade`'s job starts here.
 */
async function jobFromShellLine(argv: string[]): Promise<JobAhead | undefined> {
  if (!process.env.SOCKGRADE_JOB_AHEAD) return undefined;
  const jobs = await import('../../runner/job/job-command.js');
  return jobs.adoptJobAhead() ?? jobs.startJobAhead(argv) ?? undefined;
}

/** Runs the CLI; returns the exit status. `ahead`: the job started before the CLI loaded (bin/sockgrade.js), taken by the command or killed here. */
export async function main(argv: string[], ahead?: JobAhead): Promise<number> {
  ahead ??= await jobFromShellLine(argv);
  try {
    return await runMain(argv, ahead);
  } finally {
    if (ahead && shows('debug')) {
      const { log } = await import('../log.js');
      log.debug({ startedBy: ahead.startedBy, taken: ahead.taken }, 'the job started before the CLI loaded');
    }
    await ahead?.discard();
  }
}

async function runMain(argv: string[], ahead?: JobAhead): Promise<number> {
  const [command, ...rest] = argv;
  if (logLevelProblem) {
    process.stderr.write(`sockgrade: ${logLevelProblem}\n`);
    return EXIT.usage;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') return printHelp(command, rest);
  if (command === '--version' || command === '-V') {
    process.stdout.write(`sockgrade ${version()}\n`);
    return EXIT.ok;
  }
  guardProcess();
  try {
    return await runCommand(command, rest, ahead);
  } catch (err) {
    return exitFor(err);
  }
}
