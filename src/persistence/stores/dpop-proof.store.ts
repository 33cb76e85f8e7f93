import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DpopProofStore } from '../../oauth/dpop/dpop-proof-store.js';
import { execute } from '../sql.js';

// The primary key is the arbiter: of two processes inserting the same proof, exactly one
// gets its row back. An expired row that the janitor has not reached yet still refuses
// its proof, which is stale by then anyway (its iat window has closed).
const CLAIM = `INSERT INTO dpop_proofs (hash, expires_at) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING RETURNING 1`;

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
