// Test support (not built into the services): synthetic pictures and exact edits of them, for
// tests of duplicate indexes.
export * as duplicateTestPictures from './test-pictures';
