import type Docker from 'dockerode';
import { realpathSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { CONFIG_FILES_LABEL, ONEOFF_LABEL, projectFilter, SERVICE_LABEL, WORKING_DIR_LABEL } from './labels';

/** Where a compose project's container says it was created from. */
export interface StackOrigin {
  /** The project's main compose file (the first `-f`), absolute; undefined when the container does not say. */
  readonly composeFile: string | undefined;
  /** Every compose file, as the container's label lists them (absolute where it could be told). */
  readonly configFiles: readonly string[];
  readonly workingDir: string | undefined;
}

/** A container of the project that another stack's files created. */
export interface ForeignContainer {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly running: boolean;
  readonly origin: StackOrigin;
  /** The engine volumes it mounts (named and anonymous): a replace keeps each of them. */
  readonly volumes: readonly string[];
}

/**
 * Reads `com.docker.compose.project.config_files` and `working_dir`. Compose v2 and this
 * extension write absolute paths joined by commas; Compose v1 writes each `-f` as typed
 * (`../docker-compose.yml`, relative to the shell's folder, which it does not record) with
 * the first file's folder as `working_dir`, so a relative first file is that folder plus
 * its name. A comma inside an absolute path would split it: a piece that is not absolute
 * after an absolute one is the rest of that path.
 */
export function originOf(labels: Readonly<Record<string, string>>): StackOrigin {
  const workingDir = labels[WORKING_DIR_LABEL] || undefined;
  const pieces = (labels[CONFIG_FILES_LABEL] ?? '').split(',');
  const files: string[] = [];
  const absoluteWriter = isAbsolute(pieces[0] ?? '');
  for (const piece of pieces) {
    const last = files.length - 1;
    if (absoluteWriter && last >= 0 && !isAbsolute(piece)) files[last] = `${files[last] ?? ''},${piece}`;
    else if (piece) files.push(piece);
  }
  const configFiles = files.map((file) => (isAbsolute(file) || !workingDir ? file : join(workingDir, basename(file))));
  return { composeFile: configFiles[0], configFiles, workingDir };
}

/**
 * Whether a container created from `origin` belongs to the stack whose main compose file
 * is `composeFile` (in `workingDir`). One stack is one main file: an override file added
 * or removed is a change of that stack (the recreate rules judge it), another main file
 * (another folder, or `-f other.yml`) is another stack. Paths are compared as the files
 * they name (symlinks resolved, trailing separators dropped); a container that names no
 * file is judged by its folder, and one that names neither cannot be told apart: ours.
 */
export function sameStack(origin: StackOrigin, ours: { readonly composeFile: string; readonly workingDir: string }): boolean {
  if (origin.composeFile) return samePath(origin.composeFile, ours.composeFile);
  if (origin.workingDir) return samePath(origin.workingDir, ours.workingDir);
  return true;
}

export function samePath(a: string, b: string): boolean {
  return canonicalPath(a) === canonicalPath(b);
}

/** The path as the file system names it: real path if it exists, else resolved; case-folded where the file system is. */
function canonicalPath(path: string): string {
  let canonical: string;
  try {
    canonical = realpathSync.native(path);
  } catch {
    canonical = resolve(path);
  }
  return process.platform === 'win32' ? canonical.toLowerCase() : canonical;
}

/** The project's containers (one-off `run` containers aside) that another stack's files created. */
export async function foreignContainers(
  docker: Docker,
  project: string,
  ours: { readonly composeFile: string; readonly workingDir: string },
): Promise<ForeignContainer[]> {
  const containers = await docker.listContainers({ all: true, filters: projectFilter(project) });
  return containers
    .filter((c) => c.Labels[ONEOFF_LABEL] !== 'True')
    .map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      service: c.Labels[SERVICE_LABEL] ?? '',
      running: c.State === 'running',
      origin: originOf(c.Labels),
      volumes: (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name ?? ''),
    }))
    .filter((c) => !sameStack(c.origin, ours));
}

/** `/a/shared-redis/docker-compose.yml` (and the override `…`): the files that own the containers, each once. */
export function describeOrigins(containers: readonly ForeignContainer[]): string {
  const seen = new Set<string>();
  for (const c of containers) seen.add(c.origin.configFiles.length > 0 ? c.origin.configFiles.join(' + ') : c.origin.workingDir ?? 'an unknown folder');
  return [...seen].join('; ');
}

/**
 * Start found the project's containers created from another stack's files: it changes
 * nothing until the user chooses to use that stack as it is or to replace it.
 */
export class ForeignStackError extends Error {
  override readonly name = 'ForeignStackError';

  constructor(
    readonly project: string,
    readonly composeFile: string,
    readonly containers: readonly ForeignContainer[],
    /** The engine volumes our own files use: a replace keeps these and mounts them again by name. */
    readonly ourVolumes: readonly string[],
  ) {
    super(`The ${project} project's ${containers.map((c) => c.name).join(', ')} ${containers.length > 1 ? 'were' : 'was'} started from ${describeOrigins(containers)}, not from ${composeFile}.`);
  }
}
