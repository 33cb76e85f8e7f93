import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { CookieSet } from '../browser/cookies.js';
import type { ErrorPages } from '../http/error-pages.js';
import { CsrfTokens, LOGIN_BINDING } from '../browser/csrf-tokens.js';
import type { AuthorizationRequest } from '../oauth/authorization/authorization-request.js';
import type { SecondFactors } from '../second-factor/second-factor.service.js';
import type { User } from '../users/user.js';
import type { LoginSession } from './login-session.js';
import { cspSourceOf, Pages } from './pages.js';
import { clearedSessionCookie, formCsrfCookie } from './session-cookie.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export interface LoginPageOptions {
  readonly status?: number;
  readonly message?: string;
  readonly username?: string;
  /** the form CSRF cookie the browser sent, if any */
  readonly csrfCookie?: string;
}

export interface LogoutPage {
  readonly clientId: string | undefined;
  readonly username: string | undefined;
  readonly carried: ReadonlyArray<readonly [string, string]>;
  /** the post-logout redirect URI the form's answer will redirect to */
  readonly target: string | undefined;
}

/** Sends the hosted pages and the redirects of the flow. */
@Injectable()
export class InteractionPages implements ErrorPages {
  constructor(
    private readonly pages: Pages,
    private readonly csrf: CsrfTokens,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * The login form; its CSRF token goes both in the form and in a cookie (double submit).
   * The browser's current token is kept when it is valid, so that two tabs' forms both work.
   */
  login(reply: FastifyReply, request: AuthorizationRequest, options: LoginPageOptions = {}): void {
    const html = this.pages.render('login', {
      title: 'Sign in',
      clientName: displayName(request),
      carried: [...request.carried],
      csrf: this.loginCsrf(reply, options.csrfCookie),
      username: options.username ?? request.loginHint,
      message: options.message,
    });
    void reply.status(options.status ?? 200).headers(this.pages.headers(cspSourceOf(request.redirectUri), { scripts: true })).send(html);
  }

  /**
   * The login's second step: a passkey or a TOTP or recovery code (what the user has), for the challenge the second-factor
   * cookie names; the form carries the authorization request and the login CSRF token.
   */
  secondFactor(reply: FastifyReply, request: AuthorizationRequest, factors: SecondFactors, options: LoginPageOptions = {}): void {
    const html = this.pages.render('second-factor', {
      title: 'Two-step verification',
      clientName: displayName(request),
      action: '/interaction/second-factor',
      carried: [...request.carried],
      csrf: this.loginCsrf(reply, options.csrfCookie),
      message: options.message,
      totp: factors.totp,
      passkey: factors.passkey,
    });
    void reply.status(options.status ?? 200).headers(this.pages.headers(cspSourceOf(request.redirectUri), { scripts: factors.passkey })).send(html);
  }

  /** The consent form; its CSRF token is bound to the login session it is shown in. */
  consent(reply: FastifyReply, request: AuthorizationRequest, user: User, scope: readonly string[], session: LoginSession): void {
    const html = this.pages.render('consent', {
      title: 'Allow access',
      clientName: displayName(request),
      username: user.username,
      scopes: scope,
      carried: [...request.carried],
      csrf: this.csrf.issue({ kind: 'login-session', sessionId: session.id }),
    });
    void reply.status(200).headers(this.pages.headers(cspSourceOf(request.redirectUri))).send(html);
  }

  /**
   * Asks whether to log out (RP-Initiated Logout 1.0 §2), with a CSRF token bound to this
   * login session for logging out only. The form's answer may redirect to `target`.
   */
  logoutConfirmation(reply: FastifyReply, page: LogoutPage, session: LoginSession): void {
    const html = this.pages.render('logout', {
      title: 'Sign out',
      clientId: page.clientId,
      username: page.username,
      carried: page.carried,
      csrf: this.csrf.issue({ kind: 'logout', sessionId: session.id }),
    });
    void reply.status(200).headers(this.pages.headers(page.target && cspSourceOf(page.target))).send(html);
  }

  /** The end of a logout no client asked to come back from. */
  signedOut(reply: FastifyReply): void {
    void reply.status(200).headers(this.pages.headers()).send(this.pages.render('logged-out', { title: 'Signed out' }));
  }

  error(reply: FastifyReply, status: number, code: string, description: string): void {
    const html = this.pages.render('error', { title: 'Something went wrong', code, description });
    void reply.status(status).headers(this.pages.headers()).send(html);
  }

  /** 302 for the GET of /oauth/authorize; 303 after a form post, so the browser follows with a GET. */
  redirect(reply: FastifyReply, location: string, afterPost: boolean): void {
    void reply.status(afterPost ? 303 : 302).headers({ ...NO_STORE, location }).send();
  }

  /** The browser forgets its login session cookie. */
  clearSession(reply: FastifyReply): void {
    this.setCookies(reply, [clearedSessionCookie()]);
  }

  /** The browser's login CSRF token if still valid, else a new one in the cookie too. */
  loginCsrf(reply: FastifyReply, cookie: string | undefined): string {
    if (cookie !== undefined && this.csrf.verify(cookie, LOGIN_BINDING)) return cookie;
    const token = this.csrf.issue(LOGIN_BINDING);
    this.setCookies(reply, [formCsrfCookie(token)]);
    return token;
  }

  setCookies(reply: FastifyReply, cookies: readonly CookieSet[]): void {
    const adapter = this.adapterHost.httpAdapter;
    for (const cookie of cookies) adapter.setCookie(reply, cookie.name, cookie.value, cookie.options);
  }
}

/** Who the user is asked about: the client's registered name (RFC 7591 client_name), else its id. */
function displayName(request: AuthorizationRequest): string {
  return request.client.name ?? request.client.id;
}
