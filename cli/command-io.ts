/** CommandIo is where a CLI command writes: out for its result (stdout), err for diagnostics (stderr). */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Exit statuses shared by every rollgate command: 0 done, 1 the input (a plan) or the action
 * failed (the API answered with a problem), 2 the command was used wrongly or a file could not
 * be read, 3 no server is configured or it cannot be reached.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
