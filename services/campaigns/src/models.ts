import { type Connection, type Model, Schema } from 'mongoose';
import type { CellSpec } from './domain/cells';

export type CollectorState = 'pending' | 'verified' | 'suspended';
export const COLLECTOR_STATES: readonly CollectorState[] = ['pending', 'verified', 'suspended'];

export interface CampaignDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  name: string;
  instructions: string;
  deadline: Date;
  perCollectorCap: number;
  minAcceptance: number;
  minDecided: number;
  assignmentMinutes: number;
  cells: CellSpec[];
  closedAt: Date | null;
  createdAt: Date;
}

export interface CollectorDoc {
  _id: string;
  tenantId: string;
  name: string;
  region: string;
  state: CollectorState;
  /** SHA-256 of the collector's token (the token itself is shown once, at creation). */
  tokenHash: string;
  /** Who set each state: "operator" (the tenant's API key) or "kyc" (the signed webhook). */
  history: Array<{ state: CollectorState; by: 'operator' | 'kyc'; at: Date }>;
  createdAt: Date;
}

/**
 * A curated campaign image and the cells it was counted in, keyed by image id: a redelivered
 * curated event finds it and counts nothing twice. Cell progress is the number of these per cell.
 */
export interface CountedImageDoc {
  _id: string;
  tenantId: string;
  campaignId: string;
  collectorId: string;
  cellIds: string[];
  /** Fitted no cell with room. */
  surplus: boolean;
  facts: Record<string, unknown>;
  /** Consensus agreement when more than one annotator labelled it, else null. */
  agreement: number | null;
  countedAt: Date;
}

export interface AssignmentDoc {
  _id: string;
  tenantId: string;
  campaignId: string;
  collectorId: string;
  cells: Array<{ cellId: string; label: string; needed: number; instructions: string }>;
  createdAt: Date;
  expiresAt: Date;
}

/** The per-tenant secret of the KYC webhook's HMAC (kept in clear: HMAC needs it). */
export interface KycSecretDoc {
  _id: string;
  secret: string;
  createdAt: Date;
}

const campaignSchema = new Schema<CampaignDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    name: { type: String, required: true },
    instructions: { type: String, default: '' },
    deadline: { type: Date, required: true },
    perCollectorCap: { type: Number, default: 0 },
    minAcceptance: { type: Number, default: 0.5 },
    minDecided: { type: Number, default: 5 },
    assignmentMinutes: { type: Number, default: 60 },
    cells: { type: Schema.Types.Mixed, required: true },
    closedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: 'campaigns', versionKey: false, minimize: false },
);
campaignSchema.index({ tenantId: 1, createdAt: -1 }, { name: 'tenant_created' });

const collectorSchema = new Schema<CollectorDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    name: { type: String, required: true },
    region: { type: String, default: '' },
    state: { type: String, required: true, enum: COLLECTOR_STATES },
    tokenHash: { type: String, required: true },
    history: { type: Schema.Types.Mixed, default: [] },
    createdAt: { type: Date, required: true },
  },
  { collection: 'campaign_collectors', versionKey: false, minimize: false },
);
collectorSchema.index({ tokenHash: 1 }, { name: 'token_hash', unique: true });
collectorSchema.index({ tenantId: 1 }, { name: 'tenant' });

const countedSchema = new Schema<CountedImageDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    campaignId: { type: String, required: true },
    collectorId: { type: String, default: '' },
    cellIds: { type: [String], default: [] },
    surplus: { type: Boolean, required: true },
    facts: { type: Schema.Types.Mixed, default: {} },
    agreement: { type: Number, default: null },
    countedAt: { type: Date, required: true },
  },
  { collection: 'campaign_images', versionKey: false, minimize: false },
);
countedSchema.index({ campaignId: 1, collectorId: 1 }, { name: 'campaign_collector' });

const assignmentSchema = new Schema<AssignmentDoc>(
  {
    _id: String,
    tenantId: { type: String, required: true },
    campaignId: { type: String, required: true },
    collectorId: { type: String, required: true },
    cells: { type: Schema.Types.Mixed, default: [] },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'campaign_assignments', versionKey: false, minimize: false },
);
assignmentSchema.index(
  { collectorId: 1, campaignId: 1, expiresAt: -1 },
  { name: 'collector_campaign_expiry' },
);

/**
 * A KYC webhook delivery already applied, kept until its signature's time window ends, so the same
 * signed request is accepted once (`_id` = tenant and MAC: a second insert is a duplicate key).
 * FerretDB refuses TTL indexes, so expired ones are deleted by the webhook itself.
 */
export interface KycDeliveryDoc {
  _id: string;
  tenantId: string;
  collectorId: string;
  expiresAt: Date;
}

const kycDeliverySchema = new Schema<KycDeliveryDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    collectorId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'campaign_kyc_deliveries', versionKey: false },
);
kycDeliverySchema.index({ expiresAt: 1 }, { name: 'expiry' });

const kycSecretSchema = new Schema<KycSecretDoc>(
  { _id: String, secret: { type: String, required: true }, createdAt: { type: Date, required: true } },
  { collection: 'campaign_kyc_secrets', versionKey: false },
);

function model<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);
}

export interface CampaignModels {
  campaigns: Model<CampaignDoc>;
  collectors: Model<CollectorDoc>;
  counted: Model<CountedImageDoc>;
  assignments: Model<AssignmentDoc>;
  kycSecrets: Model<KycSecretDoc>;
  kycDeliveries: Model<KycDeliveryDoc>;
}

export function campaignModels(connection: Connection): CampaignModels {
  return {
    campaigns: model(connection, 'Campaign', campaignSchema),
    collectors: model(connection, 'CampaignCollector', collectorSchema),
    counted: model(connection, 'CampaignImage', countedSchema),
    assignments: model(connection, 'CampaignAssignment', assignmentSchema),
    kycSecrets: model(connection, 'CampaignKycSecret', kycSecretSchema),
    kycDeliveries: model(connection, 'CampaignKycDelivery', kycDeliverySchema),
  };
}
