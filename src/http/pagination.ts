import { z } from 'zod';
import type { Keyset, Page, PageRequest } from '../common/page.js';
import { queryInteger } from './schema-rules.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** What a paginated list answers: `next_cursor` is null on the last page. */
export interface PageBody<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

export const UUID_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const SERIAL_KEY = /^[1-9][0-9]{0,17}$/;
export const CLIENT_KEY = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

const NOT_A_CURSOR = 'is not a cursor from a previous page';

/** An opaque cursor: the (time, id) the next page starts below, base64url JSON. */
const cursor = (idShape: RegExp) =>
  z
    .string({ error: NOT_A_CURSOR })
    .max(200, NOT_A_CURSOR)
    .regex(/^[A-Za-z0-9_-]+$/, NOT_A_CURSOR)
    .meta({ description: 'the next_cursor of the previous page' })
    .transform((value, context): Keyset => {
      const key = decodeCursor(value, idShape);
      if (key) return key;
      context.issues.push({ code: 'custom', message: NOT_A_CURSOR, input: value });
      return z.NEVER;
    });

export function decodeCursor(value: string, idShape: RegExp): Keyset | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === 'number' && typeof decoded[1] === 'string') {
      const at = new Date(decoded[0]);
      if (!Number.isNaN(at.getTime()) && idShape.test(decoded[1])) return { at, id: decoded[1] };
    }
  } catch {
    // not a cursor this server made
  }
  return undefined;
}

/** The `limit` and `cursor` query members of a list keyed by ids of this shape. */
export function pageQuery(idShape: RegExp) {
  return {
    limit: queryInteger(1, MAX_LIMIT).meta({ description: `items per page, default ${DEFAULT_LIMIT}` }).optional(),
    cursor: cursor(idShape).optional(),
  };
}

/** The answer of a paginated list of these items, as a named schema. */
export function pageSchema(id: string, item: z.ZodType) {
  return z
    .object({ items: z.array(item), next_cursor: z.string().nullable().meta({ description: 'null on the last page' }) })
    .meta({ id });
}

export function pageRequest(query: { limit?: number; cursor?: Keyset }): PageRequest {
  return { limit: query.limit ?? DEFAULT_LIMIT, ...(query.cursor ? { after: query.cursor } : {}) };
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify([key.at.getTime(), key.id])).toString('base64url');
}

export function pageBody<T, V>(page: Page<T>, view: (item: T) => V): PageBody<V> {
  return { items: page.items.map(view), next_cursor: page.next ? encodeCursor(page.next) : null };
}
