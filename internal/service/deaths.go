package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/store"
)

// Deaths in captivity (GC III Art. 120). The detaining party records a
// death with its particulars at any time; the outcome "deceased" of a stage
// needs such a record. Families never hear of it from a machine: an officer
// of the person's own side releases the news with the text that side
// wrote, and only then is it shown and announced (families.Table).

// DeathRequest records a death in captivity of a person on a handed-over
// list.
type DeathRequest struct {
	ListID     string   `json:"list_id"`
	Row        int      `json:"row"`
	DiedOn     string   `json:"died_on,omitempty"` // YYYY, YYYY-MM or YYYY-MM-DD; "" when unknown
	Place      string   `json:"place,omitempty"`
	Cause      string   `json:"cause,omitempty"`
	Burial     string   `json:"burial,omitempty"` // place of burial or where the remains are
	Grave      string   `json:"grave,omitempty"`  // particulars identifying the grave
	ReportedBy string   `json:"reported_by"`
	Documents  []string `json:"documents,omitempty"`
}

// deathOf reads the death record of a list entry. It is the one reader of
// that key, so that naming list entries differently later changes one
// place.
func deathOf(ctx context.Context, tx *store.Tx, listID string, row int) (*handover.Death, bool, error) {
	return tx.EntryDeath(ctx, listID, row)
}

// deadRows returns the rows of a list whose person's death in captivity is
// on record (on this version of the list or another), with the record's
// id: they are never proposed for release.
func deadRows(ctx context.Context, tx *store.Tx, listID string) (map[int]string, error) {
	return tx.DeathRows(ctx, listID)
}

// entryPerson reads the person of one list entry without the rest of the
// list.
func entryPerson(ctx context.Context, tx *store.Tx, listID string, row int) (person.Person, error) {
	var p person.Person
	var raw string
	if err := tx.QueryRow(ctx, `SELECT person FROM list_entries WHERE list_id = ? AND row_no = ?`, listID, row).Scan(&raw); err != nil {
		return p, fmt.Errorf("read %s row %d: %w", listID, row, err)
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, fmt.Errorf("decode %s row %d: %w", listID, row, err)
	}
	return p, nil
}

// deathItemID names a death's list entry as a personal item of the log.
func deathItemID(d *handover.Death) string {
	return "death/" + d.ListID + "/" + strconv.Itoa(d.Row)
}

func deathEvent(typ string, d *handover.Death) Event {
	data, _ := json.Marshal(d)
	// Which person died is personal: the clear attributes name only the
	// record, the list and the sides.
	return Event{Type: typ, Subject: d.ID,
		Attrs: map[string]string{"death_id": d.ID, "list_id": d.ListID, "party": d.Party, "family_party": d.FamilyParty,
			"state": d.State, "released_state": d.ReleasedState},
		Personal: []EventItem{{ID: deathItemID(d), Data: data}}}
}

// RecordDeath records the death in captivity of a person on a handed-over
// list. Officers of the detaining party (the list's sender) record it; who
// reported the death is required, every other particular may be unknown.
// Nothing reaches the family.
func (s *Service) RecordDeath(ctx context.Context, actor access.Actor, req DeathRequest) (*handover.Death, error) {
	d := &handover.Death{ListID: strings.TrimSpace(req.ListID), Row: req.Row, Place: req.Place, Cause: req.Cause, Burial: req.Burial,
		Grave: req.Grave, ReportedBy: req.ReportedBy, Documents: req.Documents, State: handover.DeathRecorded}
	if v := strings.TrimSpace(req.DiedOn); v != "" {
		date, err := person.ParseISODate(v)
		if err != nil {
			return nil, invalidBecause("err.field_value", err, "field", input("died_on"), "value", v)
		}
		d.DiedOn = date
	}
	d.Normalize()
	if errs := d.Validate(s.Now()); len(errs) > 0 {
		probs := make([]msg.Msg, len(errs))
		for i, e := range errs {
			probs[i] = msg.New("err.person_field", "field", msg.Enum{Kind: "svc_death_field", Code: e.Field}, "reason", msg.New("err.death_field."+e.Code, "param", e.Param))
		}
		return nil, Invalid("err.death.invalid", "row", msg.Plain(req.Row), "list", d.ListID, "problems", probs)
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, e, err := s.handedOverEntry(ctx, tx, actor, d.ListID, d.Row)
		if err != nil {
			return err
		}
		if !actor.CanWriteList(l.From) {
			return access.Forbid("deny.death_report", "party", l.From)
		}
		if e.Kind == person.KindRemains {
			return Invalid("err.death.remains", "row", msg.Plain(d.Row), "list", l.ID)
		}
		d.ID, d.Party, d.FamilyParty = newID("D"), l.From, l.To
		d.RecordedBy, d.RecordedAt = actor.String(), s.Now().UTC().Truncate(time.Microsecond)
		if err := tx.InsertDeath(ctx, d); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return Conflict("err.death.recorded", "row", msg.Plain(d.Row), "list", l.ID)
			}
			return err
		}
		return s.recordEvent(ctx, tx, actor, deathEvent("death.recorded", d))
	})
	if err != nil {
		return nil, err
	}
	s.Logger.Info("death in captivity recorded", "death", d.ID, "list", d.ListID)
	return d, nil
}

