import { loadEnv } from '../config/env';
import { ExitCode, type CommandIo } from './command-io';
import { completionCommand } from './commands/completion';
import { decisionsCommand } from './commands/decisions';
import { explainCommand } from './commands/explain';
import { graphCommand } from './commands/graph';
import { plansCommand } from './commands/plans';
import { lintCommand } from './commands/lint';
import {
  controlCommand,
  eventsCommand,
  inboxCommand,
  loginCommand,
  prereqCommand,
  rolloutsCommand,
  signOffCommand,
  statusCommand,
} from './commands/rollouts';
import { resolveCommand } from './commands/resolve';
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

Rollouts (talk to the API; rollgate login first, or set ROLLGATE_URL and ROLLGATE_TOKEN):
  login --url URL --token T store a server and token as a profile (~/.config/rollgate, mode 0600)
  plans push <file…>        validate plans locally (file:line:col), then upload them
  plans list|show|versions|diff
                            the plans on the server, one plan's YAML, its versions, what changed
  rollouts start|list       start a rollout of a plan; list rollouts by plan and state
  status <id> [--watch]     the rollout as a tree of stages, criteria, waves and sites
  approve|reject <id> <stage>
                            sign a stage (or --site) off; a rejection needs --comment
  prereq sign <id> <prereq> sign a readiness prerequisite off
  pause|resume|abort <id>   operate a rollout
  resolve <id> <stage> --action retry-window|rollback|abort
                            resolve a held stage
  decisions list|show|resolve <id>
                            the rollout's decisions; settle one deferred to your role
  events <id> [--follow]    the rollout's audit trail
  inbox                     what waits for you: sign-offs, prerequisites, decisions, held stages
  Each takes --profile NAME and --output json.

Administration (needs the database):
  token create|list|revoke  manage API tokens

Shell:
  completion bash           print a bash completion script: source <(rollgate completion bash)

"rollgate <command> --help" shows a command's options. The plan format is described in
docs/plan-format.md.

exit status: 0 done, 1 a plan has errors (or the action failed: the API's problem is printed),
2 usage error or a file could not be read, 3 no server configured or it cannot be reached`;

type Command = (args: string[], io: CommandIo) => ExitCode | number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  lint: lintCommand,
  graph: graphCommand,
  explain: (args, io) => explainCommand(args, io),
  simulate: (args, io) => simulateCommand(args, io),
  login: loginCommand,
  plans: plansCommand,
  rollouts: rolloutsCommand,
  status: statusCommand,
  approve: signOffCommand('approve'),
  reject: signOffCommand('reject'),
  prereq: prereqCommand,
  pause: controlCommand('pause'),
  resume: controlCommand('resume'),
  abort: controlCommand('abort'),
  resolve: resolveCommand,
  decisions: decisionsCommand,
  events: eventsCommand,
  inbox: inboxCommand,
  completion: (args, io) => completionCommand(args, io, Object.keys(COMMANDS)),
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
