package service

import (
	"context"
	"slices"
	"time"

	"parley/internal/access"
	"parley/internal/families"
	"parley/internal/person"
	"parley/internal/store"
)

// The officers' table of family inquiries: every inquiry about a side's
// people, searched (the relative's name in any script, the date of birth
// as typed, the reference), filtered by the status the family sees, the
// state of its links and the day it was made, sorted and paged by the
// database. Only the officers of the relative's side see it: it names the
// relatives and who asks about them.

// InquiryRow is one inquiry as the officers' table shows it: the relative
// and what the family is told, never the family's secret or its contacts.
type InquiryRow struct {
	ID           string        `json:"id"`
	Reference    string        `json:"reference"`
	Relative     person.Person `json:"relative"`
	Relationship string        `json:"relationship"`
	Source       string        `json:"source"`
	Status       string        `json:"status"`
	StatusDate   string        `json:"status_date,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	// PendingLinks are the links waiting for an officer's decision;
	// ConfirmedLinks those confirmed.
	PendingLinks   int `json:"pending_links"`
	ConfirmedLinks int `json:"confirmed_links"`
}

// InquiryLinkStates are the values of the links filter: inquiries with a
// link in that state, or with none.
func InquiryLinkStates() []string { return slices.Clone(store.InquiryLinkStates) }

// ValidInquiryLinks reports whether v is a value of the links filter.
func ValidInquiryLinks(v string) bool { return slices.Contains(store.InquiryLinkStates, v) }

// InquiriesPage returns one page of the inquiries about the actor's side
// under q (Status: the family's status, coarse; Links: a link state;
// From, To: the day made), and logs the view with the persons it shows.
func (s *Service) InquiriesPage(ctx context.Context, actor access.Actor, q TableQuery) (*Page[InquiryRow], error) {
	return s.inquiryTable(ctx, actor, q, "inquiries.view")
}

// ExportInquiries returns the whole filtered table of inquiries (up to
// MaxExportRows) in q's order, for the front end to write as a file or a
// printout, and logs the export.
func (s *Service) ExportInquiries(ctx context.Context, actor access.Actor, q TableQuery) (*Page[InquiryRow], error) {
	q.All = true
	return s.inquiryTable(ctx, actor, q, "inquiries.export")
}

func (s *Service) inquiryTable(ctx context.Context, actor access.Actor, q TableQuery, action string) (*Page[InquiryRow], error) {
	party := actor.Party
	if !actor.Has(access.Officer) || party == "" {
		return nil, access.Forbid("deny.inquiries_officers")
	}
	if err := s.keyInquiries(ctx, party); err != nil {
		return nil, err
	}
	f, se := s.personFilter(TableQuery{Search: q.Search, Category: q.Category})
	sq := store.InquiryQuery{Party: party, PersonFilter: f, Sort: q.Sort, Desc: q.Desc}
	if q.Status != "" && slices.Contains(families.Statuses(), families.Status(q.Status)) {
		sq.Status = q.Status
	}
	if ValidInquiryLinks(q.Links) {
		sq.Links = q.Links
	}
	var err error
	if sq.CreatedFrom, sq.CreatedBefore, err = dayRange(q.From, q.To); err != nil {
		return nil, err
	}
	pg := &Page[InquiryRow]{Search: se}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		return fill(q, pg, func(offset, limit int) ([]InquiryRow, int, error) {
			sq.Offset, sq.Limit = offset, limit
			rows, total, err := tx.InquiryPage(ctx, sq)
			if err != nil {
				return nil, 0, err
			}
			out := make([]InquiryRow, len(rows))
			for i, r := range rows {
				out[i] = InquiryRow{ID: r.ID, Reference: r.Reference, Relative: r.Relative, Relationship: r.Relationship, Source: string(r.Source),
					Status: string(r.Status), StatusDate: families.DateString(r.Date), CreatedAt: r.CreatedAt,
					PendingLinks: r.PendingLinks, ConfirmedLinks: r.ConfirmedLinks}
			}
			return out, total, nil
		})
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordAccess(ctx, actor, action, party, len(pg.Entries)); err != nil {
		return nil, err
	}
	return pg, nil
}

// keyInquiries gives the inquiries of a party that lack their search
// columns their keys. Inquiries arrive at any time (the form, the API,
// PFIF), so the check is made on every read; it is one indexed look-up
// when there is nothing to key.
func (s *Service) keyInquiries(ctx context.Context, party string) error {
	var unkeyed bool
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		unkeyed, err = tx.UnkeyedInquiries(ctx, party)
		return err
	}); err != nil || !unkeyed {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.KeyInquiries(ctx, party)
		if n > 0 {
			s.Logger.Info("rows keyed for search", "table", "inquiries/"+party, "rows", n)
		}
		return err
	})
}
