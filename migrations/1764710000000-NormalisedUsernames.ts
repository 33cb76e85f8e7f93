import type { MigrationInterface, QueryRunner } from 'typeorm';
import { usernameKey, usernameProblem } from '../src/users/username.js';

/**
 * Usernames become unique on their RFC 8265 comparison key (src/users/username.ts), so
 * `alice` and `ALICE` can no longer be two accounts. Existing rows are never merged or
 * renamed behind anyone's back: when two share a key, or one is a name the profile refuses
 * (an invisible character, a lone surrogate stored as U+FFFD...), the migration stops and
 * lists them, and applies once an operator has renamed, disabled and renamed, or deleted
 * them (each fix is one UPDATE or DELETE by id; see the README "Usernames").
 */
export class NormalisedUsernames1764710000000 implements MigrationInterface {
  name = 'NormalisedUsernames1764710000000';

  async up(q: QueryRunner): Promise<void> {
    const users = (await q.query(`SELECT id, username FROM users ORDER BY created_at, id`)) as Array<{ id: string; username: string }>;
    const problems = [...refused(users), ...collisions(users)];
    if (problems.length > 0) {
      throw new Error(
        `${problems.length} username(s) break the RFC 8265 username rules; rename or delete each ` +
          `(UPDATE users SET username = '<new name>' WHERE id = '<id>'), then migrate again: ${problems.join('; ')}`,
      );
    }
    await q.query(`ALTER TABLE users ADD COLUMN username_key text`);
    await q.query(`UPDATE users SET username_key = k.key FROM unnest($1::uuid[], $2::text[]) AS k (id, key) WHERE users.id = k.id`, [
      users.map((user) => user.id),
      users.map((user) => usernameKey(user.username)),
    ]);
    await q.query(`ALTER TABLE users ALTER COLUMN username_key SET NOT NULL`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_username_key_unique UNIQUE (username_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_username_key_unique`);
    await q.query(`ALTER TABLE users DROP COLUMN username_key`);
  }
}

function refused(users: ReadonlyArray<{ id: string; username: string }>): string[] {
  return users.flatMap((user) => {
    const problem = usernameProblem(user.username);
    return problem === undefined ? [] : [`user ${user.id} ${shown(user.username)} ${problem}`];
  });
}

function collisions(users: ReadonlyArray<{ id: string; username: string }>): string[] {
  const byKey = new Map<string, Array<{ id: string; username: string }>>();
  for (const user of users) byKey.set(usernameKey(user.username), [...(byKey.get(usernameKey(user.username)) ?? []), user]);
  return [...byKey.values()]
    .filter((group) => group.length > 1)
    .map((group) => `users ${group.map((user) => `${user.id} ${shown(user.username)}`).join(', ')} are one username`);
}

/** Quoted, with every character that is not a visible letter, mark, digit or ASCII escaped: an operator must see U+200B. */
function shown(username: string): string {
  return JSON.stringify(username).replace(/[^\p{L}\p{M}\p{N}\x20-\x7e]/gu, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}
