import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CookieSet, RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { InteractionPages } from '../interaction/interaction-pages.service.js';
import type { LoginSession } from '../interaction/login-session.js';
import { Pages } from '../interaction/pages.js';
import { FORM_CSRF_COOKIE } from '../interaction/session-cookie.js';
import type { SecondFactors } from '../second-factor/second-factor.service.js';
import type { TotpEnrolment } from '../second-factor/second-factor.service.js';
import type { AccountOverview } from './account-page.service.js';
import { clearedFlashCookie, FLASH_COOKIE, type FlashCode, flashCookie, flashOf } from './flash.js';
import { loginLocation } from './return-to.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Sends the account page, its login page, and the redirects after their posts. */
@Injectable()
export class AccountPages {
  private readonly origin: string;

  constructor(
    private readonly pages: Pages,
    private readonly csrf: CsrfTokens,
    private readonly interaction: InteractionPages,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.origin = new URL(config.issuer).origin;
  }

  get base(): string {
    return this.pages.base;
  }

  /** Every form of the page carries one CSRF token, bound to the login session (as the consent form's). */
  account(reply: FastifyReply, cookies: RequestCookies, overview: AccountOverview, session: LoginSession): void {
    const html = this.pages.render('account', {
      title: 'Your account',
      wide: true,
      username: overview.user.username,
      sessions: overview.sessions.map(({ family, current }) => ({
        id: family.id,
        clientId: family.clientId,
        createdAt: family.createdAt.toISOString(),
        lastUsedAt: family.lastUsedAt.toISOString(),
        ip: family.ip,
        userAgent: family.userAgent,
        current,
      })),
      consents: overview.consents.map((consent) => ({ clientId: consent.clientId, scopes: consent.scopes.join(' '), grantedAt: consent.grantedAt.toISOString() })),
      totp: overview.totp,
      passkeys: overview.passkeys.map((passkey) => ({
        id: passkey.id,
        name: passkey.name,
        createdAt: passkey.createdAt.toISOString(),
        lastUsedAt: passkey.lastUsedAt?.toISOString(),
        synced: passkey.backupEligible,
      })),
      csrf: this.csrf.issue({ kind: 'login-session', sessionId: session.id }),
      flash: this.takeFlash(reply, cookies),
    });
    void reply.status(200).headers(this.pages.headers(undefined, { scripts: true })).send(html);
  }

  /** The TOTP set-up: the secret as text, as its otpauth URI, and as a QR code; a code confirms it. */
  totpEnrolment(reply: FastifyReply, session: LoginSession, enrolment: TotpEnrolment, options: { status?: number; message?: string } = {}): void {
    const html = this.pages.render('totp-enrolment', {
      title: 'Set up two-step verification',
      secret: enrolment.secret,
      uri: enrolment.uri,
      qrSvg: enrolment.qrSvg,
      message: options.message,
      csrf: this.csrf.issue({ kind: 'login-session', sessionId: session.id }),
    });
    void reply.status(options.status ?? 200).headers(this.pages.headers()).send(html);
  }

  /** The ten recovery codes, in the answer to the confirming post only: never shown again. */
  recoveryCodes(reply: FastifyReply, codes: readonly string[]): void {
    const html = this.pages.render('recovery-codes', { title: 'Your recovery codes', codes });
    void reply.status(200).headers(this.pages.headers()).send(html);
  }

  /** The second step of the account login: a passkey or a code for the challenge of the second-factor cookie. */
  secondFactor(reply: FastifyReply, cookies: RequestCookies, returnTo: string, factors: SecondFactors, options: { status?: number; message?: string } = {}): void {
    const html = this.pages.render('second-factor', {
      title: 'Two-step verification',
      action: '/login/second-factor',
      carried: [['return_to', returnTo]],
      csrf: this.interaction.loginCsrf(reply, cookies.one(FORM_CSRF_COOKIE)),
      message: options.message,
      totp: factors.totp,
      passkey: factors.passkey,
    });
    void reply.status(options.status ?? 200).headers(this.pages.headers(undefined, { scripts: factors.passkey })).send(html);
  }

  /** The login form of the account pages; its CSRF token is the login form's (double submit, kept while valid). */
  login(reply: FastifyReply, cookies: RequestCookies, returnTo: string, options: { status?: number; message?: string; username?: string } = {}): void {
    const html = this.pages.render('account-login', {
      title: 'Sign in',
      returnTo,
      csrf: this.interaction.loginCsrf(reply, cookies.one(FORM_CSRF_COOKIE)),
      username: options.username,
      message: options.message,
      flash: options.message === undefined ? this.takeFlash(reply, cookies) : undefined,
    });
    void reply.status(options.status ?? 200).headers(this.pages.headers(undefined, { scripts: true })).send(html);
  }

  /** 303 See Other to a path of this server: the browser follows a form's post with a GET (post/redirect/get). */
  redirect(reply: FastifyReply, path: string, flash?: FlashCode): void {
    if (flash !== undefined) this.interaction.setCookies(reply, [flashCookie(flash)]);
    void reply.status(303).headers({ ...NO_STORE, location: `${this.origin}${path}` }).send();
  }

  toLogin(reply: FastifyReply, flash?: FlashCode): void {
    this.redirect(reply, loginLocation(this.base, `${this.base}/account`), flash);
  }

  toAccount(reply: FastifyReply, flash: FlashCode): void {
    this.redirect(reply, `${this.base}/account`, flash);
  }

  setCookies(reply: FastifyReply, cookies: readonly CookieSet[]): void {
    this.interaction.setCookies(reply, cookies);
  }

  private takeFlash(reply: FastifyReply, cookies: RequestCookies) {
    const code = cookies.only(FLASH_COOKIE);
    if (code === undefined) return undefined;
    this.interaction.setCookies(reply, [clearedFlashCookie()]);
    return flashOf(code);
  }
}
