/** The segment that stands for every id-like segment in a pattern path (`user:{id}:profile`).
 * A module of its own: the first stage's rows (keysRowItems) need it, not idPatterns. */
export const ID_SEGMENT = '{id}';
