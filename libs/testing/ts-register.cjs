// Lets a plain `node` process run the TypeScript sources of the repo, as Jest does (SWC with
// jest.preset.cjs's options) and with the same @aperture/* aliases to each lib's src/index.ts.
// For tests that must measure a separate process (peak RSS of the hostile corpus) without a build.
// Use: node -r ./libs/testing/ts-register.cjs some/file.ts
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');
const { swcOptions } = require('./jest.preset.cjs');

const root = path.resolve(__dirname, '../..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};

// Registering the extension also makes require('./x') find x.ts.
Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
