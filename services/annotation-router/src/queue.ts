import { ApiError } from '@aperture/runtime';
import { createHash } from 'node:crypto';
import { complianceV1, Topics } from '@aperture/contracts';
import { DuplicateKeyError } from '@aperture/persistence';
import { type AnnotationPolicy, type ProjectPolicy } from '@aperture/policy';
import { completeStage, pendingEvent, rejection, type StageContext } from '@aperture/stage-runtime';
import { curatedEvent, imageSize } from './curated';
import { goldScore, mergeAnnotations, type Submitted } from './domain/consensus';
import { annotationFromJson, annotationToJson, validateResult } from './domain/labels';
import { goldDue, leaseExpiry, poolsFor, submitCheck } from './domain/tasks';
import { type AnnotationModels, annotationModels, type DecisionDoc, type TaskDoc } from './tasks.model';

export type Clock = () => Date;

export interface LeaseRequest {
  tenantId: string;
  projectId?: string;
  annotatorId: string;
  /** '' = "default". */
  pool?: string;
  /** A task type, or 'review' for the review queue; '' = any annotation task. */
  taskType?: string;
  /** 0 = the project's leaseSeconds. */
  leaseSeconds?: number;
}

export interface SubmitRequest {
  tenantId: string;
  /** When set, the task must belong to this project. */
  projectId?: string;
  taskId: string;
  annotatorId: string;
  /** The result in its JSON form (already parsed): {"labels": [...]}, or {"reject": true} for a review. */
  result: unknown;
}

export type SubmitOutcome = 'waiting' | 'accepted' | 'review' | 'rejected' | 'scored';

export interface SubmitAnswer {
  task: TaskDoc;
  outcome: SubmitOutcome;
  agreement: number;
}

const ANNOTATOR_ID = /^[\w.@:-]{1,128}$/;
const POOL = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;
const CANDIDATES = 50;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The annotation-router's context: the stage's, with its one task queue (built in stage.ts). */
export type AnnotationContext = StageContext & { queue: TaskQueue };

/**
 * The task queues of the annotation-router: tasks per project, task type and pool, leased by
 * priority then age; a lease is the insert of `<task>#<generation>` into a unique index (never a
 * conditional update, which FerretDB does not make atomic), and a lease that ran out puts the task
 * back in its queue. Results are validated against the project's label schema; `overlap`
 * results are merged by consensus; low agreement goes to the review queue; gold tasks score
 * annotators. An accepted annotation curates the image (its record and event in one update).
 */
export class TaskQueue {
  readonly models: AnnotationModels;

  constructor(
    private readonly ctx: StageContext,
    private readonly clock: Clock = () => new Date(),
  ) {
    this.models = annotationModels(ctx.pipeline.connection);
  }

  /** The tasks of a cleared image: `overlap` independent ones, routed by its region. Idempotent. */
  async createTasks(cleared: complianceV1.ImageCleared, policy: ProjectPolicy): Promise<string[]> {
    const image = cleared.image!;
    const output = cleared.compliance!.cleared!;
    const annotation = policy.annotation;
    const region = image.declarations?.region ?? '';
    const size = imageSize(cleared);
    const tracking = annotation.taskType === 'tracking';
    const ids: string[] = [];
    for (let slot = 0; slot < annotation.overlap; slot += 1) {
      const taskId = `tsk_${image.imageId}_${slot}`;
      ids.push(taskId);
      await this.insertTask({
        _id: taskId,
        tenantId: image.tenantId,
        projectId: image.projectId,
        imageId: image.imageId,
        batchId: image.batchId,
        taskType: annotation.taskType,
        kind: 'annotate',
        slot,
        pools: poolsFor(annotation, region),
        priority: annotation.priority,
        state: 'pending',
        leaseGeneration: 0,
        leaseExpiresAt: null,
        annotatorId: '',
        image: output,
        width: size.width,
        height: size.height,
        region,
        sequenceId: tracking ? image.batchId : '',
        sequenceKey: tracking ? image.filename : '',
        cleared: Buffer.from(complianceV1.ImageCleared.encode(cleared).finish()).toString('base64'),
        resultJson: '',
        candidatesJson: '',
        mergedJson: '',
        agreement: 0,
        createdAt: this.clock(),
        doneAt: null,
      });
    }
    return ids;
  }

