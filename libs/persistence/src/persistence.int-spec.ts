import { connectMongo, DuplicateKeyError, syncModelIndexes } from '@aperture/persistence';
import { testInfraEnv, uniqueName } from '@aperture/testing';
import { type Connection, Schema } from 'mongoose';

// A small stand-in for the image record: enough fields to exercise unique and compound indexes.
interface ImageDoc {
  tenantId: string;
  imageId: string;
  sha256: string;
  status: 'accepted' | 'rejected';
  receivedAt: Date;
  version: number;
}

const imageSchema = new Schema<ImageDoc>({
  tenantId: { type: String, required: true },
  imageId: { type: String, required: true },
  sha256: { type: String, required: true },
  status: { type: String, required: true, enum: ['accepted', 'rejected'] },
  receivedAt: { type: Date, required: true },
  version: { type: Number, required: true, default: 0 },
});
imageSchema.index({ tenantId: 1, sha256: 1 }, { unique: true, name: 'tenant_sha256_unique' });
imageSchema.index({ tenantId: 1, status: 1, receivedAt: -1 }, { name: 'tenant_status_received' });

describe('persistence against the real MongoDB-wire server', () => {
  let connection: Connection;
  const dbName = uniqueName('it_persistence').replace(/-/g, '_');
  const image = (tenantId: string, n: number, status: ImageDoc['status'] = 'accepted'): ImageDoc => ({
    tenantId,
    imageId: `${tenantId}-img-${n}`,
    sha256: `sha-${n}`,
    status,
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    version: 0,
  });

  beforeAll(async () => {
    connection = await connectMongo({ uri: testInfraEnv().mongoUri, dbName });
    connection.model('Image', imageSchema);
    await syncModelIndexes(connection);
    const info = await connection.db!.admin().command({ buildInfo: 1 });
    process.stderr.write(
      `persistence: MongoDB wire ${info['version']}${info['ferretdbVersion'] ? `, FerretDB ${info['ferretdbVersion']}` : ''}\n`,
    );
  });

  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
  });

  const Images = () => connection.model<ImageDoc>('Image');

  it('creates the declared indexes, the unique one unique', async () => {
    const indexes = await Images().collection.indexes();
    const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
    expect(byName['tenant_sha256_unique']).toMatchObject({ key: { tenantId: 1, sha256: 1 }, unique: true });
    expect(byName['tenant_status_received']).toMatchObject({
      key: { tenantId: 1, status: 1, receivedAt: -1 },
    });
  });

  it('writes and queries by tenant, status and time through the index', async () => {
    await Images().insertMany([
      ...Array.from({ length: 12 }, (_, n) => image('t1', n, n % 3 === 0 ? 'rejected' : 'accepted')),
      ...Array.from({ length: 5 }, (_, n) => image('t2', n)),
    ]);
    const newestAccepted = await Images()
      .find({ tenantId: 't1', status: 'accepted' })
      .sort({ receivedAt: -1 })
      .limit(3)
      .lean();
    expect(newestAccepted.map((doc) => doc.imageId)).toEqual(['t1-img-11', 't1-img-10', 't1-img-8']);
    expect(await Images().countDocuments({ tenantId: 't1', status: 'rejected' })).toBe(4);
    expect(await Images().countDocuments({ tenantId: 't2' })).toBe(5);
  });

  it('surfaces a unique-index violation as DuplicateKeyError from create, insertMany and updateOne', async () => {
    await expect(Images().create(image('t1', 1))).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(Images().insertMany([image('t2', 1)])).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(
      Images().updateOne({ tenantId: 't2', sha256: 'sha-2' }, { $set: { sha256: 'sha-3' } }),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    // The same hash under another tenant is not a duplicate: the index is per tenant.
    await expect(Images().create(image('t3', 1))).resolves.toMatchObject({ tenantId: 't3' });
  });

  it('applies a conditional single-document update once (the optimistic-concurrency building block)', async () => {
    const filter = { tenantId: 't2', imageId: 't2-img-4', version: 0 };
    const first = await Images().updateOne(filter, { $set: { status: 'rejected' }, $inc: { version: 1 } });
    const replay = await Images().updateOne(filter, { $set: { status: 'rejected' }, $inc: { version: 1 } });
    expect([first.modifiedCount, replay.modifiedCount]).toEqual([1, 0]);
    expect(await Images().findOne({ imageId: 't2-img-4' }).lean()).toMatchObject({
      status: 'rejected',
      version: 1,
    });
  });

  it('drops an index that no model declares any more when indexes are synced', async () => {
    await Images().collection.createIndex({ imageId: 1 }, { name: 'stale_image_id' });
    const dropped = await syncModelIndexes(connection);
    expect(dropped['Image']).toEqual(['stale_image_id']);
  });
});
