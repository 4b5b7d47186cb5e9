package service

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/lists"
	"parley/internal/matching"
	"parley/internal/msg"
	"parley/internal/notify"
	"parley/internal/person"
	"parley/internal/pfif"
	"parley/internal/store"
)

// Family inquiries (see package families for the rules). A family
// registers an inquiry without an account and comes back with its reference
// and secret; the service compares every inquiry with every list handed
// over to the relative's side, proposes links for officers of that side to
// confirm, and tells the family — by a notification written in the same
// transaction as the change — only what a confirmed link says.

// ErrNotRecognised is the one answer to a status look-up with an unknown
// reference or a wrong secret: which of the two was wrong is not said.
var ErrNotRecognised = errors.New("reference or secret not recognised")

// RegisterOptions say how an inquiry arrived and what the installation
// accepts.
type RegisterOptions struct {
	Source families.Source
	// AllowHTTPWebhooks accepts http:// webhook URLs and private
	// addresses (closed networks and tests).
	AllowHTTPWebhooks bool
}

// Registration is the answer to a family that registered an inquiry.
type Registration struct {
	Reference string
	// Secret is shown once, when the inquiry is new; it is stored only as
	// a hash. Empty for a repeated submission.
	Secret string
	// Duplicate: the same relative was already registered by the same
	// contact; Reference is that inquiry's, and no new secret is issued
	// (see RequestNewSecret).
	Duplicate bool
}

// RegisterInquiry checks and stores a family's inquiry and compares it with
// the lists handed over so far. A repeated submission (same relative, same
// contact) returns the existing reference without a secret. The error is a
// *families.ValidationError (errors.Is ErrInvalid) when the request is
// incomplete or wrong.
func (s *Service) RegisterInquiry(ctx context.Context, req families.Request, opts RegisterOptions) (*Registration, error) {
	if err := s.refuseOnHub(RefuseFamilies); err != nil {
		return nil, err
	}
	parties, err := s.Parties(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(parties))
	for i, p := range parties {
		ids[i] = p.ID
	}
	if opts.Source == "" {
		opts.Source = families.SourceAPI
	}
	q, err := req.Build(families.ValidateOptions{Parties: ids, Today: s.Now(), AllowHTTPWebhooks: opts.AllowHTTPWebhooks}, opts.Source)
	if err != nil {
		return nil, invalidErr(err)
	}
	if dup, err := s.duplicate(ctx, q.DedupKey); err != nil || dup != nil {
		return dup, err
	}
	secret := families.NewSecret()
	if q.SecretHash, err = s.hashFamilySecret(secret); err != nil {
		return nil, err
	}
	// Officers compare the inquiry with lists in either script: add the
	// official romanization of the relative's side where the family wrote
	// Cyrillic only, as list imports do.
	fillLatin(&q.Relative, translitFor(parties, "", q.Party))
	q.ID = newID("Q")
	q.CreatedAt = s.Now().UTC().Truncate(time.Microsecond)
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		for range 5 {
			q.Reference = families.NewReference()
			if _, err := tx.InquiryByReference(ctx, q.Reference); errors.Is(err, store.ErrNotFound) {
				return tx.InsertInquiry(ctx, q)
			} else if err != nil {
				return err
			}
		}
		return errors.New("no free reference code after five tries")
	})
	if errors.Is(err, store.ErrDuplicate) {
		// Two identical submissions raced; the other one won.
		if dup, derr := s.duplicate(ctx, q.DedupKey); derr != nil || dup != nil {
			return dup, derr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("register inquiry: %w", err)
	}
	s.Logger.Info("inquiry registered", "inquiry", q.ID, "party", q.Party, "source", string(q.Source))
	// The inquiry is stored; comparing it with the lists may fail without
	// losing it: an inquiry not yet compared is taken up again by
	// CatchUpLinks.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.linkInquiry(lctx, q.ID); err != nil {
		s.Logger.Warn("inquiry not yet compared with the lists", "inquiry", q.ID, "err", err)
	}
	return &Registration{Reference: q.Reference, Secret: secret}, nil
}

