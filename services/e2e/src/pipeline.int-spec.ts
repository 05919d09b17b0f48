import { commonV1, curatedV1, Topics } from '@aperture/contracts';
import { LocalBlobStore } from '@aperture/blob-store';
import { createKafka } from '@aperture/messaging';
import { testInfraEnv, uniqueName, waitFor, corpusPath } from '@aperture/testing';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import exifr from 'exifr';
import sharp from 'sharp';
import { type MetricSample, parseMetrics, seriesOf, sumOf } from './metrics-text';
import { renderInChromium } from './browser';
import { checkImageTrace, OtlpCollector } from './otlp-collector';
import { repoRoot, restCaller, type ServiceProcess, startPipeline, stopService, tail } from './processes';

const corpus = corpusPath();
// At least 20 real files: cameras with GPS, all eight orientations, CMYK, 16-bit PNG, HEIC,
// WebP, and corrupt or truncated files; plus an SVG that ingest refuses by its bytes.
const files = [
  'cameras/jpg/gps/DSCN0010.jpg',
  'cameras/jpg/gps/DSCN0012.jpg',
  'cameras/jpg/gps/DSCN0021.jpg',
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `cameras/jpg/orientation/landscape_${n}.jpg`),
  'cameras/jpg/Canon_40D.jpg',
  'cameras/jpg/Nikon_D70.jpg',
  'cameras/heic/IMG_5195.HEIC',
  'formats/Channel_digital_image_CMYK_color.jpg',
  'formats/Flag_of_the_Netherlands-16bit.png',
  'formats/4.webp',
  'formats/swiss.png',
  'formats/truncated.jpg',
  'formats/truncated.png',
  'formats/check.svg',
].map((file) => path.join(corpus, file));
const corruptFiles = ['truncated.jpg', 'truncated.png'];

const services = ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router'] as const;
const stageTopics = [
  Topics.imageIngested,
  Topics.imageQualified,
  Topics.imageStandardized,
  Topics.imageCleared,
];

interface ApiImage {
  imageId: string;
  filename: string;
  status: string;
  stage: string;
  reasons: Array<{ code: string; message: string }>;
}

// Uploads, five stages and their traces: minutes on 2 cores, not the default two.
jest.setTimeout(600_000);

