package matching

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"parley/internal/matching/gen"
	"parley/internal/person"
)

// TestUpdateAgreesWithRebuild: an index updated with a registry version's
// changes (records removed, changed, added, in two steps) decides every
// list row as an index built anew over the same records does, with the
// same scores and the same person, but where two candidates tie exactly.
// The first step takes the numbers past 2^14, so that the postings are
// rebuilt with a wider record field; the second splices them.
func TestUpdateAgreesWithRebuild(t *testing.T) {
	data, err := gen.Generate(gen.Variant(16000, 1500, 21))
	if err != nil {
		t.Fatal(err)
	}
	more, err := gen.Generate(gen.Config{Registry: 600, List: 0, Seed: 22, Noise: gen.DefaultNoise()})
	if err != nil {
		t.Fatal(err)
	}
	// Every record carries its own id, so that persons can be compared
	// across the two numberings.
	reg := make([]person.Person, len(data.Registry))
	for i, p := range data.Registry {
		p.RecordID = "r" + strconv.Itoa(i)
		reg[i] = p
	}
	byNumber := append([]person.Person(nil), reg...) // the updated index's numbering
	live := map[int]bool{}
	for i := range reg {
		live[i] = true
	}
	ix := NewIndex(reg)
	r := rand.New(rand.NewPCG(5, 5))
	steps := []struct{ remove, change, add int }{{300, 200, 300}, {150, 100, 300}}
	for s, st := range steps {
		var removed []int
		var added []person.Person
		pick := func() int {
			for {
				if id := r.IntN(len(byNumber)); live[id] {
					return id
				}
			}
		}
		for k := 0; k < st.remove; k++ {
			id := pick()
			delete(live, id)
			removed = append(removed, id)
		}
		for k := 0; k < st.change; k++ { // a new date of birth: out, and in again
			id := pick()
			p := byNumber[id]
			p.BirthDate.Day = p.BirthDate.Day%28 + 1
			delete(live, id)
			removed = append(removed, id)
			added = append(added, p)
		}
		for k := 0; k < st.add; k++ {
			p := more.Registry[s*300+k]
			p.RecordID = "n" + strconv.Itoa(s*300+k)
			added = append(added, p)
		}
		for _, p := range added {
			live[len(byNumber)] = true
			byNumber = append(byNumber, p)
		}
		if ix, err = ix.Update(removed, added); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Update([]int{0, 0}, nil); err == nil && live[0] {
		t.Error("removing a record twice in one update was accepted")
	}
	var rebuilt []person.Person
	for id, p := range byNumber {
		if live[id] {
			rebuilt = append(rebuilt, p)
		}
	}
	fresh := NewIndex(rebuilt)
	if ix.Updates() != 2 || ix.Len() != len(byNumber) || fresh.Len() != len(rebuilt) {
		t.Fatalf("updates %d, len %d and %d", ix.Updates(), ix.Len(), fresh.Len())
	}
	cfg := DefaultConfig()
	// The list, and rows written from the changed and added records.
	list := append([]person.Person(nil), data.List...)
	for _, p := range byNumber[len(reg):] {
		if len(list) < len(data.List)+400 {
			q := p
			q.RecordID = ""
			list = append(list, q)
		}
	}
	for i, q := range list {
		a, b := ix.Best(q, cfg), fresh.Best(q, cfg)
		if a.Decision != b.Decision || math.Abs(a.Score-b.Score) > 1e-9 {
			t.Fatalf("row %d: updated %s %.6f, rebuilt %s %.6f", i, a.Decision, a.Score, b.Decision, b.Score)
		}
		if a.RegistryIndex < 0 {
			continue
		}
		if ix.Removed(a.RegistryIndex) {
			t.Fatalf("row %d: a removed record %d was proposed", i, a.RegistryIndex)
		}
		pa, pb := byNumber[a.RegistryIndex], rebuilt[b.RegistryIndex]
		tie := len(a.Candidates) > 1 && math.Abs(a.Candidates[1].Score-a.Score) < 1e-9
		if pa.RecordID != pb.RecordID && !tie {
			t.Fatalf("row %d: updated index chose %s, rebuilt %s", i, pa.RecordID, pb.RecordID)
		}
	}
}

// BenchmarkUpdate times a version that changes 100 records of a registry
// of 100,000 applied to its index.
func BenchmarkUpdate(b *testing.B) {
	data, err := gen.Generate(gen.Config{Registry: 100000, List: 0, Seed: 3, Noise: gen.DefaultNoise()})
	if err != nil {
		b.Fatal(err)
	}
	ix := NewIndex(data.Registry)
	removed := rand.New(rand.NewPCG(1, 1)).Perm(len(data.Registry))[:100]
	added := make([]person.Person, len(removed))
	for k, id := range removed {
		added[k] = data.Registry[id]
	}
	for b.Loop() {
		if _, err := ix.Update(removed, added); err != nil {
			b.Fatal(err)
		}
	}
}
