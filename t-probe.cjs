const { createFaceDetector } = require('./dist/libs/redaction/src/index.js');
const fs = require('fs');
(async () => {
  const d = createFaceDetector();
  for (const f of process.argv.slice(2)) {
    try { const r = await d.detect(fs.readFileSync(f)); console.log(f, r.width, r.height, JSON.stringify(r.faces)); } catch (e) { console.log(f, 'ERR', e.message); }
  }
  await d.close();
})();
