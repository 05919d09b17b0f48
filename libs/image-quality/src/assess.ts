import type { commonV1, qualityV1 } from '@aperture/contracts';
import { asDecodeError, ImageDecodeError, openImage, type DecodedImage } from '@aperture/imaging';
import type { QualityPolicy } from '@aperture/policy';
import { createHash } from 'node:crypto';
import { analysisLongSide, analysisRaster } from './analysis-raster';
import {
  computeFingerprint,
  fingerprintHex,
  MIN_RASTER_SIDE,
  type DuplicateIndex,
  type Fingerprint,
} from './duplicates';
import { aspectRatio, judgeDimensions, judgeMetrics } from './judge';
import { measure, scanPixels, type QualityMetrics } from './metrics';

export interface Assessment {
  accepted: boolean;
  /** Set when the header decoded. */
  result?: qualityV1.QualityResult;
  /** Why it is refused; empty when accepted. */
  reasons: commonV1.Reason[];
}

/** Where earlier images of the same project are remembered, for the duplicate checks. */
export interface DuplicateScope {
  index: DuplicateIndex;
  /** This image's id and its place in the project's order ("earlier" means smaller). */
  imageId: string;
  order: string;
  /** The bytes of an earlier image, to confirm a pixel-identical match; undefined when gone. */
  loadImage(imageId: string): Promise<Buffer | undefined>;
  /** Check without recording this image (an on-demand Assess). Default: record it. */
  readOnly?: boolean;
}

export interface AssessOptions {
  /**
   * The long side the project's standardize spec delivers (`deliveredLongSide(policy.standardize)`):
   * blur is judged at that size (at most MAX_ANALYSIS_SIZE). Default: the default policy's 1024.
   */
  deliveredLongSide?: number;
}

/** The default policy's delivered long side (standardize.maxLongSide). */
export const DEFAULT_DELIVERED_LONG_SIDE = 1024;

const reject = (reasons: commonV1.Reason[], result?: qualityV1.QualityResult): Assessment => ({
  accepted: false,
  ...(result && { result }),
  reasons,
});

/**
 * Judges an image file against a project's quality policy. Never throws for bad input: every
 * refusal is a named reason. Order of the checks:
 *  1. the header (no pixels decoded): unsupported_format, corrupt, too_large;
 *  2. the displayed dimensions: too_small, odd_aspect_ratio;
 *  3. the first frame decoded at the analysis size (the delivered size within 512..1024; a
 *     truncated file is corrupt here), measured: low_information, blurry, underexposed,
 *     overexposed, low_contrast, greyscale;
 *  4. the project's earlier images: duplicate, near_duplicate. An image already refused for its
 *     pixels is looked up without being recorded (so duplicateOf always names an image that was
 *     itself worth keeping), and the duplicate reason is added after its own.
 * Every reason that applies is returned, the most fundamental first: the first is the headline.
 * The result carries every score, so a project can re-tune its thresholds without re-running.
 */
export async function assessImage(
  bytes: Buffer,
  policy: QualityPolicy,
  duplicates?: DuplicateScope,
  options: AssessOptions = {},
): Promise<Assessment> {
  let image: DecodedImage;
  try {
    image = await openImage(bytes, { maxPixels: policy.maxPixels });
  } catch (error) {
    // Anything but a verdict on the bytes (a HEIC decoder timing out, say) is transient: the
    // stage retries the message rather than reject the client's image.
    if (!(error instanceof ImageDecodeError)) throw error;
    return reject([{ code: error.code, message: error.message }]);
  }
  const { header } = image;
  const result: qualityV1.QualityResult = {
    format: header.format,
    width: header.width,
    height: header.height,
    frames: header.frames,
    fingerprint: [],
    duplicateOf: '',
    duplicateDistance: 0,
  };

  const delivered = options.deliveredLongSide ?? DEFAULT_DELIVERED_LONG_SIDE;
  const longSide = analysisLongSide(delivered);
  let raster;
  try {
    raster = await analysisRaster(image.pipeline(), longSide);
  } catch (error) {
    const decodeError = asDecodeError(error);
    return reject([{ code: decodeError.code, message: decodeError.message }], result);
  }
  const scan = scanPixels(raster);
  const { grey } = scan;
  // Judged at the delivered size, which is smaller than the raster only below MIN_ANALYSIS_SIZE.
  const rasterLongSide = Math.max(raster.width, raster.height);
  const judgedLongSide = Math.min(rasterLongSide, delivered);
  const metrics = measure(scan, judgedLongSide / rasterLongSide);
  result.metrics = metricsMessage(metrics, aspectRatio(header), judgedLongSide);
  // A picture under MIN_RASTER_SIDE pixels a side is too_small for any sensible policy and has
  // too little to fingerprint. The fingerprint bins the raster down to about 128 px itself, so it
  // is taken from the analysis raster as it is (no second resize).
  const fingerprint =
    grey.width >= MIN_RASTER_SIDE && grey.height >= MIN_RASTER_SIDE ? computeFingerprint(grey) : undefined;
  if (fingerprint) result.fingerprint = fingerprintHex(fingerprint);

  const reasons = [...judgeDimensions(header, policy), ...judgeMetrics(metrics, policy)];
  if (duplicates && fingerprint) {
    // A refused image is only looked up: the index keeps images worth keeping.
    const scope = reasons.length > 0 ? { ...duplicates, readOnly: true } : duplicates;
    const duplicate = await findDuplicate(bytes, image, grey.data, fingerprint, policy, scope);
    if (duplicate) {
      result.duplicateOf = duplicate.imageId;
      result.duplicateDistance = duplicate.distance;
      const refusal = duplicateReason(duplicate, policy);
      if (refusal) reasons.push(refusal);
    }
  }
  return reasons.length > 0 ? reject(reasons, result) : accept(result);
}

