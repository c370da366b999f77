import { lazyProvider } from '../../lambdas/providers/aws/lazy';

describe('lazyProvider', () => {
  it('loads the provider on the first call only, forwards every call, and is not a thenable', async () => {
    let loads = 0;
    const provider = lazyProvider(async () => {
      loads++;
      return { double: async (n: number) => n * 2, name: 'store' };
    });

    expect(loads).toBe(0);
    expect(await provider.double(2)).toBe(4);
    expect(await provider.double(5)).toBe(10);
    expect(loads).toBe(1);
    expect((provider as unknown as { then?: unknown }).then).toBeUndefined();
    await expect(Promise.resolve(provider)).resolves.toBe(provider);
  });

  it('surfaces a failed load to the caller and tries again on the next call', async () => {
    let attempt = 0;
    const provider = lazyProvider(async () => {
      attempt++;
      if (attempt === 1) throw new Error('cannot load');
      return { ping: async () => 'pong' };
    });

    await expect(provider.ping()).rejects.toThrow('cannot load');
    expect(await provider.ping()).toBe('pong');
  });
});
