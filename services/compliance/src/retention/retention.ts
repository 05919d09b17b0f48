import { type ImageRecord, projectRecordModel, type ProjectRecord } from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';
import type { AuditLog } from '../audit/audit-log';
import { blobHeldElsewhere } from '../erasure/erasure';

const DAY_MS = 86_400_000;

export interface RetentionSweep {
  /** Raw uploads deleted from the blob store. */
  deleted: number;
  /** Records whose raw upload was due but is still held by another image (identical upload). */
  released: number;
}

/**
 * Deletes the raw upload of every image that reached curated or rejected more than its project's
 * `compliance.rawRetentionDays` before `now` (the record keeps the upload's checksum, and notes
 * when). `now` is the caller's clock, so a test can move time. Images settled before records kept
 * `settledAt` are not touched: when they settled is unknown.
 */
export async function sweepRetention(ctx: StageContext, audit: AuditLog, now: Date): Promise<RetentionSweep> {
  const projects = await projectRecordModel(ctx.pipeline.connection)
    .find({ 'policy.compliance.rawRetentionDays': { $gt: 0 } }, { _id: 1, tenantId: 1, policy: 1 })
    .lean<Array<Pick<ProjectRecord, '_id' | 'tenantId' | 'policy'>>>()
    .exec();
  const sweep: RetentionSweep = { deleted: 0, released: 0 };
  for (const project of projects) {
    const days = project.policy.compliance.rawRetentionDays;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    const due = await ctx.pipeline.records.model
      .find(
        {
          tenantId: project.tenantId,
          projectId: project._id,
          status: { $in: ['curated', 'rejected'] },
          rawDeletedAt: null,
          settledAt: { $ne: null, $lte: cutoff },
        },
        { _id: 1, raw: 1, settledAt: 1, status: 1 },
      )
      .lean<Array<Pick<ImageRecord, '_id' | 'raw' | 'settledAt' | 'status'>>>()
      .exec();
    for (const record of due) {
      const held = await blobHeldElsewhere(ctx, record.raw.key, record._id);
      if (!held) await ctx.blobs.delete(record.raw.key);
      await ctx.pipeline.records.markRawDeleted(record._id, now);
      if (held) sweep.released += 1;
      else sweep.deleted += 1;
      await audit.append(
        {
          tenantId: project.tenantId,
          stage: 'retention',
          rule: `project ${project._id}: raw uploads kept ${days} day(s) after the image settled`,
          // The same words whether or not another image (maybe another tenant's) holds the same
          // bytes: the tenant's log must not tell it that someone else uploaded this file.
          outcome: 'raw_deleted',
          actor: 'service:compliance',
          imageId: record._id,
          inputs: [{ name: 'raw', sha256: record.raw.sha256 }],
          detail: `${record.status} at ${record.settledAt!.toISOString()}`,
        },
        `retention/${record._id}`,
      );
    }
  }
  return sweep;
}
