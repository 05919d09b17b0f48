// The content descriptors of one image: everything the diversity checks need, computed once in the
// pipeline (the compliance stage, from its detectors' boxes and a small copy of the image) and kept
// on the record and the curated event (aperture.content.v1.ContentDescriptors). Pure function.
import { contentOf, occlusionOf, subjectDistance, type DetectedBox, type DetectedObject } from './framing';
import { lightingOf } from './lighting';
import type { SmallImage } from './pixels';
import { headPose, viewOf, type HeadPose } from './pose';
import { cameraTilt, sceneCluster, sceneDescriptor } from './scene';

/** Bumped whenever a descriptor's definition changes: coverage compares like with like. */
export const DESCRIPTOR_VERSION = 1;

export type ViewpointBucket = 'frontal' | 'three-quarter' | 'profile' | 'rear view' | 'no people';

export interface ContentDescriptors {
  version: number;
  lighting: ReturnType<typeof lightingOf>;
  viewpoint: {
    /** Per detected face, in the detector's order (best score first). */
    faces: HeadPose[];
    /** The largest face's view; "rear view" when people were detected and none shows a face. */
    bucket: ViewpointBucket;
    /** Degrees, > 0 clockwise; absent where the picture has no dominant straight edges. */
    cameraTilt?: number;
  };
  distance: ReturnType<typeof subjectDistance>;
  occlusion: ReturnType<typeof occlusionOf>;
  content: ReturnType<typeof contentOf>;
  scene: { cluster: string; descriptor: Uint8Array };
}

export interface DescribeInput {
  /** A small copy of the upright image (DESCRIPTOR_SIDE on its longest side). */
  small: SmallImage;
  /** The full upright image's size, which the boxes are in. */
  width: number;
  height: number;
  faces: ReadonlyArray<DetectedBox & { landmarks?: readonly number[] }>;
  objects: readonly DetectedObject[];
}

export function describeContent(input: DescribeInput): ContentDescriptors {
  const { small, width, height, faces, objects } = input;
  const relative = faces.map((face) => ({
    x: face.x / width,
    y: face.y / height,
    width: face.width / width,
    height: face.height / height,
  }));
  const poses = faces.map((face) => headPose(face.landmarks));
  const tilt = cameraTilt(small);
  const descriptor = sceneDescriptor(small);
  return {
    version: DESCRIPTOR_VERSION,
    lighting: lightingOf(small, relative),
    viewpoint: {
      faces: poses.filter((pose): pose is HeadPose => pose !== undefined),
      bucket: viewpointBucket(faces, poses, objects),
      ...(tilt !== undefined && { cameraTilt: tilt }),
    },
    distance: subjectDistance(faces, objects, height),
    occlusion: occlusionOf(faces, objects, width, height),
    content: contentOf(faces, objects),
    scene: { cluster: sceneCluster(descriptor), descriptor },
  };
}

function viewpointBucket(
  faces: readonly DetectedBox[],
  poses: ReadonlyArray<HeadPose | undefined>,
  objects: readonly DetectedObject[],
): ViewpointBucket {
  let largest = -1;
  faces.forEach((face, i) => {
    if (poses[i] && (largest < 0 || face.height > faces[largest]!.height)) largest = i;
  });
  if (largest >= 0) return viewOf(poses[largest]!.yaw);
  const people = objects.filter((o) => o.label === 'person');
  return people.length > 0 ? 'rear view' : 'no people';
}

/** The buckets each image falls in, per axis: what coverage counts and targets name. */
export const AXES = [
  'timeOfDay',
  'place',
  'backlight',
  'viewpoint',
  'distance',
  'occlusion',
  'content',
] as const;
export type Axis = (typeof AXES)[number];

/** The fields the buckets come from: the descriptors, or their contract message (same names). */
export interface BucketSource {
  lighting?: { timeOfDay: string; place: string; backlit: boolean };
  viewpoint?: { bucket: string };
  distance?: { bucket: string };
  occlusion?: { bucket: string };
  content?: { bucket: string };
}

/** Every bucket of every axis: what a target or a campaign cell may name ("night", "rear view"). */
export const BUCKETS: Record<Axis, readonly string[]> = {
  timeOfDay: ['day', 'dusk', 'night'],
  place: ['indoor', 'outdoor'],
  backlight: ['backlit', 'front-lit'],
  viewpoint: ['frontal', 'three-quarter', 'profile', 'rear view', 'no people'],
  distance: ['close-up', 'near', 'medium', 'far', 'no subject'],
  occlusion: ['none', 'cut by frame', 'partly occluded', 'no subject'],
  content: ['people', 'vehicles', 'people and vehicles', 'animals', 'objects only', 'empty'],
};

export function bucketsOf(descriptors: BucketSource): Record<Axis, string> {
  return {
    timeOfDay: descriptors.lighting?.timeOfDay ?? 'unknown',
    place: descriptors.lighting?.place ?? 'unknown',
    backlight: descriptors.lighting ? (descriptors.lighting.backlit ? 'backlit' : 'front-lit') : 'unknown',
    viewpoint: descriptors.viewpoint?.bucket ?? 'unknown',
    distance: descriptors.distance?.bucket ?? 'unknown',
    occlusion: descriptors.occlusion?.bucket ?? 'unknown',
    content: descriptors.content?.bucket ?? 'unknown',
  };
}
