package negotiation

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"parley/internal/category"
	"parley/internal/person"
)

// list builds entries from rows 1..n, each person made by f.
func list(n int, f func(i int) person.Person) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{Row: i + 1, Person: f(i)}
	}
	return out
}

func plainPOW(prefix string) func(int) person.Person {
	return func(i int) person.Person { return pow(prefix, fmt.Sprintf("N%d", i+1)) }
}

func withCats(prefix string, cats ...string) func(int) person.Person {
	return func(i int) person.Person { return pow(prefix, fmt.Sprintf("N%d", i+1), cats...) }
}

func input(rule Rule, a, b []Entry) PlanInput {
	return PlanInput{Rule: rule, Sides: [2]SideList{{Party: "A", ListID: "LA", Entries: a}, {Party: "B", ListID: "LB", Entries: b}}}
}

// basisFor picks a legal basis that fits the rule.
func basisFor(r Rule) LegalBasis {
	if r == Unilateral {
		return LegalBasis{Code: BasisArt109}
	}
	return agreement
}

// mustPlan plans and checks the result with Check, failing the test if
// either fails.
func mustPlan(t *testing.T, in PlanInput) *StagePlan {
	t.Helper()
	p, err := Plan(in, nil)
	if err != nil {
		t.Fatalf("Plan() error: %v", err)
	}
	st, err := p.Stage(in, basisFor(in.Rule), nil)
	if err != nil {
		t.Fatalf("Stage() error: %v", err)
	}
	if err := Check(st, nil); err != nil {
		t.Fatalf("plan fails Check: %v", err)
	}
	return p
}

func rows(ds []Decision) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = d.Row
	}
	return out
}

func reasonOf(ds []Decision, row int) string {
	for _, d := range ds {
		if d.Row == row {
			return d.Reason
		}
	}
	return ""
}

func TestPlanOneForOne(t *testing.T) {
	tests := []struct {
		name          string
		nA, nB, cap   int
		wantA, wantB  int
		leftOutReason string // reason of A's last row
	}{
		{"parity binds", 212, 205, 300, 205, 205, "left out: parity — B releases only 205 under one-for-one"},
		{"capacity binds", 212, 205, 100, 100, 100, "left out: capacity 100 reached (rank 212 of 212)"},
		{"no limit", 212, 205, 0, 205, 205, "left out: parity — B releases only 205 under one-for-one"},
		{"other side empty", 5, 0, 0, 0, 0, "left out: parity — B releases none under one-for-one"},
		{"equal", 7, 7, 0, 7, 7, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(OneForOne, list(tt.nA, plainPOW("А")), list(tt.nB, plainPOW("Б")))
			in.Capacity = tt.cap
			p := mustPlan(t, in)
			if got := len(p.Sides[0].Released); got != tt.wantA {
				t.Errorf("A releases %d, want %d", got, tt.wantA)
			}
			if got := len(p.Sides[1].Released); got != tt.wantB {
				t.Errorf("B releases %d, want %d", got, tt.wantB)
			}
			if got := len(p.Sides[0].Released) + len(p.Sides[0].LeftOut); got != tt.nA {
				t.Errorf("A's decisions cover %d rows, want %d", got, tt.nA)
			}
			if got := reasonOf(p.Sides[0].LeftOut, tt.nA); got != tt.leftOutReason {
				t.Errorf("reason of A's row %d = %q, want %q", tt.nA, got, tt.leftOutReason)
			}
			if p.Sides[0].Totals[TotalKey] != tt.wantA || p.Sides[0].Totals[NoCategory] != tt.wantA {
				t.Errorf("A's totals = %v", p.Sides[0].Totals)
			}
		})
	}
}

