import { Inject, Injectable } from '@nestjs/common';
import type { Model } from 'mongoose';
import { AnnotatorsService } from '../annotators/annotators.service';
import { ApiError } from '../errors';
import { consoleSessionModel, type ConsoleSessionRecord } from '../models';
import { type TenantPrincipal, TenantsService } from '../tenants/tenants.service';
import { INGEST_DEPS, type IngestDeps } from '../tokens';
import {
  type ConsoleRole,
  hashSessionId,
  looksLikeSessionId,
  newSessionId,
  SESSION_SECONDS,
} from './session';

/** Who a console session acts for, checked on every request. */
export interface ConsoleIdentity {
  principal: TenantPrincipal;
  role: ConsoleRole;
  /** annotator sessions: the annotator; '' for a client. */
  annotatorId: string;
}

/**
 * Console sessions kept server side (`console_sessions`, by the SHA-256 of the cookie's random id):
 * signing in with the tenant's API key opens a client session, with an annotator token an
 * annotator session; each request checks that the session has not expired and that the key or
 * annotator it was opened with is still live; signing out deletes it.
 */
@Injectable()
export class ConsoleSessions {
  private readonly sessions: Model<ConsoleSessionRecord>;

  constructor(
    @Inject(INGEST_DEPS) deps: IngestDeps,
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(AnnotatorsService) private readonly annotators: AnnotatorsService,
  ) {
    this.sessions = consoleSessionModel(deps.connection);
  }

  /** Opens a session for a verified credential; returns the id for the cookie (never stored). */
  async open(identity: { tenantId: string; role: ConsoleRole; keyId?: string; annotatorId?: string }) {
    const now = new Date();
    // No TTL index on FerretDB: expired sessions go here (they are refused before that anyway).
    await this.sessions.deleteMany({ expiresAt: { $lte: now } }).exec();
    const sessionId = newSessionId();
    await this.sessions.create({
      _id: hashSessionId(sessionId),
      tenantId: identity.tenantId,
      role: identity.role,
      keyId: identity.keyId ?? null,
      annotatorId: identity.annotatorId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_SECONDS * 1000),
    });
    return sessionId;
  }

  /** The identity of a live session; unauthenticated for an unknown, expired or revoked one. */
  async resolve(sessionId: string | undefined): Promise<ConsoleIdentity> {
    if (!looksLikeSessionId(sessionId)) throw ApiError.unauthenticated('no console session: sign in');
    const session = await this.sessions
      .findById(hashSessionId(sessionId))
      .lean<ConsoleSessionRecord>()
      .exec();
    if (!session || session.expiresAt.getTime() <= Date.now())
      throw ApiError.unauthenticated('the console session has ended: sign in again');
    if (session.role === 'annotator') {
      if (!session.annotatorId || !(await this.annotators.isLive(session.tenantId, session.annotatorId)))
        throw ApiError.unauthenticated('the annotator was revoked: the session has ended');
      return {
        principal: { tenantId: session.tenantId, keyId: '' },
        role: 'annotator',
        annotatorId: session.annotatorId,
      };
    }
    const principal = await this.tenants.authenticateKeyId(session.keyId ?? '');
    return { principal, role: 'client', annotatorId: '' };
  }

  /** Signs out: the session is deleted, whatever the cookie does afterwards. */
  async close(sessionId: string | undefined): Promise<void> {
    if (looksLikeSessionId(sessionId))
      await this.sessions.deleteOne({ _id: hashSessionId(sessionId) }).exec();
  }
}
