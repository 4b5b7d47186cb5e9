package handover

import (
	"errors"
	"sort"

	"parley/internal/category"
	"parley/internal/msg"
	"parley/internal/negotiation"
	"parley/internal/person"
)

// Counts adds up what happened to one side's persons. For the agreed
// persons, Agreed = HandedOver + Refused + NotPresented + Deceased +
// Substituted + Pending. A refusal followed by a substitution counts as a
// substitution.
type Counts struct {
	Agreed       int `json:"agreed"`
	HandedOver   int `json:"handed_over"` // agreed persons handed over
	Refused      int `json:"refused"`
	NotPresented int `json:"not_presented"`
	Deceased     int `json:"deceased"`
	Substituted  int `json:"substituted"` // agreed persons replaced by another
	Pending      int `json:"pending"`     // agreed persons without an outcome yet
	NotAgreed    int `json:"not_agreed"`  // persons handed over who were not in the agreement
	// Released is everyone actually handed over: agreed persons, substitutes
	// and persons outside the agreement.
	Released int `json:"released"`
	// Owed is what the side still owes under the agreement: persons not
	// presented and persons still pending. A refusal is never owed.
	Owed int `json:"owed"`
}

func (c *Counts) add(o Counts) {
	c.Agreed += o.Agreed
	c.HandedOver += o.HandedOver
	c.Refused += o.Refused
	c.NotPresented += o.NotPresented
	c.Deceased += o.Deceased
	c.Substituted += o.Substituted
	c.Pending += o.Pending
	c.NotAgreed += o.NotAgreed
	c.Released += o.Released
	c.Owed += o.Owed
}

// SideReport is one side's account of the stage.
type SideReport struct {
	Party  string `json:"party"`
	Counts Counts `json:"counts"`
	// ByCategory holds the same counts per counting category (see
	// negotiation.CountingCategory: each person once, "none" without one).
	ByCategory map[string]Counts `json:"by_category"`
	// Remains counts the remains handed over by identification status.
	Remains map[Identification]int `json:"remains,omitempty"`
}

// Kinds of discrepancy.
const (
	ItemRefused      = "refused"
	ItemNotPresented = "not_presented"
	ItemDeceased     = "deceased"
	ItemSubstituted  = "substituted"
	ItemNotAgreed    = "not_agreed" // handed over without being in the agreement
	ItemPending      = "pending"    // no outcome yet
	ItemInvalid      = "invalid"    // a record that breaks the rules of this package
	ItemDuplicate    = "duplicate"  // two records for one row
	ItemUnknownParty = "unknown_party"
)

// Item is one difference between the agreement and what happened.
type Item struct {
	Type     string      `json:"type"`
	Party    string      `json:"party"`
	ListID   string      `json:"list_id"`
	Row      int         `json:"row"`
	Name     string      `json:"name"`
	Kind     person.Kind `json:"kind"`
	Category string      `json:"category"`
	// Why says the difference as a message of the catalogue (package msg),
	// for each reader in his language; Detail is its English text.
	Why    msg.Msg `json:"why"`
	Detail string  `json:"detail"`
}

// say sets the item's type and its detail.
func (it *Item) say(typ string, why msg.Msg) {
	it.Type, it.Why, it.Detail = typ, why, why.String()
}

// substituteMsg names a substitute: code with {name}, and his row when he
// is on a list.
func substituteMsg(code string, sub *Substitute) msg.Msg {
	if sub.ListID != "" {
		return msg.New(code+"_row", "name", msg.Raw(name(&sub.Person)), "row", msg.Plain(sub.Row), "list", msg.Raw(sub.ListID))
	}
	return msg.New(code, "name", msg.Raw(name(&sub.Person)))
}

// Report lists every difference between an agreed stage and its handover.
type Report struct {
	// Complete is true when every agreed person has an outcome (a refusal
	// is one).
	Complete bool          `json:"complete"`
	Sides    [2]SideReport `json:"sides"`
	Items    []Item        `json:"items"`
	// Breach lists how the releases as they happened break the agreed
	// terms, as negotiation.Check reports it on Actual; empty when they
	// keep them.
	Breach        []negotiation.Problem `json:"breach,omitempty"`
	BreachMessage string                `json:"breach_message,omitempty"` // in English
	BreachWhy     msg.Msg               `json:"breach_why,omitzero"`
}

type key struct {
	party, list string
	row         int
}

// index maps each (party, list, row) to its first state and reports later
// duplicates.
func index(outcomes []PersonState) (map[key]*PersonState, []Item) {
	idx := map[key]*PersonState{}
	var dups []Item
	for i := range outcomes {
		s := &outcomes[i]
		k := key{s.Party, s.ListID, s.Row}
		if _, ok := idx[k]; ok {
			it := Item{Party: s.Party, ListID: s.ListID, Row: s.Row, Name: name(&s.Person), Kind: kindOf(&s.Person)}
			it.say(ItemDuplicate, msg.New("report.duplicate"))
			dups = append(dups, it)
			continue
		}
		idx[k] = s
	}
	return idx, dups
}

