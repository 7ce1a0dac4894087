import { basename } from 'node:path';

/**
 * Compose's project-name rules: a name from the file (`name:`) or from the folder is
 * normalised (lower case, only `a-z 0-9 _ -` kept, leading `_`/`-` dropped); a name the
 * user sets explicitly (`-p`, COMPOSE_PROJECT_NAME) must already be valid.
 */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function isValidProjectName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name);
}

export type ProjectNameSource = 'option' | 'COMPOSE_PROJECT_NAME' | 'name' | 'folder';

export interface ProjectNameInputs {
  readonly explicit?: string | undefined;
  /** COMPOSE_PROJECT_NAME from the environment, else from `.env`. */
  readonly environment?: string | undefined;
  /** Top-level `name:`, interpolated. */
  readonly fromFile?: string | undefined;
  /** Absolute folder of the compose file. */
  readonly workingDir: string;
}

export class ProjectNameError extends Error {
  override readonly name = 'ProjectNameError';
  constructor(
    message: string,
    readonly source: ProjectNameSource,
  ) {
    super(message);
  }
}

/** The project name and where it came from, in Compose's order of precedence. */
export function resolveProjectName(inputs: ProjectNameInputs): {
  readonly name: string;
  readonly source: ProjectNameSource;
} {
  const imperative = (
    name: string,
    source: ProjectNameSource,
    label: string,
  ): { name: string; source: ProjectNameSource } => {
    if (!isValidProjectName(name)) {
      throw new ProjectNameError(
        `invalid project name ${JSON.stringify(name)} (${label}): it must contain only lowercase letters, digits, "-" and "_", and start with a letter or digit` +
          (normalizeProjectName(name) ? `; "${normalizeProjectName(name)}" would do` : ''),
        source,
      );
    }
    return { name, source };
  };
  if (inputs.explicit !== undefined && inputs.explicit !== '') {
    return imperative(inputs.explicit, 'option', 'the project name option');
  }
  if (inputs.environment !== undefined && inputs.environment !== '') {
    return imperative(inputs.environment, 'COMPOSE_PROJECT_NAME', 'COMPOSE_PROJECT_NAME');
  }
  const fromFile = normalizeProjectName(inputs.fromFile ?? '');
  if (fromFile) return { name: fromFile, source: 'name' };
  const folder = normalizeProjectName(basename(inputs.workingDir));
  if (folder) return { name: folder, source: 'folder' };
  throw new ProjectNameError(
    `cannot make a project name out of the folder name ${JSON.stringify(basename(inputs.workingDir))}: set "name:" in the file or COMPOSE_PROJECT_NAME`,
    'folder',
  );
}
