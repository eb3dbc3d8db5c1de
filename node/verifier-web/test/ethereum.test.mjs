// Ethereum anchors through a JSON-RPC function (a mock chain here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { verifyBundle } from '../src/verifier/index.js';
import { addressOf } from '../src/verifier/ethereum-anchor.js';
import { fromBase64, toHex, toBase64, utf8 } from '../src/verifier/bytes.js';
import { NOW, bundleText, byName } from './helpers.mjs';

const STORE = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const TX = '0x' + 'ab'.repeat(32);
const BLOCK = '0x' + 'cd'.repeat(32);
const hex = (s) => toHex(keccak_256(utf8(s)));

function setup({ chainId = 1337, revoked = false, sender = null, emit = true } = {}) {
  const b = JSON.parse(bundleText('bundles/0000.json'));
  const root = '0x' + toHex(fromBase64(b.batch.batchRoot));
  const proof = { chainId: 1337, contract: STORE, txHash: TX, blockNumber: 42, blockHash: BLOCK, root, kind: 'issue' };
  b.anchors.push({ ledgerId: `eip155:1337:${STORE}`, reference: TX, height: '42', timestamp: '2026-12-07T07:18:00Z', proof: toBase64(utf8(JSON.stringify(proof))) });
  const from = sender ?? addressOf(fromBase64(b.issuer.publicKey));
  const calls = [];
  const rpc = async (method, params) => {
    calls.push(method);
    switch (method) {
      case 'eth_chainId':
        return '0x' + chainId.toString(16);
      case 'eth_getTransactionReceipt':
        return { blockHash: BLOCK, blockNumber: '0x2a', status: '0x1', to: STORE.toLowerCase(), logs: emit ? [{ address: STORE, topics: ['0x' + hex('DocumentIssued(bytes32)'), root], data: '0x' }] : [] };
      case 'eth_getBlockByNumber':
        assert.equal(params[0], '0x2a');
        return { hash: BLOCK, timestamp: '0x' + Math.floor(Date.parse('2026-12-07T07:18:00Z') / 1000).toString(16) };
      case 'eth_call': {
        const fn = params[0].data.slice(2, 10);
        const isRevoked = fn === hex('isRevoked(bytes32)').slice(0, 8);
        return '0x' + (isRevoked ? (revoked ? '1' : '0') : '1').padStart(64, '0');
      }
      case 'eth_getTransactionByHash':
        return { from };
      default:
        throw new Error('unexpected ' + method);
    }
  };
  return { b, rpc, calls };
}

test('an Ethereum anchor that checks out on the chain counts (uncertified issuer: the batch key must have sent it)', async () => {
  const { b, rpc, calls } = setup();
  const report = await verifyBundle(b, { now: NOW, ethereumRpc: rpc });
  assert.equal(byName(report).anchored.verdict, 'VALID', byName(report).anchored.reason);
  assert.match(byName(report).anchored.reason, /batch root anchored on eip155:1337:0x5FbD.*embedded:GB-HMRC|batch root anchored on embedded:GB-HMRC, eip155/);
  assert.equal(byName(report).status.verdict, 'VALID');
  assert.match(byName(report).status.reason, /not revoked on eip155:1337:.* \(checked online\)/);
  assert.ok(calls.includes('eth_getTransactionByHash'));
});

test('an unreachable endpoint or another chain is an ERROR, never VALID', async () => {
  const { b } = setup();
  const down = async () => {
    throw new Error('ECONNREFUSED');
  };
  let report = await verifyBundle(b, { now: NOW, ethereumRpc: down });
  assert.equal(byName(report).anchored.verdict, 'ERROR');
  assert.match(byName(report).anchored.reason, /a ledger could not be checked: .*ECONNREFUSED/);
  assert.equal(byName(report).status.verdict, 'ERROR');
  const other = setup({ chainId: 1 });
  report = await verifyBundle(other.b, { now: NOW, ethereumRpc: other.rpc });
  assert.equal(byName(report).anchored.verdict, 'ERROR');
  assert.match(byName(report).anchored.reason, /serves chain 1, the receipt is for chain 1337/);
});

test('no event, a foreign sender: INVALID; a revoked root on the store: status INVALID', async () => {
  let s = setup({ emit: false });
  let report = await verifyBundle(s.b, { now: NOW, ethereumRpc: s.rpc });
  assert.match(byName(report).anchored.reason, /did not emit DocumentIssued/);
  s = setup({ sender: '0x' + '11'.repeat(20) });
  report = await verifyBundle(s.b, { now: NOW, ethereumRpc: s.rpc });
  assert.match(byName(report).anchored.reason, /which is not one of the trusted keys/);
  s = setup({ revoked: true });
  report = await verifyBundle(s.b, { now: NOW, ethereumRpc: s.rpc });
  assert.equal(byName(report).status.verdict, 'INVALID');
  assert.match(byName(report).status.reason, /reports the document root revoked/);
});
