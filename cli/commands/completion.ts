import { ExitCode, type CommandIo } from '../command-io';
import { usageError } from '../args';

export const COMPLETION_USAGE = `usage: rollgate completion bash

Prints a bash completion script for rollgate: its commands, their actions, the options every
API command takes, and file names for the plan commands. Load it in the current shell with
  source <(npx rollgate completion bash)
or keep it: npx rollgate completion bash > ~/.local/share/bash-completion/completions/rollgate`;

/** The actions of commands that take one first; the plan commands complete file names. */
const ACTIONS: Record<string, string[]> = {
  plans: ['push', 'list', 'show', 'versions', 'diff'],
  rollouts: ['start', 'list'],
  decisions: ['list', 'show', 'resolve'],
  token: ['create', 'list', 'revoke'],
  prereq: ['sign'],
  completion: ['bash'],
};
const FILE_COMMANDS = ['validate', 'lint', 'graph', 'explain', 'simulate'];
const COMMON_OPTIONS = ['--help', '--output', '--profile'];

/** bashCompletion is the script for the given command names (cli/rollgate.ts passes its own). */
export function bashCompletion(commands: readonly string[]): string {
  const actions = Object.entries(ACTIONS)
    .filter(([command]) => commands.includes(command))
    .map(([command, list]) => `    ${command}) actions="${list.join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for rollgate (rollgate completion bash)
_rollgate() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="${[...commands].join(' ')}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --help" -- "$cur"))
    return
  fi
  local command="\${COMP_WORDS[1]}" actions=""
  case "$prev" in
    --output|-o) COMPREPLY=($(compgen -W "json text" -- "$cur")); return ;;
    --metrics) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${COMMON_OPTIONS.join(' ')}" -- "$cur"))
    return
  fi
  case "$command" in
${actions}
  esac
  if [[ -n "$actions" && $COMP_CWORD -eq 2 ]]; then
    COMPREPLY=($(compgen -W "$actions" -- "$cur"))
    return
  fi
  case "$command" in
    ${FILE_COMMANDS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")) ;;
    plans) [[ "\${COMP_WORDS[2]}" == push ]] && COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -o filenames -o bashdefault -F _rollgate rollgate
`;
}

/** completionCommand runs `rollgate completion bash`. */
export function completionCommand(args: string[], io: CommandIo, commands: readonly string[]): number {
  const [shell, ...rest] = args;
  if (shell === '--help' || shell === '-h') {
    io.out(COMPLETION_USAGE);
    return ExitCode.ok;
  }
  if (shell !== 'bash' || rest.length > 0) return usageError('completion', shell === undefined ? 'give the shell: bash' : `only bash is supported, not ${[shell, ...rest].join(' ')}`, io);
  io.out(bashCompletion(commands).trimEnd());
  return ExitCode.ok;
}
