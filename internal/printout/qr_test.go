package printout_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/ledger"
	"parley/internal/printout"
)

// TestListQRCode prints the demo's handed-over list, rasterises the first
// page with poppler's pdftoppm as a printer or a scanner would, and reads
// the QR code back with an independent decoder (ZXing's Go port): it must
// carry the receipt's format, the list, its content hash, the log entry and
// a checkpoint whose signature verifies with the log's key, so that a
// paper copy can be checked against the log without the server.
func TestListQRCode(t *testing.T) {
	pdftotext(t) // poppler-utils, which brings pdftoppm too
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm (poppler-utils) is missing; run scripts/test-deps.sh")
	}
	s, id := demoFirstList(t)
	doc, err := s.ListPrintout(context.Background(), access.System, id, "uk")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Receipt == nil {
		t.Fatal("the demo's first list has no receipt")
	}
	var buf bytes.Buffer
	if _, err := printout.WriteList(&buf, *doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "list.pdf")
	if err := os.WriteFile(pdfPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code could be read from the printed first page: %v", err)
	}
	got := res.GetText()
	r := doc.Receipt
	head := fmt.Sprintf("%s\nlist %s\n%s\nentry %d\n", ledger.ReceiptFormat, id, doc.List.ContentHash, r.Index)
	if !strings.HasPrefix(got, head) {
		t.Fatalf("QR code reads %q, want it to begin %q", got, head)
	}
	checkpoint := strings.TrimPrefix(got, head)
	if checkpoint != r.Checkpoint {
		t.Fatalf("QR code's checkpoint %q differs from the receipt's %q", checkpoint, r.Checkpoint)
	}
	v, err := note.NewVerifier(demoVKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(checkpoint), note.VerifierList(v)); err != nil {
		t.Fatalf("the checkpoint in the QR code does not verify with the log's key: %v", err)
	}
	// A changed byte must not verify: the check above can fail.
	forged := strings.Replace(checkpoint, "\n", "\n ", 1)
	if _, err := note.Open([]byte(forged), note.VerifierList(v)); err == nil {
		t.Fatal("an altered checkpoint verified")
	}
}