  /** Leases the next task of the annotator's queue, or null when it is empty. */
  async lease(request: LeaseRequest): Promise<TaskDoc | null> {
    const { tenantId, projectId, annotatorId } = request;
    if (!tenantId) throw new ApiError('invalid_request', 'tenant_id is required');
    if (!ANNOTATOR_ID.test(annotatorId ?? ''))
      throw new ApiError('invalid_request', 'annotatorId must be 1..128 letters, digits or _ . @ : -');
    const pool = request.pool || 'default';
    if (!POOL.test(pool))
      throw new ApiError('invalid_request', `pool ${JSON.stringify(pool)} is not a pool name`);
    const taskType = request.taskType ?? '';
    if (
      taskType &&
      !['classification', 'bbox', 'polygon', 'keypoints', 'tracking', 'review'].includes(taskType)
    )
      throw new ApiError('invalid_request', `taskType ${JSON.stringify(taskType)} is not a task type`);
    const policy = projectId ? await this.ctx.policies.get(tenantId, projectId) : null;
    if (projectId && !policy)
      throw new ApiError('not_found', `project ${JSON.stringify(projectId)} not found`);
    const now = this.clock();

    if (policy && taskType !== 'review' && policy.annotation.goldRatio > 0) {
      const leased = await this.models.leases.countDocuments({ tenantId, projectId, annotatorId }).exec();
      if (goldDue(leased, policy.annotation.goldRatio)) {
        const gold = await this.leaseGold(request, policy.annotation, pool, now);
        if (gold) return gold;
      }
    }

    const review = taskType === 'review';
    const candidates = await this.models.tasks
      .find({
        tenantId,
        ...(projectId && { projectId }),
        kind: review ? 'review' : 'annotate',
        ...(taskType && !review && { taskType }),
        pools: pool,
        $or: [{ state: 'pending' }, { state: 'leased', leaseExpiresAt: { $lte: now } }],
      })
      .sort({ priority: -1, sequenceId: 1, sequenceKey: 1, createdAt: 1, _id: 1 })
      .limit(CANDIDATES)
      .lean<TaskDoc[]>()
      .exec();
    for (const candidate of candidates) {
      // Independent annotations: never two of one image for the same annotator.
      if (!review && (await this.touched(candidate.imageId, annotatorId, candidate._id))) continue;
      const leased = await this.claim(candidate, request, now);
      if (leased) return leased;
    }
    return null;
  }

