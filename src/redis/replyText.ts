/**
 * Redis repeats the first arguments of a command it does not know (`ERR unknown command
 * 'auth', with args beginning with: 'bob' '<password>'`), and the modifier of an ACL rule it
 * cannot parse (`ERR Error in ACL SETUSER modifier '<rule>': …`): with AUTH or ACL renamed
 * away, or a proxy that lacks them, a password would reach a message we show or log. What
 * is repeated is dropped. No imports: the first stage uses it (firstGlance.ts).
 */
export function withoutEchoedArguments(message: string): string {
  // Everything after them: a password may hold quotes and colons.
  return message.replace(/(with args beginning with:).*$/is, '$1 …').replace(/(ACL SETUSER modifier ).*$/is, '$1…');
}
