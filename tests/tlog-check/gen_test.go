package main

// Tests of tlog-check against artefacts made here with Go's own libraries (note.GenerateKey, note.Sign,
// tlog.StoredHashes, tlog.TreeHash, tlog.ProveRecord, tlog.ProveTree) and a cosignature/v1 line made with
// crypto/ed25519, plus a check that tlog's proof order is RFC 9162's, against a plain RFC 9162 implementation
// written below from the RFC's definitions (MTH, PATH, PROOF/SUBPROOF and the §2.1.3.2 / §2.1.4.2 verifiers).
//
// Run with ./test.sh (GOPATH mode, offline). With TLOG_CHECK_CASES=DIR set, TestWriteCases also writes the
// cases as DIR/*.json, so that a built binary can be run on them by hand.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ---- an RFC 9162 reference implementation, independent of tlog ----

func refLeaf(entry []byte) tlog.Hash { return sha256.Sum256(append([]byte{0x00}, entry...)) }

func refNode(l, r tlog.Hash) tlog.Hash {
	b := append([]byte{0x01}, l[:]...)
	return sha256.Sum256(append(b, r[:]...))
}

// refSplit is k, the largest power of two smaller than n (n > 1).
func refSplit(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// refMTH is MTH(D[n]) over leaf hashes (RFC 9162 §2.1.1).
func refMTH(d []tlog.Hash) tlog.Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := refSplit(len(d))
	return refNode(refMTH(d[:k]), refMTH(d[k:]))
}

