import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the API commands find the server, like gh: `rollgate login --url … --token …` stores a
 * profile in ~/.config/rollgate/profiles.json (mode 0600; $XDG_CONFIG_HOME is honoured),
 * `--profile NAME` picks one (default "default"), and ROLLGATE_URL / ROLLGATE_TOKEN override
 * what the profile says.
 */

export interface Profile {
  url: string;
  token: string;
}

interface ProfileFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'rollgate');
}

export const profilesFile = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'profiles.json');

function readProfiles(env: NodeJS.ProcessEnv): ProfileFile {
  try {
    const parsed = JSON.parse(readFileSync(profilesFile(env), 'utf8')) as Partial<ProfileFile>;
    return { profiles: parsed.profiles ?? {} };
  } catch {
    return { profiles: {} };
  }
}

/** saveProfile stores a profile; the file holds tokens, so only its owner may read it. */
export function saveProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const file = readProfiles(env);
  file.profiles[name] = profile;
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  const path = profilesFile(env);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** resolveProfile is the server to talk to, or why there is none. */
export function resolveProfile(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Profile | string {
  const stored = readProfiles(env).profiles[name ?? DEFAULT_PROFILE];
  if (name !== undefined && !stored) return `no profile "${name}" in ${profilesFile(env)}: run rollgate login --profile ${name} --url … --token …`;
  const url = env.ROLLGATE_URL || stored?.url;
  const token = env.ROLLGATE_TOKEN || stored?.token;
  if (!url || !token) return `no server configured: run rollgate login --url URL --token TOKEN, or set ROLLGATE_URL and ROLLGATE_TOKEN`;
  return { url, token };
}
