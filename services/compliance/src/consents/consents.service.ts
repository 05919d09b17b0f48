import { ApiError } from '@aperture/runtime';
import { randomBytes } from 'node:crypto';
import { commonV1, type complianceV1 } from '@aperture/contracts';
import { DuplicateKeyError, type ImageRecord } from '@aperture/persistence';
import { completeStage, rejection, type StageContext } from '@aperture/stage-runtime';
import type { AuditLog } from '../audit/audit-log';
import { validateConsent } from '../domain/consent';
import type { Erasures } from '../erasure/erasure';
import { type ConsentDoc, consentKey, consentModel, toConsent } from './consent.store';

/** The pipeline event context of a stored record (for the rejection a revocation publishes). */
function imageContextOf(record: ImageRecord): commonV1.ImageContext {
  return {
    imageId: record._id,
    tenantId: record.tenantId,
    projectId: record.projectId,
    batchId: record.batchId,
    filename: record.filename,
    raw: {
      key: record.raw.key,
      contentType: record.raw.contentType,
      sizeBytes: String(record.raw.sizeBytes),
      checksum: { algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256, hex: record.raw.sha256 },
    },
    declarations: { region: record.declarations.region, consentIds: record.declarations.consentIds },
    receivedAt: record.receivedAt.toISOString(),
  };
}

/** Registering, reading and revoking consents: the logic behind both gRPC and REST. */
export class ConsentsService {
  constructor(
    private readonly ctx: StageContext,
    private readonly audit: AuditLog,
    private readonly erasures: Erasures,
  ) {}

  private get model() {
    return consentModel(this.ctx.pipeline.connection);
  }

  async register(input: complianceV1.Consent | undefined, actor: string): Promise<complianceV1.Consent> {
    const now = new Date();
    const checked = validateConsent(input, now, () => `cns_${randomBytes(12).toString('hex')}`);
    if ('errors' in checked) throw new ApiError('invalid_request', checked.errors.join('; '));
    const { consent } = checked;
    const doc: ConsentDoc = {
      _id: consentKey(consent.tenantId, consent.consentId),
      ...consent,
      createdAt: now,
      revokedAt: null,
    };
    try {
      await this.model.create(doc);
    } catch (error) {
      if (error instanceof DuplicateKeyError)
        throw new ApiError('conflict', 'consent_id is already registered');
      throw error;
    }
    await this.audit.append(
      {
        tenantId: consent.tenantId,
        stage: 'consent',
        outcome: 'consent_registered',
        actor,
        subjectId: consent.consentId,
        detail: `scopes ${consent.scopes.join(', ')}; purpose ${consent.purpose}; regions ${consent.regions.join(', ') || 'all'}`,
      },
      `consent-registered/${consent.consentId}`,
    );
    return toConsent(doc);
  }

  async get(tenantId: string, consentId: string): Promise<complianceV1.Consent> {
    const doc = await this.model.findById(consentKey(tenantId, consentId)).lean<ConsentDoc>().exec();
    if (!doc || doc.tenantId !== tenantId)
      throw new ApiError('not_found', `consent ${consentId} does not exist`);
    return toConsent(doc);
  }

  /**
   * Revokes a consent from now on. Images relying on it that are not curated yet are stopped: each
   * is rejected (consent_revoked) through the same one-write completion as a stage's, so a stage
   * that meets it later finds it settled; curated ones are erased. Calling it again (a retry after
   * a crash half-way) does the remaining work and nothing twice.
   */
  async revoke(
    tenantId: string,
    consentId: string,
    actor: string,
  ): Promise<{ consent: complianceV1.Consent; stopped: number; erasureId: string }> {
    const id = consentKey(tenantId, consentId);
    const doc = await this.model.findById(id).lean<ConsentDoc>().exec();
    if (!doc || doc.tenantId !== tenantId)
      throw new ApiError('not_found', `consent ${consentId} does not exist`);
    const revokedAt = doc.revokedAt ?? new Date();
    if (!doc.revoked) await this.model.updateOne({ _id: id }, { $set: { revoked: true, revokedAt } });
    const { audit, erasures } = this;
    await audit.append(
      {
        tenantId,
        stage: 'consent',
        outcome: 'consent_revoked',
        actor,
        subjectId: consentId,
        detail: `revoked at ${revokedAt.toISOString()}`,
      },
      `consent-revoked/${consentId}`,
    );

    const relying = await this.ctx.pipeline.records.model
      .find({ tenantId, 'declarations.consentIds': consentId, status: { $ne: 'erased' } })
      .select({ outbox: 0 })
      .lean<ImageRecord[]>()
      .exec();
    let stopped = 0;
    const reason = {
      code: 'consent_revoked',
      message: `consent ${consentId} was revoked at ${revokedAt.toISOString()}`,
    };
    for (const record of relying) {
      if (record.status !== 'processing' && record.status !== 'pending_annotation') continue;
      const outcome = await completeStage(
        this.ctx,
        record._id,
        'revocation',
        rejection(imageContextOf(record), 'compliance', [reason], { consentId }),
      );
      if (outcome !== 'done') continue;
      stopped += 1;
      await audit.append(
        {
          tenantId,
          stage: 'consent',
          rule: `consent ${consentId} revoked`,
          outcome: 'rejected:consent_revoked',
          actor,
          imageId: record._id,
          subjectId: consentId,
          inputs: [{ name: 'raw', sha256: record.raw.sha256 }],
          detail: `stopped while ${record.status} at ${record.stage}`,
        },
        `stopped/${record._id}`,
      );
    }
    const curated = relying.filter((record) => record.status === 'curated').map((record) => record._id);
    let erasureId = '';
    if (curated.length > 0) {
      const erasure = await erasures.request({
        tenantId,
        consentId,
        imageIds: curated,
        reason: 'consent_revoked',
        actor,
      });
      erasureId = erasure._id;
    }
    return { consent: toConsent({ ...doc, revoked: true, revokedAt }), stopped, erasureId };
  }
}
