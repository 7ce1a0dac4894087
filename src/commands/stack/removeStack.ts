import * as vscode from 'vscode';
import { StackBusyError, stackState } from '../../stackService';
import { presentError } from '../presentError';
import { readOnlyRefusal } from '../readOnly';
import type { CommandHandler, ExtensionServices } from '../context';
import type { RemovalPlan } from '../../docker/stack/lifecycle';

/**
 * `sharedRedis.removeStack`: containers and networks after one confirmation that names
 * them; the data volumes only after a second, explicit one that names each volume. The
 * plan is computed once: what the dialogs named is exactly what is removed.
 */
export function removeStackCommand({ stack, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Stack');
  return async (): Promise<string> => {
    if (readOnlyRefusal('Remove Stack')) return 'refused';
    try {
      stack.assertIdle();
      const controller = await stack.controller();
      const project = await controller.load(stack.settings());
      const plan = await controller.removalPlan(project);
      const inUse = volumesInUseText(plan, project.name);
      if (plan.containers.length === 0 && plan.networks.length === 0 && plan.volumes.length === 0) {
        void vscode.window.showInformationMessage(
          inUse
            ? `${inUse}: remove ${plan.volumesInUse.length > 1 || (plan.volumesInUse[0]?.containers.length ?? 0) > 1 ? 'those containers' : 'that container'} to delete the volume${plan.volumesInUse.length > 1 ? 's' : ''}. Nothing was removed.`
            : `The ${project.name} stack has no containers, networks or volumes to remove.`,
        );
        return stackState(await stack.refresh());
      }
      const inUseKept = inUse ? ` ${inUse}, and is kept.` : '';
      // Only the data is left (a Remove Stack that kept it, a `docker-compose down`): the one
      // question is the volume's, as explicit as the second one below.
      if (plan.containers.length === 0 && plan.networks.length === 0) {
        const volumes = plan.volumes.join(', ');
        const plural = plan.volumes.length > 1;
        const answer = await vscode.window.showWarningMessage(
          `Delete the volume${plural ? 's' : ''} ${volumes}?`,
          { modal: true, detail: `The ${project.name} stack has no containers or networks left, only ${plural ? 'these volumes' : 'this volume'}. Deleting ${plural ? 'them' : 'it'} deletes every key stored in the shared Redis, for every service, and cannot be undone.${inUseKept}` },
          'Delete Volume');
        if (answer !== 'Delete Volume') return 'cancelled';
        const removed = await stack.run('Removing', () => controller.removePlanned(plan, true));
        const text = `Deleted the volume(s) ${removed.volumes.join(', ') || '(none)'}` + (removed.kept.length ? `; left ${removed.kept.join(', ')}, now in use by something started after the dialog.` : '.');
        log.info(text);
        void vscode.window.showInformationMessage(text);
        return stackState(await stack.refresh());
      }
      const what = [
        plan.containers.length ? `containers ${plan.containers.map((c) => c.name).join(', ')}` : '',
        plan.networks.length ? `network${plan.networks.length > 1 ? 's' : ''} ${plan.networks.join(', ')}` : '',
      ].filter(Boolean).join(' and ');
      const kept = plan.volumes.length ? ` The data volume${plan.volumes.length > 1 ? 's' : ''} ${plan.volumes.join(', ')} ${plan.volumes.length > 1 ? 'are' : 'is'} kept.` : '';
      const first = await vscode.window.showWarningMessage(`Remove the ${project.name} stack?`, { modal: true, detail: `This removes ${what}.${kept}${inUseKept}` }, 'Remove');
      if (first !== 'Remove') return 'cancelled';

      let removeVolumes = false;
      if (plan.volumes.length > 0) {
        const second = await vscode.window.showWarningMessage(
          `Also delete the volume${plan.volumes.length > 1 ? 's' : ''} ${plan.volumes.join(', ')}?`,
          { modal: true, detail: 'This deletes every key stored in the shared Redis, for every service, and cannot be undone. Choose Keep Volume to keep the data for the next start.' },
          'Delete Volume', 'Keep Volume');
        if (second === undefined) return 'cancelled';
        removeVolumes = second === 'Delete Volume';
      }
      const removed = await stack.run('Removing', () => controller.removePlanned(plan, removeVolumes));
      const text = `Removed ${removed.containers.length} container(s) and ${removed.networks.length} network(s)`
        + (removeVolumes ? ` and deleted the volume(s) ${removed.volumes.join(', ') || '(none)'}` : plan.volumes.length ? `; kept ${plan.volumes.join(', ')}` : '')
        + (removed.kept.length ? `; left ${removed.kept.join(', ')}, now in use by something started after the dialog.` : '.');
      log.info(text);
      void vscode.window.showInformationMessage(text);
      return stackState(await stack.refresh());
    } catch (error) {
      if (error instanceof StackBusyError) {
        void vscode.window.showInformationMessage(error.message);
        return 'busy';
      }
      presentError('Could not remove the stack', error, log);
      return stackState(await stack.refresh());
    }
  };
}

/** `The volume v is used by the container c, which is not part of the p stack` (none: ''). */
function volumesInUseText(plan: RemovalPlan, project: string): string {
  return plan.volumesInUse
    .map(({ volume, containers }) => `The volume ${volume} is used by the container${containers.length > 1 ? 's' : ''} ${containers.join(', ')}, which ${containers.length > 1 ? 'are' : 'is'} not part of the ${project} stack`)
    .join('. ');
}
