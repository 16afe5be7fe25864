import { Aws, Fn, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { StageConfig } from './config';
import { functionSpec } from './functions-contract';
import { CONTRACTS_DIR } from './paths';

/** The saga's one ASL file, shared with the local host's executor. */
export const ORDER_SAGA_DEFINITION_PATH = join(CONTRACTS_DIR, 'workflows', 'order-saga.asl.json');

function substitutionOf(name: string): string {
  const { substitution } = functionSpec(name).trigger;
  if (substitution === undefined) throw new Error(`contracts/functions.json: ${name} is no saga function`);
  return substitution;
}

/** The `${...}` names of the ASL file, each an alias ARN (contracts/functions.json names them). */
export const SAGA_SUBSTITUTIONS = {
  payments: substitutionOf('payments'),
  inventory: substitutionOf('inventory'),
  settleOrder: substitutionOf('settle-order'),
} as const;

/** The saga log group's name up to the stack's UUID: `/aws/vendedlogs/states/<stack name>-OrderSaga-`. */
export function sagaLogGroupPrefix(stackName: string): string {
  return `/aws/vendedlogs/states/${stackName}-OrderSaga-`;
}

/** The UUID at the end of `AWS::StackId` (`arn:…:stack/<name>/<uuid>`), new with every stack creation. */
function stackUuid(): string {
  return Fn.select(2, Fn.split('/', Aws.STACK_ID));
}

export interface OrderSagaProps {
  readonly config: StageConfig;
  /** The functions' `live` aliases: the state machine invokes these and nothing else. */
  readonly payments: IFunction;
  readonly inventory: IFunction;
  readonly settleOrder: IFunction;
}

/**
 * The order saga: a state machine whose definition is the ASL file as it is
 * (`DefinitionBody.fromFile`, the function ARNs through
 * `DefinitionSubstitutions`), Standard or Express per stage, X-Ray tracing,
 * its own log group (level and execution data per stage), a role that may
 * invoke exactly the three aliases. Its alarms (failed, timed-out and
 * throttled executions) are the stage's monitoring's (cdk/lib/orders-monitoring.ts).
 */
export class OrderSaga extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    const { config, payments, inventory, settleOrder } = props;
    const { workflow } = config;

    // `/aws/vendedlogs/` names keep Step Functions' log delivery out of the
    // account's size-limited CloudWatch Logs resource policy. The name ends
    // in the stack's id (a UUID per stack creation): a log group retained by
    // a deleted staging or prod stack must not block creating it again.
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `${sagaLogGroupPrefix(Stack.of(this).stackName)}${stackUuid()}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Execution role of the order saga (${config.stageName})`,
    });
    // Qualified ARNs only: the unqualified function (and $LATEST) stays out of reach.
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'InvokeSagaFunctionAliases',
        actions: ['lambda:InvokeFunction'],
        resources: [payments.functionArn, inventory.functionArn, settleOrder.functionArn],
      }),
    );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromFile(ORDER_SAGA_DEFINITION_PATH),
      definitionSubstitutions: {
        [SAGA_SUBSTITUTIONS.payments]: payments.functionArn,
        [SAGA_SUBSTITUTIONS.inventory]: inventory.functionArn,
        [SAGA_SUBSTITUTIONS.settleOrder]: settleOrder.functionArn,
      },
      stateMachineType: workflow.type === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: workflow.logLevel,
        includeExecutionData: workflow.includeExecutionData,
      },
    });
  }

  public get stateMachineArn(): string {
    return this.stateMachine.stateMachineArn;
  }
}
