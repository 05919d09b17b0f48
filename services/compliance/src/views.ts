import type { ChainedEntry } from '@aperture/audit';
import type { complianceV1 } from '@aperture/contracts';

/** The contract's audit entry; `action` is the outcome's first word (the older field). */
export const toAuditEntry = (entry: ChainedEntry): complianceV1.AuditEntry => ({
  at: entry.at,
  imageId: entry.imageId,
  action: entry.outcome.split(':')[0] ?? entry.outcome,
  detail: entry.detail,
  seq: String(entry.seq),
  stage: entry.stage,
  rule: entry.rule,
  outcome: entry.outcome,
  actor: entry.actor,
  subjectId: entry.subjectId,
  inputs: entry.inputs,
  prevHash: entry.prevHash,
  hash: entry.hash,
  tenantId: entry.tenantId,
});
