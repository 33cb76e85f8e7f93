import { WriteGroups } from './write-groups.js';

/** A write whose completion the test decides. */
function controlledWrites() {
  const writes: Array<{ items: number[]; finish(error?: Error): void }> = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => writes.push({ items, finish: (error) => (error ? reject(error) : resolve()) }));
  return { writes, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteGroups', () => {
  it('writes the first items at once and groups what arrives meanwhile, settling each caller with its write', async () => {
    const { writes, write } = controlledWrites();
    const groups = new WriteGroups(write, 100);
    const settled: number[] = [];
    const first = groups.add(1).then(() => settled.push(1));
    const later = [groups.add(2, 3).then(() => settled.push(2)), groups.add(4).then(() => settled.push(4))];
    await tick();
    expect(writes.map((w) => w.items)).toEqual([[1]]);
    writes[0].finish();
    await first;
    await tick();
    expect(settled).toEqual([1]);
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4]]);
    writes[1].finish();
    await Promise.all(later);
    expect(settled).toEqual([1, 2, 4]);
  });

  it('never puts more than maxItems in a write, nor splits one caller’s items', async () => {
    const { writes, write } = controlledWrites();
    const groups = new WriteGroups(write, 3);
    const all = [groups.add(1), groups.add(2, 3), groups.add(4, 5), groups.add(6), groups.add(7, 8, 9, 10)];
    for (let i = 0; i < 5; i++) {
      await tick();
      writes[i]?.finish();
    }
    await Promise.all(all);
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3], [4, 5, 6], [7, 8, 9, 10]]);
  });

  it('rejects every caller of a failed write with its error, and goes on with the next group', async () => {
    const { writes, write } = controlledWrites();
    const groups = new WriteGroups(write, 100);
    const first = groups.add(1);
    const failing = [groups.add(2), groups.add(3)];
    await tick();
    writes[0].finish();
    await first;
    await tick();
    const next = groups.add(4);
    writes[1].finish(new Error('database gone'));
    for (const outcome of await Promise.allSettled(failing)) expect(outcome).toEqual({ status: 'rejected', reason: new Error('database gone') });
    await tick();
    expect(writes[2].items).toEqual([4]);
    writes[2].finish();
    // A write that gives no results resolves each caller with none.
    await expect(next).resolves.toEqual([]);
  });

  it("hands each caller the write's results for its own items, in order", async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const groups = new WriteGroups<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await held;
      return items.map((item) => `result ${item}`);
    }, 100);
    const first = groups.add(1);
    const grouped = [groups.add(2, 3), groups.add(4)];
    await tick();
    release();
    expect(await first).toEqual(['result 1']);
    expect(await Promise.all(grouped)).toEqual([['result 2', 'result 3'], ['result 4']]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });
});
