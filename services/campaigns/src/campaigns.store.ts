import { createHash, randomBytes } from 'node:crypto';
import { campaignsV1 } from '@aperture/contracts';
import {
  DuplicateKeyError,
  imageRecordModel,
  isDuplicateKeyError,
  type ImageRecord,
} from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';
import type { Model } from 'mongoose';
import type { Clock } from './clock';
import {
  type AssignedCell,
  assignmentExpiry,
  assignmentState,
  cellsForCollector,
} from './domain/assignments';
import { parseCampaignSpec, parseSetting, parseTags, SpecError } from './domain/campaign-spec';
import { cellFull, type ImageFacts, uploadRefusal } from './domain/cells';
import { campaignState } from './domain/state';
import { collectorStats, type CollectorStats, isDuplicateRejection } from './domain/stats';
import { CampaignError } from './errors';
import {
  type AssignmentDoc,
  type CampaignDoc,
  campaignModels,
  type CampaignModels,
  type CollectorDoc,
  type CollectorState,
  type CountedImageDoc,
} from './models';

const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export interface CollectorView {
  collectorId: string;
  name: string;
  region: string;
  state: CollectorState;
  history: Array<{ state: CollectorState; by: string; at: string }>;
  createdAt: string;
}

export interface AssignmentView {
  assignmentId: string;
  campaignId: string;
  collectorId: string;
  state: 'active' | 'expired';
  cells: AssignedCell[];
  createdAt: string;
  expiresAt: string;
}

export type CheckAnswer = campaignsV1.CheckUploadResponse;

/** Campaigns, collectors, counted images and assignments in MongoDB; every read is per tenant. */
export class CampaignStore {
  readonly models: CampaignModels;
  private readonly images: Model<ImageRecord>;

  constructor(
    private readonly ctx: StageContext,
    readonly clock: Clock,
  ) {
    this.models = campaignModels(ctx.pipeline.connection);
    this.images = imageRecordModel(ctx.pipeline.connection);
  }

  // ---- campaigns

  async createCampaign(tenantId: string, body: unknown): Promise<CampaignDoc> {
    const projectId =
      typeof body === 'object' && body !== null ? (body as { projectId?: unknown }).projectId : undefined;
    if (typeof projectId !== 'string' || projectId === '')
      throw new CampaignError('invalid_request', 'projectId is required', 'projectId');
    const policy = await this.ctx.policies.get(tenantId, projectId);
    if (!policy) throw new CampaignError('not_found', `project ${JSON.stringify(projectId)} not found`);
    const spec = this.spec(() => parseCampaignSpec(body, policy.annotation.classes, this.clock.now()));
    const doc: CampaignDoc = {
      _id: newId('cmp'),
      tenantId,
      ...spec,
      closedAt: null,
      createdAt: this.clock.now(),
    };
    await this.models.campaigns.create(doc);
    return doc;
  }

  async campaign(tenantId: string, campaignId: string): Promise<CampaignDoc> {
    const doc = await this.models.campaigns.findOne({ _id: campaignId, tenantId }).lean<CampaignDoc>().exec();
    if (!doc) throw new CampaignError('not_found', `campaign ${JSON.stringify(campaignId)} not found`);
    return doc;
  }

  async listCampaigns(tenantId: string): Promise<CampaignDoc[]> {
    return this.models.campaigns
      .find({ tenantId })
      .sort({ createdAt: -1 })
      .limit(200)
      .lean<CampaignDoc[]>()
      .exec();
  }

  async closeCampaign(tenantId: string, campaignId: string): Promise<CampaignDoc> {
    await this.campaign(tenantId, campaignId);
    await this.models.campaigns.updateOne(
      { _id: campaignId, tenantId, closedAt: null },
      { $set: { closedAt: this.clock.now() } },
    );
    return this.campaign(tenantId, campaignId);
  }

  /** Curated images counted per cell, and the surplus. */
  async counts(
    campaignId: string,
  ): Promise<{ cells: Map<string, number>; counted: number; surplus: number }> {
    const rows = await this.models.counted
      .find({ campaignId }, { cellIds: 1, surplus: 1 })
      .lean<Array<Pick<CountedImageDoc, 'cellIds' | 'surplus'>>>()
      .exec();
    const cells = new Map<string, number>();
    for (const row of rows) for (const cellId of row.cellIds) cells.set(cellId, (cells.get(cellId) ?? 0) + 1);
    const surplus = rows.filter((row) => row.surplus).length;
    return { cells, counted: rows.length - surplus, surplus };
  }

