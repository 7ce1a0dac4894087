import { BinaryString, escapeGlob, fromBinary } from './binary';
import { ID_SEGMENT, isIdLike, literalSegment } from './idPatterns';
import type { NamespaceNode } from './namespaceModel';
import type { PatternSelection } from './pager';

/**
 * The keys of a pattern path below a namespace, for NamespaceKeyPager's `pattern`: under
 * `user` with `['{id}', 'profile']`, exactly the keys `user:<id>:profile` where `<id>` is
 * one id-like segment. SCAN MATCH gets `user:*:profile` (the glob's `*` also crosses
 * delimiters, so it finds a superset); `accepts` then checks each segment byte for byte.
 */
export function patternSelection(
  namespace: NamespaceNode,
  segments: readonly BinaryString[],
  keys: number,
): PatternSelection {
  const model = namespace.model;
  const delimiter = model.delimiterBinary;
  const glob = segments.map((segment) =>
    segment === ID_SEGMENT ? '*' : escapeGlob(literalSegment(segment)).toString('latin1'),
  );
  const match = fromBinary(
    escapeGlob(namespace.id).toString('latin1') + glob.join(escapeGlob(delimiter).toString('latin1')),
  );
  const prefix = namespace.id;
  return {
    match,
    keys,
    accepts: (key) => {
      if (!key.startsWith(prefix)) return false;
      const parts = key.slice(prefix.length).split(delimiter);
      if (parts.length !== segments.length) return false;
      return segments.every((segment, i) =>
        segment === ID_SEGMENT ? isIdLike(parts[i] as string) : parts[i] === literalSegment(segment),
      );
    },
  };
}
