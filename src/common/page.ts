/** Where a newest-first page resumes: strictly below this (time, id) pair. */
export interface Keyset {
  readonly at: Date;
  readonly id: string;
}

export interface PageRequest {
  /** at most this many items */
  readonly limit: number;
  readonly after?: Keyset;
}

export interface Page<T> {
  readonly items: T[];
  /** where the next page starts, or undefined on the last page */
  readonly next: Keyset | undefined;
}

/**
 * Stores read limit + 1 rows: the extra row only says that another page exists; the
 * next page starts below the last row handed out.
 */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Keyset): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit && items.length > 0 ? keyOf(items[items.length - 1]) : undefined };
}
