package lists

import (
	"encoding/binary"
	"hash/maphash"
	"sort"
	"strings"

	"parley/internal/names"
	"parley/internal/person"
)

// Diff is the difference between two versions of a list.
type Diff struct {
	From    string   `json:"from"` // id of the older list
	To      string   `json:"to"`   // id of the newer list
	Added   []Entry  `json:"added"`
	Removed []Entry  `json:"removed"`
	Changed []Change `json:"changed"`
}

// Change is one person present in both versions with different fields.
type Change struct {
	OldRow int           `json:"old_row"`
	NewRow int           `json:"new_row"`
	ID     string        `json:"id,omitempty"` // the entry's id in the older version
	Name   string        `json:"name"`
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one field that changed, with its old and new text.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Empty reports whether the two versions hold the same persons.
func (d *Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Compare returns what changed from a to b (see Pair for how entries of
// the two versions are paired).
func Compare(a, b *List) *Diff {
	d := CompareEntries(a.Entries, b.Entries)
	d.From, d.To = a.ID, b.ID
	return d
}

// CompareEntries returns what changed from the entries a to the entries b:
// a list's or a registry's.
func CompareEntries(a, b []Entry) *Diff {
	d := &Diff{Added: []Entry{}, Removed: []Entry{}, Changed: []Change{}}
	pairs, removed, added := Pair(a, b)
	for _, i := range removed {
		d.Removed = append(d.Removed, a[i])
	}
	for _, j := range added {
		d.Added = append(d.Added, b[j])
	}
	for _, p := range pairs {
		ea, eb := &a[p.Old], &b[p.New]
		if fields := FieldChanges(&ea.Person, &eb.Person); len(fields) > 0 {
			d.Changed = append(d.Changed, Change{OldRow: ea.Row, NewRow: eb.Row, ID: ea.ID, Name: eb.FullName(), Fields: fields})
		}
	}
	return d
}

// FieldChanges returns the fields in which two records of one person
// differ, in the order of person.Fields, then the extra attributes.
func FieldChanges(a, b *person.Person) []FieldChange {
	var fields []FieldChange
	for _, f := range person.Fields() {
		if f.Name == "latin_system" {
			continue // how a Latin form was made is not a change of the person
		}
		if f.Equal(a, b) {
			continue
		}
		if o, n := f.Get(a), f.Get(b); o != n {
			fields = append(fields, FieldChange{Field: f.Name, Old: o, New: n})
		}
	}
	return append(fields, extraChanges(a.Extra, b.Extra)...)
}

// Paired is an entry of an older version (Old) and of a newer one (New)
// that are the same person; both are indexes.
type Paired struct{ Old, New int }

// Pair finds the entries of b that are persons of a. Entries are paired
// first by the id they already carry, then by the party's own record id,
// then by identical content (so that a re-sorted file pairs exactly, even
// namesakes), then by identity (kind, names, date of birth, service
// number), then by the matching engine's exact key (name skeletons and
// date of birth, so a respelling pairs), then by service number alone, then
// by name alone, so that a corrected date of birth or a corrected spelling
// shows as a change rather than as a removal and an addition. Among
// several candidates with one key, the first in row order wins. pairs is
// in the order of b; removed and added are indexes in row order.
func Pair(a, b []Entry) (pairs []Paired, removed, added []int) {
	usedA := make([]bool, len(a))
	usedB := make([]bool, len(b))
	left := min(len(a), len(b)) // pairs still possible
	for _, key := range pairKeys {
		if left == 0 {
			break
		}
		index := map[string][]int{}
		for j := range b {
			if usedB[j] {
				continue
			}
			if k := key(&b[j]); k != "" {
				index[k] = append(index[k], j)
			}
		}
		if len(index) == 0 {
			continue
		}
		for i := range a {
			if usedA[i] {
				continue
			}
			k := key(&a[i])
			if k == "" || len(index[k]) == 0 {
				continue
			}
			j := index[k][0]
			index[k] = index[k][1:]
			usedA[i], usedB[j] = true, true
			pairs = append(pairs, Paired{Old: i, New: j})
			left--
		}
	}
	for i, used := range usedA {
		if !used {
			removed = append(removed, i)
		}
	}
	for j, used := range usedB {
		if !used {
			added = append(added, j)
		}
	}
	sort.Slice(pairs, func(x, y int) bool { return pairs[x].New < pairs[y].New })
	return pairs, removed, added
}

var pairKeys = []func(*Entry) string{
	func(e *Entry) string { return e.ID },
	func(e *Entry) string {
		if e.RecordID == "" {
			return ""
		}
		return "rid|" + e.RecordID
	},
	func(e *Entry) string { return contentKey(&e.Person) },
	func(e *Entry) string { return e.IdentityKey() },
	func(e *Entry) string {
		if e.Surname == "" && e.SurnameLatin == "" {
			return ""
		}
		sur, given, patr := e.Surname, e.GivenNames, e.Patronymic
		if sur == "" {
			sur, given, patr = e.SurnameLatin, e.GivenNamesLatin, e.PatronymicLatin
		}
		return strings.Join([]string{string(e.Kind), names.Key(sur), names.Key(given), names.Key(patr), e.BirthDate.String()}, "|")
	},
	func(e *Entry) string {
		if e.ServiceNumber == "" {
			return ""
		}
		k := person.Person{ServiceNumber: e.ServiceNumber}
		return string(e.Kind) + "|sn|" + k.IdentityKey()
	},
	func(e *Entry) string {
		if e.Surname == "" {
			return ""
		}
		k := person.Person{Kind: e.Kind, Surname: e.Surname, GivenNames: e.GivenNames, Patronymic: e.Patronymic}
		return k.IdentityKey()
	},
}

// contentSeeds key contentKey's two 64-bit hashes; fixed for the process,
// which is all a pairing needs.
var contentSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// contentKey is a 128-bit hash of every field of a record: equal records,
// equal keys (and different records, different keys, but for a chance of
// about 2^-128 per pair). A hash rather than the fields themselves keeps
// the pairing of a registry of a million records small.
func contentKey(p *person.Person) string {
	var b strings.Builder
	for _, f := range person.Fields() {
		if f.Name == "latin_system" {
			continue
		}
		b.WriteString(f.Get(p))
		b.WriteByte(0x1f)
	}
	for _, c := range extraChanges(nil, p.Extra) {
		b.WriteString(c.Field)
		b.WriteByte(0x1e)
		b.WriteString(c.New)
		b.WriteByte(0x1f)
	}
	var sum [16]byte
	binary.LittleEndian.PutUint64(sum[:8], maphash.String(contentSeeds[0], b.String()))
	binary.LittleEndian.PutUint64(sum[8:], maphash.String(contentSeeds[1], b.String()))
	return string(sum[:])
}

func extraChanges(a, b map[string]string) []FieldChange {
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []FieldChange
	for _, k := range sorted {
		if a[k] != b[k] {
			out = append(out, FieldChange{Field: "extra:" + k, Old: a[k], New: b[k]})
		}
	}
	return out
}
