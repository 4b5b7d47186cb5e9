package store_test

import (
	"context"
	"errors"
	"testing"

	"parley/internal/families"
	"parley/internal/handover"
	"parley/internal/store"
	"parley/internal/store/storetest"
)

// Outcomes, deaths and contested rows stored when they named a list entry
// by its row only are given the entry's lasting id and person id, and are
// then found from a later version of the list in another row order.
func TestEntryIDMigrationBackfills(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		ts := "'2026-01-01T00:00:00Z'"
		migrateAndSeed(t, b, 16, []string{
			`INSERT INTO parties (id, name, created_at) VALUES ('A', 'Alpha', ` + ts + `), ('B', 'Beta', ` + ts + `)`,
			`INSERT INTO lists (id, from_party, to_party, title, version, root_id, state, created_at) VALUES ('L1', 'A', 'B', 't', 1, 'L1', 'handed_over', ` + ts + `)`,
			`INSERT INTO lists (id, from_party, to_party, title, version, prev_id, root_id, state, created_at) VALUES ('L2', 'A', 'B', 't', 2, 'L1', 'L1', 'handed_over', ` + ts + `)`,
			`INSERT INTO list_entries (list_id, row_no, entry_id, person, surname) VALUES
				('L1', 1, 'E1', '{"kind":"pow","surname":"Шевченко"}', 'Шевченко'), ('L1', 2, 'E2', '{"kind":"pow","surname":"Коваленко"}', 'Коваленко'),
				('L2', 1, 'E2', '{"kind":"pow","surname":"Коваленко"}', 'Коваленко'), ('L2', 2, 'E1', '{"kind":"pow","surname":"Шевченко"}', 'Шевченко')`,
			`INSERT INTO entry_outcomes (list_id, row_no, status, status_date, updated_at) VALUES ('L1', 1, 'repatriated', '2026-01-02', ` + ts + `)`,
			`INSERT INTO deaths (id, list_id, row_no, party, family_party, reported_by, state, recorded_by, recorded_at) VALUES ('D1', 'L1', 2, 'A', 'B', 'camp', 'deceased', 'a', ` + ts + `)`,
			`INSERT INTO disputes (id, kind, list_id, root_id, row_no, by_party, to_party, state, created_by, created_at) VALUES
				('S1', 'contest', 'L1', 'L1', 2, 'B', 'A', 'open', 'b', ` + ts + `), ('S2', 'reservation', 'L1', 'L1', 0, 'B', 'A', 'open', 'b', ` + ts + `)`,
			`INSERT INTO rounds (id, title, party_a, party_b, convened_by, created_at) VALUES ('R1', 'r', 'A', 'B', 'm', ` + ts + `)`,
			`INSERT INTO proposals (id, round_id, thread_id, from_party, to_party, state, rule, terms, created_by, created_at) VALUES ('P1', 'R1', 'P1', 'A', 'B', 'agreed', 'unilateral', '{}', 'a', ` + ts + `)`,
			`INSERT INTO agreements (id, proposal_id, round_id, party_a, party_b, rule, terms, content_hash, accepted_by, witnessed_by, created_at) VALUES ('G1', 'P1', 'R1', 'A', 'B', 'unilateral', '{}', 'h', 'b', 'm', ` + ts + `)`,
			`INSERT INTO handover_persons (agreement_id, side, party, list_id, row_no, status, state, updated_by, updated_at) VALUES ('G1', 0, 'A', 'L1', 1, 'agreed', '{}', 'a', ` + ts + `)`,
			`INSERT INTO commission_outcomes (id, proposal_id, list_id, row_no, decision, recorded_by, recorded_at) VALUES ('C1', 'P1', 'L1', 1, 'repatriate', 'o', ` + ts + `)`,
		})

		db := b.Open(t) // applies the rest
		err := db.View(ctx, func(tx *store.Tx) error {
			var entry, personID string
			if err := tx.QueryRow(ctx, `SELECT entry_id, person_id FROM entry_outcomes WHERE list_id = 'L1' AND row_no = 1`).Scan(&entry, &personID); err != nil {
				return err
			}
			if entry != "E1" || personID != "L1/E1" {
				t.Errorf("outcome names %q %q, want E1 L1/E1", entry, personID)
			}
			// Version 2 has the persons in the other order: row 2 is E1.
			o, ok, err := tx.EntryOutcome(ctx, "L2", 2)
			if err != nil {
				return err
			}
			if !ok || o.Status != families.StatusRepatriated {
				t.Errorf("outcome of L2 row 2 = %+v %v, want repatriated", o, ok)
			}
			if _, ok, err := tx.EntryOutcome(ctx, "L2", 1); err != nil || ok {
				t.Errorf("outcome of L2 row 1 (another person): %v %v", ok, err)
			}
			d, ok, err := tx.EntryDeath(ctx, "L2", 1)
			if err != nil {
				return err
			}
			if !ok || d.ID != "D1" || d.EntryID != "E2" || d.PersonID != "L1/E2" || d.Row != 2 {
				t.Errorf("death of L2 row 1 = %+v %v", d, ok)
			}
			if _, ok, err := tx.EntryDeath(ctx, "L2", 2); err != nil || ok {
				t.Errorf("death of L2 row 2 (another person): %v %v", ok, err)
			}
			rows, err := tx.DeathRows(ctx, "L2")
			if err != nil {
				return err
			}
			if len(rows) != 1 || rows[1] != "D1" {
				t.Errorf("death rows of L2: %v", rows)
			}
			for _, table := range []string{"handover_persons", "commission_outcomes"} {
				if err := tx.QueryRow(ctx, `SELECT entry_id, person_id FROM `+table).Scan(&entry, &personID); err != nil {
					return err
				}
				if entry != "E1" || personID != "L1/E1" {
					t.Errorf("%s names %q %q, want E1 L1/E1", table, entry, personID)
				}
			}
			// Шевченко is row 2 of version 2: the agreement and the
			// commission's decision made on version 1 are his there.
			if ags, err := tx.EntryAgreements(ctx, "L2", 2); err != nil || len(ags) != 1 || ags[0].AgreementID != "G1" {
				t.Errorf("agreements of L2 row 2: %+v %v", ags, err)
			}
			if ags, err := tx.EntryAgreements(ctx, "L2", 1); err != nil || len(ags) != 0 {
				t.Errorf("agreements of L2 row 1 (another person): %+v %v", ags, err)
			}
			if cs, err := tx.EntryCommission(ctx, "L2", 2); err != nil || len(cs) != 1 || cs[0].ID != "C1" {
				t.Errorf("commission of L2 row 2: %+v %v", cs, err)
			}
			for id, want := range map[string]string{"S1": "E2", "S2": ""} {
				if err := tx.QueryRow(ctx, `SELECT entry_id FROM disputes WHERE id = ?`, id).Scan(&entry); err != nil {
					return err
				}
				if entry != want {
					t.Errorf("dispute %s names entry %q, want %q", id, entry, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// A second agreement cannot hold Шевченко on version 2 while the
		// first holds him on version 1; Коваленко is free.
		agree := func(id string, row int) error {
			return db.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO proposals (id, round_id, thread_id, from_party, to_party, state, rule, terms, created_by, created_at)
					VALUES (?, 'R1', ?, 'A', 'B', 'agreed', 'unilateral', '{}', 'a', '2026-01-02T00:00:00Z')`, "P"+id, "P"+id); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO agreements (id, proposal_id, round_id, party_a, party_b, rule, terms, content_hash, accepted_by, witnessed_by, created_at)
					VALUES (?, ?, 'R1', 'A', 'B', 'unilateral', '{}', 'h', 'b', 'm', '2026-01-02T00:00:00Z')`, id, "P"+id); err != nil {
					return err
				}
				return tx.InsertHandoverRecords(ctx, []store.HandoverRecord{{AgreementID: id, UpdatedBy: "m",
					State: handover.PersonState{Party: "A", ListID: "L2", Row: row, Status: "agreed"}}})
			})
		}
		if err := agree("G2", 2); !errors.Is(err, store.ErrBound) {
			t.Errorf("Шевченко agreed again on version 2: %v", err)
		}
		if err := agree("G3", 1); err != nil {
			t.Errorf("Коваленко agreed on version 2: %v", err)
		}
	})
}
