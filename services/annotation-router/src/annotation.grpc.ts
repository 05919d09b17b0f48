import { annotationV1, complianceV1, Topics } from '@aperture/contracts';
import { grpcError } from '@aperture/runtime';
import { completeStage, pendingEvent, type StageContext } from '@aperture/stage-runtime';
import { status } from '@grpc/grpc-js';
import { curatedEvent } from './annotation.consumer';
import { leaseExpiry, parseAnnotation, submitCheck } from './domain/tasks';
import { type TaskDoc, taskModel } from './tasks.model';

const STATES = {
  pending: annotationV1.TaskState.TASK_STATE_PENDING,
  leased: annotationV1.TaskState.TASK_STATE_LEASED,
  done: annotationV1.TaskState.TASK_STATE_DONE,
} as const;

const toTask = (doc: TaskDoc): annotationV1.Task => ({
  taskId: doc._id,
  tenantId: doc.tenantId,
  projectId: doc.projectId,
  imageId: doc.imageId,
  image: doc.image,
  taskType: doc.taskType,
  state: STATES[doc.state],
  leaseExpiresAt: doc.state === 'leased' ? (doc.leaseExpiresAt?.toISOString() ?? '') : '',
  annotatorId: doc.annotatorId,
});

class RpcFailure extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** AnnotationService: lease the oldest waiting task, submit its labels (the image is then curated). */
export function annotationGrpc(ctx: StageContext): annotationV1.AnnotationServiceServer {
  const tasks = taskModel(ctx.pipeline.connection);
  const answer =
    <Res>(callback: (error: Error | null, response?: Res) => void, what: string) =>
    (work: Promise<Res>) =>
      work.then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (error instanceof RpcFailure) return callback(grpcError(error.code, error.message));
          ctx.log.error({ err: error }, `${what} failed`);
          callback(grpcError(status.UNAVAILABLE, `${what} failed; retry`));
        },
      );

  /** Marks the image curated with the labels: once, however often it is called. */
  const curate = async (task: TaskDoc) => {
    const cleared = complianceV1.ImageCleared.decode(Buffer.from(task.cleared, 'base64'));
    await completeStage(ctx, task.imageId, 'annotation', {
      result: {
        taskId: task._id,
        annotatorId: task.annotatorId,
        annotation: JSON.parse(task.resultJson) as unknown,
      },
      status: 'curated',
      event: pendingEvent(Topics.imageCurated, task.imageId, curatedEvent(cleared, task.resultJson)),
    });
  };

  return {
    leaseTask: (call, callback) => {
      const { tenantId, projectId, annotatorId, leaseSeconds } = call.request;
      void answer(
        callback,
        'LeaseTask',
      )(
        (async () => {
          if (!tenantId || !annotatorId)
            throw new RpcFailure(status.INVALID_ARGUMENT, 'tenant_id and annotator_id are required');
          const now = new Date();
          // No projection: FerretDB 1.x refuses findOneAndUpdate with one.
          const leased = await tasks
            .findOneAndUpdate(
              {
                tenantId,
                ...(projectId && { projectId }),
                $or: [{ state: 'pending' }, { state: 'leased', leaseExpiresAt: { $lte: now } }],
              },
              { $set: { state: 'leased', annotatorId, leaseExpiresAt: leaseExpiry(now, leaseSeconds) } },
              { sort: { createdAt: 1 }, returnDocument: 'after' },
            )
            .lean<TaskDoc>()
            .exec();
          return leased ? { task: toTask(leased) } : {};
        })(),
      );
    },

    submitResult: (call, callback) => {
      const { tenantId, taskId, annotatorId, resultJson } = call.request;
      void answer(
        callback,
        'SubmitResult',
      )(
        (async () => {
          if (!tenantId || !taskId || !annotatorId) {
            throw new RpcFailure(status.INVALID_ARGUMENT, 'tenant_id, task_id and annotator_id are required');
          }
          const parsed = parseAnnotation(resultJson);
          if ('error' in parsed) throw new RpcFailure(status.INVALID_ARGUMENT, parsed.error);
          const task = await tasks.findOne({ _id: taskId, tenantId }).lean<TaskDoc>().exec();
          if (!task) throw new RpcFailure(status.NOT_FOUND, `no task ${taskId}`);
          const check = submitCheck(task, annotatorId);
          if (check === 'already_done') {
            await curate(task); // a retry after a failure between the two writes completes the image
            return { task: toTask(task) };
          }
          if (check !== 'ok') throw new RpcFailure(status.FAILED_PRECONDITION, check.refused);
          const doneAt = new Date();
          const update = await tasks.updateOne(
            { _id: taskId, tenantId, state: 'leased', annotatorId },
            { $set: { state: 'done', resultJson: parsed.json, doneAt } },
          );
          if (update.modifiedCount !== 1)
            throw new RpcFailure(status.ABORTED, 'the task changed meanwhile; lease it again');
          const done: TaskDoc = { ...task, state: 'done', resultJson: parsed.json, doneAt };
          await curate(done);
          return { task: toTask(done) };
        })(),
      );
    },
  };
}
