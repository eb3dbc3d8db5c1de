// Hardhat is used here only as a local test chain (`npx hardhat node`); contracts are compiled by scripts/compile.js
// with the pinned solc-js, never by `hardhat compile`. No account is hard-coded: tests generate their own keys.
//
// Environment:
//   CUSTOMS_LEDGER_HARDHAT_KEYS         comma-separated 0x-prefixed 32-byte hex private keys, each funded at genesis
//                                       (none set: the chain has no funded accounts)
//   CUSTOMS_LEDGER_HARDHAT_BALANCE_WEI  balance of each account in wei (default 10,000 ETH)
//   CUSTOMS_LEDGER_CHAIN_ID             chain id (default 31337)
//   CUSTOMS_LEDGER_HARDHAT_HARDFORK     hardfork (default "merge", i.e. paris: the artifacts' evmVersion)
//   CUSTOMS_LEDGER_HARDHAT_ZERO_GAS     "1": base fee 0, so transactions with gas price 0 are accepted (as on
//                                       Besu/Quorum free-gas networks)
//   CUSTOMS_LEDGER_HARDHAT_BLOCK_TIME   milliseconds: also mine a block at this interval (automine stays on)
//   CUSTOMS_LEDGER_HARDHAT_LOGGING      "1": log every JSON-RPC call to stdout (off by default so a caller that stops
//                                       reading stdout after the "Started HTTP ..." line cannot block the node)
"use strict";

const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

// No telemetry prompt, ever (Hardhat only sends analytics after an explicit "yes" in an interactive terminal).
if (process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT === undefined) process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";

const SOLC_VERSION = require("solc/package.json").version;

function env(name, fallback) {
  const v = process.env[name];
  return v === undefined || v.trim() === "" ? fallback : v.trim();
}

function parseKeys(text) {
  if (!text) return [];
  return text
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0)
    .map((k, i) => {
      if (!/^0x[0-9a-fA-F]{64}$/.test(k)) {
        throw new Error(`CUSTOMS_LEDGER_HARDHAT_KEYS: key #${i + 1} is not a 0x-prefixed 32-byte hex string`);
      }
      return k;
    });
}

function parseInteger(name, text) {
  if (!/^[0-9]+$/.test(text)) throw new Error(`${name} must be a decimal integer, got "${text}"`);
  return text;
}

const balance = parseInteger(
  "CUSTOMS_LEDGER_HARDHAT_BALANCE_WEI",
  env("CUSTOMS_LEDGER_HARDHAT_BALANCE_WEI", "10000000000000000000000")
);
const chainId = Number(parseInteger("CUSTOMS_LEDGER_CHAIN_ID", env("CUSTOMS_LEDGER_CHAIN_ID", "31337")));
const blockTime = Number(parseInteger("CUSTOMS_LEDGER_HARDHAT_BLOCK_TIME", env("CUSTOMS_LEDGER_HARDHAT_BLOCK_TIME", "0")));
const zeroGas = env("CUSTOMS_LEDGER_HARDHAT_ZERO_GAS", "0") === "1";

const hardhatNetwork = {
  chainId,
  hardfork: env("CUSTOMS_LEDGER_HARDHAT_HARDFORK", "merge"),
  accounts: parseKeys(process.env.CUSTOMS_LEDGER_HARDHAT_KEYS).map((privateKey) => ({ privateKey, balance })),
  mining: { auto: true, interval: blockTime },
  allowUnlimitedContractSize: false,
  loggingEnabled: env("CUSTOMS_LEDGER_HARDHAT_LOGGING", "0") === "1",
};
if (zeroGas) {
  hardhatNetwork.initialBaseFeePerGas = 0;
  hardhatNetwork.gasPrice = 0;
}

// Should anyone run `hardhat compile`, use the solc-js of node_modules instead of downloading a compiler.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion === SOLC_VERSION) {
    const solc = require("solc");
    return {
      compilerPath: require.resolve("solc/soljson.js"),
      isSolcJs: true,
      version: args.solcVersion,
      longVersion: solc.version().replace(/\.Emscripten\.clang$/, ""),
    };
  }
  return runSuper();
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  defaultNetwork: "hardhat",
  solidity: {
    version: SOLC_VERSION,
    settings: { evmVersion: "paris", optimizer: { enabled: true, runs: 200 } },
  },
  networks: { hardhat: hardhatNetwork },
  paths: {
    sources: path.join(__dirname, "contracts"),
    // Keep Hardhat's own output away from the committed artifacts/ of scripts/compile.js.
    artifacts: path.join(__dirname, ".hardhat", "artifacts"),
    cache: path.join(__dirname, ".hardhat", "cache"),
  },
};
