import * as grpc from '@grpc/grpc-js';
import {
  authenticatedService,
  callerOf,
  evaluateReadiness,
  grpcError,
  secretsEqual,
  SERVICE_TOKEN_HEADER,
  serviceMetadata,
  startGrpcServer,
} from '@aperture/runtime';

describe('evaluateReadiness', () => {
  it('reports each check, counting a throw or a timeout as not ready', async () => {
    const result = await evaluateReadiness(
      {
        mongodb: async () => true,
        kafka: async () => {
          throw new Error('ECONNREFUSED');
        },
        slow: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1000)),
      },
      50,
    );
    expect(result).toEqual({ mongodb: true, kafka: false, slow: false });
  });
});

describe('startGrpcServer', () => {
  it('serves grpc.health.v1 with every bound service SERVING, and stops', async () => {
    const echo: grpc.ServiceDefinition = {
      Echo: {
        path: '/test.v1.EchoService/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (value: Buffer) => value,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (value: Buffer) => value,
      },
    };
    const server = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      services: [
        {
          name: 'test.v1.EchoService',
          definition: echo,
          implementation: {
            Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
              callback(null, call.request),
          },
        },
      ],
    });
    const Client = grpc.makeGenericClientConstructor(echo, 'EchoService');
    const client = new Client(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      Echo: (request: Buffer, callback: (error: grpc.ServiceError | null, response: Buffer) => void) => void;
    };
    const answer = await new Promise<Buffer>((resolve, reject) =>
      client.Echo(Buffer.from('ping'), (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(answer.toString()).toBe('ping');

    // The standard health check, spoken by a raw client: Check(HealthCheckRequest{service}) → status 1 = SERVING.
    const healthCheck = (service: string) =>
      new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (name: string) => Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]),
          (bytes: Buffer) => bytes,
          service,
          (error, response) => (error ? reject(error) : resolve(response!)),
        ),
      );
    expect([...(await healthCheck('test.v1.EchoService'))]).toEqual([0x08, 0x01]);
    await expect(healthCheck('unknown.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    client.close();
    await server.stop();
  });
});

describe('secretsEqual', () => {
  it('compares secrets in constant time, whatever the lengths', () => {
    expect(secretsEqual('aperture-local-admin', 'aperture-local-admin')).toBe(true);
    expect(secretsEqual('aperture-local-admiN', 'aperture-local-admin')).toBe(false);
    expect(secretsEqual('a', 'aperture-local-admin')).toBe(false);
    expect(secretsEqual(undefined, 'aperture-local-admin')).toBe(false);
  });
});

describe('authenticatedService', () => {
  const method = (responseStream: boolean) => ({
    path: `/test.v1.Echo/${responseStream ? 'Stream' : 'Unary'}`,
    requestStream: false,
    responseStream,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (value: Buffer) => value,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (value: Buffer) => value,
  });
  const definition: grpc.ServiceDefinition = { Unary: method(false), Stream: method(true) };

  it('runs a handler only for an authenticated caller, and refuses the rest with their status', async () => {
    const service = authenticatedService<string>(
      definition,
      {
        Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
          callback(null, Buffer.from(callerOf<string>(call))),
        Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          call.write(Buffer.from(callerOf<string>(call)));
          call.end();
        },
      },
      async (metadata) => {
        const token = metadata.get(SERVICE_TOKEN_HEADER)[0]?.toString();
        if (token === 'boom') throw new Error('database down');
        if (token !== 'good') throw grpcError(grpc.status.UNAUTHENTICATED, 'no credential');
        return 'the caller';
      },
    );
    const server = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      services: [{ name: 'test.v1.Echo', definition, implementation: service }],
    });
    const Client = grpc.makeGenericClientConstructor(definition, 'Echo');
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as {
      Unary: (r: Buffer, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void;
      Stream: (r: Buffer, m: grpc.Metadata) => grpc.ClientReadableStream<Buffer>;
      close(): void;
    };
    const unary = (token?: string) =>
      new Promise<string>((resolve, reject) =>
        client.Unary(Buffer.alloc(0), token ? serviceMetadata(token) : new grpc.Metadata(), (error, r) =>
          error ? reject(error) : resolve(r!.toString()),
        ),
      );
    const stream = (token?: string) =>
      new Promise<string>((resolve, reject) => {
        const chunks: string[] = [];
        const call = client.Stream(Buffer.alloc(0), token ? serviceMetadata(token) : new grpc.Metadata());
        call.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
        call.on('error', reject);
        call.on('end', () => resolve(chunks.join()));
      });
    try {
      await expect(unary('good')).resolves.toBe('the caller');
      await expect(stream('good')).resolves.toBe('the caller');
      await expect(unary()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(stream('bad')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(unary('boom')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      client.close();
      await server.stop();
    }
  });
});
