import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { withRetries } from './retry';

export interface TopicSpec {
  name: string;
  /** Partitions bound how many consumers of one group can work in parallel. */
  partitions: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}

export class TopicMismatchError extends Error {
  constructor(
    readonly topic: string,
    readonly expectedPartitions: number,
    readonly actualPartitions: number,
  ) {
    super(
      `topic ${topic} exists with ${actualPartitions} partition(s) but ${expectedPartitions} are required; ` +
        'increase them with kafka-topics --alter (partitions can only grow)',
    );
    this.name = 'TopicMismatchError';
  }
}

/**
 * Creates the topics that do not exist yet and checks that those that do have at least the
 * required partitions. Broker-side auto-creation is off, so this is the only way topics appear.
 * Safe to call from several processes at once: a topic created concurrently counts as existing.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor ?? 1,
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  // A partition just created may refuse offset requests for a moment ("not the leader") even
  // after its leader is announced; wait until each new topic answers them.
  for (const spec of missing) {
    await withRetries({ maxAttempts: 20, initialDelayMs: 100, maxDelayMs: 1000 }, () =>
      admin.fetchTopicOffsets(spec.name),
    );
  }
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((spec) => spec.name) });
  for (const spec of specs) {
    const topic = metadata.topics.find((candidate) => candidate.name === spec.name);
    const actual = topic?.partitions.length ?? 0;
    if (actual < spec.partitions) throw new TopicMismatchError(spec.name, spec.partitions, actual);
  }
  await alignTopicConfigs(
    admin,
    specs.filter((spec) => existing.has(spec.name) && spec.config),
  );
  return { created: missing.map((spec) => spec.name) };
}

/**
 * Topics that existed before a setting was asked for (for example `cleanup.policy=compact` added
 * to a topic later) get it set; a topic whose settings already match is left alone.
 */
async function alignTopicConfigs(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.name })),
  });
  const differing = specs.filter((spec) => {
    const entries =
      described.resources.find((resource) => resource.resourceName === spec.name)?.configEntries ?? [];
    return Object.entries(spec.config ?? {}).some(
      ([name, value]) => entries.find((entry) => entry.configName === name)?.configValue !== value,
    );
  });
  if (differing.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: differing.map((spec) => ({
      type: ConfigResourceTypes.TOPIC,
      name: spec.name,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}
