package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// WitnessStateRow is what a witness keeps per log: the latest checkpoint
// it cosigned.
type WitnessStateRow struct {
	Size       int64
	Root       []byte
	Checkpoint []byte
}

// WitnessStore keeps a witness's state. *store.DB and *store.Tx implement it.
type WitnessStore interface {
	// WitnessState returns the state, and false when the witness never
	// cosigned for the origin.
	WitnessState(ctx context.Context, witness, origin string) (WitnessStateRow, bool, error)
	// SwapWitnessState replaces the state with next only if it still is
	// old (or, when old is nil, only if there is none), atomically, and
	// reports whether it did. This is the check-and-update that C2SP
	// tlog-witness requires, so that two concurrent requests can never
	// roll the witness back.
	SwapWitnessState(ctx context.Context, witness, origin string, old *WitnessStateRow, next WitnessStateRow) (bool, error)
}

// MaxProofLines is the most consistency proof lines an add-checkpoint
// request may carry (C2SP tlog-witness).
const MaxProofLines = 63

// AddCheckpointRequest is the body of a C2SP tlog-witness add-checkpoint
// request: the size of the checkpoint the client believes the witness last
// cosigned, a consistency proof from it, and the new signed checkpoint.
type AddCheckpointRequest struct {
	OldSize    int64
	Proof      tlog.TreeProof
	Checkpoint []byte
}

// Marshal encodes the request body: "old N", one base64 hash per line, an
// empty line, the checkpoint.
func (r *AddCheckpointRequest) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// maxAddCheckpointBody bounds the request body a witness reads.
const maxAddCheckpointBody = 128 << 10

// ParseAddCheckpoint reads an add-checkpoint request body. It checks the
// syntax only; the witness checks the rest.
func ParseAddCheckpoint(body []byte) (*AddCheckpointRequest, error) {
	if len(body) > maxAddCheckpointBody {
		return nil, errors.New("request too large")
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return nil, errors.New("missing old size line")
	}
	s, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return nil, fmt.Errorf("first line %q is not \"old <size>\"", line)
	}
	old, err := parseDecimal(string(s))
	if err != nil {
		return nil, fmt.Errorf("old size: %w", err)
	}
	r := &AddCheckpointRequest{OldSize: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, errors.New("missing empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return nil, fmt.Errorf("more than %d consistency proof lines", MaxProofLines)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof line %d is not a base64 hash", len(r.Proof)+1)
		}
		r.Proof = append(r.Proof, tlog.Hash(h))
	}
	if len(rest) == 0 {
		return nil, errors.New("missing checkpoint")
	}
	r.Checkpoint = rest
	return r, nil
}

// WitnessError is a refusal by a witness, with the HTTP status of C2SP
// tlog-witness: 400 malformed, 403 no valid log signature, 404 unknown
// log, 409 old size or root does not match what the witness holds (Size
// then carries the witness's size), 422 consistency proof does not verify.
type WitnessError struct {
	Status int
	Size   int64 // for 409: the size of the witness's latest cosigned checkpoint
	Msg    string
}

func (e *WitnessError) Error() string {
	if e.Status == http.StatusConflict {
		return fmt.Sprintf("witness: %d %s: %s (witness is at size %d)", e.Status, http.StatusText(e.Status), e.Msg, e.Size)
	}
	return fmt.Sprintf("witness: %d %s: %s", e.Status, http.StatusText(e.Status), e.Msg)
}

