import {
  type ConfigOf,
  type Env,
  infraSchema,
  int,
  loadConfig,
  serviceIdentitySchema,
  str,
} from '@aperture/config';
import { httpLimitsSchema } from '@aperture/runtime';

export const DEFAULT_ADMIN_TOKEN = 'aperture-local-admin';

export const ingestSchema = {
  ...infraSchema,
  // How ingest proves itself to quality, campaigns, compliance and annotation-router.
  ...serviceIdentitySchema,
  HTTP_PORT: int({ fallback: 8080, min: 0, max: 65535 }),
  /** The consumer group that tallies batch counts from the status topic; overridable so that separate pipelines can share a broker. */
  KAFKA_GROUP_ID: str({ fallback: 'ingest', pattern: /^[\w.-]{1,200}$/, describe: 'a consumer group id' }),
  GRPC_PORT: int({ fallback: 50051, min: 0, max: 65535 }),
  /** The largest upload accepted, in bytes (default 50 MiB). */
  MAX_UPLOAD_BYTES: int({ fallback: 50 * 1024 * 1024, min: 1, max: 4 * 1024 * 1024 * 1024 }),
  /** MAX_JSON_BODY_BYTES (413 too_large beyond) and BODY_IDLE_TIMEOUT_MS, as on every service. */
  ...httpLimitsSchema,
  /**
   * Per-tenant rate limit of the API (REST and gRPC alike), per replica: a token bucket refilled
   * at RATE_LIMIT_PER_SECOND requests per second, holding at most RATE_LIMIT_BURST.
   */
  RATE_LIMIT_PER_SECOND: int({ fallback: 50, min: 1, max: 1_000_000 }),
  RATE_LIMIT_BURST: int({ fallback: 200, min: 1, max: 1_000_000 }),
  /** The campaigns service's gRPC address: asked before a campaign upload is stored. */
  CAMPAIGNS_GRPC_ADDRESS: str({
    fallback: '127.0.0.1:50056',
    pattern: /^[\w.-]+:\d{1,5}$/,
    describe: 'host:port',
  }),
  /** The quality stage's gRPC address: its Assess gives the synchronous verdict (?verdict=sync). */
  QUALITY_GRPC_ADDRESS: str({
    fallback: '127.0.0.1:50052',
    pattern: /^[\w.-]+:\d{1,5}$/,
    describe: 'host:port',
  }),
  /** The secret of the admin routes (header x-admin-token). */
  ADMIN_TOKEN: str({ fallback: DEFAULT_ADMIN_TOKEN, pattern: /^.{8,}$/, describe: 'at least 8 characters' }),
  /**
   * The web console (services/console-web, served at /console/): the directory of its built files
   * ('' = dist/services/console-web of this checkout), and the services it reads for its pages.
   */
  CONSOLE_DIR: str({ fallback: '' }),
  /** annotation-router's REST API: tasks, their derivatives and the dataset report. */
  ANNOTATION_ROUTER_URL: str({
    fallback: 'http://127.0.0.1:8084',
    pattern: /^https?:\/\/\S+$/,
    describe: 'an http:// or https:// URL',
  }),
  /** campaigns' REST API: the console's Campaigns page (progress, cells, collector statistics). */
  CAMPAIGNS_URL: str({
    fallback: 'http://127.0.0.1:8085',
    pattern: /^https?:\/\/\S+$/,
    describe: 'an http:// or https:// URL',
  }),
  /** compliance's gRPC address (host:port): the audit trail. */
  COMPLIANCE_GRPC_ADDRESS: str({ fallback: '127.0.0.1:50054', pattern: /^\S+:\d+$/, describe: 'host:port' }),
  /** A link to a trace viewer, {traceId} replaced (e.g. http://jaeger:16686/trace/{traceId}); '' = none. */
  CONSOLE_TRACE_URL_TEMPLATE: str({ fallback: '' }),
};

export type IngestConfig = ConfigOf<typeof ingestSchema>;

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  return loadConfig(ingestSchema, env);
}
