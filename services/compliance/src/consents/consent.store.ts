import type { complianceV1 } from '@aperture/contracts';
import { type Connection, type Model, Schema } from 'mongoose';
import type { NewConsent } from '../domain/consent';

/** A registered consent; `_id` is "<tenantId>/<consentId>", so ids are unique per tenant. */
export interface ConsentDoc extends NewConsent {
  _id: string;
  createdAt: Date;
  revokedAt: Date | null;
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
    revokedAt: { type: Date, default: null },
    evidenceRef: { type: String, default: '' },
    createdAt: { type: Date, required: true },
  },
  { collection: 'consents', versionKey: false, minimize: false },
);

export const consentKey = (tenantId: string, consentId: string) => `${tenantId}/${consentId}`;

export function consentModel(connection: Connection): Model<ConsentDoc> {
  return (
    (connection.models['Consent'] as Model<ConsentDoc> | undefined) ??
    connection.model('Consent', consentSchema)
  );
}

/** The contract's view of a stored consent. */
export const toConsent = (doc: ConsentDoc): complianceV1.Consent => ({
  consentId: doc.consentId,
  tenantId: doc.tenantId,
  subjectRef: doc.subjectRef,
  scopes: doc.scopes,
  purpose: doc.purpose,
  regions: doc.regions,
  grantedAt: doc.grantedAt.toISOString(),
  expiresAt: doc.expiresAt?.toISOString() ?? '',
  revoked: doc.revoked,
  evidenceRef: doc.evidenceRef,
  revokedAt: doc.revokedAt?.toISOString() ?? '',
});