// handedOverEntry reads a row of a handed-over list that the actor may read.
func (s *Service) handedOverEntry(ctx context.Context, tx *store.Tx, actor access.Actor, listID string, row int) (*lists.List, lists.Entry, error) {
	l, err := s.loadHandedOverList(ctx, tx, actor, listID)
	if err != nil {
		return nil, lists.Entry{}, err
	}
	e, ok := entryAt(l, row)
	if !ok {
		return nil, lists.Entry{}, fmt.Errorf("row %d of list %s: %w", row, listID, ErrNotFound)
	}
	return l, e, nil
}

// seesDeath: the two sides of the record, the mediator and observers (the
// neutral agency that Art. 120 and 123 have informed).
func seesDeath(actor access.Actor, d *handover.Death) bool {
	return actor.System || actor.Has(access.Mediator) || actor.Has(access.Observer) ||
		(actor.Has(access.Officer) && (actor.Party == d.Party || actor.Party == d.FamilyParty))
}

func (s *Service) loadDeath(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*handover.Death, error) {
	d, err := tx.Death(ctx, id)
	if err != nil {
		return nil, err
	}
	if !seesDeath(actor, d) {
		return nil, fmt.Errorf("death %q: %w", id, ErrNotFound)
	}
	return d, nil
}

// DeathView is a death record with the person it is about.
type DeathView struct {
	handover.Death
	Person         person.Person `json:"person"`
	PendingRelease bool          `json:"pending_release"`
}

