// Command tlog-check verifies transparency-log artefacts (a C2SP signed-note checkpoint, its log signature,
// C2SP cosignature/v1 witness cosignatures, an RFC 9162 inclusion proof and an RFC 9162 consistency proof)
// with Go's own, independent implementations: golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
// It exists to prove that the formats our C# code produces interoperate with another implementation.
//
// Usage: tlog-check CASE.json   (or "-" for standard input; see README.md for the case format)
//
// On success it prints one JSON line to stdout and exits 0; on a failed check it prints
// "tlog-check: <reason>" to stderr and exits 1; on a usage error it exits 2.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	// maxInput caps the case file.
	maxInput = 1 << 20
	// maxProof caps the number of hashes in a proof: a tree of at most 2^63-1 leaves needs at most 63.
	maxProof = 64
	// maxProofTreeSize is the largest tree size for which proofs are checked: for larger sizes
	// tlog's maxpow2 (v0.7.0) never returns (1<<l overflows int64 to 0 and stays below n), so
	// CheckRecord/CheckTree would hang. Found by testing, see README.md.
	maxProofTreeSize = int64(1) << 62

	// algCosignatureV1 is the C2SP signed-note signature type of an Ed25519 cosignature/v1 key.
	algCosignatureV1 = 0x04
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || (strings.HasPrefix(args[0], "-") && args[0] != "-") {
		fmt.Fprintln(stderr, "usage: tlog-check CASE.json   (\"-\" reads the case from standard input)")
		return 2
	}
	var in io.Reader = stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "tlog-check: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, maxInput+1))
	if err != nil {
		fmt.Fprintf(stderr, "tlog-check: reading the case: %v\n", err)
		return 1
	}
	if len(data) > maxInput {
		fmt.Fprintf(stderr, "tlog-check: the case is larger than %d bytes\n", maxInput)
		return 1
	}
	res, err := check(data)
	if err != nil {
		fmt.Fprintf(stderr, "tlog-check: %v\n", err)
		return 1
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "tlog-check: encoding the result: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "tlog-check: writing the result: %v\n", err)
		return 1
	}
	return 0
}

// caseFile is the input. Pointers tell an absent member from a zero one.
type caseFile struct {
	Note        *string          `json:"note"`
	LogKey      *string          `json:"logKey"`
	WitnessKeys []string         `json:"witnessKeys"`
	Inclusion   *inclusionCase   `json:"inclusion"`
	Consistency *consistencyCase `json:"consistency"`
}

type inclusionCase struct {
	Index *int64    `json:"index"`
	Entry *string   `json:"entry"`
	Path  *[]string `json:"path"`
}

type consistencyCase struct {
	OldSize *int64    `json:"oldSize"`
	OldRoot *string   `json:"oldRoot"`
	Proof   *[]string `json:"proof"`
}

// result is the output line; the member order is the output's.
type result struct {
	Origin       string        `json:"origin"`
	Size         int64         `json:"size"`
	Root         string        `json:"root"`
	Log          string        `json:"log"`
	Cosignatures []cosignature `json:"cosignatures"`
	Inclusion    *bool         `json:"inclusion"`
	Consistency  *bool         `json:"consistency"`
}

type cosignature struct {
	Name string `json:"name"`
	Time uint64 `json:"time"`
}

