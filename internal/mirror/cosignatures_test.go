package mirror_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/mirror"
	"parley/internal/store/storetest"
)

// TestHubAcceptsCosignatures: node A's witness cosigns what its mirror
// verified and pushes it to the hub's endpoint; the hub stores it only
// from party A, with A's trusted witness key, on a checkpoint it signed.
func TestHubAcceptsCosignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		h := newHub(t, b)
		h.appendTo(h.db, 0, 6, event)
		wsk, wvk, err := note.GenerateKey(nil, ledger.WitnessName(testOrigin, "A"))
		if err != nil {
			t.Fatal(err)
		}
		_, otherVK, err := note.GenerateKey(nil, ledger.WitnessName(testOrigin, "B"))
		if err != nil {
			t.Fatal(err)
		}
		trusted := map[string][]string{"A": {wvk}, "B": {otherVK}}
		mux := http.NewServeMux()
		mux.Handle("POST "+mirror.CosignaturesPath, mirror.CosignaturesHandler(h.db,
			func(r *http.Request) (string, []byte, error) {
				body, err := io.ReadAll(r.Body)
				if p := r.Header.Get("X-Test-Party"); p != "" && err == nil {
					return p, body, nil
				}
				return "", nil, errors.New("unsigned")
			},
			func(_ context.Context, party string) ([]string, error) { return trusted[party], nil },
			slog.New(slog.DiscardHandler)))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		post := func(party string, req mirror.CosignatureRequest) int {
			body, _ := json.Marshal(req)
			r, _ := http.NewRequest("POST", srv.URL+mirror.CosignaturesPath, bytes.NewReader(body))
			if party != "" {
				r.Header.Set("X-Test-Party", party)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		db := openDB(t, b)
		w, err := ledger.NewWitness(wsk, h.logKey(), db)
		if err != nil {
			t.Fatal(err)
		}
		var got mirror.CosignatureRequest
		m, err := mirror.New(db, mirror.Options{HubURL: h.srv.URL, LogKey: h.logKey(), Party: "A", Witness: w, WitnessStore: db,
			Logger: slog.New(slog.DiscardHandler),
			PushCosignature: func(_ context.Context, cp []byte, line string) error {
				got = mirror.CosignatureRequest{Checkpoint: string(cp), Cosignature: line}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		forged := got
		forged.Cosignature = strings.Replace(got.Cosignature, " ", " x", 1)
		tampered := got
		tampered.Checkpoint = strings.Replace(got.Checkpoint, "\n6\n", "\n5\n", 1)
		tests := []struct {
			name  string
			party string
			req   mirror.CosignatureRequest
			want  int
		}{
			{"unsigned request", "", got, http.StatusUnauthorized},
			{"party B pushing A's witness", "B", got, http.StatusForbidden},
			{"forged line", "A", forged, http.StatusForbidden},
			{"a checkpoint the hub did not sign", "A", tampered, http.StatusNotFound},
			{"party A", "A", got, http.StatusOK},
			{"again", "A", got, http.StatusOK},
		}
		for _, tc := range tests {
			if code := post(tc.party, tc.req); code != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
			}
		}
		cp, err := h.lg.Checkpoint(ctx, h.db)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cp.Note), got.Cosignature) || strings.Count(string(cp.Note), "— ") != 2 {
			t.Fatalf("the hub serves %q", cp.Note)
		}
		// The next sync sees its cosignature served and pushes nothing.
		got = mirror.CosignatureRequest{}
		if res, err := m.Sync(ctx); err != nil || res.CosignedSize != 6 || got.Cosignature != "" {
			t.Fatalf("second sync: %+v %v, pushed %q", res, err, got.Cosignature)
		}
	})
}
