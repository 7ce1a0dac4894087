import { join } from 'node:path';
import type { ComposeProject } from '../../docker/compose/model';
import { readStackAccess, StackAccessFiles, StackAccessState } from '../../docker/stack/serviceAccess';
import { stackAccessFiles } from '../../docker/stack/stackController';
import { namespacePolicy, StackService } from '../../stackService';

/** The stack's project, its `.env` and `users.acl`, and the users they define. */
export interface StackAccessContext {
  readonly project: ComposeProject;
  readonly files: StackAccessFiles;
  readonly access: StackAccessState;
}

/** Reads the stack's access files, or says in one sentence why it cannot. */
export async function stackAccess(stack: StackService): Promise<StackAccessContext | string> {
  const snapshot = stack.snapshot.project ? stack.snapshot : await stack.refresh();
  const project = snapshot.project;
  if (!project) {
    return `The stack's compose file could not be read${snapshot.projectError ? ` (${snapshot.projectError.split('\n')[0] ?? ''})` : ''}: open it with "Shared Redis: Open Stack File" or create one with "Create Stack".`;
  }
  const files = stackAccessFiles(project);
  if (!files) {
    return `${join(project.workingDir, 'docker-compose.yml')} does not mount acl/users.acl (or users.acl) from beside it, so the stack has no per-service users: compare it with the file "Create Stack" writes.`;
  }
  return { project, files, access: readStackAccess(files, namespacePolicy()) };
}
