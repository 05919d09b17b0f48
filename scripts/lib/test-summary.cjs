// Adds up the counts the Jest summary reporter left under coverage/ and prints the closing line.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '../../coverage');
const totals = { passed: 0, failed: 0, skipped: 0 };
const runs = [];
(function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('-results.json')) {
      const counts = JSON.parse(fs.readFileSync(full, 'utf8'));
      runs.push(
        `${path.relative(root, full).replace('-results.json', '')}: ${counts.passed} passed, ${counts.failed} failed`,
      );
      for (const key of Object.keys(totals)) totals[key] += counts[key];
    }
  }
})(root);

for (const run of runs.sort()) console.log(`  ${run}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || runs.length === 0 ? 1 : 0);
