import { type commonV1, type complianceV1, Topics } from '@aperture/contracts';
import type { AuditInput } from '@aperture/audit';
import { type ImageRecord } from '@aperture/persistence';
import { type ProjectPolicy, regionRuleFor } from '@aperture/policy';
import {
  blobRef,
  type EventOf,
  type MessageContext,
  next,
  reject,
  retry,
  type StageHandler,
  type StageOutcome,
} from '@aperture/stage-runtime';
import { clearMetadata, findMetadataLeaks } from '@aperture/standardization';
import { describeContent } from '@aperture/diversity';
import { consentKey, consentModel } from './consents/consent.store';
import { contentMessage, countCoverage, smallImage } from './content/content';
import type { ComplianceContext } from './context';
import { checkConsents } from './domain/consent';
import { decidePeople } from './domain/people';
import type { FaceBox } from './privacy.repository';

export const STAGE = 'compliance';

/** What the compliance stage stores under stages.compliance (and the audit log records). */
export type ComplianceStageResult =
  | ({ decision: 'cleared'; rule: string } & complianceV1.ComplianceResult)
  | {
      decision: 'rejected';
      rule: string;
      reasons: Array<{ code: string; message: string }>;
      faces?: complianceV1.DetectedRegion[];
      plates?: complianceV1.DetectedRegion[];
      detector?: string;
      plateDetector?: string;
    };

/**
 * image.standardized → image.cleared or image.rejected: consents checked; the derivative and its
 * thumbnail checked for identifying metadata left by standardize (metadata_leak); faces detected
 * and treated as the image's region rule says (kept under consent, redacted, or refused); the
 * cleared derivative and thumbnail written with only the region's metadata. Every decision is
 * appended to the tenant's audit chain once, whatever the number of deliveries (`settled`).
 */
export const complianceHandler: StageHandler<typeof Topics.imageStandardized, ComplianceContext> = {
  stage: STAGE,
  topic: Topics.imageStandardized,
  projectNotFound: (reason) => rejected('project', [reason]),
  process: decide,
  // Audits what this delivery wrote, or, for a redelivery, the decision the record holds; a skipped
  // (unknown or forged) event touches nothing.
  async settled({ event, record, result }, ctx) {
    const decision = result as ComplianceStageResult | undefined;
    if (!decision) return;
    // Counted into coverage once per image (a no-op when a redelivery counts it again).
    if (decision.decision === 'cleared') await countCoverage(ctx.coverage, record, decision.content);
    const inputs: AuditInput[] = [{ name: 'raw', sha256: event.image.raw?.checksum?.hex ?? '' }];
    const derivative = event.standardize?.derivative?.checksum?.hex;
    await ctx.audit.append(
      {
        tenantId: record.tenantId,
        stage: STAGE,
        rule: decision.rule,
        outcome:
          decision.decision === 'rejected'
            ? `rejected:${decision.reasons.map((reason) => reason.code).join(',')}`
            : 'cleared',
        actor: 'service:compliance',
        imageId: record._id,
        inputs: derivative ? [...inputs, { name: 'derivative', sha256: derivative }] : inputs,
        detail: auditDetail(decision),
      },
      `decision/${record._id}`,
    );
  },
};

/** A refusal under `rule`, stored with the decision the audit log records. */
function rejected(
  rule: string,
  reasons: commonV1.Reason[],
  extra: Partial<ComplianceStageResult> = {},
): StageOutcome {
  return reject(reasons, { decision: 'rejected', rule, reasons, ...extra });
}

