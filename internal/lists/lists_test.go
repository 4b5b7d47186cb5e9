package lists

import (
	"strings"
	"testing"

	"parley/internal/person"
)

func entry(row int, surname, given string, birth string, cats ...string) Entry {
	d, _ := person.ParseISODate(birth)
	p := person.Person{Kind: person.KindPOW, Surname: surname, GivenNames: given, BirthDate: d, Categories: cats}
	p.Normalize()
	return Entry{Row: row, Person: p}
}

func TestContentHashChangesWithAnyField(t *testing.T) {
	base := &List{ID: "L1", From: "A", To: "B", Title: "first", Version: 1,
		Entries: []Entry{entry(1, "Шевченко", "Сергій", "1990-01-02", "wounded"), entry(2, "Коваль", "Петро", "2001-03-04")}}
	h0, err := ContentHash(base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h0, "sha256:") || len(h0) != 7+64 {
		t.Fatalf("hash %q has the wrong form", h0)
	}
	mutations := map[string]func(l *List){
		"surname":  func(l *List) { l.Entries[0].Surname = "Шевченкo" },
		"category": func(l *List) { l.Entries[1].Categories = []string{"youth"} },
		"order":    func(l *List) { l.Entries[0], l.Entries[1] = l.Entries[1], l.Entries[0] },
		"title":    func(l *List) { l.Title = "second" },
		"to":       func(l *List) { l.To = "C" },
		"removed":  func(l *List) { l.Entries = l.Entries[:1] },
	}
	for name, mutate := range mutations {
		l := *base
		l.Entries = append([]Entry(nil), base.Entries...)
		mutate(&l)
		h, _ := ContentHash(&l)
		if h == h0 {
			t.Errorf("changing %s did not change the hash", name)
		}
	}
	again, _ := ContentHash(base)
	if again != h0 {
		t.Error("hash is not deterministic")
	}
}

func TestCompare(t *testing.T) {
	a := &List{ID: "v1", Entries: []Entry{
		entry(1, "Шевченко", "Сергій", "1990-01-02", "wounded"),
		entry(2, "Коваль", "Петро", "2001-03-04"),
		entry(3, "Бондар", "Іван", "1985-05-06"),
	}}
	b := &List{ID: "v2", Entries: []Entry{
		entry(1, "Шевченко", "Сергій", "1990-01-02", "seriously_ill", "wounded"),
		entry(2, "Коваль", "Петро", "2001-04-03"), // corrected date: a change, not remove+add
		entry(3, "Мельник", "Олег", "1999-09-09"),
	}}
	d := Compare(a, b)
	if len(d.Added) != 1 || d.Added[0].Surname != "Мельник" {
		t.Errorf("added = %+v, want Мельник", d.Added)
	}
	if len(d.Removed) != 1 || d.Removed[0].Surname != "Бондар" {
		t.Errorf("removed = %+v, want Бондар", d.Removed)
	}
	if len(d.Changed) != 2 {
		t.Fatalf("changed = %+v, want 2", d.Changed)
	}
	if f := d.Changed[0].Fields; len(f) != 1 || f[0].Field != "categories" || f[0].Old != "wounded" || f[0].New != "seriously_ill; wounded" {
		t.Errorf("category change = %+v", f)
	}
	if f := d.Changed[1].Fields; len(f) != 1 || f[0].Field != "birth_date" || f[0].New != "2001-04-03" {
		t.Errorf("date change = %+v", f)
	}
	if !Compare(a, a).Empty() {
		t.Error("a list compared with itself must have no differences")
	}
}

func TestPairKeepsIdentity(t *testing.T) {
	a := []Entry{
		entry(1, "Шевченко", "Сергій", "1990-01-02"),
		entry(2, "Шевченко", "Сергій", "1990-01-02", "wounded"), // a namesake, told apart by another field
		entry(3, "Коваль", "Петро", "2001-03-04"),
		entry(4, "Бондар", "Іван", "1985-05-06"),
	}
	a[3].RecordID = "case-17"
	for i := range a {
		a[i].ID = string(rune('a' + i))
	}
	b := []Entry{
		entry(1, "Бондарь", "Иван", "1986-05-06"), // the party's record id says who he is
		entry(2, "Коваль", "Петро", "2001-04-03"), // corrected date: paired by name
		entry(3, "Шевченко", "Сергій", "1990-01-02", "wounded"),
		entry(4, "Шевченко", "Сергій", "1990-01-02"),
		entry(5, "Мельник", "Олег", "1999-09-09"),
	}
	b[0].RecordID = "case-17"
	pairs, removed, added := Pair(a, b)
	got := map[int]string{}
	for _, p := range pairs {
		got[p.New] = a[p.Old].ID
	}
	want := map[int]string{0: "d", 1: "c", 2: "b", 3: "a"}
	for j, id := range want {
		if got[j] != id {
			t.Errorf("new row %d paired with %q, want %q", j+1, got[j], id)
		}
	}
	if len(removed) != 0 || len(added) != 1 || added[0] != 4 {
		t.Errorf("removed %v added %v", removed, added)
	}
	if p, r, ad := Pair(nil, b); len(p) != 0 || len(r) != 0 || len(ad) != len(b) {
		t.Errorf("pairing with nothing: %v %v %v", p, r, ad)
	}
}

func TestParseCanonicalRoundTrip(t *testing.T) {
	l := &List{ID: "Labc", From: "A", To: "B", Title: "First", Version: 1, Entries: []Entry{{Row: 1, ID: "x"}, {Row: 2}}}
	l.Entries[0].Surname = "Шевченко"
	b, err := CanonicalBytes(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := ContentHash(l)
	h2, _ := ContentHash(got)
	if h1 != h2 || got.Entries[0].Surname != "Шевченко" || got.EntryCount != 2 {
		t.Fatalf("round trip changed the list: %+v", got)
	}
	for _, bad := range []string{
		strings.Replace(string(b), `"title":"First"`, `"title": "First"`, 1),
		strings.Replace(string(b), `"format":"parley-list/v1"`, `"format":"parley-list/v2"`, 1),
		string(b) + "{}",
		strings.Replace(string(b), `"id":"Labc"`, `"id":"Labc","x":1`, 1),
	} {
		if _, err := ParseCanonical([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
