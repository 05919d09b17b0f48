import { pipelineTopics, Topics } from '@aperture/contracts';
import { AtLeastOnceConsumer, createKafka, createProducer, ensureTopics } from '@aperture/messaging';
import { connectMongo, ImageRecords, type ImageStatus, syncModelIndexes } from '@aperture/persistence';
import { eventually, testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import { batchModel, registerIngestModels } from '../models';
import { BatchTallies, batchTallyConsumer } from './batch-tallies';

// The batch tallies against the real broker and database: a tally consumer killed in the middle of
// the status topic, and the whole topic delivered again, still count each batch exactly.
describe('batch tallies', () => {
  let connection: Connection;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let records: ImageRecords;
  const dbName = uniqueName('it_tallies').replace(/-/g, '_');
  const batchId = uniqueName('bat');
  const groupId = uniqueName('it-tallies');
  /** Where the uploads' own events go: a topic of this test (the tallies read only the status topic). */
  const uploadTopic = uniqueName('it-tallies-upload');
  const ids = Array.from({ length: 30 }, (_, n) => `img_${batchId}_${String(n).padStart(2, '0')}`);

  beforeAll(async () => {
    const env = testInfraEnv();
    connection = await connectMongo({ uri: env.mongoUri, dbName });
    registerIngestModels(connection);
    await syncModelIndexes(connection);
    kafka = createKafka({ clientId: 'it-tallies', brokers: env.kafkaBrokers, log: () => undefined });
    admin = kafka.admin();
    producer = createProducer(kafka);
    await Promise.all([admin.connect(), producer.connect()]);
    await ensureTopics(admin, [...pipelineTopics(), { name: uploadTopic, partitions: 1 }]);
    records = new ImageRecords(connection, { publisher: producer });
    await batchModel(connection).create({
      _id: batchId,
      tenantId: 't1',
      projectId: 'p1',
      idempotencyKey: null,
      idempotencyScope: `t1/id/${batchId}`,
      declarations: { region: '', consentIds: [] },
      state: 'open',
      createdAt: new Date(),
      closedAt: null,
      tallied: true,
    });
    // 30 uploads; 10 rejected by quality, the others on; 10 curated (2 of them erased), 6 held for
    // annotation (1 of them rejected by its reviewer), 4 still processing.
    const event = (imageId: string) => ({
      topic: uploadTopic,
      key: imageId,
      payload: Buffer.from('x'),
    });
    for (const [n, id] of ids.entries()) {
      await records.create(
        {
          _id: id,
          tenantId: 't1',
          projectId: 'p1',
          batchId,
          filename: `${id}.jpg`,
          raw: { key: `raw/${id}`, contentType: 'image/jpeg', sizeBytes: 1, sha256: id },
          declarations: { region: '', consentIds: [] },
          receivedAt: new Date(),
        },
        event(id),
      );
      const rejected = n < 10;
      await records.completeStage(id, 'quality', {
        result: {},
        status: rejected ? 'rejected' : 'processing',
        ...(rejected && {
          reasons: [
            { code: 'blurry', message: 'x' },
            ...(n < 3 ? [{ code: 'too_small', message: 'x' }] : []),
          ],
        }),
      });
      if (n >= 10 && n < 20)
        await records.completeStage(id, 'annotation-router', { result: {}, status: 'curated' });
      if (n >= 20 && n < 26)
        await records.completeStage(id, 'annotation-router', { result: {}, status: 'pending_annotation' });
    }
    await records.completeStage(ids[20]!, 'annotation', {
      result: {},
      status: 'rejected',
      reasons: [{ code: 'annotation_rejected', message: 'x' }],
    });
    for (const id of [ids[10]!, ids[11]!]) {
      await records.tombstone(
        id,
        {
          erasureId: 'era_1',
          reason: 'request',
          erasedAt: new Date(),
          previousStatus: 'curated',
          blobKeys: [],
        },
        [],
      );
    }
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await connection?.dropDatabase();
    await connection?.close();
  });

  /** The counts as the records say them (the truth the tallies must reach). */
  const fromRecords = async () => {
    const all = await records.model.find({ batchId }, { status: 1, stage: 1, reasons: 1 }).lean().exec();
    const byStatus: Partial<Record<ImageStatus, number>> = {};
    const rejectedByReason: Record<string, number> = {};
    const processingByStage: Record<string, number> = {};
    for (const record of all) {
      byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
      if (record.status === 'processing')
        processingByStage[record.stage] = (processingByStage[record.stage] ?? 0) + 1;
      if (record.status === 'rejected')
        for (const { code } of record.reasons) rejectedByReason[code] = (rejectedByReason[code] ?? 0) + 1;
    }
    return { uploaded: all.length, byStatus, processingByStage, rejectedByReason };
  };
  /** The tally's counts with the statuses no image is in left out, as fromRecords has them. */
  const tallied = async (tallies: BatchTallies) => {
    const { buckets: _buckets, ...tally } = await tallies.batch(batchId);
    const byStatus = Object.fromEntries(Object.entries(tally.byStatus).filter(([, n]) => n !== 0));
    return { ...tally, byStatus };
  };
  /** Whether the group has committed every status event (its lag is 0). */
  const caughtUp = async () => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [Topics.imageStatus] });
    const ends = await admin.fetchTopicOffsets(Topics.imageStatus);
    return ends.every(
      (end) => committed!.partitions.find((p) => p.partition === end.partition)?.offset === end.high,
    );
  };

  it('counts exactly after the consumer is killed mid-stream and after the whole topic is delivered again', async () => {
    const truth = await fromRecords();
    expect(truth).toEqual({
      uploaded: 30,
      byStatus: { rejected: 11, curated: 8, erased: 2, pending_annotation: 5, processing: 4 },
      processingByStage: { quality: 4 },
      rejectedByReason: { blurry: 10, too_small: 3, annotation_rejected: 1 },
    });

    // A member that applies some of this batch's events, then dies after applying one whose offset
    // it never commits (the worst moment: counted, not acknowledged).
    const first = new BatchTallies(connection);
    let mine = 0;
    let died = false;
    const dying = new AtLeastOnceConsumer(kafka, {
      groupId,
      topics: [Topics.imageStatus],
      retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
      handler: async (message) => {
        if (died) throw new Error('killed');
        const ours = message.key?.startsWith(`img_${batchId}_`) ?? false;
        if (ours && ++mine === 40) {
          await first.apply(message);
          died = true;
          throw new Error('killed after the tally write, before the commit');
        }
        return first.apply(message);
      },
    });
    await dying.start();
    await waitFor('the member to die mid-stream', () => died, 60_000);
    await dying.stop();
    const partial = await tallied(first);
    expect(partial.uploaded).toBeGreaterThan(0);
    expect(partial).not.toEqual(truth);

    // Its successor (a fresh process: no cached offsets) picks up from the last commit.
    const second = new BatchTallies(connection);
    let consumer = batchTallyConsumer(kafka, second, { groupId, dependenciesUp: async () => true });
    await consumer.start();
    await eventually(async () => expect(await tallied(second)).toEqual(truth), 60_000);
    await waitFor('the group to commit every event', caughtUp, 30_000);
    await consumer.stop();

    // Every offset committed again from the start: the same events, counted once.
    await admin.resetOffsets({ groupId, topic: Topics.imageStatus, earliest: true });
    const third = new BatchTallies(connection);
    consumer = batchTallyConsumer(kafka, third, { groupId, dependenciesUp: async () => true });
    await consumer.start();
    await waitFor('the group to commit every event again', caughtUp, 60_000);
    await consumer.stop();
    expect(await tallied(third)).toEqual(truth);
  }, 180_000);
});
