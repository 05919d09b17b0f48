// Head pose from the five landmarks the face detector gives (CenterFace: eyes, nose tip, mouth
// corners), by the geometry of a mean face: no model. Pure functions.

/** Degrees. yaw > 0: the face turned towards the image's right; pitch > 0: looking up; roll > 0: the head tilted clockwise in the image. */
export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
}

/**
 * Depth of the nose tip in front of the eyes, over the distance between the eyes (a mean adult
 * face: ~3.5 cm over ~6.3 cm). A turn by θ moves the nose sideways by depth·sin θ while the eyes'
 * distance shrinks to cos θ: the offset ratio is 0.55·tan θ.
 */
const NOSE_DEPTH_OVER_EYES = 0.55;
/**
 * Where the nose tip sits between the eyes' and the mouth's mid-points on a frontal face (the
 * ArcFace 5-point template: eyes y 51.6, nose 71.7, mouth 92.2 → 0.495).
 */
const FRONTAL_NOSE_HEIGHT = 0.495;
/** Depth of the nose tip over the eye-to-mouth distance (~3.5 cm over ~7 cm). */
const NOSE_DEPTH_OVER_EYE_MOUTH = 0.5;

const DEG = 180 / Math.PI;

/**
 * Yaw, pitch and roll of a face from its landmarks [x0, y0, ..., x4, y4] (eye, eye, nose, mouth
 * corner, mouth corner, each pair in the face's own order). Undefined for fewer than 10 finite
 * numbers or coincident eyes.
 */
export function headPose(landmarks: readonly number[] | undefined): HeadPose | undefined {
  if (!landmarks || landmarks.length < 10 || !landmarks.slice(0, 10).every(Number.isFinite)) return undefined;
  const [ex0, ey0, ex1, ey1, nx, ny, mx0, my0, mx1, my1] = landmarks as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const roll = Math.atan2(ey1 - ey0, ex1 - ex0);
  // Undo the roll about the eyes' mid-point: the rest is measured on an upright face.
  const cx = (ex0 + ex1) / 2;
  const cy = (ey0 + ey1) / 2;
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  const upright = (x: number, y: number) =>
    [cos * (x - cx) - sin * (y - cy), sin * (x - cx) + cos * (y - cy)] as const;
  const [e0x] = upright(ex0, ey0);
  const [e1x] = upright(ex1, ey1);
  const [nX, nY] = upright(nx, ny);
  const [m0x, m0y] = upright(mx0, my0);
  const [m1x, m1y] = upright(mx1, my1);
  const eyes = e1x - e0x;
  if (!(Math.abs(eyes) > 1e-6)) return undefined;
  const mouthX = (m0x + m1x) / 2;
  const mouthY = (m0y + m1y) / 2;
  // The face's midline runs from the eyes' mid-point (0, 0) to the mouth's: its x at the nose.
  const midlineX = mouthY !== 0 ? (mouthX * nY) / mouthY : mouthX / 2;
  const yaw = Math.atan((nX - midlineX) / Math.abs(eyes) / NOSE_DEPTH_OVER_EYES);
  const eyeMouth = mouthY;
  const pitch =
    eyeMouth > 1e-6
      ? Math.asin(clamp((FRONTAL_NOSE_HEIGHT - nY / eyeMouth) / NOSE_DEPTH_OVER_EYE_MOUTH, -1, 1))
      : 0;
  return { yaw: round1(yaw * DEG), pitch: round1(pitch * DEG), roll: round1(roll * DEG) };
}

export type ViewBucket = 'frontal' | 'three-quarter' | 'profile';

/** frontal |yaw| < 25°, three-quarter < 55°, else profile. */
export function viewOf(yaw: number): ViewBucket {
  const turn = Math.abs(yaw);
  return turn < 25 ? 'frontal' : turn < 55 ? 'three-quarter' : 'profile';
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const round1 = (value: number) => Math.round(value * 10) / 10;
