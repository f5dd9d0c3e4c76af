import fs from 'node:fs';
import path from 'node:path';

/**
 * Recorded histories live in recorded/<label>/<scenario>/<workflow-id>.json, one directory per
 * released rollgate version (label `v<package.json version>`), each with a manifest.json.
 * Directories of earlier versions are kept: runs they started may still be open.
 */
export const RECORDED_DIR = path.join(__dirname, 'recorded');
export const MANIFEST_FILE = 'manifest.json';

/** RecordedHistory describes one workflow run's history file, relative to its label directory. */
export interface RecordedHistory {
  file: string;
  scenario: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  /** status is how the run ended: COMPLETED, CONTINUED_AS_NEW, … */
  status: string;
  recordedAt: string;
  /** commit is the rollgate commit whose workflow code made the history. */
  commit: string;
}

export interface Manifest {
  label: string;
  histories: RecordedHistory[];
}

/** RecordedFile is a manifest entry with the absolute path of its history. */
export interface RecordedFile extends RecordedHistory {
  label: string;
  path: string;
}

export function readManifest(labelDir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(labelDir, MANIFEST_FILE), 'utf8')) as Manifest;
}

/** recordedLabels lists the label directories under dir, oldest version first. */
function recordedLabels(dir = RECORDED_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** recordedFiles lists every history of every label, as their manifests name them. */
export function recordedFiles(dir = RECORDED_DIR): RecordedFile[] {
  return recordedLabels(dir).flatMap((label) =>
    readManifest(path.join(dir, label)).histories.map((history) => ({ ...history, label, path: path.join(dir, label, history.file) })),
  );
}

/** unlistedFiles finds history files that no manifest names, which would otherwise go unreplayed. */
export function unlistedFiles(dir = RECORDED_DIR): string[] {
  const listed = new Set(recordedFiles(dir).map((file) => file.path));
  return recordedLabels(dir).flatMap((label) =>
    fs
      .readdirSync(path.join(dir, label), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.json') && name !== MANIFEST_FILE)
      .map((name) => path.join(dir, label, name))
      .filter((file) => !listed.has(file)),
  );
}
