/** INFO's reply as sections of fields: `info.get('server')?.redis_version`. */
export type InfoSections = Map<string, Record<string, string>>;

export function parseInfo(text: string): InfoSections {
  const sections: InfoSections = new Map();
  let current: Record<string, string> | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trimEnd();
    if (line.startsWith('# ')) {
      current = {};
      sections.set(line.slice(2).trim().toLowerCase(), current);
    } else if (line.length > 0 && current) {
      const colon = line.indexOf(':');
      if (colon > 0) current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  return sections;
}

/** The server's own version: Valkey's (`valkey_version`), not the Redis version it reports for compatibility (7.2.4). */
export function serverVersion(info: InfoSections): string | undefined {
  const server = info.get('server');
  return serverProduct(info) === 'Valkey'
    ? (server?.['valkey_version'] ?? server?.['redis_version'])
    : server?.['redis_version'];
}

/** What the server is, as a person names it: Valkey says so in INFO (`server_name`), anything else shows as Redis. */
export function serverProduct(info: InfoSections): 'Redis' | 'Valkey' {
  const server = info.get('server');
  return server?.['server_name'] === 'valkey' || server?.['valkey_version'] !== undefined ? 'Valkey' : 'Redis';
}
