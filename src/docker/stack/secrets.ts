import { createHash, randomBytes } from 'node:crypto';

/** A fresh password: 48 characters from 36 random bytes, URL- and shell-safe. */
export function generatePassword(): string {
  return randomBytes(36).toString('base64url');
}

/**
 * The stack's ACL file: the default user with the password's SHA-256, so Redis needs no
 * password on its command line (where `ps` on the host would show it) and the file holds
 * no plaintext secret.
 */
export function defaultUserAcl(password: string): string {
  const hash = createHash('sha256').update(password).digest('hex');
  // Redis ACL files take no comments: the file is only `user` lines.
  return `user default on #${hash} ~* &* +@all\n`;
}
