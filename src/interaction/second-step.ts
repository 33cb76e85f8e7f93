import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthorizationRequest } from '../oauth/authorization/authorization-request.js';
import type { FormParams } from '../oauth/form/form-params.js';
import { type SecondFactorAnswer, SecondFactorChallenges } from '../second-factor/second-factor-challenges.service.js';
import type { SecondFactors } from '../second-factor/second-factor.service.js';
import { InteractionPages } from './interaction-pages.service.js';
import { secondFactorCookie } from './session-cookie.js';

export const WRONG_CODE = 'That code is not right, or was already used. Enter the current code from your app, or a recovery code.';
export const PASSKEY_NOT_ACCEPTED = 'That passkey could not confirm this sign-in. Try again with a passkey of this account.';
export const NO_PASSKEY_STEP = 'no sign-in is waiting for a passkey in this browser: enter your password again';
export const CHALLENGE_EXPIRED = 'The sign-in took too long. Enter your password again.';

export function throttledMessage(retryAfter: number): string {
  return `Too many codes were tried. Try again in ${Math.ceil(retryAfter / 60)} minute(s).`;
}

/** For a challenge gone meanwhile: the code form, whose post then says the sign-in took too long. */
export const NO_FACTORS: SecondFactors = { totp: true, passkey: false };

/** The step's message for a refused answer: a passkey's or a code's. */
export function wrongAnswer(answer: SecondFactorAnswer): string {
  return 'credential' in answer ? PASSKEY_NOT_ACCEPTED : WRONG_CODE;
}

/** What the step's post carries: a passkey's assertion when the passkey form sent it, else the code. */
export function answerOf(form: FormParams, ip: string | undefined): SecondFactorAnswer {
  const credential = form.get('credential');
  return credential !== undefined ? { credential, ip } : { code: form.get('code') };
}

/**
 * Asks for the second factor within an authorization request: a challenge bound to this
 * browser (its cookie) and user, then the code page. `loginSessionId` for a step-up of that
 * session; none after a password just proven, when there is no session for this user yet.
 */
@Injectable()
export class SecondStep {
  constructor(
    private readonly challenges: SecondFactorChallenges,
    private readonly pages: InteractionPages,
  ) {}

  async ask(reply: FastifyReply, request: AuthorizationRequest, proven: { userId: string; methods: readonly string[]; loginSessionId?: string }, csrfCookie: string | undefined): Promise<void> {
    const begun = await this.challenges.begin(proven.userId, proven.methods, proven.loginSessionId);
    this.pages.setCookies(reply, [secondFactorCookie(begun.token, begun.maxAge)]);
    this.pages.secondFactor(reply, request, await this.challenges.factorsOf(begun.token) ?? NO_FACTORS, { csrfCookie });
  }
}
