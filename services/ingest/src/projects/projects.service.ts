import { DuplicateKeyError, projectRecordModel, type ProjectRecord } from '@aperture/persistence';
import { resolvePolicy, type ProjectPolicy } from '@aperture/policy';
import { Inject, Injectable } from '@nestjs/common';
import type { Model } from 'mongoose';
import { newId } from '../domain/ids';
import { policyDetails } from '../domain/validation';
import { ApiError } from '../errors';
import { INGEST_DEPS, type IngestDeps } from '../tokens';
import { type ProjectView, toProjectView } from '../views';

/** Validates a policy document; invalid_request listing every bad field. */
export function validPolicy(input: unknown): ProjectPolicy {
  const { policy, errors } = resolvePolicy(input);
  if (errors.length > 0) throw ApiError.invalid('invalid policy', policyDetails(errors));
  return policy;
}

@Injectable()
export class ProjectsService {
  private readonly projects: Model<ProjectRecord>;

  constructor(@Inject(INGEST_DEPS) deps: IngestDeps) {
    this.projects = projectRecordModel(deps.connection);
  }

  async create(tenantId: string, name: string, policyInput: unknown): Promise<ProjectView> {
    const policy = validPolicy(policyInput);
    const now = new Date();
    try {
      const created = await this.projects.create({
        _id: newId('prj'),
        tenantId,
        name,
        policy,
        createdAt: now,
        updatedAt: now,
      });
      return toProjectView(created.toObject());
    } catch (error) {
      if (error instanceof DuplicateKeyError) {
        throw new ApiError('conflict', `a project named ${JSON.stringify(name)} already exists`);
      }
      throw error;
    }
  }

  /** The tenant's project; another tenant's is "not found". */
  async require(tenantId: string, projectId: string): Promise<ProjectRecord> {
    const project = await this.projects.findOne({ _id: projectId, tenantId }).lean<ProjectRecord>().exec();
    if (!project) throw ApiError.notFound('project', projectId);
    return project;
  }

  async get(tenantId: string, projectId: string): Promise<ProjectView> {
    return toProjectView(await this.require(tenantId, projectId));
  }

  /** Replaces the policy (fields not given take their defaults). */
  async replacePolicy(tenantId: string, projectId: string, policyInput: unknown): Promise<ProjectView> {
    const policy = validPolicy(policyInput);
    const update = await this.projects
      .updateOne({ _id: projectId, tenantId }, { $set: { policy, updatedAt: new Date() } })
      .exec();
    if (update.matchedCount === 0) throw ApiError.notFound('project', projectId);
    return this.get(tenantId, projectId);
  }
}
