import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { type Page, type PageRequest, pageOf } from '../../common/page.js';
import { type User, type UserChanges, type UserFilter, UserStore } from '../../users/user.js';
import { UserEntity } from '../entities/user.entity.js';
import { execute, insertUnique } from '../sql.js';
import { appendToFeed } from './revocation-feed.sql.js';

@Injectable()
export class PgUserStore extends UserStore {
  private readonly users: Repository<UserEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.users = dataSource.getRepository(UserEntity);
  }

  async findById(id: string): Promise<User | undefined> {
    return withoutKey((await this.users.findOneBy({ id })) ?? undefined);
  }

  async findByUsernameKey(usernameKey: string): Promise<User | undefined> {
    return withoutKey((await this.users.findOneBy({ usernameKey })) ?? undefined);
  }

  async insert(user: User, usernameKey: string): Promise<void> {
    await insertUnique(`user ${user.username}`, () => this.users.insert({ ...user, roles: [...user.roles], usernameKey }));
  }

  async disable(id: string, now: Date, relevantUntil: Date): Promise<boolean> {
    const { rows } = await execute(
      this.dataSource,
      `WITH disabled AS (
         UPDATE users SET disabled_at = $2, updated_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id
       ), ${appendToFeed('announced', `SELECT 'user', disabled.id::text, $2::timestamptz, $3::timestamptz FROM disabled`)}
       SELECT id FROM announced`,
      [id, now, relevantUntil],
    );
    return rows.length > 0;
  }

  async enable(id: string, now: Date): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE users SET disabled_at = NULL, updated_at = $2 WHERE id = $1 AND disabled_at IS NOT NULL`,
      [id, now],
    );
    return affected > 0;
  }

  async update(id: string, changes: UserChanges, now: Date, relevantUntil: Date): Promise<boolean> {
    const profile = changes.profile ?? {};
    // $5/$7 say whether email/name are given at all, so that null can mean "remove".
    const { rows } = await execute(
      this.dataSource,
      `WITH updated AS (
         UPDATE users SET password_hash = COALESCE($2, password_hash), roles = COALESCE($3::text[], roles), updated_at = $4,
           email = CASE WHEN $5 THEN $6 ELSE email END, name = CASE WHEN $7 THEN $8 ELSE name END,
           email_verified = COALESCE($9, email_verified)
         WHERE id = $1 RETURNING id
       ), ${appendToFeed('credential', `SELECT 'credential', updated.id::text, $4::timestamptz, $10::timestamptz FROM updated WHERE $2::text IS NOT NULL`)}
       SELECT id FROM updated`,
      [
        id,
        changes.passwordHash ?? null,
        changes.roles ? [...changes.roles] : null,
        now,
        profile.email !== undefined,
        profile.email ?? null,
        profile.name !== undefined,
        profile.name ?? null,
        profile.emailVerified ?? null,
        relevantUntil,
      ],
    );
    return rows.length > 0;
  }

  async list(filter: UserFilter, page: PageRequest): Promise<Page<User>> {
    const query = this.users.createQueryBuilder('u').orderBy('u.createdAt', 'DESC').addOrderBy('u.id', 'DESC').take(page.limit + 1);
    if (filter.usernameKey !== undefined) query.andWhere('u.usernameKey = :key', { key: filter.usernameKey });
    // The typed text is a literal: its % and _ match themselves, not any characters.
    if (filter.search !== undefined) {
      query.andWhere(`(u.username ILIKE :pattern ESCAPE '\\' OR u.email ILIKE :pattern ESCAPE '\\')`, { pattern: `%${filter.search.replace(/[\\%_]/g, '\\$&')}%` });
    }
    if (page.after) query.andWhere('(u.createdAt, u.id) < (:at, :id)', { at: page.after.at, id: page.after.id });
    const rows = (await query.getMany()).map((row) => withoutKey(row)!);
    return pageOf<User>(rows, page.limit, (user) => ({ at: user.createdAt, id: user.id }));
  }
}

/** The key is the store's business (uniqueness and lookups); a User is what it stands for. */
function withoutKey(row: UserEntity | undefined): User | undefined {
  if (row === undefined) return undefined;
  const { usernameKey: _key, ...user } = row;
  return user;
}