func witnessErr(status int, format string, args ...any) *WitnessError {
	return &WitnessError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// WitnessClient is anything that answers add-checkpoint requests: a
// Witness in this process or a witness over HTTP (HTTPWitness).
type WitnessClient interface {
	// AddCheckpoint sends a request body and returns the cosignature
	// lines, or a *WitnessError when the witness refused.
	AddCheckpoint(ctx context.Context, body []byte) ([]byte, error)
}

// Witness cosigns the checkpoints of one log after checking that each is
// consistent with the last one it cosigned: a party's guarantee that the
// log it sees is the one everyone sees, and that nothing was rewritten.
type Witness struct {
	name   string
	signer note.Signer
	log    note.Verifier
	origin string
	st     WitnessStore
	// mu serialises requests within this process; SwapWitnessState makes
	// the update safe across processes too.
	mu sync.Mutex
}

// NewWitness returns a witness with a cosigning key (a signed-note
// private key, "PRIVATE+KEY+name+hash+base64", Ed25519) for the log with
// the given verifier key, keeping its state in st. It serves a party that
// runs its witness away from the mediator's server.
func NewWitness(signerKey, logVerifierKey string, st WitnessStore) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(signerKey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	v, err := note.NewVerifier(logVerifierKey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	return &Witness{name: s.Name(), signer: s, log: v, origin: v.Name(), st: st}, nil
}

// Witness returns the witness of a party, with the party's key from the
// key directory.
func (l *Log) Witness(party string, st WitnessStore) (*Witness, error) {
	if _, ok := l.witnesses[party]; !ok {
		return nil, fmt.Errorf("party %q has no witness key in this log", party)
	}
	skey, err := readKeyFile(filepath.Join(l.dataDir, keysDir), fmt.Sprintf(witnessKeyFmt, party))
	if err != nil {
		return nil, err
	}
	return NewWitness(skey, l.vkey, st)
}

// Name returns the witness's key name.
func (w *Witness) Name() string { return w.name }

// KeyHash returns the hash that, with Name, identifies the witness's key
// in its cosignature lines.
func (w *Witness) KeyHash() uint32 { return w.signer.KeyHash() }

// AddCheckpoint handles one add-checkpoint request body as C2SP
// tlog-witness specifies and returns the cosignature line.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	req, err := ParseAddCheckpoint(body)
	if err != nil {
		return nil, witnessErr(http.StatusBadRequest, "%v", err)
	}
	cp, err := ParseCheckpoint(req.Checkpoint)
	if err != nil {
		return nil, witnessErr(http.StatusBadRequest, "%v", err)
	}
	if cp.Origin != w.origin {
		return nil, witnessErr(http.StatusNotFound, "unknown log %q", cp.Origin)
	}
	n, err := note.Open(req.Checkpoint, note.VerifierList(w.log))
	if err != nil {
		return nil, witnessErr(http.StatusForbidden, "no valid signature by the log's key")
	}
	if req.OldSize > cp.Size {
		return nil, witnessErr(http.StatusBadRequest, "old size %d is larger than the checkpoint size %d", req.OldSize, cp.Size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	cur, exists, err := w.st.WitnessState(ctx, w.name, w.origin)
	if err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	if req.OldSize != cur.Size {
		return nil, &WitnessError{Status: http.StatusConflict, Size: cur.Size, Msg: fmt.Sprintf("old size %d is not the size last cosigned", req.OldSize)}
	}
	switch {
	case req.OldSize == cp.Size:
		if len(req.Proof) != 0 {
			return nil, witnessErr(http.StatusUnprocessableEntity, "a proof between equal sizes must be empty")
		}
		want := emptyRoot
		if exists {
			want = tlog.Hash(cur.Root)
		}
		if cp.Root != want {
			// Two different trees of one size: the log forked.
			slog.Warn("witness refused a checkpoint: same size, different root", "witness", w.name, "size", cp.Size)
			return nil, &WitnessError{Status: http.StatusConflict, Size: cur.Size, Msg: "root hash differs from the one cosigned at the same size"}
		}
	case req.OldSize == 0:
		if len(req.Proof) != 0 {
			return nil, witnessErr(http.StatusUnprocessableEntity, "the proof from size 0 must be empty")
		}
	default:
		if err := tlog.CheckTree(req.Proof, cp.Size, cp.Root, req.OldSize, tlog.Hash(cur.Root)); err != nil {
			slog.Warn("witness refused a checkpoint: consistency proof does not verify", "witness", w.name, "old", req.OldSize, "size", cp.Size)
			return nil, witnessErr(http.StatusUnprocessableEntity, "consistency proof from %d to %d does not verify", req.OldSize, cp.Size)
		}
	}
	next := WitnessStateRow{Size: cp.Size, Root: cp.Root[:], Checkpoint: req.Checkpoint}
	var old *WitnessStateRow
	if exists {
		old = &cur
	}
	ok, err := w.st.SwapWitnessState(ctx, w.name, w.origin, old, next)
	if err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	if !ok {
		// Another process moved the state between our read and write.
		now, _, err := w.st.WitnessState(ctx, w.name, w.origin)
		if err != nil {
			return nil, fmt.Errorf("witness state: %w", err)
		}
		return nil, &WitnessError{Status: http.StatusConflict, Size: now.Size, Msg: "witness state changed concurrently"}
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("cosign: %w", err)
	}
	_, sigs, err := splitNote(signed)
	if err != nil {
		return nil, fmt.Errorf("cosign: %w", err)
	}
	return []byte(strings.Join(sigs, "\n") + "\n"), nil
}

// Handler serves the witness's C2SP tlog-witness submission API: POST
// /add-checkpoint, relative to where it is mounted (use http.StripPrefix).
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxAddCheckpointBody))
		if err != nil {
			http.Error(rw, "request body too large or unreadable", http.StatusBadRequest)
			return
		}
		sig, err := w.AddCheckpoint(r.Context(), body)
		var we *WitnessError
		switch {
		case errors.As(err, &we) && we.Status == http.StatusConflict:
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", we.Size)
		case errors.As(err, &we):
			http.Error(rw, we.Msg, we.Status)
		case err != nil:
			slog.Error("witness failed", "witness", w.name, "err", err)
			http.Error(rw, "internal error", http.StatusInternalServerError)
		default:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(sig)
		}
	})
	return mux
}

