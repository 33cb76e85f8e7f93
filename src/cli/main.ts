import { loadConfig } from '../config/config.js';
import { withSecrets } from '../config/dev-secrets.js';
import { withEnvFile } from '../config/env-file.js';
import { validPassword, validUsername } from '../users/user-rules.js';
import { type ParsedCommand, parseCommandLine } from './arguments.js';
import { checkNewClient } from './client-options.js';
import { describeFailure } from './failure.js';
import { readPassword, readSecret } from './prompt.js';

// Only light modules are imported above: the command line is parsed and checked, and help
// printed, before the application (Nest, TypeORM, pg) is loaded by the import in main().

const NEEDS_PASSWORD = new Set(['users create', 'users set-password']);

async function main(argv: string[], processEnv: NodeJS.ProcessEnv): Promise<number> {
  const line = parseCommandLine(argv);
  if (line.kind === 'help') {
    (line.exitCode === 0 ? process.stdout : process.stderr).write(`${line.text}\n`);
    return line.exitCode;
  }
  if (line.command.name === 'users create') validUsername(line.command.args.username);
  if (line.command.name === 'clients create') checkNewClient(line.command);
  const env = withEnvFile(processEnv);
  const config = withSecrets(loadConfig(env));
  const input = await readInput(line.command, env);
  if (input.password !== undefined) validPassword(input.password);
  const { run } = await import('./run.js');
  await run(line.command, config, input);
  return 0;
}

/** Interactive input is read before the database is opened, so a prompt never holds a connection. */
async function readInput(command: ParsedCommand, env: NodeJS.ProcessEnv): Promise<{ password?: string; secret?: string }> {
  if (NEEDS_PASSWORD.has(command.name)) return { password: env.TESSERA_PASSWORD ?? (await readPassword()) };
  if (command.name === 'clients create' && command.options['secret-stdin'] === true) return { secret: await readSecret() };
  return {};
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`tessera: ${message}\n`);
    process.exit(exitCode);
  },
);
