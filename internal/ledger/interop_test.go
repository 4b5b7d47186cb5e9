package ledger_test

// These tests check the log with code that is not Parley's: the Go
// checksum database's signed-note verifier, transparency-dev/merkle's
// RFC 6962 proof verifiers, transparency-dev/formats' checkpoint parser,
// and transparency-dev/tessera's tiles client and fsck. If Parley's
// encoding drifted from the C2SP specifications, they would fail.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/fsck"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/ledger"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// appendBatch appends n simple events in one transaction (several appends
// in one transaction must work too).
func appendBatch(t testing.TB, db *store.DB, l *ledger.Log, from, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		for i := from; i < from+n; i++ {
			if _, err := l.Append(ctx, tx, event(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func tilesServer(t *testing.T, l *ledger.Log, db *store.DB) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", l.TilesHandler(db)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestTesseraClientVerifiesServedLog fetches the served log with tessera's
// client, verifies the checkpoint with x/mod's note verifier, every entry's
// inclusion and the consistency between two checkpoints with
// transparency-dev/merkle, and runs tessera's fsck over the whole log.
func TestTesseraClientVerifiesServedLog(t *testing.T) {
	t.Parallel() // waits on PostgreSQL mostly; overlap the waits
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := b.Open(t)
		l := newLog(t)
		srv := tilesServer(t, l, db)
		u, err := url.Parse(srv.URL + "/log/")
		if err != nil {
			t.Fatal(err)
		}
		f, err := client.NewHTTPFetcher(u, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(l.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		h := rfc6962.DefaultHasher

		// The empty log: its root is SHA-256 of the empty string.
		cp0, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, l.Origin())
		if err != nil {
			t.Fatal(err)
		}
		if cp0.Size != 0 || !bytes.Equal(cp0.Hash, h.EmptyRoot()) {
			t.Errorf("empty checkpoint: size %d root %x, want %x", cp0.Size, cp0.Hash, h.EmptyRoot())
		}

		appendBatch(t, db, l, 0, 200)
		handOver(t, db, l, "L1")
		old, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, l.Origin())
		if err != nil {
			t.Fatal(err)
		}
		appendBatch(t, db, l, 201, 60) // 261 entries: a full bundle and tile, partial ones above
		cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, l.Origin())
		if err != nil {
			t.Fatal(err)
		}
		if old.Size != 201 || cp.Size != 261 {
			t.Fatalf("checkpoint sizes %d, %d", old.Size, cp.Size)
		}

		pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
		if err != nil {
			t.Fatal(err)
		}
		var idx uint64
		for bundle := uint64(0); idx < cp.Size; bundle++ {
			eb, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, bundle, cp.Size)
			if err != nil {
				t.Fatalf("bundle %d: %v", bundle, err)
			}
			for _, e := range eb.Entries {
				if _, err := ledger.ParseEntry(e); err != nil {
					t.Errorf("entry %d: %v", idx, err)
				}
				p, err := pb.InclusionProof(ctx, idx)
				if err != nil {
					t.Fatalf("inclusion proof %d: %v", idx, err)
				}
				if err := proof.VerifyInclusion(h, idx, cp.Size, h.HashLeaf(e), p, cp.Hash); err != nil {
					t.Errorf("entry %d: %v", idx, err)
				}
				idx++
			}
		}
		cproof, err := pb.ConsistencyProof(ctx, old.Size, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(h, old.Size, cp.Size, cproof, old.Hash, cp.Hash); err != nil {
			t.Errorf("consistency %d→%d: %v", old.Size, cp.Size, err)
		}

		bundleHasher := func(b []byte) ([][]byte, error) {
			var eb api.EntryBundle
			if err := eb.UnmarshalText(b); err != nil {
				return nil, err
			}
			out := make([][]byte, len(eb.Entries))
			for i, e := range eb.Entries {
				out[i] = h.HashLeaf(e)
			}
			return out, nil
		}
		if err := fsck.New(l.Origin(), v, f, bundleHasher, fsck.Opts{N: 2}).Check(ctx); err != nil {
			t.Errorf("tessera fsck: %v", err)
		}

		// Parley's own verifier agrees, over HTTP.
		rep, err := ledger.Verify(ctx, &ledger.HTTPSource{URL: srv.URL + "/log", Client: srv.Client()}, l.VerifierKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Size != 261 {
			t.Errorf("verify over HTTP: %s", rep)
		}
	})
}

// TestParleyProofsVerifyIndependently checks proofs that Parley builds (as
// it puts them in receipts and witness requests) with transparency-dev's
// verifiers, and its checkpoints with formats' parser.
func TestParleyProofsVerifyIndependently(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLog(t)
	v, _ := note.NewVerifier(l.VerifierKey())
	h := rfc6962.DefaultHasher
	appendBatch(t, db, l, 0, 70)
	for _, size := range []int64{1, 2, 3, 7, 8, 33, 64, 70} {
		row, err := db.CheckpointAt(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		cp, _, n, err := flog.ParseCheckpoint(row.Note, l.Origin(), v)
		if err != nil || n == nil || cp.Size != uint64(size) {
			t.Fatalf("formats cannot parse checkpoint %d: %v", size, err)
		}
		entries, _ := db.LogEntries(ctx, 0, size)
		for _, e := range entries {
			p, err := ledger.InclusionProof(ctx, db, size, e.Index)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(h, uint64(e.Index), uint64(size), h.HashLeaf(e.Data), hashes(p), cp.Hash); err != nil {
				t.Errorf("inclusion of %d in %d: %v", e.Index, size, err)
			}
		}
		for _, old := range []int64{1, 5, 8, 32, size} {
			if old > size {
				continue
			}
			oldRow, _ := db.CheckpointAt(ctx, old)
			oldCP, _, _, err := flog.ParseCheckpoint(oldRow.Note, l.Origin(), v)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ledger.ConsistencyProof(ctx, db, size, old)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(h, uint64(old), uint64(size), hashes(p), oldCP.Hash, cp.Hash); err != nil {
				t.Errorf("consistency %d→%d: %v", old, size, err)
			}
		}
	}
}

func hashes[T ~[32]byte](p []T) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// TestTilesHandlerHeaders checks the HTTP side of C2SP tlog-tiles: paths,
// status codes, content types and caching.
func TestTilesHandlerHeaders(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLog(t)
	appendBatch(t, db, l, 0, 258)
	handOver(t, db, l, "L1") // 259 entries
	srv := tilesServer(t, l, db)
	immutable := "public, max-age=31536000, immutable"
	tests := []struct {
		path   string
		status int
		ctype  string
		cache  string
		size   int
	}{
		{"/log/checkpoint", 200, "text/plain; charset=utf-8", "no-cache", -1},
		{"/log/tile/0/000", 200, "application/octet-stream", immutable, 256 * 32},
		{"/log/tile/0/001.p/3", 200, "application/octet-stream", "public, max-age=60", 3 * 32},
		{"/log/tile/0/001.p/2", 200, "application/octet-stream", "public, max-age=60", 2 * 32}, // an earlier tree's
		{"/log/tile/1/000.p/1", 200, "application/octet-stream", "public, max-age=60", 32},
		{"/log/tile/entries/000", 200, "application/octet-stream", immutable, -1},
		{"/log/tile/entries/001.p/3", 200, "application/octet-stream", "public, max-age=60", -1},
		{"/log/tile/0/001", 404, "", "", -1},           // not full yet
		{"/log/tile/0/001.p/4", 404, "", "", -1},       // beyond the tree
		{"/log/tile/1/000", 404, "", "", -1},           // not full yet
		{"/log/tile/entries/002.p/1", 404, "", "", -1}, // beyond the tree
		{"/log/tile/0/x000/000", 404, "", "", -1},      // not canonical
		{"/log/tile/0/0", 404, "", "", -1},             // not canonical
		{"/log/tile/8/x001/234/067", 404, "", "", -1},  // the go.sum layout, not C2SP
		{"/log/openings", 404, "", "", -1},
	}
	for _, tt := range tests {
		resp, err := srv.Client().Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tt.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
		if tt.size >= 0 && len(body) != tt.size {
			t.Errorf("%s: %d bytes, want %d", tt.path, len(body), tt.size)
		}
	}
	// The entry bundle holds the entries, length-prefixed, and no salt.
	resp, err := srv.Client().Get(srv.URL + "/log/tile/entries/001.p/3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	es, err := ledger.ParseBundle(body)
	if err != nil || len(es) != 3 {
		t.Fatalf("bundle: %d entries, %v", len(es), err)
	}
	e, err := ledger.ParseEntry(es[2])
	if err != nil || e.Type != ledger.EventListHandedOver || e.Personal == nil || e.Personal.Count != 12 {
		t.Errorf("entry 258: %+v, %v", e, err)
	}
	if r, err := http.Post(srv.URL+"/log/checkpoint", "text/plain", nil); err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", r.StatusCode, err)
	}
}
