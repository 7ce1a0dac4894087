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

export function serverVersion(info: InfoSections): string | undefined {
  return info.get('server')?.['redis_version'];
}
