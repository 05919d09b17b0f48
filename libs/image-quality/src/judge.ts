import type { commonV1 } from '@aperture/contracts';
import type { QualityPolicy } from '@aperture/persistence';
import type { QualityMetrics } from './metrics';

/**
 * Overexposure also needs the darkest 5 % of pixels to be lighter than this: a photo with real
 * shadows is exposed for them, however much white background or snow surrounds them.
 */
export const OVEREXPOSED_SHADOW_FLOOR = 40;

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
  if (!lowInformation && !Number.isNaN(m.blur) && m.blur > policy.maxBlur) {
    reasons.push(
      reason('blurry', `blur ${m.blur.toFixed(2)} is above the project maximum ${policy.maxBlur}`),
    );
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
