import { commonV1, pipelineTopics, Topics } from '@aperture/contracts';
import { createKafka, createProducer, ensureTopics, findPublishedEvents } from '@aperture/messaging';
import {
  connectMongo,
  ImageRecordNotFoundError,
  ImageRecords,
  initialRecord,
  OUTBOX_EVENT_ID_HEADER,
  OutboxRelay,
  syncModelIndexes,
} from '@aperture/persistence';
import { testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';

// The record, its outbox and the relay, against the real MongoDB-wire server and the real broker.
describe('ImageRecords and OutboxRelay', () => {
  let connection: Connection;
  let records: ImageRecords;
  let admin: Admin;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer;
  const received: Array<{ key: string; value: string; traceparent: string | undefined }> = [];
  const topic = uniqueName('it-outbox');
  const dbName = uniqueName('it_records').replace(/-/g, '_');

  const newRecord = (imageId: string) => ({
    _id: imageId,
    tenantId: 't1',
    projectId: 'p1',
    batchId: 'b1',
    filename: `${imageId}.jpg`,
    raw: { key: `raw/sha256/${imageId}`, contentType: 'image/jpeg', sizeBytes: 10, sha256: imageId },
    declarations: { region: 'EU', consentIds: [] },
    receivedAt: new Date(),
  });
  const event = (imageId: string, value: string) => ({
    topic,
    key: imageId,
    payload: Buffer.from(value),
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  });

  beforeAll(async () => {
    const env = testInfraEnv();
    connection = await connectMongo({ uri: env.mongoUri, dbName });
    records = new ImageRecords(connection);
    await syncModelIndexes(connection);
    kafka = createKafka({ clientId: 'it-records', brokers: env.kafkaBrokers, log: () => undefined });
    admin = kafka.admin();
    producer = createProducer(kafka);
    consumer = kafka.consumer({ groupId: uniqueName('it-records') });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    // The status topic too: every write that moves an image publishes its status event there.
    await ensureTopics(admin, [
      { name: topic, partitions: 1 },
      ...pipelineTopics().filter(({ name }) => name === Topics.imageStatus),
    ]);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: message.key!.toString(),
          value: message.value!.toString(),
          traceparent: message.headers?.['traceparent']?.toString(),
        });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await connection?.dropDatabase();
    await connection?.close();
  });

  const claimsOf = (imageId: string) => connection.collection('outbox_claims').countDocuments({ imageId });
  /** A writer that died after its write (of `entries`, unless none) and before publishing. */
  const diedAfterWriting = async (imageId: string, entries: string[]) => {
    const outbox = entries.map((value, index) => ({
      id: `${imageId}-entry-${index}`,
      topic,
      key: imageId,
      payload: Buffer.from(value),
      headers: {},
      createdAt: new Date(),
    }));
    await records.model.create(initialRecord(newRecord(imageId), outbox));
    // Its claim, left behind and expired (a claim of no entry: it died before writing).
    await connection
      .collection<{ _id: string; imageId: string; entryIds: string[]; claimedAt: Date; expiresAt: Date }>(
        'outbox_claims',
      )
      .insertOne({
        _id: `dead-${imageId}`,
        imageId,
        entryIds: outbox.length > 0 ? outbox.map((entry) => entry.id) : ['never-written'],
        claimedAt: new Date(Date.now() - 16_000),
        expiresAt: new Date(Date.now() - 1000),
      });
  };

  it('publishes each event once with its trace headers as it is written, and completes a stage only once', async () => {
    const writer = new ImageRecords(connection, { publisher: producer });
    const before = received.length;
    await writer.create(newRecord('img-1'), event('img-1', 'ingested'));
    expect(
      await writer.completeStage('img-1', 'quality', {
        result: { width: 10 },
        status: 'processing',
        event: event('img-1', 'qualified'),
      }),
    ).toBe('done');
    // A redelivered message: no second result, no second event.
    expect(
      await writer.completeStage('img-1', 'quality', {
        result: { width: 99 },
        status: 'processing',
        event: event('img-1', 'qualified-again'),
      }),
    ).toBe('duplicate');
    // The record as a stage read it first: nothing read again.
    const seen = await writer.get('img-1');
    expect(
      await writer.completeStage(
        'img-1',
        'compliance',
        {
          result: {},
          status: 'rejected',
          reasons: [{ code: 'consent_missing', message: 'no consent' }],
          event: event('img-1', 'rejected'),
        },
        seen!,
      ),
    ).toBe('done');
    await waitFor('three events', () => received.length - before >= 3, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a wrong re-publish

    const mine = received.slice(before);
    expect(mine.map((message) => message.value)).toEqual(['ingested', 'qualified', 'rejected']);
    expect(mine.every((message) => message.traceparent?.startsWith('00-0af7651916cd43dd'))).toBe(true);
    expect(await writer.get('img-1')).toMatchObject({
      status: 'rejected',
      stage: 'compliance',
      reasons: [{ code: 'consent_missing', message: 'no consent' }],
      stages: { quality: { width: 10 }, compliance: {} },
    });
    expect(await claimsOf('img-1')).toBe(0);
    expect(await writer.pendingOutboxCount()).toBe(0);
  });

  it('refuses further stages on a terminal image and reports a missing one', async () => {
    expect(
      await records.completeStage('img-1', 'annotation-router', {
        result: {},
        status: 'curated',
        event: event('img-1', 'curated'),
      }),
    ).toBe('duplicate');
    await expect(
      records.completeStage('missing', 'quality', {
        result: {},
        status: 'processing',
        event: event('missing', 'x'),
      }),
    ).rejects.toBeInstanceOf(ImageRecordNotFoundError);
    expect(await claimsOf('missing')).toBe(0);
  });

  it('records a result with only its status event when there is nothing else to announce', async () => {
    const writer = new ImageRecords(connection, { publisher: producer });
    await writer.create(newRecord('img-2'), event('img-2', 'ingested'));
    expect(
      await writer.completeStage('img-2', 'annotation-router', {
        result: { taskId: 't-1' },
        status: 'pending_annotation',
      }),
    ).toBe('done');
    const stored = await writer.get('img-2');
    expect(stored).toMatchObject({
      status: 'pending_annotation',
      stages: { 'annotation-router': { taskId: 't-1' } },
    });
    // The upload's event and status event, then the hold's status event: processing → pending_annotation.
    expect(stored!.outbox.map((entry) => entry.topic)).toEqual([
      topic,
      Topics.imageStatus,
      Topics.imageStatus,
    ]);
    // A lean read gives the payload as BSON Binary.
    const held = stored!.outbox[2]!.payload as unknown as { buffer: Uint8Array; position: number };
    expect(commonV1.ImageStatusChanged.decode(held.buffer.subarray(0, held.position))).toEqual({
      imageId: 'img-2',
      tenantId: 't1',
      projectId: 'p1',
      batchId: 'b1',
      from: { status: 'processing', stage: 'ingest', reasonCodes: [] },
      to: { status: 'pending_annotation', stage: 'annotation-router', reasonCodes: [] },
    });
    expect(await claimsOf('img-2')).toBe(0);
  });

  it('publishes every event exactly once when several relays share the writes left to them', async () => {
    const ids = Array.from({ length: 20 }, (_, n) => `multi-${n}`);
    const before = received.length;
    const relays = [1, 2, 3].map(() => new OutboxRelay(connection, producer, { pollIntervalMs: 20 }));
    relays.forEach((relay) => relay.start());
    // No publisher: each write hands its claim to the relays.
    for (const id of ids) await records.create(newRecord(id), event(id, `ingested-${id}`));
    await waitFor('20 events', () => received.length - before >= 20, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a duplicate to show up
    await Promise.all(relays.map((relay) => relay.stop()));
    const values = received.slice(before).map((message) => message.value);
    expect(values.sort()).toEqual(ids.map((id) => `ingested-${id}`).sort());
    expect(await records.pendingOutboxCount()).toBe(0);
  });

  it('publishes the events of a writer that died before publishing, once its claim expires', async () => {
    await diedAfterWriting('img-died', ['died-ingested']);
    const before = received.length;
    const relay = new OutboxRelay(connection, producer);
    expect(await relay.relayOnce()).toBe(1);
    await waitFor('the re-published event', () => received.length > before, 30_000);
    expect(received.slice(before).map((message) => message.value)).toEqual(['died-ingested']);
    expect(await claimsOf('img-died')).toBe(0);
  });

  it('publishes nothing for a claim whose writer died before writing', async () => {
    await diedAfterWriting('img-no-write', []);
    expect(await new OutboxRelay(connection, producer).relayOnce()).toBe(0);
    expect(await claimsOf('img-no-write')).toBe(0);
  });

  it('leaves the events of a failed publish to the relay', async () => {
    const failures: string[] = [];
    const writer = new ImageRecords(connection, {
      publisher: { send: () => Promise.reject(new Error('broker down')) },
      onPublishError: (_error, imageId) => failures.push(imageId),
      leaseMs: 200,
    });
    const before = received.length;
    await writer.create(newRecord('img-broker-down'), event('img-broker-down', 'published-by-relay'));
    expect(failures).toEqual(['img-broker-down']);
    expect(await claimsOf('img-broker-down')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the lease runs out
    // The upload's event and its status event.
    expect(await new OutboxRelay(connection, producer).relayOnce()).toBe(2);
    await waitFor('the relayed event', () => received.length > before, 30_000);
    expect(received.slice(before).map((message) => message.value)).toEqual(['published-by-relay']);
    expect(await claimsOf('img-broker-down')).toBe(0);
  });

  it('takes a claim over again when the relay that took it over failed too, once that takeover expires', async () => {
    await diedAfterWriting('img-twice', ['twice-ingested']);
    // The relay taking the dead writer's claim over failed before publishing (its database or
    // broker went away) and left its takeover claim behind, expired too.
    await connection
      .collection<{
        _id: string;
        imageId: string;
        entryIds: string[];
        claimedAt: Date;
        expiresAt: Date;
        takeoverOf: string;
      }>('outbox_claims')
      .insertOne({
        _id: 'dead-img-twice:takeover',
        imageId: 'img-twice',
        entryIds: ['img-twice-entry-0'],
        takeoverOf: 'dead-img-twice',
        claimedAt: new Date(Date.now() - 16_000),
        expiresAt: new Date(Date.now() - 1000),
      });
    const before = received.length;
    expect(await new OutboxRelay(connection, producer).relayOnce()).toBe(1);
    await waitFor('the re-published event', () => received.length > before, 30_000);
    expect(received.slice(before).map((message) => message.value)).toEqual(['twice-ingested']);
    expect(await claimsOf('img-twice')).toBe(0);
  });

  it('publishes nothing again when the dead writer had published before dying (exactly once on the topic)', async () => {
    await diedAfterWriting('img-sent-died', ['sent-then-died']);
    const before = received.length;
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: 'img-sent-died',
          value: 'sent-then-died',
          headers: { [OUTBOX_EVENT_ID_HEADER]: 'img-sent-died/0' },
        },
      ],
    });
    await waitFor("the dead writer's event", () => received.length > before, 30_000);

    const relay = new OutboxRelay(connection, producer, {
      findPublished: (topicName, sinceMs, ids) =>
        findPublishedEvents(kafka, topicName, sinceMs, ids, OUTBOX_EVENT_ID_HEADER),
    });
    expect(await relay.relayOnce()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // room for a duplicate to show up
    expect(received.slice(before).map((message) => message.value)).toEqual(['sent-then-died']);
    expect(await claimsOf('img-sent-died')).toBe(0);
  });

  it('finds published events by their id header, only within the time asked for', async () => {
    const since = Date.now() - 60_000;
    const found = await findPublishedEvents(
      kafka,
      topic,
      since,
      new Set(['img-sent-died/0', 'never-published/0']),
      OUTBOX_EVENT_ID_HEADER,
    );
    expect([...found]).toEqual(['img-sent-died/0']);
    const later = await findPublishedEvents(
      kafka,
      topic,
      Date.now() + 60_000,
      new Set(['img-sent-died/0']),
      OUTBOX_EVENT_ID_HEADER,
    );
    expect([...later]).toEqual([]);
  });
});
