// Runs the chart tools that `scripts/chart-tools install` put in .aperture/tools (helm, kubeconform
// and the generated schemas) and parses what they print.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export const repoRoot = path.resolve(__dirname, '../..');
export const chartDir = path.join(repoRoot, 'helm/aperture');
export const productionValues = path.join(repoRoot, 'helm/values-production.yaml');
export const SERVICES = [
  'ingest',
  'quality',
  'standardize',
  'compliance',
  'annotation-router',
  'campaigns',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** HELM, KUBECONFORM, KUBE_SCHEMAS, KUBE_VERSION, as `scripts/chart-tools env` prints them. */
export const tools: Record<'HELM' | 'KUBECONFORM' | 'KUBE_SCHEMAS' | 'KUBE_VERSION', string> = (() => {
  const out = execFileSync(path.join(repoRoot, 'scripts/chart-tools'), ['env'], { encoding: 'utf8' });
  const vars: Record<string, string> = {};
  for (const m of out.matchAll(/(\w+)=(\S+)/g)) vars[m[1]!] = m[2]!.replace(/\\(.)/g, '$1'); // undo printf %q
  for (const key of ['HELM', 'KUBECONFORM', 'KUBE_SCHEMAS', 'KUBE_VERSION']) {
    if (!vars[key]) throw new Error(`scripts/chart-tools env printed no ${key}: ${out}`);
  }
  for (const bin of [vars['HELM'], vars['KUBECONFORM'], path.join(vars['KUBE_SCHEMAS'] ?? '', '.complete')]) {
    if (!bin) continue;
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run scripts/chart-tools install`);
  }
  return vars;
})();

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], input?: string): Run {
  const result = spawnSync(bin, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-chart-'));
let counter = 0;

/** Writes values (an object) to a file helm can read with -f. */
export function valuesFile(values: unknown): string {
  const file = path.join(scratch, `values-${++counter}.yaml`);
  fs.writeFileSync(file, YAML.stringify(values));
  return file;
}

/** `helm template` of the chart with these values files (paths or objects); never throws. */
export function template(values: Array<string | object> = [], release = 'aperture'): Run {
  const files = values.flatMap((v) => ['-f', typeof v === 'string' ? v : valuesFile(v)]);
  return run(tools.HELM, [
    'template',
    release,
    chartDir,
    '--namespace',
    'aperture',
    '--kube-version',
    tools.KUBE_VERSION,
    ...files,
  ]);
}

/**
 * NOTES.txt as helm would print it after an install. `helm install --dry-run` needs a cluster, so a
 * copy of the chart wraps the notes in a ConfigMap that `helm template` renders.
 */
export function renderNotes(values: Array<string | object> = []): string {
  const copy = path.join(scratch, `notes-chart-${++counter}`);
  fs.cpSync(chartDir, copy, { recursive: true });
  const notes = fs.readFileSync(path.join(chartDir, 'templates/NOTES.txt'), 'utf8');
  fs.writeFileSync(
    path.join(copy, 'templates/_notes.tpl'),
    `{{- define "test.notes" -}}\n${notes}{{- end -}}\n`,
  );
  fs.writeFileSync(
    path.join(copy, 'templates/notes-test.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n{{ include "test.notes" . | indent 4 }}\n',
  );
  const files = values.flatMap((v) => ['-f', typeof v === 'string' ? v : valuesFile(v)]);
  const result = run(tools.HELM, [
    'template',
    'aperture',
    copy,
    '--namespace',
    'aperture',
    '--kube-version',
    tools.KUBE_VERSION,
    '--show-only',
    'templates/notes-test.yaml',
    ...files,
  ]);
  if (result.status !== 0) throw new Error(`NOTES.txt does not render: ${result.stderr}`);
  return (parseObjects(result.stdout)[0]!['data'] as { notes: string }).notes;
}

export function lint(values: Array<string | object> = []): Run {
  const files = values.flatMap((v) => ['-f', typeof v === 'string' ? v : valuesFile(v)]);
  return run(tools.HELM, ['lint', '--strict', '--kube-version', tools.KUBE_VERSION, chartDir, ...files]);
}

/** Renders the chart and parses every object; throws with helm's message if it does not render. */
export function render(values: Array<string | object> = [], release = 'aperture'): K8sObject[] {
  const result = template(values, release);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseObjects(result.stdout);
}

export function parseObjects(text: string): K8sObject[] {
  return YAML.parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export interface Validation {
  status: number;
  summary: { valid: number; invalid: number; errors: number; skipped: number };
  /** One line an object that failed: "Kind/name: message". */
  problems: string[];
}

/** Validates objects (or YAML text) with kubeconform -strict against the generated schemas. */
export function validate(objects: K8sObject[] | string): Validation {
  const text = typeof objects === 'string' ? objects : objects.map((o) => YAML.stringify(o)).join('---\n');
  const result = run(
    tools.KUBECONFORM,
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${tools.KUBE_SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      '-',
    ],
    text,
  );
  const report = JSON.parse(result.stdout) as {
    resources: Array<{ kind: string; name: string; status: string; msg: string }>;
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return {
    status: result.status,
    summary: report.summary,
    problems: report.resources
      .filter((r) => r.status !== 'statusValid')
      .map((r) => `${r.kind}/${r.name}: ${r.msg}`),
  };
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Partitions per topic, read from the topics Job's script (`ensure NAME PARTITIONS RETENTION POLICY`). */
export function topicSettings(
  objects: K8sObject[],
): Map<string, { partitions: number; retentionMs: number; cleanupPolicy: string }> {
  const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.endsWith('-topics'));
  if (!job) throw new Error('no topics Job rendered');
  const containers = (job['spec'] as { template: { spec: { containers: Array<{ args: string[] }> } } })
    .template.spec.containers;
  const script = containers[0]!.args.join('\n');
  return new Map(
    [...script.matchAll(/^\s*ensure (\S+) (\d+) (-?\d+) (\S+)$/gm)].map((m) => [
      m[1]!,
      { partitions: Number(m[2]), retentionMs: Number(m[3]), cleanupPolicy: m[4]! },
    ]),
  );
}

/** Facts of a stage service read from its own code (services/<name>/src/stage.ts, ingest's config.ts). */
export function serviceFacts(name: ServiceName): { httpPort: number; grpcPort: number; inputTopic?: string } {
  if (name === 'ingest') {
    const config = fs.readFileSync(path.join(repoRoot, 'services/ingest/src/config.ts'), 'utf8');
    return {
      httpPort: Number(/HTTP_PORT: int\(\{ fallback: (\d+)/.exec(config)![1]),
      grpcPort: Number(/GRPC_PORT: int\(\{ fallback: (\d+)/.exec(config)![1]),
    };
  }
  const src = path.join(repoRoot, `services/${name}/src`);
  const stage = fs.readFileSync(path.join(src, 'stage.ts'), 'utf8');
  // The consumed topic is declared by the stage's handler (`topic: Topics.x`), in stage.ts or in
  // the service's *.consumer.ts that stage.ts imports.
  const handlerSources = [
    stage,
    ...fs
      .readdirSync(src)
      .filter((file) => file.endsWith('.consumer.ts'))
      .map((file) => fs.readFileSync(path.join(src, file), 'utf8')),
  ];
  const topicKey = handlerSources.map((text) => /\btopic: Topics\.(\w+)/.exec(text)?.[1]).find(Boolean)!;
  return {
    httpPort: Number(/httpPort: (\d+)/.exec(stage)![1]),
    grpcPort: Number(/grpc: \{\s*port: (\d+)/.exec(stage)![1]),
    inputTopic: contractTopics().byKey[topicKey],
  };
}

/** The topics of libs/contracts/src/topics.ts: the image topics by key, and every topic with the dead-letter ones. */
export function contractTopics(): { byKey: Record<string, string>; all: string[] } {
  const source = fs.readFileSync(path.join(repoRoot, 'libs/contracts/src/topics.ts'), 'utf8');
  const body = /export const Topics = \{([\s\S]*?)\} as const/.exec(source)![1]!;
  const byKey = Object.fromEntries([...body.matchAll(/(\w+): '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const dlq = /return `([^`]+)`/.exec(source.slice(source.indexOf('function deadLetterTopic')))![1]!;
  const all = [...Object.values(byKey), ...SERVICES.map((s) => dlq.replace('${service}', s))];
  return { byKey, all };
}
