import { resolveTestInfra, uniqueName, waitFor } from '@aperture/testing';

describe('resolveTestInfra', () => {
  it('uses KAFKA_BROKERS, MONGODB_URI and S3_* from the environment as they are, starting nothing', async () => {
    const infra = await resolveTestInfra({
      KAFKA_BROKERS: 'kafka-a:9092,kafka-b:9092',
      MONGODB_URI: 'mongodb://db.example:27017/',
      S3_ENDPOINT: 'http://s3.example:9000',
      S3_BUCKET: 'images',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      APERTURE_TEST_INFRA: 'containers', // would start containers if anything were missing
    });
    expect(infra).toMatchObject({
      kafkaBrokers: ['kafka-a:9092', 'kafka-b:9092'],
      mongoUri: 'mongodb://db.example:27017/',
      s3: {
        endpoint: 'http://s3.example:9000',
        bucket: 'images',
        region: 'us-east-1',
        accessKeyId: 'key',
        secretAccessKey: 'secret',
      },
      kafkaSource: 'environment',
      mongoSource: 'environment',
      s3Source: 'environment',
    });
    await expect(infra.stop()).resolves.toBeUndefined();
  });
});

describe('uniqueName', () => {
  it('keeps the prefix and never repeats', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('topic')));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^topic-[a-z0-9]+-[0-9a-f]{6}$/);
  });
});

describe('waitFor', () => {
  it('resolves once the check holds and names what it waited for on timeout', async () => {
    let calls = 0;
    await waitFor('three calls', () => ++calls >= 3, 1000);
    expect(calls).toBe(3);
    await expect(waitFor('never', () => false, 150)).rejects.toThrow(
      'timed out after 150 ms waiting for never',
    );
  });
});
