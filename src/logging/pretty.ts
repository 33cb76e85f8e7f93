import type { DestinationStream } from 'pino';
import type { LogFormat } from '../config/config.js';

/** `auto` picks pretty lines for a terminal and JSON lines for anything else (a file, a pipe, a collector). */
export function resolveFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTTY ? 'pretty' : 'json') : format;
}

// The fields every line has, shown in the line's head rather than as key=value.
const HEAD = new Set(['level', 'time', 'pid', 'message', 'context', 'stack']);

// Control characters (newlines, ESC) in a logged value would forge lines or drive the
// terminal: shown escaped, as the JSON format does.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const BARE = /^[^\s"=]+$/;

function safe(text: string): string {
  return text.replace(CONTROL, (char) => (char === '\n' ? '\\n' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Date.now());
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

// The head's level and message: strings from pino; anything else as JSON, never [object Object].
function plain(value: unknown): string {
  return typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value);
}

function shown(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? safe(value) : safe(JSON.stringify(value));
  return safe(JSON.stringify(value) ?? String(value));
}

/**
 * One of pino's JSON lines (already redacted: redaction happens before serialization) as
 * a line for a person: `14:02:07.120 WARN  [refresh] message request_id=… key=value`,
 * then the stack frames indented below. A line that is not JSON passes through.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const head = [clock(entry.time), plain(entry.level).toUpperCase().padEnd(5)];
  if (typeof entry.context === 'string' && entry.context !== '') head.push(`[${safe(entry.context)}]`);
  head.push(safe(plain(entry.message)));
  const fields = Object.entries(entry)
    .filter(([name]) => !HEAD.has(name))
    .map(([name, value]) => `${safe(name)}=${shown(value)}`);
  const stack = typeof entry.stack === 'string' ? entry.stack.split('\n').map((line) => `    ${safe(line.trim())}\n`) : [];
  return `${[...head, ...fields].join(' ')}\n${stack.join('')}`;
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyStream(out: DestinationStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') out.write(prettyLine(line));
    },
  };
}
