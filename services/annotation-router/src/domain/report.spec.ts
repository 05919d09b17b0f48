import { defaultDatasetPolicy } from '@aperture/policy';
import { buildReport, histogram, type ReportImage, tally } from './report';

const image = (overrides: Partial<ReportImage>): ReportImage => ({
  imageId: 'img',
  batchId: 'bat_1',
  status: 'curated',
  receivedAt: new Date('2026-11-24T10:00:00Z'),
  reasons: [],
  classes: [],
  ...overrides,
});

describe('the dataset report', () => {
  it('bins values and folds rare categories', () => {
    expect(histogram([0, 0.5, 1, 1.5, 2], [0, 1, 2], 0)).toEqual([
      { label: '0–1', count: 2 },
      { label: '1–2', count: 3 },
    ]);
    expect(tally(['a', 'b', 'a', 'c', 'd'], 3)).toEqual([
      { label: 'a', count: 2 },
      { label: 'b', count: 1 },
      { label: 'other', count: 2 },
    ]);
  });

  it('summarises distributions, rejections, duplicate clusters, classes and agreement, and flags targets', () => {
    const images: ReportImage[] = [
      image({
        imageId: 'a',
        width: 400,
        height: 300,
        brightness: 120,
        contrast: 0.5,
        colourfulness: 40,
        cameraMake: 'Canon',
        cameraModel: 'EOS 40D',
        captureHour: 9,
        orientation: 6,
        classes: ['car'],
        agreement: 1,
      }),
      image({
        imageId: 'b',
        width: 300,
        height: 400,
        brightness: 200,
        contrast: 0.8,
        colourfulness: 90,
        cameraMake: 'Canon',
        cameraModel: 'EOS 40D',
        captureHour: 9,
        classes: ['car', 'person'],
        agreement: 0.5,
      }),
      image({ imageId: 'c', width: 400, height: 400, status: 'pending_annotation' }),
      image({ imageId: 'd', status: 'rejected', reasons: ['near_duplicate'], duplicateOf: 'a' }),
      image({
        imageId: 'e',
        status: 'rejected',
        reasons: ['near_duplicate'],
        duplicateOf: 'a',
        receivedAt: new Date('2026-11-24T11:30:00Z'),
      }),
      image({
        imageId: 'f',
        status: 'rejected',
        reasons: ['corrupt'],
        receivedAt: new Date('2026-11-24T11:10:00Z'),
      }),
    ];
    const report = buildReport(images, {
      projectId: 'p',
      classes: ['car', 'person', 'bike'],
      targets: {
        ...defaultDatasetPolicy.targets,
        minCameraModels: 2,
        minPortraitShare: 0.2,
        minClassShare: 0.1,
      },
      now: new Date('2026-11-24T12:00:00Z'),
    });
    expect(report.counts).toEqual({
      images: 6,
      curated: 2,
      rejected: 3,
      pendingAnnotation: 1,
      processing: 0,
    });
    expect(report.distributions.orientation).toEqual([
      { label: 'landscape', count: 1 },
      { label: 'portrait', count: 1 },
      { label: 'square', count: 1 },
    ]);
    expect(report.distributions.cameraModel).toEqual([
      { label: 'Canon EOS 40D', count: 2 },
      { label: 'unknown', count: 1 },
    ]);
    expect(report.distributions.captureHour[9]).toEqual({ label: '09', count: 2 });
    expect(report.distributions.exifOrientation).toEqual([{ label: 'EXIF 6', count: 1 }]);
    expect(report.classBalance).toEqual([
      { label: 'car', count: 2 },
      { label: 'person', count: 1 },
      { label: 'bike', count: 0 },
    ]);
    expect(report.rejectionReasons).toEqual([
      { label: 'near_duplicate', count: 2 },
      { label: 'corrupt', count: 1 },
    ]);
    expect(report.rejectionsOverTime).toEqual({
      buckets: ['2026-11-24T10:00Z', '2026-11-24T11:00Z'],
      series: [
        { reason: 'corrupt', counts: [0, 1] },
        { reason: 'near_duplicate', counts: [1, 1] },
      ],
    });
    expect(report.nearDuplicateClusters).toMatchObject({
      clusters: 1,
      largest: 3,
      top: [{ imageId: 'a', copies: 2 }],
    });
    expect(report.targets).toEqual([
      {
        target: 'minCameraModels',
        required: 2,
        actual: 1,
        met: false,
        message: '1 camera models; the policy asks for at least 2',
      },
      {
        target: 'minClassShare',
        required: 0.1,
        actual: 0,
        met: false,
        message: 'the rarest class has 0 % of the labels; at least 10 % asked',
      },
      {
        target: 'minPortraitShare',
        required: 0.2,
        actual: 0.333,
        met: true,
        message: '33.3 % portrait images; at least 20 % asked',
      },
    ]);
  });
});
