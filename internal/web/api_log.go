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

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/msg"
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
		{Method: "GET", Pattern: APIPrefix + "/log", Auth: SignedIn, Summary: "The signed log: latest checkpoint, size, root hash, the parties whose witnesses cosigned it, whether all have, and the verifier keys", Out: logState{}, Handler: s.apiLog},
		{Method: "GET", Pattern: APIPrefix + "/lists/{id}/receipt", Auth: SignedIn, Summary: "The receipt proving a list's hand-over, to verify offline with the log's key (those who may read the list)", Response: "application/json", Handler: s.apiReceipt},
		{Method: "POST", Pattern: APIPrefix + "/receipts/verify", Auth: SignedIn, Summary: "Check a receipt (the body) against this log's key and the parties' witness keys; the answer says whether it holds and why not", Body: []string{"application/json"}, Out: receiptCheck{}, Handler: s.apiVerifyReceipt},
	}
}

// errNoLog answers when the installation runs without a signed log.
var errNoLog = &httpError{http.StatusNotFound, msg.NewError(nil, "err.web.no_log")}

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
	Required   []string `json:"required"` // witnesses (registry names, or party ids: any witness of the party) whose cosignatures make a checkpoint agreed
	// Independent is how many independent witnesses (on behalf of no
	// party) must cosign besides; PolicyDefault is true when no policy was
	// set and every party's witness is required.
	Independent   int  `json:"independent"`
	PolicyDefault bool `json:"policy_default"`
	// Witnesses are every witness whose cosignature counts: the parties'
	// own and the registered ones.
	Witnesses []logWitnessState `json:"witnesses"`
	Keys      logKeys           `json:"keys"`
}

// logWitnessState is one witness, for the page and the API.
type logWitnessState struct {
	Name     string `json:"name"`     // registry name; a party's own witness is named by the party id
	KeyName  string `json:"key_name"` // the name in its cosignature lines
	Key      string `json:"key"`      // cosignature/v1 verifier key
	URL      string `json:"url,omitempty"`
	Party    string `json:"party,omitempty"` // on whose behalf it cosigns; "" for an independent witness
	Own      bool   `json:"own"`             // a party's own witness, its key kept with the log
	Cosigned bool   `json:"cosigned"`        // it cosigned the latest checkpoint
	// LastPush is the outcome of the latest push to a registered witness.
	LastPush   string    `json:"last_push,omitempty"`
	LastPushAt time.Time `json:"last_push_at,omitzero"`
}

// logState reads the log's latest checkpoint and its cosignatures.
func (s *Server) logState(ctx context.Context) (*logState, error) {
	if !s.svc.HasLog() {
		return nil, errNoLog
	}
	ls, err := s.svc.LogState(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.svc.Witnesses(ctx)
	if err != nil {
		return nil, fmt.Errorf("log witnesses: %w", err)
	}
	cp, cs, pol := ls.Checkpoint, ls.Cosigners, ls.Policy
	st := &logState{
		Origin: cp.Origin, Size: cp.Size, Entries: ls.Entries,
		RootHash: base64.StdEncoding.EncodeToString(cp.Root[:]), Checkpoint: string(cp.Note),
		Cosigners: []string{}, Parties: ls.Parties, Required: slices.Clone(pol.Required),
		Independent: pol.Independent, PolicyDefault: pol.Default, Witnesses: []logWitnessState{},
		Keys: logKeys{Log: ls.LogKey, Witnesses: map[string]string{}},
	}
	signed := ledger.CosignedBy(cp.Note, cs)
	for _, c := range cs {
		v := logWitnessState{Name: c.Name, KeyName: c.KeyName, Key: c.Key, URL: c.URL, Party: c.Party, Own: c.Builtin, Cosigned: slices.Contains(signed, c.Name)}
		for _, w := range ws {
			if w.Name == c.Name && !c.Builtin {
				v.LastPush, v.LastPushAt = w.LastStatus, w.LastAttempt
			}
		}
		st.Witnesses = append(st.Witnesses, v)
	}
	for _, p := range st.Parties {
		st.Keys.Witnesses[p] = ls.WitnessKeys[p]
		// A party has cosigned when its own witness or one registered on
		// its behalf has.
		if slices.ContainsFunc(cs, func(c ledger.Cosigner) bool { return c.Party == p && slices.Contains(signed, c.Name) }) {
			st.Cosigners = append(st.Cosigners, p)
		}
	}
	if ls.Agreed != nil {
		st.AgreedSize = ls.Agreed.Size
		st.Agreed = ls.Agreed.Size == cp.Size
	}
	return st, nil
}

func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) error {
	st, err := s.logState(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// logReadableList returns the header of a list the actor may read; any
// other id is not found. The service checks the one list.
func (s *Server) logReadableList(ctx context.Context, actor access.Actor, id string) (*lists.List, error) {
	return s.svc.ReadableList(ctx, actor, id)
}

// receipt builds the receipt of a handed-over list the actor may read.
func (s *Server) listReceipt(ctx context.Context, actor access.Actor, id string) ([]byte, error) {
	rc, err := s.svc.ListReceipt(ctx, actor, id)
	if errors.Is(err, service.ErrNoLog) {
		return nil, errNoLog
	}
	if err != nil {
		return nil, err
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
// asks each witness's key (the parties' own and the registered ones)
// whether its cosignature is there.
func (s *Server) checkReceipt(ctx context.Context, data []byte) *receiptCheck {
	out := &receiptCheck{CosignedBy: []string{}}
	rc, err := ledger.VerifyReceipt(data, s.svc.LogVerifierKey())
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
	// Who cosigned: the parties' own witnesses and the registered ones;
	// agreed under the policy in effect.
	cs, pol, err := s.svc.LogCosigners(ctx)
	if err != nil {
		s.log.Warn("receipt check: read witnesses", "err", err)
		return out
	}
	out.CosignedBy = append(out.CosignedBy, ledger.CosignedBy([]byte(rc.Checkpoint), cs)...)
	out.Agreed = pol.Satisfied(cs, out.CosignedBy)
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
		return nil, badRequest("err.web.read_receipt", "reason", err.Error())
	}
	if len(b) > maxReceiptBytes {
		return nil, &httpError{http.StatusRequestEntityTooLarge, msg.NewError(nil, "err.web.receipt_large", "bytes", maxReceiptBytes)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, unprocessable("err.web.receipt_body")
	}
	return b, nil
}

func (s *Server) apiVerifyReceipt(w http.ResponseWriter, r *http.Request) error {
	if !s.svc.HasLog() {
		return errNoLog
	}
	b, err := readReceipt(r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.checkReceipt(r.Context(), b))
	return nil
}
