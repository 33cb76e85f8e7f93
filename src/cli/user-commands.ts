import { SecondFactorService } from '../second-factor/second-factor.service.js';
import type { INestApplicationContext } from '@nestjs/common';
import { SessionsService } from '../sessions/sessions.service.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import type { ParsedCommand } from './arguments.js';
import { CommandFailed } from './failure.js';
import { table } from './table.js';

/** What was read before the application was loaded: a prompt never holds a connection. */
export interface CommandInput {
  readonly password?: string;
  readonly secret?: string;
}

export type Handler = (command: ParsedCommand, app: INestApplicationContext, input: CommandInput) => Promise<void>;

/** The actor of every audit event the CLI causes. */
export const ACTOR = 'cli';
const DEFAULT_LIST_LIMIT = 100;
const PAGE = 200;

export async function userNamed(app: INestApplicationContext, username: string, what = '<username>'): Promise<User> {
  const user = await app.get(UsersService).findByUsername(username);
  if (!user) throw new CommandFailed(`${what}: no user named ${JSON.stringify(username)}`);
  return user;
}

export const USER_COMMANDS: Readonly<Record<string, Handler>> = {
  'users create': async (command, app, { password }) => {
    const { admin, email, name } = command.options;
    const user = await app.get(UsersService).create(
      {
        username: command.args.username,
        password: password ?? '',
        admin: admin === true,
        email: email as string | undefined,
        email_verified: command.options['email-verified'] === true,
        name: name as string | undefined,
      },
      ACTOR,
    );
    process.stdout.write(`user_id: ${user.id}\nusername: ${user.username}\n`);
  },

  'users list': async (command, app) => {
    const limit = (command.options.limit as number | undefined) ?? DEFAULT_LIST_LIMIT;
    const users: User[] = [];
    let page = await app.get(UsersService).list({}, { limit: Math.min(PAGE, limit) });
    users.push(...page.items);
    while (page.next && users.length < limit) {
      page = await app.get(UsersService).list({}, { limit: Math.min(PAGE, limit - users.length), after: page.next });
      users.push(...page.items);
    }
    const rows = users.map((u) => [u.id, u.username, u.roles.join(',') || '-', u.disabledAt ? 'disabled' : 'enabled', u.createdAt.toISOString()]);
    process.stdout.write(table(['USER_ID', 'USERNAME', 'ROLES', 'STATUS', 'CREATED_AT'], rows));
    if (page.next) process.stderr.write(`showing the newest ${users.length} users; --limit shows more\n`);
  },

  'users disable': async (command, app) => {
    const user = await userNamed(app, command.args.username);
    const changed = await app.get(UsersService).disable(user.id, ACTOR);
    process.stdout.write(changed ? `disabled: ${user.username} (every session ended)\n` : `${user.username} was already disabled\n`);
  },

  'users enable': async (command, app) => {
    const user = await userNamed(app, command.args.username);
    if (user.disabledAt === null) {
      process.stdout.write(`${user.username} was already enabled\n`);
      return;
    }
    await app.get(UsersService).update(user.id, { disabled: false }, ACTOR);
    process.stdout.write(`enabled: ${user.username}\n`);
  },

  'users reset-mfa': async (command, app) => {
    const user = await userNamed(app, command.args.username);
    const removed = await app.get(SecondFactorService).remove(user.id, ACTOR);
    process.stdout.write(removed ? `second factor removed: ${user.username}\n` : `${user.username} had no second factor\n`);
  },

  'users set-password': async (command, app, { password }) => {
    const user = await userNamed(app, command.args.username);
    await app.get(UsersService).update(user.id, { password: password ?? '' }, ACTOR);
    process.stdout.write(`password changed: ${user.username} (every session ended)\n`);
  },

  'sessions revoke': async (command, app) => {
    const user = await userNamed(app, command.options.user as string, '--user');
    const revoked = await app.get(SessionsService).revokeAllOf(user.id, 'admin', ACTOR);
    process.stdout.write(`revoked: ${revoked}\n`);
  },
};
