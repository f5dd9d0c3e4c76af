import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/*
 * historyToJSON and historyFromJSON of @temporalio/common, but with the protojson of the
 * protobufjs copy that @temporalio/proto's types belong to. npm installs one copy of protobufjs
 * per Temporal package here (grpc's proto-loader keeps 7.x at the top), and common's own copy
 * refuses proto's types ("type must be a Type"). The JSON is the same proto3 JSON that
 * `temporal workflow show --output json` and the Web UI export.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}
const { toJson, fromJson } = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJSON(history: History): string {
  return JSON.stringify(toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** historyFromJSON reads what historyToJSON wrote; unknown fields (from a newer server) are ignored. */
export function historyFromJSON(json: string): History {
  const history = fromJson(historyType, JSON.parse(json), { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as History;
}
