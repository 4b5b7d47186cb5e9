package handover

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/person"
)

var t0 = time.Date(2025, 6, 9, 8, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func pow(surname, given string, cats ...string) person.Person {
	p := person.Person{Kind: person.KindPOW, Surname: surname, GivenNames: given}
	for _, c := range cats {
		p.AddCategory(c)
	}
	return p
}

func remains(grave string) person.Person {
	return person.Person{Kind: person.KindRemains, GraveID: grave}
}

// agreedState walks a person from listed to agreed.
func agreedState(t *testing.T, party, list string, row int, p person.Person) PersonState {
	t.Helper()
	s, err := Listed(party, list, row, p, at(0), "registrar")
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range []Event{{Type: EventProposed, At: at(1), By: "negotiator"}, {Type: EventAgreed, At: at(2), By: "mediator"}} {
		if s, err = Apply(s, ev); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return s
}

// apply applies events in order and fails on the first error.
func apply(t *testing.T, s PersonState, evs ...Event) PersonState {
	t.Helper()
	for _, ev := range evs {
		var err error
		if s, err = Apply(s, ev); err != nil {
			t.Fatalf("Apply(%s): %v", ev.Type, err)
		}
	}
	return s
}

func interview(i Interview, min int) Event {
	return Event{Type: EventInterviewed, At: at(min), By: "observer", Interview: i}
}

func ev(typ EventType, min int) Event { return Event{Type: typ, At: at(min), By: "officer"} }

func substitute(p person.Person, i Interview, min int) Event {
	return Event{Type: EventSubstituted, At: at(min), By: "officer", Substitute: &Substitute{Person: p, Interview: i}}
}

func TestTimeline(t *testing.T) {
	s := agreedState(t, "A", "LA", 14, pow("Іваненко", "Петро", category.Wounded))
	s = apply(t, s, interview(Consents, 10), ev(EventHandedOver, 20))
	want := []Step{
		{Status: StatusListed, At: at(0), By: "registrar"},
		{Status: StatusProposed, At: at(1), By: "negotiator"},
		{Status: StatusAgreed, At: at(2), By: "mediator"},
		{Status: StatusInterviewed, At: at(10), By: "observer", Note: "consents"},
		{Status: StatusHandedOver, At: at(20), By: "officer"},
	}
	if !reflect.DeepEqual(s.Timeline, want) {
		t.Errorf("timeline\n got %+v\nwant %+v", s.Timeline, want)
	}
	if s.Status != StatusHandedOver || s.Outcome != HandedOver || !s.Done() {
		t.Errorf("state = %+v", s)
	}
	// the state survives JSON unchanged
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back PersonState
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("JSON round trip: %v\n%s", err, b)
	}
}

func TestApplyKeepsInputUnchanged(t *testing.T) {
	s := agreedState(t, "A", "LA", 1, pow("Ш", "Т"))
	before := len(s.Timeline)
	if _, err := Apply(s, interview(Consents, 5)); err != nil {
		t.Fatal(err)
	}
	if len(s.Timeline) != before || s.Interview != "" {
		t.Error("Apply changed its input")
	}
}

func TestRefusalInvariant(t *testing.T) {
	refused := apply(t, agreedState(t, "A", "LA", 1, pow("Ш", "Т")), interview(Refuses, 10))
	// consent first, then a second interview that refuses
	changed := apply(t, agreedState(t, "A", "LA", 2, pow("К", "О")), interview(Consents, 10), interview(Refuses, 11))
	other := pow("Петренко", "Іван")
	tests := []struct {
		name  string
		from  PersonState
		event Event
		want  error // nil: allowed
	}{
		{"refused cannot be handed over", refused, ev(EventHandedOver, 20), ErrRefused},
		{"withdrawn consent cannot be handed over", changed, ev(EventHandedOver, 20), ErrRefused},
		{"refusal cannot be turned into consent", refused, interview(Consents, 20), ErrRefused},
		{"refusal cannot be re-recorded", refused, interview(Refuses, 20), ErrRefused},
		{"refused is not 'not presented'", refused, ev(EventNotPresented, 20), ErrRefused},
		{"refused is not 'deceased'", refused, ev(EventDeceased, 20), ErrRefused},
		{"a refusing substitute cannot be handed over", refused, substitute(other, Refuses, 20), ErrRefused},
		{"a substitute must be interviewed", refused, substitute(other, "", 20), ErrOrder},
		{"a consenting substitute may take the place", refused, substitute(other, Consents, 20), nil},
		{"a refusing substitute for a consenting person", apply(t, agreedState(t, "A", "LA", 3, pow("Б", "І")), interview(Consents, 5)), substitute(other, Refuses, 20), ErrRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(tt.from, tt.event)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if got.Outcome == HandedOver {
					t.Fatal("a refused person was marked handed over")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Apply = %v, want %v", err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.from) {
				t.Error("a refused event changed the state")
			}
		})
	}
	t.Run("a tampered record is refused", func(t *testing.T) {
		var bad PersonState
		doc := `{"party":"A","list_id":"LA","row":1,"person":{"kind":"pow","surname":"Ш"},"status":"handed_over","interview":"refuses","outcome":"handed_over","timeline":[{"status":"listed","at":"2025-06-09T08:00:00Z","by":"x"}]}`
		if err := json.Unmarshal([]byte(doc), &bad); err != nil {
			t.Fatal(err)
		}
		if err := bad.Validate(); !errors.Is(err, ErrRefused) {
			t.Errorf("Validate = %v, want ErrRefused", err)
		}
		if _, err := Apply(bad, ev(EventIdentified, 30)); !errors.Is(err, ErrRefused) {
			t.Errorf("Apply on a tampered record = %v, want ErrRefused", err)
		}
	})
}