func (s *Service) duplicate(ctx context.Context, key string) (*Registration, error) {
	var q *families.Inquiry
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		q, err = tx.InquiryByDedupKey(ctx, key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Registration{Reference: q.Reference, Duplicate: true}, nil
}

// InquiryStatus returns what a family may see about its inquiry: one
// indexed read of the inquiry's status columns and one keyed check of the
// secret (families.CheckSecret; a hash still in the old argon2id form is
// replaced by a keyed one once the right secret is given). An unknown
// reference costs the same check, so that the answer time does not tell it
// from a wrong secret. Rate limits are the caller's (the web front limits
// per client address and per reference; see InquiryStatusLimited).
func (s *Service) InquiryStatus(ctx context.Context, reference, secret string) (*families.PublicStatus, error) {
	st, _, err := s.InquiryStatusLimited(ctx, reference, secret, time.Time{})
	return st, err
}

// InquiryStatusLimited is InquiryStatus that first checks, in the same
// round of reads as the inquiry, the failure limits given (their counts
// reached N: see ThrottleBlocked): when one is used up it returns its wait
// and checks no secret. The status comes from the inquiry row itself, a
// read model that the events changing a status update in their own
// transaction, so a look-up joins nothing and writes nothing (except the
// one-off upgrade of an old hash and the promotion of a replacement
// secret). A family that looks again is answered from memory while the
// row is unchanged (see statusCache); the secret is still checked.
func (s *Service) InquiryStatusLimited(ctx context.Context, reference, secret string, now time.Time, limits ...ThrottleLimit) (*families.PublicStatus, time.Duration, error) {
	ref, err := families.NormalizeReference(reference)
	if err != nil {
		ref = ""
	}
	cached := ref != "" && len(s.familyKey) >= families.SecretKeyLen
	if cached {
		if st, ok := s.cachedStatus(ctx, ref, secret, now, limits); ok {
			return st, 0, nil
		}
	}
	keys := make([]store.ThrottleKey, len(limits))
	for i, l := range limits {
		keys[i] = store.ThrottleKey{Scope: l.Scope, Key: l.Key}
	}
	var q *families.Inquiry
	var states []store.ThrottleState
	var version int64
	if ref != "" || len(keys) > 0 {
		q, states, version, err = s.db.InquiryForStatus(ctx, ref, now, keys...)
		if err != nil {
			return nil, 0, err
		}
	}
	wait := time.Duration(0)
	for i, l := range limits {
		if states[i].Hits >= l.N {
			wait = max(wait, states[i].Expires.Sub(now))
			s.statuses.block(keys[i], states[i], l.N, now)
		}
	}
	if wait > 0 {
		return nil, wait, nil
	}
	if q == nil || !strings.HasPrefix(q.SecretHash, "$") {
		families.SpendCheckWith(s.familyKey, secret, s.secretParams)
		return nil, 0, ErrNotRecognised
	}
	ok, upgrade := families.CheckSecret(s.familyKey, q.SecretHash, secret)
	if upgrade {
		s.upgradeSecretHash(ctx, q.ID, q.SecretHash, secret)
	}
	if !ok {
		if ok, _ := families.CheckSecret(s.familyKey, q.NewSecretHash, secret); q.NewSecretHash == "" || !ok {
			return nil, 0, ErrNotRecognised
		}
		// The family used the replacement secret: from now on it is the
		// only one.
		if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.PromoteInquirySecret(ctx, q.ID, q.NewSecretHash) }); err != nil {
			return nil, 0, err
		}
		cached = false // the row read is no longer the row
	}
	st := q.Public()
	if cached && !upgrade && families.IsKeyedHash(q.SecretHash) {
		s.statuses.put(ref, &statusEntry{version: version, hash: q.SecretHash, status: st})
	}
	return &st, 0, nil
}

// hashFamilySecret returns what is stored of a family secret: its keyed
// hash, or an argon2id hash when the service has no key (a store without a
// data directory).
func (s *Service) hashFamilySecret(secret string) (string, error) {
	if len(s.familyKey) == 0 {
		return families.HashSecretWith(secret, s.secretParams)
	}
	return families.HashSecretKeyed(s.familyKey, secret)
}

// upgradeSecretHash replaces an argon2id hash, just verified, by the keyed
// hash of the same secret. It changes how the secret is stored, not what
// the family can do, so it is not an event of the log; failing, it only
// leaves the slower hash for the next look-up.
func (s *Service) upgradeSecretHash(ctx context.Context, id, old, secret string) {
	h, err := families.HashSecretKeyed(s.familyKey, secret)
	if err == nil {
		err = s.db.Update(ctx, func(tx *store.Tx) error { return tx.ReplaceInquirySecretHash(ctx, id, old, h) })
	}
	if err != nil {
		s.Logger.Warn("family secret hash not upgraded", "inquiry", id, "err", err)
	}
}

// NewSecretInterval is the least time between two replacement secrets of
// one inquiry, so that whoever knows a reference cannot flood the family.
const NewSecretInterval = time.Hour

// RequestNewSecret sends a replacement secret to the contact registered
// with an inquiry, through the outbox. The old secret stays valid until the
// new one is used. The answer is the same whether or not the reference
// exists, has a contact, or had a secret sent within NewSecretInterval: the
// one asking learns nothing, and only the registered contact hears.
func (s *Service) RequestNewSecret(ctx context.Context, reference string) error {
	ref, err := families.NormalizeReference(reference)
	if err != nil {
		return nil
	}
	var q *families.Inquiry
	err = s.db.View(ctx, func(tx *store.Tx) (err error) {
		q, err = tx.InquiryByReference(ctx, ref)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	if (q.Email == "" && q.Phone == "" && q.WebhookURL == "") || (!q.NewSecretAt.IsZero() && now.Sub(q.NewSecretAt) < NewSecretInterval) {
		return nil
	}
	secret := families.NewSecret()
	hash, err := s.hashFamilySecret(secret)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetInquiryNewSecret(ctx, q.ID, hash, now); err != nil {
			return err
		}
		n := notify.Notification{Kind: notify.KindNewSecret, Reference: q.Reference, Lang: q.Lang, Secret: secret}
		return s.enqueue(ctx, tx, q, n)
	})
}

