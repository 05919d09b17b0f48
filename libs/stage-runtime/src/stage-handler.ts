import {
  type commonV1,
  encodePayload,
  type MessageCodec,
  type PayloadOf,
  type TopicName,
  topicMessages,
} from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import type { ImageRecord, ImageStatus, StageCompletion } from '@aperture/persistence';
import type { ProjectPolicy } from '@aperture/policy';
import {
  completeStage,
  decodeEvent,
  pendingEvent,
  projectNotFound,
  readStageRecord,
  rejection,
} from './events';
import type { StageContext } from './run-stage';

/** What a stage decided for one image; stage-runtime writes it (result and event in one update). */
export type StageOutcome =
  /** The stage's result, announced on the next topic. */
  | {
      kind: 'next';
      result: unknown;
      status: 'processing' | 'curated';
      event: { topic: TopicName; payload: Uint8Array };
    }
  /** A terminal refusal with its reasons: status 'rejected' and an ImageRejected event. */
  | { kind: 'reject'; reasons: commonV1.Reason[]; result: unknown }
  /** The stage's result with no event yet (e.g. waiting for annotators). */
  | { kind: 'hold'; result: unknown; status: Extract<ImageStatus, 'pending_annotation'> }
  /** Nothing written: the event is not this stage's to act on (logged with its reason). */
  | { kind: 'skip'; reason: string }
  /** A transient failure: the message is retried, then dead-lettered. */
  | { kind: 'retry'; reason: string };

/** The result, announced on `topic` with `payload` (typed by the topic). */
export function next<T extends TopicName>(
  topic: T,
  payload: PayloadOf<T>,
  result: unknown,
  status: 'processing' | 'curated' = 'processing',
): StageOutcome {
  return { kind: 'next', result, status, event: { topic, payload: encodePayload(topic, payload) } };
}

export const reject = (reasons: commonV1.Reason[], result: unknown = {}): StageOutcome => ({
  kind: 'reject',
  reasons,
  result,
});

export const hold = (result: unknown, status: 'pending_annotation'): StageOutcome => ({
  kind: 'hold',
  result,
  status,
});

export const skip = (reason: string): StageOutcome => ({ kind: 'skip', reason });

export const retry = (reason: string): StageOutcome => ({ kind: 'retry', reason });

/** The image event of a topic, with its image context checked present. */
export type EventOf<T extends TopicName> = PayloadOf<T> & { image: commonV1.ImageContext };

/** What a stage's `process` gets besides the service's context: the raw upload, read on demand. */
export type MessageContext<C extends StageContext> = C & {
  /** The raw upload's bytes (read once); a retry if the event names no raw blob. */
  raw(): Promise<Buffer>;
};

/** What the stored result of a stage is, once written or found written. */
export interface Settled<T extends TopicName> {
  outcome: 'done' | 'duplicate';
  event: EventOf<T>;
  record: ImageRecord;
  /** The stage's result as stored (undefined if a concurrent delivery left none). */
  result: unknown;
}

/**
 * A pipeline stage: the topic it consumes and what it does with one image. stage-runtime runs the
 * steps every stage shares around `process`: decode the event, skip an image already settled (or
 * unknown, or of another tenant), load the project's policy (`project_not_found` when there is
 * none), and write the outcome with its outbox event in one update.
 */
export interface StageHandler<T extends TopicName, C extends StageContext = StageContext> {
  /** The stage's name: the key of its result under the record's `stages`. */
  stage: string;
  /** The topic it consumes (the pipeline's order: `pipeline` in @aperture/contracts). */
  topic: T;
  process(
    event: EventOf<T>,
    record: ImageRecord,
    policy: ProjectPolicy,
    ctx: MessageContext<C>,
  ): Promise<StageOutcome>;
  /** The outcome when the project has no policy; default `reject([reason])`. */
  projectNotFound?(reason: commonV1.Reason): StageOutcome;
  /** Runs after the write, and for a redelivery of a settled image (compliance: its audit log). */
  settled?(settled: Settled<T>, ctx: C): Promise<void>;
}

/** The consumer's handler of one message for a stage: the shared steps around `process`. */
export function handleWith<T extends TopicName, C extends StageContext>(
  handler: StageHandler<T, C>,
): (message: ConsumedMessage, ctx: C) => Promise<HandlerOutcome> {
  // Every pipeline topic carries an image event (an ImageContext under `image`).
  const type = topicMessages[handler.topic] as MessageCodec<{ image?: commonV1.ImageContext }>;
  const { stage } = handler;
  return async (message, ctx) => {
    const event = decodeEvent(message.value, type) as unknown as EventOf<T>;
    const { image } = event;
    const start = await readStageRecord(ctx, image, stage);
    if (start.outcome === 'skipped') return 'skipped';
    const { record } = start;
    if (start.outcome === 'duplicate') {
      await handler.settled?.({ outcome: 'duplicate', event, record, result: record.stages[stage] }, ctx);
      return 'duplicate';
    }

    const policy = await ctx.policies.get(image.tenantId, image.projectId);
    const outcome = policy
      ? await handler.process(event, record, policy, withRaw(ctx, image))
      : (handler.projectNotFound ?? ((reason) => reject([reason])))(projectNotFound(image));

    if (outcome.kind === 'retry') throw new Error(outcome.reason);
    if (outcome.kind === 'skip') {
      ctx.log.info({ imageId: image.imageId, stage, reason: outcome.reason }, 'skipped');
      return 'skipped';
    }
    const completion = completionOf(image, stage, outcome);
    const written = await completeStage(ctx, record, stage, completion);
    if (handler.settled) {
      // Another delivery wrote first: its result is the one stored.
      const result =
        written === 'done' ? completion.result : (await ctx.pipeline.records.get(record._id))?.stages[stage];
      await handler.settled({ outcome: written, event, record, result }, ctx);
    }
    return written;
  };
}

function completionOf(
  image: commonV1.ImageContext,
  stage: string,
  outcome: Extract<StageOutcome, { kind: 'next' | 'reject' | 'hold' }>,
): StageCompletion {
  switch (outcome.kind) {
    case 'next':
      return {
        result: outcome.result,
        status: outcome.status,
        event: pendingEvent(outcome.event.topic, image.imageId, outcome.event.payload),
      };
    case 'reject':
      return rejection(image, stage, outcome.reasons, outcome.result);
    case 'hold':
      return { result: outcome.result, status: outcome.status };
  }
}

function withRaw<C extends StageContext>(ctx: C, image: commonV1.ImageContext): MessageContext<C> {
  let bytes: Promise<Buffer> | undefined;
  const raw = () => {
    const key = image.raw?.key;
    if (!key) return Promise.reject(new Error(`image ${image.imageId} has no raw blob`));
    return (bytes ??= ctx.blobs.get(key));
  };
  return { ...ctx, raw };
}
