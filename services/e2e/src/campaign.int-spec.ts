import { ingestV1 } from '@aperture/contracts';
import { testInfraEnv, uniqueName, waitFor, corpusPath } from '@aperture/testing';
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  ALL_SERVICES,
  freePort,
  repoRoot,
  type ServiceProcess,
  startService,
  stopService,
  tail,
  waitReady,
} from './processes';

// A small collection campaign run to completion through the real pipeline: six services as
// processes, two collectors (one verified by the operator, one by a signed KYC webhook), uploads
// with the synchronous quality verdict, curated images filling the cells, a full cell refused.
const corpus = corpusPath();
const shelfShots = [
  'Canon_40D.jpg',
  'Nikon_D70.jpg',
  'Pentax_K10D.jpg',
  'Kodak_CX7530.jpg',
  'Sony_HDR-HC3.jpg',
];
const fridgeShots = ['Fujifilm_FinePix_E500.jpg', 'Olympus_C8080WZ.jpg', 'Panasonic_DMC-FZ30.jpg'];
const shot = (name: string) => path.join(corpus, 'cameras/jpg', name);

const services = ALL_SERVICES;

interface Verdict {
  accepted: boolean;
  reasons: Array<{ code: string }>;
  result?: { width?: number; height?: number };
}
interface UploadedImage {
  imageId: string;
  campaign?: { campaignId: string; collectorId: string; category: string };
  verdict?: Verdict;
}

jest.setTimeout(600_000);

