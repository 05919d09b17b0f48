// deploy/docker/Dockerfile, .dockerignore and deploy/compose.yaml cannot be built or run on the
// project's machines (no container engine). These checks keep them from rotting: every path they
// copy exists, every port, topic and variable they name is the one the code and the chart use.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { contractTopics, repoRoot, SERVICES, serviceFacts } from './tools';

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = read('deploy/docker/Dockerfile');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = instructions.reduce<string[][]>((acc, line) => {
    if (line.startsWith('FROM ')) acc.push([]);
    acc[acc.length - 1]?.push(line);
    return acc;
  }, []);
  const runtime = stages[stages.length - 1]!;

  it('has a build stage and a runtime stage on the Node version of .node-version', () => {
    expect(stages).toHaveLength(2);
    const nodeVersion = read('.node-version').trim();
    expect(instructions).toContain(`ARG NODE_VERSION=${nodeVersion}`);
    expect(stages[0]![0]).toBe('FROM node:${NODE_VERSION}-bookworm-slim AS build');
    expect(runtime[0]).toBe('FROM node:${NODE_VERSION}-bookworm-slim AS runtime');
  });

  it('copies only paths that exist in the repository and that .dockerignore keeps', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).toBeGreaterThan(5);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        expect(fs.existsSync(path.join(repoRoot, source))).toBe(true);
        expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`))).toEqual(
          [],
        );
      }
    }
    for (const needed of ['node_modules', 'dist', '.aperture', '.git']) expect(ignored).toContain(needed);
  });

  it('builds the chosen service with Nx and installs the locked dependencies', () => {
    expect(stages[0]).toContain('ARG SERVICE');
    expect(stages[0]).toContain('COPY package.json package-lock.json ./');
    expect(stages[0]!.some((l) => /^RUN npx nx run "\$\{SERVICE\}:build"/.test(l))).toBe(true);
    // Every service is an Nx project with a build target.
    for (const service of SERVICES) {
      const project = JSON.parse(read(`services/${service}/project.json`)) as {
        name: string;
        targets: object;
      };
      expect(project.name).toBe(service);
      expect(project.targets).toHaveProperty('build');
    }
    expect(runtime.some((l) => l.startsWith('RUN npm install --omit=dev'))).toBe(true);
    expect(runtime).toContain('COPY --from=build /repo/dist ./dist');
  });

  it('runs as the numeric non-root user the chart sets, with heif-convert installed', () => {
    const values = YAML.parse(read('helm/aperture/values.yaml')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    const { runAsUser, runAsGroup } = values.podSecurityContext;
    expect(runtime).toContain(`USER ${runAsUser}:${runAsGroup}`);
    expect(runtime.some((l) => l.includes(`--uid ${runAsUser}`))).toBe(true);
    expect(runtime.some((l) => /apt-get install .*libheif-examples/.test(l))).toBe(true);
  });

  it('starts the service the way Nx serve does (same node flags, alias loader, entry point)', () => {
    const serve = (
      JSON.parse(read('nx.json')) as { targetDefaults: { serve: { options: { command: string } } } }
    ).targetDefaults.serve.options.command;
    const cmd = runtime.find((l) => l.startsWith('CMD '))!;
    const expected = serve.replace(
      'dist/{projectRoot}/src/main.js',
      'dist/services/$APERTURE_SERVICE/src/main.js',
    );
    expect(cmd).toContain(`exec ${expected}`);
    expect(runtime).toContain('ENV NODE_ENV=production APERTURE_SERVICE=${SERVICE}');
    for (const service of SERVICES)
      expect(fs.existsSync(path.join(repoRoot, `services/${service}/src/main.ts`))).toBe(true);
    expect(fs.existsSync(path.join(repoRoot, 'scripts/lib/register-aliases.cjs'))).toBe(true);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = YAML.parse(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { context: string; dockerfile: string; args?: Record<string, string> };
        environment?: Record<string, string | number>;
        command?: string[];
        volumes?: string[];
        depends_on?: Record<string, { condition: string }>;
      }
    >;
  };
  const composeDir = path.join(repoRoot, 'deploy');

  it('runs Kafka, MongoDB, MinIO with its bucket, an OTel collector, the topics step and the six services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['kafka', 'topics', 'mongodb', 'minio', 'minio-bucket', 'otel-collector', ...SERVICES].sort(),
    );
    const kafkaVersion = /<kafka.version>([^<]+)</.exec(read('deploy/kafka/pom.xml'))![1];
    expect(compose.services['kafka']!.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(compose.services['topics']!.image).toBe(`apache/kafka:${kafkaVersion}`);
  });

  it.each(SERVICES)('builds %s from the Dockerfile with its own ports, group and variables', (service) => {
    const entry = compose.services[service]!;
    expect(path.resolve(composeDir, entry.build!.context)).toBe(repoRoot);
    expect(fs.existsSync(path.join(repoRoot, entry.build!.dockerfile))).toBe(true);
    expect(entry.build!.args).toEqual({ SERVICE: service });
    const facts = serviceFacts(service);
    const env = entry.environment!;
    expect(env['HTTP_PORT']).toBe(facts.httpPort);
    expect(env['GRPC_PORT']).toBe(facts.grpcPort);
    expect(env['KAFKA_GROUP_ID']).toBe(facts.inputTopic ? service : undefined);
    expect(env['BLOB_STORE']).toBe('s3');
    expect(entry.depends_on).toMatchObject({ topics: { condition: 'service_completed_successfully' } });
    // Every variable is one the services read: their config schemas, or OpenTelemetry's own.
    const known = new Set(
      [
        read('libs/config/src/infra.ts'),
        read('services/ingest/src/config.ts'),
        read('libs/stage-runtime/src/run-stage.ts'),
        read('libs/telemetry/src/logger.ts'),
      ].flatMap((source) => [...source.matchAll(/\b([A-Z][A-Z0-9_]{2,})\b/g)].map((m) => m[1]!)),
    );
    for (const name of Object.keys(env)) {
      if (!name.startsWith('OTEL_')) expect([name, known.has(name)]).toEqual([name, true]);
    }
  });

  it('creates the topics of the contracts, the curated one compacted', () => {
    const script = compose.services['topics']!.command!.join('\n');
    const named = new Set([...script.matchAll(/aperture\.[a-z.-]+\.v1/g)].map((m) => m[0]));
    expect([...named].sort()).toEqual([...contractTopics().all].sort());
    expect(script).toMatch(/--topic aperture\.image\.curated\.v1 .*cleanup\.policy=compact/);
  });

  it('mounts an OpenTelemetry collector config that exists and receives OTLP on the port the services send to', () => {
    const mount = compose.services['otel-collector']!.volumes![0]!.split(':')[0]!;
    const config = YAML.parse(fs.readFileSync(path.resolve(composeDir, mount), 'utf8')) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      service: { pipelines: { traces: { receivers: string[] } } };
    };
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(config.service.pipelines.traces.receivers).toContain('otlp');
    expect(compose.services['ingest']!.environment!['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe(
      'http://otel-collector:4318',
    );
  });

  const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  (composePlugin ? it : it.skip)(
    'passes `docker compose config -q` (where the compose plugin exists)',
    () => {
      const result = spawnSync(
        'docker',
        ['compose', '-f', path.join(composeDir, 'compose.yaml'), 'config', '-q'],
        {
          encoding: 'utf8',
          // compose.yaml refuses to run without a service identity of the operator's choosing.
          env: { ...process.env, APERTURE_SERVICE_TOKEN: 'a'.repeat(64) },
        },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
