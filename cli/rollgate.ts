import { loadEnv } from '../config/env';
import { ExitCode, type CommandIo } from './command-io';
import { explainCommand } from './commands/explain';
import { graphCommand } from './commands/graph';
import { lintCommand } from './commands/lint';
import { simulateCommand } from './commands/simulate';
import type * as TokenModule from './commands/token';
import { validateCommand } from './commands/validate';

export const USAGE = `usage: rollgate <command> [options]

Plan authoring (no server needed):
  validate <file…>          check plans; every problem as file:line:col: error|warning: message
  lint <file…>              check plans and explain their lint warnings; --rules lists the rules
  graph <file>              print the stage graph as Mermaid (default) or Graphviz dot
  explain <file>            describe a plan in words, with its earliest finish date
  simulate <file> --metrics <scenario>
                            run a plan over a metric scenario: when each stage would pass

Administration (needs the database):
  token create|list|revoke  manage API tokens

"rollgate <command> --help" shows a command's options. The plan format is described in
docs/plan-format.md.

exit status: 0 done, 1 a plan has errors (or the action failed), 2 usage error or a file
could not be read`;

type Command = (args: string[], io: CommandIo) => ExitCode | number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  lint: lintCommand,
  graph: graphCommand,
  explain: (args, io) => explainCommand(args, io),
  simulate: (args, io) => simulateCommand(args, io),
  // Loaded when used: it brings the database driver and the migrations, which no other command needs.
  // A dynamic import() would bypass the CommonJS TypeScript loader that cli/bin.js installs.
  token: (args, io) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { tokenCommand } = require('./commands/token') as typeof TokenModule;
    return tokenCommand(args, loadEnv(), io);
  },
};

/** runRollgate runs the rollgate CLI with the arguments after the program name and returns the exit status. */
export async function runRollgate(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.err(USAGE);
    return ExitCode.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return ExitCode.ok;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
    io.err(`rollgate: ${what}; the commands are ${Object.keys(COMMANDS).join(', ')}`);
    io.err('run "rollgate --help" for the usage');
    return ExitCode.usage;
  }
  return command(args, io);
}
