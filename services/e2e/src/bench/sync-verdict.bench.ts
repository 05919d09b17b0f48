// scripts/bench sync-verdict [--uploads N] [--file PATH]: the latency of an upload that asks for
// the quality verdict synchronously (POST /v1/batches/:id/images?verdict=sync, as a capture app
// does for a retake decision), for a 12 MP JPEG, against ingest and quality running as processes
// on the local Kafka and FerretDB. In the same run, the floor: the same upload without the verdict,
// and quality's Assess alone over gRPC. Goal: p95 under 300 ms. Uploads run one after the other
// (a collector waits for the verdict), while quality's consumer judges the earlier ones in the
// background, as it would in production.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { qualityV1 } from '@aperture/contracts';
import { corpusPath, freePort, testInfraEnv, withHeaders } from '@aperture/testing';
import * as grpc from '@grpc/grpc-js';
import { SERVICE_TOKEN, type ServiceProcess, startService, stopService, waitReady } from '../processes';
import { option, percentile } from './args';

const ADMIN_TOKEN = 'bench-admin-token';
// The corpus's 12.2 MP camera JPEG (4032 × 3024, 2.9 MB).
const DEFAULT_FILE = 'cameras/jpg/tests/42_IndexError.jpg';
// Repeated uploads of one picture: the duplicate checks would turn every verdict after the first
// into "duplicate"; off, each verdict does the whole assessment.
const POLICY = { quality: { rejectDuplicates: false, rejectNearDuplicates: false } };

const summary = (label: string, ms: number[]) =>
  `${label}: p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (${ms.length} runs)`;

async function main(): Promise<void> {
  const uploads = Number(option('uploads', '40'));
  const file = path.resolve(corpusPath(), option('file', DEFAULT_FILE));
  const bytes = fs.readFileSync(file);
  const { kafkaBrokers, mongoUri } = testInfraEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-bench-verdict-'));
  const db = new URL(mongoUri);
  db.pathname = `/bench_verdict_${Date.now().toString(36)}`;
  const ports = {
    ingest: [await freePort(), await freePort()],
    quality: [await freePort(), await freePort()],
  };
  const running: ServiceProcess[] = [];
  for (const name of ['ingest', 'quality'] as const) {
    running.push(
      startService(
        name,
        {
          ...process.env,
          KAFKA_BROKERS: kafkaBrokers.join(','),
          MONGODB_URI: db.toString(),
          BLOB_STORE_DIR: path.join(workDir, 'blobs'),
          HTTP_PORT: String(ports[name][0]),
          GRPC_PORT: String(ports[name][1]),
          ADMIN_TOKEN,
          KAFKA_GROUP_ID: `${name}-bench-verdict-${Date.now()}`,
          QUALITY_GRPC_ADDRESS: `127.0.0.1:${ports.quality[1]}`,
          LOG_LEVEL: 'warn',
        },
        workDir,
        ports[name][0]!,
      ),
    );
  }
  try {
    await Promise.all(running.map((service) => waitReady(service)));
    const api = `http://127.0.0.1:${ports.ingest[0]}`;
    const post = async <T>(url: string, body: unknown, headers: Record<string, string>) => {
      const response = await fetch(`${api}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const { apiKey } = await post<{ apiKey: string }>(
      '/v1/tenants',
      { name: 'bench' },
      { 'x-admin-token': ADMIN_TOKEN },
    );
    const { projectId } = await post<{ projectId: string }>(
      '/v1/projects',
      { name: 'bench', policy: POLICY },
      { 'x-api-key': apiKey },
    );
    const { batchId } = await post<{ batchId: string }>(
      '/v1/batches',
      { projectId },
      { 'x-api-key': apiKey },
    );

    const upload = async (sync: boolean) => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), path.basename(file));
      const started = performance.now();
      const response = await fetch(`${api}/v1/batches/${batchId}/images${sync ? '?verdict=sync' : ''}`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey },
        body: form,
      });
      const answer = (await response.json()) as {
        images?: Array<{
          verdict?: {
            accepted: boolean;
            reasons: Array<{ code: string }>;
            result?: { width: number; height: number };
          };
        }>;
      };
      const ms = performance.now() - started;
      if (response.status !== 201) throw new Error(`upload: ${response.status} ${JSON.stringify(answer)}`);
      if (sync && !answer.images?.[0]?.verdict?.result)
        throw new Error(`no verdict: ${JSON.stringify(answer)}`);
      return { ms, verdict: answer.images?.[0]?.verdict };
    };

    const client = new qualityV1.QualityServiceClient(
      `127.0.0.1:${ports.quality[1]}`,
      grpc.credentials.createInsecure(),
      {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
        // as ingest calls it: the service identity
        interceptors: [withHeaders({ 'x-service-token': SERVICE_TOKEN })],
      },
    );
    const assess = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        client.assess(qualityV1.AssessRequest.fromPartial({ content: bytes }), (error) =>
          error ? reject(error) : resolve(performance.now() - started),
        );
      });

    // Warm-up: JIT, connections, sharp's first decode.
    for (let i = 0; i < 3; i++) {
      await upload(true);
      await assess();
    }
    const plain: number[] = [];
    const assessOnly: number[] = [];
    const withVerdict: number[] = [];
    let first;
    for (let i = 0; i < uploads; i++) {
      plain.push((await upload(false)).ms);
      assessOnly.push(await assess());
      const timed = await upload(true);
      first ??= timed.verdict;
      withVerdict.push(timed.ms);
    }
    client.close();
    console.log(
      `${path.relative(corpusPath(), file)}: ${(bytes.length / 1e6).toFixed(1)} MB, ${first?.result?.width} × ${first?.result?.height}, verdict ${first?.accepted ? 'accepted' : `rejected (${first?.reasons.map((r) => r.code).join(', ')})`}; ${os.cpus().length} cores`,
    );
    console.log(summary('upload without verdict (floor)', plain));
    console.log(summary("quality's Assess alone (gRPC)", assessOnly));
    console.log(summary('upload with ?verdict=sync', withVerdict));
    const p95 = percentile(withVerdict, 95);
    console.log(`p95 ${p95.toFixed(0)} ms: ${p95 < 300 ? 'within' : 'OVER'} the 300 ms budget`);
  } finally {
    await Promise.all(running.map((service) => stopService(service)));
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