// refPath is PATH(m, D[n]) (RFC 9162 §2.1.3.1), leaf to root.
func refPath(m int, d []tlog.Hash) []tlog.Hash {
	if len(d) == 1 {
		return nil
	}
	k := refSplit(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

// refProof is PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1).
func refProof(m int, d []tlog.Hash) []tlog.Hash { return refSubproof(m, d, true) }

func refSubproof(m int, d []tlog.Hash, b bool) []tlog.Hash {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return []tlog.Hash{refMTH(d)}
	}
	k := refSplit(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

// refVerifyInclusion is RFC 9162 §2.1.3.2.
func refVerifyInclusion(index, size uint64, leaf tlog.Hash, path []tlog.Hash, root tlog.Hash) bool {
	if index >= size {
		return false
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = refNode(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = refNode(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}

// refVerifyConsistency is RFC 9162 §2.1.4.2 (which assumes first < second; equal sizes need an empty proof).
func refVerifyConsistency(first, second uint64, firstHash, secondHash tlog.Hash, path []tlog.Hash) bool {
	if first == 0 || first > second {
		return false
	}
	if first == second {
		return len(path) == 0 && firstHash == secondHash
	}
	if len(path) == 0 {
		return false
	}
	if first&(first-1) == 0 {
		path = append([]tlog.Hash{firstHash}, path...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr = refNode(c, fr)
			sr = refNode(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = refNode(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return fr == firstHash && sr == secondHash && sn == 0
}

// ---- a tree kept with tlog ----

type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func newTree(t testing.TB, entries [][]byte) *memTree {
	m := &memTree{}
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, m)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(m.hashes)) != tlog.StoredHashIndex(0, int64(i)) {
			t.Fatalf("stored hashes out of step at record %d", i)
		}
		m.hashes = append(m.hashes, hs...)
	}
	return m
}

func makeEntries(n int) [][]byte {
	var es [][]byte
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte("entry " + strconv.Itoa(i)))
		es = append(es, h[:])
	}
	return es
}

func TestProofOrderMatchesRFC9162(t *testing.T) {
	const maxN = 70
	entries := makeEntries(maxN)
	tree := newTree(t, entries)
	var leaves []tlog.Hash
	for _, e := range entries {
		if tlog.RecordHash(e) != refLeaf(e) {
			t.Fatal("tlog.RecordHash differs from SHA-256(0x00 || entry)")
		}
		leaves = append(leaves, refLeaf(e))
	}
	for n := 1; n <= maxN; n++ {
		root, err := tlog.TreeHash(int64(n), tree)
		if err != nil {
			t.Fatal(err)
		}
		if root != refMTH(leaves[:n]) {
			t.Fatalf("TreeHash(%d) differs from RFC 9162 MTH", n)
		}
		for m := 0; m < n; m++ {
			p, err := tlog.ProveRecord(int64(n), int64(m), tree)
			if err != nil {
				t.Fatal(err)
			}
			want := refPath(m, leaves[:n])
			if !reflect.DeepEqual([]tlog.Hash(p), want) && !(len(p) == 0 && len(want) == 0) {
				t.Fatalf("ProveRecord(%d, %d) differs from RFC 9162 PATH:\n got %v\nwant %v", n, m, p, want)
			}
			if err := tlog.CheckRecord(tlog.RecordProof(want), int64(n), root, int64(m), leaves[m]); err != nil {
				t.Fatalf("CheckRecord rejects RFC 9162 PATH(%d, %d): %v", m, n, err)
			}
			if !refVerifyInclusion(uint64(m), uint64(n), leaves[m], p, root) {
				t.Fatalf("RFC 9162 §2.1.3.2 rejects tlog's proof of %d in %d", m, n)
			}
		}
		for m := 1; m <= n; m++ {
			p, err := tlog.ProveTree(int64(n), int64(m), tree)
			if err != nil {
				t.Fatal(err)
			}
			want := refProof(m, leaves[:n])
			if !reflect.DeepEqual([]tlog.Hash(p), want) && !(len(p) == 0 && len(want) == 0) {
				t.Fatalf("ProveTree(%d, %d) differs from RFC 9162 PROOF:\n got %v\nwant %v", n, m, p, want)
			}
			old := refMTH(leaves[:m])
			if err := tlog.CheckTree(tlog.TreeProof(want), int64(n), root, int64(m), old); err != nil {
				t.Fatalf("CheckTree rejects RFC 9162 PROOF(%d, %d): %v", m, n, err)
			}
			if !refVerifyConsistency(uint64(m), uint64(n), old, root, p) {
				t.Fatalf("RFC 9162 §2.1.4.2 rejects tlog's consistency proof %d -> %d", m, n)
			}
			// A proof in the reverse order must fail (when reversing changes it).
			if len(p) > 1 {
				rev := make(tlog.TreeProof, len(p))
				for i := range p {
					rev[i] = p[len(p)-1-i]
				}
				if !reflect.DeepEqual(rev, p) && tlog.CheckTree(rev, int64(n), root, int64(m), old) == nil {
					t.Fatalf("CheckTree accepts a reversed proof %d -> %d", m, n)
				}
			}
		}
	}
	// A known difference: tlog's hash of the empty tree is 32 zero bytes, RFC 9162's is SHA-256("").
	empty, _ := tlog.TreeHash(0, tree)
	if empty != (tlog.Hash{}) || refMTH(nil) == (tlog.Hash{}) {
		t.Fatalf("expected tlog.TreeHash(0) = zeros (got %v)", empty)
	}
}

// ---- fixtures ----

const (
	logName     = "example.com/customs-ledger/log"
	witnessName = "witness.example.com/w1"
	cosignTime  = uint64(1700000000)
	treeSize    = 13
)

type fixture struct {
	entries  [][]byte
	tree     *memTree
	logVkey  string
	logSign  note.Signer
	witVkey  string
	witPriv  ed25519.PrivateKey
	other    note.Signer // a key of the same name as the log's, not the log's
	otherWit ed25519.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{entries: makeEntries(treeSize)}
	f.tree = newTree(t, f.entries)
	skey, vkey, err := note.GenerateKey(rand.Reader, logName)
	if err != nil {
		t.Fatal(err)
	}
	f.logVkey = vkey
	if f.logSign, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	oskey, _, err := note.GenerateKey(rand.Reader, logName)
	if err != nil {
		t.Fatal(err)
	}
	if f.other, err = note.NewSigner(oskey); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f.witPriv = priv
	f.witVkey = cosignVkey(witnessName, pub)
	if _, f.otherWit, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	return f
}

// cosignVkey is "<name>+<hash>+<base64(0x04 || key)>", computed here from the spec.
func cosignVkey(name string, pub ed25519.PublicKey) string {
	typed := append([]byte{0x04}, pub...)
	sum := sha256.Sum256(append([]byte(name+"\n"), typed...))
	return fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(sum[:4]), base64.StdEncoding.EncodeToString(typed))
}

func (f *fixture) root(t testing.TB, n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, f.tree)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkpointText(origin string, size int64, root tlog.Hash, ext ...string) string {
	s := fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)
	for _, e := range ext {
		s += e + "\n"
	}
	return s
}

func sign(t testing.TB, text string, signers ...note.Signer) string {
	msg, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

// cosignLine is a cosignature/v1 signature line over text, signed for signedTime and labelled encodedTime.
func cosignLine(name string, priv ed25519.PrivateKey, text string, signedTime, encodedTime uint64) string {
	msg := "cosignature/v1\ntime " + strconv.FormatUint(signedTime, 10) + "\n" + text
	sig := ed25519.Sign(priv, []byte(msg))
	typed := append([]byte{0x04}, priv.Public().(ed25519.PublicKey)...)
	sum := sha256.Sum256(append([]byte(name+"\n"), typed...))
	raw := append(sum[:4:4], make([]byte, 8)...)
	binary.BigEndian.PutUint64(raw[4:], encodedTime)
	raw = append(raw, sig...)
	return "— " + name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

type jsonInclusion struct {
	Index int64    `json:"index"`
	Entry string   `json:"entry"`
	Path  []string `json:"path"`
}

type jsonConsistency struct {
	OldSize int64    `json:"oldSize"`
	OldRoot string   `json:"oldRoot"`
	Proof   []string `json:"proof"`
}

type jsonCase struct {
	Note        string           `json:"note"`
	LogKey      string           `json:"logKey"`
	WitnessKeys []string         `json:"witnessKeys,omitempty"`
	Inclusion   *jsonInclusion   `json:"inclusion,omitempty"`
	Consistency *jsonConsistency `json:"consistency,omitempty"`
}

func hashStrings(hs []tlog.Hash) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.String())
	}
	return out
}

func (f *fixture) inclusion(t testing.TB, index int64) *jsonInclusion {
	p, err := tlog.ProveRecord(treeSize, index, f.tree)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonInclusion{Index: index, Entry: base64.StdEncoding.EncodeToString(f.entries[index]), Path: hashStrings(p)}
}

func (f *fixture) consistency(t testing.TB, oldSize int64) *jsonConsistency {
	p, err := tlog.ProveTree(treeSize, oldSize, f.tree)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonConsistency{OldSize: oldSize, OldRoot: f.root(t, oldSize).String(), Proof: hashStrings(p)}
}

// validCase is a 13-entry checkpoint signed by the log and cosigned by the witness, with an inclusion proof of
// entry 5 and a consistency proof from size 3.
func (f *fixture) validCase(t testing.TB) *jsonCase {
	text := checkpointText(logName, treeSize, f.root(t, treeSize))
	return &jsonCase{
		Note:        sign(t, text, f.logSign) + cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime),
		LogKey:      f.logVkey,
		WitnessKeys: []string{f.witVkey},
		Inclusion:   f.inclusion(t, 5),
		Consistency: f.consistency(t, 3),
	}
}

type outcome struct {
	code           int
	stdout, stderr string
}

func runCase(t testing.TB, c interface{}) outcome {
	var data []byte
	switch v := c.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{path}, nil, &out, &errb)
	return outcome{code, out.String(), errb.String()}
}

