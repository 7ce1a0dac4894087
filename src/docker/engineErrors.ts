/** The engine's own message, without dockerode's `(HTTP code 500) server error - ` prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } } | undefined)?.json;
  if (json?.message) return json.message;
  return error instanceof Error ? error.message.replace(/^\(HTTP code \d+\) [a-z ]+- /, '') : String(error);
}

/** The engine answered 404: no such image, network, volume or container. */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 404;
}
