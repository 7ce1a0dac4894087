import type Docker from 'dockerode';
import { engineMessage, isNotFound } from '../engineErrors';
import { StackError } from './errors';

export interface PullProgress {
  readonly status: string;
  readonly id: string | undefined;
  readonly current: number | undefined;
  readonly total: number | undefined;
}

/** Makes sure `image` is on the engine, pulling it (with progress) only when it is not. */
export async function ensureImage(docker: Docker, image: string, onProgress: (event: PullProgress) => void = () => undefined): Promise<'present' | 'pulled'> {
  try {
    await docker.getImage(image).inspect();
    return 'present';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; progressDetail?: { current?: number; total?: number } }) => {
        // The engine reports some failures inside a 200 stream rather than as an HTTP error.
        if (event.error || event.errorDetail) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          reject(new Error(event.errorDetail?.message ?? event.error));
          return;
        }
        onProgress({ status: event.status ?? '', id: event.id, current: event.progressDetail?.current, total: event.progressDetail?.total });
      });
    });
    return 'pulled';
  } catch (error) {
    const reason = engineMessage(error);
    throw new StackError('image-missing',
      `The image ${image} is not on the Docker engine and could not be pulled (${reason.trim()}). `
      + 'Pull or load it when you are online (docker pull / docker load), or set REDIS_IMAGE in the stack\'s .env to an image the engine has.');
  }
}
