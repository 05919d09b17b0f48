import { createKafka, createProducer, ensureTopics, findPublishedEvents } from '@aperture/messaging';
import {
  connectMongo,
  ImageRecordNotFoundError,
  ImageRecords,
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
    await ensureTopics(admin, [{ name: topic, partitions: 1 }]);
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

  it('publishes each event once with its trace headers, and completes a stage only once', async () => {
    const relayErrors: unknown[] = [];
    const relay = new OutboxRelay(connection, producer, {
      pollIntervalMs: 50,
      onError: (error) => relayErrors.push(error),
    });
    await records.create(newRecord('img-1'), event('img-1', 'ingested'));
    expect(
      await records.completeStage('img-1', 'quality', {
        result: { width: 10 },
        status: 'processing',
        event: event('img-1', 'qualified'),
      }),
    ).toBe('done');
    // A redelivered message: no second result, no second event.
    expect(
      await records.completeStage('img-1', 'quality', {
        result: { width: 99 },
        status: 'processing',
        event: event('img-1', 'qualified-again'),
      }),
    ).toBe('duplicate');

    relay.start();
    await waitFor('two events', () => received.length >= 2 || relayErrors.length > 0, 30_000);
    expect(relayErrors).toEqual([]);
    expect(
      await records.completeStage('img-1', 'compliance', {
        result: {},
        status: 'rejected',
        reasons: [{ code: 'consent_missing', message: 'no consent' }],
        event: event('img-1', 'rejected'),
      }),
    ).toBe('done');
    relay.kick();
    await waitFor('three events', () => received.length >= 3, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a wrong re-publish
    await relay.stop();

    expect(received.map((message) => message.value)).toEqual(['ingested', 'qualified', 'rejected']);
    expect(received.every((message) => message.traceparent?.startsWith('00-0af7651916cd43dd'))).toBe(true);
    const stored = await records.get('img-1');
    expect(stored).toMatchObject({
      status: 'rejected',
      stage: 'compliance',
      reasons: [{ code: 'consent_missing', message: 'no consent' }],
      stages: { quality: { width: 10 }, compliance: {} },
      outboxPending: false,
    });
    expect(stored!.outbox.map((entry) => entry.sentAt)).toEqual([
      expect.any(Date),
      expect.any(Date),
      expect.any(Date),
    ]);
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
  });

  it('records a result without an event when there is nothing to announce', async () => {
    await records.create(newRecord('img-2'), event('img-2', 'ingested'));
    // Its first event counted as published (no relay runs in this test).
    await records.model.updateOne(
      { _id: 'img-2' },
      { $set: { outboxPending: false, 'outbox.0.sentAt': new Date() } },
    );
    expect(
      await records.completeStage('img-2', 'annotation-router', {
        result: { taskId: 't-1' },
        status: 'pending_annotation',
      }),
    ).toBe('done');
    const stored = await records.get('img-2');
    expect(stored).toMatchObject({
      status: 'pending_annotation',
      outboxPending: false,
      stages: { 'annotation-router': { taskId: 't-1' } },
    });
    expect(stored!.outbox).toHaveLength(1);
  });

  it('publishes every event exactly once when several relays share the collection', async () => {
    const ids = Array.from({ length: 20 }, (_, n) => `multi-${n}`);
    const before = received.length;
    const relays = [1, 2, 3].map(() => new OutboxRelay(connection, producer, { pollIntervalMs: 20 }));
    relays.forEach((relay) => relay.start());
    for (const id of ids) {
      await records.create(newRecord(id), event(id, `ingested-${id}`));
      relays.forEach((relay) => relay.kick());
    }
    await waitFor('20 events', () => received.length - before >= 20, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a duplicate to show up
    await Promise.all(relays.map((relay) => relay.stop()));
    const values = received.slice(before).map((message) => message.value);
    expect(values.sort()).toEqual(ids.map((id) => `ingested-${id}`).sort());
    expect(await records.model.countDocuments({ outboxPending: true })).toBe(0);
  });

  it('publishes the claimed entries of a relay that died after marking them, once its claim expires', async () => {
    await records.create(newRecord('img-died'), event('img-died', 'died-ingested'));
    // The dead relay's state: entry marked sent, claim left behind and expired.
    await records.model.updateOne(
      { _id: 'img-died' },
      { $set: { outboxPending: false, 'outbox.0.sentAt': new Date() } },
    );
    await connection
      .collection<{ _id: string; imageId: string; entries: number[]; expiresAt: Date }>('outbox_claims')
      .insertOne({
        _id: 'img-died',
        imageId: 'img-died',
        entries: [0],
        expiresAt: new Date(Date.now() - 1000),
      });
    const before = received.length;
    const relay = new OutboxRelay(connection, producer);
    expect(await relay.relayOnce()).toBe(1);
    await waitFor('the re-published event', () => received.length > before, 30_000);
    expect(received.slice(before).map((message) => message.value)).toEqual(['died-ingested']);
    expect(await connection.collection('outbox_claims').countDocuments({ imageId: 'img-died' })).toBe(0);
  });
  it('takes a claim over again when the relay that took it over failed too, once that takeover expires', async () => {
    await records.create(newRecord('img-twice'), event('img-twice', 'twice-ingested'));
    // A relay died after marking the entry; the relay taking its claim over failed before
    // publishing (its database or broker went away) and left its takeover claim behind.
    await records.model.updateOne(
      { _id: 'img-twice' },
      { $set: { outboxPending: false, 'outbox.0.sentAt': new Date() } },
    );
    const firstExpiry = new Date(Date.now() - 20_000);
    await connection
      .collection<{ _id: string; imageId: string; entries: number[]; expiresAt: Date; takeoverOf?: string }>(
        'outbox_claims',
      )
      .insertMany([
        { _id: 'img-twice', imageId: 'img-twice', entries: [0], expiresAt: firstExpiry },
        {
          _id: `img-twice:takeover:${firstExpiry.getTime()}`,
          imageId: 'img-twice',
          entries: [0],
          takeoverOf: 'img-twice',
          expiresAt: new Date(Date.now() - 1000),
        },
      ]);
    const before = received.length;
    const relay = new OutboxRelay(connection, producer);
    expect(await relay.relayOnce()).toBe(1);
    await waitFor('the re-published event', () => received.length > before, 30_000);
    expect(received.slice(before).map((message) => message.value)).toEqual(['twice-ingested']);
    expect(await connection.collection('outbox_claims').countDocuments({ imageId: 'img-twice' })).toBe(0);
  });

  it('publishes nothing again when the dead relay had published before dying (exactly once on the topic)', async () => {
    await records.create(newRecord('img-sent-died'), event('img-sent-died', 'sent-then-died'));
    // The dead relay's state: claim taken, entry marked and published (with its event id), then
    // the process died before deleting the claim.
    await records.model.updateOne(
      { _id: 'img-sent-died' },
      { $set: { outboxPending: false, 'outbox.0.sentAt': new Date() } },
    );
    await connection
      .collection<{ _id: string; imageId: string; entries: number[]; expiresAt: Date; claimedAt: Date }>(
        'outbox_claims',
      )
      .insertOne({
        _id: 'img-sent-died',
        imageId: 'img-sent-died',
        entries: [0],
        claimedAt: new Date(Date.now() - 16_000),
        expiresAt: new Date(Date.now() - 1000),
      });
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
    await waitFor("the dead relay's event", () => received.length > before, 30_000);

    const relay = new OutboxRelay(connection, producer, {
      findPublished: (topicName, sinceMs, ids) =>
        findPublishedEvents(kafka, topicName, sinceMs, ids, OUTBOX_EVENT_ID_HEADER),
    });
    expect(await relay.relayOnce()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // room for a duplicate to show up
    expect(received.slice(before).map((message) => message.value)).toEqual(['sent-then-died']);
    expect(await connection.collection('outbox_claims').countDocuments({ imageId: 'img-sent-died' })).toBe(0);
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
  it('finds, by its sweep of the records, an event whose pending marker was never written', async () => {
    // A writer that died between the record's write and the marker's.
    await records.create(newRecord('img-no-marker'), event('img-no-marker', 'unmarked-ingested'));
    await connection.collection('outbox_pending').deleteOne({ _id: 'img-no-marker' } as never);
    const before = received.length;
    const relay = new OutboxRelay(connection, producer, { sweepIntervalMs: 60_000 });
    expect(await relay.relayOnce()).toBeGreaterThanOrEqual(1); // the first round sweeps
    await waitFor('the swept event', () =>
      received.some((m, i) => i >= before && m.value === 'unmarked-ingested'),
    );
    expect((await records.get('img-no-marker'))?.outboxPending).toBe(false);
    expect(await records.pendingOutboxCount()).toBe(0);
  });
});
