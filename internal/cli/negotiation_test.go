package cli

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"parley/internal/handover"
	"parley/internal/store/storetest"
)

// importHandedOver imports a list as the operator, hands it over and
// acknowledges it, and returns its id.
func importHandedOver(t *testing.T, g []string, path, from, to string) string {
	t.Helper()
	code, out, errOut := run(t, append(g, "list", "import", path, "--from", from, "--to", to, "--title", path)...)
	if code != 0 {
		t.Fatalf("import %s: %s", path, errOut)
	}
	id := strings.TrimSpace(out)
	for _, cmd := range []string{"handover", "ack"} {
		if code, _, errOut := run(t, append(g, "list", cmd, id)...); code != 0 {
			t.Fatalf("list %s: %s", cmd, errOut)
		}
	}
	return id
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPlanJSONShape checks that parley plan --json prints exactly the
// StagePlan shape that other tools read.
func TestPlanJSONShape(t *testing.T) {
	g := initDir(t, "")
	la := importHandedOver(t, g, "../service/testdata/negotiation/list-A.csv", "A", "B")
	lb := importHandedOver(t, g, "../service/testdata/negotiation/list-B.csv", "B", "A")
	args := append(g, "plan", "--list", la, "--list", lb, "--rule", "one-for-one-per-category", "--categories", "wounded,youth",
		"--capacity", "2", "--priority", "medical,youngest", "--ref-date", "2025-06-07")
	code, out, errOut := run(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("plan --json: exit %d: %s", code, errOut)
	}
	var plan map[string]any
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan --json printed %q: %v", out, err)
	}
	if got := keysOf(plan); !slices.Equal(got, []string{"capacity", "rule", "sides"}) {
		t.Errorf("plan keys = %v", got)
	}
	if plan["rule"] != "one-for-one-per-category" || plan["capacity"] != float64(2) {
		t.Errorf("rule %v, capacity %v", plan["rule"], plan["capacity"])
	}
	sides, _ := plan["sides"].([]any)
	if len(sides) != 2 {
		t.Fatalf("%d sides", len(sides))
	}
	for i, want := range []struct {
		party, list string
		entries     int
	}{{"A", la, 10}, {"B", lb, 8}} {
		side := sides[i].(map[string]any)
		if got := keysOf(side); !slices.Equal(got, []string{"left_out", "party", "released", "totals"}) {
			t.Errorf("side keys = %v", got)
		}
		if side["party"] != want.party {
			t.Errorf("side %d is party %v", i, side["party"])
		}
		released, _ := side["released"].([]any)
		left, _ := side["left_out"].([]any)
		if len(released) == 0 || len(released) > 2 || len(released)+len(left) != want.entries {
			t.Errorf("party %s: %d released, %d left out, want every one of %d rows within capacity 2", want.party, len(released), len(left), want.entries)
		}
		for _, d := range append(released, left...) {
			dm := d.(map[string]any)
			if got := keysOf(dm); !slices.Equal(got, []string{"categories", "list_id", "name", "reason", "row", "why"}) {
				t.Errorf("decision keys = %v", got)
			}
			if dm["list_id"] != want.list || dm["reason"] == "" || dm["name"] == "" {
				t.Errorf("decision = %v", dm)
			}
			if _, ok := dm["categories"].([]any); !ok {
				t.Errorf("categories = %#v, want a list", dm["categories"])
			}
		}
		totals, _ := side["totals"].(map[string]any)
		if totals["total"] != float64(len(released)) {
			t.Errorf("totals = %v for %d released", totals, len(released))
		}
	}
	code, out, _ = run(t, args...)
	if code != 0 || !strings.Contains(out, "released:") || !strings.Contains(out, "left out:") || !strings.Contains(out, "totals: total 2") || !strings.Contains(out, "capacity 2 reached") {
		t.Errorf("plan text output:\n%s", out)
	}
	if code, _, errOut := run(t, append(g, "plan", "--list", la, "--rule", "one-for-one")...); code != 2 || !strings.Contains(errOut, "one from each side") {
		t.Errorf("plan with one list: exit %d, %s", code, errOut)
	}
}

func TestStageCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := initDir(t, b.URL)
		la := importHandedOver(t, g, "../service/testdata/negotiation/list-A.csv", "A", "B")
		lb := importHandedOver(t, g, "../service/testdata/negotiation/list-B.csv", "B", "A")
		code, out, errOut := run(t, append(g, "round", "create", "--title", "Istanbul, first round", "--party", "A", "--party", "B", "--venue", "Istanbul",
			"--starts", "2025-06-02", "--criteria", "wounded,seriously_ill", "--age", "18-25", "--ref-date", "2025-06-07")...)
		if code != 0 {
			t.Fatalf("round create: %s", errOut)
		}
		round := strings.TrimSpace(out)
		propose := append(g, "stage", "propose", "--round", round, "--from", "A", "--rule", "one-for-one", "--date", "2025-06-10",
			"--release", la+":1", "--release", la+":2", "--release", lb+":1")
		if code, _, errOut := run(t, propose...); code != 1 || !strings.Contains(errOut, "A releases 2, B releases 1 under one-for-one") {
			t.Errorf("a proposal breaking its rule: exit %d, %q", code, errOut)
		}
		code, out, errOut = run(t, append(propose, "--release", lb+":2")...)
		if code != 0 {
			t.Fatalf("propose: %s", errOut)
		}
		prop := strings.TrimSpace(out)
		if code, _, errOut := run(t, append(g, "stage", "accept", prop, "--as", "A")...); code != 1 || !strings.Contains(errOut, "cannot accept its own proposal") {
			t.Errorf("A accepting its own proposal: exit %d, %q", code, errOut)
		}
		if code, out, errOut := run(t, append(g, "stage", "accept", prop, "--as", "B")...); code != 0 || !strings.Contains(out, "accepted") {
			t.Fatalf("accept: %s", errOut)
		}
		code, out, errOut = run(t, append(g, "stage", "witness", prop)...)
		if code != 0 {
			t.Fatalf("witness: %s", errOut)
		}
		ag := strings.TrimSpace(out)
		steps := [][]string{
			{"interview", ag, la + ":1", "--refuses"},
			{"interview", ag, la + ":2", "--consents"},
			{"outcome", ag, la + ":2", "--handed-over"},
			{"interview", ag, lb + ":1", "--consents"},
			{"outcome", ag, lb + ":1", "--handed-over"},
			{"outcome", ag, lb + ":2", "--substituted-by", lb + ":4"},
		}
		for _, st := range steps {
			if code, _, errOut := run(t, append(append(g, "stage"), st...)...); code != 0 {
				t.Fatalf("stage %v: %s", st, errOut)
			}
		}
		if code, _, errOut := run(t, append(g, "stage", "outcome", ag, la+":1", "--handed-over")...); code != 1 || !strings.Contains(errOut, "refused") {
			t.Errorf("handing over a person who refused: exit %d, %q", code, errOut)
		}
		code, out, errOut = run(t, append(g, "stage", "report", ag, "--json")...)
		if code != 0 {
			t.Fatalf("report: %s", errOut)
		}
		var rep handover.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.Complete || rep.Sides[0].Counts.Refused != 1 || rep.Sides[0].Counts.Owed != 0 || rep.Sides[1].Counts.Substituted != 1 || rep.Sides[1].Counts.Released != 2 {
			t.Errorf("report = %+v", rep)
		}
		if b.Name != "sqlite" {
			return // the printed views read what the JSON above did; once is enough
		}
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"stage", "report", ag}, "discrepancies:"},
			{[]string{"stage", "show", prop}, "thread: " + prop},
			{[]string{"stage", "show", ag}, "handover (complete: yes)"},
			{[]string{"stage", "ls"}, ag},
			{[]string{"stage", "timeline", la + ":2"}, "handed_over"},
			{[]string{"stage", "timeline", lb + ":4"}, "substituted_for"},
			{[]string{"round", "show", round}, prop},
			{[]string{"round", "ls"}, round},
			{[]string{"round", "conformance", round, la}, "do not"},
		} {
			code, out, errOut := run(t, append(g, c.args...)...)
			if code != 0 || !strings.Contains(out, c.want) {
				t.Errorf("%v: exit %d, output lacks %q:\n%s%s", c.args, code, c.want, out, errOut)
			}
		}
	})
}
