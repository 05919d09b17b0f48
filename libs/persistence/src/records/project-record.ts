import { type Connection, type Model, Schema } from 'mongoose';
import { type ProjectPolicy, storedPolicy } from '@aperture/policy';

/** A tenant's project and its policy. Written by ingest; read by every stage. */
export interface ProjectRecord {
  _id: string;
  tenantId: string;
  name: string;
  policy: ProjectPolicy;
  createdAt: Date;
  updatedAt: Date;
}

export const projectRecordSchema = new Schema<ProjectRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    name: { type: String, required: true },
    policy: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'projects', minimize: false, versionKey: false },
);
projectRecordSchema.index({ tenantId: 1, name: 1 }, { unique: true, name: 'tenant_name_unique' });

export const projectRecordModelName = 'ProjectRecord';

export function projectRecordModel(connection: Connection): Model<ProjectRecord> {
  return (
    (connection.models[projectRecordModelName] as Model<ProjectRecord> | undefined) ??
    connection.model<ProjectRecord>(projectRecordModelName, projectRecordSchema)
  );
}

/** Reads a project's policy for a stage; always scoped by tenant. */
export class ProjectPolicies {
  private readonly model: Model<ProjectRecord>;

  constructor(connection: Connection) {
    this.model = projectRecordModel(connection);
  }

  /** The project's policy, or null when the tenant has no such project. */
  async get(tenantId: string, projectId: string): Promise<ProjectPolicy | null> {
    const project = await this.model.findOne({ _id: projectId, tenantId }).lean<ProjectRecord>().exec();
    return project ? storedPolicy(project.policy) : null;
  }
}
