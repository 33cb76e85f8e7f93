import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import { AuditService } from '../../audit/audit.service.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { LocalStrategy } from '../../users/local.strategy.js';
import type { User } from '../../users/user.js';
import { DEVICE_COOKIE } from '../../throttle/device-cookies.js';
import { loginContextOf } from '../browser-context.js';
import { RequestCookies } from '../cookies.js';

/**
 * Runs passport's authenticate flow with the passport-local strategy (CONTRACT: login
 * goes through it), after BrowserLoginGuard. Not `AuthGuard('local')`: that looks the
 * strategy up by name in passport's process-wide registry, where the last application
 * built in the process wins, and passport-local reads `body.username`, while Tessera's
 * bodies are strict FormParams or JSON. So the strategy gets the two fields it reads,
 * and is this application's own instance: a fresh object per request with it as
 * prototype, exactly what passport makes of a named strategy, so the success and fail
 * actions passport sets on it are never shared by two requests. A throttled attempt
 * rejects with the strategy's 429, which the exception filter renders.
 */
@Injectable()
export class LocalAuthGuard implements CanActivate {
  constructor(
    private readonly strategy: LocalStrategy,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const login = loginContextOf(request);
    const user = await provePassword(this.strategy, {
      username: login.params.username,
      password: login.params.password,
      ip: request.ip,
      clientId: login.client.id,
      deviceCookie: RequestCookies.from(request.headers.cookie).only(DEVICE_COOKIE),
    }, reply);
    if (!user) {
      await this.audit.record({ type: 'login_failed', clientId: login.client.id, ip: request.ip });
      // Never whether the username exists (RFC 9700 §4.16 and the contract).
      throw OAuthError.invalidGrant('invalid username or password');
    }
    login.user = user;
    return true;
  }
}

export interface PasswordProof {
  readonly username: string;
  readonly password: string;
  readonly ip: string | undefined;
  readonly clientId?: string;
  readonly deviceCookie?: string;
}

/**
 * One passport-local authentication with this application's strategy instance (see
 * LocalAuthGuard): the throttle, argon2id, and `false` for "not proven", whatever the cause.
 * Also what the account pages use to log in and to re-authenticate a password change.
 */
export function provePassword(strategy: LocalStrategy, proof: PasswordProof, reply: FastifyReply): Promise<User | false> {
  const { username, password, ...origin } = proof;
  const credentials = { body: { username, password }, query: {}, ...origin };
  return new Promise<User | false>((resolve, reject) => {
    const authenticate = passport.authenticate(
      Object.create(strategy) as passport.Strategy,
      { session: false },
      (error: Error | null, proven: User | false) => (error ? reject(error) : resolve(proven)),
    ) as (req: unknown, res: unknown, next: (error?: Error) => void) => void;
    authenticate(credentials, reply.raw, (error) => reject(error ?? new Error('passport ended without a result')));
  });
}
