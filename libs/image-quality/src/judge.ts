import type { commonV1 } from '@aperture/contracts';
import { MOTION_BLUR_MIN_WIDTH, type QualityPolicy } from '@aperture/policy';
import type { QualityMetrics } from './metrics';

/**
 * Overexposure also needs the darkest 5 % of pixels to be lighter than this: a photo with real
 * shadows is exposed for them, however much white background or snow surrounds them.
 */
export const OVEREXPOSED_SHADOW_FLOOR = 40;

/**
 * Washed out: no true black anywhere (the black level lifted) and a bright picture overall. Haze
 * lifts the blacks of the distance only; the foreground keeps its shadows, so a hazy but well
 * exposed scene is not washed out. Not judged on a low-contrast frame: low_contrast says why.
 */
/**
 * Washed out also needs bright highlights (the brightest 1 % at least this): the gain was raised.
 * A picture whose range was squeezed around mid-grey from both ends (a deliberately low-contrast
 * scene, a matte print) has lifted blacks too, but dim whites.
 */
export const WASHED_OUT_MIN_HIGHLIGHT = 230;

export function washedOut(m: QualityMetrics, policy: QualityPolicy): boolean {
  // A frame too flat to have a range (a blank wall, fog with nothing in it) is low_contrast.
  if (m.contrast < policy.minContrast) return false;
  return (
    m.blackLevel > policy.maxBlackLevel &&
    m.brightnessP50 >= policy.washedOutMinMedian &&
    m.brightnessP99 >= WASHED_OUT_MIN_HIGHLIGHT
  );
}

/**
 * blurry, whatever the width, when even the sharpest edges step by less than this many luminance
 * levels per pixel at the judged size: nothing in the picture is in focus (an entirely defocused
 * frame measures about 1; real photos, night and low-contrast scenes included, far more:
 * docs/calibration.md).
 */
export const MIN_EDGE_STEP = 2;

export interface Dimensions {
  width: number;
  height: number;
}

type Reason = commonV1.Reason;
const reason = (code: string, message: string): Reason => ({ code, message });

/** too_small and odd_aspect_ratio: judged from the header alone (displayed dimensions). */
export function judgeDimensions({ width, height }: Dimensions, policy: QualityPolicy): Reason[] {
  const reasons: Reason[] = [];
  if (width < policy.minWidth || height < policy.minHeight) {
    reasons.push(
      reason(
        'too_small',
        `${width}×${height} is smaller than the project minimum ${policy.minWidth}×${policy.minHeight}`,
      ),
    );
  }
  const ratio = aspectRatio({ width, height });
  if (ratio > policy.maxAspectRatio) {
    reasons.push(
      reason(
        'odd_aspect_ratio',
        `the aspect ratio ${ratio.toFixed(2)}:1 is beyond the project maximum ${policy.maxAspectRatio}:1`,
      ),
    );
  }
  return reasons;
}

export function aspectRatio({ width, height }: Dimensions): number {
  return Math.max(width, height) / Math.max(1, Math.min(width, height));
}

/** The pixel defects, in a fixed order, each with the measured score and the threshold it crossed. */
export function judgeMetrics(m: QualityMetrics, policy: QualityPolicy): Reason[] {
  const reasons: Reason[] = [];
  const lowInformation = m.entropy < policy.minEntropy;
  if (lowInformation) {
    reasons.push(
      reason(
        'low_information',
        `the picture carries almost nothing: entropy ${m.entropy.toFixed(2)} bits is below ${policy.minEntropy}`,
      ),
    );
  }
  // Blur is not judged on a picture without detail (no edges, or too little information): there
  // is nothing whose sharpness could be measured, and low_information already says why.
  const noEdge = m.edgeStep < MIN_EDGE_STEP && policy.maxBlurWidth < 100;
  if (!lowInformation && noEdge) {
    reasons.push(
      reason(
        'blurry',
        `nothing is in focus: even the sharpest edges change by ${m.edgeStep.toFixed(2)} levels per pixel at the delivered size (below ${MIN_EDGE_STEP})`,
      ),
    );
  } else if (!lowInformation && !Number.isNaN(m.blurWidth)) {
    const anisotropy = m.blurWidth / m.blurWidthAcross;
    if (m.blurWidth > policy.maxBlurWidth) {
      reasons.push(
        reason(
          'blurry',
          `edges are blurred ${m.blurWidth.toFixed(2)} px wide (at ${m.blurAngle}°) at the delivered size, above the project maximum ${policy.maxBlurWidth} px`,
        ),
      );
    } else if (m.blurWidth >= MOTION_BLUR_MIN_WIDTH && anisotropy > policy.maxBlurAnisotropy) {
      reasons.push(
        reason(
          'blurry',
          `motion blur: edges along ${m.blurAngle}° are ${anisotropy.toFixed(2)}× as blurred as across (${m.blurWidth.toFixed(2)} vs ${m.blurWidthAcross.toFixed(2)} px), above the project maximum ${policy.maxBlurAnisotropy}×`,
        ),
      );
    }
  }
  if (m.brightnessP99 < policy.minBrightnessP99) {
    reasons.push(
      reason(
        'underexposed',
        `even the brightest 1% of pixels is dark: ${m.brightnessP99} is below ${policy.minBrightnessP99}`,
      ),
    );
  }
  if (m.clipped > policy.maxClipped && m.brightnessP5 > OVEREXPOSED_SHADOW_FLOOR) {
    reasons.push(
      reason(
        'overexposed',
        `${Math.round(m.clipped * 100)}% of pixels are blown out (project maximum ${Math.round(policy.maxClipped * 100)}%) and there are no deep shadows`,
      ),
    );
  } else if (washedOut(m, policy)) {
    reasons.push(
      reason(
        'overexposed',
        `washed out: no part of the picture has a true black (the darkest 1% of its darkest part is at ${m.blackLevel}, project maximum black level ${policy.maxBlackLevel}) and the median is bright, ${m.brightnessP50} (at least ${policy.washedOutMinMedian})`,
      ),
    );
  }
  if (m.contrast < policy.minContrast) {
    reasons.push(
      reason(
        'low_contrast',
        `contrast ${m.contrast.toFixed(2)} is below the project minimum ${policy.minContrast}`,
      ),
    );
  }
  if (policy.rejectGreyscale && m.colourfulness <= policy.greyscaleMaxColourfulness) {
    reasons.push(
      reason(
        'greyscale',
        `the pixels carry no colour: colourfulness ${m.colourfulness} is at most ${policy.greyscaleMaxColourfulness}`,
      ),
    );
  }
  return reasons;
}
