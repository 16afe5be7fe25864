import { Duration } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  type IApiKey,
  ApiKeySourceType,
  Cors,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  Method,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  ResponseType,
  RestApi,
  UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { StageConfig } from './config';
import { errorTemplate, GATEWAY_CONTRACT, jsonTemplate, pathParameters } from './gateway-contract';
import { loadApiGatewaySchema } from './json-schema';
import { CONTRACTS_DIR } from './paths';

/** The schema of POST /orders' request model (contracts/gateway.json names it). */
export const CREATE_ORDER_SCHEMA_PATH = join(CONTRACTS_DIR, 'schemas', 'create-order.schema.json');

export interface OrdersApiProps {
  readonly config: StageConfig;
  /** The `live` aliases the methods invoke, by the function names of contracts/gateway.json. */
  readonly functions: ReadonlyMap<string, IFunction>;
}

/**
 * The public REST API (API Gateway v1): POST/GET /orders,
 * GET /orders/{orderId} and POST /orders/{orderId}/cancel, Lambda proxy integrations on the `live` aliases,
 * API key on every method, usage plan from the stage config, CORS, body
 * validation against the shared contract schema, access logs and tracing.
 */
export class OrdersApi extends Construct {
  public readonly restApi: RestApi;
  public readonly apiKey: IApiKey;
  public readonly usagePlan: UsagePlan;
  public readonly accessLogGroup: LogGroup;
  public readonly requestValidator: RequestValidator;
  public readonly createOrderModel: Model;
  /** The API-key protected methods (everything but CORS preflight). */
  public readonly methods: Method[] = [];

  constructor(scope: Construct, id: string, props: OrdersApiProps) {
    super(scope, id);
    const { config } = props;
    const { cors } = GATEWAY_CONTRACT;
    const origins = [...config.api.corsAllowOrigins];

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `orders-${config.stageName}`,
      description: `Orders API (${config.stageName})`,
      endpointTypes: [EndpointType.REGIONAL],
      apiKeySourceType: ApiKeySourceType.HEADER,
      // The account-wide API Gateway CloudWatch role, which creating a stage
      // with access logs needs, comes from the once-per-account stack
      // (Orders-account, docs/deploy.md), not from each stage.
      cloudWatchRole: false,
      deployOptions: {
        stageName: config.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(
          // messageString arrives quoted; the validator's detail
          // (validationErrorString) has no quoted form and stays out.
          jsonTemplate({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            apiKeyId: '$context.identity.apiKeyId',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            errorMessage: '$context.error.messageString',
            errorType: '$context.error.responseType',
            xrayTraceId: '$context.xrayTraceId',
          }),
        ),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: origins,
        allowMethods: [...cors.allowMethods],
        allowHeaders: [...cors.allowHeaders],
        exposeHeaders: [...cors.exposeHeaders],
        maxAge: Duration.seconds(cors.maxAgeSeconds),
      },
    });

    // The stack exports the URL itself (ApiUrl); drop RestApi's auto-named duplicate output.
    this.restApi.node.tryRemoveChild('Endpoint');

    // Gateway-generated errors in the functions' error model, with the
    // headers a function's answer would carry.
    const corsHeaders: Record<string, string> =
      origins.length === 1 && origins[0] !== Cors.ALL_ORIGINS[0]
        ? {
            'Access-Control-Allow-Origin': `'${origins[0]}'`,
            'Access-Control-Expose-Headers': `'${cors.exposeHeaders.join(',')}'`,
            Vary: "'Origin'",
          }
        : {};
    for (const r of GATEWAY_CONTRACT.gatewayResponses) {
      this.restApi.addGatewayResponse(r.type, {
        type: ResponseType.of(r.type),
        statusCode: r.status === null ? undefined : String(r.status),
        responseHeaders: { 'Content-Type': "'application/json'", ...corsHeaders },
        templates: { 'application/json': errorTemplate(r) },
      });
    }

    // One file, two readers: the Rust validator and this model read the same schema.
    this.createOrderModel = this.restApi.addModel('CreateOrderRequest', {
      modelName: 'CreateOrderRequest',
      contentType: 'application/json',
      description: 'Body of POST /orders (contracts/schemas/create-order.schema.json)',
      schema: loadApiGatewaySchema(CREATE_ORDER_SCHEMA_PATH),
    });

    this.requestValidator = this.restApi.addRequestValidator('BodyAndParameters', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const integration = (fn: IFunction) => new LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    const models: Record<string, Model> = { 'schemas/create-order.schema.json': this.createOrderModel };

    // Resources and methods as the contract lists them.
    for (const route of GATEWAY_CONTRACT.routes) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const pathParams = pathParameters(route.path);
      for (const [httpMethod, spec] of Object.entries(route.methods)) {
        const fn = props.functions.get(spec.function) ?? fail(`${httpMethod} ${route.path}: no function ${spec.function}`);
        const requestParameters: Record<string, boolean> = {
          ...Object.fromEntries((spec.optionalHeaders ?? []).map((h) => [`method.request.header.${h}`, false])),
          ...Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true])),
        };
        const model = spec.requestModel;
        const validated = model !== undefined || pathParams.length > 0;
        this.methods.push(
          resource.addMethod(httpMethod, integration(fn), {
            operationName: spec.operationId.charAt(0).toUpperCase() + spec.operationId.slice(1),
            apiKeyRequired: true,
            requestValidator: validated ? this.requestValidator : undefined,
            requestModels: model
              ? { [model.contentType]: models[model.schema] ?? fail(`no model for ${model.schema}`) }
              : undefined,
            requestParameters: Object.keys(requestParameters).length > 0 ? requestParameters : undefined,
          }),
        );
      }
    }

    this.usagePlan = this.restApi.addUsagePlan('UsagePlan', {
      name: `orders-${config.stageName}`,
      description: `Default usage plan of the Orders API (${config.stageName})`,
      throttle: { rateLimit: config.api.throttle.rateLimit, burstLimit: config.api.throttle.burstLimit },
      quota: { limit: config.api.quota.limit, period: config.api.quota.period },
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
    });
    this.apiKey = this.restApi.addApiKey('DefaultApiKey', {
      description: `Default client key of the Orders API (${config.stageName})`,
    });
    this.usagePlan.addApiKey(this.apiKey);
  }

  public get url(): string {
    return this.restApi.url;
  }
}

function fail(what: string): never {
  throw new Error(`contracts/gateway.json: ${what}`);
}
