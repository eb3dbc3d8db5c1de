// Check 2, inclusion (WIRE-FORMATS.md #3, #4): the batch entry decodes and names the bundle's document id, profile,
// kind and root; SHA-256(ledgerRecord) is the entry's record hash and the record describes this document (kind,
// profile, root); the entry is leaf `index` of `size` with `path` to the batch root.
import { VALID, INVALID, shorten } from '../report.js';
import { decodeBatchEntry } from '../formats.js';
import { leafHash, verifyInclusion } from '../merkle.js';
import { sha256 } from '../hash.js';
import { equal, toHex } from '../bytes.js';

export function inclusion(b, record) {
  const entry = decodeBatchEntry(b.batch.entry);
  if (entry.error) return [INVALID, entry.error];
  const edits = [];
  if (entry.documentId !== b.documentId) edits.push(`documentId says '${shorten(b.documentId)}' but the batch commits to '${entry.documentId}'`);
  if (entry.profile !== b.profile) edits.push(`profile says '${shorten(b.profile)}' but the batch commits to '${entry.profile}'`);
  if (entry.kindValue !== b.kind.value) edits.push(`kind says '${b.kind.name}' but the batch commits to '${entry.kind}'`);
  if (!equal(entry.documentRoot, b.documentRoot)) edits.push('documentRoot is not the root the batch commits to');
  if (!equal(sha256(b.ledgerRecord), entry.recordHash)) {
    edits.push('ledgerRecord was changed: its SHA-256 is not the one the batch commits to');
  } else if (!record || record.kind !== entry.kind || record.profile !== entry.profile || record.root !== toHex(entry.documentRoot)) {
    edits.push('ledgerRecord does not describe this document (kind, profile or root differ)');
  }
  if (edits.length > 0) return [INVALID, edits.join('; ')];
  return b.batch.entry.length > 0 && verifyInclusion(leafHash(b.batch.entry), b.batch.index, b.batch.size, b.batch.path, b.batch.batchRoot)
    ? [VALID, `document ${entry.documentId} (${entry.kind}) is leaf ${b.batch.index} of a batch of ${b.batch.size}; its id, profile, kind, root and ledger record are the batch's`]
    : [INVALID, 'the batch entry is not in the batch: the proof does not lead from it to the batch root (the entry, index, size or path was changed)'];
}
