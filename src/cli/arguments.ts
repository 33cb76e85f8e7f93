import { parseArgs } from 'node:util';

/** A bad command line; the message is the one line the CLI prints. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Command =
  | { name: 'migrate' }
  | { name: 'users create'; username: string; admin: boolean }
  | {
      name: 'clients create';
      clientId: string;
      type: string;
      grants: string[];
      scopes: string[];
      introspect: boolean;
      origins: string[];
      accessTokenFormat: string;
      audience: string | undefined;
      secretStdin: boolean;
    }
  | { name: 'keys rotate' }
  | { name: 'sessions revoke'; username: string }
  | { name: 'cleanup'; batchSize: number | undefined }
  | { name: 'help' };

export const USAGE = `usage: tessera <command>
  migrate
  users create <username> [--admin]            password from TESSERA_PASSWORD or a prompt
  clients create <client_id> --type confidential|public --grants <g1,g2>
                 [--scopes "a b"] [--introspect] [--origins <o1,o2>]
                 [--access-token-format jwt|opaque] [--audience <aud>] [--secret-stdin]
  keys rotate
  sessions revoke --user <username>
  cleanup [--batch-size <n>]                    one janitor pass now; prints what it deleted per table`;

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: Options, positionals: number): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, ''));
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}`);
  }
  return parsed;
}

function list(value: unknown, separator: RegExp): string[] {
  return typeof value === 'string' ? value.split(separator).map((item) => item.trim()).filter(Boolean) : [];
}

export function parseCommand(argv: string[]): Command {
  const [first, second, ...rest] = argv;
  const key = [first, second].filter(Boolean).join(' ');
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { name: 'help' };
  if (first === 'migrate') {
    parse(argv.slice(1), {}, 0);
    return { name: 'migrate' };
  }
  if (first === 'cleanup') {
    const { values } = parse(argv.slice(1), { 'batch-size': { type: 'string' } }, 0);
    return { name: 'cleanup', batchSize: batchSize(values['batch-size']) };
  }
  switch (key) {
    case 'users create': {
      const { values, positionals } = parse(rest, { admin: { type: 'boolean' } }, 1);
      return { name: 'users create', username: positionals[0], admin: values.admin === true };
    }
    case 'clients create': {
      const { values, positionals } = parse(
        rest,
        {
          type: { type: 'string' },
          grants: { type: 'string' },
          scopes: { type: 'string' },
          introspect: { type: 'boolean' },
          origins: { type: 'string' },
          'access-token-format': { type: 'string' },
          audience: { type: 'string' },
          'secret-stdin': { type: 'boolean' },
        },
        1,
      );
      if (values.type === undefined) throw new UsageError('--type is required (confidential or public)');
      if (values.grants === undefined) throw new UsageError('--grants is required (comma-separated grant types)');
      return {
        name: 'clients create',
        clientId: positionals[0],
        type: values.type as string,
        grants: list(values.grants, /,/),
        scopes: list(values.scopes, /\s+/),
        introspect: values.introspect === true,
        origins: list(values.origins, /,/),
        accessTokenFormat: (values['access-token-format'] as string | undefined) ?? 'jwt',
        audience: values.audience as string | undefined,
        secretStdin: values['secret-stdin'] === true,
      };
    }
    case 'keys rotate':
      parse(rest, {}, 0);
      return { name: 'keys rotate' };
    case 'sessions revoke': {
      const { values } = parse(rest, { user: { type: 'string' } }, 0);
      if (typeof values.user !== 'string' || values.user === '') throw new UsageError('--user <username> is required');
      return { name: 'sessions revoke', username: values.user };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(key)}; run \`tessera help\``);
  }
}

function batchSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 100_000)) throw new UsageError(`--batch-size must be an integer from 1 to 100000 (got ${JSON.stringify(value)})`);
  return n;
}