  async progress(campaign: CampaignDoc): Promise<campaignsV1.CampaignProgress> {
    const counts = await this.counts(campaign._id);
    const now = this.clock.now();
    return {
      campaignId: campaign._id,
      projectId: campaign.projectId,
      name: campaign.name,
      state: campaignState(campaign, counts.cells, now),
      deadline: new Date(campaign.deadline).toISOString(),
      cells: campaign.cells.map((cell) => {
        const curated = counts.cells.get(cell.cellId) ?? 0;
        return { ...cell, content: cell.content ?? [], curated, full: cellFull(cell, curated) };
      }),
      counted: counts.counted,
      surplus: counts.surplus,
      target: campaign.cells.reduce((sum, cell) => sum + cell.target, 0),
      achieved: campaign.cells.reduce(
        (sum, cell) => sum + Math.min(counts.cells.get(cell.cellId) ?? 0, cell.target),
        0,
      ),
      updatedAt: now.toISOString(),
    };
  }

  // ---- collectors

  async createCollector(
    tenantId: string,
    body: Record<string, unknown>,
  ): Promise<{ collector: CollectorView; token: string }> {
    const name = body['name'];
    if (typeof name !== 'string' || name.trim() === '' || name.length > 200)
      throw new CampaignError(
        'invalid_request',
        'name must be a non-empty string of at most 200 characters',
        'name',
      );
    const region = body['region'] ?? '';
    if (typeof region !== 'string' || region.length > 40)
      throw new CampaignError(
        'invalid_request',
        'region must be a string of at most 40 characters',
        'region',
      );
    const token = `ctk_${randomBytes(24).toString('base64url')}`;
    const now = this.clock.now();
    const doc: CollectorDoc = {
      _id: newId('col'),
      tenantId,
      name: name.trim(),
      region: region.trim(),
      state: 'pending',
      tokenHash: sha256(token),
      history: [{ state: 'pending', by: 'operator', at: now }],
      createdAt: now,
    };
    await this.models.collectors.create(doc);
    return { collector: collectorView(doc), token };
  }

  async collectors(tenantId: string): Promise<CollectorView[]> {
    const docs = await this.models.collectors
      .find({ tenantId })
      .sort({ createdAt: 1 })
      .limit(1000)
      .lean<CollectorDoc[]>()
      .exec();
    return docs.map(collectorView);
  }

  async collector(tenantId: string, collectorId: string): Promise<CollectorDoc> {
    const doc = await this.models.collectors
      .findOne({ _id: collectorId, tenantId })
      .lean<CollectorDoc>()
      .exec();
    if (!doc) throw new CampaignError('not_found', `collector ${JSON.stringify(collectorId)} not found`);
    return doc;
  }

  /** The collector a token names; null for an unknown token. */
  async collectorByToken(token: string | undefined): Promise<CollectorDoc | null> {
    if (!token || !/^ctk_[\w-]{20,80}$/.test(token)) return null;
    return this.models.collectors
      .findOne({ tokenHash: sha256(token) })
      .lean<CollectorDoc>()
      .exec();
  }

  async setCollectorState(
    tenantId: string,
    collectorId: string,
    state: unknown,
    by: 'operator' | 'kyc',
  ): Promise<CollectorView> {
    if (state !== 'pending' && state !== 'verified' && state !== 'suspended')
      throw new CampaignError(
        'invalid_request',
        'state must be one of pending, verified, suspended',
        'state',
      );
    await this.collector(tenantId, collectorId);
    await this.models.collectors.updateOne(
      { _id: collectorId, tenantId },
      { $set: { state }, $push: { history: { state, by, at: this.clock.now() } } },
    );
    return collectorView(await this.collector(tenantId, collectorId));
  }

