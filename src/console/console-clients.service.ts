import { Injectable } from '@nestjs/common';
import { ClientChange, NewClient, registrationOf, SecretRotation, settingsOf } from '../admin/admin-clients.controller.js';
import type { Client } from '../clients/client.js';
import { type CreatedClient, ClientsService, type RotatedSecret } from '../clients/clients.service.js';
import type { Keyset, Page } from '../common/page.js';
import { parseInput } from '../http/schema-input.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { FormParams } from '../oauth/form/form-params.js';
import { clientSettingsOf, newClientOf, secretRotationOf } from './client-form.js';
import { actorOf, type ConsoleAdmin } from './console-sign-in.service.js';

export const CLIENTS_PER_PAGE = 20;

const noSuchClient = () => new OAuthError('not_found', 'no such client');

/**
 * The console's client pages, through the admin API's schemas and the same ClientsService
 * calls: each change is judged by the same rules and audited the same way, with the
 * admin's user id as the actor. The console's own client is refused by the service.
 */
@Injectable()
export class ConsoleClientsService {
  constructor(private readonly clients: ClientsService) {}

  list(after: Keyset | undefined): Promise<Page<Client>> {
    return this.clients.list({ limit: CLIENTS_PER_PAGE, ...(after ? { after } : {}) });
  }

  async found(id: string): Promise<Client> {
    const client = await this.clients.findById(id);
    if (!client) throw noSuchClient();
    return client;
  }

  /** A confidential client's generated secret is in the result, to be shown once. */
  create(admin: ConsoleAdmin, form: FormParams): Promise<CreatedClient> {
    const input = parseInput(NewClient, newClientOf(form), 'form');
    return this.clients.create(registrationOf(input), actorOf(admin));
  }

  /** The form states every setting: what it leaves empty is removed. */
  async update(admin: ConsoleAdmin, id: string, form: FormParams): Promise<Client> {
    const input = parseInput(ClientChange, clientSettingsOf(form, 'remove'), 'form');
    const client = await this.clients.update(id, settingsOf(input), actorOf(admin));
    if (!client) throw noSuchClient();
    return client;
  }

  /** The form must say how long the replaced secret keeps working (0: it stops at once). */
  async rotateSecret(admin: ConsoleAdmin, id: string, form: FormParams): Promise<RotatedSecret> {
    const input = parseInput(SecretRotation.required(), secretRotationOf(form), 'form');
    const rotated = await this.clients.rotateSecret(id, input.grace_seconds, actorOf(admin));
    if (!rotated) throw noSuchClient();
    return rotated;
  }

  /** Its sessions end first (reason client_deleted); returns how many. */
  async delete(admin: ConsoleAdmin, id: string): Promise<number> {
    const ended = await this.clients.delete(id, actorOf(admin));
    if (ended === undefined) throw noSuchClient();
    return ended;
  }
}
