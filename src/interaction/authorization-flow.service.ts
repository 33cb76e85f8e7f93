import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { AuthorizationError } from '../oauth/authorization/authorization-error.js';
import type { AuthorizationRequest } from '../oauth/authorization/authorization-request.js';
import { responseLocation } from '../oauth/authorization/authorization-response.js';
import { AuthorizationCodesService } from '../oauth/authorization/authorization-codes.service.js';
import { PushedRequestsService } from '../oauth/authorization/pushed-requests.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { OIDC_SCOPES } from '../oauth/oidc/oidc-scopes.js';
import { loginScope } from '../oauth/token/grants/password.grant.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { isMultiFactor } from './authentication-methods.js';
import { ConsentStore, consentNeeded } from './consent.js';
import { nextStep } from './interaction-rules.js';
import type { LoginSession } from './login-session.js';

/** What the browser is shown next. */
export type FlowOutcome =
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'login' }
  /** a step-up: the session's user must add their second factor (a --require-mfa client) */
  | { readonly kind: 'second-factor'; readonly session: LoginSession }
  | { readonly kind: 'consent'; readonly user: User; readonly scope: readonly string[] };

export interface FlowState {
  /** the live login session, if the browser has one */
  readonly session: LoginSession | undefined;
  /** the password was proven in this request */
  readonly freshLogin?: boolean;
  /** the user allowed this request in this request */
  readonly freshConsent?: boolean;
}

/**
 * From a request that passed every check to what the browser sees: the login page, the
 * consent page, an error for the client, or the code (RFC 6749 §4.1.2).
 */
@Injectable()
export class AuthorizationFlow {
  constructor(
    private readonly users: UsersService,
    private readonly consents: ConsentStore,
    private readonly audit: AuditService,
    private readonly codes: AuthorizationCodesService,
    private readonly pushedRequests: PushedRequestsService,
    private readonly secondFactors: SecondFactorService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async next(request: AuthorizationRequest, state: FlowState): Promise<FlowOutcome> {
    const redirect = { redirectUri: request.redirectUri, state: request.state };
    const user = state.session ? await this.users.findById(state.session.userId) : undefined;
    const scope = user ? this.scopeFor(request, user) : [];
    const remembered = user ? await this.consents.find(user.id, request.client.id) : undefined;
    const step = nextStep({
      prompt: request.prompt,
      maxAge: request.maxAge,
      authTime: user ? state.session?.authTime : undefined,
      now: this.clock.now(),
      freshLogin: state.freshLogin ?? false,
      consentNeeded: consentNeeded(request.client, scope, remembered, request.prompt.has('consent')),
      freshConsent: state.freshConsent ?? false,
    });
    switch (step.kind) {
      case 'refuse':
        throw new AuthorizationError(step.error, step.description, redirect);
      case 'login':
        return { kind: 'login' };
      case 'consent':
      case 'issue':
        if (request.client.requireMfa && !isMultiFactor(state.session!.amr)) return this.stepUp(request, state.session!);
        if (step.kind === 'consent') return { kind: 'consent', user: user!, scope };
        return { kind: 'redirect', location: await this.issue(request, user!, state.session!, scope) };
    }
  }

  /**
   * A --require-mfa client and a session without a second factor: a user who has one is
   * asked for it (prompt=none cannot ask: interaction_required, OIDC Core §3.1.2.6). A user
   * without one cannot satisfy the client here, and a half-made enrolment in the middle of
   * someone else's authorization is not offered: interaction_required to the client, which
   * can tell its user to enrol on the account page.
   */
  private async stepUp(request: AuthorizationRequest, session: LoginSession): Promise<FlowOutcome> {
    const redirect = { redirectUri: request.redirectUri, state: request.state };
    if (!(await this.secondFactors.hasSecondFactor(session.userId))) {
      throw new AuthorizationError('interaction_required', 'this client requires a second factor, and the user has none: enrol one on the account page', redirect);
    }
    if (request.prompt.has('none')) throw new AuthorizationError('interaction_required', 'this client requires a second factor for this session', redirect);
    return { kind: 'second-factor', session };
  }

  /** The user allowed the client what it asked for: remembered, then the flow goes on. */
  async allow(request: AuthorizationRequest, session: LoginSession): Promise<FlowOutcome> {
    const user = await this.users.findById(session.userId);
    if (user) {
      const scope = this.scopeFor(request, user);
      await this.consents.grant(user.id, request.client.id, scope, new Date(this.clock.now()));
      await this.audit.record({ type: 'consent_granted', userId: user.id, clientId: request.client.id, details: { scope: scope.join(' ') } });
    }
    return this.next(request, { session, freshConsent: true });
  }

  /** The user said no (RFC 6749 §4.1.2.1 access_denied). */
  denied(request: AuthorizationRequest): never {
    throw new AuthorizationError('access_denied', 'the user denied the request', { redirectUri: request.redirectUri, state: request.state });
  }

  private scopeFor(request: AuthorizationRequest, user: User): string[] {
    try {
      return loginScope(user, request.client, request.scope ? [...request.scope] : undefined, OIDC_SCOPES);
    } catch (error) {
      // admin asked for by a user without the role: the same answer as an unregistered scope.
      if (error instanceof OAuthError) {
        throw new AuthorizationError('invalid_scope', error.description, { redirectUri: request.redirectUri, state: request.state });
      }
      throw error;
    }
  }

  private async issue(request: AuthorizationRequest, user: User, session: LoginSession, scope: readonly string[]): Promise<string> {
    // RFC 9126 §4: one authorization per request_uri, even if its page was posted twice.
    if (request.requestUri !== undefined && !(await this.pushedRequests.use(request.requestUri))) {
      throw new AuthorizationError('invalid_request_uri', 'the request_uri was already used or has expired', { redirectUri: request.redirectUri, state: request.state });
    }
    const code = await this.codes.issue({
      client: request.client,
      userId: user.id,
      redirectUri: request.redirectUri,
      redirectUriSent: request.redirectUriSent,
      codeChallenge: request.codeChallenge,
      dpopJkt: request.dpopJkt,
      scope,
      nonce: request.nonce,
      authTime: session.authTime,
      amr: session.amr,
      loginSessionId: session.id,
    });
    return responseLocation(request.redirectUri, this.config.issuer, { code, state: request.state });
  }
}
