import { commonV1, ingestV1, Topics } from '@aperture/contracts';
import { blobRef, decodeEvent, rejection } from '@aperture/stage-runtime';

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
    const event = commonV1.ImageRejected.decode(completion.event!.payload);
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
});
