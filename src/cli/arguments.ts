import { type CommandSpec, COMMANDS, type OptionSpec } from './command-table.js';

/** A bad command line; the message is the one line the CLI prints (exit status 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionValue = string | number | boolean | null;

export interface ParsedCommand {
  readonly name: string;
  readonly args: Readonly<Record<string, string>>;
  /** only the options given; a negated string option is null */
  readonly options: Readonly<Record<string, OptionValue>>;
}

/** Text to print instead of running anything: help (exit 0), or the usage when no command was given (exit 2). */
export type CommandLine = { kind: 'run'; command: ParsedCommand } | { kind: 'help'; text: string; exitCode: 0 | 2 };

const HELP_FLAGS = new Set(['--help', '-h']);
const GROUPS = [...new Set(COMMANDS.map((c) => c.name.split(' ')).filter((words) => words.length > 1).map((words) => words[0]))];

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first] = argv;
  if (first === undefined) return { kind: 'help', text: usage(), exitCode: 2 };
  if (first === 'help' || HELP_FLAGS.has(first)) return { kind: 'help', text: helpFor(argv.slice(1)), exitCode: 0 };
  if (GROUPS.includes(first) && HELP_FLAGS.has(argv[1])) return { kind: 'help', text: groupHelp(first), exitCode: 0 };
  const { spec, rest } = findCommand(argv);
  const end = rest.indexOf('--');
  if ((end === -1 ? rest : rest.slice(0, end)).some((arg) => HELP_FLAGS.has(arg))) return { kind: 'help', text: commandHelp(spec), exitCode: 0 };
  return { kind: 'run', command: parseOptions(spec, rest) };
}

/** The whole usage: every command on one line (two for the longest). */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => synopsis(c, false).length)) + 2;
  const lines = COMMANDS.map((c) => `  ${synopsis(c, false).padEnd(width)}${c.summary}`);
  return ['usage: tessera <command> [options]', '', ...lines, '', 'tessera help <command> (or <command> --help) describes one command and its options.'].join('\n');
}

function helpFor(words: readonly string[]): string {
  if (words.length === 0) return usage();
  if (words.length === 1 && GROUPS.includes(words[0])) return groupHelp(words[0]);
  return commandHelp(findCommand(words).spec);
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => synopsis(c, false).length)) + 2;
  return [`usage: tessera ${group} <command>`, '', ...members.map((c) => `  ${synopsis(c, false).padEnd(width)}${c.summary}`)].join('\n');
}

function commandHelp(spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([name, option]) => [optionSynopsis(name, option), option.help] as const);
  const width = Math.max(0, ...options.map(([left]) => left.length)) + 2;
  return [
    `usage: tessera ${synopsis(spec, true)}`,
    '',
    spec.summary,
    ...(spec.details ? ['', spec.details] : []),
    ...(options.length ? ['', 'options:', ...options.map(([left, help]) => `  ${left.padEnd(width)}${help}${requiredNote(left, spec)}`)] : []),
  ].join('\n');
}

function requiredNote(left: string, spec: CommandSpec): string {
  const name = left.replace(/^--(\[no-\])?/, '').split(' ')[0];
  return spec.options[name]?.required ? ' (required)' : '';
}

function synopsis(spec: CommandSpec, full: boolean): string {
  const args = spec.args.map((a) => `<${a}>`);
  const options = Object.entries(spec.options).map(([name, option]) => {
    const text = full ? optionSynopsis(name, option) : `--${name}${option.value ? ` ${option.value}` : ''}`;
    return option.required ? text : `[${text}]`;
  });
  return [spec.name, ...args, ...(full || options.length <= 3 ? options : ['[options]'])].join(' ');
}

function optionSynopsis(name: string, option: OptionSpec): string {
  const flag = option.negatable ? `--[no-]${name}` : `--${name}`;
  return option.value ? `${flag} ${option.value}` : flag;
}

