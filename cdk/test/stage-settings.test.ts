import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { REQUIRE_PINNED_ACCOUNTS_ENV, settingVariable, stageConfig, unsetCorsOrigin } from '../lib/config';
import { buildTestApp, TEST_STAGE_SETTINGS } from './helpers';

const ctx = (m: Record<string, unknown>) => (k: string) => m[k];
const PROFILE = { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' };

describe('stage settings: sender, ops address and CORS origins come from context or the environment', () => {
  test('nothing of staging or prod is in the code: without settings an offline synth has no sender, no ops address, an .invalid origin', () => {
    for (const stage of ['staging', 'prod'] as const) {
      const c = stageConfig(stage, {});
      expect(c.notifications.emailSender).toBeUndefined();
      expect(c.monitoring.opsEmail).toBeUndefined();
      expect(c.api.corsAllowOrigins).toEqual([unsetCorsOrigin(stage)]);
      expect(c.unsetSettings).toEqual(['emailSender', 'opsEmail', 'corsOrigins']);
      expect(JSON.stringify(c)).not.toMatch(/example\.com/);
    }
    // dev needs none of them: the local front end, no e-mail.
    expect(stageConfig('dev', {}).unsetSettings).toEqual([]);
  });

  test('the offline stack says it is not deployable (a synth warning)', () => {
    const { stages } = buildTestApp({ stage: 'prod', 'prod:emailSender': '', 'prod:opsEmail': '', 'prod:corsOrigins': '' }, false);
    Annotations.fromStack(stages.get('prod')!.service).hasWarning('*', Match.stringLikeRegexp('Offline synth without emailSender, opsEmail, corsOrigins'));
  });

  test('a stage being deployed without them fails the synth, naming each variable', () => {
    const error = /Orders-prod cannot be deployed without emailSender, opsEmail, corsOrigins: set ORDERS_PROD_EMAIL_SENDER \(or -c prod:emailSender=\.\.\.\), ORDERS_PROD_OPS_EMAIL .*ORDERS_PROD_CORS_ORIGINS/;
    // `-c stage=prod` with the CLI's credentials (npm run deploy:prod), a pinned account, or the pipeline's synth.
    expect(() => stageConfig('prod', PROFILE, ctx({ stage: 'prod' }))).toThrow(error);
    expect(() => stageConfig('prod', PROFILE, ctx({ stage: 'dev,prod' }))).toThrow(error);
    expect(() => stageConfig('prod', { ORDERS_PROD_ACCOUNT: '999988887777', ORDERS_PROD_REGION: 'eu-west-1' })).toThrow(error);
    expect(() => stageConfig('prod', { [REQUIRE_PINNED_ACCOUNTS_ENV]: 'true', ORDERS_PROD_ACCOUNT: '999988887777', CDK_DEFAULT_REGION: 'eu-west-1' })).toThrow(error);
    expect(() => buildTestApp({ stage: 'staging', 'staging:opsEmail': '' }, false, PROFILE)).toThrow(
      /Orders-staging cannot be deployed without opsEmail: set ORDERS_STAGING_OPS_EMAIL/,
    );
    // dev deploys without any.
    expect(stageConfig('dev', PROFILE, ctx({ stage: 'dev' })).notifications.emailSender).toBeUndefined();
    // The whole app with credentials and no pins, as `cdk deploy Orders-account` synthesizes it: stages not being deployed go on.
    expect(stageConfig('prod', PROFILE).unsetSettings).toEqual(['emailSender', 'opsEmail', 'corsOrigins']);
    const noSettings = { 'staging:emailSender': '', 'staging:opsEmail': '', 'staging:corsOrigins': '', 'prod:emailSender': '', 'prod:opsEmail': '', 'prod:corsOrigins': '' };
    expect(() => buildTestApp(noSettings, false, PROFILE)).not.toThrow();
  });

  test('from the environment: ORDERS_<STAGE>_EMAIL_SENDER, _OPS_EMAIL, _CORS_ORIGINS (comma-separated)', () => {
    expect(settingVariable('staging', 'corsOrigins')).toBe('ORDERS_STAGING_CORS_ORIGINS');
    const c = stageConfig('prod', {
      ...PROFILE,
      ORDERS_PROD_ACCOUNT: '444455556666',
      ORDERS_PROD_EMAIL_SENDER: 'orders@shop.acme.io',
      ORDERS_PROD_OPS_EMAIL: 'oncall@acme.io',
      ORDERS_PROD_CORS_ORIGINS: 'https://shop.acme.io, https://www.acme.io:8443',
    });
    expect(c.notifications).toEqual({ emailSender: 'orders@shop.acme.io', smsEnabled: true });
    expect(c.monitoring.opsEmail).toBe('oncall@acme.io');
    expect(c.api.corsAllowOrigins).toEqual(['https://shop.acme.io', 'https://www.acme.io:8443']);
    expect(c.unsetSettings).toEqual([]);
  });

  test('from context, as the tests pass them; they reach the template', () => {
    const c = stageConfig('staging', PROFILE, ctx(TEST_STAGE_SETTINGS));
    expect(c.notifications.emailSender).toBe(TEST_STAGE_SETTINGS['staging:emailSender']);
    const t = buildTestApp({ stage: 'prod' }, false).template('prod').toJSON();
    const text = JSON.stringify(t);
    expect(text).toContain(`"EMAIL_SENDER":"${TEST_STAGE_SETTINGS['prod:emailSender']}"`);
    expect(text).toContain(`"Endpoint":"${TEST_STAGE_SETTINGS['prod:opsEmail']}"`);
    expect(text).toContain(`"ALLOWED_ORIGINS":"${TEST_STAGE_SETTINGS['prod:corsOrigins']}"`);
  });

  test('malformed or disagreeing values are refused', () => {
    expect(() => stageConfig('prod', { ORDERS_PROD_EMAIL_SENDER: 'orders' })).toThrow(/prod:emailSender \(ORDERS_PROD_EMAIL_SENDER\) = "orders" is not an e-mail address/);
    expect(() => stageConfig('prod', { ORDERS_PROD_CORS_ORIGINS: '*' })).toThrow(/"\*" is not an origin/);
    expect(() => stageConfig('prod', { ORDERS_PROD_CORS_ORIGINS: 'https://shop.acme.io/' })).toThrow(/is not an origin/);
    expect(() => stageConfig('prod', { ORDERS_PROD_CORS_ORIGINS: 'http://shop.acme.io' })).toThrow(/is not an origin/);
    expect(() => stageConfig('prod', { ORDERS_PROD_OPS_EMAIL: 'a@b.io' }, ctx({ 'prod:opsEmail': 'c@d.io' }))).toThrow(/disagree/);
  });
});
