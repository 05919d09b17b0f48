// Lighting descriptors from the small picture and the face boxes: time of day, indoor or outdoor,
// backlit. Classical rules over luma and colour (thresholds in the constants below); how well they
// agree with labels is measured in docs/validity.md, not assumed. Pure functions.
import { lumaOf, meanIn, type SmallImage } from './pixels';

export type TimeOfDay = 'day' | 'dusk' | 'night';
export type Place = 'indoor' | 'outdoor';

export interface Lighting {
  timeOfDay: TimeOfDay;
  place: Place;
  backlit: boolean;
  /** Mean luma 0..255. */
  luminance: number;
  /** Share of the top third's pixels that look like open sky (blue, or bright and grey). */
  sky: number;
  /** Share of pixels that look like vegetation (green above red and blue). */
  greenery: number;
  /** Mean red minus blue, -255..255: > 0 warm (tungsten, sunset), < 0 cool (sky, shade). */
  warmth: number;
}

/** Below this mean luma a picture is night; below DUSK_LUMA dusk (unless lit like day indoors). */
const NIGHT_LUMA = 50;
const DUSK_LUMA = 85;
/** Outdoor when this much of the top third is sky, or this much of the picture is vegetation. */
const OUTDOOR_SKY = 0.12;
const OUTDOOR_GREENERY = 0.15;
/** Backlit: the subject's mean luma under this share of its surroundings', which are bright. */
const BACKLIT_RATIO = 0.55;
const BACKLIT_SURROUND = 130;

/** A box in fractions of the image (0..1). */
export interface RelativeBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function lightingOf(image: SmallImage, faces: readonly RelativeBox[] = []): Lighting {
  const { data, width, height } = image;
  const luma = lumaOf(image);
  let sum = 0;
  let warm = 0;
  let green = 0;
  let sky = 0;
  const topRows = Math.max(1, Math.round(height / 3));
  for (let i = 0, p = 0; i < luma.length; i++, p += 3) {
    const r = data[p]!;
    const g = data[p + 1]!;
    const b = data[p + 2]!;
    sum += luma[i]!;
    warm += r - b;
    if (g > r + 8 && g > b + 8 && luma[i]! > 30) green++;
    if (i < topRows * width) {
      const blueSky = b > r + 15 && b >= g && luma[i]! > 90;
      const greySky = luma[i]! > 200 && Math.max(r, g, b) - Math.min(r, g, b) < 25;
      if (blueSky || greySky) sky++;
    }
  }
  const pixels = luma.length;
  const luminance = sum / pixels;
  const skyShare = sky / (topRows * width);
  const greenery = green / pixels;
  const place: Place = skyShare >= OUTDOOR_SKY || greenery >= OUTDOOR_GREENERY ? 'outdoor' : 'indoor';
  const timeOfDay: TimeOfDay = luminance < NIGHT_LUMA ? 'night' : luminance < DUSK_LUMA ? 'dusk' : 'day';
  return {
    timeOfDay,
    place,
    backlit: isBacklit(luma, width, height, faces),
    luminance: round(luminance),
    sky: round(skyShare, 3),
    greenery: round(greenery, 3),
    warmth: round(warm / pixels),
  };
}

/**
 * Faces darker than their bright surroundings (the whole picture less the faces), or without
 * faces, the centre (the middle half) darker than a bright border.
 */
function isBacklit(
  luma: Float32Array,
  width: number,
  height: number,
  faces: readonly RelativeBox[],
): boolean {
  const total = luma.reduce((a, b) => a + b, 0);
  if (faces.length > 0) {
    let faceSum = 0;
    let faceArea = 0;
    for (const face of faces) {
      const mean = meanIn(luma, width, height, face);
      const area = Math.max(1, Math.round(face.width * width) * Math.round(face.height * height));
      if (mean !== undefined) {
        faceSum += mean * area;
        faceArea += area;
      }
    }
    if (faceArea === 0 || faceArea >= luma.length) return false;
    const surround = (total - faceSum) / (luma.length - faceArea);
    return surround >= BACKLIT_SURROUND && faceSum / faceArea < BACKLIT_RATIO * surround;
  }
  const centre = meanIn(luma, width, height, { x: 0.25, y: 0.25, width: 0.5, height: 0.5 }) ?? 0;
  const centreArea = Math.round(width / 2) * Math.round(height / 2);
  const border = (total - centre * centreArea) / Math.max(1, luma.length - centreArea);
  return border >= BACKLIT_SURROUND && centre < BACKLIT_RATIO * border;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
