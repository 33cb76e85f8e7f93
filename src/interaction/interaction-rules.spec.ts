import type { Prompt } from '../oauth/authorization/authorization-request.js';
import { consentNeeded } from './consent.js';
import { nextStep, type StepInput } from './interaction-rules.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function input(overrides: Partial<StepInput> & { prompts?: Prompt[] } = {}): StepInput {
  return {
    prompt: new Set(overrides.prompts ?? []),
    maxAge: undefined,
    authTime: new Date(NOW - 60_000),
    now: NOW,
    freshLogin: false,
    consentNeeded: false,
    freshConsent: false,
    ...overrides,
  };
}

describe('nextStep', () => {
  it('asks for the password without a session, and refuses with login_required under prompt=none', () => {
    expect(nextStep(input({ authTime: undefined }))).toEqual({ kind: 'login' });
    expect(nextStep(input({ authTime: undefined, prompts: ['none'] }))).toMatchObject({ kind: 'refuse', error: 'login_required' });
  });

  it('issues at once with a session and nothing to ask', () => {
    expect(nextStep(input())).toEqual({ kind: 'issue' });
    expect(nextStep(input({ prompts: ['none'] }))).toEqual({ kind: 'issue' });
  });

  it('prompt=login asks for the password again, once', () => {
    expect(nextStep(input({ prompts: ['login'] }))).toEqual({ kind: 'login' });
    expect(nextStep(input({ prompts: ['login'], freshLogin: true, authTime: new Date(NOW) }))).toEqual({ kind: 'issue' });
  });

  it('max_age asks for the password when the last one is older, and max_age=0 always', () => {
    expect(nextStep(input({ maxAge: 120 }))).toEqual({ kind: 'issue' });
    expect(nextStep(input({ maxAge: 59 }))).toEqual({ kind: 'login' });
    expect(nextStep(input({ maxAge: 59, prompts: ['none'] }))).toMatchObject({ kind: 'refuse', error: 'login_required' });
    expect(nextStep(input({ maxAge: 0, freshLogin: true, authTime: new Date(NOW) }))).toEqual({ kind: 'issue' });
  });

  it('asks for consent when needed, refuses with consent_required under prompt=none, and not again once given', () => {
    expect(nextStep(input({ consentNeeded: true }))).toEqual({ kind: 'consent' });
    expect(nextStep(input({ consentNeeded: true, prompts: ['none'] }))).toMatchObject({ kind: 'refuse', error: 'consent_required' });
    expect(nextStep(input({ consentNeeded: true, freshConsent: true }))).toEqual({ kind: 'issue' });
  });

  it('logs in before it asks for consent', () => {
    expect(nextStep(input({ authTime: undefined, consentNeeded: true }))).toEqual({ kind: 'login' });
  });
});

describe('consentNeeded', () => {
  const thirdParty = { firstParty: false };
  const remembered = { userId: 'u', clientId: 'c', scopes: ['read', 'write'], grantedAt: new Date(NOW) };

  it('never for a first-party client, even under prompt=consent', () => {
    expect(consentNeeded({ firstParty: true }, ['read'], undefined, true)).toBe(false);
  });

  it('for a third-party client without a remembered consent, or asking for more than it covers', () => {
    expect(consentNeeded(thirdParty, ['read'], undefined, false)).toBe(true);
    expect(consentNeeded(thirdParty, ['read'], remembered, false)).toBe(false);
    expect(consentNeeded(thirdParty, [], remembered, false)).toBe(false);
    expect(consentNeeded(thirdParty, ['read', 'admin'], remembered, false)).toBe(true);
  });

  it('again under prompt=consent', () => {
    expect(consentNeeded(thirdParty, ['read'], remembered, true)).toBe(true);
  });
});
