import { httpErrorResponse } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import {
  type ArgumentsHost,
  Body,
  Catch,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  Headers,
  HttpCode,
  Inject,
  Module,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import { collectorOfToken, tenantOfRequest } from './auth';
import { type CampaignStore, collectorView } from './campaigns.store';
import { cellLabel } from './domain/cells';
import { parseSignature, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from './domain/signature';
import { CampaignError } from './errors';
import type { CampaignDoc } from './models';

const STORE = Symbol('CampaignStore');
const CONTEXT = Symbol('StageContext');

type RequestHeaders = Record<string, string | string[] | undefined>;

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
  headersSent?: boolean;
  end(): void;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
  async create(@Headers() headers: RequestHeaders, @Body() body: unknown) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
    return this.view(await this.store.createCampaign(tenantId, jsonObject(body)));
  }

  @Get('campaigns')
  async list(@Headers() headers: RequestHeaders) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
    const campaigns = await this.store.listCampaigns(tenantId);
    return { campaigns: await Promise.all(campaigns.map((campaign) => this.view(campaign))) };
  }

  @Get('campaigns/:id')
  async get(@Headers() headers: RequestHeaders, @Param('id') id: string) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers, ['tenant', 'collector', 'service']);
    return this.view(await this.store.campaign(tenantId, id));
  }

  @Post('campaigns/:id/close')
  @HttpCode(200)
  async close(@Headers() headers: RequestHeaders, @Param('id') id: string) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
    return this.view(await this.store.closeCampaign(tenantId, id));
  }

  /** Per-collector quality of the campaign, with each collector's state. */
  @Get('campaigns/:id/collectors')
  async collectorStats(@Headers() headers: RequestHeaders, @Param('id') id: string) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
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
  async createCollector(@Headers() headers: RequestHeaders, @Body() body: unknown) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
    return this.store.createCollector(tenantId, jsonObject(body));
  }

  @Get('collectors')
  async collectors(@Headers() headers: RequestHeaders) {
    return { collectors: await this.store.collectors(await tenantOfRequest(this.ctx, this.store, headers)) };
  }

  @Get('collectors/me')
  async me(@Headers('x-collector-token') token: unknown) {
    return collectorView(await collectorOfToken(this.store, token));
  }

  /** The operator sets a collector's state (verify by hand, suspend). */
  @Post('collectors/:id/state')
  @HttpCode(200)
  async setState(@Headers() headers: RequestHeaders, @Param('id') id: string, @Body() body: unknown) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
    return this.store.setCollectorState(tenantId, id, jsonObject(body)['state'], 'operator');
  }

  /** A new secret for the KYC provider's webhook signatures; shown once. */
  @Post('kyc/secret')
  @HttpCode(201)
  async kycSecret(@Headers() headers: RequestHeaders) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers);
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
  async assignment(@Headers() headers: RequestHeaders, @Param('id') id: string) {
    const tenantId = await tenantOfRequest(this.ctx, this.store, headers, ['tenant', 'collector', 'service']);
    return this.store.assignment(tenantId, id);
  }
}

/**
 * Errors as `{"error": {"code", "message", "field"?}}`, like ingest's API: the stage's filter of
 * every route (campaignsStage's httpErrorFilter).
 */
@Catch()
export class CampaignsErrorFilter implements ExceptionFilter {
  constructor(private readonly ctx: StageContext) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    let status = 500;
    let error: { code: string; message: string; field?: string } = {
      code: 'internal',
      message: 'internal error',
    };
    if (exception instanceof CampaignError) {
      status = exception.httpStatus;
      error = {
        code: exception.code,
        message: exception.message,
        ...(exception.field && { field: exception.field }),
      };
    } else {
      const answer = httpErrorResponse(exception);
      if (answer) ({ status, error } = { status: answer.status, error: answer.body.error });
      else this.ctx.log.error({ err: exception }, 'request failed');
    }
    if (reply.headersSent) return reply.end();
    reply.status(status).json({ error });
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
