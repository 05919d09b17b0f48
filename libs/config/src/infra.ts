import { hostPortList, mongoUri } from './config';

/**
 * Where the broker and the database are. The defaults are the embedded local infrastructure that
 * `scripts/infra up` starts (Kafka on 127.0.0.1:9092, FerretDB on 127.0.0.1:27017), so a service
 * started with no environment at all talks to it.
 */
export const infraSchema = {
  KAFKA_BROKERS: hostPortList({ fallback: ['127.0.0.1:9092'] }),
  MONGODB_URI: mongoUri({ fallback: 'mongodb://127.0.0.1:27017/aperture' }),
};
