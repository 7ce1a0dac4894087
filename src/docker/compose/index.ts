/** Reading compose files: the public surface of `src/docker/compose`. */
export { loadComposeProject } from './load';
export { ComposeFileError, formatProblem } from './errors';
export type { ComposeProblem } from './errors';
export { interpolate, InterpolationError } from './interpolate';
export type { Lookup } from './interpolate';
export { parseDotenv, readDotenvFile, DotenvError } from './dotenv';
export { normalizeProjectName, isValidProjectName, resolveProjectName } from './projectName';
export { enabledProfiles, isServiceEnabled } from './profiles';
export { parseDuration } from './duration';
export { splitShellWords } from './shellwords';
export { parsePortSpec } from './schema/ports';
export { canonicalJson, configHash } from './hash';
export type * from './model';
