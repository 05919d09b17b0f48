// Test helpers of the compliance integration specs (not part of the service).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { complianceV1, standardizeV1 } from '@aperture/contracts';
import { sharp, type StageHarness } from '@aperture/stage-runtime';
import { evalPath, withHeaders } from '@aperture/testing';
import { credentials } from '@grpc/grpc-js';

/**
 * A real photo of the shared evaluation set (faces/ or plates/ of ../shared/eval), read in place.
 * `withEvalPhotos` is `it` where the set is present and `it.skip` where it is absent.
 */
export function evalPhoto(name: string): Buffer {
  const path = evalPath(name);
  if (!path) throw new Error(`the evaluation set is absent: ${name}`);
  return readFileSync(path);
}
export const withEvalPhotos = evalPath('faces') ? it : it.skip;

/** A gRPC client of the harness's compliance service, its calls as promises; an internal caller by default. */
export function complianceClient(harness: StageHarness, headers = harness.serviceHeaders) {
  const client = new complianceV1.ComplianceServiceClient(harness.grpcAddress, credentials.createInsecure(), {
    interceptors: [withHeaders(headers)],
  });
  const call =
    <Req, Res>(method: (request: Req, callback: (error: Error | null, response: Res) => void) => unknown) =>
    (request: Req) =>
      new Promise<Res>((resolve, reject) =>
        method(request, (error, response) => (error ? reject(error) : resolve(response))),
      );
  return {
    close: () => client.close(),
    registerConsent: call<complianceV1.RegisterConsentRequest, complianceV1.RegisterConsentResponse>(
      (request, callback) => client.registerConsent(request, callback),
    ),
    revokeConsent: call<complianceV1.RevokeConsentRequest, complianceV1.RevokeConsentResponse>(
      (request, callback) => client.revokeConsent(request, callback),
    ),
    requestErasure: call<complianceV1.RequestErasureRequest, complianceV1.RequestErasureResponse>(
      (request, callback) => client.requestErasure(request, callback),
    ),
    getAuditTrail: (request: Partial<complianceV1.GetAuditTrailRequest>) =>
      call<complianceV1.GetAuditTrailRequest, complianceV1.GetAuditTrailResponse>((request, callback) =>
        client.getAuditTrail(request, callback),
      )(complianceV1.GetAuditTrailRequest.fromPartial(request)),
  };
}

/** What standardize would make of a photo with the default spec (upright, at most 1024 px), as PNG. */
export const derivativeOf = (raw: Buffer): Promise<Buffer> =>
  sharp(raw).rotate().resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();

/**
 * A record, its raw upload and a standardized derivative (by default `derivativeOf` the raw file, PNG, so pixels
 * the redaction leaves alone come back byte for byte), and the ImageStandardized event for it.
 */
export async function standardizedEvent(
  harness: StageHarness,
  imageId: string,
  raw: Buffer,
  owner: { tenantId: string; projectId: string; consentIds?: string[]; region?: string; batchId?: string },
  derivativeBytes?: Buffer,
): Promise<Uint8Array> {
  const image = await harness.createImage(imageId, raw, owner);
  const bytes = derivativeBytes ?? (await derivativeOf(raw));
  const { width, height, format } = await sharp(bytes).metadata();
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const derivative = await harness.ctx.blobs.put(`derived/${sha256}`, bytes, `image/${format}`);
  const thumbnailBytes = await sharp(bytes).resize(256).toFormat(format).toBuffer();
  const thumbnail = await harness.ctx.blobs.put(`thumbnails/${imageId}`, thumbnailBytes, `image/${format}`);
  const ref = (stored: { key: string; sizeBytes: number; sha256: string }) => ({
    key: stored.key,
    contentType: `image/${format}`,
    sizeBytes: String(stored.sizeBytes),
    checksum: { algorithm: 1, hex: stored.sha256 },
  });
  const standardize = standardizeV1.StandardizeResult.fromPartial({
    derivative: ref(derivative),
    thumbnail: ref(thumbnail),
    width,
    height,
    format,
    appliedOrientation: 1,
    sourceColorSpace: 'srgb',
  });
  // Stored as standardize would: erasure finds the blobs to delete through the record.
  await harness.records.model.updateOne({ _id: imageId }, { $set: { 'stages.standardize': standardize } });
  return standardizeV1.ImageStandardized.encode({ image, standardize }).finish();
}

/** Raw RGB pixels of encoded bytes. */
export async function rgb(bytes: Buffer) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