func TestPlanPriority(t *testing.T) {
	// rows chosen so that row order is never the answer
	ps := []Entry{
		{Row: 1, Person: pow("Н", "plain old")},
		{Row: 2, Person: pow("Н", "wounded", category.Wounded)},
		{Row: 3, Person: pow("Н", "both", category.Wounded, category.SeriouslyIll)},
		{Row: 4, Person: pow("Н", "ill", category.SeriouslyIll)},
		{Row: 5, Person: pow("Н", "young")},
		{Row: 6, Person: pow("Н", "young, long captive")},
		{Row: 7, Person: pow("Н", "young, captive later")},
		{Row: 8, Person: pow("Н", "both, younger", category.Wounded, category.SeriouslyIll)},
	}
	ps[0].Person.BirthDate = date("1970-01-01")
	ps[4].Person.BirthDate = date("2004-05-01")
	ps[5].Person.BirthDate = date("2001-01-01")
	ps[5].Person.CaptureDate = date("2022-03-01")
	ps[6].Person.BirthDate = date("2001-01-01")
	ps[6].Person.CaptureDate = date("2023-09-01")
	ps[7].Person.BirthDate = date("1999-01-01")
	tests := []struct {
		priority []string
		want     []int
	}{
		// severity, then youngest (unknown birth last), then captivity, then row
		{nil, []int{8, 3, 2, 4, 5, 6, 7, 1}},
		{[]string{PriorityYoungest, PriorityMedical}, []int{5, 6, 7, 8, 1, 3, 2, 4}},
		{[]string{PriorityLongestCaptivity}, []int{6, 7, 1, 2, 3, 4, 5, 8}},
		{[]string{PriorityRow}, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{[]string{PriorityRow, PriorityMedical}, []int{1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.priority, ","), func(t *testing.T) {
			in := input(AllForAll, ps, nil)
			in.Priority = tt.priority
			p := mustPlan(t, in)
			if got := rows(p.Sides[0].Released); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanReasons(t *testing.T) {
	a := list(4, withCats("А", category.SeriouslyIll))
	a[3].Person = pow("А", "Без категорії")
	in := input(OneForOne, a, list(2, withCats("Б", category.Wounded)))
	in.Capacity = 300
	in.Categories = []string{category.Wounded, category.SeriouslyIll}
	p := mustPlan(t, in)
	want := map[int]string{
		1: "medical priority (seriously_ill); within capacity 300 (rank 1 of 3)",
		2: "medical priority (seriously_ill); within capacity 300 (rank 2 of 3)",
		3: "left out: parity — B releases only 2 under one-for-one",
		4: "left out: not in categories wounded, seriously_ill",
	}
	all := append(append([]Decision(nil), p.Sides[0].Released...), p.Sides[0].LeftOut...)
	for row, w := range want {
		if got := reasonOf(all, row); got != w {
			t.Errorf("row %d: reason %q, want %q", row, got, w)
		}
	}
	if got := p.Sides[0].Totals; !reflect.DeepEqual(got, map[string]int{TotalKey: 2, category.SeriouslyIll: 2}) {
		t.Errorf("totals = %v", got)
	}
}

func TestPlanPerCategory(t *testing.T) {
	mkSide := func(prefix string, ill, wounded, both int) []Entry {
		var es []Entry
		add := func(n int, cats ...string) {
			for i := 0; i < n; i++ {
				es = append(es, Entry{Row: len(es) + 1, Person: pow(prefix, fmt.Sprintf("N%d", len(es)+1), cats...)})
			}
		}
		add(ill, category.SeriouslyIll)
		add(wounded, category.Wounded)
		add(both, category.SeriouslyIll, category.Wounded)
		return es
	}
	tests := []struct {
		name       string
		cats       []string
		capacity   int
		a, b       [3]int // seriously ill, wounded, both
		wantTotals map[string]int
	}{
		{"min per category", []string{"seriously_ill", "wounded"}, 0, [3]int{10, 5, 0}, [3]int{7, 8, 0},
			map[string]int{"seriously_ill": 7, "wounded": 5, TotalKey: 12}},
		{"both counts under the first agreed category", []string{"seriously_ill", "wounded"}, 0, [3]int{0, 0, 3}, [3]int{2, 3, 0},
			map[string]int{"seriously_ill": 2, TotalKey: 2}},
		{"order of agreed categories matters", []string{"wounded", "seriously_ill"}, 0, [3]int{0, 0, 3}, [3]int{2, 3, 0},
			map[string]int{"wounded": 3, TotalKey: 3}},
		// capacity 4: the most urgent pairs first. On A the two who are
		// both come first and count under seriously_ill; on B everyone is
		// equally urgent, so row order decides: seriously ill first.
		{"capacity distributed by priority", []string{"seriously_ill", "wounded"}, 4, [3]int{3, 3, 2}, [3]int{5, 5, 0},
			map[string]int{"seriously_ill": 4, TotalKey: 4}},
		{"capacity 1", []string{"seriously_ill", "wounded"}, 1, [3]int{3, 3, 0}, [3]int{3, 3, 0},
			map[string]int{"seriously_ill": 1, TotalKey: 1}},
		{"a category one side lacks", []string{"seriously_ill", "wounded"}, 0, [3]int{0, 4, 0}, [3]int{3, 0, 0},
			map[string]int{TotalKey: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(OneForOnePerCategory, mkSide("А", tt.a[0], tt.a[1], tt.a[2]), mkSide("Б", tt.b[0], tt.b[1], tt.b[2]))
			in.Categories = tt.cats
			in.Capacity = tt.capacity
			p := mustPlan(t, in)
			for s := range p.Sides {
				if got := p.Sides[s].Totals; !reflect.DeepEqual(got, tt.wantTotals) {
					t.Errorf("side %s totals = %v, want %v", p.Sides[s].Party, got, tt.wantTotals)
				}
			}
		})
	}
	t.Run("capacity goes to the more urgent member of each pair", func(t *testing.T) {
		// B lists its wounded first, so B's wounded outrank B's seriously ill;
		// pairs alternate between the categories.
		b := mkSide("Б", 0, 5, 0)
		for _, e := range mkSide("Б", 5, 0, 0) {
			e.Row += 5
			b = append(b, e)
		}
		in := input(OneForOnePerCategory, mkSide("А", 3, 3, 2), b)
		in.Categories, in.Capacity = []string{"seriously_ill", "wounded"}, 4
		p := mustPlan(t, in)
		want := map[string]int{"seriously_ill": 2, "wounded": 2, TotalKey: 4}
		for s := range p.Sides {
			if got := p.Sides[s].Totals; !reflect.DeepEqual(got, want) {
				t.Errorf("side %s totals = %v, want %v", p.Sides[s].Party, got, want)
			}
		}
	})
	t.Run("reason names the category", func(t *testing.T) {
		in := input(OneForOnePerCategory, mkSide("А", 3, 0, 0), mkSide("Б", 1, 0, 0))
		in.Categories = []string{"seriously_ill"}
		p := mustPlan(t, in)
		if got, want := reasonOf(p.Sides[0].LeftOut, 3), "left out: parity in seriously_ill — B releases only 1 under one-for-one-per-category"; got != want {
			t.Errorf("reason = %q, want %q", got, want)
		}
		if got, want := p.Sides[0].Released[0].Reason, "medical priority (seriously_ill); no capacity limit (rank 1 of 3); counted under seriously_ill"; got != want {
			t.Errorf("reason = %q, want %q", got, want)
		}
	})
	t.Run("no categories", func(t *testing.T) {
		_, err := Plan(input(OneForOnePerCategory, mkSide("А", 1, 0, 0), mkSide("Б", 1, 0, 0)), nil)
		var re *RuleError
		if !errors.Is(err, ErrPlanInput) || !errors.As(err, &re) || !re.Has(ProblemTerms) {
			t.Errorf("Plan() error = %v, want the terms refused", err)
		}
	})
}

func TestPlanAllForAll(t *testing.T) {
	a := list(10, withCats("А", category.Wounded))
	a[9].Person = pow("А", "здоровий")
	in := input(AllForAll, a, list(3, withCats("Б", category.SeriouslyIll)))
	in.Categories = []string{category.Wounded, category.SeriouslyIll}
	in.Capacity = 6
	p := mustPlan(t, in)
	if len(p.Sides[0].Released) != 6 || len(p.Sides[1].Released) != 3 {
		t.Fatalf("released %d and %d, want 6 and 3", len(p.Sides[0].Released), len(p.Sides[1].Released))
	}
	if got, want := reasonOf(p.Sides[0].LeftOut, 7), "left out: capacity 6 reached (rank 7 of 9); waits for the next stage"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if got, want := reasonOf(p.Sides[0].LeftOut, 10), "left out: not in categories wounded, seriously_ill"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	// without categories, everyone
	in.Categories, in.Capacity = nil, 0
	p = mustPlan(t, in)
	if len(p.Sides[0].Released) != 10 {
		t.Errorf("all-for-all without categories released %d of 10", len(p.Sides[0].Released))
	}
}

func TestPlanUnilateral(t *testing.T) {
	// five in medical categories, capacity three: the two who are both
	// wounded and seriously ill go first, then by row.
	a := []Entry{
		{Row: 1, Person: pow("А", "wounded", category.Wounded)},
		{Row: 2, Person: pow("А", "ill", category.SeriouslyIll)},
		{Row: 3, Person: pow("А", "both", category.Wounded, category.SeriouslyIll)},
		{Row: 4, Person: pow("А", "healthy")},
		{Row: 5, Person: pow("А", "both too", category.Wounded, category.SeriouslyIll)},
		{Row: 6, Person: mk(person.KindCivilian, "А", "civilian", category.Wounded)},
		{Row: 7, Person: pow("А", "wounded 2", category.Wounded)},
	}
	tests := []struct {
		name     string
		capacity int
		cats     []string
		want     []int
		reasons  map[int]string
	}{
		{"capacity smaller than the medical group", 3, nil, []int{3, 5, 1}, map[int]string{
			2: "left out: capacity 3 reached (rank 4 of 5); waits for the next stage",
			4: "left out: not in a medical category; unilateral release under Art. 109/110 requires wounded or seriously_ill",
			6: "left out: direct repatriation under Art. 109/110 covers prisoners of war, not civilian detainees",
		}},
		{"no capacity limit", 0, nil, []int{3, 5, 1, 2, 7}, nil},
		{"only the seriously ill", 0, []string{category.SeriouslyIll}, []int{3, 5, 2}, map[int]string{
			1: "left out: not in categories seriously_ill",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(Unilateral, a, nil)
			in.Capacity, in.Categories = tt.capacity, tt.cats
			p := mustPlan(t, in)
			if got := rows(p.Sides[0].Released); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("released rows %v, want %v", got, tt.want)
			}
			for row, w := range tt.reasons {
				if got := reasonOf(p.Sides[0].LeftOut, row); got != w {
					t.Errorf("row %d: %q, want %q", row, got, w)
				}
			}
		})
	}
}

func TestPlanKindsNeverMixed(t *testing.T) {
	civ := func(i int) person.Person { return mk(person.KindCivilian, "Ц", fmt.Sprintf("N%d", i)) }
	body := func(i int) person.Person { return mk(person.KindRemains, "", "") }
	a := append(list(10, plainPOW("А")), Entry{Row: 11, Person: civ(11)}, Entry{Row: 12, Person: civ(12)}, Entry{Row: 13, Person: body(13)})
	b := append(list(12, plainPOW("Б")), Entry{Row: 13, Person: body(13)}, Entry{Row: 14, Person: body(14)})
	tests := []struct {
		name         string
		together     bool
		wantA, wantB int
		reason13A    string
	}{
		{"separately", false, 11, 11, ""},
		{"living together", true, 13, 13, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(OneForOne, a, b)
			in.CountKindsTogether = tt.together
			p := mustPlan(t, in)
			if got := len(p.Sides[0].Released); got != tt.wantA {
				t.Errorf("A releases %d, want %d", got, tt.wantA)
			}
			if got := len(p.Sides[1].Released); got != tt.wantB {
				t.Errorf("B releases %d, want %d", got, tt.wantB)
			}
		})
	}
	p := mustPlan(t, input(OneForOne, a, b))
	if got, want := reasonOf(p.Sides[0].LeftOut, 11), "left out: parity — B releases no civilian detainees under one-for-one"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if got, want := reasonOf(p.Sides[1].LeftOut, 14), "left out: parity — A releases only 1 remains under one-for-one"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}

func TestPlanWeighted(t *testing.T) {
	ranked := func(prefix string, ranks ...string) []Entry {
		es := make([]Entry, len(ranks))
		for i, r := range ranks {
			p := pow(prefix, fmt.Sprintf("N%d", i+1))
			p.Rank = r
			es[i] = Entry{Row: i + 1, Person: p}
		}
		return es
	}
	scale := map[string]float64{"private": 1, "sergeant": 2, "officer": 5}
	tests := []struct {
		name         string
		scale        map[string]float64
		capacity     int
		a, b         []string
		wantA, wantB []int
		wantWeight   string // weight both sides release
	}{
		{"officers for privates", scale, 0, []string{"officer", "officer"}, rep("private", 12), []int{1, 2}, seq(1, 10), "10"},
		{"greedy meets exactly", scale, 0, []string{"officer", "private", "private"}, rep("sergeant", 3), []int{1, 2}, []int{1, 2, 3}, "6"},
		{"no exact match at all", scale, 0, []string{"officer"}, []string{"sergeant", "sergeant"}, []int{}, []int{}, "0"},
		{"heavier side comes down to the closest total", scale, 0, []string{"officer", "officer", "officer"}, rep("private", 12), []int{1, 2}, seq(1, 10), "10"},
		// A can make 2, 5, 1, 3, 6, 7, 8; B 2 or 4: the best both can make is 2
		{"largest common total", scale, 0, []string{"sergeant", "officer", "private"}, []string{"sergeant", "sergeant"}, []int{1}, []int{1}, "2"},
		// the officer is given up and a lower-priority private closes the gap
		{"lower-priority private closes the gap", scale, 0, []string{"sergeant", "officer", "private", "private"}, []string{"sergeant", "sergeant"}, []int{1, 3, 4}, []int{1, 2}, "4"},
		{"capacity", scale, 3, rep("private", 5), []string{"sergeant", "private", "private", "private"}, []int{1, 2, 3}, []int{1, 2}, "3"},
		{"capacity 0 is no limit, default prices the rest", map[string]float64{"officer": 3, "default": 1}, 0, []string{"officer", "colonel", ""}, rep("private", 6), []int{1, 2, 3}, seq(1, 5), "5"},
		{"fractional", map[string]float64{"private": 0.5, "officer": 1.5}, 0, []string{"officer"}, rep("private", 4), []int{1}, []int{1, 2, 3}, "1.5"},
		{"one side empty", scale, 0, []string{"officer"}, nil, []int{}, []int{}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(Weighted, ranked("А", tt.a...), ranked("Б", tt.b...))
			in.Scale, in.Capacity = tt.scale, tt.capacity
			p := mustPlan(t, in)
			gotA, gotB := sortedRows(p.Sides[0].Released), sortedRows(p.Sides[1].Released)
			if !reflect.DeepEqual(gotA, tt.wantA) || !reflect.DeepEqual(gotB, tt.wantB) {
				t.Errorf("released A %v, B %v; want A %v, B %v", gotA, gotB, tt.wantA, tt.wantB)
			}
			for _, d := range p.Sides[0].LeftOut {
				if !strings.Contains(d.Reason, "weight "+tt.wantWeight+" ") && !strings.Contains(d.Reason, "capacity") {
					t.Errorf("left-out reason %q does not name the weight %s", d.Reason, tt.wantWeight)
				}
			}
		})
	}
	t.Run("reasons", func(t *testing.T) {
		in := input(Weighted, ranked("А", "officer", "colonel"), ranked("Б", "sergeant", "sergeant"))
		in.Scale = scale
		p := mustPlan(t, in)
		want := map[int]string{
			1: "left out: weighted parity — B releases only weight 0 under the weighted scale; this person weighs 5",
			2: `left out: rank "colonel" is not on the agreed scale, which has no default`,
		}
		for row, w := range want {
			if got := reasonOf(p.Sides[0].LeftOut, row); got != w {
				t.Errorf("row %d: %q, want %q", row, got, w)
			}
		}
		in = input(Weighted, ranked("А", "Officer"), ranked("Б", "private", "", "private", "private", "private"))
		in.Scale = map[string]float64{"officer": 5, "private": 1, "default": 1}
		p = mustPlan(t, in)
		if got, want := p.Sides[0].Released[0].Reason, "in row order (row 1); no capacity limit (rank 1 of 1); weight 5 (Officer)"; got != want {
			t.Errorf("reason %q, want %q", got, want)
		}
		if got, want := reasonOf(p.Sides[1].Released, 2), "in row order (row 2); no capacity limit (rank 2 of 5); weight 1 (no rank: default)"; got != want {
			t.Errorf("reason %q, want %q", got, want)
		}
	})
}

func rep(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func sortedRows(ds []Decision) []int {
	r := rows(ds)
	sort.Ints(r)
	return r
}

func TestPlanDuplicates(t *testing.T) {
	same := pow("Савченко", "Андрій")
	same.BirthDate = date("1990-01-02")
	a := []Entry{{Row: 1, Person: same}, {Row: 2, Person: pow("А", "x")}, {Row: 2, Person: pow("А", "y")}, {Row: 3, Person: same}}
	b := []Entry{{Row: 1, Person: same}, {Row: 2, Person: pow("Б", "z")}}
	p := mustPlan(t, input(AllForAll, a, b))
	tests := []struct {
		side, row int
		want      string
	}{
		{0, 3, "left out: same person as row 1 of list LA"},
		{1, 1, "left out: same person as row 1 of list LA"},
		{0, 2, "left out: row 2 is listed twice in list LA"},
	}
	for _, tt := range tests {
		if got := reasonOf(p.Sides[tt.side].LeftOut, tt.row); got != tt.want {
			t.Errorf("side %d row %d: %q, want %q", tt.side, tt.row, got, tt.want)
		}
	}
	if got := rows(p.Sides[0].Released); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("A releases rows %v", got)
	}
}

func TestPlanYouthFromRefDate(t *testing.T) {
	young := pow("М", "young")
	young.BirthDate = date("2003-04-01")
	old := pow("М", "old")
	old.BirthDate = date("1980-04-01")
	in := input(OneForOne, []Entry{{Row: 1, Person: young}, {Row: 2, Person: old}}, list(5, withCats("Б", category.Youth)))
	in.Categories = []string{category.Youth}
	in.RefDate = date("2025-06-02")
	p := mustPlan(t, in)
	if len(p.Sides[0].Released) != 1 || p.Sides[0].Released[0].Row != 1 {
		t.Fatalf("A releases %v, want row 1", rows(p.Sides[0].Released))
	}
	d := p.Sides[0].Released[0]
	if !slices.Contains(d.Categories, category.Youth) || !strings.HasSuffix(d.Reason, "youth by date of birth (aged 22 on 2025-06-02)") {
		t.Errorf("decision = %+v", d)
	}
	if got, want := reasonOf(p.Sides[0].LeftOut, 2), "left out: not in categories youth"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	// without a reference date nothing is derived
	in.RefDate = person.Date{}
	p = mustPlan(t, in)
	if len(p.Sides[0].Released) != 0 {
		t.Errorf("youth derived without a reference date: %v", rows(p.Sides[0].Released))
	}
}

func TestPlanInputErrors(t *testing.T) {
	ok := input(OneForOne, list(1, plainPOW("А")), list(1, plainPOW("Б")))
	tests := []struct {
		name string
		edit func(*PlanInput)
		want string
	}{
		{"unknown rule", func(in *PlanInput) { in.Rule = "three-for-one" }, "unknown rule"},
		{"unknown priority", func(in *PlanInput) { in.Priority = []string{"tallest"} }, `unknown priority "tallest"`},
		{"same party", func(in *PlanInput) { in.Sides[1].Party = "A" }, "both sides are party A"},
		{"no party", func(in *PlanInput) { in.Sides[1].Party = "" }, "both sides must name their party"},
		{"same list", func(in *PlanInput) { in.Sides[1].ListID = "LA" }, "both sides name list LA"},
		{"no list", func(in *PlanInput) { in.Sides[0].ListID = "" }, "both sides must name their list"},
		{"row 0", func(in *PlanInput) { in.Sides[0].Entries = []Entry{{Row: 0}} }, "list LA entry 1 has row 0"},
		{"negative capacity", func(in *PlanInput) { in.Capacity = -5 }, "capacity -5 is negative"},
		{"weighted without scale", func(in *PlanInput) { in.Rule = Weighted }, "weighted rule without a scale"},
		{"unilateral non-medical category", func(in *PlanInput) { in.Rule, in.Categories = Unilateral, []string{"youth"} }, "category youth is not medical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Sides = ok.Sides
			tt.edit(&in)
			_, err := Plan(in, nil)
			if !errors.Is(err, ErrPlanInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPlanJSONShape(t *testing.T) {
	in := input(OneForOne, list(3, withCats("А", category.Wounded)), list(2, plainPOW("Б")))
	in.Capacity = 300
	p := mustPlan(t, in)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(doc); !reflect.DeepEqual(got, []string{"capacity", "rule", "sides"}) {
		t.Errorf("plan keys %v", got)
	}
	if doc["rule"] != "one-for-one" || doc["capacity"] != float64(300) {
		t.Errorf("rule/capacity = %v/%v", doc["rule"], doc["capacity"])
	}
	side := doc["sides"].([]any)[0].(map[string]any)
	if got := sortedKeys(side); !reflect.DeepEqual(got, []string{"left_out", "party", "released", "totals"}) {
		t.Errorf("side keys %v", got)
	}
	dec := side["released"].([]any)[0].(map[string]any)
	if got := sortedKeys(dec); !reflect.DeepEqual(got, []string{"categories", "list_id", "name", "reason", "row", "why"}) {
		t.Errorf("decision keys %v", got)
	}
	if got := side["totals"].(map[string]any); got["wounded"] != float64(2) || got[TotalKey] != float64(2) {
		t.Errorf("totals %v", got)
	}
	// empty lists are [] and categories of persons without any are []
	b2, _ := json.Marshal(mustPlan(t, input(OneForOne, list(1, plainPOW("А")), nil)))
	for _, frag := range []string{`"released":[]`, `"categories":[]`, `"totals":{"total":0}`} {
		if !strings.Contains(string(b2), frag) {
			t.Errorf("JSON %s lacks %s", b2, frag)
		}
	}
	var back StagePlan
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, p) {
		t.Errorf("round trip: %v", err)
	}
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestPlanDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, rule := range Rules() {
		in := randomInput(rng, rule, 300)
		p1, err := Plan(in, nil)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		j1, _ := json.Marshal(p1)
		// same input again, and the same entries in another order
		shuffled := in
		for s := range shuffled.Sides {
			es := append([]Entry(nil), in.Sides[s].Entries...)
			rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
			shuffled.Sides[s].Entries = es
		}
		for i, again := range []PlanInput{in, shuffled} {
			p2, err := Plan(again, nil)
			if err != nil {
				t.Fatal(err)
			}
			if j2, _ := json.Marshal(p2); string(j1) != string(j2) {
				t.Errorf("%s: run %d differs", rule, i)
			}
		}
	}
}
