import { App } from 'aws-cdk-lib';
import { FALLBACK_REGION, stageConfig } from '../lib/config';
import { buildOrdersApp, selectedStages } from '../lib/orders-app';
import { buildTestApp, testStageConfig } from './helpers';

describe('stage selection (-c stage=...)', () => {
  test('all three stages by default', () => {
    expect([...buildTestApp({}, false).stages.keys()]).toEqual(['dev', 'staging', 'prod']);
  });

  test('-c stage=dev builds only Orders-dev', () => {
    const { app, stages } = buildTestApp({ stage: 'dev' }, false);
    expect([...stages.keys()]).toEqual(['dev']);
    expect(app.node.children.map((c) => c.node.id).filter((id) => id.startsWith('Orders-'))).toEqual(['Orders-dev']);
  });

  test('a comma-separated list keeps promotion order', () => {
    expect(selectedStages(new App({ context: { stage: 'prod,dev' } }))).toEqual(['dev', 'prod']);
  });

  test('an unknown stage is an error', () => {
    expect(() => buildOrdersApp(new App({ context: { stage: 'qa', 'aws:cdk:bundling-stacks': [] } }), { nag: false })).toThrow(/Unknown stage "qa"/);
  });
});

describe('stage config', () => {
  test('offline: no account, fallback region', () => {
    expect(stageConfig('dev', {}).env).toEqual({ region: FALLBACK_REGION });
  });

  test('CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION are used when set', () => {
    expect(testStageConfig('prod', { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' }).env).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
    });
  });

  test('deployment style: all at once in dev, linear in staging, canary only in prod', () => {
    expect(['dev', 'staging', 'prod'].map((s) => stageConfig(s as 'dev', {}).deploymentStyle)).toEqual(['all-at-once', 'linear', 'canary']);
  });

  test('CORS origins: the local front end in dev; staging and prod from their settings', () => {
    expect(stageConfig('dev', {}).api.corsAllowOrigins).toEqual(['http://localhost:3000']);
    expect(testStageConfig('prod').api.corsAllowOrigins).toEqual(['https://orders.example.com']);
  });
});
