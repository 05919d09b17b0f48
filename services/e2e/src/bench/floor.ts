// The floor of scripts/bench-pipeline: the image work of the quality, standardize and compliance
// stages (services/*/src/*.consumer.ts), called in one process on bytes in memory, with no broker,
// database, blob store or network. Each step below is the call its stage's handler makes, in the
// same order and with the same policy; what is left out is only what distributes the work
// (records, outbox, events, blobs, audit), whose CPU is the cost this benchmark measures.
import { assessImage } from '@aperture/image-quality';
import { type ProjectPolicy, regionRuleFor } from '@aperture/policy';
import {
  createPrivacyDetector,
  decodeUpright,
  type PrivacyDetector,
  redactPixels,
} from '@aperture/redaction';
import {
  clearMetadata,
  findMetadataLeaks,
  type PixelBuffer,
  standardizeImage,
} from '@aperture/standardization';

export type FloorStage = 'quality' | 'standardize' | 'compliance';

/** Wall milliseconds each stage's calls took, summed over the images. */
export type StageMilliseconds = Record<FloorStage, number>;

/** Where an image's run through the stage functions ended (as the pipeline's would). */
export type FloorOutcome = 'cleared' | `rejected by ${FloorStage}`;

export class StageFunctions {
  readonly spent: StageMilliseconds = { quality: 0, standardize: 0, compliance: 0 };
  private readonly detector: PrivacyDetector;

  constructor(private readonly policy: ProjectPolicy) {
    // The compliance service's detector: the same worker pool (one ONNX thread per core).
    this.detector = createPrivacyDetector();
    const { rule } = regionRuleFor(policy.compliance, '');
    // The bench declares no region and no consent: the default rule applies to every face.
    if (rule.people !== 'redact') throw new Error('the floor expects the default rule to redact faces');
  }

  ready(): Promise<void> {
    return this.detector.ready;
  }

  close(): Promise<void> {
    return this.detector.close();
  }

  /** One upload through quality, standardize and compliance. */
  async run(raw: Buffer): Promise<FloorOutcome> {
    const { policy } = this;
    // quality.consumer.ts: assessImage (the bench's policy turns the duplicate checks off).
    const assessment = await this.timed('quality', () => assessImage(raw, policy.quality));
    if (!assessment.accepted) return 'rejected by quality';
    // standardize.consumer.ts: standardizeImage; a refusal is a rejection.
    const standardized = await this.timed('standardize', () =>
      standardizeImage(raw, policy.standardize).catch(() => undefined),
    );
    if (!standardized) return 'rejected by standardize';
    return this.timed('compliance', () =>
      this.comply(raw, standardized.bytes, standardized.thumbnail?.bytes),
    );
  }

  /** compliance.consumer.ts: metadata leaks, faces and plates found, redacted, metadata cleared. */
  private async comply(
    raw: Buffer,
    derivative: Buffer,
    thumbnail: Buffer | undefined,
  ): Promise<FloorOutcome> {
    const { compliance, standardize } = this.policy;
    const leaks = [
      ...(await findMetadataLeaks(derivative, compliance.allowedNames)),
      ...(thumbnail ? await findMetadataLeaks(thumbnail, compliance.allowedNames) : []),
    ];
    if (leaks.length > 0) return 'rejected by compliance';
    const { redaction } = compliance;
    // privacy.repository.ts: detect on the upright decoded derivative.
    const upright = await decodeUpright(derivative);
    const found = await this.detector.detect(upright, {
      minScore: redaction.minScore,
      minFaceSize: redaction.minFaceSize,
      plates: redaction.plates,
    });
    const boxes = [...found.faces, ...found.plates];
    const scaleTo = (pixels: PixelBuffer) => {
      const scale = pixels.width / found.width;
      const scaled = boxes.map((box) => ({
        ...box,
        x: box.x * scale,
        y: box.y * scale,
        width: box.width * scale,
        height: box.height * scale,
      }));
      pixels.data.set(redactPixels(pixels, scaled, redaction).data);
    };
    const transformPixels = boxes.length > 0 ? scaleTo : undefined;
    const { rule } = regionRuleFor(compliance, '');
    await clearMetadata(derivative, raw, standardize.quality, { keep: rule.keepMetadata, transformPixels });
    if (thumbnail) await clearMetadata(thumbnail, raw, standardize.quality, { transformPixels });
    return 'cleared';
  }

  private async timed<T>(stage: FloorStage, work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.spent[stage] += Number(process.hrtime.bigint() - start) / 1e6;
    }
  }
}
