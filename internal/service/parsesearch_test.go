package service

import (
	"testing"

	"parley/internal/store/storetest"
)

// TestParseSearchWords: how a word of the search box is read — a date, a
// category in any of three languages, a number (service numbers, rows and
// inquiry references, even a reference whose random characters are all
// letters) or a part of a name.
func TestParseSearchWords(t *testing.T) {
	t.Parallel()
	s := newService(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	for _, c := range []struct {
		typed, birth, number, name string
		cats                       int
	}{
		{typed: "29.12.1997", birth: "1997-12-29"},
		{typed: "1997-12-29", birth: "1997-12-29"},
		{typed: "поранений 1997", birth: "1997", cats: 1},
		{typed: "wounded", cats: 1},
		{typed: "PX-7K3M-9QF2", number: "PX-7K3M-9QF2"},
		{typed: "px-qsax-nwkc", number: "PX-QSAX-NWKC"},
		{typed: "Ткаченко px-qsax-nwkc", number: "PX-QSAX-NWKC", name: "Ткаченко"},
		{typed: "SN-0012", number: "SN-0012"},
		{typed: "Pxaverin", name: "Pxaverin"},
		{typed: "Шевченко Сергій", name: "Шевченко Сергій"},
	} {
		got := s.ParseSearch(c.typed)
		if got.Birth != c.birth || got.Number != c.number || got.NameText != c.name || len(got.Categories) != c.cats {
			t.Errorf("%q: birth %q number %q name %q categories %v; want %q %q %q and %d categories",
				c.typed, got.Birth, got.Number, got.NameText, got.Categories, c.birth, c.number, c.name, c.cats)
		}
	}
}
