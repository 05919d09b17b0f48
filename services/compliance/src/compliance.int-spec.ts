import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { commonV1, complianceV1, standardizeV1, Topics } from '@aperture/contracts';
import { sharp, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { credentials } from '@grpc/grpc-js';
import { complianceStage } from './stage';

const GPS_JPEG = corpusPath('cameras/jpg/gps/DSCN0010.jpg');

// The real consumer and gRPC server, in-process, against the real broker and a database of its own.
describe('compliance stage', () => {
  let harness: StageHarness;
  let client: InstanceType<typeof complianceV1.ComplianceServiceClient>;
  const registerConsent = (request: complianceV1.RegisterConsentRequest) =>
    new Promise<complianceV1.RegisterConsentResponse>((resolve, reject) =>
      client.registerConsent(request, (error, response) => (error ? reject(error) : resolve(response))),
    );
  const getAuditTrail = (request: complianceV1.GetAuditTrailRequest) =>
    new Promise<complianceV1.GetAuditTrailResponse>((resolve, reject) =>
      client.getAuditTrail(request, (error, response) => (error ? reject(error) : resolve(response))),
    );

  beforeAll(async () => {
    harness = await startStageHarness(complianceStage, [Topics.imageCleared, Topics.imageRejected]);
    await harness.createProject('t1', 'p1', { compliance: { requireConsent: true } });
    client = new complianceV1.ComplianceServiceClient(
      `127.0.0.1:${harness.stage.grpcPort}`,
      credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  /** A record, its raw upload and a standardized derivative (here: the raw file, metadata and all). */
  async function standardized(imageId: string, consentIds: string[]): Promise<Uint8Array> {
    const raw = readFileSync(GPS_JPEG);
    const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId: 'p1', consentIds });
    const derivative = await harness.ctx.blobs.put(`derived/${imageId}/standardized.jpg`, raw, 'image/jpeg');
    const standardize = standardizeV1.StandardizeResult.fromPartial({
      derivative: { key: derivative.key, contentType: 'image/jpeg', sizeBytes: String(derivative.sizeBytes) },
      width: 640,
      height: 480,
      format: 'jpeg',
      appliedOrientation: 1,
      sourceColorSpace: 'srgb',
      hadIccProfile: false,
    });
    return standardizeV1.ImageStandardized.encode({ image, standardize }).finish();
  }

  it('clears a consented image once: GPS and all metadata stripped, one ImageCleared, one audit entry', async () => {
    const { consent } = await registerConsent({
      consent: complianceV1.Consent.fromPartial({
        tenantId: 't1',
        subjectRef: 'subj-1',
        scopes: ['faces'],
        purpose: 'training',
      }),
    });
    expect(consent?.consentId).toMatch(/^cns_[0-9a-f]{24}$/);

    const imageId = `img_c_ok_${Date.now()}`;
    const event = await standardized(imageId, [consent!.consentId]);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.settle(imageId);

    const record = await harness.records.get(imageId);
    expect(record).toMatchObject({
      status: 'processing',
      stage: 'compliance',
      stages: {
        compliance: {
          decision: 'cleared',
          consentIds: [consent!.consentId],
          hadGps: true,
          removedMetadata: ['exif', 'gps', 'xmp'],
          cleared: { key: `cleared/${imageId}.jpg`, contentType: 'image/jpeg' },
        },
      },
    });
    const cleared = await sharp(await harness.ctx.blobs.get(`cleared/${imageId}.jpg`)).metadata();
    expect([cleared.exif, cleared.xmp, cleared.iptc, cleared.icc]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);

    const published = harness.received(Topics.imageCleared, imageId);
    expect(published).toHaveLength(1);
    expect(complianceV1.ImageCleared.decode(published[0]!)).toMatchObject({
      image: { imageId },
      standardize: { width: 640 },
      compliance: { hadGps: true, cleared: { key: `cleared/${imageId}.jpg` } },
    });

    const trail = await getAuditTrail({ tenantId: 't1', imageId });
    expect(trail.entries).toEqual([expect.objectContaining({ imageId, action: 'cleared' })]);
    const all = await getAuditTrail({ tenantId: 't1', imageId: '' });
    expect(all.entries.filter((entry) => entry.action === 'consent_registered')).toHaveLength(1);
    expect((await getAuditTrail({ tenantId: 'other', imageId: '' })).entries).toEqual([]);
  });

  it('rejects an image without consent in a project that requires it', async () => {
    const imageId = `img_c_no_${Date.now()}`;
    const event = await standardized(imageId, []);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'rejected',
      stage: 'compliance',
      reasons: [{ code: 'consent_missing' }],
    });
    const published = harness.received(Topics.imageRejected, imageId);
    expect(published).toHaveLength(1);
    expect(commonV1.ImageRejected.decode(published[0]!)).toMatchObject({
      stage: 'compliance',
      reasons: [{ code: 'consent_missing' }],
    });
    expect(harness.received(Topics.imageCleared, imageId)).toHaveLength(0);
    expect(await harness.ctx.blobs.exists(`cleared/${imageId}.jpg`)).toBe(false);
    const trail = await getAuditTrail({ tenantId: 't1', imageId });
    expect(trail.entries).toEqual([
      expect.objectContaining({ action: 'rejected', detail: expect.stringContaining('consent_missing') }),
    ]);
  });

  it('refuses an invalid consent registration, naming the fields', async () => {
    await expect(
      registerConsent({ consent: complianceV1.Consent.fromPartial({ tenantId: 't1' }) }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining('subject_ref is required') });
  });
});
