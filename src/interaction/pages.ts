import { Inject, Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

/** The directory of the page templates and the stylesheet: views/ beside package.json (from src/ or dist/src/). */
export function viewsDirectory(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'views'))) return join(dir, 'views');
  }
  throw new Error('views/ not found beside package.json');
}

export type PageName = 'login' | 'consent' | 'error' | 'logout' | 'logged-out' | 'account' | 'account-login' | 'second-factor' | 'totp-enrolment' | 'recovery-codes'
  | 'console-users' | 'console-user' | 'console-password' | 'console-events'
  | 'console-clients' | 'console-client' | 'console-client-new' | 'console-secret' | 'console-keys';

export type PageHeaders = Record<'content-type' | 'cache-control' | 'pragma' | 'content-security-policy' | 'referrer-policy', string>;

/**
 * Tessera's hosted pages, rendered from views/*.eta by eta, which escapes every `<%= %>`
 * (autoEscape); the raw interpolations are the layout's body, itself rendered here, and
 * the TOTP enrolment's QR code, an SVG the qrcode library drew from the otpauth URI.
 * No page carries an inline script; the login and account pages load the passkey scripts
 * from Tessera's own assets, and only those pages' CSP allows scripts (from 'self').
 */
@Injectable()
export class Pages {
  private readonly eta: Eta;
  /** the issuer's path: the pages' links and form actions are below it */
  readonly base: string;
  readonly stylesheet: string;
  /** the pages' passkey script (views/passkeys.js) */
  readonly passkeyScript: string;

  constructor(@Inject(CONFIG) config: ResolvedConfig) {
    const views = viewsDirectory();
    this.eta = new Eta({ views, cache: true, autoEscape: true });
    this.base = new URL(config.issuer).pathname.replace(/\/+$/, '');
    this.stylesheet = readFileSync(join(views, 'tessera.css'), 'utf8');
    this.passkeyScript = readFileSync(join(views, 'passkeys.js'), 'utf8');
  }

  render(name: PageName, data: Record<string, unknown>): string {
    return this.eta.render(`./${name}`, { ...data, base: this.base });
  }

  /**
   * No caching (the pages hold CSRF tokens and personal data), no framing (clickjacking
   * a consent), no script, styles from Tessera only; forms post to Tessera, whose answer
   * may redirect to `formTarget` (CSP form-action applies to a form's redirects too).
   * A page with `scripts` (the passkey scripts) may load scripts from Tessera and fetch
   * from it (the WebAuthn options), nothing inline and nothing else.
   */
  headers(formTarget?: string, options: { readonly scripts?: boolean } = {}): PageHeaders {
    const targets = ["'self'", ...(formTarget ? [formTarget] : [])].join(' ');
    const scripts = options.scripts ? " script-src 'self'; connect-src 'self';" : '';
    return {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'content-security-policy': `default-src 'none';${scripts} style-src 'self'; img-src 'self'; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`,
      // Under no-referrer a browser sends Origin: null with the form, and the form's
      // origin check needs the real one; nothing is sent to other origins still.
      'referrer-policy': 'same-origin',
    };
  }
}

/** The CSP source of a redirect URI: its origin, or its scheme for a private-use scheme (RFC 8252 §7.1). */
export function cspSourceOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
}
