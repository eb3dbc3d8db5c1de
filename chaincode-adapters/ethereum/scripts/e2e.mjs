#!/usr/bin/env node
// End-to-end check of this folder on local chains (127.0.0.1 only, every process it starts is stopped before it exits):
//   - Hardhat node with two freshly generated keys: deploys DocumentStore and ParticipantRegistry from artifacts/,
//     roles, OpenAttestation wrap -> issue -> oa-verify VALID, revoke -> INVALID, tamper -> INVALID, batches;
//   - Ganache (chain id 1337) with a database directory: issue, stop, restart on the same directory, still issued and
//     oa-verify VALID.
//
//   npm run e2e        (about 30 s; prints "N passed, N failed" and exits 1 on any failure)
import { spawn, execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "customs-ledger-eth-e2e-"));
const children = new Set();
let passed = 0;
let failed = 0;

function check(name, condition, detail) {
  if (condition) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}`);
  }
}

async function expectRevert(name, promise, reasonPart) {
  try {
    await promise;
    check(name, false, "did not revert");
  } catch (e) {
    const text = [e.reason, e.error?.message, e.message].filter(Boolean).join(" | ");
    check(name, text.includes(reasonPart), text.slice(0, 300));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves once a stdout line matches `ready`. */
function start(label, args, env, ready, timeoutMs = 90000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${label} did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk) => {
      out += chunk.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (c) => (out += c.toString()));
    child.once("exit", (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      return resolve();
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
    child.once("exit", () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function run(script, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "scripts", script), ...args], { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function writeJson(name, value) {
  const p = path.join(TMP, name);
  fs.writeFileSync(p, JSON.stringify(value, null, 2));
  return p;
}

function rawDocument(storeAddress, id, extra = {}) {
  return {
    $template: { name: "main", type: "EMBEDDED_RENDERER", url: "https://renderer.invalid" },
    issuers: [
      { name: "GB-HMRC", documentStore: storeAddress, identityProof: { type: "DNS-TXT", location: "customs.invalid" } },
    ],
    id,
    certificateType: "ePhyto",
    quantity: 12.5,
    consignments: [{ hsCode: "0808.10", packages: 40 }],
    ...extra,
  };
}

async function wrap(...raws) {
  const files = raws.map((r, i) => writeJson(`raw-${Date.now()}-${i}.json`, r));
  const res = await run("oa-wrap.mjs", files);
  if (res.code !== 0) throw new Error(`oa-wrap failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

async function verify(rpc, wrapped, extraArgs = []) {
  const file = writeJson(`wrapped-${Date.now()}-${Math.random().toString(16).slice(2)}.json`, wrapped);
  const res = await run("oa-verify.mjs", ["--rpc", rpc, ...extraArgs, file]);
  if (res.code !== 0) throw new Error(`oa-verify exited ${res.code}: ${res.stderr}`);
  const fragments = JSON.parse(res.stdout);
  const by = (type) => fragments.find((f) => f.type === type) || {};
  return { integrity: by("DOCUMENT_INTEGRITY"), status: by("DOCUMENT_STATUS"), fragments };
}

function artifact(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "artifacts", `${name}.json`), "utf8"));
}

async function deploy(name, signer, ...args) {
  const a = artifact(name);
  const contract = await new ethers.ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
  await contract.deployed();
  return contract;
}

