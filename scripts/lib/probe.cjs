// Waits until a server really answers its own protocol (not just an open port), or fails with the
// last error. Used by scripts/infra. Usage:
//   node scripts/lib/probe.cjs kafka 127.0.0.1:9092 [timeoutSeconds]
//   node scripts/lib/probe.cjs mongo mongodb://127.0.0.1:27017/ [timeoutSeconds]
//   node scripts/lib/probe.cjs s3 http://127.0.0.1:9000 [timeoutSeconds]   (S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET)
'use strict';

const [kind, target, timeoutArg] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg ?? 60) * 1000;

async function probeKafka(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    clientId: 'aperture-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function probeMongo(uri) {
  const mongoose = require('mongoose');
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 2000 });
  try {
    await conn.asPromise();
    const info = await conn.db.admin().command({ buildInfo: 1 });
    return `MongoDB wire protocol ${info.version}${info.ferretdbVersion ? ` (FerretDB ${info.ferretdbVersion})` : ''}`;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

// An S3 API call (signed ListBuckets), then the bucket: created when missing, so it is ready to use.
async function probeS3(endpoint) {
  const { S3Client, ListBucketsCommand, CreateBucketCommand } = require('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint,
    region: process.env.S3_REGION || 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.S3_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY,
    },
    maxAttempts: 1,
  });
  try {
    const bucket = process.env.S3_BUCKET;
    const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
    if (bucket && !Buckets.some((b) => b.Name === bucket))
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return `S3 API answers, bucket ${bucket} ready (${Math.max(Buckets.length, 1)} bucket(s))`;
  } finally {
    client.destroy();
  }
}

async function main() {
  const probe = { kafka: probeKafka, mongo: probeMongo, s3: probeS3 }[kind];
  if (!probe || !target) {
    console.error('usage: probe.cjs kafka|mongo|s3 TARGET [timeoutSeconds]');
    process.exit(2);
  }
  let lastError;
  while (Date.now() < deadline) {
    try {
      console.log(await probe(target));
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  console.error(`${kind} at ${target} did not answer: ${lastError?.message ?? 'timed out'}`);
  process.exit(1);
}

main();
