import { randomBytes } from 'node:crypto';
import type { complianceV1 } from '@aperture/contracts';
import { DuplicateKeyError } from '@aperture/persistence';
import { grpcError } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { auditModel, type ConsentDoc, consentKey, consentModel } from './compliance.models';
import { validateConsent } from './domain/consent';

const toConsent = (doc: ConsentDoc): complianceV1.Consent => ({
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
});

/** ComplianceService: consent registration and the tenant's audit trail. */
export function complianceGrpc(ctx: StageContext): complianceV1.ComplianceServiceServer {
  const consents = consentModel(ctx.pipeline.connection);
  const audit = auditModel(ctx.pipeline.connection);
  const fail = (error: unknown, what: string) => {
    if (error instanceof DuplicateKeyError)
      return grpcError(status.ALREADY_EXISTS, 'consent_id is already registered');
    ctx.log.error({ err: error }, `${what} failed`);
    return grpcError(status.UNAVAILABLE, `${what} failed; retry`);
  };

  return {
    registerConsent: (call, callback) => {
      const now = new Date();
      const checked = validateConsent(
        call.request.consent,
        now,
        () => `cns_${randomBytes(12).toString('hex')}`,
      );
      if ('errors' in checked) return callback(grpcError(status.INVALID_ARGUMENT, checked.errors.join('; ')));
      const { consent } = checked;
      const doc: ConsentDoc = {
        _id: consentKey(consent.tenantId, consent.consentId),
        ...consent,
        createdAt: now,
      };
      consents
        .create(doc)
        .then(() =>
          audit.create({
            _id: `consent/${doc._id}`,
            tenantId: consent.tenantId,
            imageId: '',
            action: 'consent_registered',
            detail: `consent ${consent.consentId} (scopes ${consent.scopes.join(', ')}; purpose ${consent.purpose})`,
            at: now,
          }),
        )
        .then(
          () => callback(null, { consent: toConsent(doc) }),
          (error: unknown) => callback(fail(error, 'RegisterConsent')),
        );
    },
    getAuditTrail: (call, callback) => {
      const { tenantId, imageId } = call.request;
      if (tenantId === '') return callback(grpcError(status.INVALID_ARGUMENT, 'tenant_id is required'));
      audit
        .find({ tenantId, ...(imageId !== '' && { imageId }) })
        .sort({ at: 1 })
        .limit(1000)
        .lean()
        .exec()
        .then(
          (entries) =>
            callback(null, {
              entries: entries.map((entry) => ({
                at: entry.at.toISOString(),
                imageId: entry.imageId,
                action: entry.action,
                detail: entry.detail,
              })),
            }),
          (error: unknown) => callback(fail(error, 'GetAuditTrail')),
        );
    },
  };
}