  /** Claims a task's next lease generation; null when another annotator won it or it is done. */
  private async claim(task: TaskDoc, request: LeaseRequest, now: Date): Promise<TaskDoc | null> {
    const generation = task.leaseGeneration + 1;
    try {
      await this.models.leases.create({
        _id: `${task._id}#${generation}`,
        taskId: task._id,
        tenantId: task.tenantId,
        projectId: task.projectId,
        annotatorId: request.annotatorId,
        kind: task.kind,
        at: now,
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) return null;
      throw error;
    }
    if (await this.models.results.exists({ _id: task._id }).exec()) {
      // Its result came in meanwhile (from the lease before): the task is done, not leasable.
      await this.models.tasks.updateOne({ _id: task._id }, { $set: { state: 'done' } }).exec();
      return null;
    }
    if (task.kind !== 'gold' && (await this.withdrawn(task.imageId))) {
      // Stopped (its consent revoked) or erased since the task was queued: no one may see it now.
      await this.models.tasks.updateOne({ _id: task._id }, { $set: { state: 'done' } }).exec();
      return null;
    }
    const policy = await this.ctx.policies.get(task.tenantId, task.projectId);
    const seconds = request.leaseSeconds || policy?.annotation.leaseSeconds || 0;
    const update = {
      state: 'leased' as const,
      leaseGeneration: generation,
      annotatorId: request.annotatorId,
      leaseExpiresAt: leaseExpiry(now, seconds),
    };
    await this.models.tasks.updateOne({ _id: task._id }, { $set: update }).exec();
    return { ...task, ...update };
  }

  private async touched(imageId: string, annotatorId: string, except: string): Promise<boolean> {
    const [task, result] = await Promise.all([
      this.models.tasks.exists({ imageId, annotatorId, _id: { $ne: except } }).exec(),
      this.models.results.exists({ imageId, annotatorId }).exec(),
    ]);
    return task !== null || result !== null;
  }

  /** A gold task of an image with a known answer this annotator has not seen, leased to them. */
  private async leaseGold(
    request: LeaseRequest,
    policy: AnnotationPolicy,
    pool: string,
    now: Date,
  ): Promise<TaskDoc | null> {
    const items = await this.models.gold
      .find({ tenantId: request.tenantId, projectId: request.projectId })
      .sort({ at: 1 })
      .limit(CANDIDATES)
      .lean()
      .exec();
    for (const item of items) {
      if (await this.touched(item._id, request.annotatorId, '')) continue;
      const task: TaskDoc = {
        _id: `gold_${item._id}_${hash(request.annotatorId)}`,
        tenantId: item.tenantId,
        projectId: item.projectId,
        imageId: item._id,
        batchId: '',
        taskType: item.taskType,
        kind: 'gold',
        slot: 0,
        pools: [pool],
        priority: policy.priority,
        state: 'pending',
        leaseGeneration: 0,
        leaseExpiresAt: null,
        annotatorId: request.annotatorId,
        image: item.image,
        width: item.width,
        height: item.height,
        region: '',
        sequenceId: '',
        sequenceKey: '',
        cleared: '',
        resultJson: '',
        candidatesJson: '',
        mergedJson: '',
        agreement: 0,
        createdAt: now,
        doneAt: null,
      };
      if (!(await this.insertTask(task))) continue;
      const leased = await this.claim(task, request, now);
      if (leased) return leased;
    }
    return null;
  }

  /** Stores a result of the annotator's leased task, and moves the image on when it can. */
  async submit(request: SubmitRequest): Promise<SubmitAnswer> {
    const { tenantId, taskId, annotatorId } = request;
    if (!tenantId || !taskId || !annotatorId)
      throw new ApiError('invalid_request', 'tenant_id, task_id and annotator_id are required');
    const task = await this.models.tasks
      .findOne({ _id: taskId, tenantId, ...(request.projectId && { projectId: request.projectId }) })
      .lean<TaskDoc>()
      .exec();
    if (!task) throw new ApiError('not_found', `task ${JSON.stringify(taskId)} not found`);
    const stored = await this.models.results.findById(taskId).lean().exec();
    const check = submitCheck(task, stored?.annotatorId, annotatorId);
    // A retry (or a call after a failure between writes): finish what the first call started.
    if (check === 'already_done') return this.afterResult({ ...task, state: 'done' });
    if (check !== 'ok') throw new ApiError(check.code, check.message);

    const policy = await this.ctx.policies.get(task.tenantId, task.projectId);
    if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(task.projectId)} not found`);
    const reject = task.kind === 'review' && isReject(request.result);
    let annotationJson = '';
    if (!reject) {
      const checked = validateResult(
        request.result,
        { ...policy.annotation, taskType: policy.annotation.taskType },
        { width: task.width, height: task.height },
      );
      if ('errors' in checked)
        throw new ApiError('invalid_request', 'the result does not fit the label schema', checked.errors);
      annotationJson = JSON.stringify(annotationToJson(checked.annotation));
    }
    const now = this.clock();
    try {
      await this.models.results.create({
        _id: taskId,
        tenantId,
        projectId: task.projectId,
        imageId: task.imageId,
        kind: task.kind,
        annotatorId,
        annotationJson,
        rejected: reject,
        at: now,
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError)
        throw new ApiError('conflict', 'the task already has a result; lease another');
      throw error;
    }
    await this.models.tasks
      .updateOne({ _id: taskId }, { $set: { state: 'done', resultJson: annotationJson, doneAt: now } })
      .exec();
    return this.afterResult({ ...task, state: 'done', resultJson: annotationJson, doneAt: now });
  }

  /** What a stored result leads to: a gold score, a wait, consensus, a review, a decision. */
  private async afterResult(task: TaskDoc): Promise<SubmitAnswer> {
    const policy = await this.ctx.policies.get(task.tenantId, task.projectId);
    if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(task.projectId)} not found`);
    const settings = { ...policy.annotation, taskType: policy.annotation.taskType };
    const size = { width: task.width, height: task.height };