func (s *Service) enqueue(ctx context.Context, tx *store.Tx, q *families.Inquiry, n notify.Notification) error {
	if q.Email != "" {
		if _, err := notify.Enqueue(ctx, tx, notify.Email, q.Email, n); err != nil {
			return err
		}
	}
	if q.Phone != "" {
		if _, err := notify.Enqueue(ctx, tx, notify.SMS, q.Phone, n); err != nil {
			return err
		}
	}
	if q.WebhookURL != "" {
		// News of a death is read on the status page, with the text the
		// relative's side wrote; a machine never carries it.
		if n.Kind == notify.KindNews && (!q.WebhookStatus || families.Status(n.Status).Death()) {
			n.Status, n.Date = "", ""
		}
		if _, err := notify.Enqueue(ctx, tx, notify.Webhook, q.WebhookURL, n); err != nil {
			return err
		}
	}
	return nil
}

// setOutcome changes what the family sees, records the change in the
// signed log and queues the notifications, all in the caller's transaction.
func (s *Service) setOutcome(ctx context.Context, tx *store.Tx, actor access.Actor, q *families.Inquiry, o families.Outcome) error {
	now := s.Now().UTC()
	version, err := tx.SetInquiryOutcome(ctx, q.ID, o, now)
	if err != nil {
		return err
	}
	q.Outcome, q.StatusVersion, q.StatusChangedAt = o, version, now
	n := notify.Notification{Kind: notify.KindNews, Reference: q.Reference, Lang: q.Lang, Status: string(o.Status), Date: families.DateString(o.Date)}
	if err := s.enqueue(ctx, tx, q, n); err != nil {
		return err
	}
	data, _ := json.Marshal(struct {
		Inquiry string `json:"inquiry"`
		families.PublicStatus
	}{q.ID, q.Public()})
	return s.recordEvent(ctx, tx, actor, Event{
		Type: "inquiry.status_changed", Subject: q.ID,
		Attrs:    map[string]string{"inquiry": q.ID, "party": q.Party, "version": strconv.Itoa(version)},
		Personal: []EventItem{{ID: "status", Data: data}},
	})
}

// LinkReview is a proposed link as an officer of the relative's side sees
// it: the inquiry's description of the relative beside the list entry.
type LinkReview struct {
	Link     *families.Link `json:"link"`
	Inquiry  InquiryView    `json:"inquiry"`
	List     ListRef        `json:"list"`
	Entry    person.Person  `json:"entry"`
	Proposed string         `json:"proposed_status"` // what the family will see on confirmation
}

// InquiryView is an inquiry for officers: the relative and who asks, not
// the reference or the contact.
type InquiryView struct {
	ID           string        `json:"id"`
	Relative     person.Person `json:"relative"`
	Relationship string        `json:"relationship"`
	Source       string        `json:"source"`
	Status       string        `json:"status"`
	CreatedAt    time.Time     `json:"created_at"`
}

// ListRef names a list.
type ListRef struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	From         string    `json:"from"`
	Version      int       `json:"version"`
	HandedOverAt time.Time `json:"handed_over_at"`
}

// canReviewLinks: officers of the relative's side decide about links; the
// local operator may too.
func canReviewLinks(actor access.Actor, party string) bool {
	return actor.System || (actor.Has(access.Officer) && actor.CanActForParty(party))
}

