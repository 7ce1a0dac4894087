import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { TreeNode } from '../yamlTree';
import { Checker } from './check';

/** A mount as read from the file; named volumes are checked against the top-level ones later. */
export type RawMount =
  | {
      readonly type: 'volume';
      readonly source?: string;
      readonly target: string;
      readonly readOnly: boolean;
      readonly nocopy?: boolean;
      readonly node: TreeNode;
    }
  | {
      readonly type: 'bind';
      readonly source: string;
      readonly target: string;
      readonly readOnly: boolean;
      readonly createHostPath: boolean;
      readonly selinux?: 'z' | 'Z';
      readonly node: TreeNode;
    };

const SHORT = 'a volume like "data:/data" or "./conf:/etc/conf:ro"';
const LONG_KEYS = ['type', 'source', 'target', 'read_only'];
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;

/** What Compose treats as a host path rather than a volume name. */
function isHostPath(source: string): boolean {
  return (
    source.startsWith('.') ||
    source.startsWith('/') ||
    source.startsWith('~') ||
    source.startsWith('\\') ||
    WINDOWS_DRIVE.test(source)
  );
}

/** `~` is the home folder; relative paths are relative to the compose file's folder. */
export function resolveHostPath(source: string, workingDir: string): string {
  if (source === '~' || source.startsWith('~/') || source.startsWith('~\\')) return join(homedir(), source.slice(1));
  if (WINDOWS_DRIVE.test(source) || isAbsolute(source)) return source;
  return resolve(workingDir, source);
}

/** Splits `source:target:mode` without cutting a Windows drive letter (`C:\data:/data`). */
function splitVolumeSpec(spec: string): string[] {
  const drive = WINDOWS_DRIVE.test(spec) ? spec.slice(0, 2) : '';
  const parts = spec.slice(drive.length).split(':');
  if (drive && parts.length > 0) parts[0] = drive + (parts[0] ?? '');
  return parts;
}

function checkTarget(check: Checker, node: TreeNode, target: string): boolean {
  if (target.startsWith('/')) return true;
  check.expected(node, SHORT, `the container path "${target}" is not absolute`);
  return false;
}

export function readMount(check: Checker, node: TreeNode, workingDir: string): RawMount | undefined {
  if (node.kind === 'scalar') {
    const spec = check.string(node, SHORT);
    if (spec === undefined) return undefined;
    const parts = splitVolumeSpec(spec);
    if (parts.length > 3 || parts.some((part) => part === '')) return check.expected(node, SHORT);
    if (parts.length === 1) {
      const target = parts[0] ?? '';
      return checkTarget(check, node, target) ? { type: 'volume', target, readOnly: false, node } : undefined;
    }
    const source = parts[0] ?? '';
    const target = parts[1] ?? '';
    if (!checkTarget(check, node, target)) return undefined;
    const modes = (parts[2] ?? '').split(',').filter((mode) => mode !== '');
    const bind = isHostPath(source);
    let readOnly = false;
    let nocopy = false;
    let selinux: 'z' | 'Z' | undefined;
    for (const mode of modes) {
      if (mode === 'ro' || mode === 'rw') readOnly = mode === 'ro';
      else if (bind && (mode === 'z' || mode === 'Z')) selinux = mode;
      else if (!bind && mode === 'nocopy') nocopy = true;
      else {
        return check.expected(node, SHORT, `unknown mode "${mode}": ${bind ? 'ro, rw, z or Z' : 'ro, rw or nocopy'}`);
      }
    }
    if (bind) {
      return {
        type: 'bind',
        source: resolveHostPath(source, workingDir),
        target,
        readOnly,
        createHostPath: true,
        ...(selinux ? { selinux } : {}),
        node,
      };
    }
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) {
      return check.expected(node, SHORT, `"${source}" is neither a volume name nor a path`);
    }
    return { type: 'volume', source, target, readOnly, ...(nocopy ? { nocopy } : {}), node };
  }

  const map = check.map(node, `${SHORT} or a mapping with type, source, target, read_only`);
  if (!map) return undefined;
  check.keys(map, LONG_KEYS);
  const typeNode = Checker.get(map, 'type');
  const targetNode = Checker.get(map, 'target');
  const sourceNode = Checker.get(map, 'source');
  const readOnlyNode = Checker.get(map, 'read_only');
  if (!typeNode) return check.report(map, 'a volume in long syntax needs "type" (volume or bind)');
  if (!targetNode) return check.report(map, 'a volume in long syntax needs "target" (the path inside the container)');
  const type = check.string(typeNode, '"volume" or "bind"');
  if (type !== undefined && type !== 'volume' && type !== 'bind') check.expected(typeNode, '"volume" or "bind"');
  const target = check.nonEmptyString(targetNode, 'an absolute container path');
  if (target !== undefined && !target.startsWith('/')) check.expected(targetNode, 'an absolute container path');
  const readOnly = readOnlyNode ? check.boolean(readOnlyNode) : false;
  const source = sourceNode
    ? check.nonEmptyString(sourceNode, type === 'bind' ? 'a host path' : 'a volume name')
    : undefined;
  if (type === 'bind' && !sourceNode) return check.report(map, 'a bind mount needs "source" (the host path)');
  if (
    type === undefined ||
    target === undefined ||
    !target.startsWith('/') ||
    readOnly === undefined ||
    (sourceNode && source === undefined)
  ) {
    return undefined;
  }
  if (type === 'bind') {
    return {
      type: 'bind',
      source: resolveHostPath(source ?? '', workingDir),
      target,
      readOnly,
      createHostPath: false,
      node,
    };
  }
  if (type !== 'volume') return undefined;
  if (source !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) {
    return check.expected(sourceNode ?? map, 'the name of a volume declared under the top-level "volumes"');
  }
  return { type: 'volume', ...(source !== undefined ? { source } : {}), target, readOnly, node };
}
