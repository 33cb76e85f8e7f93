import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { type User, UserStore } from '../../users/user.js';
import { UserEntity } from '../entities/user.entity.js';
import { insertUnique } from '../sql.js';

@Injectable()
export class PgUserStore extends UserStore {
  private readonly users: Repository<UserEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.users = dataSource.getRepository(UserEntity);
  }

  async findById(id: string): Promise<User | undefined> {
    return (await this.users.findOneBy({ id })) ?? undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    return (await this.users.findOneBy({ username })) ?? undefined;
  }

  async insert(user: User): Promise<void> {
    await insertUnique(`user ${user.username}`, () => this.users.insert({ ...user, roles: [...user.roles] }));
  }
}