// PendingLinks returns the links waiting for the actor's side to decide,
// after comparing any list or inquiry not yet compared.
func (s *Service) PendingLinks(ctx context.Context, actor access.Actor) ([]LinkReview, error) {
	if !actor.System && !actor.Has(access.Officer) {
		return nil, access.Forbid("deny.links_review")
	}
	if err := s.CatchUpLinks(ctx); err != nil {
		s.Logger.Warn("comparing inquiries with lists", "err", err)
	}
	var out []LinkReview
	err := s.db.View(ctx, func(tx *store.Tx) error {
		f := store.LinkFilter{State: families.LinkPending}
		if !actor.System {
			f.Party = actor.Party
		}
		links, err := tx.Links(ctx, f)
		if err != nil {
			return err
		}
		for _, l := range links {
			r, err := s.review(ctx, tx, l)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, "inquiry_links.view", actor.Party, 2*len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) review(ctx context.Context, tx *store.Tx, l *families.Link) (LinkReview, error) {
	q, err := tx.InquiryByID(ctx, l.InquiryID)
	if err != nil {
		return LinkReview{}, err
	}
	lst, err := tx.List(ctx, l.ListID)
	if err != nil {
		return LinkReview{}, err
	}
	var entry person.Person
	var raw string
	if err := tx.QueryRow(ctx, `SELECT person FROM list_entries WHERE list_id = ? AND row_no = ?`, l.ListID, l.Row).Scan(&raw); err != nil {
		return LinkReview{}, fmt.Errorf("read %s row %d: %w", l.ListID, l.Row, err)
	}
	if err := json.Unmarshal([]byte(raw), &entry); err != nil {
		return LinkReview{}, fmt.Errorf("decode %s row %d: %w", l.ListID, l.Row, err)
	}
	proposed, err := s.proposedOutcome(ctx, tx, lst, l.Row)
	if err != nil {
		return LinkReview{}, err
	}
	return LinkReview{
		Link:     l,
		Inquiry:  InquiryView{ID: q.ID, Relative: q.Relative, Relationship: q.Relationship, Source: string(q.Source), Status: string(q.Status), CreatedAt: q.CreatedAt},
		List:     ListRef{ID: lst.ID, Title: lst.Title, From: lst.From, Version: lst.Version, HandedOverAt: lst.HandedOverAt},
		Entry:    entry,
		Proposed: string(proposed.Status),
	}, nil
}

// proposedOutcome is what a confirmed link to a list row tells the family:
// the outcome recorded for the row, or else that the relative is listed,
// on the day the list was handed over.
func (s *Service) proposedOutcome(ctx context.Context, tx *store.Tx, l *lists.List, row int) (families.Outcome, error) {
	o, ok, err := tx.EntryOutcome(ctx, l.ID, row)
	if err != nil || ok {
		return o, err
	}
	return families.Outcome{Status: families.StatusListed, Date: l.HandedOverAt}, nil
}

// linkFor reads a link that the actor may decide on. A link of another
// side is reported as not found.
func linkFor(ctx context.Context, tx *store.Tx, actor access.Actor, id string) (*families.Link, error) {
	if !actor.System && !actor.Has(access.Officer) {
		return nil, access.Forbid("deny.links_decide")
	}
	l, err := tx.Link(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canReviewLinks(actor, l.Party) {
		return nil, fmt.Errorf("link %q: %w", id, ErrNotFound)
	}
	return l, nil
}

func linkEvent(typ string, l *families.Link, q *families.Inquiry) Event {
	data, _ := json.Marshal(map[string]any{"inquiry": l.InquiryID, "reference": q.Reference, "list_id": l.ListID, "row": l.Row, "note": l.Note})
	// Which list row a family asks about is kept out of the clear
	// attributes: the log is read by both sides.
	return Event{Type: typ, Subject: l.ID, Attrs: map[string]string{"link": l.ID, "party": l.Party, "state": string(l.State)},
		Personal: []EventItem{{ID: "link", Data: data}}}
}

// ConfirmLink confirms that the inquiry's relative is the person on the
// linked list row. From now on the family sees that the relative is listed
// (or the outcome already recorded for the row), unless it already sees
// more; the family is notified in the same transaction.
func (s *Service) ConfirmLink(ctx context.Context, actor access.Actor, linkID, note string) error {
	if err := s.refuseOnHub(RefuseFamilies); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > families.MaxNoteLen {
		return Invalid("err.family.note_long", "max", families.MaxNoteLen)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		l, err := linkFor(ctx, tx, actor, linkID)
		if err != nil {
			return err
		}
		if l.State != families.LinkPending {
			return Conflict("err.family.link_state", "link", linkID, "state", msg.Enum{Kind: "svc_link_state", Code: string(l.State)})
		}
		now := s.Now().UTC()
		if err := tx.DecideLink(ctx, linkID, families.LinkPending, families.LinkConfirmed, actor.String(), note, now); err != nil {
			return changedMeanwhile(err)
		}
		l.State, l.Note = families.LinkConfirmed, note
		q, err := tx.InquiryByID(ctx, l.InquiryID)
		if err != nil {
			return err
		}
		lst, err := tx.List(ctx, l.ListID)
		if err != nil {
			return err
		}
		if err := s.recordEvent(ctx, tx, actor, linkEvent("inquiry.link_confirmed", l, q)); err != nil {
			return err
		}
		proposed, err := s.proposedOutcome(ctx, tx, lst, l.Row)
		if err != nil {
			return err
		}
		if q.Outcome.Advances(proposed) {
			return s.setOutcome(ctx, tx, actor, q, proposed)
		}
		return nil
	})
}

// RejectLink records that the inquiry's relative is not the person on the
// linked row; the link is never proposed again. A confirmed link may be
// withdrawn the same way: when it was the inquiry's last confirmed link,
// the family's status returns to "no information yet" and the family is
// told that there is news.
func (s *Service) RejectLink(ctx context.Context, actor access.Actor, linkID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		l, err := linkFor(ctx, tx, actor, linkID)
		if err != nil {
			return err
		}
		if l.State == families.LinkRejected {
			return Conflict("err.family.link_state", "link", linkID, "state", msg.Enum{Kind: "svc_link_state", Code: "rejected"})
		}
		was := l.State
		if err := tx.DecideLink(ctx, linkID, was, families.LinkRejected, actor.String(), l.Note, s.Now().UTC()); err != nil {
			return changedMeanwhile(err)
		}
		l.State = families.LinkRejected
		q, err := tx.InquiryByID(ctx, l.InquiryID)
		if err != nil {
			return err
		}
		if err := s.recordEvent(ctx, tx, actor, linkEvent("inquiry.link_rejected", l, q)); err != nil {
			return err
		}
		if was != families.LinkConfirmed {
			return nil
		}
		rest, err := tx.Links(ctx, store.LinkFilter{InquiryID: q.ID, State: families.LinkConfirmed})
		if err != nil || len(rest) > 0 {
			return err
		}
		return s.setOutcome(ctx, tx, actor, q, families.Outcome{Status: families.StatusNone})
	})
}

// SetInquiryOutcome records what became of the person on a list row — that
// the person is included in an agreed stage of an exchange, has been
// repatriated, or another outcome in an officer's words — and shows it to
// every family whose inquiry is linked to that row by a confirmed link,
// notifying them, all in one transaction. It returns how many inquiries
// changed. The outcome is kept for the row, so that a link confirmed later
// shows it too, and it is counted in the public figures: call it for every
// person of a stage, whether or not a family asked.
//
// The mediator, observers, and officers of the side the list was handed to
// (the person's own side) may record outcomes.
func (s *Service) SetInquiryOutcome(ctx context.Context, actor access.Actor, listID string, row int, status families.Status, date time.Time, wording string) (int, error) {
	o := families.Outcome{Status: status, Date: date, Wording: strings.TrimSpace(wording)}
	if err := o.Validate(); err != nil {
		return 0, invalidErr(err)
	}
	if status == families.StatusNone {
		return 0, Invalid("err.family.outcome_none", "value", string(status))
	}
	if status.Death() {
		return 0, Invalid("err.family.death_via_record")
	}
	changed := 0
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, err := tx.List(ctx, listID)
		if err != nil {
			return err
		}
		if !actor.CanReadList(listView(l)) {
			return fmt.Errorf("list %q: %w", listID, ErrNotFound)
		}
		if !actor.CanMediate() && !actor.CanObserve() && !canReviewLinks(actor, l.To) {
			return access.Forbid("deny.family_outcomes", "party", l.To)
		}
		if l.State == lists.Draft {
			return Conflict("err.list.not_handed_over", "list", listID)
		}
		ok, err := tx.EntryExists(ctx, listID, row)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("row %d of list %s: %w", row, listID, ErrNotFound)
		}
		if d, ok, err := deathOf(ctx, tx, listID, row); err != nil {
			return err
		} else if ok && d.ReleasedState != "" {
			return Conflict("err.family.death_released", "row", msg.Plain(row), "list", listID)
		}
		changed, err = s.applyEntryOutcome(ctx, tx, actor, listID, row, o)
		return err
	})
	return changed, err
}

