module.exports = require('../testing/jest.preset.cjs').jestConfig(__dirname, 'unit');
