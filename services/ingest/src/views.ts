import type { CoverageCheck } from '@aperture/diversity';
import type {
  CampaignUploadRecord,
  ImageRecord,
  ImageStatus,
  ProjectRecord,
  RawBlob,
  StoredReason,
} from '@aperture/persistence';
import type { ProjectPolicy } from '@aperture/policy';
import { storedPolicy } from '@aperture/policy';
import { type BatchCounts, type BatchState, batchState } from './domain/batch-status';
import type { BatchRecord } from './models';

/** The JSON shapes of the REST API (services/README.md); gRPC maps from the same views. */
export interface BatchView {
  batchId: string;
  projectId: string;
  state: BatchState;
  idempotencyKey: string | null;
  declarations: { region: string; consentIds: string[] };
  createdAt: string;
  closedAt: string | null;
  counts: BatchCounts;
  /** What the batch's cleared images show, against the project's content targets (issue 24). */
  content: BatchContentView;
}

/** The images compliance counted into the batch's content coverage, and each content target held or not. */
export interface BatchContentView {
  images: number;
  targets: CoverageCheck[];
}

export interface ImageView {
  imageId: string;
  batchId: string;
  projectId: string;
  filename: string;
  status: ImageStatus;
  stage: string;
  reasons: StoredReason[];
  raw: RawBlob;
  receivedAt: string;
  stages: Record<string, unknown>;
  /** Set for an upload to a collection campaign: the campaign, its collector, the declared attributes. */
  campaign?: CampaignUploadRecord;
  /** Set when the upload asked for the quality verdict synchronously (?verdict=sync). */
  verdict?: VerdictView;
}

/** The quality stage's verdict on an upload, as its Assess gave it (what the stage will decide). */
export interface VerdictView {
  accepted: boolean;
  reasons: StoredReason[];
  /** The measured scores (qualityV1.QualityResult as JSON); absent when the image did not decode. */
  result?: unknown;
  /** Set instead when quality did not answer in time: the image still goes through the pipeline. */
  error?: string;
}

export interface ProjectView {
  projectId: string;
  name: string;
  policy: ProjectPolicy;
  createdAt: string;
  updatedAt: string;
}

export function toBatchView(
  batch: BatchRecord,
  counts: BatchCounts,
  content: BatchContentView,
  countedAll = true,
): BatchView {
  return {
    batchId: batch._id,
    projectId: batch.projectId,
    state: batchState(batch.state, counts, countedAll),
    idempotencyKey: batch.idempotencyKey ?? null,
    declarations: {
      region: batch.declarations?.region ?? '',
      consentIds: [...(batch.declarations?.consentIds ?? [])],
    },
    createdAt: new Date(batch.createdAt).toISOString(),
    closedAt: batch.closedAt ? new Date(batch.closedAt).toISOString() : null,
    counts,
    content,
  };
}

export function toImageView(record: ImageRecord): ImageView {
  return {
    imageId: record._id,
    batchId: record.batchId,
    projectId: record.projectId,
    filename: record.filename,
    status: record.status,
    stage: record.stage,
    reasons: (record.reasons ?? []).map(({ code, message }) => ({ code, message })),
    raw: {
      key: record.raw.key,
      contentType: record.raw.contentType,
      sizeBytes: record.raw.sizeBytes,
      sha256: record.raw.sha256,
    },
    receivedAt: new Date(record.receivedAt).toISOString(),
    stages: record.stages ?? {},
    ...(record.campaign && {
      campaign: {
        campaignId: record.campaign.campaignId,
        collectorId: record.campaign.collectorId,
        category: record.campaign.category,
        setting: record.campaign.setting,
        tags: [...record.campaign.tags],
      },
    }),
  };
}

export function toProjectView(project: ProjectRecord): ProjectView {
  return {
    projectId: project._id,
    name: project.name,
    policy: storedPolicy(project.policy),
    createdAt: new Date(project.createdAt).toISOString(),
    updatedAt: new Date(project.updatedAt).toISOString(),
  };
}