// applyEntryOutcome records what became of a list entry and shows it to
// every family linked to the entry by a confirmed link, in the caller's
// transaction, with one log entry for the entry and one per family.
func (s *Service) applyEntryOutcome(ctx context.Context, tx *store.Tx, actor access.Actor, listID string, row int, o families.Outcome) (int, error) {
	changed := 0
	err := func() error {
		now := s.Now().UTC()
		prev, had, err := tx.EntryOutcome(ctx, listID, row)
		if err != nil {
			return err
		}
		if had && prev.Equal(o) {
			return nil // recorded before; everyone linked already sees it
		}
		if err := tx.SetEntryOutcome(ctx, listID, row, o, actor.String(), now); err != nil {
			return err
		}
		ref, err := tx.EntryRefOf(ctx, listID, row)
		if err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"list_id": listID, "row": row, "entry_id": ref.EntryID, "person_id": ref.PersonID,
			"status": o.Status, "date": families.DateString(o.Date), "wording": o.Wording})
		if err := s.recordEvent(ctx, tx, actor, Event{Type: "entry.outcome", Subject: listID,
			Attrs:    map[string]string{"list_id": listID, "status": string(o.Status), "date": families.DateString(o.Date)},
			Personal: []EventItem{{ID: "row/" + strconv.Itoa(row), Data: data}}}); err != nil {
			return err
		}
		// Every family linked to the person, on whichever version of the
		// list the link was made.
		links, err := tx.Links(ctx, store.LinkFilter{PersonID: ref.PersonID, State: families.LinkConfirmed})
		if err != nil {
			return err
		}
		for _, lk := range links {
			q, err := tx.InquiryByID(ctx, lk.InquiryID)
			if err != nil {
				return err
			}
			if q.Outcome.Equal(o) {
				continue
			}
			if err := s.setOutcome(ctx, tx, actor, q, o); err != nil {
				return err
			}
			changed++
		}
		return nil
	}()
	return changed, err
}

