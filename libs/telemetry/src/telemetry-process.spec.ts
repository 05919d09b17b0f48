import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

// Jest runs code in a VM without dynamic import(), which the OTLP exporter needs, and without the
// module hooks the instrumentations rely on. So this test runs the lib as a service does: in a
// real Node process, startTelemetry first, then http. A stand-in OTLP/HTTP collector on the
// loopback interface records what the exporter posts.

const workspaceRoot = resolve(__dirname, '../../..');

const CHILD = `
const { startTelemetry, shutdownTelemetry, createLogger } = require('./index.js');
startTelemetry('telemetry-child');
const http = require('node:http');
const { trace } = require('@opentelemetry/api');
const log = createLogger('telemetry-child');
const server = http.createServer((req, res) => {
  log.info({ url: req.url }, 'served');
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  trace.getTracer('child').startActiveSpan('child-work', (span) => {
    http.get({ host: '127.0.0.1', port, path: '/work' }, (res) => {
      res.resume();
      res.on('end', () => {
        span.end();
        server.close();
        shutdownTelemetry().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
      });
    });
  });
});
`;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

describe('startTelemetry in a real process', () => {
  let dir: string;
  let collector: Server;
  const exports: OtlpExport[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aperture-telemetry-'));
    for (const file of readdirSync(__dirname).filter(
      (name) => name.endsWith('.ts') && !name.includes('.spec.'),
    )) {
      const source = readFileSync(join(__dirname, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2023,
          esModuleInterop: true,
        },
      });
      writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), outputText);
    }
    writeFileSync(join(dir, 'child.js'), CHILD);

    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') {
          exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
  });

  afterAll(() => {
    collector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('traces HTTP as one trace, logs its ids and exports it over OTLP/HTTP when an endpoint is set', async () => {
    const { port } = collector.address() as AddressInfo;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_PATH: join(workspaceRoot, 'node_modules'),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
    };
    delete env['OTEL_SDK_DISABLED'];
    delete env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    const child = spawn(process.execPath, [join(dir, 'child.js')], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const resourceSpans = exports.flatMap((body) => body.resourceSpans);
    const serviceNames = resourceSpans.flatMap((r) =>
      r.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue),
    );
    expect(new Set(serviceNames)).toEqual(new Set(['telemetry-child']));

    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const work = spans.find((span) => span.name === 'child-work');
    const client = spans.find((span) => span.kind === 3); // SPAN_KIND_CLIENT
    const server = spans.find((span) => span.kind === 2); // SPAN_KIND_SERVER
    expect(work && client && server).toBeTruthy();
    expect(client!.traceId).toBe(work!.traceId);
    expect(client!.parentSpanId).toBe(work!.spanId);
    expect(server!.traceId).toBe(work!.traceId);
    expect(server!.parentSpanId).toBe(client!.spanId);

    const line = JSON.parse(stdout.trim().split('\n')[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      service: 'telemetry-child',
      msg: 'served',
      trace_id: server!.traceId,
      span_id: server!.spanId,
    });
  }, 30_000);
});
