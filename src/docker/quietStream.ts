/**
 * A followed stream (logs, events, an attached exec) is not a request: it may stay quiet
 * for hours. docker-modem puts the client's request timeout on the socket itself, so such a
 * stream would be destroyed after that long without a byte ("socket hang up"). This turns
 * the socket's inactivity timeout off for this one stream; requests keep theirs.
 */
export function allowQuiet<T>(stream: T): T {
  // An HTTP response (logs, events) and a hijacked socket (exec) both have setTimeout.
  (stream as { setTimeout?: (ms: number) => unknown }).setTimeout?.(0);
  return stream;
}
