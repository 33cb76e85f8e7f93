import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config.js';

type Env = Readonly<Record<string, string | undefined>>;

export const ENV_FILE = '.env';

const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=(.*)$/;
const QUOTES = ['"', "'", '`'];

/**
 * The line of the first thing in `text` that is not `NAME=value`, a comment or blank,
 * or undefined. Node's parser skips such lines silently (or folds them into the next
 * name); a typo in a settings file should stop the boot instead, as a bad setting does.
 */
export function malformedLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let quote: string | undefined;
  let opened = 0;
  for (const [index, line] of lines.entries()) {
    if (quote !== undefined) {
      if (line.includes(quote)) quote = undefined;
      continue;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) return index + 1;
    // A quoted value may go on over several lines, up to its closing quote.
    const value = assignment[1].trim();
    const opening = QUOTES.find((q) => value.startsWith(q));
    if (opening !== undefined && !value.slice(1).includes(opening)) [quote, opened] = [opening, index + 1];
  }
  return quote === undefined ? undefined : opened;
}

/**
 * The environment with the settings of `.env` in `cwd` underneath it: a variable set in
 * the real environment wins over the file. No file, no change. The file is parsed with
 * Node's own parser (the one behind `node --env-file`), and process.env is left as it is.
 */
export function withEnvFile(env: Env, cwd = process.cwd()): Env {
  let text: string;
  try {
    text = readFileSync(join(cwd, ENV_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return env;
    throw new ConfigError(ENV_FILE, 'a readable file when present', code);
  }
  const line = malformedLine(text);
  // Never echo the line: it may hold a secret.
  if (line !== undefined) throw new ConfigError(`${ENV_FILE} line ${line}`, 'NAME=value, a # comment or blank');
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...parseEnv(text), ...defined });
}
