// Hash functions (FIPS 180-4 SHA-2, Ethereum's Keccak-256) from @noble/hashes: pure JS, same in Node and browsers.
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

export const sha256 = (bytes) => nobleSha256(bytes);
export const sha384 = (bytes) => nobleSha384(bytes);
export const sha512 = (bytes) => nobleSha512(bytes);
export const keccak256 = (bytes) => keccak_256(bytes);