// TestRefusalEveryPath walks every sequence of events up to a depth from a
// listed person and checks that no reachable state hands over someone who
// refused, nor a substitute who refused.
func TestRefusalEveryPath(t *testing.T) {
	sub := pow("Петренко", "Іван")
	alphabet := []Event{
		{Type: EventProposed}, {Type: EventAgreed},
		{Type: EventInterviewed, Interview: Consents}, {Type: EventInterviewed, Interview: Refuses},
		{Type: EventHandedOver}, {Type: EventNotPresented}, {Type: EventDeceased},
		{Type: EventSubstituted, Substitute: &Substitute{Person: sub, Interview: Consents}},
		{Type: EventSubstituted, Substitute: &Substitute{Person: sub, Interview: Refuses}},
		{Type: EventSubstituted, Substitute: &Substitute{Person: sub}},
	}
	start, err := Listed("A", "LA", 1, pow("Ш", "Т"), at(0), "registrar")
	if err != nil {
		t.Fatal(err)
	}
	states, refusedSeen, handed := 0, 0, 0
	var walk func(s PersonState, depth int, everRefused bool)
	walk = func(s PersonState, depth int, everRefused bool) {
		states++
		if everRefused {
			refusedSeen++
		}
		if s.Outcome == HandedOver {
			handed++
			if everRefused || s.Interview != Consents {
				t.Fatalf("handed over after a refusal or without consent: %+v", s.Timeline)
			}
		}
		if s.Substitute != nil && s.Substitute.Interview != Consents {
			t.Fatalf("substitute without consent: %+v", s.Substitute)
		}
		if everRefused && s.Interview != Refuses {
			t.Fatalf("a refusal was undone: %+v", s.Timeline)
		}
		if depth == 0 {
			return
		}
		for i, e := range alphabet {
			e.At, e.By = at(len(s.Timeline)+i), "recorder"
			next, err := Apply(s, e)
			if err != nil {
				continue
			}
			walk(next, depth-1, everRefused || next.Interview == Refuses)
		}
	}
	walk(start, 7, false)
	if refusedSeen == 0 || handed == 0 {
		t.Fatalf("the walk never reached a refusal (%d) or a handover (%d)", refusedSeen, handed)
	}
	t.Logf("%d states reached, %d after a refusal, %d handovers", states, refusedSeen, handed)
}