    if (task.kind === 'gold') {
      const gold = await this.models.gold.findById(task.imageId).lean().exec();
      const result = await this.models.results.findById(task._id).lean().exec();
      const score = goldScore(
        annotationFromJson(gold!.answerJson),
        annotationFromJson(result!.annotationJson),
        settings,
        size,
      );
      await ignoreDuplicate(
        this.models.scores.create({
          _id: task._id,
          tenantId: task.tenantId,
          projectId: task.projectId,
          annotatorId: result!.annotatorId,
          imageId: task.imageId,
          score,
          at: this.clock(),
        }),
      );
      return { task, outcome: 'scored', agreement: score };
    }

    const existing = await this.models.decisions.findById(task.imageId).lean<DecisionDoc>().exec();
    if (existing) return this.apply(task, existing, false);

    if (task.kind === 'review') {
      const result = await this.models.results.findById(task._id).lean().exec();
      return this.decide(task, {
        outcome: result!.rejected ? 'rejected' : 'accepted',
        source: 'review',
        annotationJson: result!.annotationJson,
        agreement: task.agreement,
        annotators: [],
        reviewer: result!.annotatorId,
      });
    }

    const results = await this.models.results.find({ imageId: task.imageId, kind: 'annotate' }).lean().exec();
    if (results.length < policy.annotation.overlap) return { task, outcome: 'waiting', agreement: 0 };
    const submitted: Submitted[] = results
      .sort((a, b) => (a._id < b._id ? -1 : 1))
      .map((result) => ({
        annotatorId: result.annotatorId,
        annotation: annotationFromJson(result.annotationJson),
      }));
    const consensus =
      submitted.length === 1
        ? { merged: submitted[0]!.annotation, agreement: 1 }
        : mergeAnnotations(submitted, settings, size);
    const mergedJson = JSON.stringify(annotationToJson(consensus.merged));
    const annotators = submitted.map((result) => result.annotatorId);
    if (consensus.agreement >= policy.annotation.consensusThreshold || submitted.length === 1) {
      return this.decide(task, {
        outcome: 'accepted',
        source: submitted.length === 1 ? 'single' : 'consensus',
        annotationJson: mergedJson,
        agreement: consensus.agreement,
        annotators,
        reviewer: '',
      });
    }
    const source = await this.models.tasks.findById(task._id).lean<TaskDoc>().exec();
    await this.insertTask({
      ...(source ?? task),
      _id: `rev_${task.imageId}`,
      kind: 'review',
      slot: 0,
      state: 'pending',
      leaseGeneration: 0,
      leaseExpiresAt: null,
      annotatorId: '',
      resultJson: '',
      candidatesJson: JSON.stringify(submitted.map((result) => annotationToJson(result.annotation))),
      mergedJson,
      agreement: consensus.agreement,
      createdAt: this.clock(),
      doneAt: null,
    });
    return { task, outcome: 'review', agreement: consensus.agreement };
  }

  /** Records the image's decision (the first writer wins) and, if this call wrote it, applies it. */
  private async decide(
    task: TaskDoc,
    decision: Omit<DecisionDoc, '_id' | 'tenantId' | 'projectId' | 'at'>,
  ): Promise<SubmitAnswer> {
    const doc: DecisionDoc = {
      _id: task.imageId,
      tenantId: task.tenantId,
      projectId: task.projectId,
      at: this.clock(),
      ...decision,
    };
    try {
      await this.models.decisions.create(doc);
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      // Decided by a concurrent submission, which applies it.
      const winner = await this.models.decisions.findById(task.imageId).lean<DecisionDoc>().exec();
      return { task, outcome: winner!.outcome, agreement: winner!.agreement };
    }
    return this.apply(task, doc, true);
  }

  /** Curates (or rejects) the image per its decision; repeated calls change nothing. */
  private async apply(task: TaskDoc, decision: DecisionDoc, fresh: boolean): Promise<SubmitAnswer> {
    const answer: SubmitAnswer = { task, outcome: decision.outcome, agreement: decision.agreement };
    const record = await this.ctx.pipeline.records.get(task.imageId);
    if (!fresh && (record?.status === 'curated' || record?.status === 'rejected')) return answer;
    const source = task.cleared
      ? task
      : await this.models.tasks.findOne({ imageId: task.imageId, kind: 'annotate' }).lean<TaskDoc>().exec();
    const cleared = complianceV1.ImageCleared.decode(Buffer.from(source!.cleared, 'base64'));
    const policy = await this.ctx.policies.get(task.tenantId, task.projectId);
    if (decision.outcome === 'rejected') {
      await completeStage(
        this.ctx,
        task.imageId,
        'annotation',
        rejection(cleared.image!, 'annotation', [
          { code: 'annotation_rejected', message: `the reviewer ${decision.reviewer} rejected the image` },
        ]),
      );
      return answer;
    }
    const payload = curatedEvent(cleared, { decision, taskType: task.taskType, policy: policy! });
    await completeStage(this.ctx, task.imageId, 'annotation', {
      result: {
        taskType: task.taskType,
        source: decision.source,
        agreement: decision.agreement,
        annotators: decision.annotators,
        reviewer: decision.reviewer,
        annotation: JSON.parse(decision.annotationJson) as unknown,
      },
      status: 'curated',
      event: pendingEvent(Topics.imageCurated, task.imageId, payload),
    });
    if (policy && policy.annotation.goldRatio > 0) {
      await ignoreDuplicate(
        this.models.gold.create({
          _id: task.imageId,
          tenantId: task.tenantId,
          projectId: task.projectId,
          taskType: task.taskType,
          answerJson: decision.annotationJson,
          image: source!.image,
          width: source!.width,
          height: source!.height,
          at: this.clock(),
        }),
      );
    }
    return answer;
  }

  /** Leases up to `limit` tasks of a project at once, for an external tool (an export). */
  async leaseMany(request: LeaseRequest & { projectId: string }, limit: number): Promise<TaskDoc[]> {
    const leased: TaskDoc[] = [];
    while (leased.length < limit) {
      const task = await this.lease(request);
      if (!task) break;
      leased.push(task);
    }
    return leased;
  }

  /** The cleared derivative of a task, only for the annotator holding its lease. */
  async image(
    tenantId: string,
    taskId: string,
    annotatorId: string,
  ): Promise<{ bytes: Buffer; contentType: string }> {
    const task = await this.models.tasks.findOne({ _id: taskId, tenantId }).lean<TaskDoc>().exec();
    if (!task) throw new ApiError('not_found', `task ${JSON.stringify(taskId)} not found`);
    if (
      task.state !== 'leased' ||
      task.annotatorId !== annotatorId ||
      (task.leaseExpiresAt ?? new Date(0)) <= this.clock()
    )
      throw new ApiError(
        'failed_precondition',
        'the task is not leased by this annotator (or the lease ran out)',
      );
    if (task.kind !== 'gold' && (await this.withdrawn(task.imageId)))
      throw new ApiError(
        'not_found',
        'the image was withdrawn (rejected or erased) since the task was leased',
      );
    const bytes = await this.ctx.blobs.get(task.image.key);
    return { bytes, contentType: task.image.contentType };
  }

  /** Whether an image was rejected or erased (by a consent revocation or an erasure) while queued. */
  private async withdrawn(imageId: string): Promise<boolean> {
    const record = await this.ctx.pipeline.records.model
      .findById(imageId, { status: 1 })
      .lean<{ status: string }>()
      .exec();
    return record?.status === 'rejected' || record?.status === 'erased';
  }

  /** Per annotator of a project: gold tasks scored and their mean score. */
  async scores(
    tenantId: string,
    projectId: string,
  ): Promise<Array<{ annotatorId: string; goldTasks: number; meanScore: number }>> {
    const scores = await this.models.scores.find({ tenantId, projectId }).lean().exec();
    const by = new Map<string, number[]>();
    for (const score of scores)
      by.set(score.annotatorId, [...(by.get(score.annotatorId) ?? []), score.score]);
    return [...by.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([annotatorId, values]) => ({
        annotatorId,
        goldTasks: values.length,
        meanScore: values.reduce((sum, value) => sum + value, 0) / values.length,
      }));
  }

  /** Inserts a task unless one of that id exists; true when this call created it. */
  private async insertTask(task: TaskDoc): Promise<boolean> {
    try {
      await this.models.tasks.create(task);
      return true;
    } catch (error) {
      if (error instanceof DuplicateKeyError) return false;
      throw error;
    }
  }
}

function isReject(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { reject?: unknown }).reject === true;
}

async function ignoreDuplicate(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
  }
}
