package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
)

// The hub's side of cosigning: a node cannot be reached by the hub (it
// sits behind its party's firewall), so it pushes its witness's
// cosignature of a checkpoint to POST /hub/v1/cosignatures. The hub keeps
// it only when it verifies, on a checkpoint the hub itself signed, with a
// witness key the mediator trusts for the calling party; it is then stored
// as the cosignatures of witnesses the hub pushes to are, and counts
// toward the agreement policy the same way.

// CosignaturesPath is the hub's endpoint for pushed cosignatures.
const CosignaturesPath = "/hub/v1/cosignatures"

// CosignatureRequest is the body of POST /hub/v1/cosignatures.
type CosignatureRequest struct {
	// Checkpoint is the signed checkpoint as the node verified it (its
	// cosignature lines, if any, are ignored).
	Checkpoint string `json:"checkpoint"`
	// Cosignature is the witness's note signature line, "— name base64".
	Cosignature string `json:"cosignature"`
}

// CosignatureResponse is the hub's answer.
type CosignatureResponse struct {
	Size    int64  `json:"size"`
	Witness string `json:"witness"`
}

// Cosignature refusals.
var (
	ErrUnknownCheckpoint = errors.New("the hub signed no such checkpoint")
	ErrBadCosignature    = errors.New("the cosignature does not verify with a witness key trusted for the party")
)

// AcceptCosignature checks a pushed cosignature and stores it: the
// checkpoint must be the one the hub stored for its size, and the line
// must verify on it with one of witnessKeys (cosignature/v1 verifier
// keys of the calling party). Storing the same cosignature twice is no
// error.
func AcceptCosignature(ctx context.Context, st ledger.CosignStorage, witnessKeys []string, req CosignatureRequest) (*CosignatureResponse, error) {
	cp, err := ledger.ParseCheckpoint([]byte(req.Checkpoint))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownCheckpoint, err)
	}
	row, err := st.CheckpointAt(ctx, cp.Size)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, ErrUnknownCheckpoint
	}
	if err != nil {
		return nil, err
	}
	stored, err := ledger.ParseCheckpoint(row.Note)
	if err != nil {
		return nil, fmt.Errorf("stored checkpoint %d: %w", cp.Size, err)
	}
	if string(stored.Text()) != string(cp.Text()) {
		return nil, ErrUnknownCheckpoint
	}
	line := strings.TrimSpace(req.Cosignature)
	if !strings.HasPrefix(line, "— ") || strings.Contains(line, "\n") {
		return nil, ErrBadCosignature
	}
	msg := append(append(append([]byte{}, row.Note...), line...), '\n')
	for _, k := range witnessKeys {
		v, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			continue
		}
		n, err := note.Open(msg, note.VerifierList(v))
		if err != nil {
			continue
		}
		for _, s := range n.Sigs {
			if s.Name != v.Name() || s.Hash != v.KeyHash() {
				continue
			}
			c := ledger.CosignatureRow{Size: cp.Size, Witness: v.Name(), Line: "— " + s.Name + " " + s.Base64, Time: time.Now().UTC()}
			if err := st.AddCosignature(ctx, c); err != nil {
				return nil, err
			}
			return &CosignatureResponse{Size: cp.Size, Witness: v.Name()}, nil
		}
	}
	return nil, ErrBadCosignature
}

// CosignaturesHandler serves POST /hub/v1/cosignatures. caller checks
// the request's signature (RFC 9421) and returns the party whose key
// signed it with the body it read, or an error to refuse it with 401;
// witnessKeys returns the witness keys the mediator trusts for a party.
func CosignaturesHandler(st ledger.CosignStorage, caller func(*http.Request) (string, []byte, error),
	witnessKeys func(ctx context.Context, party string) ([]string, error), logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 128<<10)
		party, body, err := caller(r)
		if err != nil {
			http.Error(w, "the request is not signed by a trusted party key", http.StatusUnauthorized)
			return
		}
		var req CosignatureRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "malformed request", http.StatusBadRequest)
			return
		}
		keys, err := witnessKeys(r.Context(), party)
		if err != nil {
			logger.Error("read trusted witness keys", "party", party, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		res, err := AcceptCosignature(r.Context(), st, keys, req)
		switch {
		case errors.Is(err, ErrUnknownCheckpoint):
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		case errors.Is(err, ErrBadCosignature):
			logger.Warn("cosignature refused", "party", party)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		case err != nil:
			logger.Error("store cosignature", "party", party, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		logger.Info("cosignature received", "party", party, "size", res.Size, "witness", res.Witness)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
