package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/service"
)

// The signed log, as the workbench shows it: the latest checkpoint and who
// cosigned it, the keys to verify it with, receipts of hand-overs and a
// check of a receipt someone brings. The log holds no personal data, so
// everyone signed in may read it; a receipt is given to those who may read
// its list. The tiles themselves are served under /log/ by the ledger's own
// handler.

func init() { addRoutes(logAPIRoutes) }

func logAPIRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: APIPrefix + "/log", Auth: SignedIn, Summary: "The signed log: latest checkpoint, size, root hash, the parties whose witnesses cosigned it, whether all have, and the verifier keys", Handler: s.apiLog},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}/receipt", Auth: SignedIn, Summary: "The receipt proving a list's hand-over, to verify offline with the log's key (those who may read the list)", Response: "application/json", Handler: s.apiReceipt},
		{Method: "POST", Pattern: APIPrefix + "/receipts/verify", Auth: SignedIn, Summary: "Check a receipt (the body) against this log's key and the parties' witness keys; the answer says whether it holds and why not", Body: []string{"application/json"}, Handler: s.apiVerifyReceipt},
	}
}

// errNoLog answers when the installation runs without a signed log.
var errNoLog = &httpError{http.StatusNotFound, errors.New("this installation keeps no signed log")}

// logKeys are the public keys a verifier needs.
type logKeys struct {
	Log       string            `json:"log"`       // signed-note verifier key of the log
	Witnesses map[string]string `json:"witnesses"` // cosignature/v1 verifier key by party
}

// logState describes the log for the page and the API.
type logState struct {
	Origin     string   `json:"origin"`
	Size       int64    `json:"size"`      // entries in the latest checkpoint's tree
	Entries    int64    `json:"entries"`   // entries stored now
	RootHash   string   `json:"root_hash"` // base64, as in the checkpoint
	Checkpoint string   `json:"checkpoint"`
	Cosigners  []string `json:"cosigners"` // parties whose witnesses cosigned the latest checkpoint
	Agreed     bool     `json:"agreed"`    // every required party has cosigned the latest checkpoint
	// AgreedSize is the size of the latest checkpoint every required party
	// cosigned, 0 when there is none yet.
	AgreedSize int64    `json:"agreed_size"`
	Parties    []string `json:"parties"`  // parties with a witness
	Required   []string `json:"required"` // parties whose cosignatures make a checkpoint agreed
	Keys       logKeys  `json:"keys"`
}

// logState reads the log's latest checkpoint and its cosignatures.
func (s *Server) logState(ctx context.Context) (*logState, error) {
	lg := s.svc.Ledger
	if lg == nil {
		return nil, errNoLog
	}
	// A halted log hands out no checkpoint (see service.CheckLog).
	if err := s.svc.Halted(); err != nil {
		return nil, err
	}
	cp, err := lg.IssueCheckpoint(ctx, s.svc.DB)
	if err != nil {
		return nil, fmt.Errorf("log checkpoint: %w", err)
	}
	agreedCp, _, agreed, err := lg.Agreed(ctx, s.svc.DB)
	if err != nil {
		return nil, fmt.Errorf("log agreement: %w", err)
	}
	entries, err := s.svc.DB.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("log size: %w", err)
	}
	st := &logState{
		Origin: cp.Origin, Size: cp.Size, Entries: entries,
		RootHash: base64.StdEncoding.EncodeToString(cp.Root[:]), Checkpoint: string(cp.Note),
		Cosigners: []string{}, Parties: lg.Parties(), Required: requiredParties(lg),
		Keys: logKeys{Log: lg.VerifierKey(), Witnesses: map[string]string{}},
	}
	for _, p := range st.Parties {
		wk, err := lg.WitnessVerifierKey(p)
		if err != nil {
			return nil, err
		}
		st.Keys.Witnesses[p] = wk
		if ok, err := cosignedBy(cp.Note, wk); err != nil {
			return nil, err
		} else if ok {
			st.Cosigners = append(st.Cosigners, p)
		}
	}
	if agreed {
		st.AgreedSize = agreedCp.Size
		st.Agreed = agreedCp.Size == cp.Size
	}
	return st, nil
}

// requiredParties are the parties whose cosignatures the log's policy
// requires: those configured, or all.
func requiredParties(lg *ledger.Log) []string {
	if r := lg.Config().Required; len(r) > 0 {
		return slices.Sorted(slices.Values(r))
	}
	return lg.Parties()
}

