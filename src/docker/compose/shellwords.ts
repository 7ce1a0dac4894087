/**
 * Splits a `command:` or `entrypoint:` string into words the way Compose does (a POSIX
 * shell's quoting, no expansion): blanks separate words; single quotes are literal;
 * inside double quotes a backslash escapes only `"`, `\`, `$` and `` ` ``; outside quotes
 * it escapes any character. An unterminated quote or a trailing backslash is an error.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') {
        quote = undefined;
      } else if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1] ?? '')) {
        i++;
        if (line[i] !== '\n') word += line[i];
      } else {
        word += c;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '\\') {
      i++;
      if (i >= line.length) throw new Error('the command ends with a lone backslash');
      if (line[i] !== '\n') word += line[i];
    } else {
      word += c;
    }
  }
  if (quote) throw new Error(`the command has an unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  return words;
}
