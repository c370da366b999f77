import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import { CATEGORIES, DEFAULT_POLICY, effectivePolicy } from '../../lambdas/core/readiness/policy';
import { REPO_ROOT } from '../support/harness';

const FILE = join(REPO_ROOT, 'golive.config.yaml');

describe('readiness policy', () => {
  it('covers every category of the checklist in the built-in default and in golive.config.yaml', () => {
    const shipped = loadConfig(FILE).readiness.items;

    expect(new Set(DEFAULT_POLICY.map((i) => i.category))).toEqual(new Set(CATEGORIES));
    expect(new Set(shipped.map((i) => i.category))).toEqual(new Set(CATEGORIES));
  });

  it('spells out, in golive.config.yaml, the same items as the built-in default', () => {
    const shipped = loadConfig(FILE).readiness.items.map((i) => i.id);

    expect(shipped).toEqual(DEFAULT_POLICY.map((i) => i.id));
  });

  it('gives every item a kind (check or attest), a level, and says who may waive', () => {
    for (const item of loadConfig(FILE).readiness.items) {
      expect([item.check, item.attest].filter(Boolean)).toHaveLength(1);
      expect(['required', 'advisory']).toContain(item.level);
      expect(Array.isArray(item.waivableBy)).toBe(true);
    }
  });

  it('applies per-service overrides: level, waivers, disabled items', () => {
    const raw = parseYaml(readFileSync(FILE, 'utf8')) as { services: { demo: { readiness: Record<string, unknown> } } };
    raw.services.demo.readiness.overrides = {
      'db-replication': { level: 'advisory' },
      'release-tagged': { disabled: true },
      'artifact-exists': { waivableBy: ['U_SOMEONE'] },
    };
    const config = parseConfig(raw);

    const items = effectivePolicy(config, 'demo');

    expect(items.find((i) => i.id === 'db-replication')!.level).toBe('advisory');
    expect(items.find((i) => i.id === 'release-tagged')).toBeUndefined();
    expect(items.find((i) => i.id === 'artifact-exists')!.waivers).toEqual(['U_SOMEONE']);
    // Roles resolve to their members.
    expect(items.find((i) => i.id === 'production-access')!.attesters).toEqual(['U_APPROVER_ANA', 'U_APPROVER_BEN']);
  });

  it('refuses a config whose policy names an unknown role, overrides an unknown item, or mixes check and attest', () => {
    const raw = parseYaml(readFileSync(FILE, 'utf8')) as {
      readiness: { items: Record<string, unknown>[] };
      services: { demo: { readiness: Record<string, unknown> } };
    };
    raw.readiness.items[0].attest = 'ghosts';
    raw.readiness.items[1].attest = 'security';
    raw.services.demo.readiness.overrides = { 'no-such-item': { level: 'advisory' } };

    let error: ConfigError | undefined;
    try {
      parseConfig(raw);
    } catch (err) {
      error = err as ConfigError;
    }

    expect(error?.issues).toEqual(
      expect.arrayContaining([
        'readiness.items.1: set exactly one of `check` (automated) and `attest` (a role confirms it)',
      ]),
    );
    raw.readiness.items[1].attest = undefined;
    expect(() => parseConfig(raw)).toThrow(
      /readiness.items.0.attest: unknown role "ghosts"[\s\S]*no readiness item "no-such-item"/,
    );
  });

  it('gives a config without a readiness section the built-in default policy', () => {
    const config = loadConfig(join(REPO_ROOT, 'test', 'cdk', 'fixtures', 'golive.config.yaml'));

    expect(config.readiness.items.map((i) => i.id)).toEqual(DEFAULT_POLICY.map((i) => i.id));
  });
});