// Deaths returns the death records the actor may see, oldest first;
// pendingOnly keeps those whose news waits for a release.
func (s *Service) Deaths(ctx context.Context, actor access.Actor, pendingOnly bool) ([]DeathView, error) {
	if !actor.System && !actor.Has(access.Officer) && !actor.Has(access.Mediator) && !actor.Has(access.Observer) {
		return nil, access.Forbid("deny.see_deaths")
	}
	out := []DeathView{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		f := store.DeathFilter{PendingOnly: pendingOnly}
		if actor.Has(access.Officer) && !actor.System {
			f.Party = actor.Party
		}
		ds, err := tx.Deaths(ctx, f)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if !seesDeath(actor, d) {
				continue
			}
			v := DeathView{Death: *d, PendingRelease: d.PendingRelease()}
			if v.Person, err = entryPerson(ctx, tx, d.ListID, d.Row); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "deaths.view", actor.Party, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// RecordRemainsIdentified records that the remains of a person whose death
// is recorded were identified (a DNA result, a grave opened). Officers of
// the person's side, observers and the mediator record it; the family
// hears of it only through a new release.
func (s *Service) RecordRemainsIdentified(ctx context.Context, actor access.Actor, deathID, note string) (*handover.Death, error) {
	note = strings.TrimSpace(note)
	if err := handover.ValidFamilyText(note); err != nil && note != "" {
		return nil, invalidBecause("err.field", err, "field", input("note"))
	}
	var d *handover.Death
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		if d, err = s.loadDeath(ctx, tx, actor, deathID); err != nil {
			return err
		}
		if !actor.CanObserve() && !actor.CanMediate() && !actor.CanActForParty(d.FamilyParty) {
			return access.Forbid("deny.death_identify", "party", d.FamilyParty)
		}
		if d.State == handover.DeathRemainsIdentified {
			return Conflict("err.death.identified", "death", deathID)
		}
		if err := tx.SetDeathRemainsIdentified(ctx, deathID, note); err != nil {
			return changedMeanwhile(err)
		}
		d.State, d.RemainsNote = handover.DeathRemainsIdentified, note
		return s.recordEvent(ctx, tx, actor, deathEvent("death.remains_identified", d))
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ReleaseDeath releases the news of a death record's current state to the
// families linked to the person, with the text the person's own side
// wrote. Only officers of that side release (Art. 122: the family hears
// from its own side); the text is shown as written and the families are
// notified that there is news, in one transaction with the log entry.
func (s *Service) ReleaseDeath(ctx context.Context, actor access.Actor, deathID, text string) (*handover.Death, int, error) {
	text = strings.TrimSpace(text)
	if err := handover.ValidFamilyText(text); err != nil {
		return nil, 0, invalidErr(err)
	}
	var d *handover.Death
	changed := 0
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		if d, err = s.loadDeath(ctx, tx, actor, deathID); err != nil {
			return err
		}
		if !actor.System && !(actor.Has(access.Officer) && actor.Party == d.FamilyParty) {
			return access.Forbid("deny.death_release", "party", d.FamilyParty)
		}
		if !d.PendingRelease() {
			return Conflict("err.death.released", "death", deathID)
		}
		now := s.Now().UTC().Truncate(time.Microsecond)
		if err := tx.ReleaseDeath(ctx, deathID, d.State, text, actor.String(), now); err != nil {
			return changedMeanwhile(err)
		}
		d.ReleasedState, d.FamilyText, d.ReleasedBy, d.ReleasedAt = d.State, text, actor.String(), now
		if err := s.recordEvent(ctx, tx, actor, deathEvent("death.released", d)); err != nil {
			return err
		}
		st := families.FamilyStatus(families.PersonState(d.State), false)
		o := families.Outcome{Status: st, Wording: text}
		if t, ok := d.DiedOn.Time(); ok && d.DiedOn.Complete() {
			o.Date = t
		}
		changed, err = s.applyEntryOutcome(ctx, tx, actor, d.ListID, d.Row, o)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	s.Logger.Info("death released to families", "death", d.ID, "families", changed)
	return d, changed, nil
}

// WithdrawDeath withdraws a death record made in error, with the reason,
// as long as its news was never released and no stage recorded the death:
// after that the family or the stage report already carry it, and a
// correction is a matter for the sides, not an edit. Officers of the
// detaining side withdraw; the log keeps the record and its withdrawal.
func (s *Service) WithdrawDeath(ctx context.Context, actor access.Actor, deathID, reason string) error {
	reason = strings.TrimSpace(reason)
	if err := handover.ValidFamilyText(reason); err != nil {
		return invalidBecause("err.field", err, "field", input("reason"))
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := s.loadDeath(ctx, tx, actor, deathID)
		if err != nil {
			return err
		}
		if !actor.CanWriteList(d.Party) {
			return access.Forbid("deny.death_withdraw", "party", d.Party)
		}
		if d.ReleasedState != "" {
			return Conflict("err.death.withdraw_released", "death", deathID)
		}
		recs, err := tx.EntryHandoverRecords(ctx, d.ListID, d.Row)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.State.Outcome == handover.Deceased {
				return Conflict("err.death.outcome", "death", deathID, "agreement", r.AgreementID)
			}
		}
		if err := tx.DeleteDeath(ctx, deathID); err != nil {
			return changedMeanwhile(err)
		}
		ev := deathEvent("death.withdrawn", d)
		ev.Personal = append(ev.Personal, EventItem{ID: "reason", Data: []byte(reason)})
		return s.recordEvent(ctx, tx, actor, ev)
	})
}
