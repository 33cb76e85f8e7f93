import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { type User, UserStore } from '../../users/user.js';
import { UserEntity } from '../entities/user.entity.js';
import { execute, insertUnique } from '../sql.js';

@Injectable()
export class PgUserStore extends UserStore {
  private readonly users: Repository<UserEntity>;

  constructor(private readonly dataSource: DataSource) {
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

  async disable(id: string, now: Date, relevantUntil: Date): Promise<boolean> {
    const { rows } = await execute(
      this.dataSource,
      `WITH disabled AS (
         UPDATE users SET disabled_at = $2, updated_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id
       )
       INSERT INTO revocation_events (kind, subject, created_at, until)
       SELECT 'user', disabled.id::text, $2, $3 FROM disabled RETURNING id`,
      [id, now, relevantUntil],
    );
    return rows.length > 0;
  }
}
