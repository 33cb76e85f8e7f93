import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DpopProofStore } from '../../oauth/dpop/dpop-proof-store.js';
import { execute } from '../sql.js';

// The primary key is the arbiter: of two processes inserting the same proof, exactly one
// gets its row back, whatever the commit's durability. An expired row that the janitor has
// not reached yet still refuses its proof, which is stale by then anyway (its iat window
// has closed).
// The commit does not wait for the WAL flush (synchronous_commit off for this statement's
// own transaction: set_config's third argument): a proof is worth remembering for a
// minute, and a crash of the database that loses the last few milliseconds of proofs lets
// at most those be replayed within their 60 s window, every one still needing its token
// and, at the token endpoint, its client's credentials. Waiting for the flush cost every
// DPoP request a durable commit that a Bearer client_credentials request does not make.
const CLAIM = `
  WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
  INSERT INTO dpop_proofs (hash, expires_at) SELECT $1, $2 FROM relaxed
  ON CONFLICT (hash) DO NOTHING RETURNING 1`;

@Injectable()
export class PgDpopProofStore extends DpopProofStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async claim(key: Buffer, expiresAt: Date): Promise<boolean> {
    const { rows } = await execute(this.dataSource, CLAIM, [key, expiresAt]);
    return rows.length === 1;
  }
}
