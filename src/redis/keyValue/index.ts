/**
 * Key inspection's core, free of VS Code: read a key's header and a bounded, paged part
 * of its value (read.ts), and render it as a document by type (render.ts).
 */
export {
  ELEMENT_PAGE_SIZE,
  KeyHeader,
  KeyTypeChangedError,
  KeyValue,
  ReadOptions,
  STRING_PAGE_BYTES,
  StreamEntry,
  nextStreamId,
  readKeyValue,
  shownCount,
} from './read';
export {
  MAX_ELEMENT_CHARS,
  RenderedKey,
  describeReadFailure,
  goneMessage,
  hexDump,
  keyTitle,
  renderKeyValue,
  stringShape,
} from './render';
export {
  EditableDocument,
  EditedValue,
  EditFormatError,
  documentType,
  parseEdited,
  renderEditable,
  scoreInRange,
  scoreValue,
} from './editFormat';
export { compactJson, isCompactJson, JsonSyntaxError, prettyJson } from './jsonLayout';
export { SaveOutcome, SavePlan, StreamEntryChangedError, planSave, saveKeyValue, valueVersion } from './save';
