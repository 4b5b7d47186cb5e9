package lists

import (
	"sort"

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

// Compare returns what changed from a to b. Entries are paired first by
// identity (kind, names, date of birth, service number), then by service
// number alone, then by name alone, so that a corrected date of birth or a
// corrected spelling shows as a change rather than as a removal and an
// addition.
func Compare(a, b *List) *Diff {
	d := &Diff{From: a.ID, To: b.ID, Added: []Entry{}, Removed: []Entry{}, Changed: []Change{}}
	usedA := make([]bool, len(a.Entries))
	usedB := make([]bool, len(b.Entries))
	type pair struct{ i, j int }
	var pairs []pair

	keys := []func(*person.Person) string{
		(*person.Person).IdentityKey,
		func(p *person.Person) string {
			k := person.Person{ServiceNumber: p.ServiceNumber}
			if p.ServiceNumber == "" {
				return ""
			}
			return string(p.Kind) + "|sn|" + k.IdentityKey()
		},
		func(p *person.Person) string {
			k := person.Person{Kind: p.Kind, Surname: p.Surname, GivenNames: p.GivenNames, Patronymic: p.Patronymic}
			if p.Surname == "" {
				return ""
			}
			return k.IdentityKey()
		},
	}
	for _, key := range keys {
		index := map[string][]int{}
		for j := range b.Entries {
			if usedB[j] {
				continue
			}
			if k := key(&b.Entries[j].Person); k != "" {
				index[k] = append(index[k], j)
			}
		}
		for i := range a.Entries {
			if usedA[i] {
				continue
			}
			k := key(&a.Entries[i].Person)
			if k == "" || len(index[k]) == 0 {
				continue
			}
			j := index[k][0]
			index[k] = index[k][1:]
			usedA[i], usedB[j] = true, true
			pairs = append(pairs, pair{i, j})
		}
	}
	for i, used := range usedA {
		if !used {
			d.Removed = append(d.Removed, a.Entries[i])
		}
	}
	for j, used := range usedB {
		if !used {
			d.Added = append(d.Added, b.Entries[j])
		}
	}
	sort.Slice(pairs, func(x, y int) bool { return pairs[x].j < pairs[y].j })
	for _, p := range pairs {
		ea, eb := &a.Entries[p.i], &b.Entries[p.j]
		var fields []FieldChange
		for _, f := range person.Fields() {
			if o, n := f.Get(&ea.Person), f.Get(&eb.Person); o != n {
				fields = append(fields, FieldChange{Field: f.Name, Old: o, New: n})
			}
		}
		fields = append(fields, extraChanges(ea.Extra, eb.Extra)...)
		if len(fields) > 0 {
			d.Changed = append(d.Changed, Change{OldRow: ea.Row, NewRow: eb.Row, Name: eb.FullName(), Fields: fields})
		}
	}
	return d
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
