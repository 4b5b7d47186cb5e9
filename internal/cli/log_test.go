package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/store"
)

// logFixture makes a data directory with a log of a few events and one
// handed-over list L1 of three persons.
func logFixture(t *testing.T) (dir string, l *ledger.Log) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := ledger.Init(dir, "parley.test/cli", []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	if l, err = ledger.Open(dir); err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []parties.Party{{ID: "A", Name: "Party A"}, {ID: "B", Name: "Party B"}} {
			if err := tx.CreateParty(ctx, p); err != nil {
				return err
			}
		}
		lst := &lists.List{ID: "L1", From: "A", To: "B", Title: "first stage", Version: 1, RootID: "L1", State: lists.Draft}
		for i, name := range []string{"Коваленко", "Бондаренко", "Ткаченко"} {
			lst.Entries = append(lst.Entries, lists.Entry{Row: i + 1, Person: person.Person{Kind: person.KindPOW, Surname: name}})
		}
		if err := tx.InsertList(ctx, lst); err != nil {
			return err
		}
		stored, err := tx.ListWithEntries(ctx, "L1")
		if err != nil {
			return err
		}
		ev, err := ledger.ListHandedOver(stored, "operator:A", time.Now())
		if err != nil {
			return err
		}
		if err := tx.SetListState(ctx, "L1", lists.Draft, lists.HandedOver, ev.Attrs["content_hash"]); err != nil {
			return err
		}
		if _, err := l.Append(ctx, tx, ev); err != nil {
			return err
		}
		_, err = l.Append(ctx, tx, ledger.Event{Type: "list.acknowledged", Actor: "operator:B", Subject: "L1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, l
}

func TestLogCommands(t *testing.T) {
	dir, l := logFixture(t)
	key := l.VerifierKey()
	keyFile := filepath.Join(t.TempDir(), "log.vkey")
	if code, out, errs := run(t, "--data", dir, "log", "key"); code != 0 || strings.TrimSpace(out) != key {
		t.Fatalf("log key: %d %q %s", code, out, errs)
	}
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wkA, _ := l.WitnessVerifierKey("A")
	if code, out, _ := run(t, "--data", dir, "log", "witness-key", "--party", "A"); code != 0 || strings.TrimSpace(out) != wkA {
		t.Errorf("log witness-key: %d %q", code, out)
	}
	code, out, _ := run(t, "log", "checkpoint", "--data", dir)
	if cp, err := ledger.ParseCheckpoint([]byte(out)); code != 0 || err != nil || cp.Size != 2 {
		t.Errorf("log checkpoint: %d %q %v", code, out, err)
	}

	// Cosign by both witnesses, then a receipt that carries both.
	if code, out, errs := run(t, "--data", dir, "log", "cosign"); code != 0 || !strings.Contains(out, "agreed checkpoint: size 2, cosigned by A, B") {
		t.Errorf("log cosign: %d %q %s", code, out, errs)
	}
	receipt := filepath.Join(t.TempDir(), "L1.receipt.json")
	if code, _, errs := run(t, "--data", dir, "log", "receipt", "L1", "-o", receipt); code != 0 {
		t.Fatalf("log receipt: %d %s", code, errs)
	}
	for _, k := range []string{key, keyFile} {
		code, out, errs := run(t, "log", "verify-receipt", receipt, "--key", k, "--witness-key", wkA)
		if code != 0 || !strings.Contains(out, "OK: list L1") || !strings.Contains(out, "cosigned by: parley.test/cli/witness/A") {
			t.Errorf("verify-receipt with %s: %d %q %s", k, code, out, errs)
		}
	}
	data, _ := os.ReadFile(receipt)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	m["list_id"] = "L2"
	bad, _ := json.Marshal(m)
	badFile := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(badFile, bad, 0o644)
	if code, out, _ := run(t, "log", "verify-receipt", badFile, "--key", key); code != 1 || !strings.Contains(out, "INVALID") {
		t.Errorf("verify-receipt of a changed receipt: %d %q", code, out)
	}

	// Verify the data directory, keeping state; then tamper and verify again.
	state := filepath.Join(t.TempDir(), "state.json")
	if code, out, errs := run(t, "--data", dir, "log", "verify", "--key", keyFile, "--state", state); code != 0 || !strings.Contains(out, "OK: 2 entries and 1 lists verified") {
		t.Fatalf("log verify: %d %q %s", code, out, errs)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state file not written: %v", err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, _ := json.Marshal(person.Person{Kind: person.KindPOW, Surname: "Підмінений"})
	if _, err := db.SQL().ExecContext(ctx, `UPDATE list_entries SET person = ? WHERE list_id = 'L1' AND row_no = 2`, string(b)); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "--data", dir, "log", "verify", "--key", key, "--state", state)
	if code != 1 || !strings.Contains(out, "list L1 row 2: content no longer matches commitment in log entry 0") {
		t.Errorf("log verify after tampering: %d %q", code, out)
	}

	// Over HTTP: the tiles and a party's witness.
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", l.TilesHandler(db)))
	wh, err := l.WitnessHandler("A", db)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/witness/A/", http.StripPrefix("/witness/A", wh))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if code, out, errs := run(t, "log", "verify", "--server", srv.URL+"/log", "--key", key, "--witness-key", wkA); code != 0 || !strings.Contains(out, "OK: 2 entries") || !strings.Contains(out, "cosigned by: parley.test/cli/witness/A") {
		t.Errorf("log verify --server: %d %q %s", code, out, errs)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := l.Append(ctx, tx, ledger.Event{Type: "key.added", Actor: "admin:A", Subject: "user:7"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "--data", dir, "log", "cosign", "--party", "A", "--server", srv.URL+"/witness/A"); code != 0 || !strings.Contains(out, "A cosigned the checkpoint for size 3") {
		t.Errorf("log cosign --server: %d %q %s", code, out, errs)
	}
}

func TestLogCommandUsage(t *testing.T) {
	dir, _ := logFixture(t)
	tests := [][]string{
		{"log", "key", "extra"},
		{"log", "witness-key"},
		{"log", "receipt"},
		{"log", "verify-receipt", "file"},
		{"log", "verify"},
		{"log", "cosign", "--server", "http://127.0.0.1:1"},
	}
	for _, args := range tests {
		if code, _, _ := run(t, append([]string{"--data", dir}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := run(t, "--data", t.TempDir(), "log", "key"); code != 1 {
		t.Errorf("log key without keys: exit %d, want 1", code)
	}
}

func TestLogPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /log/checkpoint", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, in := range []string{srv.URL, srv.URL + "/", srv.URL + "/log", srv.URL + "/log/"} {
		if got := logPrefix(context.Background(), srv.Client(), in); got != srv.URL+"/log" {
			t.Errorf("logPrefix(%q) = %q, want %q", in, got, srv.URL+"/log")
		}
	}
}
