import type { IncomingMessage } from 'node:http';

/** How the adapters learn the URL a client used, for a DPoP proof's htu (RFC 9449 §4.3 check 9). */
export interface PublicUrlOptions {
  /**
   * The origin (and path prefix, when a proxy strips one) under which clients reach this
   * API, e.g. `https://api.example.com`: the request's path is appended to it. Set it in
   * production: the URL is then never taken from headers a client can choose.
   */
  readonly publicUrl?: string;
  /**
   * Without publicUrl: take the scheme and host from X-Forwarded-Proto and
   * X-Forwarded-Host (their first value) rather than from the connection and Host. Only
   * behind a proxy that sets both; the same trust as Express's `trust proxy` and
   * Fastify's `trustProxy`. Default false.
   */
  readonly trustProxy?: boolean;
}

/** The parts of a Node request the URL is made of; Express's originalUrl when it has one. */
export type UrlSource = Pick<IncomingMessage, 'url' | 'headers'> & { readonly originalUrl?: string; readonly socket?: object };

/** The absolute URL of a request as its client addressed it, or undefined when it cannot be told. */
export function publicRequestUrl(request: UrlSource, options: PublicUrlOptions): string | undefined {
  const target = request.originalUrl ?? request.url ?? '/';
  const path = target.startsWith('/') ? target : `/${target}`;
  if (options.publicUrl !== undefined) return `${options.publicUrl.replace(/\/+$/, '')}${path}`;
  const first = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value[0] : value)?.split(',')[0].trim() || undefined;
  };
  const proto = (options.trustProxy ? first('x-forwarded-proto') : undefined) ?? (encrypted(request.socket) ? 'https' : 'http');
  const host = (options.trustProxy ? first('x-forwarded-host') : undefined) ?? first('host');
  if (host === undefined || !/^https?$/i.test(proto)) return undefined;
  return `${proto.toLowerCase()}://${host}${path}`;
}

/** A TLS socket (node:tls) says so; a plain one has no such member. */
function encrypted(socket: object | undefined): boolean {
  return socket !== undefined && 'encrypted' in socket && socket.encrypted === true;
}
