import { readFileSync } from 'node:fs';

/** The machine's CPU time counters (the `cpu` line of /proc/stat), or none off Linux. */
export function cpuTimes(): number[] {
  try {
    return (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}

/** CPU time the hypervisor gave to other guests (steal) since `since`, as a share of the machine's CPU time. */
export function stealShare(since: number[]): number {
  const now = cpuTimes();
  const delta = now.map((v, i) => v - (since[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  return total > 0 ? (delta[7] ?? 0) / total : 0;
}