// EnableFamilyLinking makes every hand-over wake a background job that
// compares the lists not yet compared with the inquiries of the side they
// are handed to (CatchUpLinks), so that the hand-over request does not wait
// for it. Call it once when the server starts; later calls do nothing, and
// Close stops the job. Without it (a hand-over from the command line), the
// comparison happens at the next CatchUpLinks, which PendingLinks runs.
func (s *Service) EnableFamilyLinking() {
	s.linker.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.linker.wake = make(chan struct{}, 1)
		s.linker.stop = cancel
		s.linker.done = make(chan struct{})
		go s.runFamilyLinking(ctx)
		s.OnListHandedOver(func(context.Context, *lists.List) {
			select {
			case s.linker.wake <- struct{}{}:
			default: // a catch-up is already due; it takes this list too
			}
		})
	})
}

// familyLinker is the background job of EnableFamilyLinking.
type familyLinker struct {
	once sync.Once
	// wake holds at most one pending request for a catch-up: hand-overs
	// during a catch-up are taken by the next one.
	wake chan struct{}
	stop context.CancelFunc
	done chan struct{}
}

// linkingBudget bounds one background catch-up; what it leaves undone is
// taken up by the next.
const linkingBudget = 5 * time.Minute

func (s *Service) runFamilyLinking(ctx context.Context) {
	defer close(s.linker.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.linker.wake:
		}
		rctx, cancel := context.WithTimeout(ctx, linkingBudget)
		if err := s.CatchUpLinks(rctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("comparing handed-over lists with inquiries", "err", err)
		}
		cancel()
	}
}

// stopFamilyLinking stops the background job, if it runs, and waits for it.
func (s *Service) stopFamilyLinking() {
	if s.linker.stop != nil {
		s.linker.stop()
		<-s.linker.done
	}
}

// CatchUpLinks compares every handed-over list not yet compared with the
// inquiries, and every inquiry not yet compared with the lists. It is
// idempotent: a link is proposed once, whichever comparison finds it.
func (s *Service) CatchUpLinks(ctx context.Context) error {
	var listIDs, inquiryIDs []string
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if listIDs, err = tx.UnscannedLists(ctx); err != nil {
			return err
		}
		inquiryIDs, err = tx.UnlinkedInquiries(ctx)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range listIDs {
		errs = append(errs, s.linkList(ctx, id))
	}
	for _, id := range inquiryIDs {
		errs = append(errs, s.linkInquiry(ctx, id))
	}
	return errors.Join(errs...)
}

// RelinkInquiries compares every inquiry with every handed-over list again
// (for example after the matching engine changed). Links already proposed,
// confirmed or rejected stay as they are.
func (s *Service) RelinkInquiries(ctx context.Context, actor access.Actor) error {
	if err := s.refuseOnHub(RefuseFamilies); err != nil {
		return err
	}
	if !actor.System && !actor.CanAdminister() {
		return access.Forbid("deny.rerun_inquiries")
	}
	var ids []string
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		qs, err := tx.Inquiries(ctx, "")
		for _, q := range qs {
			ids = append(ids, q.ID)
		}
		return err
	}); err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.linkInquiry(ctx, id))
	}
	return errors.Join(append(errs, s.CatchUpLinks(ctx))...)
}

// listIndex is a handed-over list prepared for matching. Handed-over lists
// never change, so an index is built once per list and kept (keyed by the
// list's content hash) for the next inquiry.
type listIndex struct {
	ix      *matching.Index
	rows    []int    // list row of each indexed record
	persons []string // person id (root/entry) of each indexed record
}

// buildIndex indexes the entries of a list that an inquiry can be about:
// persons, not remains (news of a death is given by an officer, with
// SetInquiryOutcome and status "other", never derived from a match).
func buildIndex(l *lists.List) *listIndex {
	var persons []person.Person
	var rows []int
	var ids []string
	for _, e := range l.Entries {
		if e.Kind == person.KindRemains {
			continue
		}
		persons = append(persons, e.Person)
		rows = append(rows, e.Row)
		ids = append(ids, l.RootID+"/"+e.ID)
	}
	return &listIndex{ix: matching.NewIndex(persons), rows: rows, persons: ids}
}

func (li *listIndex) propose(q *families.Inquiry, l *lists.List) *families.Link {
	if len(li.rows) == 0 {
		return nil
	}
	r := li.ix.Best(families.MatchPerson(q), families.MatchConfig())
	if !families.Proposes(r) {
		return nil
	}
	// Stored as messages, so that the officer who reviews the link reads
	// them in his language.
	reason := msg.Encode(r.Reasons(func(_ bool, i int) string {
		if i >= 0 && i < len(li.rows) {
			return strconv.Itoa(li.rows[i])
		}
		return "?"
	}, false))
	return &families.Link{
		ID: newID("K"), InquiryID: q.ID, ListID: l.ID, Row: li.rows[r.RegistryIndex], PersonID: li.persons[r.RegistryIndex], Party: q.Party,
		Score: r.Score, Decision: string(r.Decision), Reason: reason, State: families.LinkPending,
	}
}

