import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { type Client, ClientStore } from '../../clients/client.js';
import { ClientEntity } from '../entities/client.entity.js';
import { insertUnique } from '../sql.js';

@Injectable()
export class PgClientStore extends ClientStore {
  private readonly clients: Repository<ClientEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.clients = dataSource.getRepository(ClientEntity);
  }

  async findById(id: string): Promise<Client | undefined> {
    return (await this.clients.findOneBy({ id })) ?? undefined;
  }

  async insert(client: Client): Promise<void> {
    await insertUnique(`client ${client.id}`, () =>
      this.clients.insert({
        ...client,
        grantTypes: [...client.grantTypes],
        scopes: [...client.scopes],
        permissions: [...client.permissions],
        allowedOrigins: [...client.allowedOrigins],
      }),
    );
  }
}
