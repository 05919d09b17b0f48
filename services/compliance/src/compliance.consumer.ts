import { type commonV1, complianceV1, standardizeV1, Topics } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import {
  blobRef,
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  rejection,
  settledOutcome,
  type StageContext,
} from '@aperture/stage-runtime';
import { auditDecision, type ComplianceStageResult, consentKey, consentModel } from './compliance.models';
import { clearMetadata } from '@aperture/standardization';
import { checkConsents } from './domain/consent';

export const STAGE = 'compliance';

/** image.standardized → consent check and metadata stripped → image.cleared, or image.rejected. */
export async function handleStandardized(
  message: ConsumedMessage,
  ctx: StageContext,
): Promise<HandlerOutcome> {
  const event = decodeEvent(message.value, standardizeV1.ImageStandardized);
  const { image } = event;
  const { connection } = ctx.pipeline;
  const audited = async (outcome: HandlerOutcome) => {
    const record = await ctx.pipeline.records.get(image.imageId);
    if (record) await auditDecision(connection, record);
    return outcome;
  };
  const settled = await settledOutcome(ctx, image, STAGE);
  // Only a redelivery is audited again; a skipped (unknown or forged) event touches nothing.
  if (settled) return settled === 'duplicate' ? audited(settled) : settled;

  const reject = async (reasons: commonV1.Reason[]) => {
    const result: ComplianceStageResult = { decision: 'rejected', reasons };
    return audited(await completeStage(ctx, image.imageId, STAGE, rejection(image, STAGE, reasons, result)));
  };

  const policy = await ctx.policies.get(image.tenantId, image.projectId);
  if (!policy) return reject([projectNotFound(image)]);

  const declaredIds = image.declarations?.consentIds ?? [];
  const registered = await consentModel(connection)
    .find({ _id: { $in: declaredIds.map((id) => consentKey(image.tenantId, id)) }, tenantId: image.tenantId })
    .lean()
    .exec();
  const verdict = checkConsents({
    requireConsent: policy.compliance.requireConsent,
    declaredIds,
    registered,
    now: new Date(),
  });
  if (!verdict.ok) return reject(verdict.reasons);

  const derivativeKey = event.standardize?.derivative?.key;
  if (!derivativeKey || !image.raw?.key)
    throw new Error(`image ${image.imageId} has no derivative or raw blob`);
  const [derivative, original] = await Promise.all([
    ctx.blobs.get(derivativeKey),
    ctx.blobs.get(image.raw.key),
  ]);
  const cleared = await clearMetadata(derivative, original, policy.standardize.quality);
  const stored = await ctx.blobs.put(
    `cleared/${image.imageId}.${cleared.extension}`,
    cleared.bytes,
    cleared.contentType,
  );

  const compliance: complianceV1.ComplianceResult = {
    consentIds: verdict.consentIds,
    removedMetadata: cleared.removedMetadata,
    hadGps: cleared.hadGps,
    cleared: blobRef(stored, cleared.contentType),
  };
  const result: ComplianceStageResult = { decision: 'cleared', ...compliance };
  const outcome = await completeStage(ctx, image.imageId, STAGE, {
    result,
    status: 'processing',
    event: pendingEvent(
      Topics.imageCleared,
      image.imageId,
      complianceV1.ImageCleared.encode({
        image,
        quality: event.quality,
        standardize: event.standardize,
        compliance,
      }).finish(),
    ),
  });
  return audited(outcome);
}
