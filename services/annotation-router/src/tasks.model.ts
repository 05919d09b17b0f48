import type { commonV1 } from '@aperture/contracts';
import { type Connection, type Model, Schema } from 'mongoose';

export type TaskKind = 'annotate' | 'review' | 'gold';

/**
 * One unit of work for one annotator. Ids are deterministic (`tsk_<image>_<slot>`,
 * `rev_<image>`, `gold_<image>_<annotator hash>`), so a redelivered event cannot create a second.
 * `cleared` is the ImageCleared event (base64) the curated record is built from.
 */
export interface TaskDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  imageId: string;
  batchId: string;
  /** The project's task type (classification, bbox, polygon, keypoints, tracking). */
  taskType: string;
  kind: TaskKind;
  /** Which of the `overlap` independent annotations (annotate), else 0. */
  slot: number;
  pools: string[];
  priority: number;
  state: 'pending' | 'leased' | 'done';
  /** Raised by every lease; the lease is the unique claim `<task>#<generation>` in task_leases. */
  leaseGeneration: number;
  leaseExpiresAt: Date | null;
  annotatorId: string;
  image: commonV1.BlobRef;
  width: number;
  height: number;
  region: string;
  /** Tracking: the sequence (batch) and the frame's place in it (file name); '' otherwise. */
  sequenceId: string;
  sequenceKey: string;
  cleared: string;
  resultJson: string;
  /** Review: the annotations that disagreed, the merged one and its agreement. */
  candidatesJson: string;
  mergedJson: string;
  agreement: number;
  createdAt: Date;
  doneAt: Date | null;
}

const taskSchema = new Schema<TaskDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    imageId: { type: String, required: true },
    batchId: { type: String, default: '' },
    taskType: { type: String, required: true },
    kind: { type: String, required: true, enum: ['annotate', 'review', 'gold'] },
    slot: { type: Number, default: 0 },
    pools: { type: [String], default: [] },
    priority: { type: Number, default: 0 },
    state: { type: String, required: true, enum: ['pending', 'leased', 'done'] },
    leaseGeneration: { type: Number, default: 0 },
    leaseExpiresAt: { type: Date, default: null },
    annotatorId: { type: String, default: '' },
    image: { type: Schema.Types.Mixed, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
    region: { type: String, default: '' },
    sequenceId: { type: String, default: '' },
    sequenceKey: { type: String, default: '' },
    cleared: { type: String, default: '' },
    resultJson: { type: String, default: '' },
    candidatesJson: { type: String, default: '' },
    mergedJson: { type: String, default: '' },
    agreement: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
  },
  { collection: 'tasks', versionKey: false, minimize: false },
);
taskSchema.index({ imageId: 1 }, { name: 'image' });
taskSchema.index(
  { tenantId: 1, projectId: 1, kind: 1, state: 1, priority: -1, createdAt: 1 },
  { name: 'lease_queue' },
);

/** A lease: inserting `<task>#<generation>` is the claim only one annotator can win. */
export interface LeaseDoc {
  _id: string;
  taskId: string;
  tenantId: string;
  projectId: string;
  annotatorId: string;
  kind: TaskKind;
  at: Date;
}
const leaseSchema = new Schema<LeaseDoc>(
  {
    _id: { type: String, required: true },
    taskId: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    annotatorId: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'task_leases', versionKey: false },
);
leaseSchema.index({ tenantId: 1, projectId: 1, annotatorId: 1 }, { name: 'annotator' });

/** A task's one result: its _id is the task id, so a second submission cannot be stored. */
export interface ResultDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  imageId: string;
  kind: TaskKind;
  annotatorId: string;
  annotationJson: string;
  rejected: boolean;
  at: Date;
}
const resultSchema = new Schema<ResultDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    imageId: { type: String, required: true },
    kind: { type: String, required: true },
    annotatorId: { type: String, required: true },
    annotationJson: { type: String, default: '' },
    rejected: { type: Boolean, default: false },
    at: { type: Date, required: true },
  },
  { collection: 'task_results', versionKey: false, minimize: false },
);
resultSchema.index({ imageId: 1, kind: 1 }, { name: 'image_kind' });

/** The accepted (or rejected) annotation of an image: one per image, by its _id. */
export interface DecisionDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  outcome: 'accepted' | 'rejected';
  /** single (overlap 1), consensus, or review. */
  source: 'single' | 'consensus' | 'review';
  annotationJson: string;
  agreement: number;
  annotators: string[];
  reviewer: string;
  at: Date;
}
const decisionSchema = new Schema<DecisionDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    outcome: { type: String, required: true },
    source: { type: String, required: true },
    annotationJson: { type: String, default: '' },
    agreement: { type: Number, required: true },
    annotators: { type: [String], default: [] },
    reviewer: { type: String, default: '' },
    at: { type: Date, required: true },
  },
  { collection: 'annotation_decisions', versionKey: false, minimize: false },
);
decisionSchema.index({ tenantId: 1, projectId: 1 }, { name: 'project' });

/** An image with a known answer, handed out as gold tasks. */
export interface GoldDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  taskType: string;
  answerJson: string;
  image: commonV1.BlobRef;
  width: number;
  height: number;
  at: Date;
}
const goldSchema = new Schema<GoldDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    taskType: { type: String, required: true },
    answerJson: { type: String, required: true },
    image: { type: Schema.Types.Mixed, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'gold_items', versionKey: false, minimize: false },
);
goldSchema.index({ tenantId: 1, projectId: 1 }, { name: 'project' });

/** One scored gold result (its _id is the gold task's id). */
export interface ScoreDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  annotatorId: string;
  imageId: string;
  score: number;
  at: Date;
}
const scoreSchema = new Schema<ScoreDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    annotatorId: { type: String, required: true },
    imageId: { type: String, required: true },
    score: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'annotator_scores', versionKey: false },
);
scoreSchema.index({ tenantId: 1, projectId: 1, annotatorId: 1 }, { name: 'annotator' });

export interface AnnotationModels {
  tasks: Model<TaskDoc>;
  leases: Model<LeaseDoc>;
  results: Model<ResultDoc>;
  decisions: Model<DecisionDoc>;
  gold: Model<GoldDoc>;
  scores: Model<ScoreDoc>;
}

function model<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);
}

export function annotationModels(connection: Connection): AnnotationModels {
  return {
    tasks: model(connection, 'AnnotationTask', taskSchema),
    leases: model(connection, 'AnnotationLease', leaseSchema),
    results: model(connection, 'AnnotationResult', resultSchema),
    decisions: model(connection, 'AnnotationDecision', decisionSchema),
    gold: model(connection, 'AnnotationGold', goldSchema),
    scores: model(connection, 'AnnotatorScore', scoreSchema),
  };
}
