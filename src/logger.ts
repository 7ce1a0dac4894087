import * as vscode from 'vscode';

/** A logger tagged with the component that writes, over the one "Shared Redis" channel. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
  /** The same channel, with `[component]` before every line. */
  child(component: string): Logger;
  /** Brings the channel into view (the "Show Logs" action). */
  show(): void;
}

export function createLogger(): Logger & vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Shared Redis', { log: true });
  const tagged = (component: string): Logger => {
    const tag = (message: string): string => `[${component}] ${message}`;
    return {
      trace: (m) => channel.trace(tag(m)),
      debug: (m) => channel.debug(tag(m)),
      info: (m) => channel.info(tag(m)),
      warn: (m) => channel.warn(tag(m)),
      error: (m) => channel.error(tag(typeof m === 'string' ? m : m.message)),
      child: (sub) => tagged(`${component}/${sub}`),
      show: () => channel.show(true),
    };
  };
  return { ...tagged('Extension'), dispose: () => channel.dispose() };
}