async function hardhatSuite() {
  const wallets = [ethers.Wallet.createRandom(), ethers.Wallet.createRandom()];
  const port = await freePort();
  const rpc = `http://127.0.0.1:${port}`;
  const hardhat = await start(
    "hardhat node",
    [path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js"), "node", "--hostname", "127.0.0.1", "--port", String(port)],
    { CUSTOMS_LEDGER_HARDHAT_KEYS: wallets.map((w) => w.privateKey).join(",") },
    new RegExp(`Started HTTP and WebSocket JSON-RPC server at http://127\\.0\\.0\\.1:${port}/`)
  );
  try {
    const provider = new ethers.providers.StaticJsonRpcProvider(rpc);
    const [owner, other] = wallets.map((w) => w.connect(provider));
    check("hardhat: chain id 31337", (await provider.getNetwork()).chainId === 31337);
    check("hardhat: key #1 funded with 10,000 ETH", (await provider.getBalance(owner.address)).eq(ethers.utils.parseEther("10000")));

    // ----- DocumentStore basics and roles
    const store = await deploy("DocumentStore", owner, "GB-HMRC customs documents", owner.address);
    const ISSUER = await store.ISSUER_ROLE();
    const REVOKER = await store.REVOKER_ROLE();
    const ADMIN = await store.DEFAULT_ADMIN_ROLE();
    check("store: name", (await store.name()) === "GB-HMRC customs documents");
    check("store: version", (await store.version()) === "1.0.0");
    check("store: ISSUER_ROLE = keccak256('ISSUER_ROLE')", ISSUER === ethers.utils.id("ISSUER_ROLE"));
    check("store: owner has all roles", (await store.hasRole(ADMIN, owner.address)) && (await store.hasRole(ISSUER, owner.address)) && (await store.hasRole(REVOKER, owner.address)));
    check("store: supportsInterface(ERC165)", await store.supportsInterface("0x01ffc9a7"));
    check("store: supportsInterface(IAccessControl 0x7965db0b)", await store.supportsInterface("0x7965db0b"));
    check("store: not OA batchable (0xdcfd0745)", !(await store.supportsInterface("0xdcfd0745")));
    check("store: supportsInterface(0xffffffff) false", !(await store.supportsInterface("0xffffffff")));
    await expectRevert("store: non-issuer cannot issue", store.connect(other).issue(ethers.utils.id("x"), { gasLimit: 200000 }), "missing role");
    await expectRevert("store: non-admin cannot grant", store.connect(other).grantRole(ISSUER, other.address, { gasLimit: 200000 }), "missing role");
    const grant = await (await store.grantRole(ISSUER, other.address)).wait();
    check("store: RoleGranted event", grant.events.some((e) => e.event === "RoleGranted" && e.args.account === other.address && e.args.role === ISSUER));
    const h1 = ethers.utils.id("batch-root-1");
    const issued = await (await store.connect(other).issue(h1)).wait();
    check("store: granted issuer can issue, DocumentIssued event", issued.events.some((e) => e.event === "DocumentIssued" && e.args.document === h1));
    check("store: getIssuedBlock = tx block", (await store.getIssuedBlock(h1)).toNumber() === issued.blockNumber);
    check("store: isIssuedBefore(block) true, (block-1) false", (await store.isIssuedBefore(h1, issued.blockNumber)) && !(await store.isIssuedBefore(h1, issued.blockNumber - 1)));
    await expectRevert("store: issuing twice reverts", store.issue(h1, { gasLimit: 200000 }), "Only hashes that have not been issued can be issued");
    await expectRevert("store: getIssuedBlock of unknown hash reverts", store.getIssuedBlock(ethers.utils.id("unknown")), "Only issued document hashes");
    await expectRevert("store: non-revoker cannot revoke", store.connect(other).revoke(h1, { gasLimit: 200000 }), "missing role");
    await (await store.revokeRole(ISSUER, other.address)).wait();
    await expectRevert("store: revoked issuer cannot issue", store.connect(other).issue(ethers.utils.id("y"), { gasLimit: 200000 }), "missing role");
    const bulk = [ethers.utils.id("b1"), ethers.utils.id("b2"), ethers.utils.id("b3")];
    await (await store.bulkIssue(bulk)).wait();
    check("store: bulkIssue", (await Promise.all(bulk.map((b) => store.isIssued(b)))).every(Boolean));
    await expectRevert("store: bulkIssue with an issued hash reverts whole", store.bulkIssue([ethers.utils.id("b4"), bulk[0]], { gasLimit: 500000 }), "Only hashes that have not been issued");
    check("store: ... and issued nothing", !(await store.isIssued(ethers.utils.id("b4"))));
    const rv = await (await store.bulkRevoke(bulk.slice(0, 2))).wait();
    check("store: bulkRevoke, DocumentRevoked events", rv.events.filter((e) => e.event === "DocumentRevoked").length === 2 && (await store.isRevoked(bulk[1])) && !(await store.isRevoked(bulk[2])));
    check("store: isRevokedBefore", (await store.isRevokedBefore(bulk[0], rv.blockNumber)) && !(await store.isRevokedBefore(bulk[0], rv.blockNumber - 1)));
    await expectRevert("store: revoking twice reverts", store.revoke(bulk[0], { gasLimit: 200000 }), "Hash has been revoked previously");
    check("store: revoke() returns true (static call)", (await store.callStatic.revoke(ethers.utils.id("never-issued"))) === true);
    await expectRevert("store: renounceRole for someone else reverts", store.connect(other).renounceRole(ADMIN, owner.address, { gasLimit: 200000 }), "only renounce roles for self");

    // ----- OpenAttestation: one document
    const single = await wrap(rawDocument(store.address, "EPHYTO-1"));
    let v = await verify(rpc, single);
    check("oa: not yet issued -> hash VALID, status INVALID", v.integrity.status === "VALID" && v.status.status === "INVALID" && v.status.reason?.codeString === "DOCUMENT_NOT_ISSUED", v.fragments);
    await (await store.issue(`0x${single.signature.merkleRoot}`)).wait();
    v = await verify(rpc, single);
    check("oa: issued -> OpenAttestationHash VALID", v.integrity.name === "OpenAttestationHash" && v.integrity.status === "VALID", v.integrity);
    check("oa: issued -> OpenAttestationEthereumDocumentStoreStatus VALID", v.status.name === "OpenAttestationEthereumDocumentStoreStatus" && v.status.status === "VALID", v.status);
    v = await verify(rpc, single, ["--chain-id", "31337"]);
    check("oa: --chain-id 31337 -> VALID", v.integrity.status === "VALID" && v.status.status === "VALID", v.fragments);
    const tampered = JSON.parse(JSON.stringify(single));
    tampered.data.id = tampered.data.id.replace(/EPHYTO-1$/, "EPHYTO-2");
    v = await verify(rpc, tampered);
    check("oa: one value changed -> hash INVALID", v.integrity.status === "INVALID", v.integrity);
    await (await store.revoke(`0x${single.signature.merkleRoot}`)).wait();
    v = await verify(rpc, single);
    check("oa: merkleRoot revoked -> status INVALID (DOCUMENT_REVOKED)", v.status.status === "INVALID" && v.status.reason?.codeString === "DOCUMENT_REVOKED", v.status);

    // ----- OpenAttestation: a batch of three, revoke one target hash
    const batch = await wrap(rawDocument(store.address, "B-1"), rawDocument(store.address, "B-2"), rawDocument(store.address, "B-3"));
    check("oa: batch shares one merkleRoot, proofs non-empty", new Set(batch.map((d) => d.signature.merkleRoot)).size === 1 && batch.every((d) => d.signature.proof.length > 0));
    await (await store.issue(`0x${batch[0].signature.merkleRoot}`)).wait();
    const before = await Promise.all(batch.map((d) => verify(rpc, d)));
    check("oa: batch documents VALID", before.every((r) => r.integrity.status === "VALID" && r.status.status === "VALID"), before.map((r) => r.fragments));
    await (await store.revoke(`0x${batch[1].signature.targetHash}`)).wait();
    const after = await Promise.all(batch.map((d) => verify(rpc, d)));
    check("oa: targetHash of #2 revoked -> #2 INVALID", after[1].status.status === "INVALID", after[1].status);
    check("oa: ... #1 and #3 still VALID", after[0].status.status === "VALID" && after[2].status.status === "VALID");

    // ----- oa-digest agrees with the document
    const dg = await run("oa-digest.mjs", [writeJson("digest.json", batch[2])]);
    const digest = JSON.parse(dg.stdout);
    check("oa-digest: targetHash and merkleRootFromProof match the wrapped document", dg.code === 0 && digest.targetHash === batch[2].signature.targetHash && digest.merkleRootFromProof === batch[2].signature.merkleRoot && digest.signatureValid === true, digest);
    const dt = await run("oa-digest.mjs", [writeJson("digest-t.json", tampered)]);
    check("oa-digest: tampered document -> different targetHash, signatureValid false", JSON.parse(dt.stdout).targetHash !== tampered.signature.targetHash && JSON.parse(dt.stdout).signatureValid === false);

    // ----- CLI usage errors
    check("oa-verify: no --rpc -> exit 2", (await run("oa-verify.mjs", [writeJson("u.json", single)])).code === 2);
    check("oa-wrap: no file -> exit 2", (await run("oa-wrap.mjs", [])).code === 2);

    // ----- ParticipantRegistry
    const registry = await deploy("ParticipantRegistry", owner, owner.address);
    const DEC = ethers.utils.id("WCO:DEC");
    const key = "0x02" + "11".repeat(32);
    const reg = await (await registry.registerParticipant(other.address, "GB", "HMRC", key)).wait();
    check("registry: ParticipantRegistered event", reg.events.some((e) => e.event === "ParticipantRegistered" && e.args.account === other.address));
    let p = await registry.participant(other.address);
    check("registry: participant() returns details", p.registered && p.country === "GB" && p.agency === "HMRC" && p.nodeKey === key);
    check("registry: not allowed by default", !(await registry.mayAnchor(other.address, DEC)));
    await (await registry.setDocumentTypeAllowed(other.address, DEC, true)).wait();
    check("registry: mayAnchor after allow", await registry.mayAnchor(other.address, DEC));
    check("registry: count/at", (await registry.participantCount()).toNumber() === 1 && (await registry.participantAt(0)) === other.address);
    await expectRevert("registry: non-admin cannot register", registry.connect(other).registerParticipant(other.address, "FR", "DGDDI", key, { gasLimit: 300000 }), "not the admin");
    await (await registry.registerParticipant(other.address, "GB", "HMRC", "0x03" + "22".repeat(32))).wait();
    check("registry: update keeps permissions", await registry.mayAnchor(other.address, DEC));
    await (await registry.removeParticipant(other.address)).wait();
    p = await registry.participant(other.address);
    check("registry: removed", !p.registered && !(await registry.mayAnchor(other.address, DEC)) && (await registry.participantCount()).toNumber() === 0);
    await (await registry.registerParticipant(other.address, "GB", "HMRC", key)).wait();
    check("registry: re-registered account starts without permissions", !(await registry.mayAnchor(other.address, DEC)));
    await expectRevert("registry: permission for unknown account reverts", registry.setDocumentTypeAllowed(owner.address, DEC, true, { gasLimit: 200000 }), "not a participant");
  } finally {
    await stop(hardhat);
  }
}

async function ganacheSuite() {
  const wallet = ethers.Wallet.createRandom();
  const dbPath = path.join(TMP, "ganache-db");
  fs.mkdirSync(dbPath);
  const port = await freePort();
  const rpc = `http://127.0.0.1:${port}`;
  const args = [
    path.join(ROOT, "node_modules", "ganache", "dist", "node", "cli.js"),
    "--server.host", "127.0.0.1",
    "--server.port", String(port),
    "--chain.chainId", "1337",
    "--chain.hardfork", "merge",
    "--database.dbPath", dbPath,
    "--wallet.accounts", `${wallet.privateKey},10000000000000000000000`,
    "--logging.quiet",
  ];
  const ready = new RegExp(`RPC Listening on 127\\.0\\.0\\.1:${port}`);
  let ganache = await start("ganache", args, {}, ready);
  let store;
  let doc;
  try {
    const provider = new ethers.providers.StaticJsonRpcProvider(rpc);
    check("ganache: chain id 1337", (await provider.getNetwork()).chainId === 1337);
    store = await deploy("DocumentStore", wallet.connect(provider), "FR-DGDDI", wallet.address);
    doc = await wrap(rawDocument(store.address, "G-1"));
    await (await store.issue(`0x${doc.signature.merkleRoot}`)).wait();
    const v = await verify(rpc, doc);
    check("ganache: oa-verify VALID on chain id 1337", v.integrity.status === "VALID" && v.status.status === "VALID", v.fragments);
  } finally {
    await stop(ganache);
  }
  ganache = await start("ganache (restart)", args, {}, ready);
  try {
    const provider = new ethers.providers.StaticJsonRpcProvider(rpc);
    const again = new ethers.Contract(store.address, artifact("DocumentStore").abi, provider);
    check("ganache: state survives restart (isIssued)", await again.isIssued(`0x${doc.signature.merkleRoot}`));
    const v = await verify(rpc, doc, ["--chain-id", "1337"]);
    check("ganache: oa-verify VALID after restart", v.integrity.status === "VALID" && v.status.status === "VALID", v.fragments);
  } finally {
    await stop(ganache);
  }
}

async function main() {
  const onSignal = async () => {
    await Promise.all([...children].map(stop));
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await hardhatSuite();
    await ganacheSuite();
  } catch (e) {
    failed++;
    console.log(`FAIL unexpected error: ${e && e.stack ? e.stack : e}`);
  } finally {
    await Promise.all([...children].map(stop));
    fs.rmSync(TMP, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
