import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { User } from '../users/user.js';
import { PASSWORD_ONLY } from './authentication-methods.js';
import { type LoginSession, LoginSessionStore } from './login-session.js';

const MAX_USER_AGENT = 512;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface StartedLoginSession {
  readonly session: LoginSession;
  /** the cookie's value, never stored */
  readonly token: string;
  /** seconds until the absolute expiry: the cookie's Max-Age */
  readonly maxAge: number;
}

export interface LoginMeta {
  readonly ip?: string;
  readonly userAgent?: string;
}

/** A login just proven by a request: who, over which session, with what (RFC 8176). */
export interface ProvenLogin {
  readonly user: User;
  readonly previous: LoginSession | undefined;
  readonly request: FastifyRequest;
  readonly amr: readonly string[];
  /** what the first step was: the audit tells a passkey sign-in from a password one */
  readonly method: 'password' | 'passkey';
  /** the client of the authorization request the login serves, if any */
  readonly clientId?: string;
}

/** Tessera's own login sessions: the cookie that spares a second password. */
@Injectable()
export class LoginSessionsService {
  constructor(
    private readonly store: LoginSessionStore,
    private readonly hashers: TokenHashers,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
    private readonly audit: AuditService,
  ) {}

  /** Every factor of a login is proven: its session starts (or is renewed) and `login_succeeded` is audited. */
  async proven(login: ProvenLogin): Promise<StartedLoginSession> {
    const { user, request, amr } = login;
    const started = await this.loggedIn(user, login.previous, { ip: request.ip, userAgent: request.headers['user-agent'] }, amr);
    await this.audit.record({ type: 'login_succeeded', userId: user.id, clientId: login.clientId, ip: request.ip, details: { method: login.method, amr: amr.join(' ') } });
    return started;
  }

  /** The live session a cookie value stands for (its idle expiry slid), or undefined. */
  async current(token: string | undefined): Promise<LoginSession | undefined> {
    if (token === undefined || !TOKEN.test(token)) return undefined;
    return this.store.touch(this.hashers.loginSession.hash(token), new Date(this.clock.now()), this.config.loginSessionIdleTtl);
  }

  /**
   * The user just logged in, proving `amr` (RFC 8176; a password alone unless said
   * otherwise). The same user's live session is kept (its families stay linked to it) with
   * a new auth_time, these methods and a new cookie value; otherwise a new session starts
   * and the other user's, if any, ends.
   */
  async loggedIn(user: User, previous: LoginSession | undefined, meta: LoginMeta, amr: readonly string[] = PASSWORD_ONLY): Promise<StartedLoginSession> {
    const now = this.clock.now();
    const token = opaqueToken(this.random);
    const hash = this.hashers.loginSession.hash(token);
    const absolute = new Date(now + this.config.loginSessionAbsoluteTtl * 1000);
    const idle = new Date(Math.min(now + this.config.loginSessionIdleTtl * 1000, absolute.getTime()));
    const maxAge = this.config.loginSessionAbsoluteTtl;
    if (previous?.userId === user.id) {
      const session = await this.store.reauthenticate(previous.id, { tokenHash: hash, now: new Date(now), amr, idleExpiresAt: idle, absoluteExpiresAt: absolute });
      if (session) return { session, token, maxAge };
    } else if (previous) {
      await this.store.end(previous.id, 'replaced', new Date(now));
    }
    const session: LoginSession = {
      id: randomUUID(),
      userId: user.id,
      authTime: new Date(now),
      amr,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      idleExpiresAt: idle,
      absoluteExpiresAt: absolute,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    };
    await this.store.insert(session, hash);
    return { session, token, maxAge };
  }
}
