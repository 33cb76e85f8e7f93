import type { CookieSet } from '../browser/cookies.js';

/**
 * The one-time message shown after a form's post and its redirect (post/redirect/get):
 * a code in a short-lived cookie, read once; the text comes from this table, never from
 * the request.
 */
export const FLASH_COOKIE = '__Host-tessera-flash';

const MESSAGES = {
  'session-ended': { text: 'The session was ended.', alert: false },
  'others-ended': { text: 'Every other session was ended.', alert: false },
  'consent-revoked': { text: 'The application will ask for your consent again.', alert: false },
  'password-changed': { text: 'Your password was changed. Every other session was ended.', alert: false },
  'wrong-password': { text: 'The current password is wrong.', alert: true },
  mismatch: { text: 'The new password and its confirmation differ.', alert: true },
  'password-rules': { text: 'The new password must be at least 8 characters (and at most 1024 bytes).', alert: true },
  'signed-out': { text: 'You are signed out.', alert: false },
  // The admin console's.
  'confirm-required': { text: 'Nothing was changed: tick the confirmation box to go ahead.', alert: true },
  'console-session-revoked': { text: 'The session was revoked.', alert: false },
  'console-sessions-revoked': { text: 'Every session of the user was revoked.', alert: false },
  'console-disabled': { text: 'The user is disabled; every session of theirs was revoked.', alert: false },
  'console-enabled': { text: 'The user is enabled again.', alert: false },
  'console-second-factor-reset': { text: 'The second factor was removed: the user signs in with the password alone until they set one up again.', alert: false },
  'console-client-created': { text: 'The client was registered. It is a public client: it has no secret.', alert: false },
  'console-client-updated': { text: 'The client was changed. Tokens already issued keep their scope until they expire.', alert: false },
  'console-client-deleted': { text: 'The client was deleted; every session of it was revoked.', alert: false },
  'console-key-rotated': { text: 'A new signing key is pending: it is in the JWKS now and starts signing once the publish delay has passed.', alert: false },
  'totp-removed': { text: 'Two-step verification is off. Your recovery codes no longer work.', alert: false },
  'totp-enrolled': { text: 'Two-step verification is on. Sign-ins now ask for a code from your app.', alert: false },
  'totp-already': { text: 'Two-step verification is already on.', alert: true },
  'totp-expired': { text: 'The set-up was not finished. Start again.', alert: true },
  'passkey-added': { text: 'Your passkey was added. You can sign in with it now.', alert: false },
  'passkey-removed': { text: 'The passkey was removed.', alert: false },
  'passkey-failed': { text: 'The passkey could not be added. Try again.', alert: true },
  'passkey-exists': { text: 'This passkey is registered already.', alert: true },
  'passkey-unknown': { text: 'No such passkey.', alert: true },
} as const;

export type FlashCode = keyof typeof MESSAGES;

export interface Flash {
  readonly text: string;
  /** a failure (role="alert"), not a confirmation (role="status") */
  readonly alert: boolean;
}

const SECONDS = 60;

export function flashCookie(code: FlashCode): CookieSet {
  return { name: FLASH_COOKIE, value: code, options: { secure: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: SECONDS } };
}

export function clearedFlashCookie(): CookieSet {
  return { name: FLASH_COOKIE, value: '', options: { secure: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 } };
}

export function flashOf(code: string | undefined): Flash | undefined {
  return code !== undefined && Object.hasOwn(MESSAGES, code) ? MESSAGES[code as FlashCode] : undefined;
}
