package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the log's size and root hash in the
// C2SP tlog-checkpoint format: the origin line, the size in decimal and
// the base64 root hash, each ending in a newline, as the text of a C2SP
// signed note. (tlog.FormatTree is not used: it writes the go.sum
// database's origin.)
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Note is the whole signed note: the text, a blank line, the log's
	// signature line and any cosignature lines.
	Note []byte
}

// Text returns the checkpoint's note text (the three lines).
func (c *Checkpoint) Text() []byte { return checkpointText(c.Origin, c.Size, c.Root) }

func checkpointText(origin string, size int64, root tlog.Hash) []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// maxNoteSize bounds the signed notes this package reads from untrusted
// sources: a checkpoint with a hundred signatures fits well within it.
const maxNoteSize = 64 << 10

// ParseCheckpointText reads the text of a checkpoint (without signatures).
// It is strict where the specification is: no leading zeros in the size,
// a 32-byte root, every line ending in a newline. Extension lines are
// allowed and ignored, as C2SP tlog-checkpoint permits.
func ParseCheckpointText(text []byte) (origin string, size int64, root tlog.Hash, err error) {
	if len(text) > maxNoteSize {
		return "", 0, root, errors.New("checkpoint too large")
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return "", 0, root, errors.New("checkpoint text must end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return "", 0, root, errors.New("checkpoint has fewer than three lines")
	}
	origin = lines[0]
	if origin == "" || !validText(origin, 1024) {
		return "", 0, root, errors.New("checkpoint origin line is empty or not printable text")
	}
	size, err = parseDecimal(lines[1])
	if err != nil {
		return "", 0, root, fmt.Errorf("checkpoint size: %w", err)
	}
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, errors.New("checkpoint root hash is not 32 bytes of base64")
	}
	copy(root[:], h)
	for _, ext := range lines[3:] {
		if ext == "" {
			return "", 0, root, errors.New("checkpoint has an empty extension line")
		}
	}
	return origin, size, root, nil
}

// parseDecimal reads a non-negative int64 in ASCII decimal without leading
// zeros (except "0" itself), the form the C2SP specifications require.
func parseDecimal(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("invalid number %q", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}

// splitNote splits a signed note into its text (ending in a newline) and
// its signature lines, without verifying anything.
func splitNote(msg []byte) (text []byte, sigs []string, err error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, nil, errors.New("not a signed note: no blank line before the signatures")
	}
	text, rest := msg[:i+1], msg[i+2:]
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return nil, nil, errors.New("not a signed note: no signature lines")
	}
	for _, l := range strings.Split(string(rest[:len(rest)-1]), "\n") {
		if !strings.HasPrefix(l, "— ") {
			return nil, nil, fmt.Errorf("not a signed note: bad signature line %q", l)
		}
		sigs = append(sigs, l)
	}
	return text, sigs, nil
}

// ParseCheckpoint reads a signed checkpoint without verifying its
// signatures; use OpenCheckpoint for that.
func ParseCheckpoint(msg []byte) (*Checkpoint, error) {
	if len(msg) > maxNoteSize {
		return nil, errors.New("checkpoint too large")
	}
	text, _, err := splitNote(msg)
	if err != nil {
		return nil, err
	}
	origin, size, root, err := ParseCheckpointText(text)
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Origin: origin, Size: size, Root: root, Note: bytes.Clone(msg)}, nil
}

// OpenCheckpoint verifies a signed checkpoint: it must carry a valid
// signature by logVerifier, whose key name must be the origin. Signatures
// by the given witnesses are verified too (an invalid one is an error);
// other signatures are ignored. It returns the checkpoint and the opened
// note, whose Sigs list the verified signatures.
func OpenCheckpoint(msg []byte, logVerifier note.Verifier, witnesses ...note.Verifier) (*Checkpoint, *note.Note, error) {
	cp, err := ParseCheckpoint(msg)
	if err != nil {
		return nil, nil, err
	}
	if cp.Origin != logVerifier.Name() {
		return nil, nil, fmt.Errorf("checkpoint origin %q is not the log %q", cp.Origin, logVerifier.Name())
	}
	vs := append([]note.Verifier{logVerifier}, witnesses...)
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	signed := false
	for _, s := range n.Sigs {
		if s.Name == logVerifier.Name() && s.Hash == logVerifier.KeyHash() {
			signed = true
		}
	}
	if !signed {
		return nil, nil, errors.New("checkpoint signature: not signed by the log's key")
	}
	return cp, n, nil
}

// appendSigLines appends signature lines to a signed note.
func appendSigLines(msg []byte, lines ...string) []byte {
	out := bytes.Clone(msg)
	for _, l := range lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

// cosigners returns the names of the witnesses among ws whose signature on
// the checkpoint verifies.
func cosigners(msg []byte, ws []note.Verifier) []string {
	var names []string
	for _, w := range ws {
		n, err := note.Open(msg, note.VerifierList(w))
		if err != nil {
			continue
		}
		for _, s := range n.Sigs {
			if s.Name == w.Name() && s.Hash == w.KeyHash() {
				names = append(names, w.Name())
			}
		}
	}
	return names
}
