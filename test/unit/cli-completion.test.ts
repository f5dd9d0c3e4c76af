import { execFileSync } from 'node:child_process';
import { bashCompletion } from '../../cli/commands/completion';

/** complete runs the completion script in bash for the words typed so far and returns its proposals. */
function complete(script: string, words: string[]): string[] {
  const program = `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _rollgate; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('rollgate completion bash', () => {
  const script = bashCompletion(['validate', 'plans', 'rollouts', 'status', 'events', 'token', 'completion']);

  it('completes commands, their actions and the output formats', () => {
    expect(complete(script, ['rollgate', 'ro'])).toEqual(['rollouts']);
    expect(complete(script, ['rollgate', 'plans', ''])).toEqual(['push', 'list', 'show', 'versions', 'diff']);
    expect(complete(script, ['rollgate', 'token', 'r'])).toEqual(['revoke']);
    expect(complete(script, ['rollgate', 'events', 'r1', '--o'])).toEqual(['--output']);
    expect(complete(script, ['rollgate', 'status', 'r1', '--output', ''])).toEqual(['json', 'text']);
  });

  it('offers only the commands it was given', () => {
    expect(complete(script, ['rollgate', 'in'])).toEqual([]);
    expect(complete(bashCompletion(['inbox']), ['rollgate', 'in'])).toEqual(['inbox']);
  });
});
