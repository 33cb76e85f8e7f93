import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';

// 40001 serialization_failure, 40P01 deadlock_detected: safe to run the whole transaction again.
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 4;

/** Runs `work` in a READ COMMITTED transaction, again from the start on a serialization failure or deadlock. */
export function withTransactionRetry<T>(dataSource: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  return withRetry(() => dataSource.transaction('READ COMMITTED', work));
}

/** Runs `work` (a transaction, or one statement: its own transaction), again on a serialization failure or deadlock. */
export async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
      if (attempt >= ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10));
    }
  }
}
