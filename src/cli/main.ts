import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { ClientsService } from '../clients/clients.service.js';
import { InvalidInputError } from '../common/errors.js';
import { oneLineError } from '../common/one-line-error.js';
import { loadConfig } from '../config/config.js';
import { withSecrets } from '../config/dev-secrets.js';
import { withEnvFile } from '../config/env-file.js';
import { describeCounts, JanitorService } from '../janitor/janitor.service.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { openDatabase } from '../persistence/open-database.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { type Command, parseCommand, USAGE } from './arguments.js';
import { readPassword, readSecret } from './prompt.js';

const ACTOR = 'cli';

async function run(argv: string[], processEnv: NodeJS.ProcessEnv): Promise<void> {
  const command = parseCommand(argv);
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = withEnvFile(processEnv);
  const config = withSecrets(loadConfig(env));
  // Read interactive input before opening the database, so a prompt never holds a connection.
  const password = command.name === 'users create' ? (env.TESSERA_PASSWORD ?? (await readPassword())) : undefined;
  const secret = command.name === 'clients create' && command.secretStdin ? await readSecret() : undefined;
  const database = await openDatabase(config, { poolSize: 2 });
  try {
    if (command.name === 'migrate') {
      const applied = database.applied;
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'the schema is up to date\n');
      return;
    }
    const app = await NestFactory.createApplicationContext(AppModule.forRoot({ config, dataSource: database.dataSource }), {
      logger: false,
      abortOnError: false,
    });
    try {
      await execute(command, app, password, secret);
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}

async function execute(
  command: Exclude<Command, { name: 'help' | 'migrate' }>,
  app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>,
  password: string | undefined,
  secret: string | undefined,
): Promise<void> {
  switch (command.name) {
    case 'users create': {
      const user = await app.get(UsersService).create({ username: command.username, password: password ?? '', admin: command.admin }, ACTOR);
      process.stdout.write(`user_id: ${user.id}\nusername: ${user.username}\n`);
      return;
    }
    case 'clients create': {
      const created = await app.get(ClientsService).create(
        {
          id: command.clientId,
          type: command.type as 'confidential' | 'public',
          grantTypes: command.grants,
          scopes: command.scopes,
          introspect: command.introspect,
          origins: command.origins,
          accessTokenFormat: command.accessTokenFormat as 'jwt' | 'opaque',
          audience: command.audience,
          secret,
        },
        ACTOR,
      );
      process.stdout.write(`client_id: ${created.client.id}\n`);
      if (created.secret !== undefined && secret === undefined) {
        process.stdout.write(`client_secret: ${created.secret}\n`);
        process.stderr.write('the secret is shown once: store it now\n');
      }
      return;
    }
    case 'keys rotate': {
      const kid = await app.get(KeysService).rotate(ACTOR);
      process.stdout.write(`active key: ${kid}\n`);
      return;
    }
    case 'sessions revoke': {
      const user = await app.get(UsersService).findByUsername(command.username);
      if (!user) throw new InvalidInputError('--user', `no user named ${JSON.stringify(command.username)}`);
      const revoked = await app.get(SessionsService).revokeAllOf(user.id, 'admin', ACTOR);
      process.stdout.write(`revoked: ${revoked}\n`);
      return;
    }
    case 'cleanup': {
      // Waits for a pass another process may be running, so the operator always gets one.
      const counts = await app.get(JanitorService).runOnce({ batchSize: command.batchSize, wait: true });
      process.stdout.write(`deleted: ${counts ? describeCounts(counts) : 'nothing'}\n`);
      return;
    }
  }
}

run(process.argv.slice(2), process.env).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`tessera: ${oneLineError(error)}\n`);
    process.exit(1);
  },
);
