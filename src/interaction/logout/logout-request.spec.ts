import type { Client } from '../../clients/client.js';
import type { LoginSession } from '../login-session.js';
import { carriedFields, logoutStep, postLogoutLocation } from './logout-request.js';

const session = { id: 'session-1', userId: 'user-1' } as LoginSession;
const client = { id: 'notes' } as Client;

describe('logoutStep (RP-Initiated Logout 1.0 §2)', () => {
  it('logs out at once only for a hint of this very session and user', () => {
    expect(logoutStep({ sub: 'user-1', aud: ['notes'], sid: 'session-1' }, session)).toBe('end');
  });

  it('asks the user without a hint, for a hint of another session, of another user, or without sid', () => {
    expect(logoutStep(undefined, session)).toBe('confirm');
    expect(logoutStep({ sub: 'user-1', aud: ['notes'], sid: 'session-2' }, session)).toBe('confirm');
    expect(logoutStep({ sub: 'user-2', aud: ['notes'], sid: 'session-1' }, session)).toBe('confirm');
    expect(logoutStep({ sub: 'user-1', aud: ['notes'], sid: undefined }, session)).toBe('confirm');
  });

  it('has nothing to end or ask without a live session', () => {
    expect(logoutStep(undefined, undefined)).toBe('done');
    expect(logoutStep({ sub: 'user-1', aud: ['notes'], sid: 'session-1' }, undefined)).toBe('done');
  });
});

describe('postLogoutLocation (§3)', () => {
  const request = { hint: undefined, client, postLogoutRedirectUri: 'https://notes.example.com/bye', state: undefined };

  it('is the registered URI as it is, with state added to its query when sent', () => {
    expect(postLogoutLocation(request)).toBe('https://notes.example.com/bye');
    expect(postLogoutLocation({ ...request, state: 'a b&c' })).toBe('https://notes.example.com/bye?state=a+b%26c');
    expect(postLogoutLocation({ ...request, postLogoutRedirectUri: 'com.example.notes:/bye?x=1', state: 's' })).toBe('com.example.notes:/bye?x=1&state=s');
  });

  it('is none without a URI: the signed-out page', () => {
    expect(postLogoutLocation({ ...request, postLogoutRedirectUri: undefined, state: 's' })).toBeUndefined();
  });

  it('carries to the confirmation form what was proven, and never the hint', () => {
    expect(carriedFields({ ...request, hint: { sub: 'u', aud: ['notes'], sid: 's' }, state: 'x' })).toEqual([
      ['client_id', 'notes'],
      ['post_logout_redirect_uri', 'https://notes.example.com/bye'],
      ['state', 'x'],
    ]);
  });
});