// cases is every case the tests run: name → (case, whether it must be accepted, text the refusal must contain).
type namedCase struct {
	name   string
	c      interface{}
	accept bool
	reason string // for a refusal: text its reason must contain; for an acceptance: the cosignatures' names, joined by ","
}

func (f *fixture) cases(t testing.TB) []namedCase {
	root := f.root(t, treeSize)
	text := checkpointText(logName, treeSize, root)
	var cs []namedCase
	add := func(name string, c interface{}, accept bool, reason string) {
		cs = append(cs, namedCase{name, c, accept, reason})
	}
	mod := func(edit func(c *jsonCase)) *jsonCase {
		c := f.validCase(t)
		edit(c)
		return c
	}

	add("valid", f.validCase(t), true, witnessName)
	add("valid-no-witness-keys", mod(func(c *jsonCase) { c.WitnessKeys = nil }), true, "")
	add("valid-note-only", mod(func(c *jsonCase) { c.WitnessKeys, c.Inclusion, c.Consistency = nil, nil, nil }), true, "")
	add("valid-consistency-same-size", mod(func(c *jsonCase) { c.Consistency = f.consistency(t, treeSize) }), true, witnessName)
	add("valid-extension-lines", mod(func(c *jsonCase) {
		text := checkpointText(logName, treeSize, root, "ext one", "ext two")
		c.Note = sign(t, text, f.logSign) + cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime)
	}), true, witnessName)
	add("valid-witness-key-but-no-cosignature", mod(func(c *jsonCase) { c.Note = sign(t, text, f.logSign) }), true, "")
	add("valid-unknown-witness-line-ignored", mod(func(c *jsonCase) {
		c.Note = sign(t, text, f.logSign) + cosignLine("other.example.com/w9", f.otherWit, text, 5, 5)
		c.WitnessKeys = nil
	}), true, "")

	// Refusals the brief asks for.
	flipped := root
	flipped[0] ^= 1
	ftext := checkpointText(logName, treeSize, flipped)
	add("flipped-root-resigned", mod(func(c *jsonCase) {
		c.Note = sign(t, ftext, f.logSign) + cosignLine(witnessName, f.witPriv, ftext, cosignTime, cosignTime)
	}), false, "inclusion proof")
	add("flipped-root-not-resigned", mod(func(c *jsonCase) { c.Note = strings.Replace(c.Note, root.String(), flipped.String(), 1) }),
		false, "invalid signature for key "+logName)
	add("wrong-index", mod(func(c *jsonCase) { c.Inclusion.Index = 6 }), false, "inclusion proof")
	add("bad-path-hash", mod(func(c *jsonCase) {
		h, _ := tlog.ParseHash(c.Inclusion.Path[1])
		h[31] ^= 0x80
		c.Inclusion.Path[1] = h.String()
	}), false, "inclusion proof")
	add("cosignature-other-timestamp", mod(func(c *jsonCase) {
		c.Note = sign(t, text, f.logSign) + cosignLine(witnessName, f.witPriv, text, cosignTime+1, cosignTime)
	}), false, "witness (cosignature/v1) signature")
	add("signed-by-another-key", mod(func(c *jsonCase) {
		c.Note = sign(t, text, f.other) + cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime)
	}), false, "not signed by the log key")
	add("signed-by-another-key-no-witness", mod(func(c *jsonCase) { c.Note, c.WitnessKeys = sign(t, text, f.other), nil }),
		false, "not signed by the log key")

	// More refusals.
	add("cosigned-only", mod(func(c *jsonCase) {
		c.Note = text + "\n" + cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime)
	}), false, "not signed by the log key")
	// A line by another key under the witness's name has another key hash: an unknown key, ignored (not a cosignature).
	add("valid-cosignature-by-another-witness-key-ignored", mod(func(c *jsonCase) {
		c.Note = sign(t, text, f.logSign) + cosignLine(witnessName, f.otherWit, text, cosignTime, cosignTime)
	}), true, "")
	add("cosignature-timestamp-over-2^63", mod(func(c *jsonCase) {
		c.Note = sign(t, text, f.logSign) + cosignLine(witnessName, f.witPriv, text, 1<<63, 1<<63)
	}), false, "witness (cosignature/v1) signature")
	// Repeated lines of a known key: note.Open verifies only the first; the checker verifies all.
	add("valid-cosignature-repeated", mod(func(c *jsonCase) {
		c.Note += cosignLine(witnessName, f.witPriv, text, cosignTime+60, cosignTime+60)
	}), true, witnessName+","+witnessName)
	add("bad-repeated-cosignature", mod(func(c *jsonCase) {
		c.Note += cosignLine(witnessName, f.witPriv, text, cosignTime+61, cosignTime+60)
	}), false, "cosignature line 3 by witness")
	add("bad-repeated-log-signature", mod(func(c *jsonCase) {
		c.Note += sign(t, "other text\n", f.logSign)[len("other text\n\n"):]
	}), false, "signature line 3 by the log key")
	add("wrong-entry", mod(func(c *jsonCase) { c.Inclusion.Entry = base64.StdEncoding.EncodeToString(f.entries[4]) }), false, "inclusion proof")
	add("index-out-of-tree", mod(func(c *jsonCase) { c.Inclusion.Index = treeSize }), false, "outside the tree")
	add("negative-index", mod(func(c *jsonCase) { c.Inclusion.Index = -1 }), false, "outside the tree")
	add("path-too-short", mod(func(c *jsonCase) { c.Inclusion.Path = c.Inclusion.Path[:3] }), false, "inclusion proof")
	add("path-reversed", mod(func(c *jsonCase) {
		p := c.Inclusion.Path
		for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
			p[i], p[j] = p[j], p[i]
		}
	}), false, "inclusion proof")
	add("path-too-long", mod(func(c *jsonCase) {
		for len(c.Inclusion.Path) <= maxProof {
			c.Inclusion.Path = append(c.Inclusion.Path, root.String())
		}
	}), false, "at most 64")
	add("entry-not-32-bytes", mod(func(c *jsonCase) { c.Inclusion.Entry = base64.StdEncoding.EncodeToString(make([]byte, 31)) }), false, "entry")
	add("bad-old-root", mod(func(c *jsonCase) { c.Consistency.OldRoot = f.root(t, 4).String() }), false, "consistency proof")
	add("wrong-old-size", mod(func(c *jsonCase) { c.Consistency.OldSize = 4 }), false, "consistency proof")
	add("old-size-zero", mod(func(c *jsonCase) { c.Consistency.OldSize = 0 }), false, "oldSize 0")
	add("old-size-above-size", mod(func(c *jsonCase) { c.Consistency.OldSize = treeSize + 1 }), false, "oldSize 14")
	add("consistency-proof-reversed", mod(func(c *jsonCase) {
		p := c.Consistency.Proof
		for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
			p[i], p[j] = p[j], p[i]
		}
	}), false, "consistency proof")
	for _, bad := range []struct{ name, size, root, ext string }{
		{"size-leading-zero", "013", root.String(), ""},
		{"size-plus-sign", "+13", root.String(), ""},
		{"size-negative", "-13", root.String(), ""},
		{"size-over-int64", "9223372036854775808", root.String(), ""},
		{"root-short", "13", base64.StdEncoding.EncodeToString(root[:31]), ""},
		{"root-unpadded", "13", strings.TrimRight(root.String(), "="), ""},
		{"root-noncanonical", "13", root.String()[:42] + string(root.String()[42]^1) + "=", ""},
		{"empty-extension-line", "13", root.String(), "\n"},
	} {
		bad := bad
		btext := logName + "\n" + bad.size + "\n" + bad.root + "\n" + bad.ext
		add("checkpoint-"+bad.name, mod(func(c *jsonCase) {
			c.Note = sign(t, btext, f.logSign)
			c.WitnessKeys, c.Inclusion, c.Consistency = nil, nil, nil
		}), false, "checkpoint")
	}
	add("checkpoint-empty-tree-zero-root", mod(func(c *jsonCase) {
		c.Note = sign(t, checkpointText(logName, 0, tlog.Hash{}), f.logSign)
		c.WitnessKeys, c.Inclusion, c.Consistency = nil, nil, nil
	}), false, "empty tree")
	add("valid-empty-tree", mod(func(c *jsonCase) {
		c.Note = sign(t, checkpointText(logName, 0, sha256.Sum256(nil)), f.logSign)
		c.WitnessKeys, c.Inclusion, c.Consistency = nil, nil, nil
	}), true, "")
	add("checkpoint-two-lines", mod(func(c *jsonCase) {
		c.Note = sign(t, logName+"\n13\n", f.logSign)
		c.WitnessKeys, c.Inclusion, c.Consistency = nil, nil, nil
	}), false, "checkpoint")
	// Huge tree: tlog v0.7.0 would loop forever on proofs above 2^62; the checker must refuse at once.
	add("huge-tree-inclusion", mod(func(c *jsonCase) {
		htext := checkpointText(logName, 1<<62+1, root)
		c.Note, c.WitnessKeys, c.Consistency = sign(t, htext, f.logSign), nil, nil
		c.Inclusion.Path = make([]string, 63)
		for i := range c.Inclusion.Path {
			c.Inclusion.Path[i] = root.String()
		}
	}), false, "above 2^62")
	add("note-without-signatures", mod(func(c *jsonCase) { c.Note = text }), false, "malformed note")
	add("note-hyphen-not-em-dash", mod(func(c *jsonCase) { c.Note = strings.Replace(sign(t, text, f.logSign), "—", "-", 1) }), false, "malformed note")
	add("log-key-malformed", mod(func(c *jsonCase) { c.LogKey = "nonsense" }), false, "log key")
	add("log-key-is-a-witness-key", mod(func(c *jsonCase) { c.LogKey = f.witVkey }), false, "log key")
	add("witness-key-is-an-ed25519-note-key", mod(func(c *jsonCase) { c.WitnessKeys = []string{f.logVkey} }), false, "witness key")
	add("witness-key-bad-hash", mod(func(c *jsonCase) {
		parts := strings.SplitN(f.witVkey, "+", 3)
		c.WitnessKeys = []string{parts[0] + "+00000000+" + parts[2]}
	}), false, "witness key")
	add("witness-key-twice", mod(func(c *jsonCase) { c.WitnessKeys = []string{f.witVkey, f.witVkey} }), false, "given twice")
	add("json-unknown-member", `{"note":"x","logKey":"y","extra":1}`, false, "malformed case")
	add("json-trailing-data", `{"note":"x","logKey":"y"} {}`, false, "malformed case")
	add("json-missing-note", `{"logKey":"y"}`, false, "\"note\" is missing")
	add("json-inclusion-path-null", mod(func(c *jsonCase) { c.Inclusion.Path = nil }), false, "are all required")
	add("json-inclusion-without-path", map[string]interface{}{
		"note": f.validCase(t).Note, "logKey": f.logVkey,
		"inclusion": map[string]interface{}{"index": 0, "entry": base64.StdEncoding.EncodeToString(f.entries[0])},
	}, false, "are all required")
	add("json-consistency-without-proof", map[string]interface{}{
		"note": f.validCase(t).Note, "logKey": f.logVkey,
		"consistency": map[string]interface{}{"oldSize": treeSize, "oldRoot": f.root(t, treeSize).String()},
	}, false, "are all required")
	add("json-member-name-case", strings.Replace(mustJSON(t, f.validCase(t)), `"logKey"`, `"LOGKEY"`, 1), false, "unknown member")
	add("json-nested-member-name-case", strings.Replace(mustJSON(t, f.validCase(t)), `"oldSize"`, `"oldsize"`, 1), false, "unknown member")
	add("json-member-twice", strings.Replace(mustJSON(t, f.validCase(t)), `"logKey"`, `"logKey":"x","logKey"`, 1), false, "given twice")
	add("json-index-not-integer", strings.Replace(mustJSON(t, f.validCase(t)), `"index":5`, `"index":5.5`, 1), false, "malformed case")
	return cs
}