// check runs every check the case asks for and returns what was verified.
func check(data []byte) (*result, error) {
	if err := checkMembers(data, "", map[string][]string{
		"":            {"note", "logKey", "witnessKeys", "inclusion", "consistency"},
		"inclusion":   {"index", "entry", "path"},
		"consistency": {"oldSize", "oldRoot", "proof"},
	}); err != nil {
		return nil, fmt.Errorf("malformed case: %v", err)
	}
	var c caseFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("malformed case: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed case: data after the JSON object")
	}
	if c.Note == nil || *c.Note == "" {
		return nil, errors.New("malformed case: \"note\" is missing")
	}
	if c.LogKey == nil || *c.LogKey == "" {
		return nil, errors.New("malformed case: \"logKey\" is missing")
	}

	// Keys.
	logVerifier, err := note.NewVerifier(*c.LogKey)
	if err != nil {
		return nil, fmt.Errorf("log key %q: %v", *c.LogKey, err)
	}
	verifiers := []note.Verifier{logVerifier}
	witnesses := make(map[nameHash]*cosignatureVerifier)
	for _, vkey := range c.WitnessKeys {
		w, err := newCosignatureVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("witness key %q: %v", vkey, err)
		}
		k := nameHash{w.Name(), w.KeyHash()}
		if _, dup := witnesses[k]; dup || k == (nameHash{logVerifier.Name(), logVerifier.KeyHash()}) {
			return nil, fmt.Errorf("witness key %q: given twice (or equal to the log key's name and key hash)", vkey)
		}
		witnesses[k] = w
		verifiers = append(verifiers, w)
	}

	// The signed note: note.Open checks every signature whose key it knows and fails on a bad one.
	n, err := note.Open([]byte(*c.Note), note.VerifierList(verifiers...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("note is not signed by the log key %s+%08x (it has only signatures by unknown keys: %s)",
				logVerifier.Name(), logVerifier.KeyHash(), describeSigs(unverified.Note.UnverifiedSigs))
		case errors.As(err, &invalid):
			role := "log"
			if _, ok := witnesses[nameHash{invalid.Name, invalid.Hash}]; ok {
				role = "witness (cosignature/v1)"
			}
			return nil, fmt.Errorf("opening the note: %s signature: %v", role, err)
		default:
			return nil, fmt.Errorf("opening the note: %v", err)
		}
	}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == logVerifier.Name() && s.Hash == logVerifier.KeyHash() {
			logSigned = true
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("note is not signed by the log key %s+%08x (verified signatures: %s)",
			logVerifier.Name(), logVerifier.KeyHash(), describeSigs(n.Sigs))
	}
	// note.Open verifies only the first line of each known key and drops its repeats unverified, whereas C2SP
	// signed-note says "If the key name and ID match a known key, verifiers MUST verify the signature": so every
	// line of a known key is verified (again) here, and every verified cosignature line is reported, in note order.
	cosigs, err := verifyEveryLine([]byte(*c.Note), n.Text, logVerifier, witnesses)
	if err != nil {
		return nil, err
	}
	res := &result{Log: logVerifier.Name(), Cosignatures: cosigs}

	// The checkpoint in the note's text.
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %v", err)
	}
	res.Origin, res.Size, res.Root = cp.origin, cp.size, cp.root.String()

	if c.Inclusion != nil {
		if err := checkInclusion(c.Inclusion, cp); err != nil {
			return nil, fmt.Errorf("inclusion proof: %v", err)
		}
		t := true
		res.Inclusion = &t
	}
	if c.Consistency != nil {
		if err := checkConsistency(c.Consistency, cp); err != nil {
			return nil, fmt.Errorf("consistency proof: %v", err)
		}
		t := true
		res.Consistency = &t
	}
	return res, nil
}

// checkMembers refuses what encoding/json lets through: member names differing from the expected ones only in
// case, and members given twice. allowed maps an object's name ("" for the top level) to its member names.
func checkMembers(data []byte, name string, allowed map[string][]string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: left to the decoder (null, or an error it reports)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return err
		}
		known := false
		for _, a := range allowed[name] {
			known = known || a == key
		}
		if !known {
			return fmt.Errorf("unknown member %q", key)
		}
		if seen[key] {
			return fmt.Errorf("member %q given twice", key)
		}
		seen[key] = true
		if name == "" && allowed[key] != nil {
			if err := checkMembers(value, key, allowed); err != nil {
				return fmt.Errorf("%s: %v", key, err)
			}
		}
	}
	return nil
}