func kindOf(p *person.Person) person.Kind {
	if p.Kind == "" {
		return person.KindPOW
	}
	return p.Kind
}

// Complete reports whether every agreed person has an outcome.
func Complete(agreed negotiation.Stage, outcomes []PersonState) bool {
	idx, _ := index(outcomes)
	for _, side := range agreed.Sides {
		for _, r := range side.Releases {
			s := idx[key{side.Party, r.ListID, r.Row}]
			if s == nil || s.Validate() != nil || !s.Done() {
				return false
			}
		}
	}
	return true
}

// Actual returns the stage as it was carried out, for negotiation.Check:
// per side, the agreed persons handed over, the substitutes (under the
// legal basis of the person they replaced; a substitute without a list row
// is entered as row R of list "L/substitute", R and L being the replaced
// person's), persons handed over outside the agreement (with no legal
// basis, since none was agreed), and, so that neither counts as a breach,
// the refusals (never owed) and the persons still pending (counted as
// agreed until they have an outcome).
func Actual(agreed negotiation.Stage, outcomes []PersonState) negotiation.Stage {
	idx, _ := index(outcomes)
	st := negotiation.Stage{Terms: agreed.Terms}
	inAgreement := map[key]bool{}
	for i, side := range agreed.Sides {
		st.Sides[i].Party = side.Party
		st.Sides[i].Releases = []negotiation.Release{}
		for _, r := range side.Releases {
			k := key{side.Party, r.ListID, r.Row}
			inAgreement[k] = true
			s := idx[k]
			if s == nil || s.Validate() != nil {
				// pending, or a record too broken to count: as agreed
				st.Sides[i].Releases = append(st.Sides[i].Releases, r)
				continue
			}
			switch {
			case s.Outcome == HandedOver:
				st.Sides[i].Releases = append(st.Sides[i].Releases, r)
			case s.Outcome == Substituted:
				sub := s.Substitute
				list, row := sub.ListID, sub.Row
				if list == "" {
					list, row = r.ListID+"/substitute", r.Row
				}
				st.Sides[i].Releases = append(st.Sides[i].Releases, negotiation.Release{
					Party: side.Party, ListID: list, Row: row, Person: sub.Person, LegalBasis: r.LegalBasis})
			case s.Outcome == "": // pending, or refused: a refusal is never owed
				st.Sides[i].Releases = append(st.Sides[i].Releases, r)
			}
		}
	}
	for i := range outcomes {
		s := &outcomes[i]
		k := key{s.Party, s.ListID, s.Row}
		if inAgreement[k] || idx[k] != s || s.Outcome != HandedOver || s.Validate() != nil {
			continue
		}
		for j := range st.Sides {
			if st.Sides[j].Party == s.Party {
				st.Sides[j].Releases = append(st.Sides[j].Releases, negotiation.Release{
					Party: s.Party, ListID: s.ListID, Row: s.Row, Person: s.Person})
			}
		}
	}
	return st
}

