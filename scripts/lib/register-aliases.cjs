// Lets compiled services resolve the @aperture/* path aliases at run time: each alias of
// tsconfig.base.json ("libs/x/src/index.ts") is served from its compiled twin under dist/
// ("dist/libs/x/src/index.js"), which `tsc` writes when a service is built.
// Use: node -r ./scripts/lib/register-aliases.cjs dist/services/<name>/src/main.js
'use strict';
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    alias,
    path.join(root, 'dist', target.replace(/\.ts$/, '.js')),
  ]),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  const target = aliases.get(request);
  return resolve.call(this, target ?? request, ...rest);
};
