import { createHash } from 'node:crypto';
import { type complianceV1, curatedV1 } from '@aperture/contracts';
import type { ProjectPolicy } from '@aperture/policy';
import { splitOf } from './domain/split';
import type { DecisionDoc } from './tasks.model';
import { annotationMessage } from './views';

export const COORDINATE_CONVENTION = 'pixel-xywh-top-left';

const SPLITS = {
  train: curatedV1.Split.SPLIT_TRAIN,
  val: curatedV1.Split.SPLIT_VAL,
  test: curatedV1.Split.SPLIT_TEST,
} as const;

export interface CuratedInput {
  /** The accepted annotation and how it came about; absent for a project that needs none. */
  decision?: Pick<DecisionDoc, 'annotationJson' | 'source' | 'agreement' | 'annotators' | 'reviewer'>;
  taskType?: string;
  policy: ProjectPolicy;
  /** RFC 3339; now by default. */
  curatedAt?: string;
}

/** The derivative's size: the frame of every label coordinate. */
export function imageSize(cleared: complianceV1.ImageCleared): { width: number; height: number } {
  const width = cleared.standardize?.width || cleared.quality?.width || 0;
  const height = cleared.standardize?.height || cleared.quality?.height || 0;
  return { width, height };
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Each policy section's version: the first 16 hex digits of SHA-256 of its canonical JSON. */
export function policyVersions(policy: ProjectPolicy): Record<string, string> {
  return Object.fromEntries(
    Object.entries(policy).map(([section, value]) => [
      section,
      createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16),
    ]),
  );
}

/** The curated record of a cleared image: everything a downstream team needs to train on it. */
export function curatedRecord(
  cleared: complianceV1.ImageCleared,
  input: CuratedInput,
): curatedV1.ImageCurated {
  const image = cleared.image!;
  const size = imageSize(cleared);
  const { decision, policy } = input;
  return {
    image,
    quality: cleared.quality,
    standardize: cleared.standardize,
    compliance: cleared.compliance,
    output: cleared.compliance?.cleared,
    annotationJson: decision?.annotationJson ?? '',
    curatedAt: input.curatedAt ?? new Date().toISOString(),
    labels: annotationMessage(decision?.annotationJson ?? ''),
    coordinateConvention: COORDINATE_CONVENTION,
    split: SPLITS[splitOf(image.imageId, policy.dataset)],
    width: size.width,
    height: size.height,
    lineage: {
      batchId: image.batchId,
      stages: [
        'ingest',
        ...(cleared.quality ? ['quality'] : []),
        ...(cleared.standardize ? ['standardize'] : []),
        'compliance',
        'annotation-router',
        ...(decision ? ['annotation'] : []),
      ],
      operations: cleared.standardize?.operations ?? [],
      policyVersions: policyVersions(policy),
      rawSha256: image.raw?.checksum?.hex ?? '',
    },
    complianceFacts: {
      consentIds: cleared.compliance?.consentIds ?? [],
      region: image.declarations?.region ?? '',
      removedMetadata: cleared.compliance?.removedMetadata ?? [],
      hadGps: cleared.compliance?.hadGps ?? false,
      // What compliance redacted in the output (the detected face boxes; the pixels changed
      // extend past them by the project's redaction margin).
      redactions: (cleared.compliance?.faces ?? [])
        .filter((face) => face.redacted)
        .map(({ x, y, width, height }) => ({ kind: 'face', region: { x, y, width, height } })),
    },
    annotation: {
      taskType: decision ? (input.taskType ?? policy.annotation.taskType) : '',
      source: decision?.source ?? 'none',
      agreement: decision?.agreement ?? 0,
      annotators: decision?.annotators ?? [],
      reviewer: decision?.reviewer ?? '',
    },
  };
}

export function curatedEvent(cleared: complianceV1.ImageCleared, input: CuratedInput): Uint8Array {
  return curatedV1.ImageCurated.encode(curatedRecord(cleared, input)).finish();
}
