import { GRANT_TYPES } from '../clients/client.js';
import type { FormParams } from '../oauth/form/form-params.js';

/*
 * The console's client forms, turned into the admin API's request bodies, so that the
 * admin API's schemas (NewClient, ClientChange, SecretRotation) and then the service's
 * rules judge them: the console adds no rule of its own, only the form's spelling.
 */

/** A ticked box posts `yes`; absent is false; anything else is left for the schema to refuse. */
const BOXES = ['introspect', 'first_party', 'require_par', 'require_mfa', 'dpop_bound_access_tokens', 'backchannel_logout_session_required'] as const;
/** Textareas: one entry a line. */
const LINES = ['redirect_uris', 'post_logout_redirect_uris', 'origins'] as const;
/** Free text that may be left empty. */
const TEXTS = ['audience', 'client_name', 'backchannel_logout_uri'] as const;

export const grantBox = (grant: string) => `grant_${grant}`;

/**
 * The settings a client form states. `empty: 'omit'` (a new client) leaves an empty text
 * out; `'remove'` (a change) sends null, which removes the client's audience, name or
 * back-channel logout URI. Every box and list is stated, so a change replaces them all.
 */
export function clientSettingsOf(form: FormParams, empty: 'omit' | 'remove'): Record<string, unknown> {
  const body: Record<string, unknown> = {
    grant_types: GRANT_TYPES.filter((grant) => form.get(grantBox(grant)) !== undefined),
    scopes: (form.get('scopes') ?? '').split(/\s+/).filter(Boolean),
  };
  for (const name of LINES) body[name] = linesOf(form.get(name));
  for (const name of BOXES) body[name] = boxOf(form.get(name));
  for (const name of TEXTS) {
    const value = form.get(name)?.trim();
    if (value) body[name] = value;
    else if (empty === 'remove') body[name] = null;
  }
  const format = form.get('access_token_format');
  if (format !== undefined) body.access_token_format = format;
  return body;
}

/** A new client's form: its id and type, then its settings. */
export function newClientOf(form: FormParams): Record<string, unknown> {
  const named = { client_id: form.get('client_id')?.trim(), type: form.get('type') };
  return { ...Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined)), ...clientSettingsOf(form, 'omit') };
}

/** The secret rotation's form: digits become the number the schema bounds; other text is refused by it. */
export function secretRotationOf(form: FormParams): Record<string, unknown> {
  const raw = form.get('grace_seconds')?.trim();
  if (raw === undefined || raw === '') return {};
  return { grace_seconds: /^\d{1,9}$/.test(raw) ? Number(raw) : raw };
}

function boxOf(value: string | undefined): unknown {
  if (value === undefined) return false;
  return value === 'yes' ? true : value;
}

function linesOf(value: string | undefined): string[] {
  return (value ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}
