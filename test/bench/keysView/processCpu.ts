import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time used by the processes this bench started (its descendants: code-server and
 * its extension host, Chromium's processes, redis-server), by role, from /proc. On a
 * 2-core machine they compete for the same cores: this says who used them during a walk.
 */
export type CpuByRole = Map<string, number>;

const TICK_MS = 10; // USER_HZ is 100 on Linux.

function role(cmdline: string): string {
  if (cmdline.includes('redis-server')) return 'redis-server';
  if (cmdline.includes('extensionHost')) return 'extension host';
  if (/chrom/i.test(cmdline)) {
    if (cmdline.includes('--type=renderer')) return 'Chromium renderer (workbench)';
    if (cmdline.includes('--type=gpu-process')) return 'Chromium GPU/compositor';
    return 'Chromium other';
  }
  if (cmdline.includes('code-server') || cmdline.includes('server-main') || cmdline.includes('bootstrap-fork')) {
    return 'code-server (server, other hosts)';
  }
  return 'other';
}

/** CPU ms used so far by each role among the descendants of this process. */
export function cpuByRole(): CpuByRole {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) in parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      /* gone meanwhile */
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  const byRole: CpuByRole = new Map();
  for (const [pid, used] of ticks) {
    if (!mine(pid)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const r = role(cmdline);
    byRole.set(r, (byRole.get(r) ?? 0) + used * TICK_MS);
  }
  return byRole;
}

/** CPU ms per role between two readings (processes that ended meanwhile are not counted). */
export function cpuSince(before: CpuByRole): CpuByRole {
  const now = cpuByRole();
  const delta: CpuByRole = new Map();
  for (const [r, ms] of now) delta.set(r, ms - (before.get(r) ?? 0));
  return new Map([...delta.entries()].sort((a, b) => b[1] - a[1]));
}

export function describeCpu(cpu: CpuByRole): string {
  return [...cpu.entries()].map(([r, ms]) => `${r} ${ms.toFixed(0)} ms`).join(', ');
}
