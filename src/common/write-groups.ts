interface Waiting<T> {
  readonly items: readonly T[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for writes that many requests make at once. The first caller's items are
 * written at once; items added while that write is in flight wait and then go together
 * in the next one (at most `maxItems` a write, never splitting one caller's items). Each
 * caller's promise settles when the write holding its items does: resolved once they
 * are durable, rejected with that write's error. A burst then costs a few round trips
 * and commits instead of one each, and a lone request waits for nothing.
 */
export class WriteGroups<T> {
  private readonly waiting: Array<Waiting<T>> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxItems: number,
  ) {}

  add(...items: T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group: Array<Waiting<T>> = [];
      let count = 0;
      while (this.waiting.length > 0 && (group.length === 0 || count + this.waiting[0].items.length <= this.maxItems)) {
        const next = this.waiting.shift()!;
        count += next.items.length;
        group.push(next);
      }
      try {
        await this.write(group.flatMap((entry) => entry.items));
        for (const entry of group) entry.resolve();
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
