import { isObject } from '@aperture/contracts';
import { Tenant } from '@aperture/runtime';
import { Callers, type StageContext } from '@aperture/stage-runtime';
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
  Req,
} from '@nestjs/common';
import { collectorOfToken } from './auth';
import { type CampaignStore, collectorView } from './campaigns.store';
import { cellLabel } from './domain/cells';
import { parseSignature, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from './domain/signature';
import { CampaignError } from './errors';
import type { CampaignDoc } from './models';

const STORE = Symbol('CampaignStore');
const CONTEXT = Symbol('StageContext');

/** The tenant's routes: its API key, or ingest's console (the service identity naming the tenant). */
const TenantCallers = () => Callers('tenant', 'service');
/** What a capture app reads with its collector token, as the tenant can. */
const CollectorCallers = () => Callers('tenant', 'collector', 'service');

function jsonObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new CampaignError('invalid_request', 'the body must be a JSON object', 'body');
  return body;
}

/** REST of the campaigns service (services/campaigns/README.md). */
@Controller('v1')
class CampaignsController {
  constructor(
    @Inject(STORE) private readonly store: CampaignStore,
    @Inject(CONTEXT) private readonly ctx: StageContext,
  ) {}

  private async view(campaign: CampaignDoc) {
    const progress = await this.store.progress(campaign);
    return {
      ...progress,
      // A cell's short name ("shelf · EU · night"), so a reader (the web console) need not rebuild it.
      cells: progress.cells.map((cell) => ({ ...cell, label: cellLabel(cell) })),
      instructions: campaign.instructions,
      perCollectorCap: campaign.perCollectorCap,
      minAcceptance: campaign.minAcceptance,
      minDecided: campaign.minDecided,
      assignmentMinutes: campaign.assignmentMinutes,
      createdAt: new Date(campaign.createdAt).toISOString(),
    };
  }

  @Post('campaigns')
  @HttpCode(201)
  @TenantCallers()
  async create(@Tenant() tenantId: string, @Body() body: unknown) {
    return this.view(await this.store.createCampaign(tenantId, jsonObject(body)));
  }

  @Get('campaigns')
  @TenantCallers()
  async list(@Tenant() tenantId: string) {
    const campaigns = await this.store.listCampaigns(tenantId);
    return { campaigns: await Promise.all(campaigns.map((campaign) => this.view(campaign))) };
  }

  @Get('campaigns/:id')
  @CollectorCallers()
  async get(@Tenant() tenantId: string, @Param('id') id: string) {
    return this.view(await this.store.campaign(tenantId, id));
  }

  @Post('campaigns/:id/close')
  @HttpCode(200)
  @TenantCallers()
  async close(@Tenant() tenantId: string, @Param('id') id: string) {
    return this.view(await this.store.closeCampaign(tenantId, id));
  }

  /** Per-collector quality of the campaign, with each collector's state. */
  @Get('campaigns/:id/collectors')
  @TenantCallers()
  async collectorStats(@Tenant() tenantId: string, @Param('id') id: string) {
    const campaign = await this.store.campaign(tenantId, id);
    const collectors = new Map((await this.store.collectors(tenantId)).map((c) => [c.collectorId, c]));
    const stats = await this.store.collectorStats(campaign);
    return {
      campaignId: id,
      minAcceptance: campaign.minAcceptance,
      minDecided: campaign.minDecided,
      collectors: stats.map((row) => ({
        ...row,
        name: collectors.get(row.collectorId)?.name ?? '',
        state: collectors.get(row.collectorId)?.state ?? 'unknown',
      })),
    };
  }

  @Post('collectors')
  @HttpCode(201)
  @TenantCallers()
  async createCollector(@Tenant() tenantId: string, @Body() body: unknown) {
    return this.store.createCollector(tenantId, jsonObject(body));
  }

  @Get('collectors')
  @TenantCallers()
  async collectors(@Tenant() tenantId: string) {
    return { collectors: await this.store.collectors(tenantId) };
  }

  @Get('collectors/me')
  async me(@Headers('x-collector-token') token: unknown) {
    return collectorView(await collectorOfToken(this.store, token));
  }

  /** The operator sets a collector's state (verify by hand, suspend). */
  @Post('collectors/:id/state')
  @HttpCode(200)
  @TenantCallers()
  async setState(@Tenant() tenantId: string, @Param('id') id: string, @Body() body: unknown) {
    return this.store.setCollectorState(tenantId, id, jsonObject(body)['state'], 'operator');
  }

  /** A new secret for the KYC provider's webhook signatures; shown once. */
  @Post('kyc/secret')
  @HttpCode(201)
  @TenantCallers()
  async kycSecret(@Tenant() tenantId: string) {
    return { tenantId, secret: await this.store.rotateKycSecret(tenantId) };
  }

  /**
   * The KYC provider's callback: `{tenantId, collectorId, state}` signed in `x-kyc-signature`
   * (t=<unix seconds>,v1=HMAC-SHA256(secret, "<t>.<raw body>")). A missing, forged or stale
   * signature is a 401 and changes nothing; the tenant named in the body picks the secret, and
   * since the body is signed, it cannot be swapped. A signature already applied, or an event signed
   * before the collector's last state change, is a 409 and changes nothing (no replay, in order).
   */
  @Post('kyc/webhook')
  @HttpCode(200)
  async kycWebhook(
    @Headers('x-kyc-signature') signature: string | undefined,
    @Req() request: { rawBody?: Buffer },
    @Body() body: unknown,
  ) {
    const payload = jsonObject(body);
    const tenantId = payload['tenantId'];
    if (typeof tenantId !== 'string' || tenantId === '')
      throw new CampaignError('invalid_request', 'tenantId is required', 'tenantId');
    const secret = await this.store.kycSecret(tenantId);
    const raw = request.rawBody;
    const verdict =
      secret && raw ? verifySignature(secret, signature, raw, this.store.clock.now()) : 'mismatch';
    if (verdict !== 'ok') {
      this.ctx.log.warn({ tenantId, verdict }, 'KYC webhook refused');
      throw new CampaignError('unauthenticated', `invalid webhook signature (${verdict})`);
    }
    const collectorId = payload['collectorId'];
    if (typeof collectorId !== 'string')
      throw new CampaignError('invalid_request', 'collectorId is required', 'collectorId');
    const { timestamp, mac } = parseSignature(signature)!;
    return this.store.applyKycEvent(
      { tenantId, collectorId, state: payload['state'] },
      {
        mac,
        signedAt: new Date(timestamp * 1000),
        expiresAt: new Date((timestamp + SIGNATURE_TOLERANCE_SECONDS) * 1000),
      },
    );
  }

  /** A verified collector asks for work in a campaign. */
  @Post('assignments')
  @HttpCode(201)
  async assign(@Headers('x-collector-token') token: unknown, @Body() body: unknown) {
    const collector = await collectorOfToken(this.store, token);
    return this.store.assign(collector, jsonObject(body)['campaignId']);
  }

  @Get('assignments/:id')
  @CollectorCallers()
  async assignment(@Tenant() tenantId: string, @Param('id') id: string) {
    return this.store.assignment(tenantId, id);
  }
}

@Module({})
export class CampaignsHttpModule {
  static register(ctx: StageContext, store: CampaignStore): DynamicModule {
    return {
      module: CampaignsHttpModule,
      controllers: [CampaignsController],
      providers: [
        { provide: STORE, useValue: store },
        { provide: CONTEXT, useValue: ctx },
      ],
    };
  }
}
