import type { Client } from '../clients/client.js';
import { ClientsService } from '../clients/clients.service.js';
import { clientView } from '../admin/views.js';
import { clientSettings } from './client-options.js';
import { CommandFailed } from './failure.js';
import { table } from './table.js';
import { ACTOR, type Handler } from './user-commands.js';

const PAGE = 200;

function noSuchClient(id: string): CommandFailed {
  return new CommandFailed(`<client_id>: no client ${JSON.stringify(id)}`);
}

/** `name: value` lines, as `clients create` prints; lists comma-separated, scopes space-separated. */
function describe(client: Client): string {
  const view = clientView(client);
  const lines: Array<[string, string]> = [
    ['client_id', view.client_id],
    ['type', view.type],
    ['grant_types', view.grant_types.join(',')],
    ['scopes', view.scopes.join(' ')],
    ['introspect', String(view.introspect)],
    ['origins', view.origins.join(',')],
    ['access_token_format', view.access_token_format],
    ['audience', view.audience ?? ''],
    ['redirect_uris', view.redirect_uris.join(',')],
    ['post_logout_redirect_uris', view.post_logout_redirect_uris.join(',')],
    ['first_party', String(view.first_party)],
    ['require_par', String(view.require_par)],
    ['client_name', view.client_name ?? ''],
    ['dpop_bound_access_tokens', String(view.dpop_bound_access_tokens)],
    ['require_mfa', String(view.require_mfa)],
    ['backchannel_logout_uri', view.backchannel_logout_uri ?? ''],
    ['backchannel_logout_session_required', String(view.backchannel_logout_session_required)],
    ['created_at', view.created_at],
  ];
  return lines.map(([name, value]) => `${name}: ${value}`.trimEnd()).join('\n') + '\n';
}

export const CLIENT_COMMANDS: Readonly<Record<string, Handler>> = {
  'clients create': async (command, app, { secret }) => {
    const given = clientSettings(command.options);
    const created = await app.get(ClientsService).create(
      {
        ...given,
        id: command.args.client_id,
        type: command.options.type as 'confidential' | 'public',
        grantTypes: given.grantTypes ?? [],
        audience: given.audience ?? undefined,
        name: given.name ?? undefined,
        secret,
      },
      ACTOR,
    );
    process.stdout.write(`client_id: ${created.client.id}\n`);
    if (created.secret !== undefined && secret === undefined) {
      process.stdout.write(`client_secret: ${created.secret}\n`);
      process.stderr.write('the secret is shown once: store it now\n');
    }
  },

  'clients list': async (_command, app) => {
    const clients: Client[] = [];
    let page = await app.get(ClientsService).list({ limit: PAGE });
    clients.push(...page.items);
    while (page.next) {
      page = await app.get(ClientsService).list({ limit: PAGE, after: page.next });
      clients.push(...page.items);
    }
    const rows = clients.map((c) => [c.id, c.type, c.grantTypes.join(','), c.scopes.join(' ') || '-', c.createdAt.toISOString()]);
    process.stdout.write(table(['CLIENT_ID', 'TYPE', 'GRANT_TYPES', 'SCOPES', 'CREATED_AT'], rows));
  },

  'clients show': async (command, app) => {
    const client = await app.get(ClientsService).findById(command.args.client_id);
    if (!client) throw noSuchClient(command.args.client_id);
    process.stdout.write(describe(client));
  },

  'clients update': async (command, app) => {
    const client = await app.get(ClientsService).update(command.args.client_id, clientSettings(command.options), ACTOR);
    if (!client) throw noSuchClient(command.args.client_id);
    process.stdout.write(describe(client));
  },

  'clients delete': async (command, app) => {
    const revoked = await app.get(ClientsService).delete(command.args.client_id, ACTOR);
    if (revoked === undefined) throw noSuchClient(command.args.client_id);
    process.stdout.write(`deleted: ${command.args.client_id}\nsessions revoked: ${revoked}\n`);
  },

  'clients rotate-secret': async (command, app) => {
    const grace = (command.options.grace as number | undefined) ?? 0;
    const rotated = await app.get(ClientsService).rotateSecret(command.args.client_id, grace, ACTOR);
    if (!rotated) throw noSuchClient(command.args.client_id);
    const until = rotated.client.previousSecretExpiresAt;
    process.stdout.write(
      `client_id: ${rotated.client.id}\nclient_secret: ${rotated.secret}\n` +
        `previous_secret_expires_at: ${until ? until.toISOString() : 'now (the old secret no longer works)'}\n`,
    );
    process.stderr.write('the secret is shown once: store it now\n');
  },
};
