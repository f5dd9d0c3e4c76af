import http from 'node:http';
import type { FuzzRequest } from './cases';

export interface FuzzAnswer {
  status: number;
  contentType: string;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a problem document as the API wrote it
  json?: any;
}

/**
 * send makes one request over a real socket with node:http, so that the path, headers and body
 * bytes are exactly the generated ones (fetch would normalise the URL and refuse some headers).
 * A connection that ends without an answer is reported as status 0.
 */
export function send(baseUrl: string, request: FuzzRequest, timeoutMs = 15_000): Promise<FuzzAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: FuzzAnswer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        agent: false,
        headers: { ...request.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          done({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json });
        });
        res.on('error', (error) => done({ status: 0, contentType: '', text: `response failed: ${error.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer (413, 415) before it has read the whole body and close the socket.
    req.on('error', (error) => done({ status: 0, contentType: '', text: `request failed: ${error.message}` }));
    req.end(body);
  });
}
