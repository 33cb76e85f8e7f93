import { Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { provePassword } from '../browser/guards/local-auth.guard.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import type { LoginSession } from '../interaction/login-session.js';
import { PasskeyRegistration } from '../passkeys/passkey-registration.service.js';
import { PasskeyOptionsOperation, sendOptions } from '../passkeys/passkey-operation.js';
import { LocalStrategy } from '../users/local.strategy.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { AccountFormGuard, accountFormOf } from './account-form.guard.js';
import { AccountOperation } from './account-operation.js';
import { AccountPages } from './account-pages.js';

const PAGE = 'the account page';

/**
 * The passkeys of the account page: register one (WebAuthn §7.1, the challenge bound to
 * this login session, the current password proven again as for a password change: a
 * stolen session cookie alone must not plant a lasting way in), and remove one.
 */
@ApiTags('pages')
@Controller('account/passkeys')
@UseFilters(InteractionErrorFilter)
export class AccountPasskeysController {
  constructor(
    private readonly registration: PasskeyRegistration,
    private readonly users: UsersService,
    private readonly strategy: LocalStrategy,
    private readonly audit: AuditService,
    private readonly pages: AccountPages,
  ) {}

  @Post('options')
  @UseGuards(AccountFormGuard)
  @PasskeyOptionsOperation('WebAuthn options to register a passkey, the challenge bound to this login session')
  async options(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = accountFormOf(request);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) return this.pages.toLogin(reply);
    sendOptions(reply, await this.registration.options(session, user));
  }

  /** credential (the PublicKeyCredential as JSON, §5.1.8), name, current_password. */
  @Post()
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Add a passkey, after the current password is proven again', page: PAGE })
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) return this.pages.toLogin(reply);
    if (!(await this.reauthenticated(session, user, form.get('current_password'), request.ip, reply))) return this.pages.toAccount(reply, 'wrong-password');
    this.pages.toAccount(reply, await this.registration.register(session, user, form.get('credential'), form.get('name')));
  }

  @Post('delete')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Remove one of my passkeys (delete_passkey=<passkey id>)', page: PAGE })
  async remove(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    this.pages.toAccount(reply, (await this.registration.remove(session, form.get('delete_passkey'))) ? 'passkey-removed' : 'passkey-unknown');
  }

  /** Through the login throttle and passport-local, as the password change proves it. */
  private async reauthenticated(session: LoginSession, user: User, password: string | undefined, ip: string, reply: FastifyReply): Promise<boolean> {
    const proven = password === undefined ? false : await provePassword(this.strategy, { username: user.username, password, ip }, reply);
    if (proven && proven.id === user.id) return true;
    await this.audit.record({ type: 'login_failed', userId: session.userId, ip, details: { purpose: 'passkey_registration' } });
    return false;
  }
}
