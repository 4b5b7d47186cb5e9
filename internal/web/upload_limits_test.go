package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
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

// answerGuard is how long a test waits for an answer, or for an import to
// stop, before it takes the server for one that never answers. Nothing is
// timed: a loaded machine may be slow, and only a hang fails.
const answerGuard = 60 * time.Second

// countingBody counts the bytes a handler reads from a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// bodyRead wraps a handler so that, once it has returned, it sends on read
// how many bytes of the request body it read.
func bodyRead(next http.Handler, read chan<- int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &countingBody{ReadCloser: r.Body}
		r.Body = c
		next.ServeHTTP(w, r)
		read <- c.n
	})
}

// TestUploadRefusals checks the answers to hostile uploads: 413 for size,
// 422 for content, each with its coded problem, and nothing stored. An
// upload that says it is larger than the limit is refused before a byte of
// it is read; no other is read past the limit.
func TestUploadRefusals(t *testing.T) {
	const maxUpload = 2 << 20
	e := newEnv(t, envOptions{opts: Options{MaxUploadBytes: maxUpload}})
	read := make(chan int64, 1)
	ts := httptest.NewServer(bodyRead(e.srv.Handler(), read))
	defer ts.Close()
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
		ctx, cancel := context.WithTimeout(context.Background(), answerGuard)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+path, body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.tokens[roleOfficerA])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("%s (multipart %v): no answer: %v", tt.name, tt.multipart, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if err != nil {
			t.Fatalf("%s (multipart %v): %v", tt.name, tt.multipart, err)
		}
		n := <-read
		if readMax := int64(maxUpload + 1); req.ContentLength > maxUpload && n > 0 || n > readMax {
			t.Errorf("%s (multipart %v): the server read %d bytes of a %d-byte upload, want none of one declared over the limit and at most %d of any", tt.name, tt.multipart, n, req.ContentLength, readMax)
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
// so that little is in flight when the client goes. With cancel set it
// calls cancel during read number cancelAt, counts the reads after it in
// late, and ends the list 1,000 reads later, so that an import that does
// not stop is caught by the count rather than left running.
type endless struct {
	n    int
	slow bool

	reads, cancelAt, late int
	cancel                func()
}

func (r *endless) Read(p []byte) (int, error) {
	r.reads++
	if r.cancel != nil {
		switch {
		case r.reads == r.cancelAt:
			r.cancel()
		case r.reads > r.cancelAt:
			if r.late++; r.late > 1000 {
				return 0, io.EOF
			}
		}
	}
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
	// Closing the test server waits for the handlers still running; an
	// import going on after its client would keep it from closing.
	done := make(chan struct{})
	go func() { e.ts.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(answerGuard):
		t.Fatalf("the import went on %v after its client had gone", answerGuard)
	}
}

// TestImportStopsWithContext checks the same at the service: a reader that
// never ends is abandoned once the context is done — not a single read
// more is asked of it.
func TestImportStopsWithContext(t *testing.T) {
	e := newEnv(t)
	e.svc.Limits = listfile.Limits{FileBytes: 1 << 40, Rows: 1 << 30}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled well into the list, past the first rows written.
	r := &endless{cancelAt: 10, cancel: cancel}
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.ImportList(ctx, e.actor(roleOfficerA), service.ImportRequest{From: "A", To: "B", Title: "x", Format: listfile.CSV}, r)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(answerGuard):
		t.Fatalf("the import had not stopped %v after its context was cancelled", answerGuard)
	}
	if r.reads < r.cancelAt {
		t.Fatalf("the import ended after %d reads, before the context was cancelled: %v", r.reads, err)
	}
	if err == nil {
		t.Errorf("the import succeeded although its context was cancelled")
	}
	if r.late > 0 {
		t.Errorf("the import read %d more times from the upload after its context was cancelled, want none", r.late)
	}
}
