import { commonV1 } from '@aperture/contracts';

describe('generated contracts (aperture.common.v1)', () => {
  it('round-trips a BlobRef through the protobuf wire format', () => {
    const ref: commonV1.BlobRef = {
      key: 'raw/sha256/9f/86/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      contentType: 'image/jpeg',
      sizeBytes: '5242880000',
      checksum: {
        algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256,
        hex: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      },
    };
    const bytes = commonV1.BlobRef.encode(ref).finish();
    expect(commonV1.BlobRef.decode(bytes)).toEqual(ref);
  });

  it('keeps 64-bit sizes exact as strings (forceLong=string)', () => {
    const decoded = commonV1.BlobRef.decode(
      commonV1.BlobRef.encode({ key: 'k', contentType: '', sizeBytes: '18446744073709551615' }).finish(),
    );
    expect(decoded.sizeBytes).toBe('18446744073709551615');
  });
});
