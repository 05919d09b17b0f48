import { type complianceV1 } from '@aperture/contracts';
import { type StageContext, tenantOfApiKey } from '@aperture/stage-runtime';
import {
  Body,
  Controller,
  type DynamicModule,
  Get,
  Headers,
  HttpCode,
  Inject,
  Module,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { InvalidPageToken } from './audit/audit-log';
import { ConsentsService } from './consents/consents.service';
import { complianceDeps } from './deps';
import { toErasure } from './erasure/erasure';
import { ComplianceError } from './errors';
import { toAuditEntry } from './views';

const CONTEXT = Symbol('StageContext');
const ACTOR = 'api-key';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function strings(body: Record<string, unknown>, field: string): string[] {
  const value = body[field] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new ComplianceError('invalid_request', `${field} must be a list of strings`);
  return value as string[];
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field] ?? '';
  if (typeof value !== 'string') throw new ComplianceError('invalid_request', `${field} must be a string`);
  return value;
}

/**
 * The compliance REST API for clients (x-api-key, scoped to the key's tenant): consents, erasure
 * requests, the audit trail. Everything another tenant owns answers 404.
 */
@Controller('v1')
class ComplianceController {
  private readonly consents: ConsentsService;

  constructor(@Inject(CONTEXT) private readonly ctx: StageContext) {
    this.consents = new ConsentsService(ctx);
  }

  @Post('consents')
  @HttpCode(201)
  async register(@Headers('x-api-key') apiKey: unknown, @Body() body: unknown) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    if (!isObject(body)) throw new ComplianceError('invalid_request', 'the body must be a JSON object');
    const consent: complianceV1.Consent = {
      consentId: text(body, 'consentId'),
      tenantId,
      subjectRef: text(body, 'subjectRef'),
      scopes: strings(body, 'scopes'),
      purpose: text(body, 'purpose'),
      regions: strings(body, 'regions'),
      grantedAt: text(body, 'grantedAt'),
      expiresAt: text(body, 'expiresAt'),
      revoked: false,
      evidenceRef: text(body, 'evidenceRef'),
      revokedAt: '',
    };
    return { consent: await this.consents.register(consent, ACTOR) };
  }

  @Get('consents/:consentId')
  async get(@Headers('x-api-key') apiKey: unknown, @Param('consentId') consentId: string) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    return { consent: await this.consents.get(tenantId, consentId) };
  }

  @Post('consents/:consentId/revoke')
  @HttpCode(200)
  async revoke(@Headers('x-api-key') apiKey: unknown, @Param('consentId') consentId: string) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    return this.consents.revoke(tenantId, consentId, ACTOR);
  }

  @Post('erasures')
  @HttpCode(202)
  async requestErasure(@Headers('x-api-key') apiKey: unknown, @Body() body: unknown) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    if (!isObject(body)) throw new ComplianceError('invalid_request', 'the body must be a JSON object');
    const erasure = await complianceDeps(this.ctx).erasures.request({
      tenantId,
      ...(text(body, 'imageId') && { imageId: text(body, 'imageId') }),
      ...(text(body, 'batchId') && { batchId: text(body, 'batchId') }),
      ...(text(body, 'consentId') && { consentId: text(body, 'consentId') }),
      actor: ACTOR,
    });
    return { erasure: toErasure(erasure) };
  }

  @Get('erasures/:erasureId')
  async getErasure(@Headers('x-api-key') apiKey: unknown, @Param('erasureId') erasureId: string) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    const erasure = await complianceDeps(this.ctx).erasures.get(tenantId, erasureId);
    if (!erasure) throw new ComplianceError('not_found', `erasure ${erasureId} does not exist`);
    return { erasure: toErasure(erasure) };
  }

  /** The tenant's audit chain in order, paginated; `imageId` narrows it to one image's entries. */
  @Get('audit')
  async audit(
    @Headers('x-api-key') apiKey: unknown,
    @Query('imageId') imageId: unknown,
    @Query('pageSize') pageSize: unknown,
    @Query('pageToken') pageToken: unknown,
  ) {
    const tenantId = await tenantOfApiKey(this.ctx, apiKey);
    const size = pageSize === undefined ? 100 : Number(pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000)
      throw new ComplianceError('invalid_request', 'pageSize must be a whole number from 1 to 1000');
    if (
      (imageId !== undefined && typeof imageId !== 'string') ||
      (pageToken !== undefined && typeof pageToken !== 'string')
    )
      throw new ComplianceError('invalid_request', 'imageId and pageToken must be single values');
    try {
      const page = await complianceDeps(this.ctx).audit.page(tenantId, {
        ...(imageId && { imageId }),
        pageSize: size,
        ...(pageToken && { pageToken }),
      });
      return {
        entries: page.entries.map(toAuditEntry).map((entry) => ({ ...entry, seq: Number(entry.seq) })),
        nextPageToken: page.nextPageToken,
        head: page.head,
      };
    } catch (error) {
      if (error instanceof InvalidPageToken) throw new ComplianceError('invalid_request', error.message);
      throw error;
    }
  }
}

@Module({})
export class ComplianceHttpModule {
  static register(ctx: StageContext): DynamicModule {
    return {
      module: ComplianceHttpModule,
      controllers: [ComplianceController],
      providers: [{ provide: CONTEXT, useValue: ctx }],
    };
  }
}
