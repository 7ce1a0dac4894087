import * as vscode from 'vscode';
import { parseTtl } from '../redis/mutations';

export type TtlAnswer =
  | { readonly kind: 'ok'; readonly seconds: number }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'dismissed' };

/**
 * A TTL given as an argument, or asked for (validated while typed). Bad input gets one
 * error message naming the accepted forms; nothing is changed by the caller then.
 */
export async function askTtl(
  argument: unknown,
  ask: { title: string; prompt: string; placeHolder: string },
): Promise<TtlAnswer> {
  let input = typeof argument === 'string' ? argument : undefined;
  if (input === undefined) {
    input = await vscode.window.showInputBox({
      ...ask,
      validateInput: (value) => (value.trim() === '' ? undefined : askTtlProblem(value)),
    });
    if (input === undefined) return { kind: 'dismissed' };
  }
  const parsed = parseTtl(input);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(parsed.message);
    return { kind: 'invalid', message: parsed.message };
  }
  return { kind: 'ok', seconds: parsed.seconds };
}

/** A TTL that may be left out: an empty answer (or argument `''`/`null`) is `none`. */
export async function askOptionalTtl(
  argument: unknown,
  ask: { title: string; prompt: string; placeHolder: string },
): Promise<TtlAnswer | { readonly kind: 'none' }> {
  let input = argument === null ? '' : argument;
  if (input === undefined) {
    input = await vscode.window.showInputBox({
      ...ask,
      validateInput: (value) => (value.trim() === '' ? undefined : askTtlProblem(value)),
    });
    if (input === undefined) return { kind: 'dismissed' };
  }
  if (typeof input === 'string' && input.trim() === '') return { kind: 'none' };
  return askTtl(input, ask);
}

function askTtlProblem(value: string): string | undefined {
  const check = parseTtl(value);
  return check.ok ? undefined : check.message;
}
