// The console's calls: same origin, the session cookie (HttpOnly: this code never sees the key
// after sign-in), and the CSRF header on every request that changes something.

export const CSRF_HEADER = 'x-aperture-console';

export interface FieldError {
  field: string;
  message: string;
}

/** An API error answer: {"error": {"code", "message", "details"?}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: FieldError[] } };
    return new ApiError(
      response.status,
      body.error?.code ?? 'error',
      body.error?.message ?? response.statusText,
      Array.isArray(body.error?.details) ? body.error.details : [],
    );
  } catch {
    return new ApiError(response.status, 'error', text || response.statusText);
  }
}

export async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(method !== 'GET' && { [CSRF_HEADER]: '1' }),
      ...(body !== undefined && !(body instanceof FormData) && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: body instanceof FormData ? body : JSON.stringify(body) }),
  });
  if (!response.ok) throw await errorOf(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export type Role = 'client' | 'annotator';
export interface Session {
  tenantId: string;
  role: Role;
  /** An annotator session's own annotator (signed in with its annotator token). */
  annotatorId?: string;
}

export interface Reason {
  code: string;
  message: string;
}

export interface BatchCounts {
  uploaded: number;
  processing: number;
  pendingAnnotation: number;
  curated: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
}

export interface Batch {
  batchId: string;
  projectId: string;
  state: 'open' | 'closed' | 'complete';
  createdAt: string;
  closedAt: string | null;
  counts: BatchCounts;
  processingByStage: Record<string, number>;
}

export type ImageStatus = 'processing' | 'pending_annotation' | 'curated' | 'rejected';

export interface Image {
  imageId: string;
  batchId: string;
  projectId: string;
  filename: string;
  status: ImageStatus;
  stage: string;
  reasons: Reason[];
  raw: { key: string; contentType: string; sizeBytes: number; sha256: string };
  receivedAt: string;
  stages: Record<string, unknown>;
}

export interface ThresholdCheck {
  reason: string;
  metric: string;
  value: number | null;
  setting: string;
  threshold: number;
  bound: 'min' | 'max';
  passed: boolean | null;
}

export interface ImageDetail extends Image {
  checks: ThresholdCheck[];
  duplicateOf: string | null;
  lineage: { raw: string; derivative: string | null; thumbnail: string | null; cleared: string | null };
  traceId: string | null;
  traceUrl: string | null;
  canSeeRaw: boolean;
}

export interface AuditEntry {
  at: string;
  imageId: string;
  action: string;
  detail: string;
}

export type Policy = Record<string, Record<string, unknown>>;

export interface Project {
  projectId: string;
  name: string;
  policy: Policy;
  createdAt: string;
  updatedAt: string;
}

export interface Task {
  taskId: string;
  projectId: string;
  imageId: string;
  kind: string;
  taskType: string;
  annotatorId: string;
  width: number;
  height: number;
  leaseExpiresAt: string | null;
  schema?: { classes: string[] };
}

export interface Bin {
  label: string;
  count: number;
}

export const imageUrl = (imageId: string, kind: 'thumbnail' | 'after' | 'raw') =>
  `/console/api/images/${encodeURIComponent(imageId)}/${kind}`;

export const taskImageUrl = (task: Pick<Task, 'taskId' | 'annotatorId'>) =>
  `/console/api/tasks/${encodeURIComponent(task.taskId)}/image?annotatorId=${encodeURIComponent(task.annotatorId)}`;

/** A quota cell of a campaign (services/campaigns/README.md); '' / [] = any. */
export interface CampaignCell {
  cellId: string;
  category: string;
  region: string;
  timeOfDay: string;
  setting: string;
  device: string;
  orientation: string;
  tags: string[];
  target: number;
  /** 0: none (full at its target). */
  cap: number;
  curated: number;
  full: boolean;
  /** Its dimensions in words, "any image" when it sets none (campaigns' cellLabel). */
  label: string;
}

export interface Campaign {
  campaignId: string;
  projectId: string;
  name: string;
  state: 'open' | 'complete' | 'closed';
  deadline: string;
  cells: CampaignCell[];
  counted: number;
  surplus: number;
  target: number;
  achieved: number;
}

export interface CollectorStats {
  collectorId: string;
  name: string;
  state: string;
  uploaded: number;
  curated: number;
  rejected: number;
  inFlight: number;
  acceptanceRate: number | null;
  duplicateRate: number | null;
  rejectionReasons: Record<string, number>;
  annotatorAgreement: number | null;
  flagged: boolean;
}
