/**
 * A provider built on first use. Each AWS provider module loads its SDK client package when it
 * is imported (≈ 20-60 ms each); a function uses two or three of the seven, so the rest are
 * never loaded and a cold start only pays for what it calls. Every provider method is async,
 * so forwarding through a promise keeps the port's contract.
 */
export function lazyProvider<T extends object>(load: () => Promise<T>): T {
  let instance: Promise<T> | undefined;
  const get = () => {
    if (!instance) {
      instance = load();
      // A failed load is not kept: the next call tries again.
      instance.catch(() => (instance = undefined));
    }
    return instance;
  };
  return new Proxy({} as T, {
    get(_target, prop) {
      // Not a thenable: `await deps.store` must not try to resolve the proxy itself.
      if (prop === 'then') return undefined;
      return async (...args: unknown[]) => {
        const provider = (await get()) as Record<PropertyKey, unknown>;
        const member = provider[prop];
        return typeof member === 'function' ? (member as (...a: unknown[]) => unknown).apply(provider, args) : member;
      };
    },
  });
}