describe('a collection campaign with two collectors, through the whole pipeline', () => {
  const run = uniqueName('e2e_cmp').replace(/-/g, '_');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-e2e-campaign-'));
  const running: ServiceProcess[] = [];
  const urls: Record<string, string> = {};
  let ingestGrpc = '';
  const adminToken = 'e2e-admin-token';

  beforeAll(async () => {
    const { kafkaBrokers, mongoUri } = testInfraEnv();
    const base = new URL(mongoUri);
    base.pathname = `/${run}`;
    const ports = Object.fromEntries(
      await Promise.all(
        services.map(async (name) => [name, { http: await freePort(), grpc: await freePort() }] as const),
      ),
    ) as Record<(typeof services)[number], { http: number; grpc: number }>;
    for (const name of services) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        MONGODB_URI: base.toString(),
        BLOB_STORE_DIR: path.join(workDir, 'blobs'),
        HTTP_PORT: String(ports[name].http),
        GRPC_PORT: String(ports[name].grpc),
        ADMIN_TOKEN: adminToken,
        KAFKA_GROUP_ID: `${name}-${run}`,
        CAMPAIGNS_GRPC_ADDRESS: `127.0.0.1:${ports.campaigns.grpc}`,
        QUALITY_GRPC_ADDRESS: `127.0.0.1:${ports.quality.grpc}`,
        LOG_LEVEL: 'info',
      };
      running.push(startService(name, env, workDir, ports[name].http));
      urls[name] = `http://127.0.0.1:${ports[name].http}`;
    }
    ingestGrpc = `127.0.0.1:${ports.ingest.grpc}`;
    await Promise.all(running.map((service) => waitReady(service)));
  });

  afterAll(async () => {
    const codes = await Promise.all(running.map((service) => stopService(service)));
    expect(codes).toEqual(services.map(() => 0));
  });

  const logs = () => running.map((s) => `--- ${s.name}\n${tail(s.logFile, 15)}`).join('\n');

  async function call<T>(
    service: string,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${urls[service]}${url}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function cli(...args: string[]): Promise<string> {
    const out = await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, 'dist/services/cli/src/main.js'), ...args],
      {
        timeout: 120_000,
      },
    ).catch((error: { stderr?: string }) => {
      throw new Error(`CLI ${args.join(' ')} failed: ${error.stderr}\n${logs()}`);
    });
    return out.stdout;
  }

  async function upload(batchId: string, apiKey: string, token: string, file: string, category: string) {
    const form = new FormData();
    form.append('campaignId', campaignId);
    form.append('category', category);
    form.append('file', new Blob([fs.readFileSync(file)], { type: 'image/jpeg' }), path.basename(file));
    const response = await fetch(`${urls['ingest']}/v1/batches/${batchId}/images?verdict=sync`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'x-collector-token': token },
      body: form,
    });
    return {
      status: response.status,
      body: (await response.json()) as { images: UploadedImage[]; error?: { code: string } },
    };
  }

  let campaignId = '';

  it('fills every cell from curated images of verified collectors, refuses the full cell, and keeps who collected what', async () => {
    const { apiKey } = (
      await call<{ apiKey: string }>(
        'ingest',
        'POST',
        '/v1/tenants',
        { name: `t-${run}` },
        { 'x-admin-token': adminToken },
      )
    ).body;
    const key = { 'x-api-key': apiKey };
    const project = await call<{ projectId: string }>(
      'ingest',
      'POST',
      '/v1/projects',
      { name: 'shelves', policy: { annotation: { classes: ['shelf', 'fridge'] } } },
      key,
    );
    expect(project.status).toBe(201);
    const projectId = project.body.projectId;
    const connection = ['--api', urls['campaigns']!, '--key', apiKey, '--json'];

    // The campaign, with the CLI.
    const specFile = path.join(workDir, 'campaign.json');
    fs.writeFileSync(
      specFile,
      JSON.stringify({
        name: 'convenience shelves',
        deadline: new Date(Date.now() + 24 * 3600_000).toISOString(),
        instructions: 'No faces; whole shelf in frame.',
        cells: [
          { category: 'shelf', target: 2 },
          { category: 'fridge', target: 1 },
        ],
      }),
    );
    campaignId = (
      JSON.parse(await cli('campaign', 'create', specFile, '--project', projectId, ...connection)) as {
        campaignId: string;
      }
    ).campaignId;

    // Two collectors: alice verified by the operator, bob by the KYC provider's signed webhook.
    const alice = JSON.parse(await cli('collector', 'add', 'alice', '--region', 'EU', ...connection)) as {
      collector: { collectorId: string };
      token: string;
    };
    const bob = JSON.parse(await cli('collector', 'add', 'bob', '--region', 'EU', ...connection)) as {
      collector: { collectorId: string };
      token: string;
    };
    await cli('collector', 'verify', alice.collector.collectorId, ...connection);

    const batch = await call<{ batchId: string }>(
      'ingest',
      'POST',
      '/v1/batches',
      { projectId, declarations: { region: 'EU' } },
      key,
    );
    const batchId = batch.body.batchId;

    const early = await upload(batchId, apiKey, bob.token, shot(fridgeShots[0]!), 'fridge');
    expect(early.status).toBe(403);
    expect(early.body.error?.code).toBe('collector_not_verified');

    const { tenantId, secret } = (
      await call<{ tenantId: string; secret: string }>('campaigns', 'POST', '/v1/kyc/secret', undefined, key)
    ).body;
    const body = JSON.stringify({ tenantId, collectorId: bob.collector.collectorId, state: 'verified' });
    const t = Math.floor(Date.now() / 1000);
    const forged = await call('campaigns', 'POST', '/v1/kyc/webhook', body, {
      'x-kyc-signature': `t=${t},v1=${'0'.repeat(64)}`,
    });
    expect(forged.status).toBe(401);
    const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(
      (await call('campaigns', 'POST', '/v1/kyc/webhook', body, { 'x-kyc-signature': `t=${t},v1=${mac}` }))
        .status,
    ).toBe(200);

    // Each collector shoots until their cell's target is met by accepted verdicts (a rejected
    // verdict is a retake with the next picture); the verdict comes back with the upload.
    const uploaded: Array<{ image: UploadedImage; collector: string }> = [];
    const shoot = async (
      collector: { collector: { collectorId: string }; token: string },
      files: string[],
      category: string,
      needed: number,
    ) => {
      let accepted = 0;
      for (const file of files) {
        if (accepted === needed) break;
        const answer = await upload(batchId, apiKey, collector.token, shot(file), category);
        expect({ status: answer.status, error: answer.body.error }).toEqual({
          status: 201,
          error: undefined,
        });
        const image = answer.body.images[0]!;
        expect(image.campaign).toMatchObject({
          campaignId,
          collectorId: collector.collector.collectorId,
          category,
        });
        expect(typeof image.verdict?.accepted).toBe('boolean');
        uploaded.push({ image, collector: collector.collector.collectorId });
        if (image.verdict?.accepted) accepted++;
      }
      expect(accepted).toBe(needed);
    };
    await shoot(alice, shelfShots, 'shelf', 2);
    await shoot(bob, fridgeShots, 'fridge', 1);

    // The campaign completes from curated images.
    let progress: { state: string; cells: Array<{ curated: number; full: boolean }> } = {
      state: '',
      cells: [],
    };
    await waitFor(
      'the campaign to complete',
      async () => {
        progress = JSON.parse(await cli('campaign', 'status', campaignId, ...connection)) as typeof progress;
        return progress.state === 'complete';
      },
      300_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(progress)}\n${logs()}`);
    });
    expect(progress.cells.map((cell) => [cell.curated, cell.full])).toEqual([
      [2, true],
      [1, true],
    ]);

    // The synchronous verdict was the pipeline's: accepted ones curated, the others rejected for the same reasons.
    for (const { image } of uploaded) {
      const record = (
        await call<{ status: string; reasons: Array<{ code: string }> }>(
          'ingest',
          'GET',
          `/v1/images/${image.imageId}`,
          undefined,
          key,
        )
      ).body;
      if (image.verdict!.accepted) expect(record.status).toBe('curated');
      else {
        expect(record.status).toBe('rejected');
        expect(record.reasons.map((r) => r.code).sort()).toEqual(
          image.verdict!.reasons.map((r) => r.code).sort(),
        );
      }
    }

    // The full cell takes no more: refused at ingest, nothing stored.
    const surplus = await upload(batchId, apiKey, alice.token, shot(shelfShots[4]!), 'shelf');
    expect(surplus.status).toBe(409);
    expect(surplus.body.error?.code).toBe('campaign_cell_full');

    // The capture app's gRPC upload: the same refusal, its code named; and a synchronous verdict.
    const client = new ingestV1.IngestServiceClient(ingestGrpc, grpc.credentials.createInsecure());
    const grpcUpload = (metadata: Partial<ingestV1.UploadImageMetadata>, token: string) =>
      new Promise<{ error?: grpc.ServiceError; response?: ingestV1.UploadImageResponse }>((resolve) => {
        const headers = new grpc.Metadata();
        headers.set('x-api-key', apiKey);
        if (token) headers.set('x-collector-token', token);
        const call = client.uploadImage(headers, (error, response) =>
          resolve(error ? { error } : { response }),
        );
        call.write({
          part: {
            $case: 'metadata',
            value: ingestV1.UploadImageMetadata.fromPartial({ batchId, filename: 'app.jpg', ...metadata }),
          },
        });
        call.write({ part: { $case: 'chunk', value: fs.readFileSync(shot(fridgeShots[2]!)) } });
        call.end();
      });
    const refused = await grpcUpload({ campaignId, category: 'fridge', syncVerdict: true }, bob.token);
    expect(refused.error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.error?.details).toMatch(/^campaign_cell_full: /);
    const plain = await grpcUpload({ syncVerdict: true }, '');
    expect(plain.response?.verdict?.result?.width).toBeGreaterThan(0);
    expect(typeof plain.response?.verdict?.accepted).toBe('boolean');
    client.close();

    // Per-collector statistics, and the human-readable status.
    const stats = JSON.parse(await cli('campaign', 'collectors', campaignId, ...connection)) as {
      collectors: Array<{ collectorId: string; curated: number; uploaded: number }>;
    };
    const byId = Object.fromEntries(stats.collectors.map((row) => [row.collectorId, row]));
    expect(byId[alice.collector.collectorId]).toMatchObject({ curated: 2 });
    expect(byId[bob.collector.collectorId]).toMatchObject({ curated: 1 });
    const text = await cli('campaign', 'status', campaignId, '--api', urls['campaigns']!, '--key', apiKey);
    expect(text).toMatch(/complete/);
    expect(text).toMatch(/c1 +shelf +2 +2/);
  });
});
