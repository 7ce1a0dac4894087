import * as vscode from 'vscode';
import { settings } from '../../settings';
import type { ProfilerFilter } from '../../profilerService';
import type { CommandHandler, ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { explainWithStack } from '../../redisNotReady';

/**
 * What MONITOR cost in the profiler bench (test/bench/profiler.bench.ts, docs/benchmarks.md) on a
 * busy 2-core machine: 9 % of redis-benchmark's ops/s without pipelining, 27–53 % with
 * pipelines of 16 (three runs on different days of load).
 */
export const MEASURED_MONITOR_COST = 'from about a tenth (plain clients) to half (pipelined floods)';

/**
 * Start Profiler, Stop Profiler, Filter Profiler. Start says once per session what MONITOR
 * costs the shared server before it starts; a second Start while it runs just shows it.
 */
export function profilerCommands({ profiler, stack, session, logger }: ExtensionServices): {
  startProfiler: CommandHandler;
  stopProfiler: CommandHandler;
  filterProfiler: CommandHandler;
} {
  const log = logger.child('Profiler');
  let costSeen = false;

  const startProfiler = async (): Promise<string> => {
    if (profiler.running) {
      profiler.reveal();
      return 'running';
    }
    if (!costSeen) {
      const { profilerMaxSeconds, profilerMaxLines } = settings();
      const choice = await vscode.window.showWarningMessage(
        'Start the profiler on the shared Redis?',
        {
          modal: true,
          detail: `MONITOR makes Redis copy every command of every service to this window: while it runs the server serves ${MEASURED_MONITOR_COST} fewer commands per second (measured in the profiler bench). It stops by itself after ${profilerMaxSeconds} s or ${profilerMaxLines.toLocaleString('en-US')} commands (settings sharedRedis.profilerMaxSeconds and profilerMaxLines).`,
        },
        'Start Profiler',
      );
      if (choice !== 'Start Profiler') return 'dismissed';
      costSeen = true;
    }
    try {
      profiler.reveal();
      await profiler.start();
      return 'started';
    } catch (error) {
      return presentError(
        'Could not start the profiler',
        explainWithStack(error, stack.snapshot, session.endpoint),
        log,
      );
    }
  };

  const filterProfiler = async (given?: ProfilerFilter): Promise<ProfilerFilter | undefined> => {
    if (given && typeof given === 'object') {
      profiler.setFilter(given);
      return given;
    }
    const current = profiler.currentFilter;
    type Choice = vscode.QuickPickItem & {
      kind?: vscode.QuickPickItemKind;
      criterion?: keyof ProfilerFilter;
      value?: string;
    };
    const group = (label: string, criterion: keyof ProfilerFilter, values: Iterable<string>): Choice[] => {
      const sorted = [...values].sort();
      if (sorted.length === 0) return [];
      return [
        { label, kind: vscode.QuickPickItemKind.Separator },
        ...sorted.map((value) => ({
          label: value,
          criterion,
          value,
          picked: current[criterion]?.includes(value) ?? false,
        })),
      ];
    };
    const items = [
      ...group('Services', 'services', profiler.seen.services),
      ...group('Namespaces', 'namespaces', profiler.seen.namespaces),
      ...group('Commands', 'commands', profiler.seen.commands),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: 'Show only these services, namespaces and commands (none picked: everything)',
    });
    if (!picked) return undefined;
    const values = (criterion: keyof ProfilerFilter): string[] =>
      picked.filter((p) => p.criterion === criterion).map((p) => p.value as string);
    const filter = { services: values('services'), namespaces: values('namespaces'), commands: values('commands') };
    profiler.setFilter(filter);
    return filter;
  };

  return {
    startProfiler,
    stopProfiler: () => {
      profiler.stop();
      return 'stopped';
    },
    filterProfiler,
  };
}
