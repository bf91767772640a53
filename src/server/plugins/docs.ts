import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorResponses, extraSuccessResponses, parameterExample, REQUEST_EXAMPLES } from './openapi-operations.js';

type Transform = typeof jsonSchemaTransform;
type JsonSchema = Record<string, unknown>;

/**
 * The zod schemas of a route turned into JSON Schema (fastify-type-provider-zod), then the error
 * responses and the request example every operation documents (openapi-operations.ts).
 */
const documentOperation: Transform = (input) => {
  const out = jsonSchemaTransform(input);
  const schema = (out.schema ?? {}) as JsonSchema & { body?: JsonSchema; params?: unknown; querystring?: unknown; response?: JsonSchema; hide?: boolean };
  if (schema.hide) return out;
  const methods = ([] as string[]).concat(input.route.method);
  const method = methods.includes('POST') ? 'POST' : methods[0]!;
  const shape = { method, url: input.url, hasBody: Boolean(schema.body), hasParams: Boolean(schema.params), hasQuery: Boolean(schema.querystring) };
  const own = schema.response ?? {};
  // A route without a declared success response still has one; Swagger would otherwise show only errors.
  const success = Object.keys(own).some((status) => /^2/.test(status)) ? {} : { 200: { description: 'Success (body described in API.md)', type: 'object' } };
  const response = { ...success, ...extraSuccessResponses(method, input.route.url), ...errorResponses(shape), ...own };
  const example = REQUEST_EXAMPLES.get(`${method} ${input.route.url}`);
  const body = schema.body && example !== undefined ? { ...schema.body, examples: [example] } : schema.body;
  const params = withParameterExamples(schema.params, input.route.url);
  const querystring = withParameterExamples(schema.querystring, input.route.url);
  return { ...out, schema: { ...schema, ...(body ? { body } : {}), ...(params ? { params } : {}), ...(querystring ? { querystring } : {}), response } };
};

/** A params or querystring JSON schema with each property's example (Swagger UI shows it as the parameter's example). */
function withParameterExamples(part: unknown, url: string): unknown {
  const properties = (part as { properties?: Record<string, JsonSchema> } | undefined)?.properties;
  if (!properties) return part;
  const withExamples = Object.entries(properties).map(([name, property]) => {
    const example = parameterExample(url, name);
    return [name, example === undefined || property.examples ? property : { ...property, examples: [example] }];
  });
  return { ...(part as JsonSchema), properties: Object.fromEntries(withExamples) };
}

/** OpenAPI at /openapi.json and Swagger UI at /docs, generated from the routes' zod schemas. */
export async function registerDocs(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Master Orchestrator',
        description: 'Many AI models behind one JSON config and one HTTP API: tiered routing, generated workflows, a resilient gateway.',
        version,
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
    },
    transform: documentOperation,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