async function decide(
  event: EventOf<typeof Topics.imageStandardized>,
  record: ImageRecord,
  policy: ProjectPolicy,
  ctx: MessageContext<ComplianceContext>,
): Promise<StageOutcome> {
  const { image } = event;
  const declaredIds = image.declarations?.consentIds ?? [];
  // No declared consent, nothing to look up (most images: no query).
  const registered =
    declaredIds.length === 0
      ? []
      : await consentModel(ctx.pipeline.connection)
          .find({
            _id: { $in: declaredIds.map((id) => consentKey(image.tenantId, id)) },
            tenantId: image.tenantId,
          })
          .lean()
          .exec();
  const verdict = checkConsents({
    requireConsent: policy.compliance.requireConsent,
    declaredIds,
    registered,
    now: new Date(),
  });
  if (!verdict.ok)
    return rejected(
      policy.compliance.requireConsent ? 'consent required' : 'declared consents',
      verdict.reasons,
    );

  const standardize = event.standardize;
  const derivativeKey = standardize?.derivative?.key;
  if (!derivativeKey || !image.raw?.key) return retry(`image ${image.imageId} has no derivative or raw blob`);
  const thumbnailKey = standardize.thumbnail?.key;
  const [derivative, original, thumbnail] = await Promise.all([
    ctx.blobs.get(derivativeKey),
    ctx.raw(),
    thumbnailKey ? ctx.blobs.get(thumbnailKey) : undefined,
  ]);

  // Defence in depth: standardize should have left none of this; if it did, nothing leaves here.
  const leaks = [
    ...(await findMetadataLeaks(derivative, policy.compliance.allowedNames)),
    ...(thumbnail
      ? (await findMetadataLeaks(thumbnail, policy.compliance.allowedNames)).map((leak) => ({
          ...leak,
          where: `thumbnail ${leak.where}`,
        }))
      : []),
  ];
  if (leaks.length > 0)
    return rejected(
      'metadata: no GPS, serial numbers, owner or artist names outside the allowed names, maker notes or XMP history',
      [
        {
          code: 'metadata_leak',
          message: `the standardized image still carries identifying metadata: ${leaks.map((leak) => `${leak.kind} (${leak.where})`).join(', ')}`,
        },
      ],
    );

  const { redaction } = policy.compliance;
  const found = await ctx.people.find(derivative, {
    minScore: redaction.minScore,
    minFaceSize: redaction.minFaceSize,
    plates: redaction.plates,
  });
  const { region: ruleRegion, rule } = regionRuleFor(policy.compliance, image.declarations?.region ?? '');
  const decision = decidePeople({
    rule,
    ruleRegion,
    declaredRegion: image.declarations?.region ?? '',
    faceCount: found.faces.length,
    consents: verdict.consents,
  });
  const redact = decision.outcome === 'redacted';
  const faces = found.faces.map((face) => detectedRegion(face, redact));
  // Plates are nobody's consent to give: found ones are always redacted.
  const plates = found.plates.map((plate) => detectedRegion(plate, true));
  const detectors = { detector: found.faceDetector, plateDetector: found.plateDetector };
  if (decision.outcome === 'rejected')
    return rejected(decision.rule, [decision.reason], { faces, plates, ...detectors });

  // What the image shows, from the same detections and a small copy of it (libs/diversity).
  const descriptors = describeContent({
    small: await smallImage(thumbnail ?? derivative),
    width: found.width,
    height: found.height,
    faces: found.faces,
    objects: found.objects,
  });
  const content = contentMessage(
    descriptors,
    found.objectDetector,
    await ctx.scenes.novelty(record, descriptors),
  );
  const cleared = await clearedImages(ctx, policy, {
    imageId: image.imageId,
    derivative,
    original,
    thumbnail,
    keep: rule.keepMetadata,
    boxes: [...(redact ? found.faces : []), ...found.plates],
    derivativeWidth: standardize.width,
  });
  const compliance: complianceV1.ComplianceResult = {
    consentIds: verdict.consentIds,
    removedMetadata: cleared.removedMetadata,
    hadGps: cleared.hadGps,
    cleared: cleared.derivative,
    faces,
    plates,
    ...detectors,
    region: ruleRegion,
    peopleOutcome: decision.outcome,
    redactionMethod: redact || plates.length > 0 ? redaction.method : '',
    ...(cleared.thumbnail && { clearedThumbnail: cleared.thumbnail }),
    content,
  };
  const result: ComplianceStageResult = { decision: 'cleared', rule: decision.rule, ...compliance };
  return next(Topics.imageCleared, { image, quality: event.quality, standardize, compliance }, result);
}

