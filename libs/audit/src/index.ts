export { ChainVerifier, chainEntry, entryHash, GENESIS_HASH } from './chain';
export type { AuditFacts, AuditInput, ChainedEntry, ChainProblem } from './chain';
