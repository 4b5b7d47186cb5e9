package statement

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

const origin = "hub.example/parley"

func sample() *Statement {
	return &Statement{
		Type: ListHandover, ID: "0123456789abcdef0123456789abcdef", Party: "A",
		Time:    time.Date(2026, 5, 16, 9, 30, 0, 500_000_000, time.UTC),
		Subject: "Lk3m9q2x7v4n",
		Attrs: map[string]string{"content_hash": "3b1f", "from": "A", "to": "B", "title": "First list",
			"version": "1", "entry_count": "390", "prev_id": ""},
	}
}

// TestEncodeGolden pins the canonical encoding: a change here changes what
// every party has already signed.
func TestEncodeGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/statement_v1.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
	s, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != sample().ID || !s.Time.Equal(sample().Time) || s.Attrs["title"] != "First list" {
		t.Fatalf("parsed %+v", s)
	}
}

func TestParseRefusesNonCanonical(t *testing.T) {
	canon, _ := os.ReadFile("testdata/statement_v1.txt")
	c := string(canon)
	cases := map[string]string{
		"no final newline":   strings.TrimSuffix(c, "\n"),
		"two final newlines": c + "\n",
		"space after colon":  strings.Replace(c, `"type":"list`, `"type": "list`, 1),
		"keys reordered":     strings.Replace(c, `{"type":"list.handover","id":"0123456789abcdef0123456789abcdef"`, `{"id":"0123456789abcdef0123456789abcdef","type":"list.handover"`, 1),
		"attrs unsorted":     strings.Replace(c, `"content_hash":"3b1f","entry_count":"390"`, `"entry_count":"390","content_hash":"3b1f"`, 1),
		"time not utc":       strings.Replace(c, "2026-05-16T09:30:00.5Z", "2026-05-16T11:30:00.5+02:00", 1),
		"time padded":        strings.Replace(c, "09:30:00.5Z", "09:30:00.500Z", 1),
		"escaped letter":     strings.Replace(c, `"party":"A"`, `"party":"\u0041"`, 1),
		"unknown field":      strings.Replace(c, `"attrs":`, `"extra":"x","attrs":`, 1),
		"duplicate key":      strings.Replace(c, `"party":"A"`, `"party":"A","party":"A"`, 1),
		"upper-case key":     strings.Replace(c, `"party":"A"`, `"Party":"A"`, 1),
		"wrong format":       strings.Replace(c, "parley-statement/v1", "parley-statement/v2", 1),
		"unknown type":       strings.Replace(c, "list.handover", "list.burned", 1),
		"missing attribute":  strings.Replace(c, `"entry_count":"390",`, ``, 1),
		"bad id":             strings.Replace(c, "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef", 1),
		"no attrs":           strings.Replace(c, `"attrs":{"content_hash":"3b1f","entry_count":"390","from":"A","prev_id":"","title":"First list","to":"B","version":"1"}`, `"attrs":null`, 1),
		"trailing data":      c + "{}\n",
		"control character":  strings.Replace(c, "First list", `First\u0007list`, 1),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			if text == c {
				t.Fatal("test case does not change the text")
			}
			if _, err := Parse([]byte(text)); err == nil {
				t.Fatalf("accepted:\n%s", text)
			}
		})
	}
}

func newKey(t *testing.T, name string) (note.Signer, note.Verifier, string, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, skey, vkey
}

func TestSignOpen(t *testing.T) {
	signA, verA, _, _ := newKey(t, KeyName(origin, "A"))
	signB, verB, _, _ := newKey(t, KeyName(origin, "B"))
	_, verA2, _, _ := newKey(t, KeyName(origin, "A")) // same name, other key
	msg, err := Sign(sample(), signA)
	if err != nil {
		t.Fatal(err)
	}
	forB := sample()
	forB.Party = "B"
	byAforB, err := Sign(forB, signA)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(msg, []byte(`"title":"First list"`), []byte(`"title":"Other list"`), 1)
	cases := []struct {
		name string
		msg  []byte
		vs   []note.Verifier
		ok   bool
	}{
		{"signed by its party", msg, []note.Verifier{verA, verB}, true},
		{"key unknown", msg, []note.Verifier{verB}, false},
		{"another key of the same name", msg, []note.Verifier{verA2}, false},
		{"A's key speaking for B", byAforB, []note.Verifier{verA, verB}, false},
		{"tampered text", tampered, []note.Verifier{verA}, false},
		{"no signature", []byte(mustEncode(t, sample())), []note.Verifier{verA}, false},
	}
	_ = signB
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, signer, err := Open(tc.msg, origin, note.VerifierList(tc.vs...))
			if tc.ok {
				if err != nil || s.ID != sample().ID || signer != KeyName(origin, "A") {
					t.Fatalf("Open = %v, %q, %v", s, signer, err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.name != "tampered text" && !errors.Is(err, ErrUnsigned) {
				t.Fatalf("error %v is not ErrUnsigned", err)
			}
		})
	}
}

func mustEncode(t *testing.T, s *Statement) string {
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKeys(t *testing.T) {
	_, _, skey, vkey := newKey(t, KeyName(origin, "A"))
	name, priv, err := PrivateKey(skey)
	if err != nil || name != KeyName(origin, "A") {
		t.Fatalf("PrivateKey: %q %v", name, err)
	}
	pname, pub, err := PublicKey(vkey)
	if err != nil || pname != name || !pub.Equal(priv.Public()) {
		t.Fatalf("PublicKey: %q %v", pname, err)
	}
	if PartyOfKey(origin, name) != "A" || PartyOfKey("other.example", name) != "" || PartyOfKey(origin, origin+"/witness/A") != "" {
		t.Fatal("PartyOfKey")
	}
	if _, _, err := PublicKey(vkey[:len(vkey)-4] + "AAAA"); err == nil {
		t.Fatal("a key with a wrong hash was accepted")
	}
	fp := Fingerprint(vkey)
	if len(fp) != 64+15 || Fingerprint(vkey+"\n") != fp {
		t.Fatalf("fingerprint %q", fp)
	}
	if ReservationHash("") != "" || len(ReservationHash("Row 12")) != 64 {
		t.Fatal("ReservationHash")
	}
}

// FuzzParse checks that whatever Parse accepts re-encodes to exactly the
// same bytes: one statement, one byte string.
func FuzzParse(f *testing.F) {
	canon, _ := os.ReadFile("testdata/statement_v1.txt")
	f.Add(canon)
	f.Add([]byte(Format + "\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		again, err := s.Encode()
		if err != nil {
			t.Fatalf("accepted statement does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted non-canonical text:\n%q\n%q", data, again)
		}
	})
}
