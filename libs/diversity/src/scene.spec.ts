import { lightingOf } from './lighting';
import type { SmallImage } from './pixels';
import { cameraTilt, SCENE_DIMENSIONS, sceneCluster, sceneDescriptor, sceneDistance } from './scene';

/** A width x height picture whose pixel colour is `colour(x, y)`. */
function picture(
  width: number,
  height: number,
  colour: (x: number, y: number) => [number, number, number],
): SmallImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  return { data, width, height };
}

const sky = picture(96, 64, (_x, y) => (y < 24 ? [110, 160, 235] : [70, 130, 50]));
const room = picture(96, 64, (x, y) => ((x >> 3) % 2 === (y >> 3) % 2 ? [150, 110, 80] : [120, 90, 60]));
const dark = picture(96, 64, () => [20, 22, 30]);

describe('lightingOf', () => {
  it('reads sky over grass as outdoor day, a warm dim room as indoor, a dark picture as night', () => {
    expect(lightingOf(sky)).toMatchObject({ place: 'outdoor', timeOfDay: 'day', backlit: false });
    expect(lightingOf(room)).toMatchObject({ place: 'indoor', timeOfDay: 'day' });
    expect(lightingOf(room).warmth).toBeGreaterThan(50);
    expect(lightingOf(dark)).toMatchObject({ timeOfDay: 'night' });
  });

  it('calls a face much darker than bright surroundings backlit', () => {
    const backlit = picture(96, 64, (x, y) =>
      x >= 40 && x < 56 && y >= 20 && y < 40 ? [40, 35, 30] : [230, 230, 235],
    );
    const face = { x: 40 / 96, y: 20 / 64, width: 16 / 96, height: 20 / 64 };
    expect(lightingOf(backlit, [face]).backlit).toBe(true);
    expect(lightingOf(sky, [face]).backlit).toBe(false);
    // Without faces, the centre against the border.
    const window = picture(96, 64, (x, y) =>
      x > 24 && x < 72 && y > 16 && y < 48 ? [30, 30, 30] : [240, 240, 240],
    );
    expect(lightingOf(window).backlit).toBe(true);
  });
});

describe('scene descriptor', () => {
  it('is 64 bytes, near for the same scene re-lit, far for another scene', () => {
    const a = sceneDescriptor(sky);
    expect(a).toHaveLength(SCENE_DIMENSIONS);
    const brighter = picture(96, 64, (x, y) => {
      const [r, g, b] = y < 24 ? [110, 160, 235] : [70, 130, 50];
      return [r + 10, g + 10, Math.min(255, b + 10)];
    });
    expect(sceneDistance(a, sceneDescriptor(brighter))).toBeLessThan(0.05);
    expect(sceneDistance(a, sceneDescriptor(room))).toBeGreaterThan(0.15);
    expect(sceneDistance(a, a)).toBe(0);
  });

  it('puts the same descriptor in the same cluster every time, two hex digits', () => {
    const key = sceneCluster(sceneDescriptor(sky));
    expect(key).toMatch(/^[0-9a-f]{2}$/);
    expect(sceneCluster(sceneDescriptor(sky))).toBe(key);
  });
});

describe('cameraTilt', () => {
  /** A horizon through the centre, turned by `degrees` clockwise, anti-aliased as a downscaled photo is. */
  const horizon = (degrees: number) => {
    const t = (degrees * Math.PI) / 180;
    return picture(96, 96, (x, y) => {
      // Signed distance to the line, then a one-pixel ramp between sky and ground.
      const d = (y - 48) * Math.cos(t) - (x - 48) * Math.sin(t);
      const sky = Math.min(1, Math.max(0, 0.5 - d));
      return [60 + 140 * sky, 70 + 140 * sky, 40 + 190 * sky].map(Math.round) as [number, number, number];
    });
  };

  it('reads the angle of a dominant straight edge, clockwise positive', () => {
    expect(cameraTilt(horizon(0))).toBeCloseTo(0, 0);
    expect(cameraTilt(horizon(8))!).toBeGreaterThan(5);
    expect(cameraTilt(horizon(8))!).toBeLessThan(11);
    expect(cameraTilt(horizon(-8))!).toBeLessThan(-5);
  });

  it('gives nothing for a picture without edges', () => {
    expect(cameraTilt(dark)).toBeUndefined();
  });
});
