import { type complianceV1, isObject } from '@aperture/contracts';
import { ApiError, Tenant } from '@aperture/runtime';
import { Callers } from '@aperture/stage-runtime';
import {
  Body,
  Controller,
  type DynamicModule,
  Get,
  HttpCode,
  Inject,
  Module,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import type { ConsentsService } from './consents/consents.service';
import type { ComplianceContext } from './context';
import { toErasure } from './erasure/erasure';
import { toAuditEntry } from './views';

const CONTEXT = Symbol('StageContext');
const ACTOR = 'api-key';

function strings(body: Record<string, unknown>, field: string): string[] {
  const value = body[field] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new ApiError('invalid_request', `${field} must be a list of strings`);
  return value as string[];
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field] ?? '';
  if (typeof value !== 'string') throw new ApiError('invalid_request', `${field} must be a string`);
  return value;
}

/**
 * The compliance REST API for clients (x-api-key, scoped to the key's tenant): consents, erasure
 * requests, the audit trail. Everything another tenant owns answers 404.
 */
@Controller('v1')
@Callers('tenant')
class ComplianceController {
  private readonly consents: ConsentsService;

  constructor(@Inject(CONTEXT) private readonly ctx: ComplianceContext) {
    this.consents = ctx.consents;
  }

  @Post('consents')
  @HttpCode(201)
  async register(@Tenant() tenantId: string, @Body() body: unknown) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
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
  async get(@Tenant() tenantId: string, @Param('consentId') consentId: string) {
    return { consent: await this.consents.get(tenantId, consentId) };
  }

  @Post('consents/:consentId/revoke')
  @HttpCode(200)
  async revoke(@Tenant() tenantId: string, @Param('consentId') consentId: string) {
    return this.consents.revoke(tenantId, consentId, ACTOR);
  }

  @Post('erasures')
  @HttpCode(202)
  async requestErasure(@Tenant() tenantId: string, @Body() body: unknown) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
    const erasure = await this.ctx.erasures.request({
      tenantId,
      ...(text(body, 'imageId') && { imageId: text(body, 'imageId') }),
      ...(text(body, 'batchId') && { batchId: text(body, 'batchId') }),
      ...(text(body, 'consentId') && { consentId: text(body, 'consentId') }),
      actor: ACTOR,
    });
    return { erasure: toErasure(erasure) };
  }

  @Get('erasures/:erasureId')
  async getErasure(@Tenant() tenantId: string, @Param('erasureId') erasureId: string) {
    const erasure = await this.ctx.erasures.get(tenantId, erasureId);
    if (!erasure) throw new ApiError('not_found', `erasure ${erasureId} does not exist`);
    return { erasure: toErasure(erasure) };
  }

  /** The tenant's audit chain in order, paginated; `imageId` narrows it to one image's entries. */
  @Get('audit')
  async audit(
    @Tenant() tenantId: string,
    @Query('imageId') imageId: unknown,
    @Query('pageSize') pageSize: unknown,
    @Query('pageToken') pageToken: unknown,
  ) {
    const size = pageSize === undefined ? 100 : Number(pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000)
      throw new ApiError('invalid_request', 'pageSize must be a whole number from 1 to 1000');
    if (
      (imageId !== undefined && typeof imageId !== 'string') ||
      (pageToken !== undefined && typeof pageToken !== 'string')
    )
      throw new ApiError('invalid_request', 'imageId and pageToken must be single values');
    const page = await this.ctx.audit.page(tenantId, {
      ...(imageId && { imageId }),
      pageSize: size,
      ...(pageToken && { pageToken }),
    });
    return {
      entries: page.entries.map(toAuditEntry).map((entry) => ({ ...entry, seq: Number(entry.seq) })),
      nextPageToken: page.nextPageToken,
      head: page.head,
    };
  }
}

@Module({})
export class ComplianceHttpModule {
  static register(ctx: ComplianceContext): DynamicModule {
    return {
      module: ComplianceHttpModule,
      controllers: [ComplianceController],
      providers: [{ provide: CONTEXT, useValue: ctx }],
    };
  }
}
