import { TestWorkflowEnvironment } from '@temporalio/testing';
import { errorText } from '../../cli/component-error';
import { ensureSearchAttributes, ROLLOUT_SEARCH_ATTRIBUTES } from '../../cli/search-attributes';
import { resolveTemporalCli } from '../../cli/temporal-cli';
import { loadEnv } from '../../config/env';

export interface DevServerOptions {
  /** suggestContinueAsNewAfter, when set, has the server suggest continue-as-new once a run's history has this many events. */
  suggestContinueAsNewAfter?: number;
  /** log receives progress lines: which CLI is used, and the build of one when none is installed. */
  log?: (line: string) => void;
}

/**
 * startDevServer starts a throwaway Temporal dev server with rollgate's search attributes
 * registered, from the Temporal CLI that resolveTemporalCli finds (TEMPORAL_CLI_PATH, PATH, the
 * cached build, a fresh build), else from the one @temporalio/testing downloads. The caller
 * tears it down.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const log = options.log ?? (() => undefined);
  const cliPath = await resolveTemporalCli({ cliPath: loadEnv().TEMPORAL_CLI_PATH, log });
  if (cliPath === undefined) log('no Temporal CLI found; @temporalio/testing will download a dev server (needs internet)');
  const extraArgs =
    options.suggestContinueAsNewAfter === undefined
      ? []
      : ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${options.suggestContinueAsNewAfter}`];
  let server: TestWorkflowEnvironment;
  try {
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cliPath === undefined ? undefined : { type: 'existing-path', path: cliPath },
        searchAttributes: [...ROLLOUT_SEARCH_ATTRIBUTES],
        extraArgs,
        log: { format: 'pretty', level: 'error' },
      },
    });
  } catch (error) {
    throw new Error(
      `A Temporal dev server did not start (CLI: ${cliPath ?? 'SDK download'}): ${errorText(error)}. ` +
        'Set TEMPORAL_CLI_PATH to a Temporal CLI, put `temporal` on PATH, or install Go so that one can be built.',
    );
  }
  try {
    await ensureSearchAttributes(server.connection, 'default');
  } catch (error) {
    await server.teardown();
    throw error;
  }
  return server;
}

/** quietLogger is a workflow bundler logger that passes on warnings and errors only. */
export const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