// WitnessHandler returns the add-checkpoint handler of a party's witness,
// to mount under a prefix, e.g.
//
//	mux.Handle("/witness/A/", http.StripPrefix("/witness/A", h))
func (l *Log) WitnessHandler(party string, st WitnessStore) (http.Handler, error) {
	w, err := l.Witness(party, st)
	if err != nil {
		return nil, err
	}
	return w.Handler(), nil
}

// HTTPWitness talks to a witness over HTTP: Parley's own or any witness
// that implements C2SP tlog-witness.
type HTTPWitness struct {
	// URL is the witness's submission prefix; the request goes to
	// URL + "/add-checkpoint".
	URL    string
	Client *http.Client // nil: a client with a 30 s timeout
}

// AddCheckpoint posts a request body and maps the answer to cosignature
// lines or a *WitnessError.
func (h *HTTPWitness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(h.URL, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("witness request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness request: %w", err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxNoteSize))
	if err != nil {
		return nil, fmt.Errorf("witness response: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return rb, nil
	case http.StatusConflict:
		we := &WitnessError{Status: resp.StatusCode, Msg: "old size mismatch"}
		if resp.Header.Get("Content-Type") != "text/x.tlog.size" {
			we.Size = -1
			we.Msg = "conflict without a size"
			return nil, we
		}
		n, err := parseDecimal(strings.TrimSuffix(string(rb), "\n"))
		if err != nil {
			return nil, fmt.Errorf("witness sent a 409 with a bad size: %w", err)
		}
		we.Size = n
		return nil, we
	default:
		return nil, &WitnessError{Status: resp.StatusCode, Msg: strings.TrimSpace(string(rb))}
	}
}

// Cosign asks a party's witness to cosign the latest checkpoint, proving
// consistency from the last checkpoint the witness cosigned, checks the
// cosignature with the keys of the party's witnesses (its own, and those
// registered on its behalf), and stores it. It returns the checkpoint with
// all its cosignatures.
func (l *Log) Cosign(ctx context.Context, st CosignStorage, party string, w WitnessClient) (*Checkpoint, error) {
	if _, ok := l.witnesses[party]; !ok {
		return nil, fmt.Errorf("party %q has no witness key in this log", party)
	}
	row, err := st.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, errors.New("the log is empty: nothing to cosign")
	}
	if err != nil {
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	cs, _, err := l.Cosigners(ctx, st)
	if err != nil {
		return nil, err
	}
	accept := partyCosigners(cs, party)
	primary := accept[0] // the party's own witness comes first
	if hw, ok := w.(*HTTPWitness); ok {
		for _, c := range accept {
			if c.URL != "" && strings.TrimSuffix(c.URL, "/") == strings.TrimSuffix(hw.URL, "/") {
				primary = c
			}
		}
	}
	if _, err := l.push(ctx, st, row, primary, accept, w); err != nil {
		return nil, fmt.Errorf("cosignature of %s: %w", party, err)
	}
	return l.CheckpointAt(ctx, st, row.Size)
}
