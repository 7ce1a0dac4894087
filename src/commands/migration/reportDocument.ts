import * as vscode from 'vscode';

export const REPORT_SCHEME = 'shared-redis-import';

/**
 * Read-only Markdown documents for import summaries (`shared-redis-import:/…md`): kept in
 * memory for the session, nothing written to disk, no save prompt on close.
 */
export class ImportReports implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reports = new Map<string, string>();
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.path) ?? '# This import summary is no longer available\n\nSummaries are kept until the window is reloaded.\n';
  }

  /** Stores the text under a new URI and opens it. */
  async open(markdown: string, when = new Date()): Promise<vscode.Uri> {
    const stamp = when.toISOString().replace(/[:.]/g, '-').replace('T', ' ').slice(0, 19);
    let path = `/Import from Redis ${stamp}.md`;
    for (let n = 2; this.reports.has(path); n++) path = `/Import from Redis ${stamp} (${n}).md`;
    this.reports.set(path, markdown);
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { preview: false });
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.reports.clear();
  }
}
