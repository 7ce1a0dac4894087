/**
 * Fills `KEY=` lines of an .env template with values, keeping comments and order, and
 * appending keys the template does not have.
 */
export function fillEnvTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const remaining = new Map(Object.entries(values));
  const lines = template.split('\n').map((line) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    const key = match?.[1];
    if (key === undefined || !remaining.has(key)) return line;
    const value = remaining.get(key) ?? '';
    remaining.delete(key);
    return `${key}=${value}`;
  });
  for (const [key, value] of remaining) lines.push(`${key}=${value}`);
  return lines.join('\n');
}
