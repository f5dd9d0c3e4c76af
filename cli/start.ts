import '../telemetry/tracing-register';
import { loadEnv } from '../config/env';
import { configureLogging } from '../telemetry/logger';
import { stopTracing } from '../telemetry/tracing';
import { errorText, ComponentError } from './component-error';
import { DevStack } from './dev-stack';

type Outcome =
  | { kind: 'started' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'died'; message: string };

/** `npm start`: run the whole local stack until Ctrl-C, then stop it in reverse order. */
async function main(): Promise<number> {
  let env;
  try {
    env = loadEnv();
  } catch (error) {
    console.error(errorText(error));
    return 1;
  }
  // Log lines are for people on a terminal, JSON lines for a collector otherwise.
  configureLogging({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY === true });
  const stack = new DevStack(env, {
    ready: (line) => console.log(line),
    progress: (line) => console.error(line),
  });

  let received: NodeJS.Signals | undefined;
  const signalled = new Promise<Outcome>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (received !== undefined) return; // the terminal and tsx may both deliver one Ctrl-C
      received = signal;
      resolve({ kind: 'signal', signal });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal); // the terminal was closed
  });
  const crashed = new Promise<Outcome>((resolve) => {
    const onCrash = (error: unknown) => resolve({ kind: 'died', message: `unexpected error: ${errorText(error)}` });
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
  });
  const died = stack.unexpectedExit.then((message): Outcome => ({ kind: 'died', message }));

  const started = stack.start().then(
    (): Outcome => ({ kind: 'started' }),
    (error: unknown): Outcome => ({ kind: 'failed', error }),
  );
  let outcome = await Promise.race([started, signalled, died, crashed]);
  if (outcome.kind === 'started') {
    console.log('rollgate is running. Press Ctrl-C to stop.');
    outcome = await Promise.race([signalled, died, crashed]);
  }

  switch (outcome.kind) {
    case 'signal':
      console.log('Stopping…');
      break;
    case 'failed':
      console.error(
        outcome.error instanceof ComponentError
          ? `${outcome.error.component}: ${outcome.error.message}`
          : `Start-up failed: ${errorText(outcome.error)}`,
      );
      break;
    case 'died':
      console.error(`${outcome.message} Shutting down.`);
      break;
  }
  await stack.stop();
  await stopTracing();
  if (outcome.kind === 'signal') console.log('Stopped.');
  return outcome.kind === 'signal' ? 0 : 1;
}

void main().then((code) => process.exit(code));
