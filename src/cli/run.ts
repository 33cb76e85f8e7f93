import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { appClock, AppModule } from '../app.module.js';
import type { ResolvedConfig } from '../config/config.js';
import { describeCounts, JanitorService } from '../janitor/janitor.service.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { openDatabase } from '../persistence/open-database.js';
import type { ParsedCommand } from './arguments.js';
import { CLIENT_COMMANDS } from './client-commands.js';
import { ACTOR, type CommandInput, type Handler, USER_COMMANDS } from './user-commands.js';


/*
 * The part of the CLI that loads the application: imported only once the command line
 * has been parsed and checked, so that help and usage errors never wait for it.
 */
const HANDLERS: Readonly<Record<string, Handler>> = {
  ...USER_COMMANDS,
  ...CLIENT_COMMANDS,
  'keys rotate': async (_command, app) => {
    const key = await app.get(KeysService).rotate(ACTOR);
    process.stdout.write(`pending key: ${key.kid}\nalg: ${key.alg}\nsigns from: ${key.activatesAt.toISOString()}\n`);
  },
  cleanup: async (command, app) => {
    // Waits for a pass another process may be running, so the operator always gets one.
    const batchSize = command.options['batch-size'] as number | undefined;
    const counts = await app.get(JanitorService).runOnce({ batchSize, wait: true });
    process.stdout.write(`deleted: ${counts ? describeCounts(counts) : 'nothing'}\n`);
  },
};

export async function run(command: ParsedCommand, config: ResolvedConfig, input: CommandInput): Promise<void> {
  const database = await openDatabase(config, { poolSize: 2 });
  try {
    if (command.name === 'migrate') {
      const applied = database.applied;
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'the schema is up to date\n');
      return;
    }
    const handler = HANDLERS[command.name];
    if (handler === undefined) throw new Error(`no handler for ${command.name}`);
    // The database's clock, as the servers use: a command's expiries and revocations agree with theirs.
    const deps = { config, dataSource: database.dataSource };
    const app: INestApplicationContext = await NestFactory.createApplicationContext(
      AppModule.forRoot({ ...deps, clock: await appClock(deps) }),
      { logger: false, abortOnError: false },
    );
    try {
      // Another SIGNING_ALG than the signing key's never rotates by itself: say how to.
      const warning = app.get(KeysService).signingAlgWarning();
      if (warning !== undefined && command.name !== 'keys rotate') process.stderr.write(`tessera: warning: ${warning}\n`);
      await handler(command, app, input);
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}
