/**
 * A mocked command's answers, one page a request (the last one repeats), and each request's
 * input as it was sent. For `mock.on(Command).callsFake(pages.answer)`: an SDK paginator sends
 * every page with one input object and updates its token in place, so `commandCalls()` read
 * afterwards shows every request with the last page's token.
 */
export function answerPages<I extends object, O>(pages: O[]): { answer: (input: I) => O; sent: I[] } {
  const sent: I[] = [];
  return {
    sent,
    answer: (input) => {
      sent.push(structuredClone(input));
      return pages[Math.min(sent.length, pages.length) - 1]!;
    },
  };
}
