import { commonV1, ingestV1, Topics } from '@aperture/contracts';
import { blobRef, decodeEvent, readStageRecord, rejection, type StageContext } from '@aperture/stage-runtime';

const image: commonV1.ImageContext = {
  imageId: 'img_1',
  tenantId: 't1',
  projectId: 'p1',
  batchId: 'b1',
  filename: 'a.jpg',
  receivedAt: '2025-01-01T00:00:00.000Z',
};

describe('stage events', () => {
  it('builds a rejection: status, reasons and an ImageRejected keyed by image id', () => {
    const completion = rejection(image, 'quality', [{ code: 'corrupt', message: 'truncated' }], {
      format: 'jpeg',
    });
    expect(completion).toMatchObject({
      status: 'rejected',
      result: { format: 'jpeg' },
      reasons: [{ code: 'corrupt', message: 'truncated' }],
      event: { topic: Topics.imageRejected, key: 'img_1' },
    });
    const event = commonV1.ImageRejected.decode(completion.event!.payload!);
    expect(event).toMatchObject({
      image: { imageId: 'img_1' },
      stage: 'quality',
      reasons: [{ code: 'corrupt' }],
    });
    expect(Number.isNaN(Date.parse(event.rejectedAt))).toBe(false);
  });

  it('decodes an event and refuses one without an image context', () => {
    const bytes = Buffer.from(ingestV1.ImageIngested.encode({ image }).finish());
    expect(decodeEvent(bytes, ingestV1.ImageIngested).image.imageId).toBe('img_1');
    expect(() =>
      decodeEvent(Buffer.from(ingestV1.ImageIngested.encode({}).finish()), ingestV1.ImageIngested),
    ).toThrow('no image context');
    expect(() => decodeEvent(null, ingestV1.ImageIngested)).toThrow('no value');
  });

  it('turns a stored blob into a BlobRef with its SHA-256', () => {
    expect(blobRef({ key: 'k', sizeBytes: 12, sha256: 'ab' }, 'image/png')).toEqual({
      key: 'k',
      contentType: 'image/png',
      sizeBytes: '12',
      checksum: { algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256, hex: 'ab' },
    });
  });

  describe('readStageRecord', () => {
    const logged: Array<{ level: string; fields: unknown }> = [];
    const contextWith = (record: unknown) =>
      ({
        pipeline: { records: { get: (id: string) => Promise.resolve(id === 'img_1' ? record : null) } },
        log: {
          warn: (fields: unknown) => logged.push({ level: 'warn', fields }),
          error: (fields: unknown) => logged.push({ level: 'error', fields }),
        },
      }) as unknown as StageContext;
    const record = { tenantId: 't1', projectId: 'p1', status: 'processing', stages: {} };

    const outcomeOf = async (...args: Parameters<typeof readStageRecord>) =>
      (await readStageRecord(...args)).outcome;
    beforeEach(() => (logged.length = 0));

    it("lets the stage work on its own tenant's image, and answers duplicate once it ran", async () => {
      expect(await readStageRecord(contextWith(record), image, 'quality')).toEqual({ outcome: null, record });
      const done = { ...record, stages: { quality: {} } };
      expect(await outcomeOf(contextWith(done), image, 'quality')).toBe('duplicate');
      expect(await outcomeOf(contextWith({ ...record, status: 'rejected' }), image, 'quality')).toBe(
        'duplicate',
      );
      expect(logged).toEqual([]);
    });

    it('skips an event without a record', async () => {
      expect(await outcomeOf(contextWith(null), image, 'quality')).toBe('skipped');
      expect(logged).toEqual([{ level: 'warn', fields: { imageId: 'img_1', stage: 'quality' } }]);
    });

    it("skips, with an error log, an event whose tenant or project is not the record's", async () => {
      for (const forged of [
        { ...image, tenantId: 't2' },
        { ...image, projectId: 'p2' },
        { ...image, tenantId: '' },
      ]) {
        expect(await outcomeOf(contextWith(record), forged, 'quality')).toBe('skipped');
      }
      // Even when the stage already ran: a forged redelivery is not reported as a duplicate.
      const done = { ...record, stages: { quality: {} } };
      expect(await outcomeOf(contextWith(done), { ...image, tenantId: 't2' }, 'quality')).toBe('skipped');
      expect(logged).toHaveLength(4);
      expect(logged[0]).toEqual({
        level: 'error',
        fields: expect.objectContaining({
          reason: 'tenant_mismatch',
          eventTenantId: 't2',
          recordTenantId: 't1',
        }),
      });
    });
  });
});
