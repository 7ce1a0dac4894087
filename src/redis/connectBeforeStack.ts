import type { RedisEndpoint } from './endpoint';

/**
 * Whether the first connection may be made before the stack's first snapshot (which waits
 * for the Docker engine: 170–340 ms after the second stage loaded, in code-server's busy
 * extension host). With the port named in the settings the snapshot can only say who logs
 * in at that same port (the session then drops an early connection that disagrees); a
 * Sentinel endpoint it never changes. Without a named port it may point at another server
 * altogether, and a cluster's map of node addresses comes only from it: those wait.
 */
export function connectsBeforeStack(settings: { portNamed: boolean; sentinel: boolean; variant: string }): boolean {
  if (settings.variant === 'cluster') return false;
  return settings.sentinel || settings.portNamed;
}

/**
 * Whether that first connection may open while the stored password is still being read (a
 * workbench round trip: 50–160 ms after the second stage loaded, in code-server); it is kept
 * when no password is stored, and closed unused otherwise. Only for Redis's default user at a
 * server the settings name: with a user named, ioredis would send `AUTH <user> ""`, a refused
 * login the server counts and logs (ACL LOG), and a Sentinel is asked for its master with
 * credentials of its own. Not when a password entered in this window is at hand.
 */
export function connectsWhilePasswordIsRead(endpoint: RedisEndpoint, known: { enteredInWindow: boolean }): boolean {
  return endpoint.username === undefined && endpoint.sentinel === undefined && !known.enteredInWindow;
}
