import { Token } from 'aws-cdk-lib';
import { FALLBACK_REGION, REQUIRE_PINNED_ACCOUNTS_ENV, stageConfig, stageTarget } from '../lib/config';
import { buildTestApp, testStageConfig } from './helpers';

const ctx = (m: Record<string, unknown>) => (k: string) => m[k];

describe('stage pinned to its account and region', () => {
  test('unset: the stack stays environment-agnostic (offline synth), fallback region', () => {
    const { stages } = buildTestApp({ stage: 'prod' }, false);
    const prod = stages.get('prod')!.service;
    expect(Token.isUnresolved(prod.account)).toBe(true);
    expect(prod.region).toBe(FALLBACK_REGION);
  });

  test('-c prod:account / -c prod:region: the prod stack deploys there and nowhere else', () => {
    const { stages } = buildTestApp({ stage: 'dev,prod', 'prod:account': '999988887777', 'prod:region': 'eu-central-1' }, false);
    const prod = stages.get('prod')!.service;
    expect([prod.account, prod.region]).toEqual(['999988887777', 'eu-central-1']);
    // Only prod is pinned.
    expect(Token.isUnresolved(stages.get('dev')!.service.account)).toBe(true);
  });

  test('ORDERS_<STAGE>_ACCOUNT / _REGION environment variables pin it too', () => {
    const env = { ORDERS_STAGING_ACCOUNT: '222233334444', ORDERS_STAGING_REGION: 'us-west-2' };
    const staging = buildTestApp({ stage: 'staging' }, false, env).stages.get('staging')!.service;
    expect([staging.account, staging.region]).toEqual(['222233334444', 'us-west-2']);
  });

  test('a pin wins over the CLI profile (CDK_DEFAULT_ACCOUNT); the profile is the fallback as before', () => {
    const profile = { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' };
    expect(testStageConfig('prod', { ...profile, ORDERS_PROD_ACCOUNT: '999988887777' }).env).toEqual({ account: '999988887777', region: 'eu-west-1' });
    expect(stageConfig('dev', profile).env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  test('context and environment disagreeing, or a malformed value, is an error', () => {
    expect(() => stageTarget('prod', { ORDERS_PROD_ACCOUNT: '111111111111' }, ctx({ 'prod:account': '222222222222' }))).toThrow(/disagree/);
    expect(stageTarget('prod', { ORDERS_PROD_ACCOUNT: '111111111111' }, ctx({ 'prod:account': '111111111111', 'prod:region': 'eu-west-1' })).account).toBe('111111111111');
    expect(() => stageTarget('prod', { ORDERS_PROD_ACCOUNT: '1234' })).toThrow(/account id/);
    expect(() => stageTarget('prod', {}, ctx({ 'prod:region': 'Europe' }))).toThrow(/region/);
    // A number from cdk.json context is accepted as its digits.
    expect(stageTarget('dev', { CDK_DEFAULT_REGION: 'eu-west-1' }, ctx({ 'dev:account': 111122223333 })).account).toBe('111122223333');
  });

  test(`${REQUIRE_PINNED_ACCOUNTS_ENV} (the pipeline's synth) refuses an unpinned stage, even with a CLI profile`, () => {
    const required = { [REQUIRE_PINNED_ACCOUNTS_ENV]: 'true', CDK_DEFAULT_ACCOUNT: '123456789012' };
    expect(() => stageTarget('prod', required)).toThrow(/prod has no pinned account: set ORDERS_PROD_ACCOUNT/);
    expect(stageTarget('prod', { ...required, ORDERS_PROD_ACCOUNT: '999988887777', ORDERS_PROD_REGION: 'eu-west-1' }).account).toBe('999988887777');
  });

  test('a pinned account without any region is refused, not sent to the fallback region', () => {
    expect(() => stageTarget('prod', { ORDERS_PROD_ACCOUNT: '999988887777' })).toThrow(
      /prod is pinned to account 999988887777 but has no region: set ORDERS_PROD_REGION/,
    );
    expect(() => buildTestApp({ stage: 'prod', 'prod:account': '999988887777' }, false)).toThrow(/no region/);
    // Its own region pin, or the CLI's region, will do.
    expect(stageTarget('prod', { ORDERS_PROD_ACCOUNT: '999988887777', CDK_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(stageTarget('prod', { ORDERS_PROD_ACCOUNT: '999988887777', ORDERS_PROD_REGION: 'us-west-2' }).region).toBe('us-west-2');
    // The profile's account alone (no pin) is an ordinary CLI synth: still the fallback region.
    expect(stageTarget('prod', { CDK_DEFAULT_ACCOUNT: '123456789012' }).region).toBe(FALLBACK_REGION);
  });

  test('one account per stage: two stages pinned to the same account fail the synth, even when only one is selected', () => {
    const env = { ORDERS_DEV_ACCOUNT: '111111111111', ORDERS_PROD_ACCOUNT: '111111111111', CDK_DEFAULT_REGION: 'eu-west-1' };
    expect(() => buildTestApp({ stage: 'dev' }, false, env)).toThrow(
      /dev and prod would deploy to the same account 111111111111: every stage needs its own account/,
    );
    expect(() => buildTestApp({}, false, { ...env, ORDERS_PROD_ACCOUNT: '222222222222', ORDERS_STAGING_ACCOUNT: '333333333333' })).not.toThrow();
    // The CLI's account alone is no pin: a developer's `cdk synth -c stage=dev` with credentials still works.
    expect(() => buildTestApp({ stage: 'dev' }, false, { CDK_DEFAULT_ACCOUNT: '111111111111', CDK_DEFAULT_REGION: 'eu-west-1' })).not.toThrow();
  });
});
