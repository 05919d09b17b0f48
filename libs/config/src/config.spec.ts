import {
  ConfigError,
  hostPortList,
  infraSchema,
  int,
  loadConfig,
  mongoUri,
  oneOf,
  str,
} from '@aperture/config';

describe('loadConfig', () => {
  const schema = {
    SERVICE_NAME: str(),
    HTTP_PORT: int({ fallback: 3000, min: 1, max: 65535 }),
    LOG_LEVEL: oneOf(['debug', 'info', 'warn'] as const, { fallback: 'info' }),
    KAFKA_BROKERS: hostPortList({ fallback: ['127.0.0.1:9092'] }),
  };

  it('parses set values and applies fallbacks for unset or blank ones', () => {
    const config = loadConfig(schema, { SERVICE_NAME: 'quality', HTTP_PORT: '8081', LOG_LEVEL: '  ' });
    expect(config).toEqual({
      SERVICE_NAME: 'quality',
      HTTP_PORT: 8081,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
    });
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { HTTP_PORT: '80a', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'kafka:9092,broker' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toEqual([
      'SERVICE_NAME: is required but not set',
      'HTTP_PORT: "80a" is not an integer',
      'LOG_LEVEL: "loud" is not one of debug, info, warn',
      'KAFKA_BROKERS: "kafka:9092,broker" is not a comma-separated list of host:port (bad: broker)',
    ]);
    expect((caught as Error).message).toContain('SERVICE_NAME');
  });

  it('enforces integer bounds', () => {
    expect(() => loadConfig({ PORT: int({ min: 1, max: 65535 }) }, { PORT: '70000' })).toThrow(
      'PORT: 70000 is outside 1..65535',
    );
  });

  it('accepts only MongoDB URIs for MONGODB_URI', () => {
    expect(() => loadConfig({ MONGODB_URI: mongoUri() }, { MONGODB_URI: 'postgres://x' })).toThrow(
      'a mongodb:// or mongodb+srv:// URI',
    );
  });

  it('defaults the infrastructure to the embedded local servers', () => {
    expect(loadConfig(infraSchema, {})).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      MONGODB_URI: 'mongodb://127.0.0.1:27017/aperture',
      BLOB_STORE: 'local',
      BLOB_STORE_DIR: '',
      S3_ENDPOINT: '',
      S3_REGION: 'us-east-1',
      S3_BUCKET: 'aperture',
      S3_ACCESS_KEY_ID: '',
      S3_SECRET_ACCESS_KEY: '',
    });
  });

  it('checks the blob store settings', () => {
    expect(() =>
      loadConfig(infraSchema, { BLOB_STORE: 'gcs', S3_ENDPOINT: '127.0.0.1:9000', S3_BUCKET: 'Bad_Bucket' }),
    ).toThrow(
      [
        'BLOB_STORE: "gcs" is not one of local, s3',
        'S3_ENDPOINT: "127.0.0.1:9000" is not an http:// or https:// URL',
        'S3_BUCKET: "Bad_Bucket" is not an S3 bucket name',
      ].join('\n  - '),
    );
  });
});
