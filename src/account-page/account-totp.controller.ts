import { Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { throttledMessage } from '../interaction/second-step.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountFormGuard, accountFormOf } from './account-form.guard.js';
import { AccountOperation } from './account-operation.js';
import { AccountPageService } from './account-page.service.js';
import { AccountPages } from './account-pages.js';

const PAGE = 'the TOTP set-up page, the recovery codes, or the account page';
const WRONG_FIRST_CODE = 'That code is not right. Enter the code your app shows now (it changes every 30 seconds).';

/**
 * TOTP on the account page (CONTRACT "Account page, passkeys, second factor"): set up with
 * an otpauth URI as text and QR code, confirmed by a first code; then the ten recovery
 * codes, shown once; turned off with the current password.
 */
@ApiTags('pages')
@Controller('account/totp')
@UseFilters(InteractionErrorFilter)
export class AccountTotpController {
  constructor(
    private readonly factors: SecondFactorService,
    private readonly account: AccountPageService,
    private readonly users: UsersService,
    private readonly pages: AccountPages,
  ) {}

  @Post()
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Start setting up TOTP: a new secret, as an otpauth URI and a QR code', page: PAGE })
  async start(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = accountFormOf(request);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) return this.pages.toLogin(reply);
    const enrolment = await this.factors.startEnrolment(user.id, user.username);
    if (!enrolment) return this.pages.toAccount(reply, 'totp-already');
    this.pages.totpEnrolment(reply, session, enrolment);
  }

  /** code: the app's first code; right, the recovery codes are shown (once). */
  @Post('confirm')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Confirm the TOTP set-up with a first code (code=<6 digits>)', page: PAGE })
  async confirm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) return this.pages.toLogin(reply);
    const outcome = await this.factors.confirmEnrolment(user.id, form.get('code'));
    if (outcome.kind === 'confirmed') return this.pages.recoveryCodes(reply, outcome.recoveryCodes);
    const enrolment = await this.factors.pendingEnrolment(user.id, user.username);
    if (outcome.kind === 'no-enrolment' || !enrolment) return this.pages.toAccount(reply, 'totp-expired');
    if (outcome.kind === 'throttled') void reply.header('retry-after', String(outcome.retryAfter));
    const message = outcome.kind === 'throttled' ? throttledMessage(outcome.retryAfter) : WRONG_FIRST_CODE;
    this.pages.totpEnrolment(reply, session, enrolment, { status: outcome.kind === 'throttled' ? 429 : 400, message });
  }

  /** current_password: proven again before the factor goes. */
  @Post('remove')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Turn TOTP off (current_password required); the recovery codes go too', page: PAGE })
  async remove(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    this.pages.toAccount(reply, await this.account.removeTotp(session, form.get('current_password'), request.ip, reply));
  }
}
