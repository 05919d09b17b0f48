import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcServiceBinding {
  /** The fully qualified name reported by grpc.health.v1, e.g. "aperture.quality.v1.QualityService". */
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface RunningGrpcServer {
  port: number;
  health: HealthImplementation;
  stop(): Promise<void>;
}

/**
 * Starts a gRPC server with the given services and the standard health service (grpc.health.v1),
 * every service reported SERVING once bound.
 */
export async function startGrpcServer(options: {
  port: number;
  host?: string;
  services: GrpcServiceBinding[];
  maxMessageBytes?: number;
}): Promise<RunningGrpcServer> {
  const maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const service of options.services) {
    server.addService(service.definition, service.implementation);
    health.setStatus(service.name, 'NOT_SERVING');
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host ?? '0.0.0.0'}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, boundPort) => (error ? reject(error) : resolve(boundPort)),
    ),
  );
  health.setStatus('', 'SERVING');
  for (const service of options.services) health.setStatus(service.name, 'SERVING');
  return {
    port,
    health,
    stop: () =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** A gRPC error with a status code, for handlers to pass to their callback. */
export function grpcError(code: grpc.status, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}
