import type { complianceV1 } from '@aperture/contracts';
import { type Connection, type Model, Schema } from 'mongoose';
import type { NewConsent } from './domain/consent';

/** A registered consent; `_id` is "<tenantId>/<consentId>", so ids are unique per tenant. */
export interface ConsentDoc extends NewConsent {
  _id: string;
  createdAt: Date;
}

/** One audit entry: a decision on an image, or a consent registration. */
export interface AuditDoc {
  _id: string;
  tenantId: string;
  /** Empty for entries about no image (a consent registration). */
  imageId: string;
  action: 'cleared' | 'rejected' | 'consent_registered';
  detail: string;
  at: Date;
}

const consentSchema = new Schema<ConsentDoc>(
  {
    _id: { type: String, required: true },
    consentId: { type: String, required: true },
    tenantId: { type: String, required: true },
    subjectRef: { type: String, required: true },
    scopes: { type: [String], required: true },
    purpose: { type: String, required: true },
    regions: { type: [String], default: [] },
    grantedAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
    revoked: { type: Boolean, required: true, default: false },
    evidenceRef: { type: String, default: '' },
    createdAt: { type: Date, required: true },
  },
  { collection: 'consents', versionKey: false, minimize: false },
);

const auditSchema = new Schema<AuditDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    imageId: { type: String, default: '' },
    action: { type: String, required: true, enum: ['cleared', 'rejected', 'consent_registered'] },
    detail: { type: String, default: '' },
    at: { type: Date, required: true },
  },
  { collection: 'audit', versionKey: false },
);
auditSchema.index({ tenantId: 1, imageId: 1, at: 1 }, { name: 'tenant_image_at' });

export const consentKey = (tenantId: string, consentId: string) => `${tenantId}/${consentId}`;

export function consentModel(connection: Connection): Model<ConsentDoc> {
  return (
    (connection.models['Consent'] as Model<ConsentDoc> | undefined) ??
    connection.model('Consent', consentSchema)
  );
}

export function auditModel(connection: Connection): Model<AuditDoc> {
  return (
    (connection.models['AuditEntry'] as Model<AuditDoc> | undefined) ??
    connection.model('AuditEntry', auditSchema)
  );
}

export function registerComplianceModels(connection: Connection): void {
  consentModel(connection);
  auditModel(connection);
}

/**
 * Records the compliance decision stored in the image record, once per image whatever the number
 * of deliveries: written after the record, and again (a no-op if present) on every redelivery, so a
 * crash between the two writes cannot lose it.
 */
export async function auditDecision(
  connection: Connection,
  record: { _id: string; tenantId: string; stages: Record<string, unknown> },
): Promise<void> {
  const decision = record.stages['compliance'] as ComplianceStageResult | undefined;
  if (!decision) return;
  const detail =
    decision.decision === 'rejected'
      ? decision.reasons.map((reason) => `${reason.code}: ${reason.message}`).join('; ')
      : `removed ${decision.removedMetadata.join(', ') || 'nothing'}; consents ${decision.consentIds.join(', ') || 'none'}`;
  await auditModel(connection).updateOne(
    { _id: `decision/${record._id}` },
    {
      $setOnInsert: {
        tenantId: record.tenantId,
        imageId: record._id,
        action: decision.decision,
        detail,
        at: new Date(),
      },
    },
    { upsert: true },
  );
}

/** What the compliance stage stores under stages.compliance. */
export type ComplianceStageResult =
  | ({ decision: 'cleared' } & complianceV1.ComplianceResult)
  | { decision: 'rejected'; reasons: Array<{ code: string; message: string }> };
