// Ethereum anchors, checked on the chain through a JSON-RPC function the caller gives (docs/TRUST.md, check 5): the
// endpoint serves the proof's chain; the transaction is mined, did not revert, sits in the proof's block and was sent
// to the document store; the block is still canonical and its time is the receipt's; the transaction emitted
// DocumentIssued(root) (or DocumentRevoked) from the store; the store reports the root issued (or revoked); the sender
// is the trusted key's address. An endpoint that fails or serves another chain is unavailable (ERROR), never VALID.
// The proof is the JSON the Ethereum adapter writes: { chainId, contract, txHash, blockNumber, blockHash, root, kind }.
import { keccak256 } from './hash.js';
import { toHex, utf8, utf8Decode, asciiLower } from './bytes.js';
import { parseJson, int64Of } from './json.js';
import { parsePublicKey, uncompressed } from './secp256k1.js';

export const ETHEREUM_PREFIX = 'eip155:';
const MAX_PROOF = 4096;

const sameHex = (a, b) => typeof a === 'string' && typeof b === 'string' && asciiLower(a) === asciiLower(b);
const isAddress = (v) => typeof v === 'string' && v.length === 42 && /^0[xX][0-9a-fA-F]{40}$/.test(v);
const selector = (signature) => toHex(keccak256(utf8(signature)).subarray(0, 4));
const topic = (signature) => '0x' + toHex(keccak256(utf8(signature)));

/** Quantity ("0x1a") → BigInt; throws on anything else. */
function quantity(v, what) {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw new RpcAnswerError(`the endpoint's ${what} is not a quantity`);
  return BigInt(v);
}

class RpcAnswerError extends Error {}

/** The Ethereum adapter's proof JSON; { proof } or { error }. */
export function parseEthereumProof(bytes) {
  const text = utf8Decode(bytes);
  let root;
  try {
    root = parseJson(text ?? '', { duplicates: 'last' });
  } catch {
    return { error: 'the proof is not valid JSON' };
  }
  if (!(root instanceof Map)) return { error: 'the proof is not a JSON object' };
  const kindText = root.has('kind') ? root.get('kind') : 'issue';
  if (kindText !== 'issue' && kindText !== 'revoke') return { error: `unknown kind '${String(kindText)}'` };
  const str = (name) => (typeof root.get(name) === 'string' ? root.get(name) : null);
  const chainId = int64Of(root.get('chainId'));
  const blockNumber = int64Of(root.get('blockNumber'));
  const proof = { chainId, contract: str('contract'), txHash: str('txHash'), blockNumber, blockHash: str('blockHash'), root: str('root'), kind: kindText };
  for (const [k, v] of Object.entries(proof)) if (v === null) return { error: `the proof has no valid '${k}'` };
  return { proof };
}

/** Address of a secp256k1 key: the last 20 bytes of keccak256(X ‖ Y). */
export function addressOf(keyBytes) {
  const p = parsePublicKey(keyBytes);
  return p ? '0x' + toHex(keccak256(uncompressed(p).subarray(1)).subarray(12)) : null;
}

export class EthereumVerifier {
  /** @param {(method: string, params: any[]) => Promise<any>} rpc */
  constructor(rpc) {
    this.rpc = rpc;
  }

  canVerify(ledgerId) {
    return typeof ledgerId === 'string' && ledgerId.startsWith(ETHEREUM_PREFIX);
  }

  async call(method, params) {
    try {
      return await this.rpc(method, params);
    } catch (e) {
      throw new RpcAnswerError(`the Ethereum endpoint did not answer ${method}: ${e?.message ?? e}`);
    }
  }

  async chainId() {
    return quantity(await this.call('eth_chainId', []), 'chain id');
  }

  async storeSays(contract, fn, root) {
    const data = '0x' + selector(`${fn}(bytes32)`) + toHex(root);
    const result = await this.call('eth_call', [{ to: contract, data }, 'latest']);
    if (typeof result !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(result)) throw new RpcAnswerError(`the document store's ${fn} answer is not a bool`);
    return BigInt(result) !== 0n;
  }

  /** Anchor check: { valid, reason, unavailable? }. */
  async verify(receipt, anchoredRoot, trustedKeys) {
    const fail = (reason) => ({ valid: false, reason });
    if (!this.canVerify(receipt.ledgerId)) return fail(`not an Ethereum receipt (ledger ids start with '${ETHEREUM_PREFIX}')`);
    if (!anchoredRoot || anchoredRoot.length !== 32) return fail('the anchored root must be 32 bytes');
    if (!receipt.proof || receipt.proof.length === 0 || receipt.proof.length > MAX_PROOF) return fail('the receipt has no proof (or one larger than 4 KiB)');
    const parsed = parseEthereumProof(receipt.proof);
    if (parsed.error) return fail(`malformed proof: ${parsed.error}`);
    const proof = parsed.proof;
    if (!isAddress(proof.contract) || asciiLower(receipt.ledgerId) !== asciiLower(`${ETHEREUM_PREFIX}${proof.chainId}:${proof.contract}`)) {
      return fail("the proof's chain id and contract do not match the receipt's ledger id");
    }
    if (!sameHex(receipt.reference, proof.txHash) || BigInt(receipt.height) !== proof.blockNumber) {
      return fail("the receipt's reference/height are not the proof's transaction hash/block number");
    }
    if (!sameHex(proof.root, '0x' + toHex(anchoredRoot))) return fail('the proof is for another root');
    try {
      return await this.#onChain(proof, Math.floor(receipt.timestampMs / 1000), anchoredRoot, trustedKeys);
    } catch (e) {
      if (e instanceof RpcAnswerError) return { valid: false, unavailable: true, reason: `cannot check online: ${e.message}` };
      throw e;
    }
  }

