import * as grpc from '@grpc/grpc-js';
import { evaluateReadiness, startGrpcServer } from '@aperture/runtime';

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
