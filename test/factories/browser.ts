import { readResult, type TestClient, type TestUser } from './index.js';

/** One Set-Cookie header, read for assertions. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** attribute names lower-cased → value ('' for flags such as HttpOnly) */
  readonly attributes: ReadonlyMap<string, string>;
  readonly raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair, ...rest] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [name, ...value] = part.trim().split('=');
    attributes.set(name.toLowerCase(), value.join('='));
  }
  return { name: pair.slice(0, eq).trim(), value: decodeURIComponent(pair.slice(eq + 1).trim()), attributes, raw };
}

export interface BrowserResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly setCookies: SetCookie[];
}

export interface RequestOptions {
  /** a form body (default for POST) */
  readonly form?: Record<string, string>;
  readonly json?: unknown;
  /** extra headers; `undefined` removes one the agent would send */
  readonly headers?: Record<string, string | undefined>;
  /** the X-CSRF-Token to send instead of the agent's current one; null: none */
  readonly csrf?: string | null;
}

/** The one Set-Cookie of `name` in a response; fails the test unless there is exactly one. */
export function cookie(result: BrowserResult, name: string): SetCookie {
  const found = result.setCookies.filter((c) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one Set-Cookie for ${name}, got ${found.length}`);
  return found[0];
}

export const REFRESH_COOKIE = '__Secure-tessera-refresh';
export const CSRF_COOKIE = '__Host-tessera-csrf';

/**
 * What a browser does for a page on `origin`, over plain fetch: it keeps Tessera's
 * cookies, sends Origin and Sec-Fetch-Site, and the page echoes the CSRF token it was
 * last given. Every knob can be turned off to play a forger.
 */
export class BrowserAgent {
  csrf: string | undefined;

  constructor(
    private readonly target: { readonly url: string },
    readonly origin: string,
    readonly fetchSite: string | undefined = 'same-site',
    /** Tessera's cookies in this browser: shared by its tabs */
    readonly jar = new Map<string, string>(),
  ) {}

  get refreshToken(): string | undefined {
    return this.jar.get(REFRESH_COOKIE);
  }

  cookieHeader(): string | undefined {
    return this.jar.size === 0 ? undefined : [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(method: 'GET' | 'POST' | 'OPTIONS', path: string, options: RequestOptions = {}): Promise<BrowserResult> {
    const headers: Record<string, string | undefined> = {
      origin: this.origin,
      'sec-fetch-site': this.fetchSite,
      cookie: this.cookieHeader(),
      'x-csrf-token': options.csrf === null ? undefined : (options.csrf ?? this.csrf),
    };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form ?? {}).toString();
    }
    Object.assign(headers, options.headers);
    const sent = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const response = await fetch(`${this.target.url}${path}`, { method, headers: sent, body });
    const result = await readResult(response);
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of setCookies) {
      if (cookie.attributes.get('max-age') === '0') this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    const csrf = response.headers.get('x-csrf-token');
    if (csrf) this.csrf = csrf;
    return { ...result, setCookies };
  }

  /** GET /auth/csrf: the token for the agent's state. */
  fetchCsrf(): Promise<BrowserResult> {
    return this.request('GET', '/auth/csrf');
  }

  /** GET /auth/csrf, then POST /auth/login; fails the test unless it succeeds. */
  async login(client: TestClient, user: TestUser, extra: Record<string, string> = {}): Promise<BrowserResult> {
    await this.fetchCsrf();
    const result = await this.request('POST', '/auth/login', {
      form: { username: user.username, password: user.password, client_id: client.id, ...extra },
    });
    if (result.status !== 200) throw new Error(`browser login failed: ${result.status} ${result.text}`);
    return result;
  }

  refresh(options: RequestOptions = {}): Promise<BrowserResult> {
    return this.request('POST', '/auth/refresh', options);
  }

  logout(options: RequestOptions = {}): Promise<BrowserResult> {
    return this.request('POST', '/auth/logout', options);
  }

  /** A second tab of the same browser: the same cookie jar, its own memory. */
  tab(): BrowserAgent {
    const other = new BrowserAgent(this.target, this.origin, this.fetchSite, this.jar);
    other.csrf = this.csrf;
    return other;
  }
}