  async #onChain(proof, receiptSeconds, root, trustedKeys) {
    const fail = (reason) => ({ valid: false, reason });
    const chain = await this.chainId();
    if (chain !== proof.chainId) {
      return { valid: false, unavailable: true, reason: `the endpoint serves chain ${chain}, the receipt is for chain ${proof.chainId}: give an endpoint of that chain` };
    }
    const receipt = await this.call('eth_getTransactionReceipt', [proof.txHash]);
    if (!receipt || !receipt.blockHash) return fail(`transaction ${proof.txHash} is not on the chain (never mined, or reorganised away)`);
    if (receipt.status !== undefined && receipt.status !== null && quantity(receipt.status, 'receipt status') === 0n) return fail(`transaction ${proof.txHash} reverted`);
    const blockNumber = quantity(receipt.blockNumber, 'block number');
    if (!sameHex(receipt.blockHash, proof.blockHash) || blockNumber !== proof.blockNumber) {
      return fail(`transaction ${proof.txHash} is now in block ${blockNumber} (${receipt.blockHash}), not the proof's`);
    }
    if (!sameHex(receipt.to, proof.contract)) return fail(`transaction ${proof.txHash} was not sent to ${proof.contract}`);
    const block = await this.call('eth_getBlockByNumber', ['0x' + blockNumber.toString(16), false]);
    if (!block || !sameHex(block.hash, proof.blockHash)) return fail(`block ${proof.blockNumber} ${proof.blockHash} is no longer canonical`);
    if (quantity(block.timestamp, 'block timestamp') !== BigInt(receiptSeconds)) return fail(`the receipt's time is not block ${proof.blockNumber}'s`);
    const issue = proof.kind === 'issue';
    const eventTopic = topic(issue ? 'DocumentIssued(bytes32)' : 'DocumentRevoked(bytes32)');
    const rootTopic = '0x' + toHex(root);
    const emitted = (receipt.logs ?? []).some((log) => sameHex(log.address, proof.contract) && Array.isArray(log.topics) && sameHex(log.topics[0], eventTopic) && sameHex(log.topics[1], rootTopic));
    if (!emitted) return fail(`transaction ${proof.txHash} did not emit Document${issue ? 'Issued' : 'Revoked'}(${proof.root})`);
    if (!(await this.storeSays(proof.contract, issue ? 'isIssued' : 'isRevoked', root))) {
      return fail(`the contract does not report the root as ${issue ? 'issued' : 'revoked'}`);
    }
    let sender = '';
    if (trustedKeys) {
      const tx = await this.call('eth_getTransactionByHash', [proof.txHash]);
      sender = typeof tx?.from === 'string' ? tx.from : '';
      if (!trustedKeys.some((k) => k && sameHex(addressOf(k), sender))) {
        return fail(`transaction ${proof.txHash} was sent by ${sender}, which is not one of the trusted keys`);
      }
    }
    return {
      valid: true,
      reason: `${issue ? 'issued' : 'revoked'} on chain ${proof.chainId} by contract ${proof.contract} in block ${proof.blockNumber} (tx ${proof.txHash}${sender ? ', sender ' + sender : ''}), block still canonical; checked online`,
    };
  }

  /** Revocation lookup for the status check: { status: 'revoked' | 'not-revoked' | 'unavailable', reason }. */
  async checkRevocation(anchor, documentRoot, batchRoot) {
    const parsed = anchor.proof && anchor.proof.length > 0 && anchor.proof.length <= MAX_PROOF ? parseEthereumProof(anchor.proof) : { error: 'none' };
    if (parsed.error || !isAddress(parsed.proof.contract)) return { status: 'unavailable', reason: "the anchor's proof names no document store to ask" };
    const proof = parsed.proof;
    try {
      const chain = await this.chainId();
      if (chain !== proof.chainId) return { status: 'unavailable', reason: `the endpoint serves chain ${chain}, not chain ${proof.chainId}` };
      for (const [root, what] of [[documentRoot, 'the document root'], [batchRoot, 'the batch root']]) {
        if (await this.storeSays(proof.contract, 'isRevoked', root)) {
          return { status: 'revoked', reason: `document store ${proof.contract} on chain ${proof.chainId} reports ${what} revoked (checked online)` };
        }
      }
      return { status: 'not-revoked', reason: `document store ${proof.contract} on chain ${proof.chainId} reports no revocation` };
    } catch (e) {
      if (e instanceof RpcAnswerError) return { status: 'unavailable', reason: `cannot ask the document store: ${e.message}` };
      throw e;
    }
  }
}

