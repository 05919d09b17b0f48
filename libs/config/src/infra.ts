import { hostPortList, mongoUri, oneOf, str } from './config';

/**
 * Where the broker and the database are. The defaults are the embedded local infrastructure that
 * `scripts/infra up` starts (Kafka on 127.0.0.1:9092, FerretDB on 127.0.0.1:27017), so a service
 * started with no environment at all talks to it.
 */
export const infraSchema = {
  KAFKA_BROKERS: hostPortList({ fallback: ['127.0.0.1:9092'] }),
  MONGODB_URI: mongoUri({ fallback: 'mongodb://127.0.0.1:27017/aperture' }),
  ...blobStoreSchemaFields(),
};

/**
 * Where image bytes go: the local filesystem (BLOB_STORE=local, the default: BLOB_STORE_DIR, else
 * <repo>/.aperture/blobs) or an S3-compatible bucket (BLOB_STORE=s3). Locally `scripts/infra up`
 * runs S3Proxy and `scripts/infra env` prints its S3_* settings; unset S3 credentials mean the AWS
 * SDK's default chain (environment, profile, instance role).
 */
export const blobStoreSchema = blobStoreSchemaFields();

function blobStoreSchemaFields() {
  return {
    BLOB_STORE: oneOf(['local', 's3'] as const, { fallback: 'local' }),
    BLOB_STORE_DIR: str({ fallback: '' }),
    S3_ENDPOINT: str({ fallback: '', pattern: /^https?:\/\/\S+$/, describe: 'an http:// or https:// URL' }),
    S3_REGION: str({ fallback: 'us-east-1', pattern: /^[a-z0-9-]{1,40}$/, describe: 'a region name' }),
    S3_BUCKET: str({
      fallback: 'aperture',
      pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      describe: 'an S3 bucket name',
    }),
    S3_ACCESS_KEY_ID: str({ fallback: '' }),
    S3_SECRET_ACCESS_KEY: str({ fallback: '' }),
  };
}

/**
 * The service identity: a shared secret every service of one installation holds (header
 * x-service-token), by which internal calls (ingest asking quality, campaigns and compliance, the
 * console forwarding to annotation-router) prove they come from inside. Required: there is no
 * default, since a known default would let anyone on the network in. `scripts/start` and the test
 * harness generate one; the Helm chart keeps it in a Secret.
 */
export const serviceIdentitySchema = {
  APERTURE_SERVICE_TOKEN: str({
    pattern: /^[\x21-\x7e]{32,256}$/,
    describe: 'a secret of 32 to 256 printable characters (e.g. `openssl rand -hex 32`)',
  }),
};