  /**
   * A verified KYC webhook: applied once (its MAC is remembered until `expiresAt`, the end of the
   * signature's window; the same signed request again is a 409), and in order: an event signed
   * before the collector's last state change (to the second, the signature's resolution) cannot
   * undo it (409, nothing changed).
   */
  async applyKycEvent(
    event: { tenantId: string; collectorId: string; state: unknown },
    signature: { mac: string; signedAt: Date; expiresAt: Date },
  ): Promise<CollectorView> {
    const collector = await this.collector(event.tenantId, event.collectorId);
    const last = collector.history.at(-1)?.at ?? collector.createdAt;
    if (signature.signedAt.getTime() < Math.floor(new Date(last).getTime() / 1000) * 1000)
      throw new CampaignError(
        'conflict',
        `the event was signed at ${signature.signedAt.toISOString()}, before the collector's last state change (${new Date(last).toISOString()}): an older event cannot undo a newer state`,
      );
    const now = this.clock.now();
    await this.models.kycDeliveries.deleteMany({ expiresAt: { $lt: now } });
    try {
      await this.models.kycDeliveries.create({
        _id: `${event.tenantId}/${signature.mac}`,
        tenantId: event.tenantId,
        collectorId: event.collectorId,
        expiresAt: signature.expiresAt,
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError || isDuplicateKeyError(error))
        throw new CampaignError(
          'conflict',
          'this webhook delivery was already applied (a signature is accepted once)',
        );
      throw error;
    }
    try {
      return await this.setCollectorState(event.tenantId, event.collectorId, event.state, 'kyc');
    } catch (error) {
      // Not applied (e.g. an invalid state): the provider may send it again, corrected or not.
      await this.models.kycDeliveries.deleteOne({ _id: `${event.tenantId}/${signature.mac}` });
      throw error;
    }
  }

  /** A new KYC webhook secret for the tenant (the old one stops working). */
  async rotateKycSecret(tenantId: string): Promise<string> {
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    await this.models.kycSecrets.updateOne(
      { _id: tenantId },
      { $set: { secret, createdAt: this.clock.now() } },
      { upsert: true },
    );
    return secret;
  }

  async kycSecret(tenantId: string): Promise<string | null> {
    const doc = await this.models.kycSecrets.findById(tenantId).lean<{ secret: string }>().exec();
    return doc?.secret ?? null;
  }

  // ---- uploads

  /** Ingest's question before it stores a campaign upload. */
  async checkUpload(request: campaignsV1.CheckUploadRequest): Promise<CheckAnswer> {
    const refuse = (code: string, message: string, extra: Partial<CheckAnswer> = {}): CheckAnswer => ({
      allowed: false,
      code,
      message,
      collectorId: '',
      field: '',
      ...extra,
    });
    const campaign = await this.models.campaigns
      .findOne({ _id: request.campaignId, tenantId: request.tenantId })
      .lean<CampaignDoc>()
      .exec();
    if (!campaign)
      return refuse('campaign_not_found', `campaign ${JSON.stringify(request.campaignId)} not found`);
    if (campaign.projectId !== request.projectId)
      return refuse(
        'invalid_request',
        `campaign ${campaign._id} belongs to project ${campaign.projectId}, not to the batch's project ${request.projectId}`,
        { field: 'campaignId' },
      );
    const collector = await this.collectorByToken(request.collectorToken);
    if (!collector || collector.tenantId !== request.tenantId)
      return refuse(
        'unauthenticated',
        "a campaign upload needs the collector's own token in the x-collector-token header",
      );
    const collectorId = collector._id;
    if (collector.state !== 'verified')
      return refuse(
        'collector_not_verified',
        `collector ${collectorId} is ${collector.state}: only verified collectors may upload to a campaign`,
        { collectorId },
      );
    let declared: ImageFacts;
    try {
      const policy = await this.ctx.policies.get(campaign.tenantId, campaign.projectId);
      const classes = policy?.annotation.classes ?? [];
      if (request.category !== '' && classes.length > 0 && !classes.includes(request.category))
        throw new SpecError(
          'category',
          `must be a class of the project's label schema (${classes.join(', ')})`,
        );
      declared = {
        category: request.category,
        region: request.region || collector.region,
        setting: parseSetting(request.setting, 'setting'),
        tags: parseTags(request.tags, 'tags'),
      };
    } catch (error) {
      if (error instanceof SpecError)
        return refuse('invalid_request', error.message, { field: error.field, collectorId });
      throw error;
    }
    const counts = await this.counts(campaign._id);
    const state = campaignState(campaign, counts.cells, this.clock.now());
    if (state === 'closed')
      return refuse(
        'campaign_closed',
        `campaign ${campaign._id} is closed (deadline ${new Date(campaign.deadline).toISOString()})`,
        { collectorId },
      );
    if (campaign.perCollectorCap > 0) {
      const mine = await this.models.counted.countDocuments({
        campaignId: campaign._id,
        collectorId,
        surplus: false,
      });
      if (mine >= campaign.perCollectorCap)
        return refuse(
          'collector_cap_reached',
          `collector ${collectorId} already has ${mine} curated images in this campaign (the cap per collector is ${campaign.perCollectorCap})`,
          { collectorId },
        );
    }
    const refusal = uploadRefusal(campaign.cells, counts.cells, declared);
    if (refusal) return refuse(refusal.code, refusal.message, { collectorId });
    return { allowed: true, code: '', message: '', collectorId, field: '' };
  }

  /** Records a curated campaign image once; 'duplicate' when it was already counted. */
  async count(doc: CountedImageDoc): Promise<'done' | 'duplicate'> {
    try {
      await this.models.counted.create(doc);
      return 'done';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'duplicate';
      throw error;
    }
  }

  async isCounted(imageId: string): Promise<boolean> {
    return (await this.models.counted.exists({ _id: imageId })) !== null;
  }

  // ---- assignments

  async assign(collector: CollectorDoc, campaignId: unknown): Promise<AssignmentView> {
    if (typeof campaignId !== 'string' || campaignId === '')
      throw new CampaignError('invalid_request', 'campaignId is required', 'campaignId');
    if (collector.state !== 'verified')
      throw new CampaignError(
        'forbidden',
        `collector ${collector._id} is ${collector.state}: only verified collectors get assignments`,
      );
    const campaign = await this.campaign(collector.tenantId, campaignId);
    const counts = await this.counts(campaignId);
    const now = this.clock.now();
    if (campaignState(campaign, counts.cells, now) === 'closed')
      throw new CampaignError('conflict', `campaign ${campaignId} is closed`);
    const doc: AssignmentDoc = {
      _id: newId('asg'),
      tenantId: collector.tenantId,
      campaignId,
      collectorId: collector._id,
      cells: cellsForCollector(campaign.cells, counts.cells, collector.region, campaign.instructions),
      createdAt: now,
      expiresAt: assignmentExpiry(now, campaign.assignmentMinutes, new Date(campaign.deadline)),
    };
    await this.models.assignments.create(doc);
    return this.assignmentView(doc);
  }

  async assignment(tenantId: string, assignmentId: string): Promise<AssignmentView> {
    const doc = await this.models.assignments
      .findOne({ _id: assignmentId, tenantId })
      .lean<AssignmentDoc>()
      .exec();
    if (!doc) throw new CampaignError('not_found', `assignment ${JSON.stringify(assignmentId)} not found`);
    return this.assignmentView(doc);
  }

  private assignmentView(doc: AssignmentDoc): AssignmentView {
    return {
      assignmentId: doc._id,
      campaignId: doc.campaignId,
      collectorId: doc.collectorId,
      state: assignmentState(new Date(doc.expiresAt), this.clock.now()),
      cells: doc.cells,
      createdAt: new Date(doc.createdAt).toISOString(),
      expiresAt: new Date(doc.expiresAt).toISOString(),
    };
  }

  // ---- per-collector statistics

  /** Every collector with an upload to the campaign: outcomes from the image records, agreement from the counted images. */
  async collectorStats(campaign: CampaignDoc): Promise<CollectorStats[]> {
    const records = await this.images
      .find(
        { tenantId: campaign.tenantId, 'campaign.campaignId': campaign._id },
        { status: 1, reasons: 1, 'campaign.collectorId': 1 },
      )
      .lean<Array<Pick<ImageRecord, 'status' | 'reasons' | 'campaign'>>>()
      .exec();
    const counted = await this.models.counted
      .find({ campaignId: campaign._id, agreement: { $ne: null } }, { collectorId: 1, agreement: 1 })
      .lean<Array<Pick<CountedImageDoc, 'collectorId' | 'agreement'>>>()
      .exec();
    const byCollector = new Map<
      string,
      {
        uploaded: number;
        curated: number;
        rejected: number;
        duplicates: number;
        reasons: Record<string, number>;
        agreements: number[];
      }
    >();
    const entry = (collectorId: string) => {
      let found = byCollector.get(collectorId);
      if (!found)
        byCollector.set(
          collectorId,
          (found = { uploaded: 0, curated: 0, rejected: 0, duplicates: 0, reasons: {}, agreements: [] }),
        );
      return found;
    };
    for (const record of records) {
      const stats = entry(record.campaign?.collectorId ?? '');
      stats.uploaded++;
      if (record.status === 'curated') stats.curated++;
      if (record.status === 'rejected') {
        stats.rejected++;
        const codes = record.reasons.map((reason) => reason.code);
        for (const code of codes) stats.reasons[code] = (stats.reasons[code] ?? 0) + 1;
        if (isDuplicateRejection(codes)) stats.duplicates++;
      }
    }
    for (const row of counted)
      if (row.agreement !== null) entry(row.collectorId).agreements.push(row.agreement);
    return [...byCollector.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([collectorId, stats]) => collectorStats({ collectorId, ...stats }, campaign, stats.duplicates));
  }

  private spec<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof SpecError) throw new CampaignError('invalid_request', error.message, error.field);
      throw error;
    }
  }
}

export function collectorView(doc: CollectorDoc): CollectorView {
  return {
    collectorId: doc._id,
    name: doc.name,
    region: doc.region,
    state: doc.state,
    history: doc.history.map((entry) => ({
      state: entry.state,
      by: entry.by,
      at: new Date(entry.at).toISOString(),
    })),
    createdAt: new Date(doc.createdAt).toISOString(),
  };
}
