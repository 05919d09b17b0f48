import type { StandardizePolicy } from '@aperture/policy';

export interface Size {
  width: number;
  height: number;
}

export interface Region extends Size {
  left: number;
  top: number;
}

export interface Edges {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Where the upright source goes: cropped (cover), resized, padded (pad), in that order. */
export interface GeometryPlan {
  /** The part of the upright source kept, before resizing (cover only). */
  crop?: Region;
  /** The size the (cropped) image is resized to; absent when it keeps its size. */
  resize?: Size;
  /** Borders added around the resized image (pad only). */
  pad?: Edges;
  /** The derivative's size. */
  output: Size;
}

type GeometrySpec = Pick<
  StandardizePolicy,
  'maxLongSide' | 'width' | 'height' | 'fit' | 'aspectRatio' | 'upscale'
>;

/**
 * The box an image of `source` size is fitted to: `width × height` when both are set; else a box
 * of long side `maxLongSide` in the `aspectRatio` "W:H" (landscape ratios are `maxLongSide` wide,
 * portrait ones `maxLongSide` high); else undefined, meaning "long side at most maxLongSide, the
 * image's own ratio" (every fit is then `contain`).
 */
export function targetBox(spec: GeometrySpec): Size | undefined {
  if (spec.width > 0 && spec.height > 0) return { width: spec.width, height: spec.height };
  const ratio = /^(\d+):(\d+)$/.exec(spec.aspectRatio);
  if (!ratio) return undefined;
  const r = Number(ratio[1]) / Number(ratio[2]);
  const long = spec.maxLongSide;
  return r >= 1
    ? { width: long, height: Math.max(1, Math.round(long / r)) }
    : { width: Math.max(1, Math.round(long * r)), height: long };
}

/** Plans the crop, resize and padding that bring an upright `source` into the spec's box. */
export function planGeometry(source: Size, spec: GeometrySpec): GeometryPlan {
  const box = targetBox(spec);
  if (!box) {
    const square = { width: spec.maxLongSide, height: spec.maxLongSide };
    return withResize(source, containedSize(source, square, spec.upscale));
  }
  switch (spec.fit) {
    case 'contain':
      return withResize(source, containedSize(source, box, spec.upscale));
    case 'exact':
      return withResize(source, box);
    case 'pad': {
      const inner = containedSize(source, box, spec.upscale);
      const left = Math.floor((box.width - inner.width) / 2);
      const top = Math.floor((box.height - inner.height) / 2);
      const pad = {
        top,
        bottom: box.height - inner.height - top,
        left,
        right: box.width - inner.width - left,
      };
      const plan = withResize(source, inner);
      return Object.values(pad).some((edge) => edge > 0) ? { ...plan, pad, output: box } : plan;
    }
    case 'cover': {
      const aspect = box.width / box.height;
      const crop: Size =
        source.width / source.height > aspect
          ? {
              width: Math.min(source.width, Math.max(1, Math.round(source.height * aspect))),
              height: source.height,
            }
          : {
              width: source.width,
              height: Math.min(source.height, Math.max(1, Math.round(source.width / aspect))),
            };
      const region = {
        left: Math.floor((source.width - crop.width) / 2),
        top: Math.floor((source.height - crop.height) / 2),
        ...crop,
      };
      // Without upscaling a crop smaller than the box keeps its pixels: the box's ratio, not its size.
      const target = !spec.upscale && crop.width < box.width ? crop : box;
      const plan = withResize(crop, target);
      const cropped = crop.width !== source.width || crop.height !== source.height;
      return cropped ? { crop: region, ...plan } : plan;
    }
  }
}

/** The largest size of `source`'s ratio inside `box`, never enlarged unless `upscale`. */
function containedSize(source: Size, box: Size, upscale: boolean): Size {
  let scale = Math.min(box.width / source.width, box.height / source.height);
  if (!upscale) scale = Math.min(scale, 1);
  return {
    width: Math.max(1, Math.min(box.width, Math.round(source.width * scale))),
    height: Math.max(1, Math.min(box.height, Math.round(source.height * scale))),
  };
}

function withResize(from: Size, to: Size): GeometryPlan {
  const same = from.width === to.width && from.height === to.height;
  return same ? { output: { ...to } } : { resize: { ...to }, output: { ...to } };
}
