// The face detector's worker thread: SSD-MobileNet v1 from @vladmandic/face-api on the
// TensorFlow.js WASM backend. Plain CommonJS that imports only npm packages, so the same file runs
// from the sources (under Jest, whose transform does not reach worker threads) and from dist/
// (the build copies it beside the compiled face-detector.repository.js).
//
// Nothing is fetched: the backend's .wasm binaries and the model's JSON manifest and weights are
// read from the installed packages (setWasmPaths with a directory; loadFromDisk with a folder).
//
// Protocol: workerData = { threads }. Messages in: { id, pixels: Uint8Array (transferred),
// width, height, channels, tiles: [{ x, y, width, height, step, outWidth, outHeight }], minScore }.
// Out: { ready: { name, version } } once, then per request { id, boxes: [[...per tile]] } with each
// box in the tile's output pixels, or { id, error }. Requests run one after another.
'use strict';
const path = require('node:path');
const { parentPort } = require('node:worker_threads');

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const faceApiDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));

async function init() {
  // A trailing separator: the backend appends the file names to this prefix.
  wasm.setWasmPaths(path.join(wasmDir, 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WASM backend did not initialise');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(path.join(faceApiDir, 'model'));
  const { version } = require(path.join(faceApiDir, 'package.json'));
  return { name: 'ssd_mobilenetv1', version: `@vladmandic/face-api@${version}` };
}

/**
 * The tile's region as an RGB Uint8Array of (width / step) x (height / step), each output pixel the
 * mean of a step x step block (grey and grey+alpha expanded, alpha dropped).
 */
function cropRgb(pixels, imageWidth, channels, tile) {
  const step = tile.step;
  const w = Math.max(1, Math.floor(tile.width / step));
  const h = Math.max(1, Math.floor(tile.height / step));
  const out = new Uint8Array(w * h * 3);
  const colour = channels >= 3;
  const n = step * step;
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < step; dy++) {
        let i = ((tile.y + oy * step + dy) * imageWidth + tile.x + ox * step) * channels;
        for (let dx = 0; dx < step; dx++, i += channels) {
          r += pixels[i];
          g += colour ? pixels[i + 1] : pixels[i];
          b += colour ? pixels[i + 2] : pixels[i];
        }
      }
      const o = (oy * w + ox) * 3;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  }
  return { rgb: out, width: w, height: h };
}

async function detectTile(message, tile, options) {
  const crop = cropRgb(message.pixels, message.width, message.channels, tile);
  const input = tf.tensor3d(crop.rgb, [crop.height, crop.width, 3], 'int32');
  let resized = input;
  try {
    if (crop.width !== tile.outWidth || crop.height !== tile.outHeight) {
      resized = tf.image.resizeBilinear(input, [tile.outHeight, tile.outWidth]);
    }
    const found = await faceapi.detectAllFaces(resized, options);
    return found.map((d) => [d.box.x, d.box.y, d.box.width, d.box.height, d.score]);
  } finally {
    if (resized !== input) resized.dispose();
    input.dispose();
  }
}

const ready = init();
ready.then(
  (model) => parentPort.postMessage({ ready: model }),
  (error) => parentPort.postMessage({ initError: String(error && error.stack ? error.stack : error) }),
);

let queue = Promise.resolve();
parentPort.on('message', (message) => {
  queue = queue.then(async () => {
    try {
      await ready;
      const options = new faceapi.SsdMobilenetv1Options({ minConfidence: message.minScore, maxResults: 200 });
      const boxes = [];
      for (const tile of message.tiles) boxes.push(await detectTile(message, tile, options));
      parentPort.postMessage({ id: message.id, boxes });
    } catch (error) {
      parentPort.postMessage({
        id: message.id,
        error: String(error && error.message ? error.message : error),
      });
    }
  });
});