describe('the whole pipeline, five services as processes, real broker, database and gRPC', () => {
  const run = uniqueName('e2e').replace(/-/g, '_');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-e2e-'));
  const blobDir = path.join(workDir, 'blobs');
  const collector = new OtlpCollector();
  const running: ServiceProcess[] = [];
  let api = '';
  const adminToken = 'e2e-admin-token';

  beforeAll(async () => {
    const { kafkaBrokers, mongoUri } = testInfraEnv();
    const otlp = await collector.start();
    const started = await startPipeline({
      run,
      workDir,
      adminToken,
      kafkaBrokers,
      mongoUri,
      env: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_BSP_SCHEDULE_DELAY: '200' }),
    });
    running.push(...started.running);
    api = started.api;
  });

  afterAll(async () => {
    const codes = await Promise.all(running.map((service) => stopService(service)));
    await collector.stop();
    // Every service shuts down cleanly on SIGTERM.
    expect(codes).toEqual(services.map(() => 0));
  });

  const call = restCaller(() => api, adminToken);

  /** `aperture upload --json` as a client runs it (`args`: options and files after the common flags): its summary. */
  async function uploadWithCli(projectId: string, apiKey: string, args: string[]): Promise<unknown> {
    const cli = await promisify(execFile)(
      process.execPath,
      [
        path.join(repoRoot, 'dist/services/cli/src/main.js'),
        'upload',
        '--project',
        projectId,
        '--api',
        api,
        '--key',
        apiKey,
        '--json',
        ...args,
      ],
      { maxBuffer: 10 * 1024 * 1024, timeout: 300_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(
        `CLI failed: ${error.stderr}\n${running.map((s) => `--- ${s.name}\n${tail(s.logFile, 15)}`).join('\n')}`,
      );
    });
    return JSON.parse(cli.stdout) as unknown;
  }

  it('takes a batch through every stage to exactly one terminal state, one curated record each, one trace per image', async () => {
    const metricsBefore = await scrapeAll();
    const { apiKey, tenantId } = await call<{ apiKey: string; tenantId: string }>('POST', '/v1/tenants', {
      name: `tenant-${run}`,
    });
    const project = await call<{ projectId?: string; id?: string }>(
      'POST',
      '/v1/projects',
      { name: `project-${run}`, policy: { standardize: { maxLongSide: 512 } } },
      apiKey,
    );
    const projectId = project.projectId ?? project.id!;

    // Upload with the CLI, as a client would.
    const summary = (await uploadWithCli(projectId, apiKey, ['--timeout', '240', ...files])) as {
      batchId: string;
      uploaded: number;
      curated: number;
      rejected: number;
    };
    expect(summary.uploaded).toBe(files.length - 1); // the SVG is refused at upload (415)

    // Every accepted image has exactly one terminal state.
    const images: ApiImage[] = [];
    let cursor: string | undefined;
    do {
      const page = await call<{ images: ApiImage[]; nextCursor?: string | null }>(
        'GET',
        `/v1/batches/${summary.batchId}/images?limit=50${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        apiKey,
      );
      images.push(...page.images);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(images).toHaveLength(files.length - 1);
    expect(images.filter((image) => !['curated', 'rejected'].includes(image.status))).toEqual([]);
    for (const name of corruptFiles) {
      const image = images.find((candidate) => candidate.filename === name);
      expect({ name, status: image?.status, codes: image?.reasons.map((r) => r.code) }).toEqual({
        name,
        status: 'rejected',
        codes: ['corrupt'],
      });
    }
    // The eight orientation files are one picture: whichever was received first is kept, the
    // other seven are its near duplicates. The flags are low-information graphics.
    const landscapes = images.filter((image) => image.filename.startsWith('landscape_'));
    expect(landscapes.filter((image) => image.status === 'curated')).toHaveLength(1);
    const copies = landscapes.filter((image) => image.status === 'rejected');
    expect(copies.map((image) => image.reasons.map((r) => r.code).join())).toEqual(
      copies.map(() => expect.stringMatching(/^(near_)?duplicate$/)),
    );
    const curatedIds = images.filter((image) => image.status === 'curated').map((image) => image.imageId);
    expect(curatedIds.length).toBeGreaterThanOrEqual(8);
    expect(summary.curated).toBe(curatedIds.length);

    // The curated topic holds exactly one record per curated image of this batch.
    const kafka = createKafka({
      clientId: `e2e-${run}`,
      brokers: testInfraEnv().kafkaBrokers,
      log: () => undefined,
    });
    const consumer = kafka.consumer({ groupId: `reader-${run}` });
    const records: curatedV1.ImageCurated[] = [];
    const rejectedEvents: commonV1.ImageRejected[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.imageCurated, Topics.imageRejected], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        // A tombstone (null value: an erased image on the compacted curated topic, written by other
        // runs on the shared broker) is no record; decoding it would stall the partition.
        if (!message.value) return;
        if (topic === Topics.imageCurated) {
          const record = curatedV1.ImageCurated.decode(message.value);
          if (record.image?.batchId === summary.batchId) records.push(record);
        } else {
          const rejected = commonV1.ImageRejected.decode(message.value);
          if (rejected.image?.batchId === summary.batchId) rejectedEvents.push(rejected);
        }
      },
    });
    await waitFor(
      'every curated and rejected event',
      () => records.length >= curatedIds.length && rejectedEvents.length >= images.length - curatedIds.length,
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000)); // room for a duplicate to show up
    await consumer.disconnect();
    expect(records.map((record) => record.image!.imageId).sort()).toEqual([...curatedIds].sort());
    expect(new Set(records.map((record) => record.image!.imageId)).size).toBe(records.length);
    expect(rejectedEvents).toHaveLength(images.length - curatedIds.length);

    // No curated output carries GPS (or any EXIF at all).
    const blobs = new LocalBlobStore(blobDir);
    for (const record of records) {
      const metadata = await sharp(await blobs.get(record.output!.key)).metadata();
      expect({ image: record.image!.filename, exif: metadata.exif?.length ?? 0 }).toEqual({
        image: record.image!.filename,
        exif: 0,
      });
    }
    const owner = { tenantId, batchId: summary.batchId };
    const gpsImage = records.find((record) => record.image!.filename === 'DSCN0010.jpg');
    expect(gpsImage?.compliance?.hadGps).toBe(true);

    // One trace links each curated image's upload, every stage's consumer and the final publish.
    for (const imageId of curatedIds) {
      await waitFor(
        `the spans of ${imageId}`,
        () => checkImageTrace(collector.spans, imageId, stageTopics, Topics.imageCurated, owner).ok,
        30_000,
      ).catch(() => undefined);
      const check = checkImageTrace(collector.spans, imageId, stageTopics, Topics.imageCurated, owner);
      expect(check).toMatchObject({ ok: true });
    }

    // The metrics moved with the batch: summed over the five services (any service's outbox relay
    // may publish an event another wrote), they count exactly this run's images.
    const rejectedImages = images.filter((image) => image.status === 'rejected');
    await waitFor('the outbox backlog to drain', async () => {
      const metrics = await scrapeAll();
      return sumOf(metrics, 'aperture_outbox_backlog') === 0;
    });
    const metricsAfter = await scrapeAll();
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sumOf(metricsAfter, name, labels) - sumOf(metricsBefore, name, labels);
    expect({
      accepted: moved('aperture_images_total', { stage: 'ingest', outcome: 'accepted' }),
      curated: moved('aperture_images_total', { outcome: 'curated' }),
      rejected: moved('aperture_images_total', { outcome: 'rejected' }),
      corrupt: moved('aperture_rejections_total', { reason: 'corrupt' }),
      qualityHandled: moved('aperture_stage_messages_total', { service: 'quality', outcome: 'done' }),
      qualityTimed: moved('aperture_stage_duration_seconds_count', { service: 'quality', outcome: 'done' }),
    }).toEqual({
      accepted: images.length,
      curated: curatedIds.length,
      rejected: rejectedImages.length,
      corrupt: corruptFiles.length,
      qualityHandled: images.length,
      qualityTimed: images.length,
    });
    // Each consumer's lag is reported per partition of its input topic.
    for (const service of services.filter((name) => name !== 'ingest')) {
      expect(seriesOf(metricsAfter, 'aperture_kafka_consumer_lag', { service }).length).toBeGreaterThan(0);
    }

    // No log line of any service holds the tenant's API key or the GPS position of a photo.
    const logs = running.map((service) => fs.readFileSync(service.logFile, 'utf8')).join('\n');
    const position = await exifr.gps(path.join(corpus, 'cameras/jpg/gps/DSCN0010.jpg'));
    expect(logs).toContain(summary.batchId); // the logs are there, and say what they did
    expect(logs).not.toContain(apiKey);
    expect(logs).not.toContain(position.latitude.toFixed(4));
    expect(logs).not.toContain(position.longitude.toFixed(4));
    // The dataset report: its JSON over REST (through the CLI), and its page rendered in headless Chromium.
    const router = `http://127.0.0.1:${running.find((service) => service.name === 'annotation-router')!.httpPort}`;
    const reportFile = path.join(workDir, 'report.html');
    const report = await promisify(execFile)(
      process.execPath,
      [
        path.join(repoRoot, 'dist/services/cli/src/main.js'),
        'report',
        '--project',
        projectId,
        '--out',
        reportFile,
        '--json',
        '--api',
        router,
        '--key',
        apiKey,
      ],
      { maxBuffer: 10 * 1024 * 1024, timeout: 120_000 },
    );
    const data = JSON.parse(report.stdout) as {
      counts: { images: number; curated: number; rejected: number };
      rejectionReasons: Array<{ label: string; count: number }>;
      nearDuplicateClusters: { largest: number };
      distributions: { cameraModel: Array<{ label: string }>; brightness: Array<{ count: number }> };
    };
    expect(data.counts).toMatchObject({ images: images.length, curated: curatedIds.length });
    expect(data.rejectionReasons.map((bin) => bin.label)).toEqual(
      expect.arrayContaining(['corrupt', 'near_duplicate']),
    );
    expect(data.nearDuplicateClusters.largest).toBeGreaterThanOrEqual(2);
    expect(data.distributions.cameraModel.length).toBeGreaterThanOrEqual(3);
    expect(data.distributions.brightness.reduce((sum, bin) => sum + bin.count, 0)).toBe(curatedIds.length);
    const screenshot = path.join(repoRoot, 'coverage', 'e2e', 'dataset-report.png');
    const rendered = await renderInChromium(reportFile, screenshot);
    expect(rendered).toEqual({ chartsDrawn: 21, paintedCanvases: 21, canvases: 21 });
    expect(fs.statSync(screenshot).size).toBeGreaterThan(50_000);
  });

  it('takes images of a project that needs labels from upload to curated with labels, through simulated annotators', async () => {
    const { apiKey } = await call<{ apiKey: string }>('POST', '/v1/tenants', { name: `labels-${run}` });
    const project = await call<{ projectId: string }>(
      'POST',
      '/v1/projects',
      {
        name: `labelled-${run}`,
        policy: {
          standardize: { maxLongSide: 512 },
          annotation: {
            required: true,
            taskType: 'bbox',
            classes: ['subject'],
            attributes: [{ name: 'occluded', type: 'boolean', required: true }],
            overlap: 2,
            consensusThreshold: 0.6,
          },
          dataset: { train: 0.5, val: 0.25, test: 0.25 },
        },
      },
      apiKey,
    );
    const router = `http://127.0.0.1:${running.find((service) => service.name === 'annotation-router')!.httpPort}`;
    const labelled = [
      'cameras/jpg/gps/DSCN0010.jpg',
      'cameras/jpg/Canon_40D.jpg',
      'cameras/jpg/Nikon_D70.jpg',
    ].map((file) => path.join(corpus, file));
    const { batchId } = (await uploadWithCli(project.projectId, apiKey, ['--no-follow', ...labelled])) as {
      batchId: string;
    };
    const listImages = async () =>
      (await call<{ images: ApiImage[] }>('GET', `/v1/batches/${batchId}/images?limit=50`, undefined, apiKey))
        .images;
    await waitFor(
      'every image routed to annotation (or rejected by quality)',
      async () => (await listImages()).every((image) => image.status !== 'processing'),
      240_000,
    );
    const pending = (await listImages()).filter((image) => image.status === 'pending_annotation');
    expect(pending.length).toBeGreaterThanOrEqual(2);

    // Two annotators label every image in their tool: lease, fetch the derivative, draw a box, submit.
    const annotate = async (annotatorId: string, jitter: number): Promise<number> => {
      let done = 0;
      for (;;) {
        const lease = await fetch(`${router}/v1/tasks/lease`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({ projectId: project.projectId, annotatorId }),
        });
        expect(lease.status).toBe(200);
        const { task } = (await lease.json()) as {
          task: { taskId: string; width: number; height: number; image: { url: string } } | null;
        };
        if (!task) return done;
        const bytes = Buffer.from(
          await (
            await fetch(`${router}${task.image.url}`, { headers: { 'x-api-key': apiKey } })
          ).arrayBuffer(),
        );
        const metadata = await sharp(bytes).metadata();
        // What an annotator sees is the cleared derivative: the task's size, no EXIF.
        expect({ width: metadata.width, height: metadata.height, exif: metadata.exif?.length ?? 0 }).toEqual({
          width: task.width,
          height: task.height,
          exif: 0,
        });
        const box = {
          x: Math.round(task.width / 4) + jitter,
          y: Math.round(task.height / 4),
          width: Math.round(task.width / 2),
          height: Math.round(task.height / 2),
        };
        const submit = await fetch(`${router}/v1/tasks/${task.taskId}/result`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({
            annotatorId,
            result: { labels: [{ class: 'subject', box, attributes: { occluded: false } }] },
          }),
        });
        expect(submit.status).toBe(200);
        done += 1;
      }
    };
    expect(await annotate('sim-a', 0)).toBe(pending.length);
    expect(await annotate('sim-b', 3)).toBe(pending.length);

    await waitFor(
      'every labelled image curated',
      async () => (await listImages()).every((image) => image.status !== 'pending_annotation'),
      60_000,
    );
    const images = (await listImages()).filter((image) => image.status === 'curated');
    expect(images.map((image) => image.imageId).sort()).toEqual(pending.map((image) => image.imageId).sort());
    const kafka = createKafka({
      clientId: `e2e-labels-${run}`,
      brokers: testInfraEnv().kafkaBrokers,
      log: () => undefined,
    });
    const consumer = kafka.consumer({ groupId: `labels-reader-${run}` });
    const records: curatedV1.ImageCurated[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.imageCurated], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return; // a tombstone of an erased image
        const record = curatedV1.ImageCurated.decode(message.value);
        if (record.image?.batchId === batchId) records.push(record);
      },
    });
    await waitFor('the curated records of the labelled batch', () => records.length >= images.length, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // room for a duplicate to show up
    await consumer.disconnect();
    expect(records.map((record) => record.image!.imageId).sort()).toEqual(
      images.map((image) => image.imageId).sort(),
    );
    for (const record of records) {
      expect(record).toMatchObject({
        coordinateConvention: 'pixel-xywh-top-left',
        labels: { labels: [{ className: 'subject', attributes: { occluded: 'false' } }] },
        annotation: { taskType: 'bbox', source: 'consensus', annotators: ['sim-a', 'sim-b'] },
        lineage: {
          batchId,
          stages: ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router', 'annotation'],
        },
      });
      expect(record.annotation!.agreement).toBeGreaterThan(0.9);
      expect(record.split).not.toBe(curatedV1.Split.SPLIT_UNSPECIFIED);
      const box = record.labels!.labels[0]!.box!;
      expect(box.x).toBeCloseTo(Math.round(record.width / 4) + 1.5, 5); // the mean of the two boxes
      expect(box.x + box.width).toBeLessThanOrEqual(record.width);
      expect(record.width).toBeLessThanOrEqual(512);
    }

    // The dataset, exported with the CLI: COCO read back by pycocotools, YOLO in the Ultralytics layout.
    const exportAs = async (format: string) => {
      const out = path.join(workDir, `export-${format}`);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          path.join(repoRoot, 'dist/services/cli/src/main.js'),
          'export',
          '--project',
          project.projectId,
          '--format',
          format,
          '--out',
          out,
          '--api',
          router,
          '--key',
          apiKey,
          '--json',
        ],
        { timeout: 120_000 },
      );
      return {
        out,
        summary: JSON.parse(stdout) as { images: number; files: string[]; bySplit: Record<string, number> },
      };
    };
    const coco = await exportAs('coco');
    expect(coco.summary.images).toBe(records.length);
    const python = path.join(repoRoot, '.aperture/venv/bin/python');
    expect({ python, exists: fs.existsSync(python) }).toEqual({ python, exists: true }); // scripts/python-env installs it
    const read = await promisify(execFile)(python, [
      '-c',
      [
        'import json, sys',
        'from pycocotools.coco import COCO',
        'out = {}',
        'for path in sys.argv[1:]:',
        '    coco = COCO(path)',
        '    images = coco.loadImgs(coco.getImgIds())',
        '    anns = coco.loadAnns(coco.getAnnIds(imgIds=coco.getImgIds()))',
        '    out[path] = {"images": len(images), "annotations": len(anns), "categories": [c["name"] for c in coco.loadCats(coco.getCatIds())], "areas_positive": all(a["area"] > 0 for a in anns)}',
        'print(json.dumps(out))',
      ].join('\n'),
      ...coco.summary.files.map((file) => path.join(coco.out, file)),
    ]);
    const checked = Object.values(
      JSON.parse(read.stdout.trim().split('\n').at(-1)!) as Record<
        string,
        { images: number; annotations: number; categories: string[]; areas_positive: boolean }
      >,
    );
    expect(checked.reduce((sum, file) => sum + file.images, 0)).toBe(records.length);
    expect(checked.reduce((sum, file) => sum + file.annotations, 0)).toBe(records.length);
    for (const file of checked) expect(file).toMatchObject({ categories: ['subject'], areas_positive: true });

    const yolo = await exportAs('yolo');
    const dataYaml = fs.readFileSync(path.join(yolo.out, 'data.yaml'), 'utf8');
    expect(dataYaml).toContain('names:\n  0: "subject"');
    for (const [split, count] of Object.entries(yolo.summary.bySplit)) {
      if (count === 0) continue;
      expect(dataYaml).toContain(`${split}: images/${split}`);
      const labels = fs.readdirSync(path.join(yolo.out, 'labels', split));
      expect(labels).toHaveLength(count);
      const line = fs.readFileSync(path.join(yolo.out, 'labels', split, labels[0]!), 'utf8').trim();
      expect(line).toMatch(/^0( (0|1|0\.\d+)){4}$/); // class cx cy w h, normalised
      expect(fs.readdirSync(path.join(yolo.out, 'images', split))).toHaveLength(count);
    }
  });

  it('reports every reason that applies, pixel defects first, on REST, the batch counts and the CLI: a blurred copy of a kept photo', async () => {
    const { apiKey } = await call<{ apiKey: string }>('POST', '/v1/tenants', { name: `reasons-${run}` });
    const project = await call<{ projectId: string }>(
      'POST',
      '/v1/projects',
      { name: `reasons-${run}` },
      apiKey,
    );
    const upload = async (file: string) =>
      (await uploadWithCli(project.projectId, apiKey, ['--timeout', '240', file])) as {
        batchId: string;
        curated: number;
        rejectedByReason: Record<string, number>;
      };
    const original = path.join(corpus, 'cameras/jpg/gps/DSCN0042.jpg');
    expect(await upload(original)).toMatchObject({ curated: 1 });
    const copy = path.join(workDir, 'DSCN0042-blurred.jpg');
    fs.writeFileSync(copy, await sharp(original).blur(4).jpeg().toBuffer());
    const summary = await upload(copy);
    expect(summary.rejectedByReason).toEqual({ blurry: 1, near_duplicate: 1 });
    const { images } = await call<{ images: ApiImage[] }>(
      'GET',
      `/v1/batches/${summary.batchId}/images`,
      undefined,
      apiKey,
    );
    expect(images.map((image) => [image.status, image.reasons.map((reason) => reason.code)])).toEqual([
      ['rejected', ['blurry', 'near_duplicate']],
    ]);
    const batch = await call<{ counts: { rejected: number; rejectedByReason: Record<string, number> } }>(
      'GET',
      `/v1/batches/${summary.batchId}`,
      undefined,
      apiKey,
    );
    expect(batch.counts).toMatchObject({ rejected: 1, rejectedByReason: { blurry: 1, near_duplicate: 1 } });
  });

  /** Every service's /metrics, parsed. */
  async function scrapeAll(): Promise<MetricSample[]> {
    const texts = await Promise.all(
      running.map(async (service) => (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text()),
    );
    return texts.flatMap(parseMetrics);
  }
});
