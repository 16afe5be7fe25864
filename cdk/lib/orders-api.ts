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
import { loadApiGatewaySchema } from './json-schema';
import { CONTRACTS_DIR } from './paths';

export const CREATE_ORDER_SCHEMA_PATH = join(CONTRACTS_DIR, 'schemas', 'create-order.schema.json');

/** Request headers a browser client may send (CORS preflight). */
export const CORS_ALLOW_HEADERS = ['Content-Type', 'x-api-key', 'Idempotency-Key', 'X-Amz-Date', 'X-Amz-Security-Token'];
/** Response headers a browser client may read. */
export const CORS_EXPOSE_HEADERS = ['Idempotent-Replayed', 'x-amzn-RequestId'];

export interface OrdersApiProps {
  readonly config: StageConfig;
  /** The `live` aliases the methods invoke. */
  readonly createOrder: IFunction;
  readonly getOrder: IFunction;
  readonly listOrders: IFunction;
  readonly cancelOrder: IFunction;
}

/** One error-model body (contracts/schemas/error.schema.json) as a gateway response template. */
function errorTemplate(code: string, message: string, details = '[]'): string {
  // Not VTL: API Gateway does plain $context substitution in gateway responses.
  return `{"error":{"code":"${code}","message":"${message}","requestId":"$context.requestId","details":${details}}}`;
}

interface GatewayError {
  readonly type: ResponseType;
  /** Undefined keeps API Gateway's own status (the DEFAULT_* families). */
  readonly statusCode?: string;
  readonly code: string;
  readonly message: string;
  readonly details?: string;
}

const VALIDATION_MESSAGE = '$context.error.validationErrorString';

/**
 * API Gateway's own error responses, mapped onto the functions' error model so
 * a client sees one shape whether the gateway or a function said no.
 */
export const GATEWAY_ERRORS: readonly GatewayError[] = [
  { type: ResponseType.ACCESS_DENIED, statusCode: '403', code: 'FORBIDDEN', message: 'Access denied' },
  { type: ResponseType.INVALID_API_KEY, statusCode: '403', code: 'FORBIDDEN', message: 'Missing or invalid API key' },
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '403',
    code: 'FORBIDDEN',
    message: 'Missing API key, or no such resource or method',
  },
  {
    type: ResponseType.BAD_REQUEST_BODY,
    statusCode: '400',
    code: 'VALIDATION_FAILED',
    message: VALIDATION_MESSAGE,
    details: `[{"field":"body","problem":"${VALIDATION_MESSAGE}"}]`,
  },
  {
    type: ResponseType.BAD_REQUEST_PARAMETERS,
    statusCode: '400',
    code: 'VALIDATION_FAILED',
    message: VALIDATION_MESSAGE,
  },
  { type: ResponseType.THROTTLED, statusCode: '429', code: 'THROTTLED', message: 'Too many requests' },
  { type: ResponseType.QUOTA_EXCEEDED, statusCode: '429', code: 'THROTTLED', message: 'API key quota exceeded' },
  { type: ResponseType.REQUEST_TOO_LARGE, statusCode: '413', code: 'PAYLOAD_TOO_LARGE', message: 'Request too large' },
  { type: ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST', message: 'Bad request' },
  { type: ResponseType.DEFAULT_5XX, code: 'INTERNAL', message: 'Internal error' },
];

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
      // Execution logging needs the account-wide API Gateway CloudWatch role,
      // which is account setup, not this stack's (see docs/cdk.md, APIG6).
      cloudWatchRole: false,
      deployOptions: {
        stageName: config.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
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
            errorMessage: '$context.error.message',
            errorType: '$context.error.responseType',
            validationError: '$context.error.validationErrorString',
            xrayTraceId: '$context.xrayTraceId',
          }),
        ),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: origins,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: CORS_ALLOW_HEADERS,
        exposeHeaders: CORS_EXPOSE_HEADERS,
        maxAge: Duration.hours(1),
      },
    });

    // The stack exports the URL itself (ApiUrl); drop RestApi's auto-named duplicate output.
    this.restApi.node.tryRemoveChild('Endpoint');

    // Gateway-generated errors in the functions' error model.
    const corsHeaders: Record<string, string> =
      origins.length === 1 && origins[0] !== Cors.ALL_ORIGINS[0]
        ? { 'Access-Control-Allow-Origin': `'${origins[0]}'`, Vary: "'Origin'" }
        : {};
    for (const e of GATEWAY_ERRORS) {
      this.restApi.addGatewayResponse(e.type.responseType, {
        type: e.type,
        statusCode: e.statusCode,
        responseHeaders: { 'Content-Type': "'application/json'", ...corsHeaders },
        templates: { 'application/json': errorTemplate(e.code, e.message, e.details) },
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

    const orders = this.restApi.root.addResource('orders');
    this.methods.push(orders.addMethod('POST', integration(props.createOrder), {
      operationName: 'CreateOrder',
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestModels: { 'application/json': this.createOrderModel },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    }));
    this.methods.push(orders.addMethod('GET', integration(props.listOrders), {
      operationName: 'ListOrders',
      apiKeyRequired: true,
      // Query parameters (status, limit, nextToken, ...) are validated by the function.
    }));
    const order = orders.addResource('{orderId}');
    this.methods.push(order.addMethod('GET', integration(props.getOrder), {
      operationName: 'GetOrder',
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestParameters: { 'method.request.path.orderId': true },
    }));
    // No body expected (no model): the path names the order.
    const cancel = order.addResource('cancel');
    this.methods.push(cancel.addMethod('POST', integration(props.cancelOrder), {
      operationName: 'CancelOrder',
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestParameters: { 'method.request.path.orderId': true },
    }));

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