func TestApplyOrder(t *testing.T) {
	listed, err := Listed("A", "LA", 1, pow("Ш", "Т"), at(0), "registrar")
	if err != nil {
		t.Fatal(err)
	}
	agreed := agreedState(t, "A", "LA", 1, pow("Ш", "Т"))
	consented := apply(t, agreed, interview(Consents, 10))
	handed := apply(t, consented, ev(EventHandedOver, 20))
	body := agreedState(t, "A", "LR", 1, remains("G-17"))
	tests := []struct {
		name  string
		from  PersonState
		event Event
		want  error
	}{
		{"agreed before proposed", listed, ev(EventAgreed, 5), ErrOrder},
		{"handed over without interview", agreed, ev(EventHandedOver, 5), ErrOrder},
		{"handed over twice", handed, ev(EventHandedOver, 30), ErrFinal},
		{"not presented after handover", handed, ev(EventNotPresented, 30), ErrFinal},
		{"interviewed after handover", handed, interview(Consents, 30), ErrFinal},
		{"proposed after agreement", agreed, ev(EventProposed, 5), ErrOrder},
		{"time runs backwards", consented, ev(EventHandedOver, 5), ErrOrder},
		{"no recorder", consented, Event{Type: EventHandedOver, At: at(30)}, ErrEvent},
		{"no time", consented, Event{Type: EventHandedOver, By: "x"}, ErrEvent},
		{"unknown event", consented, ev("released", 30), ErrEvent},
		{"unknown interview outcome", agreed, interview("maybe", 30), ErrEvent},
		{"substitution without substitute", consented, ev(EventSubstituted, 30), ErrEvent},
		{"remains are not interviewed", body, interview(Consents, 30), ErrOrder},
		{"remains do not die again", body, ev(EventDeceased, 30), ErrOrder},
		{"the living are not identified", agreed, Event{Type: EventIdentified, At: at(30), By: "lab", Identification: Confirmed}, ErrOrder},
		{"identification does not go back", apply(t, body, Event{Type: EventIdentified, At: at(30), By: "lab", Identification: Confirmed}),
			Event{Type: EventIdentified, At: at(40), By: "lab", Identification: DNAPending}, ErrOrder},
		{"unknown identification", body, Event{Type: EventIdentified, At: at(30), By: "lab", Identification: "likely"}, ErrEvent},
		{"remains handed over without interview", body, ev(EventHandedOver, 30), nil},
		{"an unagreed person may be interviewed (and Discrepancies reports him)", listed, interview(Consents, 5), nil},
		{"consent may be withdrawn", consented, interview(Refuses, 30), nil},
		{"deceased before the handover", consented, ev(EventDeceased, 30), nil},
		{"not presented", agreed, ev(EventNotPresented, 30), nil},
		{"identified after the handover", apply(t, body, ev(EventHandedOver, 30)), Event{Type: EventIdentified, At: at(40), By: "lab", Identification: DNAPending}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(tt.from, tt.event)
			if tt.want == nil && err != nil {
				t.Fatalf("Apply = %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Apply = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestListed(t *testing.T) {
	if _, err := Listed("", "LA", 1, pow("Ш", "Т"), at(0), "x"); !errors.Is(err, ErrEvent) {
		t.Errorf("no party: %v", err)
	}
	if _, err := Listed("A", "LA", 0, pow("Ш", "Т"), at(0), "x"); !errors.Is(err, ErrEvent) {
		t.Errorf("row 0: %v", err)
	}
	if _, err := Listed("A", "LA", 1, pow("Ш", "Т"), time.Time{}, "x"); !errors.Is(err, ErrEvent) {
		t.Errorf("no time: %v", err)
	}
	s, err := Listed("A", "LA", 1, remains("G-1"), at(0), "x")
	if err != nil || s.Identification != Presumed {
		t.Errorf("remains start presumed: %+v, %v", s, err)
	}
	if _, err := Apply(PersonState{Party: "A", ListID: "L", Row: 1}, ev(EventProposed, 1)); !errors.Is(err, ErrEvent) {
		t.Errorf("a state without timeline: %v", err)
	}
}

func TestSubstitutionNote(t *testing.T) {
	s := apply(t, agreedState(t, "A", "LA", 5, pow("Ш", "Т")), interview(Consents, 10))
	e := substitute(pow("Петренко", "Іван"), Consents, 20)
	e.Substitute.ListID, e.Substitute.Row = "LA-2", 44
	s = apply(t, s, e)
	last := s.Timeline[len(s.Timeline)-1]
	if want := "by Петренко Іван (row 44 of list LA-2)"; last.Note != want || last.Status != StatusSubstituted {
		t.Errorf("step = %+v, want note %q", last, want)
	}
	if s.Substitute == e.Substitute {
		t.Error("the state shares the event's substitute")
	}
}

func ExampleApply() {
	s, _ := Listed("A", "LA", 14, person.Person{Kind: person.KindPOW, Surname: "Іваненко", GivenNames: "Петро"}, t0, "registrar")
	s, _ = Apply(s, Event{Type: EventProposed, At: t0, By: "negotiator"})
	s, _ = Apply(s, Event{Type: EventAgreed, At: t0, By: "mediator"})
	s, _ = Apply(s, Event{Type: EventInterviewed, At: t0, By: "observer", Interview: Refuses})
	_, err := Apply(s, Event{Type: EventHandedOver, At: t0, By: "officer"})
	fmt.Println(errors.Is(err, ErrRefused))
	fmt.Println(err)
	_, uk := msg.ErrorText("uk", err)
	fmt.Println(uk)
	// Output:
	// true
	// row 14 of list LA (Іваненко Петро) refused repatriation and can never be handed over
	// рядок 14 списку LA (Іваненко Петро): відмовився від репатріації, його ніколи не можна передати
}