// indexCache keeps the indexes of recently used lists, least recently used
// first out.
var indexCache = newLRU(64)

func (s *Service) indexOf(ctx context.Context, tx *store.Tx, l *lists.List) (*listIndex, error) {
	key := l.ID + "|" + l.ContentHash
	if li, ok := indexCache.get(key); ok {
		return li, nil
	}
	full, err := tx.ListWithEntries(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	li := buildIndex(full)
	indexCache.put(key, li)
	return li, nil
}

// linkList compares a handed-over list with the inquiries of the side it
// was handed to and proposes a link for every probable match.
func (s *Service) linkList(ctx context.Context, listID string) error {
	var proposals []*families.Link
	err := s.db.View(ctx, func(tx *store.Tx) error {
		l, err := tx.List(ctx, listID)
		if err != nil {
			return err
		}
		if l.State == lists.Draft {
			return Conflict("err.list.not_handed_over", "list", listID)
		}
		qs, err := tx.Inquiries(ctx, l.To)
		if err != nil || len(qs) == 0 {
			return err
		}
		li, err := s.indexOf(ctx, tx, l)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if families.ListEligible(l, q.Party) {
				if p := li.propose(q, l); p != nil {
					proposals = append(proposals, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("compare list %s with inquiries: %w", listID, err)
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := s.insertLinks(ctx, tx, proposals); err != nil {
			return err
		}
		return tx.MarkListScanned(ctx, listID, s.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("store links of list %s: %w", listID, err)
	}
	return nil
}

// linkInquiry compares an inquiry with every list handed over to the
// relative's side.
func (s *Service) linkInquiry(ctx context.Context, inquiryID string) error {
	var proposals []*families.Link
	err := s.db.View(ctx, func(tx *store.Tx) error {
		q, err := tx.InquiryByID(ctx, inquiryID)
		if err != nil {
			return err
		}
		ls, err := tx.Lists(ctx, store.ListFilter{HandedOverOnly: true})
		if err != nil {
			return err
		}
		for _, l := range ls {
			if !families.ListEligible(l, q.Party) {
				continue
			}
			li, err := s.indexOf(ctx, tx, l)
			if err != nil {
				return err
			}
			if p := li.propose(q, l); p != nil {
				proposals = append(proposals, p)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("compare inquiry %s with lists: %w", inquiryID, err)
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := s.insertLinks(ctx, tx, proposals); err != nil {
			return err
		}
		return tx.MarkInquiryLinked(ctx, inquiryID, s.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("store links of inquiry %s: %w", inquiryID, err)
	}
	return nil
}

func (s *Service) insertLinks(ctx context.Context, tx *store.Tx, proposals []*families.Link) error {
	for _, p := range proposals {
		p.CreatedAt = s.Now().UTC()
		added, err := tx.InsertLink(ctx, p)
		if err != nil {
			return err
		}
		if added {
			s.Logger.Info("inquiry link proposed", "link", p.ID, "party", p.Party, "decision", p.Decision)
		}
	}
	return nil
}

// PFIFImportOptions say whom imported PFIF records are about.
type PFIFImportOptions struct {
	Party string      // the relatives' side
	Kind  person.Kind // default pow
}

// PFIFImportResult is what an import did.
type PFIFImportResult struct {
	Imported int
	Skipped  []string // record id and reason
	Warnings []string // what the PFIF reader tolerated
}

// ImportInquiriesPFIF turns the person records of a PFIF document into
// inquiries (see families.FromPFIF), all in one transaction, and compares
// them with the lists. A record whose id was imported before is skipped.
func (s *Service) ImportInquiriesPFIF(ctx context.Context, actor access.Actor, r io.Reader, opts PFIFImportOptions) (*PFIFImportResult, error) {
	if err := s.refuseOnHub(RefuseFamilies); err != nil {
		return nil, err
	}
	if !canReviewLinks(actor, opts.Party) {
		return nil, access.Forbid("deny.import_inquiries", "party", opts.Party)
	}
	if opts.Kind == "" {
		opts.Kind = person.KindPOW
	}
	if !opts.Kind.Valid() || opts.Kind == person.KindRemains {
		return nil, Invalid("err.family.kind", "value", string(opts.Kind))
	}
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Party(ctx, opts.Party)
		return err
	}); err != nil {
		return nil, Invalid("err.unknown_party", "party", opts.Party)
	}
	doc, err := pfif.Parse(r, pfif.ParseOptions{})
	if err != nil {
		return nil, invalidErr(err)
	}
	imp := families.FromPFIF(doc, opts.Party, opts.Kind, s.Now())
	res := &PFIFImportResult{Skipped: imp.Skipped, Warnings: doc.Warnings}
	var added []string
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		for _, q := range imp.Inquiries {
			if _, err := tx.InquiryByPFIFRecordID(ctx, q.PFIF.RecordID); err == nil {
				res.Skipped = append(res.Skipped, q.PFIF.RecordID+": imported before")
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			q.ID = newID("Q")
			// Nobody holds a secret of an imported inquiry: its family
			// asked through another system and hears back through it.
			q.SecretHash = "-"
			q.CreatedAt = s.Now().UTC().Truncate(time.Microsecond)
			for range 5 {
				q.Reference = families.NewReference()
				if _, err := tx.InquiryByReference(ctx, q.Reference); errors.Is(err, store.ErrNotFound) {
					break
				}
			}
			if err := tx.InsertInquiry(ctx, q); err != nil {
				return fmt.Errorf("record %s: %w", q.PFIF.RecordID, err)
			}
			added = append(added, q.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Imported = len(added)
	for _, id := range added {
		if err := s.linkInquiry(ctx, id); err != nil {
			s.Logger.Warn("imported inquiry not yet compared with the lists", "inquiry", id, "err", err)
		}
	}
	return res, nil
}

// PFIFExportOptions select what is exported.
type PFIFExportOptions struct {
	Party string // "" for every side (the local operator only)
	// Domain is the domain of record ids minted here ("domain/inquiry.<id>").
	Domain     string
	SourceName string
}

// ExportInquiriesPFIF writes inquiries as a PFIF 1.4 document (see
// families.ToPFIF) and returns how many it wrote. Imported records whose
// PFIF expiry date has passed are left out.
func (s *Service) ExportInquiriesPFIF(ctx context.Context, actor access.Actor, w io.Writer, opts PFIFExportOptions) (int, error) {
	if opts.Party == "" && !actor.System {
		return 0, access.Forbid("deny.export_side")
	}
	if opts.Party != "" && !canReviewLinks(actor, opts.Party) {
		return 0, access.Forbid("deny.export_inquiries", "party", opts.Party)
	}
	if opts.Domain == "" {
		opts.Domain = "parley.invalid"
	}
	if opts.SourceName == "" {
		opts.SourceName = "Parley"
	}
	var qs []*families.Inquiry
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		qs, err = tx.Inquiries(ctx, opts.Party)
		return err
	}); err != nil {
		return 0, err
	}
	now := s.Now()
	kept := qs[:0]
	for _, q := range qs {
		if exp := q.Relative.Extra[pfif.ExtraPrefix+"expiry_date"]; exp != "" && (pfif.Person{ExpiryDate: exp}).Expired(now) {
			continue
		}
		kept = append(kept, q)
	}
	// Record-id order: the same inquiries always give the same document.
	sort.Slice(kept, func(i, j int) bool {
		return families.PFIFRecordID(kept[i], opts.Domain) < families.PFIFRecordID(kept[j], opts.Domain)
	})
	doc := families.ToPFIF(kept, opts.Domain, opts.SourceName, now)
	if err := pfif.Write(w, doc); err != nil {
		return 0, err
	}
	if err := s.recordAccess(ctx, actor, "inquiries.export", opts.Party, len(kept)); err != nil {
		return 0, err
	}
	return len(kept), nil
}

// PublicFigures returns the aggregate figures that may be published (see
// families.Figures): counts only, every count below threshold suppressed
// (threshold ≤ 0 selects families.DefaultThreshold). It needs no actor:
// nothing in it identifies anyone.
func (s *Service) PublicFigures(ctx context.Context, threshold int) (*families.Figures, error) {
	f, _, err := s.PublicFiguresVersioned(ctx, threshold)
	return f, err
}

// PublicFiguresVersioned is PublicFigures with the figures version read in
// the same snapshot: figures cached under a version stay right for as long
// as FiguresVersion returns it.
func (s *Service) PublicFiguresVersioned(ctx context.Context, threshold int) (*families.Figures, int64, error) {
	var c families.FigureCounts
	var v int64
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if v, err = tx.FiguresVersion(ctx); err != nil {
			return err
		}
		if c, err = tx.FigureCounts(ctx); err != nil {
			return err
		}
		c.Stages, err = s.stageCounts(ctx, tx)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("public figures: %w", err)
	}
	return c.Publish(threshold, s.Now()), v, nil
}

// FiguresVersion returns the counter that moves, in the same transaction,
// with every change to what the public figures count.
func (s *Service) FiguresVersion(ctx context.Context) (int64, error) {
	return s.db.FiguresVersion(ctx)
}

// stageCounts counts the persons of each agreed stage of an exchange (one
// StageCounts per agreement: persons agreed, handed over, repatriated),
// read from the negotiation's tables in the same transaction as the other
// figures. Further per-stage counts belong here.
func (s *Service) stageCounts(ctx context.Context, tx *store.Tx) ([]families.StageCounts, error) {
	return tx.StageCounts(ctx)
}

// lru is a small least-recently-used cache of list indexes.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recent
	items map[string]*list.Element
}

type lruItem struct {
	key string
	val *listIndex
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (*listIndex, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruItem).val, true
	}
	return nil, false
}

func (c *lru) put(key string, v *listIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*lruItem).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruItem{key: key, val: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruItem).key)
	}
}
