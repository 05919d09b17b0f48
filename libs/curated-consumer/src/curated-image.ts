import { bucketsOf } from '@aperture/diversity';
import { annotationV1, curatedV1 } from '@aperture/contracts';

export type Split = 'train' | 'val' | 'test';

/** A box in the convention "pixel-xywh-top-left": pixels of the image, origin top-left, y down. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Label {
  className: string;
  box?: Box;
  polygon?: Array<{ x: number; y: number }>;
  keypoints?: Array<{ name: string; x: number; y: number; visible: boolean }>;
  attributes: Record<string, string>;
  trackId?: string;
}

/** One curated image, as a downstream team trains on it. */
export interface CuratedImage {
  imageId: string;
  tenantId: string;
  projectId: string;
  batchId: string;
  filename: string;
  split: Split;
  /** The image to train on: its blob-store key, media type, size and SHA-256. */
  image: {
    key: string;
    contentType: string;
    sizeBytes: number;
    sha256: string;
    width: number;
    height: number;
  };
  /** Empty for a project that needs no annotation. */
  labels: Label[];
  coordinateConvention: string;
  annotation: { taskType: string; source: string; agreement: number; annotators: string[]; reviewer: string };
  lineage: {
    stages: string[];
    operations: Array<{ name: string; params: Record<string, string> }>;
    policyVersions: Record<string, string>;
    rawSha256: string;
  };
  compliance: {
    consentIds: string[];
    region: string;
    removedMetadata: string[];
    hadGps: boolean;
    redactions: Array<{ kind: string; region?: Box }>;
  };
  /**
   * What the image shows, one bucket per descriptor axis (libs/diversity: timeOfDay, place,
   * backlight, viewpoint, distance, occlusion, content); null for an image cleared before content
   * descriptors existed. The descriptors themselves: record.compliance.content.
   */
  content: Record<string, string> | null;
  curatedAt: string;
  /** The full protobuf record, for anything not lifted into this view. */
  record: curatedV1.ImageCurated;
}

const SPLITS: Partial<Record<curatedV1.Split, Split>> = {
  [curatedV1.Split.SPLIT_TRAIN]: 'train',
  [curatedV1.Split.SPLIT_VAL]: 'val',
  [curatedV1.Split.SPLIT_TEST]: 'test',
};

export class CuratedDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CuratedDecodeError';
  }
}

function label(message: annotationV1.Label): Label {
  return {
    className: message.className,
    ...(message.box && { box: { ...message.box } }),
    ...(message.polygon.length > 0 && { polygon: message.polygon.map(({ x, y }) => ({ x, y })) }),
    ...(message.keypoints.length > 0 && { keypoints: message.keypoints.map((point) => ({ ...point })) }),
    attributes: { ...message.attributes },
    ...(message.trackId && { trackId: message.trackId }),
  };
}

/** Decodes one message of the curated topic (aperture.image.curated.v1) into a typed view. */
export function decodeCurated(bytes: Uint8Array): CuratedImage {
  let record: curatedV1.ImageCurated;
  try {
    record = curatedV1.ImageCurated.decode(bytes);
  } catch (error) {
    throw new CuratedDecodeError(`not an ImageCurated record: ${(error as Error).message}`);
  }
  const image = record.image;
  const output = record.output;
  const split = SPLITS[record.split];
  if (!image?.imageId || !output?.key || !split)
    throw new CuratedDecodeError('the record lacks its image id, its output or its split');
  return {
    imageId: image.imageId,
    tenantId: image.tenantId,
    projectId: image.projectId,
    batchId: image.batchId,
    filename: image.filename,
    split,
    image: {
      key: output.key,
      contentType: output.contentType,
      sizeBytes: Number(output.sizeBytes),
      sha256: output.checksum?.hex ?? '',
      width: record.width,
      height: record.height,
    },
    labels: (record.labels?.labels ?? []).map(label),
    coordinateConvention: record.coordinateConvention,
    annotation: {
      taskType: record.annotation?.taskType ?? '',
      source: record.annotation?.source ?? 'none',
      agreement: record.annotation?.agreement ?? 0,
      annotators: record.annotation?.annotators ?? [],
      reviewer: record.annotation?.reviewer ?? '',
    },
    lineage: {
      stages: record.lineage?.stages ?? [],
      operations: (record.lineage?.operations ?? []).map(({ name, params }) => ({
        name,
        params: { ...params },
      })),
      policyVersions: { ...record.lineage?.policyVersions },
      rawSha256: record.lineage?.rawSha256 ?? '',
    },
    compliance: {
      consentIds: record.complianceFacts?.consentIds ?? [],
      region: record.complianceFacts?.region ?? '',
      removedMetadata: record.complianceFacts?.removedMetadata ?? [],
      hadGps: record.complianceFacts?.hadGps ?? false,
      redactions: (record.complianceFacts?.redactions ?? []).map(({ kind, region }) => ({
        kind,
        ...(region && { region: { ...region } }),
      })),
    },
    content: record.compliance?.content ? bucketsOf(record.compliance.content) : null,
    curatedAt: record.curatedAt,
    record,
  };
}
