import { randomBytes } from 'node:crypto';

/** A fresh password: 48 characters from 36 random bytes, URL- and shell-safe. */
export function generatePassword(): string {
  return randomBytes(36).toString('base64url');
}
