interface Waiting<T, R> {
  readonly items: readonly T[];
  resolve(results: R[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit for writes that many requests make at once. The first caller's items are
 * written at once; items added while that write is in flight wait and then go together
 * in the next one (at most `maxItems` a write, never splitting one caller's items). Each
 * caller's promise settles when the write holding its items does: resolved once they
 * are durable (with the write's results for its items, when it gives one per item),
 * rejected with that write's error. A burst then costs a few round trips and commits
 * instead of one each, and a lone request waits for nothing.
 */
export class WriteGroups<T, R = never> {
  private readonly waiting: Array<Waiting<T, R>> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<readonly R[] | void>,
    private readonly maxItems: number,
  ) {}

  add(...items: T[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group: Array<Waiting<T, R>> = [];
      let count = 0;
      while (this.waiting.length > 0 && (group.length === 0 || count + this.waiting[0].items.length <= this.maxItems)) {
        const next = this.waiting.shift()!;
        count += next.items.length;
        group.push(next);
      }
      try {
        const results = (await this.write(group.flatMap((entry) => entry.items))) ?? [];
        let offset = 0;
        for (const entry of group) {
          entry.resolve(results.slice(offset, offset + entry.items.length));
          offset += entry.items.length;
        }
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
