import { readFileSync } from 'node:fs';
import { complianceV1, inputTopicOf, standardizeV1, Topics } from '@aperture/contracts';
import { resolvePolicy } from '@aperture/policy';
import { sharp } from '@aperture/stage-runtime';
import { fakeStageContext } from '@aperture/stage-runtime/testing';
import { corpusPath } from '@aperture/testing';
import type { AuditLog } from './audit/audit-log';
import { complianceHandler } from './compliance.consumer';
import type { ComplianceContext } from './context';
import type { FaceBox, PrivacyFinder } from './privacy.repository';

const GPS_JPEG = readFileSync(corpusPath('cameras/jpg/gps/DSCN0010.jpg'));

// The compliance handler without a broker or a database: fakeStageContext, a privacy finder that
// reports the faces a test gives it (the models are tested in @aperture/redaction), and an audit
// log that keeps its entries in memory (the chain is tested on the real database).
describe('the compliance handler', () => {
  async function setUp(faces: FaceBox[] = []) {
    const fake = fakeStageContext('compliance');
    fake.addProject('t1', 'redact', resolvePolicy({}).policy);
    fake.addProject(
      't1',
      'reject',
      resolvePolicy({ compliance: { regions: { default: { people: 'reject' } } } }).policy,
    );
    const audited: Array<{ rule: string; outcome: string; imageId?: string }> = [];
    const people: PrivacyFinder = {
      start: async () => undefined,
      close: async () => undefined,
      find: async (image) => ({
        faces,
        plates: [],
        objects: [],
        width: (await sharp(image).metadata()).width ?? 0,
        height: (await sharp(image).metadata()).height ?? 0,
        faceDetector: 'fake@1',
        plateDetector: '',
        objectDetector: 'fake-objects@1',
      }),
      redact: (pixels) => void pixels.data.fill(0),
    };
    const audit = {
      append: async (entry: (typeof audited)[number]) => void audited.push(entry),
    } as unknown as AuditLog;
    // Coverage and scene novelty in memory: what the handler counts, once per image.
    const counted: string[] = [];
    const coverage = { count: async (image: { imageId: string }) => void counted.push(image.imageId) };
    const scenes = { novelty: async () => 1 };
    const ctx = { ...fake, people, audit, coverage, scenes } as unknown as ComplianceContext;
    return { fake, ctx, audited };
  }

  async function standardized(fake: ReturnType<typeof fakeStageContext>, imageId: string, projectId: string) {
    const image = await fake.addImage({ imageId, tenantId: 't1', projectId }, GPS_JPEG);
    const clean = await sharp(GPS_JPEG).jpeg().toBuffer();
    const stored = await fake.blobs.put(`derived/${imageId}`, clean, 'image/jpeg');
    const { width, height } = await sharp(clean).metadata();
    const standardize = standardizeV1.StandardizeResult.fromPartial({
      derivative: {
        key: stored.key,
        contentType: 'image/jpeg',
        checksum: { algorithm: 1, hex: stored.sha256 },
      },
      width,
      height,
      format: 'jpeg',
    });
    return { image, standardize };
  }

  it('consumes the topic the pipeline gives the compliance service', () => {
    expect(complianceHandler.topic).toBe(inputTopicOf('compliance'));
  });

  it('clears an image with no faces once, without its GPS, and audits the decision on every delivery', async () => {
    const { fake, ctx, audited } = await setUp();
    const event = await standardized(fake, 'img_1', 'redact');
    await expect(fake.deliver(complianceHandler, event, ctx)).resolves.toBe('done');
    await expect(fake.deliver(complianceHandler, event, ctx)).resolves.toBe('duplicate');

    expect(fake.records.get('img_1')).toMatchObject({
      status: 'processing',
      stages: { compliance: { decision: 'cleared', hadGps: true, faces: [], detector: 'fake@1' } },
    });
    expect(fake.events.map((e) => e.topic)).toEqual([Topics.imageCleared]);
    const cleared = complianceV1.ImageCleared.decode(fake.events[0]!.payload!);
    const bytes = await fake.blobs.get(cleared.compliance!.cleared!.key);
    expect((await sharp(bytes).metadata()).exif).toBeUndefined();
    // The audit log keys the entry by image, so the redelivery's append is a no-op there.
    expect(audited.map((entry) => [entry.outcome, entry.imageId])).toEqual([
      ['cleared', 'img_1'],
      ['cleared', 'img_1'],
    ]);
  });

  it('refuses an image with a face when the region rule says so, naming the rule', async () => {
    const { fake, ctx, audited } = await setUp([{ x: 10, y: 10, width: 50, height: 50, score: 0.9 }]);
    const event = await standardized(fake, 'img_2', 'reject');
    await fake.deliver(complianceHandler, event, ctx);
    expect(fake.records.get('img_2')).toMatchObject({
      status: 'rejected',
      stages: { compliance: { decision: 'rejected', faces: [{ x: 10, redacted: false }] } },
    });
    expect(fake.events.map((e) => e.topic)).toEqual([Topics.imageRejected]);
    expect(audited[0]!.outcome).toMatch(/^rejected:/);
  });

  it('rejects and audits an image of a project that does not exist, under the rule "project"', async () => {
    const { fake, ctx, audited } = await setUp();
    const event = await standardized(fake, 'img_3', 'gone');
    await fake.deliver(complianceHandler, event, ctx);
    expect(fake.records.get('img_3')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'project_not_found' }],
      stages: { compliance: { decision: 'rejected', rule: 'project' } },
    });
    expect(audited).toMatchObject([{ rule: 'project', outcome: 'rejected:project_not_found' }]);
  });
});
