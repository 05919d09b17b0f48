import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AnnotatorIdentity, findAnnotator, hashApiKey, KEY_PREFIX_LENGTH } from '@aperture/runtime';
import type { Model } from 'mongoose';
import { newId } from '../domain/ids';
import { ApiError } from '../errors';
import {
  annotatorModel,
  type AnnotatorRecord,
  consoleSessionModel,
  type ConsoleSessionRecord,
} from '../models';
import { INGEST_DEPS, type IngestDeps } from '../tokens';

export interface AnnotatorView {
  annotatorId: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const toView = (record: AnnotatorRecord): AnnotatorView => ({
  annotatorId: record._id,
  name: record.name,
  prefix: record.prefix,
  createdAt: new Date(record.createdAt).toISOString(),
  revokedAt: record.revokedAt ? new Date(record.revokedAt).toISOString() : null,
});

/**
 * A tenant's annotators and their tokens (`atk_` + 192 random bits, stored as SHA-256 like API
 * keys). A token leases and submits the tenant's annotation tasks (annotation-router REST and gRPC,
 * the console's annotator session) and nothing else; revoking it takes effect on the next request.
 */
@Injectable()
export class AnnotatorsService {
  private readonly annotators: Model<AnnotatorRecord>;
  private readonly sessions: Model<ConsoleSessionRecord>;

  constructor(@Inject(INGEST_DEPS) private readonly deps: IngestDeps) {
    this.annotators = annotatorModel(deps.connection);
    this.sessions = consoleSessionModel(deps.connection);
  }

  async create(tenantId: string, name: string): Promise<AnnotatorView & { token: string }> {
    const token = `atk_${randomBytes(24).toString('base64url')}`;
    const record: AnnotatorRecord = {
      _id: newId('ann'),
      tenantId,
      name,
      hash: hashApiKey(token),
      prefix: token.slice(0, KEY_PREFIX_LENGTH),
      createdAt: new Date(),
      revokedAt: null,
    };
    await this.annotators.create(record);
    this.deps.log.info({ tenantId, annotatorId: record._id }, 'annotator created');
    return { ...toView(record), token };
  }

  async list(tenantId: string): Promise<AnnotatorView[]> {
    const records = await this.annotators
      .find({ tenantId })
      .sort({ _id: 1 })
      .limit(1000)
      .lean<AnnotatorRecord[]>()
      .exec();
    return records.map(toView);
  }

  /** Revokes one of the tenant's annotators and ends its console sessions; another tenant's is "not found". */
  async revoke(tenantId: string, annotatorId: string): Promise<void> {
    const record = await this.annotators
      .findOne({ _id: annotatorId, tenantId })
      .lean<AnnotatorRecord>()
      .exec();
    if (!record) throw ApiError.notFound('annotator', annotatorId);
    if (!record.revokedAt) {
      await this.annotators
        .updateOne({ _id: annotatorId, tenantId }, { $set: { revokedAt: new Date() } })
        .exec();
      this.deps.log.info({ tenantId, annotatorId }, 'annotator revoked');
    }
    await this.sessions.deleteMany({ tenantId, annotatorId }).exec();
  }

  /** The annotator a token names; unauthenticated for a missing, unknown or revoked one. */
  authenticate(token: unknown): Promise<AnnotatorIdentity> {
    return findAnnotator(this.deps.connection, token);
  }

  /** Whether the annotator is still live (a console session checks it on every request). */
  async isLive(tenantId: string, annotatorId: string): Promise<boolean> {
    const record = await this.annotators
      .findOne({ _id: annotatorId, tenantId }, { revokedAt: 1 })
      .lean<Pick<AnnotatorRecord, 'revokedAt'>>()
      .exec();
    return Boolean(record && !record.revokedAt);
  }
}