/** The command the first one or two words name, or a UsageError that says what exists. */
function findCommand(argv: readonly string[]): { spec: CommandSpec; rest: readonly string[] } {
  const [first, second] = argv;
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { spec: single, rest: argv.slice(1) };
  const pair = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (pair) return { spec: pair, rest: argv.slice(2) };
  if (GROUPS.includes(first)) {
    const members = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.split(' ')[1]);
    const choices = `${first} ${members.join('|')}`;
    if (second === undefined || second.startsWith('-')) throw new UsageError(`"${first}" needs a command: ${choices}`);
    const guess = closest(second, members);
    throw new UsageError(`unknown command "${first} ${second}"${guess ? `; did you mean "${first} ${guess}"?` : ''} (${choices})`);
  }
  const typed = second === undefined || second.startsWith('-') ? first : `${first} ${second}`;
  const guess = closest(typed, COMMANDS.map((c) => c.name)) ?? closest(first, [...GROUPS, ...COMMANDS.map((c) => c.name)]);
  const known = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))].join(', ');
  throw new UsageError(`unknown command "${typed}"${guess ? `; did you mean "${guess}"?` : ''} (commands: ${known}; see tessera --help)`);
}

function parseOptions(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options: Record<string, OptionValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const { name, option, negated } = findOption(spec, flag);
    if (Object.hasOwn(options, name)) throw new UsageError(`--${name} is given more than once`);
    if (negated || option.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`${flag} takes no value`);
      options[name] = negated ? (option.type === 'boolean' ? false : null) : true;
      continue;
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value: ${option.value ?? 'a value'}`);
    options[name] = checkedValue(name, option, value);
  }
  return { name: spec.name, args: positionalsOf(spec, positionals), options: complete(spec, options) };
}

function findOption(spec: CommandSpec, flag: string): { name: string; option: OptionSpec; negated: boolean } {
  const bare = flag.replace(/^--?/, '');
  const option = flag.startsWith('--') ? spec.options[bare] : undefined;
  if (option && Object.hasOwn(spec.options, bare)) return { name: bare, option, negated: false };
  const positive = bare.startsWith('no-') ? bare.slice(3) : undefined;
  if (positive !== undefined && flag.startsWith('--') && Object.hasOwn(spec.options, positive) && spec.options[positive].negatable) {
    return { name: positive, option: spec.options[positive], negated: true };
  }
  const names = Object.keys(spec.options);
  const guess = closest(bare, [...names, ...names.filter((n) => spec.options[n].negatable).map((n) => `no-${n}`)]);
  const hint = guess ? `; did you mean --${guess}?` : names.length ? ` (options: ${names.map((n) => `--${n}`).join(', ')})` : ' (it takes no options)';
  throw new UsageError(`unknown option ${flag} for "${spec.name}"${hint}`);
}

function checkedValue(name: string, option: OptionSpec, value: string): string | number {
  if (option.choices && !option.choices.includes(value)) {
    throw new UsageError(`--${name} must be ${option.choices.join(' or ')} (got ${JSON.stringify(value)})`);
  }
  if (option.integer) {
    const { min, max } = option.integer;
    const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return n;
  }
  return value;
}

function positionalsOf(spec: CommandSpec, positionals: readonly string[]): Record<string, string> {
  if (positionals.length < spec.args.length) {
    const missing = spec.args.slice(positionals.length).map((a) => `<${a}>`).join(' ');
    throw new UsageError(`missing ${missing}: tessera ${synopsis(spec, false)}`);
  }
  if (positionals.length > spec.args.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.args.length])}: tessera ${synopsis(spec, false)}`);
  }
  return Object.fromEntries(spec.args.map((a, i) => [a, positionals[i]]));
}

function complete(spec: CommandSpec, options: Record<string, OptionValue>): Record<string, OptionValue> {
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && !Object.hasOwn(options, name)) {
      throw new UsageError(`--${name} is required: ${option.choices ? option.choices.join(' or ') : (option.value ?? '')} (${option.help})`);
    }
  }
  if (spec.needsAnOption && Object.keys(options).length === 0) {
    throw new UsageError(`nothing to change: give at least one of ${Object.keys(spec.options).map((n) => `--${n}`).join(', ')}`);
  }
  return options;
}

/** The candidate within a small edit distance of what was typed, for "did you mean". */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(typed.length / 4)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(typed.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