func mustJSON(t testing.TB, v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAccepts(t *testing.T) {
	f := newFixture(t)
	o := runCase(t, f.validCase(t))
	if o.code != 0 || o.stderr != "" {
		t.Fatalf("valid case refused: code %d, stderr %q", o.code, o.stderr)
	}
	want := fmt.Sprintf(`{"origin":%q,"size":13,"root":%q,"log":%q,"cosignatures":[{"name":%q,"time":%d}],"inclusion":true,"consistency":true}`+"\n",
		logName, f.root(t, treeSize).String(), logName, witnessName, cosignTime)
	if o.stdout != want {
		t.Fatalf("stdout\n got %q\nwant %q", o.stdout, want)
	}

	// Every index, and every old size, of the 13-entry tree.
	for i := int64(0); i < treeSize; i++ {
		c := f.validCase(t)
		c.Inclusion = f.inclusion(t, i)
		c.Consistency = f.consistency(t, i+1)
		if o := runCase(t, c); o.code != 0 {
			t.Fatalf("index %d / old size %d refused: %s", i, i+1, o.stderr)
		}
	}

	// The case on standard input.
	var out, errb bytes.Buffer
	if code := run([]string{"-"}, strings.NewReader(mustJSON(t, f.validCase(t))), &out, &errb); code != 0 || out.String() != want {
		t.Fatalf("stdin: code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestCases(t *testing.T) {
	f := newFixture(t)
	for _, nc := range f.cases(t) {
		nc := nc
		t.Run(nc.name, func(t *testing.T) {
			o := runCase(t, nc.c)
			if nc.accept {
				if o.code != 0 || o.stderr != "" || !strings.HasPrefix(o.stdout, "{") {
					t.Fatalf("refused: code %d, stderr %q", o.code, o.stderr)
				}
				var r result
				if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
					t.Fatalf("stdout is not a result: %v", err)
				}
				var names []string
				for _, c := range r.Cosignatures {
					names = append(names, c.Name)
				}
				if got := strings.Join(names, ","); got != nc.reason {
					t.Fatalf("cosignatures %q, want %q", got, nc.reason)
				}
				t.Logf("%s", strings.TrimSpace(o.stdout))
				return
			}
			if o.code != 1 || o.stdout != "" || !strings.HasPrefix(o.stderr, "tlog-check: ") || !strings.HasSuffix(o.stderr, "\n") ||
				strings.Count(o.stderr, "\n") != 1 {
				t.Fatalf("not refused as it should be: code %d, stdout %q, stderr %q", o.code, o.stdout, o.stderr)
			}
			if !strings.Contains(o.stderr, nc.reason) {
				t.Fatalf("refused for another reason: %q, wanted one containing %q", o.stderr, nc.reason)
			}
			t.Logf("%s", strings.TrimSpace(o.stderr))
		})
	}
}

func TestCosignatureReported(t *testing.T) {
	f := newFixture(t)
	root := f.root(t, treeSize)
	text := checkpointText(logName, treeSize, root)
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	c := f.validCase(t)
	c.Note = sign(t, text, f.logSign) +
		cosignLine("w2.example", priv2, text, 42, 42) +
		cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime)
	c.WitnessKeys = []string{f.witVkey, cosignVkey("w2.example", pub2)}
	o := runCase(t, c)
	var r result
	if o.code != 0 || json.Unmarshal([]byte(o.stdout), &r) != nil {
		t.Fatalf("code %d, stderr %q", o.code, o.stderr)
	}
	want := []cosignature{{"w2.example", 42}, {witnessName, cosignTime}}
	if !reflect.DeepEqual(r.Cosignatures, want) {
		t.Fatalf("cosignatures %v, want %v", r.Cosignatures, want)
	}
}

// TestNoteOpenSkipsRepeats pins down why the checker verifies signature lines again: note.Open (x/mod v0.7.0)
// accepts a note whose second line by a known key is a bad signature, without verifying it.
func TestNoteOpenSkipsRepeats(t *testing.T) {
	f := newFixture(t)
	text := checkpointText(logName, treeSize, f.root(t, treeSize))
	msg := sign(t, text, f.logSign) + cosignLine(witnessName, f.witPriv, text, cosignTime, cosignTime) +
		cosignLine(witnessName, f.witPriv, text, cosignTime+1, cosignTime)
	lv, err := note.NewVerifier(f.logVkey)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := newCosignatureVerifier(f.witVkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(msg), note.VerifierList(lv, wv))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("note.Open no longer skips a repeated line unverified (err %v): the comment in check() is stale", err)
	}
	c := f.validCase(t)
	c.Note = msg
	if o := runCase(t, c); o.code != 1 || !strings.Contains(o.stderr, "cosignature line 3") {
		t.Fatalf("checker accepted the bad repeated cosignature: code %d, stderr %q", o.code, o.stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"a", "b"}, {"-h"}, {""}} {
		var out, errb bytes.Buffer
		if code := run(args, nil, &out, &errb); code != 2 || out.Len() != 0 || !strings.HasPrefix(errb.String(), "usage:") {
			t.Fatalf("%q: code %d, stderr %q", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{filepath.Join(t.TempDir(), "missing.json")}, nil, &out, &errb); code != 1 {
		t.Fatalf("missing file: code %d", code)
	}
	big := `{"note":"` + strings.Repeat("a", maxInput) + `","logKey":"x"}`
	if o := runCase(t, big); o.code != 1 || !strings.Contains(o.stderr, "larger than") {
		t.Fatalf("big input: code %d, stderr %q", o.code, o.stderr)
	}
}

// TestWriteCases writes the cases as files when TLOG_CHECK_CASES names a folder: DIR/accept-NAME.json and
// DIR/refuse-NAME.json, for running a built binary on them.
func TestWriteCases(t *testing.T) {
	dir := os.Getenv("TLOG_CHECK_CASES")
	if dir == "" {
		t.Skip("TLOG_CHECK_CASES not set")
	}
	f := newFixture(t)
	for _, nc := range f.cases(t) {
		var data []byte
		if s, ok := nc.c.(string); ok {
			data = []byte(s)
		} else {
			data = []byte(mustJSON(t, nc.c))
		}
		prefix := "refuse-"
		if nc.accept {
			prefix = "accept-"
		}
		if err := os.WriteFile(filepath.Join(dir, prefix+nc.name+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
