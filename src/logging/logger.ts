import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, type Level, type Logger as Pino, pino } from 'pino';
import type { LogFormat, LogLevel } from '../config/config.js';
import { prettyStream, resolveFormat } from './pretty.js';
import { maskSecrets, REDACT_PATHS, scrub, stackFrames } from './redaction.js';
import { RequestTag } from './request-context.js';

export interface LogOutput {
  /** default `json`; `auto` is pretty when standard output is a terminal */
  readonly format?: LogFormat;
  /** default standard output */
  readonly destination?: DestinationStream;
}

/** The pino logger of a process: JSON lines, or pretty lines for a person (redacted alike). */
export function createPino(level: LogLevel, output: LogOutput = {}): Pino {
  const options = {
    level,
    // `message`, as Tessera's JSON lines have always been read (and the tests read them).
    messageKey: 'message',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  const isTTY = output.destination === undefined && process.stdout.isTTY === true;
  if (resolveFormat(output.format ?? 'json', isTTY) === 'pretty') {
    return pino(options, prettyStream(output.destination ?? pino.destination(1)));
  }
  return output.destination ? pino(options, output.destination) : pino(options);
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

const PINO_LEVEL: Record<NestLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

const LOOKS_LIKE_STACK = /^\s+at /m;

// Nest's own boot narration (one line per module and per route: 60-odd lines) is for
// whoever debugs the wiring; an operator at `info` sees only what Tessera says.
const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

function levelOf(nestLevel: NestLevel, params: unknown[]): Level {
  if (nestLevel === 'log' && typeof params.at(-1) === 'string' && NEST_CHATTER.has(params.at(-1) as string)) return 'debug';
  return PINO_LEVEL[nestLevel];
}

/**
 * Nest's LoggerService over pino, so Nest's own lines and every `new Logger(context)` of
 * Tessera come out as the same JSON. Nest passes the context last; `error` may pass a
 * stack before it.
 */
export class TesseraLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(nestLevel: NestLevel, message: unknown, params: unknown[]): void {
    const level = levelOf(nestLevel, params);
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = params.filter((param) => param !== undefined && !(param instanceof RequestTag));
    const fields: Record<string, unknown> = {};
    const tag = params.find((param): param is RequestTag => param instanceof RequestTag);
    if (tag) fields.request_id = tag.requestId;
    if (rest.length > 0 && typeof rest.at(-1) === 'string' && !LOOKS_LIKE_STACK.test(rest.at(-1) as string)) {
      fields.context = rest.pop();
    }
    const stack = rest.find((param): param is string => typeof param === 'string' && LOOKS_LIKE_STACK.test(param));
    if (stack !== undefined) fields.stack = stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
    if (message instanceof Error) {
      this.pino[level]({ ...fields, error: message.name, stack: stackFrames(message) }, maskSecrets(message.message));
    } else if (typeof message === 'object' && message !== null) {
      // Defensive: whatever object is logged, credentials in it are censored by name.
      this.pino[level]({ ...fields, data: scrub(message) }, typeof fields.context === 'string' ? fields.context : '');
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/** The process's logger, honouring LOG_LEVEL and LOG_FORMAT. */
export function createLogger(level: LogLevel, output?: LogOutput): TesseraLogger {
  return new TesseraLogger(createPino(level, output));
}
