import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document of the REST API, with the answers every route shares (`withCommonAnswers`). */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Aperture ingest API')
    .setDescription(
      'Tenants, API keys, projects and their policies, batches and streaming image uploads. ' +
        "Every route but tenant creation needs the header x-api-key and sees only its tenant's data. " +
        'Errors are {"error": {"code", "message"}} with a 4xx/5xx status.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-admin-token' }, 'adminToken')
    .build();
  return withCommonAnswers(SwaggerModule.createDocument(app, config));
}

const errorBody = { $ref: '#/components/schemas/ErrorBodyDoc' };
const errorAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBody } },
});

/**
 * The statuses every route of a kind can answer, added where a route's own decorators do not
 * already describe them, so the document lists every status each route returns:
 * - a route with the header x-api-key: 401 (missing, wrong or revoked key) and 429 (the
 *   tenant's rate limit, with Retry-After); with x-admin-token: 401;
 * - a route with a body: 400 (malformed or too deeply nested JSON, or a refused value), 413 (over
 *   the size limit, refused by Content-Length before the body is read) and 408 (the client
 *   stopped sending it);
 * - a route with query parameters: 400 (a refused value or an unknown parameter);
 * - a route with an id in its path: 404.
 * And every JSON request body refuses properties it does not name (additionalProperties: false),
 * as the validation does. Unsupported methods are 405 on every path (not per operation).
 */
export function withCommonAnswers(document: OpenAPIObject): OpenAPIObject {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = pathItem[method];
      if (!operation) continue;
      const answers = operation.responses;
      const add = (status: number, description: string) => {
        answers[String(status)] ??= errorAnswer(description);
      };
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      if (schemes.includes('apiKey')) {
        add(401, 'unauthenticated: missing, invalid or revoked API key');
        answers['429'] ??= {
          ...errorAnswer("rate_limited: the tenant's request budget is spent"),
          headers: {
            'Retry-After': { description: 'seconds until a retry can succeed', schema: { type: 'integer' } },
          },
        };
      }
      if (schemes.includes('adminToken')) add(401, 'unauthenticated: missing or wrong admin token');
      if (operation.requestBody) {
        add(400, 'invalid_request: a malformed or too deeply nested body, or a refused value');
        add(408, 'request_timeout: the client stopped sending the body');
        add(413, 'too_large: the body is over the size limit');
      }
      const parameters = (operation.parameters ?? []) as Array<{ in?: string }>;
      if (parameters.some((parameter) => parameter.in === 'query'))
        add(400, 'invalid_request: a refused query parameter');
      if (parameters.some((parameter) => parameter.in === 'path')) add(404, 'not_found');
    }
  }
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    if (name.endsWith('Dto') && 'properties' in schema) schema.additionalProperties ??= false;
  }
  return document;
}

/** GET /openapi.json and the Swagger UI at /docs. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
}
