import { randomBytes } from 'node:crypto';
import { s256 } from '../../src/oauth/authorization/pkce.js';
import { parseSetCookie, type SetCookie } from './browser.js';
import type { TestClient, TestUser } from './index.js';

export interface PageResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly setCookies: SetCookie[];
  /** the Location of a redirect, parsed */
  readonly location: URL | undefined;
}

/** A PKCE pair (RFC 7636 §4.1, §4.2). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

/** The standard parameters of an authorization request for `client`, S256 included. */
export function authorizationParams(client: TestClient, challenge: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.client.redirectUris[0],
    state: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

/** The hidden fields and action of the one form on a page. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)">/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in ${html.slice(0, 200)}`);
  return { action: unescape(action), fields: hiddenFieldsOf(html) };
}

/** The page's hidden fields (the last of a name wins), whatever form they are in. */
export function hiddenFieldsOf(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(match[1])] = unescape(match[2]);
  return fields;
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * A person's browser on Tessera's pages, over plain fetch: it keeps Tessera's cookies,
 * follows no redirect, and posts the pages' forms from Tessera's own origin (unless told
 * to play a forger).
 */
export class PageAgent {
  readonly jar = new Map<string, string>();

  constructor(private readonly target: { readonly url: string; readonly config: { readonly issuer: string } }) {}

  async authorize(params: Record<string, string> | string): Promise<PageResult> {
    const query = typeof params === 'string' ? params : new URLSearchParams(params).toString();
    return this.send('GET', `/oauth/authorize?${query}`, undefined, { 'sec-fetch-site': 'cross-site' });
  }

  /** A top-level navigation from another site (a relying party's link or redirect) to `path`. */
  async visit(path: string): Promise<PageResult> {
    return this.send('GET', path, undefined, { 'sec-fetch-site': 'cross-site' });
  }

  /** A same-origin navigation to one of Tessera's pages (as a link on another of its pages). */
  get(path: string): Promise<PageResult> {
    return this.send('GET', path, undefined, { 'sec-fetch-site': 'same-origin' });
  }

  /** Posts the page's form with `fields` added; headers may replace (or, undefined, drop) Origin and Sec-Fetch-Site. */
  async submit(page: PageResult, fields: Record<string, string>, headers: Record<string, string | undefined> = {}): Promise<PageResult> {
    const form = formOf(page.text);
    return this.post(form.action, { ...form.fields, ...fields }, headers);
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string | undefined> = {}): Promise<PageResult> {
    return this.send('POST', path, new URLSearchParams(fields).toString(), {
      origin: new URL(this.target.config.issuer).origin,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /** Logs in on a login page; expects the answer to be a redirect or a page. */
  login(page: PageResult, user: TestUser): Promise<PageResult> {
    return this.submit(page, { username: user.username, password: user.password });
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string | undefined>): Promise<PageResult> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...headers, ...(cookie ? { cookie } : {}) })) if (value !== undefined) sent[name] = value;
    const response = await fetch(`${this.target.url}${path}`, { method, headers: sent, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const set of setCookies) {
      if (set.attributes.get('max-age') === '0') this.jar.delete(set.name);
      else this.jar.set(set.name, set.value);
    }
    const location = response.headers.get('location');
    return { status: response.status, headers: response.headers, text: await response.text(), setCookies, location: location ? new URL(location) : undefined };
  }
}
