import type { Keyset, Page, PageRequest } from '../common/page.js';
import { type Rule, optional, queryInteger } from './json-input.js';

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

/** An opaque cursor: the (time, id) the next page starts below, base64url JSON. */
const cursor = (idShape: RegExp): Rule<Keyset> => (value) => {
  if (typeof value === 'string' && value.length <= 200 && /^[A-Za-z0-9_-]+$/.test(value)) {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === 'number' && typeof decoded[1] === 'string') {
        const at = new Date(decoded[0]);
        if (!Number.isNaN(at.getTime()) && idShape.test(decoded[1])) return { ok: true, value: { at, id: decoded[1] } };
      }
    } catch {
      // fall through: not a cursor this server made
    }
  }
  return { ok: false, message: 'is not a cursor from a previous page' };
};

/** The `limit` and `cursor` query members of a list keyed by ids of this shape. */
export function pageQuery(idShape: RegExp) {
  return { limit: optional(queryInteger(1, MAX_LIMIT)), cursor: optional(cursor(idShape)) };
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
