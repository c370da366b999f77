/**
 * The pages of an AWS SDK v3 paginator (`paginateXxx`), each page's request run through `call`,
 * which classifies or explains its failure as it would a single call (awsCall in the providers,
 * Remote.call in the CLI). A `break` out of the loop stops the paging.
 */
export async function* eachPage<T>(
  pages: AsyncIterable<T>,
  call: <R>(request: () => Promise<R>) => Promise<R>,
): AsyncGenerator<T, void, undefined> {
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await call(() => iterator.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
