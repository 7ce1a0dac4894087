/** COMPOSE_PROFILES (comma-separated) plus explicit profiles, without blanks or repeats. */
export function enabledProfiles(composeProfiles: string | undefined, explicit: readonly string[] = []): string[] {
  const fromEnv = (composeProfiles ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return [...new Set([...fromEnv, ...explicit.map((p) => p.trim()).filter((p) => p !== '')])];
}

/** A service without profiles is always on; one with profiles when any is enabled (`*` enables all). */
export function isServiceEnabled(serviceProfiles: readonly string[], enabled: readonly string[]): boolean {
  if (serviceProfiles.length === 0) return true;
  return enabled.includes('*') || serviceProfiles.some((p) => enabled.includes(p));
}
