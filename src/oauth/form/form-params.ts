import { OAuthError } from '../errors/oauth-error.js';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * The parameters of an application/x-www-form-urlencoded body, read strictly:
 * RFC 6749 §3.1 — a parameter sent without a value is treated as omitted, and a
 * parameter MUST NOT be included more than once (so `a[]`-style names are refused too).
 */
export class FormParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Throws OAuthError invalid_request on a repeated or bracketed name or a bad encoding. */
  static parse(body: string): FormParams {
    const values = new Map<string, string>();
    const seen = new Set<string>();
    for (const pair of body.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decode(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
      if (name.includes('[') || name.includes(']')) throw OAuthError.invalidRequest(`parameter names may not contain brackets`);
      if (seen.has(name)) throw OAuthError.invalidRequest(`parameter ${safeName(name)} is repeated`);
      seen.add(name);
      if (value.includes('\u0000')) throw OAuthError.invalidRequest(`parameter ${safeName(name)} contains a NUL byte`);
      if (value !== '') values.set(name, value);
    }
    return new FormParams(values);
  }

  static empty(): FormParams {
    return new FormParams(new Map());
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw OAuthError.invalidRequest(`missing parameter: ${name}`);
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

function decode(component: string): string {
  // Most names and values (tokens, grant types) need no decoding at all.
  if (component.indexOf('%') === -1 && component.indexOf('+') === -1) return component;
  try {
    // decodeURIComponent throws on a malformed escape and on bytes that are not UTF-8.
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw OAuthError.invalidRequest('the body is not valid application/x-www-form-urlencoded UTF-8');
  }
}

function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : '(unnamed)';
}

/**
 * A form body that did not parse, handed to a hosted page's route instead of being refused
 * before it runs, so that the person sees the page's own error page and not JSON.
 */
export class MalformedForm {
  constructor(readonly error: OAuthError) {}
}

/** The form of a request, or invalid_request when the body was not a form (RFC 6749 §3.2). */
export function formOf(body: unknown): FormParams {
  if (body instanceof FormParams) return body;
  throw OAuthError.invalidRequest(`the request body must be ${FORM_CONTENT_TYPE}`);
}