// cosignedBy reports whether a signed checkpoint carries a valid
// cosignature by the witness with the given cosignature/v1 verifier key.
func cosignedBy(msg []byte, witnessKey string) (bool, error) {
	v, err := fnote.NewVerifierForCosignatureV1(witnessKey)
	if err != nil {
		return false, fmt.Errorf("witness key: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return false, nil // no signature by this witness verifies
	}
	for _, sig := range n.Sigs {
		if sig.Name == v.Name() && sig.Hash == v.KeyHash() {
			return true, nil
		}
	}
	return false, nil
}

func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) error {
	st, err := s.logState(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// logReadableList returns the header of a list the actor may read, by way of
// the service's own selection of visible lists; any other id is not found.
func (s *Server) logReadableList(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	all, err := s.svc.ListLists(ctx, actor)
	if errors.Is(err, access.ErrForbidden) {
		return nil, fmt.Errorf("list %q: %w", id, service.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	for _, l := range all {
		if l.ID == id {
			return l, nil
		}
	}
	return nil, fmt.Errorf("list %q: %w", id, service.ErrNotFound)
}

// receipt builds the receipt of a handed-over list the actor may read.
func (s *Server) listReceipt(ctx context.Context, actor access.Actor, id string) ([]byte, error) {
	l, err := s.logReadableList(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if l.State == lists.Draft {
		return nil, fmt.Errorf("list %s has not been handed over, so it has no receipt: %w", id, service.ErrNotFound)
	}
	if s.svc.Ledger == nil {
		return nil, errNoLog
	}
	rc, err := s.svc.Ledger.IssueReceipt(ctx, s.svc.DB, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fmt.Errorf("list %s: no hand-over in the log: %w", id, service.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("receipt of list %s: %w", id, err)
	}
	return rc.Marshal()
}

// writeListReceipt sends a receipt as a file download.
func (s *Server) writeListReceipt(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	b, err := s.listReceipt(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "receipt-" + id + ".json"}))
	_, err = w.Write(b)
	return err
}

func (s *Server) apiReceipt(w http.ResponseWriter, r *http.Request) error {
	return s.writeListReceipt(w, r)
}

// receiptCheck is the outcome of checking a receipt, in terms a reader
// can act on: what it proves when it holds, and why not when it does not.
type receiptCheck struct {
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
	// What a valid receipt proves.
	Log          string    `json:"log,omitempty"`
	ListID       string    `json:"list_id,omitempty"`
	Title        string    `json:"title,omitempty"`
	Version      int       `json:"version,omitempty"`
	From         string    `json:"from,omitempty"`
	To           string    `json:"to,omitempty"`
	ContentHash  string    `json:"content_hash,omitempty"`
	EntryCount   int       `json:"entry_count,omitempty"`
	HandedOverAt time.Time `json:"handed_over_at,omitzero"`
	Index        int64     `json:"index"`
	TreeSize     int64     `json:"tree_size"`
	// CosignedBy are the parties whose witnesses cosigned the receipt's
	// checkpoint; Agreed is true when every required party has.
	CosignedBy []string `json:"cosigned_by"`
	Agreed     bool     `json:"agreed"`
}

// maxReceiptBytes bounds an uploaded receipt; real ones are a few KiB.
const maxReceiptBytes = 1 << 20

// checkReceipt verifies a receipt against this log's verifier key, then
// asks each party's witness key in turn whether its cosignature is there.
func (s *Server) checkReceipt(data []byte) *receiptCheck {
	lg := s.svc.Ledger
	out := &receiptCheck{CosignedBy: []string{}}
	rc, err := ledger.VerifyReceipt(data, lg.VerifierKey())
	if err != nil {
		out.Problem = err.Error()
		return out
	}
	out.Valid = true
	out.Log, out.ListID, out.ContentHash, out.Index, out.TreeSize = rc.Log, rc.ListID, rc.ContentHash, rc.Index, rc.Size
	if ev := rc.Event; ev != nil {
		out.HandedOverAt = ev.Time
		out.From, out.To, out.Title = ev.Attrs["from"], ev.Attrs["to"], ev.Attrs["title"]
		out.Version, _ = strconv.Atoi(ev.Attrs["version"])
		out.EntryCount, _ = strconv.Atoi(ev.Attrs["entry_count"])
	}
	for _, p := range lg.Parties() {
		wk, err := lg.WitnessVerifierKey(p)
		if err != nil {
			continue
		}
		if _, err := ledger.VerifyReceipt(data, lg.VerifierKey(), wk); err == nil {
			out.CosignedBy = append(out.CosignedBy, p)
		}
	}
	out.Agreed = true
	for _, p := range requiredParties(lg) {
		out.Agreed = out.Agreed && slices.Contains(out.CosignedBy, p)
	}
	return out
}

// readReceipt reads at most maxReceiptBytes (and one more, so that a
// larger file is refused rather than cut).
func readReceipt(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxReceiptBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("cannot read the receipt: %v", err)
	}
	if len(b) > maxReceiptBytes {
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Errorf("a receipt is at most %d bytes", maxReceiptBytes)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, &httpError{http.StatusUnprocessableEntity, errors.New("send the receipt file as the request body")}
	}
	return b, nil
}

func (s *Server) apiVerifyReceipt(w http.ResponseWriter, r *http.Request) error {
	if s.svc.Ledger == nil {
		return errNoLog
	}
	b, err := readReceipt(r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.checkReceipt(b))
	return nil
}
