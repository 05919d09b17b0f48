import { ApiError } from '../errors';

export interface ForwardedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * annotation-router's REST API, called with the tenant's own key: it checks the key and the tenant
 * itself, so the console sees there exactly what the key may see.
 */
export class AnnotationRepository {
  constructor(private readonly baseUrl: string) {}

  async forward(
    method: 'GET' | 'POST',
    path: string,
    apiKey: string,
    body?: unknown,
  ): Promise<ForwardedResponse> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { 'x-api-key': apiKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ApiError('unavailable', `annotation-router is unavailable (${(error as Error).message})`);
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      body: Buffer.from(await response.arrayBuffer()),
    };
  }
}