function detectedRegion(face: FaceBox, redacted: boolean): complianceV1.DetectedRegion {
  return { x: face.x, y: face.y, width: face.width, height: face.height, score: face.score, redacted };
}

/** The cleared derivative and thumbnail: faces (when asked) and plates redacted, only `keep` metadata left. */
async function clearedImages(
  ctx: ComplianceContext,
  policy: ProjectPolicy,
  input: {
    imageId: string;
    derivative: Buffer;
    original: Buffer;
    thumbnail: Buffer | undefined;
    keep: ProjectPolicy['compliance']['regions'][string]['keepMetadata'];
    boxes: FaceBox[];
    derivativeWidth: number;
  },
) {
  const { people } = ctx;
  const { method, marginRatio } = policy.compliance.redaction;
  const quality = policy.standardize.quality;
  // The thumbnail is the derivative scaled down: the same boxes, scaled by the width of the pixels
  // being redacted over the derivative's (1 for the derivative itself).
  const redact =
    input.boxes.length === 0
      ? undefined
      : (pixels: Parameters<typeof people.redact>[0]) => {
          const scale = input.derivativeWidth > 0 ? pixels.width / input.derivativeWidth : 1;
          people.redact(
            pixels,
            input.boxes.map((face) => ({
              ...face,
              x: face.x * scale,
              y: face.y * scale,
              width: face.width * scale,
              height: face.height * scale,
            })),
            { method, marginRatio },
          );
        };
  const derivative = await clearMetadata(input.derivative, input.original, quality, {
    keep: input.keep,
    transformPixels: redact,
  });
  const stored = await ctx.blobs.put(
    `cleared/${input.imageId}.${derivative.extension}`,
    derivative.bytes,
    derivative.contentType,
  );
  let thumbnail: complianceV1.ComplianceResult['clearedThumbnail'];
  if (input.thumbnail) {
    const clearedThumbnail = await clearMetadata(input.thumbnail, input.original, quality, {
      transformPixels: redact,
    });
    const storedThumbnail = await ctx.blobs.put(
      `cleared/${input.imageId}.thumb.${clearedThumbnail.extension}`,
      clearedThumbnail.bytes,
      clearedThumbnail.contentType,
    );
    thumbnail = blobRef(storedThumbnail, clearedThumbnail.contentType);
  }
  return {
    derivative: blobRef(stored, derivative.contentType),
    thumbnail,
    removedMetadata: derivative.removedMetadata,
    hadGps: derivative.hadGps,
  };
}

function auditDetail(decision: ComplianceStageResult): string {
  if (decision.decision === 'rejected')
    return decision.reasons.map((reason) => `${reason.code}: ${reason.message}`).join('; ');
  const faces = decision.faces.length;
  const boxes = (regions: complianceV1.DetectedRegion[]) =>
    regions
      .map(
        (r) =>
          `[${Math.round(r.x)},${Math.round(r.y)},${Math.round(r.width)},${Math.round(r.height)} ${r.score.toFixed(2)}]`,
      )
      .join(' ');
  return [
    `${faces} face(s) ${decision.peopleOutcome === 'redacted' ? `redacted (${decision.redactionMethod})` : decision.peopleOutcome === 'allowed' ? 'kept under consent' : 'none'}${faces ? ` ${boxes(decision.faces)}` : ''}`,
    `detector ${decision.detector}`,
    `${decision.plates.length} plate(s)${decision.plates.length ? ` redacted ${boxes(decision.plates)}` : ''}`,
    `plate detector ${decision.plateDetector || 'off'}`,
    `removed ${decision.removedMetadata.join(', ') || 'nothing'}`,
    `consents ${decision.consentIds.join(', ') || 'none'}`,
  ].join('; ');
}