// Discrepancies compares an agreed stage with the states recorded at the
// handover and lists every difference, per side and per category: persons
// not presented, refused, deceased, substituted, handed over outside the
// agreement, still pending, and records that break this package's rules.
// It then checks the releases as they happened (Actual) against the agreed
// terms, so that a substitution or a shortfall that breaks parity shows as
// a breach. A nil catalogue means the built-in categories.
func Discrepancies(agreed negotiation.Stage, outcomes []PersonState, cat *category.Catalogue) Report {
	if cat == nil {
		cat = category.MustDefault()
	}
	idx, items := index(outcomes)
	ruleCats := agreed.Terms.Categories
	rep := Report{Items: items}
	inAgreement := map[key]bool{}
	for i, side := range agreed.Sides {
		sr := SideReport{Party: side.Party, ByCategory: map[string]Counts{}, Remains: map[Identification]int{}}
		count := func(cc string, c Counts) {
			sr.Counts.add(c)
			t := sr.ByCategory[cc]
			t.add(c)
			sr.ByCategory[cc] = t
		}
		for _, r := range side.Releases {
			k := key{side.Party, r.ListID, r.Row}
			inAgreement[k] = true
			p := r.Person
			cc := negotiation.CountingCategory(&p, ruleCats, cat)
			item := Item{Party: side.Party, ListID: r.ListID, Row: r.Row, Name: name(&p), Kind: kindOf(&p), Category: cc}
			c := Counts{Agreed: 1}
			s := idx[k]
			var invalid error
			if s != nil {
				invalid = s.Validate()
			}
			switch {
			case s != nil && invalid != nil:
				item.say(ItemInvalid, msg.FromError(invalid))
				rep.Items = append(rep.Items, item)
				item = Item{Party: item.Party, ListID: item.ListID, Row: item.Row, Name: item.Name, Kind: item.Kind, Category: cc}
				if s.Refused() {
					// whatever else the record says, a refusal is never a handover nor owed
					c.Refused = 1
					item.say(ItemRefused, msg.New("report.refused"))
				} else {
					c.Pending, c.Owed = 1, 1
					item.say(ItemPending, msg.New("report.no_valid_outcome"))
				}
			case s == nil || !s.Done():
				c.Pending, c.Owed = 1, 1
				item.say(ItemPending, msg.New("report.pending"))
			case s.Outcome == HandedOver:
				c.HandedOver, c.Released = 1, 1
				if isRemains(&s.Person) {
					sr.Remains[identification(s)]++
				}
			case s.Outcome == Substituted:
				c.Substituted, c.Released = 1, 1
				sub := s.Substitute
				why := substituteMsg("report.replaced_by", sub)
				if kindOf(&sub.Person) != kindOf(&p) {
					why = msg.New("report.other_kind", "text", why, "sub", msg.Enum{Kind: "kind", Code: string(kindOf(&sub.Person))}, "kind", msg.Enum{Kind: "kind", Code: string(kindOf(&p))})
				}
				if s.Refused() {
					why = msg.New("report.refused_then", "text", why)
				}
				item.say(ItemSubstituted, why)
				if isRemains(&sub.Person) {
					sr.Remains[Presumed]++
				}
			case s.Refused():
				c.Refused = 1
				item.say(ItemRefused, msg.New("report.refused"))
			case s.Outcome == NotPresented:
				c.NotPresented, c.Owed = 1, 1
				item.say(ItemNotPresented, msg.New("report.not_presented"))
			case s.Outcome == Deceased:
				c.Deceased = 1
				item.say(ItemDeceased, msg.New("report.deceased"))
			}
			if item.Type != "" {
				rep.Items = append(rep.Items, item)
			}
			count(cc, c)
		}
		rep.Sides[i] = sr
	}
	// persons handed over outside the agreement
	for i := range outcomes {
		s := &outcomes[i]
		k := key{s.Party, s.ListID, s.Row}
		if inAgreement[k] || idx[k] != s || s.Outcome != HandedOver {
			continue
		}
		cc := negotiation.CountingCategory(&s.Person, ruleCats, cat)
		item := Item{Party: s.Party, ListID: s.ListID, Row: s.Row, Name: name(&s.Person), Kind: kindOf(&s.Person), Category: cc}
		item.say(ItemNotAgreed, msg.New("report.not_agreed"))
		if err := s.Validate(); err != nil {
			item.say(ItemInvalid, msg.FromError(err))
			rep.Items = append(rep.Items, item)
			continue
		}
		side := -1
		for j := range rep.Sides {
			if rep.Sides[j].Party == s.Party {
				side = j
			}
		}
		if side < 0 {
			item.say(ItemUnknownParty, msg.New("report.unknown_party", "party", msg.Raw(s.Party)))
			rep.Items = append(rep.Items, item)
			continue
		}
		rep.Items = append(rep.Items, item)
		sr := &rep.Sides[side]
		c := Counts{NotAgreed: 1, Released: 1}
		sr.Counts.add(c)
		t := sr.ByCategory[cc]
		t.add(c)
		sr.ByCategory[cc] = t
		if isRemains(&s.Person) {
			sr.Remains[identification(s)]++
		}
	}
	rep.Complete = true
	for i := range rep.Sides {
		if rep.Sides[i].Counts.Pending > 0 {
			rep.Complete = false
		}
		if len(rep.Sides[i].Remains) == 0 {
			rep.Sides[i].Remains = nil
		}
	}
	sort.SliceStable(rep.Items, func(i, j int) bool {
		a, b := rep.Items[i], rep.Items[j]
		if a.Party != b.Party {
			return sideOf(agreed, a.Party) < sideOf(agreed, b.Party)
		}
		if a.ListID != b.ListID {
			return a.ListID < b.ListID
		}
		return a.Row < b.Row
	})
	if rep.Items == nil {
		rep.Items = []Item{}
	}
	if err := negotiation.Check(Actual(agreed, outcomes), cat); err != nil {
		var re *negotiation.RuleError
		if errors.As(err, &re) {
			rep.Breach = re.Problems
		}
		rep.BreachWhy = msg.FromError(err)
		rep.BreachMessage = rep.BreachWhy.String()
	}
	return rep
}

func identification(s *PersonState) Identification {
	if s.Identification == "" {
		return Presumed
	}
	return s.Identification
}

func sideOf(st negotiation.Stage, party string) int {
	for i, s := range st.Sides {
		if s.Party == party {
			return i
		}
	}
	return len(st.Sides)
}
