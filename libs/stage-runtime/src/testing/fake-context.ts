import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '@aperture/blob-store';
import { type commonV1, encodePayload, type PayloadOf, type TopicName } from '@aperture/contracts';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import {
  type ImageRecord,
  isSettledStatus,
  type PendingEvent,
  type StageCompletion,
} from '@aperture/persistence';
import { defaultPolicy, type ProjectPolicy } from '@aperture/policy';
import type { PipelineIo } from '@aperture/runtime';
import { createLogger } from '@aperture/telemetry';
import type { StageContext } from '../run-stage';
import { handleWith, type StageHandler } from '../stage-handler';

/**
 * A StageContext without a broker or a database, for unit tests of a stage's handler: image
 * records and project policies in maps (the records' write follows ImageRecords.completeStage: a
 * stage's result is set once, and never on a settled image), blobs in a temporary directory, the
 * events the stage wrote in `events`. Any other use of the pipeline (Kafka, MongoDB) throws.
 */
export interface FakeStageContext extends StageContext {
  records: Map<string, ImageRecord>;
  /** Events written with the stage's results, in order. */
  events: PendingEvent[];
  /** A project and its policy (default: the default policy). */
  addProject(tenantId: string, projectId: string, policy?: ProjectPolicy): void;
  /** An image record as ingest stores it, its raw bytes stored; returns its ImageContext. */
  addImage(
    image: { imageId: string; tenantId: string; projectId: string; region?: string; consentIds?: string[] },
    raw: Buffer,
  ): Promise<commonV1.ImageContext>;
  /** Runs a stage's handler on one message of its topic, as the consumer would. */
  deliver<T extends TopicName, C extends StageContext>(
    handler: StageHandler<T, C>,
    payload: PayloadOf<T>,
    ctx?: C,
  ): Promise<HandlerOutcome>;
}

export function fakeStageContext(service: StageContext['service'] = 'quality'): FakeStageContext {
  const records = new Map<string, ImageRecord>();
  const policies = new Map<string, ProjectPolicy>();
  const events: PendingEvent[] = [];
  const blobs = new LocalBlobStore(mkdtempSync(join(tmpdir(), 'fake-stage-blobs-')));
  const recordStore = {
    get: (imageId: string) => Promise.resolve(structuredClone(records.get(imageId) ?? null)),
    completeStage: (
      imageId: string,
      stage: string,
      completion: StageCompletion,
    ): Promise<'done' | 'duplicate'> => {
      const record = records.get(imageId);
      if (!record) return Promise.reject(new Error(`no image record ${imageId}`));
      if (record.stages[stage] !== undefined || isSettledStatus(record.status))
        return Promise.resolve('duplicate');
      record.stages[stage] = completion.result;
      record.status = completion.status;
      record.stage = stage;
      record.reasons = completion.reasons ?? [];
      if (completion.event) events.push(completion.event);
      return Promise.resolve('done');
    },
  };
  const pipeline = new Proxy({ records: recordStore } as unknown as PipelineIo, {
    get(target, name) {
      if (name === 'records') return recordStore;
      throw new Error(`fakeStageContext has no pipeline.${String(name)} (no broker or database)`);
    },
  });
  const ctx: FakeStageContext = {
    service,
    pipeline,
    policies: {
      get: (tenantId: string, projectId: string) =>
        Promise.resolve(policies.get(`${tenantId}/${projectId}`) ?? null),
    } as StageContext['policies'],
    blobs,
    log: createLogger(service, { level: 'silent' }),
    serviceToken: 'fake-service-token',
    records,
    events,
    addProject(tenantId, projectId, policy = defaultPolicy) {
      policies.set(`${tenantId}/${projectId}`, policy);
    },
    async addImage(image, raw) {
      const stored = await blobs.put(`raw/${image.imageId}`, raw, 'application/octet-stream');
      const receivedAt = new Date('2026-01-01T00:00:00Z');
      records.set(image.imageId, {
        _id: image.imageId,
        tenantId: image.tenantId,
        projectId: image.projectId,
        batchId: 'batch-1',
        filename: `${image.imageId}.jpg`,
        raw: {
          key: stored.key,
          contentType: stored.contentType,
          sizeBytes: raw.length,
          sha256: stored.sha256,
        },
        declarations: { region: image.region ?? '', consentIds: image.consentIds ?? [] },
        receivedAt,
        status: 'processing',
        stage: 'ingest',
        reasons: [],
        stages: {},
        outbox: [],
        version: 0,
      } as ImageRecord);
      return {
        imageId: image.imageId,
        tenantId: image.tenantId,
        projectId: image.projectId,
        batchId: 'batch-1',
        filename: `${image.imageId}.jpg`,
        receivedAt: receivedAt.toISOString(),
        raw: {
          key: stored.key,
          contentType: stored.contentType,
          sizeBytes: String(raw.length),
          checksum: { algorithm: 1, hex: stored.sha256 },
        },
        declarations: { region: image.region ?? '', consentIds: image.consentIds ?? [] },
      } as commonV1.ImageContext;
    },
    deliver(handler, payload, serviceCtx) {
      const message: ConsumedMessage = {
        topic: handler.topic,
        partition: 0,
        offset: '0',
        key: (payload as { image?: commonV1.ImageContext }).image?.imageId ?? null,
        value: Buffer.from(encodePayload(handler.topic, payload)),
        headers: {},
        timestamp: '0',
      };
      return handleWith(handler)(message, serviceCtx ?? (ctx as never));
    },
  };
  return ctx;
}
