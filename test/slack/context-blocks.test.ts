import { contextBlocks, isSignOffContext } from '../../lambdas/providers/slack/messages';

describe('contextBlocks (the sign-off context in the approval message)', () => {
  const context = {
    live: '1.4.2',
    candidate: '2.0.0',
    strategy: 'canary',
    weights: { stable: 90, candidate: 10 },
    canary: [
      {
        phase: 'bake' as const,
        weight: 10,
        verdict: 'marginal',
        score: 88,
        requests: { candidate: 61, baseline: 540 },
        errorRate: { candidate: 0.0164, baseline: 0 },
        p99Ms: { candidate: 210.5, baseline: 180 },
        flagged: false,
      },
    ],
    notes: 'hotfix <!channel> & friends',
    links: { changelog: 'https://git.example/demo/compare/v1.4.2...v2.0.0' },
    expiresAt: '2026-11-30T10:00:00.000Z',
  };

  it('shows the change, the split, each step with both slots’ figures, escaped notes and the links', () => {
    const text = JSON.stringify(contextBlocks(context));

    expect(text).toContain('*Change*\\n`1.4.2` → `2.0.0`');
    expect(text).toContain('*Traffic now*\\n10% candidate · 90% stable');
    expect(text).toContain('⚠️ *10%* marginal (88) — requests 61 vs 540, 5xx 1.64% vs 0%, p99 210.5 ms vs 180 ms');
    expect(text).toContain('*Notes* hotfix &lt;!channel&gt; &amp; friends');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('<https://git.example/demo/compare/v1.4.2...v2.0.0|changelog>');
  });

  it('renders only what a notification carries in the right shape', () => {
    expect(isSignOffContext(context)).toBe(true);
    expect(isSignOffContext({ candidate: '2.0.0' })).toBe(false);
    expect(isSignOffContext(null)).toBe(false);
  });
});
