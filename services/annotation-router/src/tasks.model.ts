import type { commonV1 } from '@aperture/contracts';
import { type Connection, type Model, Schema } from 'mongoose';

/** One image to label. `cleared` is the ImageCleared event (base64) the curated event is built from. */
export interface TaskDoc {
  _id: string;
  tenantId: string;
  projectId: string;
  imageId: string;
  taskType: string;
  state: 'pending' | 'leased' | 'done';
  leaseExpiresAt: Date | null;
  annotatorId: string;
  image: commonV1.BlobRef;
  cleared: string;
  resultJson: string;
  createdAt: Date;
  doneAt: Date | null;
}

const taskSchema = new Schema<TaskDoc>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    projectId: { type: String, required: true },
    imageId: { type: String, required: true },
    taskType: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'leased', 'done'] },
    leaseExpiresAt: { type: Date, default: null },
    annotatorId: { type: String, default: '' },
    image: { type: Schema.Types.Mixed, required: true },
    cleared: { type: String, required: true },
    resultJson: { type: String, default: '' },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
  },
  { collection: 'tasks', versionKey: false, minimize: false },
);
// One task per image and task type: a redelivered ImageCleared cannot create a second.
taskSchema.index({ imageId: 1, taskType: 1 }, { unique: true, name: 'image_task_type_unique' });
taskSchema.index({ tenantId: 1, projectId: 1, state: 1, createdAt: 1 }, { name: 'lease_queue' });

export function taskModel(connection: Connection): Model<TaskDoc> {
  return (
    (connection.models['AnnotationTask'] as Model<TaskDoc> | undefined) ??
    connection.model('AnnotationTask', taskSchema)
  );
}
