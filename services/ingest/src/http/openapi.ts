import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document of the REST API. */
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
  return SwaggerModule.createDocument(app, config);
}

/** GET /openapi.json and the Swagger UI at /docs. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
}
