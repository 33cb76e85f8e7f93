import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthorizationRequest } from '../oauth/authorization/authorization-request.js';
import { SecondFactorChallenges } from '../second-factor/second-factor-challenges.service.js';
import { InteractionPages } from './interaction-pages.service.js';
import { secondFactorCookie } from './session-cookie.js';

export const WRONG_CODE = 'That code is not right, or was already used. Enter the current code from your app, or a recovery code.';
export const CHALLENGE_EXPIRED = 'The sign-in took too long. Enter your password again.';

export function throttledMessage(retryAfter: number): string {
  return `Too many codes were tried. Try again in ${Math.ceil(retryAfter / 60)} minute(s).`;
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
    this.pages.secondFactor(reply, request, { csrfCookie });
  }
}
