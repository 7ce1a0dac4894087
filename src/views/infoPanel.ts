import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { InfoSummary, NamespaceStatsRow, SummarySection } from '../redis/serverInfo';
import { InfoSampler, type ServerSample } from '../redis/observe/infoSampler';
import type { ChartPoint } from '../redis/observe/infoSeries';

/** What the INFO view shows, read by the command that opens it. */
export interface InfoContent {
  /** `127.0.0.1:6379`: where it was read. */
  readonly endpoint: string;
  readonly readAt: Date;
  readonly summary: InfoSummary;
  readonly sections: readonly SummarySection[];
  readonly namespaces: readonly NamespaceStatsRow[];
  /** Why the namespace table is missing or partial, or how it was made. */
  readonly namespacesNote: string;
  /** INFO's reply as the server gave it. */
  readonly raw: string;
}

/** What the charts hold and do now: what a test reads (the points the page was sent). */
export interface InfoChartsState {
  readonly points: readonly ChartPoint[];
  /** True while the panel is visible and so samples every 2 s. */
  readonly sampling: boolean;
  /** Samples asked of the server since the panel opened. */
  readonly reads: number;
  /** Points posted to the page one by one, and whole series posted (each time the page loaded). */
  readonly posted: { readonly points: number; readonly series: number };
}

/** What `sharedRedis.info` resolves to: enough for a test or another extension to check what is shown. */
export interface InfoPanelState {
  readonly title: string;
  readonly html: string;
  readonly content: InfoContent | undefined;
  readonly error: string | undefined;
}

const VIEW_TYPE = 'sharedRedis.info';

/**
 * The INFO view: one webview panel, revealed again when asked twice. Theme-aware (VS Code's
 * CSS variables), with a Content-Security-Policy that allows only its own stylesheet
 * and its nonce'd scripts from media/info, a refresh button, and the raw INFO at the bottom.
 * Live charts on top sample the server every 2 s while the panel is visible, and not at all
 * while it is hidden (it keeps what it has) or closed.
 */
export class InfoPanel implements vscode.Disposable {
  private static current: InfoPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  private state: InfoPanelState;
  private loading: Promise<InfoPanelState> | undefined;
  private readonly sampler: InfoSampler;
  private readonly posted = { points: 0, series: 0 };

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly load: () => Promise<InfoContent>,
    private readonly describeError: (error: unknown) => string,
    readSample: () => Promise<ServerSample>,
    describeSampleError: (error: unknown) => string,
  ) {
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media', 'info');
    this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Redis INFO', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [mediaRoot],
      retainContextWhenHidden: false,
    });
    this.state = { title: this.panel.title, html: '', content: undefined, error: undefined };
    this.sampler = new InfoSampler(readSample, (point) => this.post({ type: 'point', point }), describeSampleError);
    this.subscriptions.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((message: unknown) => {
        const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
        if (type === 'refresh') void this.refresh();
        // The page (re)loaded (first shown, shown again after being hidden, refreshed): it gets the whole series.
        if (type === 'chartsReady') {
          const { series, intervalMs } = this.sampler;
          this.post({ type: 'points', points: series.points, capacity: series.capacity, intervalMs });
        }
      }),
      this.panel.onDidChangeViewState(({ webviewPanel }) => this.sampleWhileVisible(webviewPanel.visible)),
    );
    this.sampleWhileVisible(this.panel.visible);
  }

  private sampleWhileVisible(visible: boolean): void {
    if (visible && !this.disposed) this.sampler.start();
    else this.sampler.stop();
  }

  private post(
    message:
      | { type: 'point'; point: ChartPoint }
      | { type: 'points'; points: readonly ChartPoint[]; capacity: number; intervalMs: number },
  ): void {
    if (this.disposed) return;
    if (message.type === 'point') this.posted.points++;
    else this.posted.series++;
    void this.panel.webview.postMessage(message);
  }

  /** Opens the view (or reveals the one already open) and reads INFO again. */
  static async show(
    extensionUri: vscode.Uri,
    load: () => Promise<InfoContent>,
    describeError: (error: unknown) => string,
    charts: { read: () => Promise<ServerSample>; describeError: (error: unknown) => string },
  ): Promise<InfoPanelState> {
    let panel = InfoPanel.current;
    if (!panel) {
      panel = new InfoPanel(extensionUri, load, describeError, charts.read, charts.describeError);
      InfoPanel.current = panel;
    } else {
      panel.panel.reveal();
    }
    return panel.refresh();
  }

  /** The view open now, if any. */
  static get open(): InfoPanel | undefined {
    return InfoPanel.current;
  }

  get snapshot(): InfoPanelState {
    return this.state;
  }

  get charts(): InfoChartsState {
    return {
      points: [...this.sampler.series.points],
      sampling: this.sampler.running,
      reads: this.sampler.reads,
      posted: { ...this.posted },
    };
  }

  refresh(): Promise<InfoPanelState> {
    this.loading ??= this.read().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async read(): Promise<InfoPanelState> {
    void this.panel.webview.postMessage({ type: 'loading' });
    let content: InfoContent | undefined;
    let error: string | undefined;
    try {
      content = await this.load();
    } catch (failure) {
      error = this.describeError(failure);
      content = this.state.content;
    }
    const title = content ? `Redis INFO · ${content.endpoint}` : 'Redis INFO';
    const html = this.render(content, error);
    this.state = { title, html, content, error };
    if (!this.disposed) {
      this.panel.title = title;
      this.panel.webview.html = html;
    }
    return this.state;
  }

  private render(content: InfoContent | undefined, error: string | undefined): string {
    return page(this.panel.webview, this.extensionUri, 'Redis INFO', renderBody(content, error), true);
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sampler.stop();
    if (InfoPanel.current === this) InfoPanel.current = undefined;
    this.subscriptions.forEach((s) => s.dispose());
    this.panel.dispose();
  }
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function renderBody(content: InfoContent | undefined, error: string | undefined): string {
  const header = `<header>
  <div>
    <h1>Redis INFO${content ? ` <span class="endpoint">${escapeHtml(content.endpoint)}</span>` : ''}</h1>
    <p class="meta" id="meta">${content ? `Read at ${escapeHtml(content.readAt.toLocaleTimeString())}${content.summary.server.version ? ` · ${content.summary.server.product} ${escapeHtml(content.summary.server.version)}` : ''}` : ''}</p>
  </div>
  <button id="refresh" type="button" title="Read INFO again">Refresh</button>
</header>`;
  const failure = error
    ? `<div class="error" role="alert">${escapeHtml(error)}${content ? '<br>Showing what was read before.' : ''}</div>`
    : '';
  // Filled by media/info/charts.js with the series the panel sends.
  const charts = '<section class="charts" id="charts" aria-label="Live charts"></section>';
  if (!content) return `${header}\n${failure}\n${charts}`;
  const cards = content.sections
    .map(
      (section) => `<section class="card">
  <h2>${escapeHtml(section.title)}</h2>
  <dl>${section.fields.map((f) => `<dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(f.value)}</dd>`).join('')}</dl>
</section>`,
    )
    .join('\n');
  const namespaces = `<section class="namespaces">
  <h2>Namespaces</h2>
  ${renderNamespaceTable(content.namespaces)}
  <p class="note">${escapeHtml(content.namespacesNote)}</p>
</section>`;
  return `${header}
${failure}
${charts}
<main class="cards">
${cards}
</main>
${namespaces}
<details class="raw">
  <summary>Raw INFO</summary>
  <pre>${escapeHtml(content.raw.replace(/\r\n/g, '\n'))}</pre>
</details>`;
}

