// A command's command line, from its one table (grader/cli/commands.ts): the
// parser, `--help`, the synopsis usage errors end with, and the list an
// unknown option is shown with. Errors are ours, not Node's: an unknown
// option is named with the options the command does take; a missing argument by its name.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { disableColour } from '../report/text.js';
import { HelpRequest, UsageError } from './exit.js';

/** One option of a command: how it parses, and its line in `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** What the value is, in the synopsis and help: `FILE`, `N`, `text|json`. */
  value?: string;
  help: string;
}

/** A command's command line: its synopsis, options and help text, all from this one table. */
export interface CommandSpec {
  /** The positionals in the synopsis, e.g. `TASK SUBMISSION`, `[TASK...]`. */
  args: string;
  /** Their names in order, for "SUBMISSION is missing"; the last one repeats when max is Infinity. */
  positionals: string[];
  count: [number, number];
  summary: string;
  options: Record<string, OptionSpec>;
  /** Environment variables the command reads, with one line each. */
  env: string[];
  examples: string[];
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A command line that parsed against its table: what each command's run() gets. */
export interface ParsedArgs {
  values: Values;
  positionals: string[];
}

/** Options every command takes. */
const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  'no-color': { type: 'boolean', help: 'no colour, even on a terminal' },
};

function optionSynopsis(name: string, o: OptionSpec): string {
  return `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
}

/** `sockgrade grade TASK SUBMISSION [--format text|json|...] ...`: the command and every option. */
export function synopsis(command: string, spec: CommandSpec): string {
  const opts = Object.entries(spec.options).map(([n, o]) => `[${optionSynopsis(n, o)}]${o.multiple ? '...' : ''}`);
  return ['sockgrade', command, spec.args, ...opts].filter(Boolean).join(' ');
}

/** `sockgrade COMMAND --help`: what it does, its synopsis, every option with one line, the environment, examples. */
export function commandHelp(command: string, spec: CommandSpec): string {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const left = Object.entries(options).map(([n, o]) => `${o.short ? `-${o.short}, ` : '    '}${optionSynopsis(n, o)}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = [`usage: ${synopsis(command, spec)}`, '', `${spec.summary}.`, '', 'options:'];
  Object.values(options).forEach((o, i) => lines.push(`  ${left[i]!.padEnd(width)}${o.help}`));
  if (spec.env.length) {
    // Each entry is 'NAME=VALUE  what it does': the second column aligned.
    const rows = spec.env.map((e) => /^(\S+)\s+(.*)$/.exec(e)!.slice(1) as [string, string]);
    const w = Math.max(...rows.map(([n]) => n.length)) + 2;
    lines.push('', 'environment:', ...rows.map(([n, h]) => `  ${n.padEnd(w)}${h}`));
  }
  if (spec.examples.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  if (command === 'grade' || command === 'batch') {
    lines.push('', 'TASK is a task id (a folder under tasks/, see: sockgrade tasks) or the path of a task folder.');
  }
  if (command === 'grade') lines.push('SUBMISSION is a folder, a single file (C source or executable), or a .zip / .tar.gz.');
  const interrupted = command === 'batch' ? ', 130 stopped by Ctrl-C (rerun to resume)' : '';
  lines.push('', `exit status: 0 done, 1 check failed, 2 bad command line/task/submission, 3 machine cannot grade, 4 internal error${interrupted}`);
  return lines.join('\n') + '\n';
}

/** `sockgrade --help`: every command in one line. */
export function mainHelp(commands: Record<string, CommandSpec>): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => `${n} ${commands[n]!.args}`.length)) + 2;
  return [
    'usage: sockgrade COMMAND [ARGS] [OPTIONS]',
    '',
    'commands:',
    ...names.map((n) => `  ${`${n} ${commands[n]!.args}`.padEnd(width)}${commands[n]!.summary}`),
    '',
    'sockgrade COMMAND --help   that command\'s options, environment and examples',
    'sockgrade --version        the version',
    '',
    'TASK is a task id (a folder under tasks/) or a path to a task folder.',
    'SUBMISSION is a file (C source, executable), a folder, or an archive.',
  ].join('\n') + '\n';
}

/**
 * The command line of `command`, against its table. Throws HelpRequest for
 * --help, UsageError for each kind of mistake, with its own message.
 */
export function parse(command: string, spec: CommandSpec, args: string[]): ParsedArgs {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const config: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  const usageLine = `usage: ${synopsis(command, spec)}`;
  const known = () => Object.entries(spec.options).map(([n, o]) => optionSynopsis(n, o)).join(', ');
  const takes = () => (Object.keys(spec.options).length ? `${command} takes ${known()}` : `${command} takes no options`);
  // Not strict: every token is checked here, so that each mistake has its own message.
  const { values, positionals, tokens } = parseArgs({ args, options: config, allowPositionals: true, strict: false, tokens: true });
  if (values.help) throw new HelpRequest(commandHelp(command, spec));
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (!o) throw new UsageError(`unknown option '${t.rawName}'; ${takes()} (sockgrade ${command} --help)`);
    if (o.type === 'string' && t.value === undefined) {
      throw new UsageError(`${t.rawName} needs a value (${optionSynopsis(t.name, o)}); ${usageLine}`);
    }
    if (o.type === 'boolean' && t.inlineValue) throw new UsageError(`${t.rawName} takes no value; ${usageLine}`);
  }
  if (values['no-color']) disableColour();
  checkCount(command, spec, positionals, usageLine);
  return { values: values as Values, positionals };
}

/** As many positionals as the command takes: a missing one by its name, extra ones quoted. */
function checkCount(command: string, spec: CommandSpec, positionals: string[], usageLine: string): void {
  const [min, max] = spec.count;
  if (positionals.length < min) {
    throw new UsageError(`${spec.positionals.slice(positionals.length, min).join(' and ')} ${min - positionals.length > 1 ? 'are' : 'is'} missing; ${usageLine}`);
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).map((p) => `'${p}'`).join(' ');
    throw new UsageError(`${max === 0 ? `${command} takes no arguments` : `too many arguments`}: ${extra}; ${usageLine}`);
  }
}
