package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/access"
	"parley/internal/httpx"
	"parley/internal/listfile"
	"parley/internal/service"
)

// TestUploadRefusals checks the answers to hostile uploads: 413 for size,
// 422 for content, each with its coded problem, and nothing stored.
func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, envOptions{opts: Options{MaxUploadBytes: 2 << 20}})
	e.svc.Limits.TempDir = t.TempDir()
	hostileFile := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "listfile", "testdata", "hostile", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big := []byte("Прізвище,Ім'я\n" + strings.Repeat("Коваль,Олена\n", 200_000))
	tests := []struct {
		name      string
		body      []byte
		multipart bool
		status    int
		code      string
		row       int
	}{
		{"bomb_cell.xlsx", hostileFile("bomb_cell.xlsx"), false, 413, listfile.CodeUnzippedSize, 0},
		{"bomb_rows.xlsx", hostileFile("bomb_rows.xlsx"), true, 413, listfile.CodeZipRatio, 0},
		{"bogus_entity.xlsx", hostileFile("bogus_entity.xlsx"), false, 422, listfile.CodeXMLError, 3},
		{"billion_laughs.xlsx", hostileFile("billion_laughs.xlsx"), true, 422, listfile.CodeXMLDTD, 0},
		{"nul.csv", hostileFile("nul.csv"), false, 422, listfile.CodeControlChar, 1},
		{"big.csv", big, false, 413, listfile.CodeFileTooLarge, 0},
		{"big.csv", big, true, 413, "", 0},
	}
	for _, tt := range tests {
		var body io.Reader = bytes.NewReader(tt.body)
		ct := "application/octet-stream"
		path := "/api/v1/lists?to=B&title=x&filename=" + tt.name
		if tt.multipart {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("to", "B")
			mw.WriteField("title", "x")
			fw, _ := mw.CreateFormFile("file", tt.name)
			fw.Write(tt.body)
			mw.Close()
			body, ct, path = &buf, mw.FormDataContentType(), "/api/v1/lists"
		}
		start := time.Now()
		resp, b := e.api(roleOfficerA, "POST", path, body, ct)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: answered in %v", tt.name, d)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%s (multipart %v): status %d, want %d: %s", tt.name, tt.multipart, resp.StatusCode, tt.status, b)
			continue
		}
		if tt.code == "" {
			continue
		}
		var eb httpx.ErrorBody
		if err := json.Unmarshal(b, &eb); err != nil {
			t.Fatalf("%s: %v: %s", tt.name, err, b)
		}
		found := false
		for _, p := range eb.Problems {
			if p.Code == tt.code && (tt.row == 0 || p.Row == tt.row) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: problems %+v, want one coded %s in row %d", tt.name, eb.Problems, tt.code, tt.row)
		}
	}
	ls, err := e.svc.ListLists(context.Background(), access.System)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 0 {
		t.Errorf("%d lists stored from refused uploads", len(ls))
	}
}

// endless is a list without end: only a stopped reader ends its import.
// With slow set it sends as a slow link does, a few kilobytes at a time,
// so that little is in flight when the client goes.
type endless struct {
	n    int
	slow bool
}

func (r *endless) Read(p []byte) (int, error) {
	if r.slow {
		time.Sleep(5 * time.Millisecond)
		p = p[:min(len(p), 4096)]
	}
	if r.n == 0 {
		r.n++
		return copy(p, "Прізвище,Ім'я,Примітка\n"), nil
	}
	row := "Коваль,Олена,примітка " + strings.Repeat("x", 20) + "\n"
	k := 0
	for k+len(row) <= len(p) {
		k += copy(p[k:], row)
		r.n++
	}
	return k, nil
}

// TestUploadStopsWithClient checks that an import stops when its client
// goes away rather than reading on to a limit.
func TestUploadStopsWithClient(t *testing.T) {
	e := newEnv(t)
	e.svc.Limits = listfile.Limits{FileBytes: 1 << 40, Rows: 1 << 30, TempDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api/v1/lists?to=B&title=x&format=csv", &endless{slow: true})
	req.Header.Set("Authorization", "Bearer "+e.tokens[roleOfficerA])
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the endless upload was answered")
	}
	// Closing the test server waits for the handlers still running.
	done := make(chan struct{})
	start := time.Now()
	go func() { e.ts.Close(); close(done) }()
	select {
	case <-done:
		t.Logf("the server's handlers ended %v after the client went", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("the import went on 5 s after its client had gone")
	}
}

// TestImportStopsWithContext checks the same at the service: a reader that
// never ends is abandoned once the context is done.
func TestImportStopsWithContext(t *testing.T) {
	e := newEnv(t)
	e.svc.Limits = listfile.Limits{FileBytes: 1 << 40, Rows: 1 << 30}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.svc.ImportList(ctx, e.actor(roleOfficerA), service.ImportRequest{From: "A", To: "B", Title: "x", Format: listfile.CSV}, &endless{})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stopped after %v", d)
	}
}
