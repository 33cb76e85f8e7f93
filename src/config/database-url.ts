/** libpq's target_session_attrs values Tessera accepts: it serves from a primary only. */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'primary'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

export interface DatabaseHost {
  /** a name or an address, IPv6 without its brackets */
  readonly host: string;
  readonly port: number;
}

export interface DatabaseTargets {
  /** in the order the URL lists them: the order they are tried in */
  readonly hosts: readonly DatabaseHost[];
  /**
   * What a server must be to be used: `any` (no check), `read-write` (SHOW
   * transaction_read_only is off) or `primary` (not in recovery). libpq's default is
   * `any`; with several hosts Tessera's is `read-write`, since it writes on every request.
   */
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** the URL with the first host only, for a driver that takes one host */
  readonly firstHostUrl: string;
}

const DEFAULT_PORT = 5432;
// scheme, userinfo (up to the last @ of the authority), the host list, then path, query and fragment
const AUTHORITY = /^([a-z][a-z0-9+.-]*:)\/\/(?:([^/?#]*)@)?([^/?#@]*)(.*)$/is;

/**
 * Reads a libpq-style connection URL that may list several hosts
 * (`postgres://user@h1:5432,h2:5433,[::1]/db?target_session_attrs=read-write`), as libpq
 * does (PostgreSQL §34.1.1.2); node-postgres and the WHATWG URL parser take one host
 * only. Throws a plain Error saying what is wrong, never echoing the URL (it may hold a
 * password). Returns undefined for a URL that names one host and no target_session_attrs
 * (passed to the driver as it is), and for what is not a URL (the caller's check refuses it).
 */
export function databaseTargets(raw: string): DatabaseTargets | undefined {
  const match = AUTHORITY.exec(raw);
  // Not a URL at all: the caller's URL check says so.
  if (!match) return undefined;
  const [, scheme, userinfo, hostList, rest] = match;
  const list = hostList.split(',');
  const firstHostUrl = `${scheme}//${userinfo === undefined ? '' : `${userinfo}@`}${list[0]}${rest}`;
  if (!URL.canParse(firstHostUrl)) return undefined;
  const attrs = new URL(firstHostUrl).searchParams.get('target_session_attrs');
  if (attrs !== null && !(TARGET_SESSION_ATTRS as readonly string[]).includes(attrs)) {
    throw new Error(`a URL whose target_session_attrs is one of ${TARGET_SESSION_ATTRS.join(', ')} (Tessera writes: it needs a primary)`);
  }
  if (list.length === 1 && attrs === null) return undefined;
  const hosts = list.map((hostPort) => parseHost(scheme, hostPort));
  return { hosts, targetSessionAttrs: (attrs ?? 'read-write') as TargetSessionAttrs, firstHostUrl };
}

/** `h1:5432,h2:5433/db`: where a URL points, without its credentials, for messages. */
export function describeServers(raw: string): string {
  const targets = databaseTargets(raw);
  const url = new URL(targets?.firstHostUrl ?? raw);
  const hosts = targets?.hosts ?? [{ host: unbracketed(url.hostname), port: Number(url.port || DEFAULT_PORT) }];
  return `${hosts.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',')}${url.pathname}`;
}

function parseHost(scheme: string, hostPort: string): DatabaseHost {
  if (hostPort === '') throw new Error('a URL with no empty host in its list of hosts');
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}//${hostPort}`);
  } catch {
    throw new Error('a URL whose hosts are each a name, an IPv4 address or an [IPv6] address, with an optional :port');
  }
  return { host: unbracketed(parsed.hostname), port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port) };
}

function unbracketed(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}
