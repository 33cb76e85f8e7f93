import { FakeClock } from '../../test/setup/clock.js';
import { RegisteredScopes } from './registered-scopes.js';

describe('RegisteredScopes', () => {
  function subject(load: () => Promise<readonly string[]>) {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    return { clock, errors, scopes: new RegisteredScopes(load, 30_000, clock, (error) => errors.push(error)) };
  }

  it('reads once per maxAgeMs, shares a read in flight, and rereads at once when invalidated', async () => {
    let reads = 0;
    const { clock, scopes } = subject(async () => [`s${++reads}`]);
    expect(await Promise.all([scopes.get(), scopes.get()])).toEqual([['s1'], ['s1']]);
    clock.advance(30);
    expect(await scopes.get()).toEqual(['s1']);
    clock.advance(1);
    expect(await scopes.get()).toEqual(['s2']);
    scopes.invalidate();
    expect(await scopes.get()).toEqual(['s3']);
    expect(reads).toBe(3);
  });

  it('keeps the last known union when a read fails, and tries again only after maxAgeMs', async () => {
    let fail = false;
    let reads = 0;
    const { clock, errors, scopes } = subject(async () => {
      reads++;
      if (fail) throw new Error('database away');
      return ['read'];
    });
    expect(await scopes.get()).toEqual(['read']);
    fail = true;
    clock.advance(31);
    expect(await scopes.get()).toEqual(['read']);
    expect(await scopes.get()).toEqual(['read']);
    expect(reads).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
