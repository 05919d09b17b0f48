import { headPose, viewOf } from './pose';

// The ArcFace 5-point template (112 x 112): a frontal, upright face.
const FRONTAL = [38.3, 51.7, 73.5, 51.5, 56.0, 71.7, 41.5, 92.4, 70.7, 92.2];

/** The template's points projected after turning the head by `yaw` degrees about a vertical axis. */
function turned(yaw: number): number[] {
  const t = (yaw * Math.PI) / 180;
  // Depths (towards the camera) of a mean face, in template pixels: eyes 0, nose tip 19, mouth 8.
  const depth = [0, 0, 19.4, 8, 8];
  return FRONTAL.map((value, i) => {
    if (i % 2 === 1) return value;
    const x = value - 56;
    return 56 + x * Math.cos(t) + depth[i / 2]! * Math.sin(t);
  });
}

function rotated(points: number[], degrees: number): number[] {
  const t = (degrees * Math.PI) / 180;
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i]! - 56;
    const y = points[i + 1]! - 70;
    out.push(56 + x * Math.cos(t) - y * Math.sin(t), 70 + x * Math.sin(t) + y * Math.cos(t));
  }
  return out;
}

describe('headPose', () => {
  it('reads a frontal template face as facing the camera', () => {
    const pose = headPose(FRONTAL)!;
    expect(Math.abs(pose.yaw)).toBeLessThan(3);
    expect(Math.abs(pose.pitch)).toBeLessThan(3);
    expect(Math.abs(pose.roll)).toBeLessThan(1);
  });

  it('follows a turn of the head within a few degrees, with its sign', () => {
    for (const yaw of [-60, -30, 15, 45]) {
      expect(headPose(turned(yaw))!.yaw).toBeGreaterThan(yaw - 8);
      expect(headPose(turned(yaw))!.yaw).toBeLessThan(yaw + 8);
    }
  });

  it('measures roll and still reads yaw on a tilted head', () => {
    const pose = headPose(rotated(turned(30), 20))!;
    expect(pose.roll).toBeCloseTo(20, 0);
    expect(pose.yaw).toBeGreaterThan(22);
    expect(pose.yaw).toBeLessThan(38);
  });

  it('reads a nose raised towards the eyes as looking up', () => {
    const up = [...FRONTAL];
    up[5] = 64;
    expect(headPose(up)!.pitch).toBeGreaterThan(15);
    const down = [...FRONTAL];
    down[5] = 80;
    expect(headPose(down)!.pitch).toBeLessThan(-15);
  });

  it('gives nothing without five finite landmarks or with coincident eyes', () => {
    expect(headPose(undefined)).toBeUndefined();
    expect(headPose(FRONTAL.slice(0, 8))).toBeUndefined();
    expect(headPose([...FRONTAL.slice(0, 9), Number.NaN])).toBeUndefined();
    expect(headPose([10, 10, 10, 10, 10, 20, 5, 30, 15, 30])).toBeUndefined();
  });

  it('buckets views at 25° and 55°', () => {
    expect([0, -24, 25, -54, 55, 90].map(viewOf)).toEqual([
      'frontal',
      'frontal',
      'three-quarter',
      'three-quarter',
      'profile',
      'profile',
    ]);
  });
});
