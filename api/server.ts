// Contract (implementation in progress):
export interface ApiServerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  port: number;
}
export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}
export async function startApiServer(_options: ApiServerOptions): Promise<RunningApi> {
  throw new Error('not implemented yet');
}
