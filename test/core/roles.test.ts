import { parseConfig } from '../../lambdas/core/config';
import { hasRole, rolesFor, serviceConfig, userForPrincipal } from '../../lambdas/core/roles';
import { demoConfigFile } from '../support/fake-deps';

const base = demoConfigFile();
const config = parseConfig({
  ...base,
  slack: { ...base.slack, auditors: ['U_AUDITOR'] },
  identities: [
    { principal: 'arn:aws:iam::123456789012:user/ana', user: 'U_APPROVER_ANA' },
    { principal: 'arn:aws:iam::123456789012:role/ReleaseManagers', user: 'U_RELEASE_MANAGER' },
    { principal: 'arn:aws:iam::123456789012:role/teams/payments/Approvers', user: 'U_APPROVER_BEN' },
  ],
  services: {
    ...base.services,
    payments: { ...base.services.demo, roles: { releaseManagers: ['U_PAYMENTS_OWNER'], auditors: [] } },
  },
});

describe('userForPrincipal (the control API caller → golive user)', () => {
  it.each([
    ['an IAM user, by its exact ARN', 'arn:aws:iam::123456789012:user/ana', 'U_APPROVER_ANA'],
    [
      'a session of a configured role',
      'arn:aws:sts::123456789012:assumed-role/ReleaseManagers/bob',
      'U_RELEASE_MANAGER',
    ],
    [
      'a session of a role with a path (the session ARN drops it)',
      'arn:aws:sts::123456789012:assumed-role/Approvers/ben',
      'U_APPROVER_BEN',
    ],
    ['the same role name in another account', 'arn:aws:sts::999999999999:assumed-role/ReleaseManagers/x', undefined],
    ['another partition', 'arn:aws-cn:sts::123456789012:assumed-role/ReleaseManagers/x', undefined],
    ['an unknown user', 'arn:aws:iam::123456789012:user/mallory', undefined],
    ['not an ARN at all', 'ReleaseManagers', undefined],
  ])('%s', (_, arn, user) => {
    expect(userForPrincipal(config, arn)).toBe(user);
  });
});

describe('roles per service', () => {
  it("replaces a global list with the service's own, and keeps the others global", () => {
    expect(rolesFor(config, 'payments')).toEqual({
      releaseManagers: ['U_PAYMENTS_OWNER'],
      approvers: base.slack.approvers,
      auditors: [],
      emergency: [],
    });
    expect(rolesFor(config, 'demo').auditors).toEqual(['U_AUDITOR']);
    expect(hasRole(config, 'payments', 'releaseManagers', 'U_RELEASE_MANAGER')).toBe(false);
    expect(hasRole(config, 'demo', 'releaseManagers', 'U_RELEASE_MANAGER')).toBe(true);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'knows no service named %s, and no role in it',
    (name) => {
      expect(serviceConfig(config, name)).toBeUndefined();
      expect(hasRole(config, name, 'releaseManagers', 'U_RELEASE_MANAGER')).toBe(false);
    },
  );

  it('refuses a service approver list shorter than approval.minApprovals, naming the field', () => {
    expect(() =>
      parseConfig({
        ...base,
        approval: { ...base.approval, minApprovals: 2 },
        services: { demo: { ...base.services.demo, roles: { approvers: ['U_ONLY'] } } },
      }),
    ).toThrow('services.demo.roles.approvers: lists 1 approver(s) but approval.minApprovals is 2');
  });

  it('refuses an assumed-role session ARN: the caller chooses the session name', () => {
    expect(() =>
      parseConfig({
        ...base,
        identities: [{ principal: 'arn:aws:sts::123456789012:assumed-role/ReleaseManagers/alice', user: 'U_X' }],
      }),
    ).toThrow(/identities\.0\.principal: must be an IAM user or role ARN .*not an assumed-role session ARN/);
  });

  it('refuses an identity that is not an IAM user or role ARN, and one listed twice', () => {
    expect(() =>
      parseConfig({ ...base, identities: [{ principal: 'arn:aws:iam::123456789012:group/admins', user: 'U_X' }] }),
    ).toThrow(/identities\.0\.principal: must be an IAM user or role ARN/);
    const twice = { principal: 'arn:aws:iam::123456789012:user/ana', user: 'U_X' };
    expect(() => parseConfig({ ...base, identities: [twice, twice] })).toThrow(
      'identities.1.principal: arn:aws:iam::123456789012:user/ana is listed twice',
    );
  });
});