function renderNamespaceTable(rows: readonly NamespaceStatsRow[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (row) =>
        `<tr><td class="name">${escapeHtml(row.namespace)}</td><td class="num">${escapeHtml(row.keys)}</td><td class="num">${escapeHtml(row.share)}</td><td class="num">${escapeHtml(row.withTtl)}</td><td class="num">${escapeHtml(row.memory)}</td><td class="sample">${escapeHtml(row.sample)}</td></tr>`,
    )
    .join('\n');
  return `<table>
    <thead><tr><th>Namespace</th><th class="num">Keys</th><th class="num">Share of all keys</th><th class="num">With a TTL</th><th class="num">Memory</th><th>Sample</th></tr></thead>
    <tbody>
${body}
    </tbody>
  </table>`;
}

/** A webview page with the view's CSP (nonce'd script, local stylesheet only). */
function page(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  title: string,
  body: string,
  withScript: boolean,
): string {
  const nonce = randomBytes(16).toString('base64');
  const media = vscode.Uri.joinPath(extensionUri, 'media', 'info');
  const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'info.css'));
  const js = webview.asWebviewUri(vscode.Uri.joinPath(media, 'info.js'));
  const chartsJs = webview.asWebviewUri(vscode.Uri.joinPath(media, 'charts.js'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${String(css)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
${body}
${withScript ? `<script nonce="${nonce}" src="${String(js)}"></script>\n<script nonce="${nonce}" src="${String(chartsJs)}"></script>` : ''}
</body>
</html>`;
}

/** What `sharedRedis.namespaceStats` shows, in a panel of its own (one, reused). */
let statsPanel: vscode.WebviewPanel | undefined;

export function showNamespaceStatsPanel(
  extensionUri: vscode.Uri,
  title: string,
  rows: readonly NamespaceStatsRow[],
  note: string,
): string {
  if (!statsPanel) {
    statsPanel = vscode.window.createWebviewPanel('sharedRedis.namespaceStats', title, vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media', 'info')],
    });
    statsPanel.onDidDispose(() => {
      statsPanel = undefined;
    });
  } else {
    statsPanel.reveal();
  }
  statsPanel.title = title;
  const html = page(
    statsPanel.webview,
    extensionUri,
    title,
    `<header><div><h1>${escapeHtml(title)}</h1></div></header>
<section class="namespaces">
  ${renderNamespaceTable(rows)}
  <p class="note">${escapeHtml(note)}</p>
</section>`,
    false,
  );
  statsPanel.webview.html = html;
  return html;
}

/** Closes the INFO and namespace statistics panels (on deactivation). */
export function disposeServerPanels(): void {
  InfoPanel.open?.dispose();
  statsPanel?.dispose();
  statsPanel = undefined;
}