// verifyEveryLine verifies every signature line of msg (which note.Open has accepted) made by a known key, and
// returns the cosignatures among them.
func verifyEveryLine(msg []byte, text string, logVerifier note.Verifier, witnesses map[nameHash]*cosignatureVerifier) ([]cosignature, error) {
	// note.Open's text is msg up to its last "\n\n", the second newline excluded; the signature lines follow.
	if !bytes.HasPrefix(msg, []byte(text+"\n")) || len(msg) == len(text)+1 || msg[len(msg)-1] != '\n' {
		return nil, errors.New("internal error: note.Open's text is not a prefix of the note")
	}
	block := msg[len(text)+1:]
	cosigs := []cosignature{}
	for i, line := range strings.Split(string(block[:len(block)-1]), "\n") {
		name, b64 := chop(strings.TrimPrefix(line, "— "), " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) < 5 {
			return nil, fmt.Errorf("internal error: signature line %d not as note.Open parsed it", i+1)
		}
		hash, sig := binary.BigEndian.Uint32(sig[:4]), sig[4:]
		if name == logVerifier.Name() && hash == logVerifier.KeyHash() {
			if !logVerifier.Verify([]byte(text), sig) {
				return nil, fmt.Errorf("signature line %d by the log key %s+%08x does not verify (a repeated line, which note.Open skips)", i+1, name, hash)
			}
		} else if w, ok := witnesses[nameHash{name, hash}]; ok {
			ts, ok := w.verify([]byte(text), sig)
			if !ok {
				return nil, fmt.Errorf("cosignature line %d by witness %s+%08x does not verify (a repeated line, which note.Open skips)", i+1, name, hash)
			}
			cosigs = append(cosigs, cosignature{Name: name, Time: ts})
		}
	}
	return cosigs, nil
}

func checkInclusion(in *inclusionCase, cp *checkpoint) error {
	if in.Index == nil || in.Entry == nil || in.Path == nil {
		return errors.New("\"index\", \"entry\" and \"path\" are all required")
	}
	index := *in.Index
	if index < 0 || index >= cp.size {
		return fmt.Errorf("index %d is outside the tree of size %d", index, cp.size)
	}
	if cp.size > maxProofTreeSize {
		return fmt.Errorf("tree size %d is above 2^62, beyond which golang.org/x/mod/sumdb/tlog cannot check proofs", cp.size)
	}
	entry, err := decodeHash(*in.Entry)
	if err != nil {
		return fmt.Errorf("entry: %v", err)
	}
	path, err := decodeProof(*in.Path)
	if err != nil {
		return fmt.Errorf("path: %v", err)
	}
	// Leaf hash = SHA-256(0x00 || entry), the entry being the 32 bytes themselves.
	leaf := tlog.RecordHash(entry[:])
	if err := tlog.CheckRecord(tlog.RecordProof(path), cp.size, cp.root, index, leaf); err != nil {
		return fmt.Errorf("entry at index %d is not proven in the tree of size %d: %v", index, cp.size, err)
	}
	return nil
}

func checkConsistency(cc *consistencyCase, cp *checkpoint) error {
	if cc.OldSize == nil || cc.OldRoot == nil || cc.Proof == nil {
		return errors.New("\"oldSize\", \"oldRoot\" and \"proof\" are all required")
	}
	oldSize := *cc.OldSize
	// RFC 9162 §2.1.4 defines consistency proofs for 0 < first <= second only.
	if oldSize < 1 || oldSize > cp.size {
		return fmt.Errorf("oldSize %d is not within 1..%d (the checkpoint's size)", oldSize, cp.size)
	}
	if cp.size > maxProofTreeSize {
		return fmt.Errorf("tree size %d is above 2^62, beyond which golang.org/x/mod/sumdb/tlog cannot check proofs", cp.size)
	}
	oldRoot, err := decodeHash(*cc.OldRoot)
	if err != nil {
		return fmt.Errorf("oldRoot: %v", err)
	}
	proof, err := decodeProof(*cc.Proof)
	if err != nil {
		return fmt.Errorf("proof: %v", err)
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), cp.size, cp.root, oldSize, oldRoot); err != nil {
		return fmt.Errorf("tree of size %d is not proven a prefix of the tree of size %d: %v", oldSize, cp.size, err)
	}
	return nil
}

// checkpoint is a parsed C2SP tlog-checkpoint note text.
type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
}

