#!/usr/bin/env node
// Verifies a wrapped OpenAttestation v2 document with @govtechsg/oa-verify against a document store on the given chain,
// using only the integrity and document-store status fragments (no DNS identity check, no default Infura provider).
//
//   node scripts/oa-verify.mjs --rpc http://127.0.0.1:8545 [--chain-id 31337] <wrapped-document.json>
//
// Prints a JSON array of the fragments, each { name, type, status, reason } (status VALID | INVALID | ERROR | SKIPPED,
// reason null or { code, codeString, message }), and exits 0 whenever verification ran: the caller reads the statuses.
// Exit code 2: bad usage, unreadable file or not JSON. Exit code 1: the verifier itself crashed (message on stderr).
//
// The provider is an ethers v5 StaticJsonRpcProvider on --rpc: its chain id is taken from --chain-id, or asked once
// with eth_chainId, so any chain id works (31337, 1337, a Besu/Quorum network's own id). oa-verify only falls back to
// its own (Infura) provider when none is given, which never happens here.
import fs from "node:fs";
import {
  verificationBuilder,
  openAttestationHash,
  openAttestationEthereumDocumentStoreStatus,
} from "@govtechsg/oa-verify";
import { providers } from "ethers";

function usage(message) {
  if (message) console.error(message);
  console.error("usage: node scripts/oa-verify.mjs --rpc <http://127.0.0.1:port> [--chain-id <id>] <wrapped-document.json>");
  process.exit(2);
}

let rpc;
let chainId;
const positional = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--rpc") rpc = argv[++i];
  else if (a.startsWith("--rpc=")) rpc = a.slice("--rpc=".length);
  else if (a === "--chain-id") chainId = argv[++i];
  else if (a.startsWith("--chain-id=")) chainId = a.slice("--chain-id=".length);
  else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (!rpc || !/^https?:\/\/\S+$/.test(rpc)) usage("--rpc <http(s) URL> is required");
if (chainId !== undefined && !/^[0-9]+$/.test(chainId)) usage("--chain-id must be a decimal integer");
if (positional.length !== 1) usage("exactly one wrapped document is required");

let document;
try {
  document = JSON.parse(fs.readFileSync(positional[0], "utf8"));
} catch (e) {
  usage(`cannot read ${positional[0]}: ${e.message}`);
}

const network = chainId === undefined ? undefined : { chainId: Number(chainId), name: "unknown" };
const provider = new providers.StaticJsonRpcProvider({ url: rpc, timeout: 30000 }, network);

try {
  const verify = verificationBuilder([openAttestationHash, openAttestationEthereumDocumentStoreStatus], { provider });
  const fragments = await verify(document);
  const out = fragments.map((f) => ({ name: f.name, type: f.type, status: f.status, reason: f.reason ?? null }));
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  process.exit(0);
} catch (e) {
  console.error(`verification crashed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
