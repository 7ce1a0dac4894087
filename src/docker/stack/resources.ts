import type Docker from 'dockerode';
import { isNotFound } from '../engineErrors';
import { StackError } from './errors';
import { COMPOSE_VERSION, NETWORK_LABEL, PROJECT_LABEL, VERSION_LABEL, VOLUME_LABEL } from './labels';
import type { ResourcePlan } from './plan';

/** Creates the network unless it exists; returns true when this call created it. */
export async function ensureNetwork(docker: Docker, project: string, network: ResourcePlan): Promise<boolean> {
  try {
    await docker.getNetwork(network.name).inspect();
    return false;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (network.external) {
    throw new StackError('missing-external', `The external network ${network.name} does not exist. Create it (docker network create ${network.name}) or drop "external: true" for networks.${network.key}.`);
  }
  await docker.createNetwork({
    Name: network.name,
    Driver: network.driver ?? 'bridge',
    CheckDuplicate: true,
    Labels: { ...network.labels, [PROJECT_LABEL]: project, [NETWORK_LABEL]: network.key, [VERSION_LABEL]: COMPOSE_VERSION },
  });
  return true;
}

/** Creates the volume unless it exists; returns true when this call created it. */
export async function ensureVolume(docker: Docker, project: string, volume: ResourcePlan): Promise<boolean> {
  try {
    await docker.getVolume(volume.name).inspect();
    return false;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (volume.external) {
    throw new StackError('missing-external', `The external volume ${volume.name} does not exist. Create it (docker volume create ${volume.name}) or drop "external: true" for volumes.${volume.key}.`);
  }
  // No config-hash on volumes: Compose v2 offers to recreate a volume whose hash differs.
  await docker.createVolume({
    Name: volume.name,
    Driver: volume.driver ?? 'local',
    Labels: { ...volume.labels, [PROJECT_LABEL]: project, [VOLUME_LABEL]: volume.key, [VERSION_LABEL]: COMPOSE_VERSION },
  });
  return true;
}
