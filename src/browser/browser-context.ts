import type { FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.js';
import type { Family } from '../sessions/family.js';
import type { User } from '../users/user.js';
import type { BrowserSession } from './browser-sessions.service.js';
import type { LoginParams } from './login-params.js';

/** What the login guards established, in the order they run. */
export interface LoginContext {
  readonly client: Client;
  readonly params: LoginParams;
  /** the live session the browser's cookie held, which this login replaces */
  readonly replaced: Family | undefined;
  /** set by LocalAuthGuard once the local strategy has proven the credentials */
  user?: User;
}

/** What the session guard established for /auth/refresh and /auth/logout. */
export interface SessionContext {
  /** undefined: no refresh cookie, or one whose token is unknown or whose family is over */
  readonly session: (BrowserSession & { readonly client: Client }) | undefined;
  /** the verified double-submit token, when there is a session */
  readonly csrfToken: string | undefined;
}

const logins = new WeakMap<FastifyRequest, LoginContext>();
const sessions = new WeakMap<FastifyRequest, SessionContext>();

export function setLoginContext(request: FastifyRequest, context: LoginContext): void {
  logins.set(request, context);
}

export function loginContextOf(request: FastifyRequest): LoginContext {
  const context = logins.get(request);
  if (!context) throw new Error('the browser login guard did not run');
  return context;
}

export function setSessionContext(request: FastifyRequest, context: SessionContext): void {
  sessions.set(request, context);
}

export function sessionContextOf(request: FastifyRequest): SessionContext {
  const context = sessions.get(request);
  if (!context) throw new Error('the browser session guard did not run');
  return context;
}
