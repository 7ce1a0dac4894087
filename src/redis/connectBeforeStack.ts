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
