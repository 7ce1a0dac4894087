import * as vscode from 'vscode';
import { eventWithin } from '../eventWithin';

export const REPORT_SCHEME = 'shared-redis-report';

/**
 * Read-only Markdown reports (isolation checks and the like) as virtual documents: they
 * open like a file, never ask to be saved, and are rewritten when a check runs again.
 */
export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reports = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.reports.get(uri.path) ??
      '# This report is no longer available\n\nReports are kept until the window is reloaded.\n'
    );
  }

  /** Shows `markdown` under `name` (e.g. `Isolation.md`) in an editor, replacing an earlier report of that name. */
  async show(name: string, markdown: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name}` });
    this.reports.set(uri.path, markdown);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // An open report is read again after the change event, a moment later: the caller (and the
    // user's editor) gets the new report, not the one of the run before.
    const reloaded = open && open.getText() !== markdown ? textBecomes(open, markdown) : Promise.resolve();
    this.changed.fire(uri);
    await reloaded;
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { preview: false });
    return document;
  }

  /** Shows `markdown` as a new report `<title> <date time>.md`, keeping earlier ones (one per run). */
  async open(title: string, markdown: string, when = new Date()): Promise<vscode.Uri> {
    const stamp = when.toISOString().replace(/[:.]/g, '-').replace('T', ' ').slice(0, 19);
    let name = `${title} ${stamp}.md`;
    for (let n = 2; this.reports.has(`/${name}`); n++) name = `${title} ${stamp} (${n}).md`;
    return (await this.show(name, markdown)).uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
    this.reports.clear();
  }
}

/** Resolves once `document` holds `text` (at most 3 s: the editor then shows it anyway). */
function textBecomes(document: vscode.TextDocument, text: string): Promise<void> {
  return eventWithin(
    vscode.workspace.onDidChangeTextDocument,
    (event) => event.document === document && document.getText() === text,
    3000,
  );
}