function duplicateReason(duplicate: DuplicateVerdict, policy: QualityPolicy): commonV1.Reason | undefined {
  if (duplicate.kind === 'duplicate' && policy.rejectDuplicates) {
    return { code: 'duplicate', message: `pixel-identical to the earlier image ${duplicate.imageId}` };
  }
  if (duplicate.kind === 'near_duplicate' && policy.rejectNearDuplicates) {
    return {
      code: 'near_duplicate',
      message: `the same picture as the earlier image ${duplicate.imageId} (fingerprint distance ${duplicate.distance}, project maximum ${policy.nearDuplicateDistance})`,
    };
  }
  return undefined;
}

const accept = (result: qualityV1.QualityResult): Assessment => ({ accepted: true, result, reasons: [] });

interface DuplicateVerdict {
  kind: 'duplicate' | 'near_duplicate';
  imageId: string;
  distance: number;
}

/**
 * The index is searched with a hash of the analysis raster's luminance (a third of its bytes; equal
 * pixels give equal luminance, so it misses no duplicate) and the fingerprint; whether a match is
 * pixel-identical at full resolution is settled as cheaply as the evidence allows:
 *  - the same bytes: identical, without decoding;
 *  - different displayed dimensions: not identical;
 *  - same format but different analysis luminance (a zero-distance near match): not identical,
 *    since one decoder turns the same pixels into the same analysis raster;
 *  - otherwise (equal analysis luminance, or another format): both decoded in full and compared.
 * So the full decode is paid only by real duplicates and cross-format look-alikes.
 */
async function findDuplicate(
  bytes: Buffer,
  image: DecodedImage,
  analysisLuminance: Uint8Array,
  fingerprint: Fingerprint,
  policy: QualityPolicy,
  scope: DuplicateScope,
): Promise<DuplicateVerdict | undefined> {
  if (!policy.rejectDuplicates && !policy.rejectNearDuplicates) return undefined;
  const entry = {
    imageId: scope.imageId,
    order: scope.order,
    pixelHash: createHash('sha256').update(analysisLuminance).digest('hex'),
    fingerprint,
  };
  // Searched at the project's distance even when near duplicates are allowed: the result then
  // still says which earlier image this one resembles.
  const maxDistance = policy.nearDuplicateDistance;
  const match = scope.readOnly
    ? await scope.index.find(entry, maxDistance)
    : await scope.index.checkAndAdd(entry, maxDistance);
  if (!match) return undefined;
  const near: DuplicateVerdict = { kind: 'near_duplicate', imageId: match.imageId, distance: match.distance };
  if (match.kind !== 'duplicate' && match.distance > 0) return near;
  const earlier = await scope.loadImage(match.imageId);
  if (!earlier) return near;
  const identical = await samePixels(bytes, image, earlier, match.kind === 'duplicate');
  return identical ? { kind: 'duplicate', imageId: match.imageId, distance: 0 } : near;
}

/** Both images decoded once each (HEIC pixels are kept by their DecodedImage), then compared. */
async function samePixels(
  bytes: Buffer,
  image: DecodedImage,
  earlier: Buffer,
  sameAnalysisPixels: boolean,
): Promise<boolean> {
  if (bytes.equals(earlier)) return true;
  try {
    const other = await openImage(earlier);
    const { header } = image;
    if (other.header.width !== header.width || other.header.height !== header.height) return false;
    if (other.header.format === header.format && !sameAnalysisPixels) return false;
    const [left, right] = await Promise.all([fullPixels(image), fullPixels(other)]);
    return (
      left.info.width === right.info.width &&
      left.info.height === right.info.height &&
      left.info.channels === right.info.channels &&
      left.data.equals(right.data)
    );
  } catch (error) {
    if (error instanceof ImageDecodeError) return false;
    throw error;
  }
}

const fullPixels = (image: DecodedImage) => image.pipeline().raw().toBuffer({ resolveWithObject: true });

function metricsMessage(m: QualityMetrics, aspect: number, judgedLongSide: number): qualityV1.QualityMetrics {
  return {
    ...(Number.isNaN(m.blurWidth)
      ? {}
      : { blurWidth: round(m.blurWidth), blurAngle: m.blurAngle, blurWidthAcross: round(m.blurWidthAcross) }),
    ...(Number.isNaN(m.edgeStep) ? {} : { edgeStep: round(m.edgeStep) }),
    judgedLongSide,
    brightnessP1: m.brightnessP1,
    blackLevel: m.blackLevel,
    brightnessP5: m.brightnessP5,
    brightnessP50: m.brightnessP50,
    brightnessP95: m.brightnessP95,
    brightnessP99: m.brightnessP99,
    clipped: round(m.clipped),
    contrast: round(m.contrast),
    entropy: round(m.entropy),
    colourfulness: m.colourfulness,
    aspectRatio: round(aspect),
  };
}

/** Four decimals: the scores are judged at that precision, and records stay readable. */
const round = (value: number) => Math.round(value * 10_000) / 10_000;
