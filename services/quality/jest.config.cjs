module.exports = require('../../libs/testing/jest.preset.cjs').jestConfig(__dirname, 'unit');
