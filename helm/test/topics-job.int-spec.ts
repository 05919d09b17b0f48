// The topics hook Job's script, as the chart renders it, run against the real Kafka broker: the same
// shell function and arguments, with kafka-topics.sh and kafka-configs.sh as the same Kafka classes
// the apache/kafka image runs (TopicCommand, ConfigCommand) at the broker's version. Topic names are
// given a unique prefix so the run leaves the pipeline's own topics alone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { find, type K8sObject, render, tools } from './tools';

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
const prefix = `chartjob${Date.now().toString(36)}`;
const picked = ['aperture.image.ingested.v1', 'aperture.image.curated.v1'];
const renamed = (topic: string) => topic.replace(/^aperture\./, `${prefix}.`);

/** A bin directory whose kafka-topics.sh / kafka-configs.sh run Kafka's own classes. */
function kafkaBin(): string {
  const classpath = (tools as Record<string, string>)['KAFKA_CLI_CLASSPATH'];
  if (!classpath) throw new Error('scripts/chart-tools env printed no KAFKA_CLI_CLASSPATH');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-bin-'));
  for (const [script, main] of [
    ['kafka-topics.sh', 'org.apache.kafka.tools.TopicCommand'],
    ['kafka-configs.sh', 'kafka.admin.ConfigCommand'],
  ]) {
    const file = path.join(dir, script!);
    fs.writeFileSync(
      file,
      `#!/bin/sh\nexec java -Xshare:auto -XX:TieredStopAtLevel=1 -cp '${classpath}' ${main} "$@" 2>&1\n`,
    );
    fs.chmodSync(file, 0o755);
  }
  return dir;
}

/** Runs the rendered Job's script (only the picked topics, renamed) with the Job's own environment. */
function runJob(objects: K8sObject[], bin: string) {
  const container = find(objects, 'Job', 'aperture-topics')['spec'].template.spec.containers[0] as {
    command: string[];
    args: string[];
    env: Array<{ name: string; value: string }>;
  };
  expect(container.command).toEqual(['/bin/bash', '-ec']);
  const lines = container.args[0]!.split('\n');
  const script = lines
    .filter((line) => !/^\s*ensure /.test(line) || picked.some((t) => line.includes(` ${t} `)))
    .map((line) => (/^\s*ensure /.test(line) ? line.replace(/ aperture\.(\S+) /, ` ${prefix}.$1 `) : line))
    .join('\n')
    .replace('bin=/opt/kafka/bin', `bin=${bin}`);
  expect(script.match(/^\s*ensure /gm)).toHaveLength(picked.length);
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
  const result = spawnSync('/bin/bash', ['-ec', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env, LOG_DIR: os.tmpdir() },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the topics hook Job against the real broker', () => {
  const kafka = new Kafka({ brokers, clientId: 'helm-topics-job-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let bin: string;
  // Partitions at least the chart's default maxReplicas (8), or the chart refuses to render.
  const values = (partitions: number) => ({
    kafka: { brokers },
    topics: { replicationFactor: 1, minInsyncReplicas: 1, partitions, retentionMs: 3_600_000 },
  });
  const describe = async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: picked.map(renamed) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: picked.map((t) => ({
        type: 2,
        name: renamed(t),
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    return Object.fromEntries(
      picked.map((t) => {
        const entries = configs.resources.find((r) => r.resourceName === renamed(t))!.configEntries;
        const config = Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
        return [t, { partitions: topics.find((x) => x.name === renamed(t))!.partitions.length, ...config }];
      }),
    );
  };

  beforeAll(async () => {
    expect(brokers.length).toBeGreaterThan(0);
    bin = kafkaBin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: picked.map(renamed) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topics with the partitions and configs of the values', async () => {
    const run = runJob(render([values(8)]), bin);
    expect([run.status, run.output]).toEqual([
      0,
      expect.stringContaining(`topic ${prefix}.image.curated.v1`),
    ]);
    expect(await describe()).toEqual({
      'aperture.image.ingested.v1': { partitions: 8, 'cleanup.policy': 'delete', 'retention.ms': '3600000' },
      'aperture.image.curated.v1': { partitions: 8, 'cleanup.policy': 'compact', 'retention.ms': '-1' },
    });
  });

  it('is idempotent: a second run (the next helm upgrade) changes nothing and succeeds', async () => {
    const run = runJob(render([values(8)]), bin);
    expect([run.status, run.output]).toEqual([0, expect.not.stringContaining('raising')]);
    expect((await describe())['aperture.image.ingested.v1']).toMatchObject({ partitions: 8 });
  });

  it('raises partitions and applies changed configs of existing topics on upgrade', async () => {
    const upgraded = values(9);
    upgraded.topics.retentionMs = 7_200_000;
    const run = runJob(render([upgraded]), bin);
    expect([run.status, run.output]).toEqual([
      0,
      expect.stringContaining(`raising ${prefix}.image.ingested.v1 from 8 to 9`),
    ]);
    expect(await describe()).toEqual({
      'aperture.image.ingested.v1': { partitions: 9, 'cleanup.policy': 'delete', 'retention.ms': '7200000' },
      'aperture.image.curated.v1': { partitions: 9, 'cleanup.policy': 'compact', 'retention.ms': '-1' },
    });
  });
});
