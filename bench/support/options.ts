/**
 * numericOptions reads `--name=<number>` arguments into a copy of defaults; any other argument,
 * or a name defaults lacks, is an error that lists the options.
 */
export function numericOptions<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const options = { ...defaults };
  const names = Object.keys(defaults);
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(arg);
    if (!match || !names.includes(match[1]!)) throw new Error(`unknown option ${arg}: use ${names.map((name) => `--${name}=<n>`).join(', ')}`);
    (options as Record<string, number>)[match[1]!] = Number(match[2]);
  }
  return options;
}
