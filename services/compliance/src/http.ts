import type { complianceV1 } from '@aperture/contracts';
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
import { RegisterConsentDto, RequestErasureDto } from './dto';
import { toErasure } from './erasure/erasure';
import { toAuditEntry } from './views';

const CONTEXT = Symbol('StageContext');
const ACTOR = 'api-key';

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
  async register(@Tenant() tenantId: string, @Body() body: RegisterConsentDto) {
    const consent: complianceV1.Consent = {
      consentId: body.consentId ?? '',
      tenantId,
      subjectRef: body.subjectRef ?? '',
      scopes: body.scopes ?? [],
      purpose: body.purpose ?? '',
      regions: body.regions ?? [],
      grantedAt: body.grantedAt ?? '',
      expiresAt: body.expiresAt ?? '',
      revoked: false,
      evidenceRef: body.evidenceRef ?? '',
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
  async requestErasure(@Tenant() tenantId: string, @Body() body: RequestErasureDto) {
    const { imageId, batchId, consentId } = body;
    const erasure = await this.ctx.erasures.request({
      tenantId,
      ...(imageId && { imageId }),
      ...(batchId && { batchId }),
      ...(consentId && { consentId }),
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