// parseCheckpoint parses text strictly: origin, decimal size without leading zeros, base64 root of 32 bytes,
// then optional non-empty extension lines, each ending in a newline.
func parseCheckpoint(text string) (*checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("text has %d lines, at least 3 needed (origin, size, root)", len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return nil, fmt.Errorf("line %d is empty", i+1)
		}
	}
	cp := &checkpoint{origin: lines[0], extensions: lines[3:]}

	s := lines[1]
	for _, r := range s {
		if r < '0' || r > '9' {
			return nil, fmt.Errorf("size %q is not a decimal number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return nil, fmt.Errorf("size %q has a leading zero", s)
	}
	size, err := strconv.ParseUint(s, 10, 64)
	if err != nil || size > math.MaxInt64 {
		return nil, fmt.Errorf("size %q is out of range (at most 2^63-1 here)", s)
	}
	cp.size = int64(size)

	if cp.root, err = decodeHash(lines[2]); err != nil {
		return nil, fmt.Errorf("root hash: %v", err)
	}
	// RFC 9162 §2.1.1: the hash of the empty tree is SHA-256 of the empty string
	// (tlog.TreeHash(0, …) returns 32 zero bytes instead, so this is checked here).
	if cp.size == 0 && cp.root != tlog.Hash(sha256.Sum256(nil)) {
		return nil, fmt.Errorf("root hash of the empty tree is %s, not SHA-256(\"\")", cp.root)
	}
	return cp, nil
}

// decodeHash decodes canonical standard base64 (padded, no stray bits, no newlines) of exactly 32 bytes.
func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("%q is not base64: %v", s, err)
	}
	if len(b) != tlog.HashSize {
		return h, fmt.Errorf("%q decodes to %d bytes, not %d", s, len(b), tlog.HashSize)
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("%q is not canonical standard base64", s)
	}
	copy(h[:], b)
	return h, nil
}

func decodeProof(list []string) ([]tlog.Hash, error) {
	if len(list) > maxProof {
		return nil, fmt.Errorf("%d hashes, at most %d allowed", len(list), maxProof)
	}
	hashes := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %v", i, err)
		}
		hashes[i] = h
	}
	return hashes, nil
}

type nameHash struct {
	name string
	hash uint32
}

func describeSigs(sigs []note.Signature) string {
	if len(sigs) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range sigs {
		parts = append(parts, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(parts, ", ")
}

// cosignatureVerifier is a note.Verifier for C2SP tlog-cosignature cosignature/v1 (Ed25519, key type 0x04),
// which note.NewVerifier does not know. note.Open hands Verify the note text (up to and including its final
// newline) and the signature bytes after the 4-byte key hash: here an 8-byte big-endian timestamp and a
// 64-byte Ed25519 signature over "cosignature/v1\ntime <timestamp>\n" || text.
type cosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }

func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	_, ok := v.verify(msg, sig)
	return ok
}

// verify is Verify that also returns the cosignature's timestamp.
func (v *cosignatureVerifier) verify(msg, sig []byte) (uint64, bool) {
	if len(sig) != 8+ed25519.SignatureSize {
		return 0, false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > math.MaxInt64 { // tlog-cosignature: "It MUST NOT exceed 2^63 - 1"
		return 0, false
	}
	signed := make([]byte, 0, 40+len(msg))
	signed = append(signed, "cosignature/v1\ntime "...)
	signed = strconv.AppendUint(signed, ts, 10)
	signed = append(signed, '\n')
	signed = append(signed, msg...)
	return ts, ed25519.Verify(v.key, signed, sig[8:])
}

// newCosignatureVerifier parses "<name>+<8 hex key hash>+<base64(0x04 || 32-byte Ed25519 public key)>" with the
// same rules as note.NewVerifier, except for the key type.
func newCosignatureVerifier(vkey string) (*cosignatureVerifier, error) {
	name, rest := chop(vkey, "+")
	hash16, key64 := chop(rest, "+")
	hash, err1 := strconv.ParseUint(hash16, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(key64)
	if len(hash16) != 8 || err1 != nil || err2 != nil || !isValidName(name) || len(key) == 0 {
		return nil, errors.New("malformed verifier key")
	}
	if key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("key type 0x%02x, not 0x%02x (Ed25519 cosignature/v1)", key[0], algCosignatureV1)
	}
	if len(key) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key of %d bytes, not %d", len(key)-1, ed25519.PublicKeySize)
	}
	if want := keyHash(name, key); uint32(hash) != want {
		return nil, fmt.Errorf("key hash %s does not match the key (%08x)", hash16, want)
	}
	return &cosignatureVerifier{name: name, hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

// keyHash is the first 4 bytes, big-endian, of SHA-256(name || "\n" || typed key).
func keyHash(name string, typedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(typedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// isValidName is note's rule for key names: non-empty UTF-8 with no Unicode space and no '+'.
func isValidName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

func chop(s, sep string) (before, after string) {
	i := strings.Index(s, sep)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+len(sep):]
}
