import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestApp } from './helpers';

describe('cdk-nag AwsSolutions', () => {
  const { app } = buildTestApp();

  test('no unacknowledged errors or warnings in any stage', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('synth with the registered plugin passes (validation failures would throw)', () => {
    expect(() => app.synth()).not.toThrow();
  });

  test('every acknowledgement names a rule and gives a real reason', () => {
    const acks: Array<{ path: string; id: string; reason: string }> = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push({ path: c.node.path, id, reason });
      }
    }
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id).toMatch(/(AwsSolutions-[A-Z]+\d+|CloudFormation-Validate::W\d+)/);
      expect(a.reason.length).toBeGreaterThan(40);
    }
    // Only the accepted rules (docs/cdk.md) are acknowledged.
    const ids = new Set(acks.map((a) => a.id.replace(/^annotation::/i, '')));
    expect([...ids].sort()).toEqual(
      [
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-APIG6',
        'AwsSolutions-COG4',
        'AwsSolutions-DDB3',
        // Orders-account: the API Gateway CloudWatch role's AWS managed policy; the diff role's stage stack ids;
        // the dev deploy role's reads for the smoke test (its stack id, the API key ids).
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]',
        ...['dev', 'staging', 'prod'].map(
          (s) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/Orders-${s}-Service/*]`,
        ),
        'AwsSolutions-SF1',
        'AwsSolutions-SQS3',
        'CloudFormation-Validate::W3694',
      ].sort(),
    );
    // PITR is only acknowledged where it is off.
    expect(acks.filter((a) => a.id.endsWith('DDB3')).map((a) => a.path.split('/')[0]).sort()).toEqual(['Orders-dev', 'Orders-staging']);
    // Saga logging below ALL is only acknowledged where the stage logs ERROR (not dev).
    expect(acks.filter((a) => a.id.endsWith('SF1')).map((a) => a.path)).toEqual([
      'Orders-staging/Service/Saga/StateMachine',
      'Orders-prod/Service/Saga/StateMachine',
    ]);
    // "No DLQ" is only acknowledged on the three dead-letter queues nag cannot recognise as such.
    expect(acks.filter((a) => a.id.endsWith('AwsSolutions-SQS3')).map((a) => a.path.split('/').slice(2).join('/')).sort()).toEqual(
      ['Notifications/NotifierDeadLetter', 'Notifications/NotifierDeadLetter', 'Notifications/NotifierDeadLetter',
        'OrderCreatedPipe/DeadLetter', 'OrderCreatedPipe/DeadLetter', 'OrderCreatedPipe/DeadLetter',
        'OrderStatusChangedPipe/DeadLetter', 'OrderStatusChangedPipe/DeadLetter', 'OrderStatusChangedPipe/DeadLetter'],
    );
    // Resource "*" beyond X-Ray (SNS Publish for SMS) only where SMS is enabled (prod).
    const smsReasons = acks.filter((a) => a.id.includes('AwsSolutions-IAM5') && a.reason.includes('sns:Publish'));
    expect(smsReasons.map((a) => a.path)).toEqual(['Orders-prod/Service/NotifyCustomer/Role']);
  });
});
