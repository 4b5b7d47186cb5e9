package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"parley/internal/ledger"
)

// goldenEntry is the event pinned in testdata/event_v1.txt.
func goldenEntry() *ledger.Entry {
	return &ledger.Entry{
		Type:    "list.handed_over",
		Time:    time.Date(2025, 6, 7, 9, 30, 0, 120000000, time.UTC),
		Actor:   "operator:A",
		Subject: "L7",
		Attrs: map[string]string{
			"to": "B", "from": "A", "title": "Stage 1 <wounded & sick>", "version": "2",
			"content_hash": "sha256:" + strings.Repeat("ab", 32), "entry_count": "640",
		},
		Personal: &ledger.PersonalRoot{Count: 640, Root: tlog.Hash(sha256.Sum256([]byte("root")))},
	}
}

func TestEntryEncodingIsPinned(t *testing.T) {
	want, err := os.ReadFile("testdata/event_v1.txt")
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.TrimSuffix(want, []byte("\n")) // the file ends in a newline, the entry does not
	got, err := goldenEntry().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\ngot  %s\nwant %s", got, want)
	}
	e, err := ledger.ParseEntry(want)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "list.handed_over" || e.Attrs["title"] != "Stage 1 <wounded & sick>" || e.Personal.Count != 640 || !e.Time.Equal(goldenEntry().Time) {
		t.Errorf("parsed %+v", e)
	}
}

func TestParseEntryRejectsNonCanonical(t *testing.T) {
	canon, err := goldenEntry().Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(canon)
	tests := map[string]string{
		"no format line":     strings.TrimPrefix(s, ledger.EventFormat+"\n"),
		"other version":      strings.Replace(s, "parley-event/v1", "parley-event/v2", 1),
		"trailing newline":   s + "\n",
		"space after colon":  strings.Replace(s, `"type":"list`, `"type": "list`, 1),
		"keys reordered":     strings.Replace(s, `{"type":"list.handed_over","time":"2025-06-07T09:30:00.12Z"`, `{"time":"2025-06-07T09:30:00.12Z","type":"list.handed_over"`, 1),
		"attrs unsorted":     strings.Replace(s, `"content_hash"`, `"zz":"1","content_hash"`, 1),
		"html escaped":       strings.Replace(s, "<wounded & sick>", `\u003cwounded \u0026 sick\u003e`, 1),
		"local time":         strings.Replace(s, "2025-06-07T09:30:00.12Z", "2025-06-07T11:30:00.12+02:00", 1),
		"padded fraction":    strings.Replace(s, "09:30:00.12Z", "09:30:00.120Z", 1),
		"unknown field":      strings.Replace(s, `"actor"`, `"extra":"x","actor"`, 1),
		"empty attrs":        ledger.EventFormat + "\n" + `{"type":"x","time":"2025-06-07T09:30:00Z","actor":"a","attrs":{}}`,
		"zero personal":      ledger.EventFormat + "\n" + `{"type":"x","time":"2025-06-07T09:30:00Z","actor":"a","personal":{"count":0,"root":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}}`,
		"two objects":        s + "{}",
		"upper-case type":    strings.Replace(s, "list.handed_over", "List.Handed_over", 1),
		"control char actor": strings.Replace(s, "operator:A", `operator:\tA`, 1),
	}
	if _, err := ledger.ParseEntry(canon); err != nil {
		t.Fatalf("canonical entry rejected: %v", err)
	}
	for name, in := range tests {
		if _, err := ledger.ParseEntry([]byte(in)); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
}

func TestParseCheckpointText(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		text string
		ok   bool
		size int64
	}{
		{"example.org/log\n0\n" + root + "\n", true, 0},
		{"example.org/log\n20852163\n" + root + "\n", true, 20852163},
		{"example.org/log\n3\n" + root + "\nextension line\n", true, 3},
		{"example.org/log\n03\n" + root + "\n", false, 0},
		{"example.org/log\n-3\n" + root + "\n", false, 0},
		{"example.org/log\n3\n" + root, false, 0},
		{"example.org/log\n3\n" + root + "\n\n", false, 0},
		{"example.org/log\n3\nAAAA\n", false, 0},
		{"\n3\n" + root + "\n", false, 0},
		{"example.org/log\n99999999999999999999\n" + root + "\n", false, 0},
		{"example.org/log\n3\n", false, 0},
	}
	for _, tt := range tests {
		origin, size, _, err := ledger.ParseCheckpointText([]byte(tt.text))
		if (err == nil) != tt.ok {
			t.Errorf("%q: err %v, want ok=%v", tt.text, err, tt.ok)
			continue
		}
		if tt.ok && (origin != "example.org/log" || size != tt.size) {
			t.Errorf("%q: %q %d", tt.text, origin, size)
		}
	}
}

func TestTilePaths(t *testing.T) {
	tests := []struct {
		path string
		want ledger.TilePath
	}{
		{"tile/0/000", ledger.TilePath{Level: 0, Index: 0}},
		{"tile/0/x001/x234/067", ledger.TilePath{Level: 0, Index: 1234067}},
		{"tile/1/x001/234.p/17", ledger.TilePath{Level: 1, Index: 1234, Width: 17}},
		{"tile/63/999", ledger.TilePath{Level: 63, Index: 999}},
		{"tile/entries/005", ledger.TilePath{Entries: true, Index: 5}},
		{"tile/entries/x001/000.p/255", ledger.TilePath{Entries: true, Index: 1000, Width: 255}},
	}
	for _, tt := range tests {
		got, err := ledger.ParseTilePath("/" + tt.path)
		if err != nil || got != tt.want {
			t.Errorf("ParseTilePath(%q) = %+v, %v; want %+v", tt.path, got, err, tt.want)
		}
		if s := tt.want.String(); s != tt.path {
			t.Errorf("%+v.String() = %q, want %q", tt.want, s, tt.path)
		}
	}
	bad := []string{
		"tile/0/0", "tile/0/0000", "tile/0/x000/001", "tile/0/001/002", "tile/0/x1/002",
		"tile/00/000", "tile/64/000", "tile/-1/000", "tile/0/000.p/0", "tile/0/000.p/256",
		"tile/0/000.p/08", "tile/0/000.p/", "tile/0/000.p", "tile/8/0/000", "tile/entries/",
		"tile/0/", "tile/0", "checkpoint", "tile/entries/x999/x999/x999/x999/x999/x999/x999/000",
		"tile/0/000/", "tile/0/x001/",
	}
	for _, p := range bad {
		if got, err := ledger.ParseTilePath(p); err == nil {
			t.Errorf("ParseTilePath(%q) accepted: %+v", p, got)
		}
	}
}

func TestReadVerifierKey(t *testing.T) {
	l := newLog(t)
	key := l.VerifierKey()
	path := t.TempDir() + "/log.vkey"
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{key, " " + key + "\n", path} {
		got, err := ledger.ReadVerifierKey(in)
		if err != nil || got != key {
			t.Errorf("ReadVerifierKey(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "no-such-file", "name+zz+AAAA", t.TempDir()} {
		if _, err := ledger.ReadVerifierKey(in); err == nil {
			t.Errorf("ReadVerifierKey(%q) accepted", in)
		}
	}
}
