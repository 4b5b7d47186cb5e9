package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"parley/internal/families"
)

// Family inquiries, their links to list entries, the outcomes recorded for
// list entries, and the outbox of notifications. Package service applies
// the rules; these functions only read and write.

const inquiryColumns = `id, reference, party, relative, relationship, inquirer_name, email, phone, webhook_url, webhook_status, lang, source,
	COALESCE(pfif_record_id, ''), pfif, dedup_key, secret_hash, new_secret_hash, new_secret_at,
	status, status_detail, status_date, status_wording, status_changed_at, status_version, created_at`

// storedStatus splits a family status into the coarse status column, whose
// check keeps the statuses of the normal course, and the detail beside it
// (see migration 00011).
func storedStatus(s families.Status) (status, detail string) {
	if s.Detailed() {
		return string(families.StatusOther), string(s)
	}
	return string(s), ""
}

func scanInquiry(scan func(...any) error) (*families.Inquiry, error) {
	var q families.Inquiry
	var rel, pfifJSON, pfifID, newAt, status, detail, statusDate, changed, created, source string
	var hookStatus int
	if err := scan(&q.ID, &q.Reference, &q.Party, &rel, &q.Relationship, &q.InquirerName, &q.Email, &q.Phone, &q.WebhookURL, &hookStatus, &q.Lang, &source,
		&pfifID, &pfifJSON, &q.DedupKey, &q.SecretHash, &q.NewSecretHash, &newAt,
		&status, &detail, &statusDate, &q.Wording, &changed, &q.StatusVersion, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rel), &q.Relative); err != nil {
		return nil, fmt.Errorf("decode inquiry %s: %w", q.ID, err)
	}
	if pfifJSON != "" {
		q.PFIF = &families.PFIFOrigin{}
		if err := json.Unmarshal([]byte(pfifJSON), q.PFIF); err != nil {
			return nil, fmt.Errorf("decode PFIF origin of inquiry %s: %w", q.ID, err)
		}
	}
	q.Source = families.Source(source)
	q.WebhookStatus = hookStatus != 0
	q.NewSecretAt = parseTime(newAt)
	q.Status = families.Status(status)
	if detail != "" {
		q.Status = families.Status(detail)
	}
	q.Date = parseDay(statusDate)
	q.StatusChangedAt = parseTime(changed)
	q.CreatedAt = parseTime(created)
	return &q, nil
}

func parseDay(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// InsertInquiry stores a new inquiry; the caller sets id, reference, hash
// and dedup key, the store sets CreatedAt. A reference, dedup key or PFIF
// record id already taken gives ErrDuplicate.
func (tx *Tx) InsertInquiry(ctx context.Context, q *families.Inquiry) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM inquiries WHERE reference = ? OR dedup_key = ?`, q.Reference, q.DedupKey).Scan(&n); err != nil {
		return fmt.Errorf("check inquiry: %w", err)
	}
	var pfifID any
	var pfifJSON string
	if q.PFIF != nil {
		pfifID = q.PFIF.RecordID
		b, err := json.Marshal(q.PFIF)
		if err != nil {
			return fmt.Errorf("encode PFIF origin: %w", err)
		}
		pfifJSON = string(b)
		var m int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM inquiries WHERE pfif_record_id = ?`, q.PFIF.RecordID).Scan(&m); err != nil {
			return fmt.Errorf("check inquiry: %w", err)
		}
		n += m
	}
	if n > 0 {
		return fmt.Errorf("inquiry: %w", ErrDuplicate)
	}
	rel, err := json.Marshal(q.Relative)
	if err != nil {
		return fmt.Errorf("encode relative: %w", err)
	}
	if q.CreatedAt.IsZero() {
		q.CreatedAt = now()
	}
	if q.Status == "" {
		q.Status = families.StatusNone
	}
	status, detail := storedStatus(q.Status)
	_, err = tx.Exec(ctx, `INSERT INTO inquiries (id, reference, party, relative, relationship, inquirer_name, email, phone, webhook_url, webhook_status, lang, source,
		pfif_record_id, pfif, dedup_key, secret_hash, new_secret_hash, new_secret_at, status, status_detail, status_date, status_wording, status_changed_at, status_version, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ID, q.Reference, q.Party, string(rel), q.Relationship, q.InquirerName, q.Email, q.Phone, q.WebhookURL, boolInt(q.WebhookStatus), q.Lang, string(q.Source),
		pfifID, pfifJSON, q.DedupKey, q.SecretHash, q.NewSecretHash, timeText(q.NewSecretAt),
		status, detail, families.DateString(q.Date), q.Wording, timeText(q.StatusChangedAt), q.StatusVersion, timeText(q.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert inquiry: %w", err)
	}
	return nil
}

func (tx *Tx) inquiryWhere(ctx context.Context, what, cond string, arg any) (*families.Inquiry, error) {
	q, err := scanInquiry(tx.QueryRow(ctx, `SELECT `+inquiryColumns+` FROM inquiries WHERE `+cond, arg).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("inquiry %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read inquiry %s: %w", what, err)
	}
	return q, nil
}

// InquiryByReference returns the inquiry with a (normalised) reference: one
// look-up of a unique index.
func (tx *Tx) InquiryByReference(ctx context.Context, ref string) (*families.Inquiry, error) {
	return tx.inquiryWhere(ctx, "by reference", `reference = ?`, ref)
}

// InquiryByID returns an inquiry.
func (tx *Tx) InquiryByID(ctx context.Context, id string) (*families.Inquiry, error) {
	return tx.inquiryWhere(ctx, id, `id = ?`, id)
}

// InquiryByDedupKey returns the inquiry a repeated submission repeats.
func (tx *Tx) InquiryByDedupKey(ctx context.Context, key string) (*families.Inquiry, error) {
	return tx.inquiryWhere(ctx, "by key", `dedup_key = ?`, key)
}

// InquiryByPFIFRecordID returns the inquiry imported with a PFIF record id.
func (tx *Tx) InquiryByPFIFRecordID(ctx context.Context, id string) (*families.Inquiry, error) {
	return tx.inquiryWhere(ctx, id, `pfif_record_id = ?`, id)
}

// Inquiries returns the inquiries about relatives of a side ("" for all),
// oldest first.
func (tx *Tx) Inquiries(ctx context.Context, party string) ([]*families.Inquiry, error) {
	q := `SELECT ` + inquiryColumns + ` FROM inquiries`
	var args []any
	if party != "" {
		q += ` WHERE party = ?`
		args = append(args, party)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list inquiries: %w", err)
	}
	return scanAll(rows, nil, scanInquiry)
}

// SetInquiryOutcome records a new status of an inquiry and returns its new
// status version.
func (tx *Tx) SetInquiryOutcome(ctx context.Context, id string, o families.Outcome, at time.Time) (int, error) {
	status, detail := storedStatus(o.Status)
	res, err := tx.Exec(ctx, `UPDATE inquiries SET status = ?, status_detail = ?, status_date = ?, status_wording = ?, status_changed_at = ?, status_version = status_version + 1 WHERE id = ?`,
		status, detail, families.DateString(o.Date), o.Wording, timeText(at), id)
	if err != nil {
		return 0, fmt.Errorf("update inquiry %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, fmt.Errorf("inquiry %s: %w", id, ErrNotFound)
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT status_version FROM inquiries WHERE id = ?`, id).Scan(&v); err != nil {
		return 0, fmt.Errorf("read inquiry %s: %w", id, err)
	}
	return v, nil
}

// SetInquiryNewSecret stores the hash of a replacement secret beside the
// current one.
func (tx *Tx) SetInquiryNewSecret(ctx context.Context, id, hash string, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE inquiries SET new_secret_hash = ?, new_secret_at = ? WHERE id = ?`, hash, timeText(at), id)
	if err != nil {
		return fmt.Errorf("update inquiry %s: %w", id, err)
	}
	return nil
}

// PromoteInquirySecret makes the replacement secret the current one, once
// the family has used it.
func (tx *Tx) PromoteInquirySecret(ctx context.Context, id, hash string) error {
	_, err := tx.Exec(ctx, `UPDATE inquiries SET secret_hash = new_secret_hash, new_secret_hash = '' WHERE id = ? AND new_secret_hash = ?`, id, hash)
	if err != nil {
		return fmt.Errorf("update inquiry %s: %w", id, err)
	}
	return nil
}

// ReplaceInquirySecretHash stores another hash of the same secret (a keyed
// hash in place of an argon2id one), unless the hash changed meanwhile.
func (tx *Tx) ReplaceInquirySecretHash(ctx context.Context, id, old, hash string) error {
	_, err := tx.Exec(ctx, `UPDATE inquiries SET secret_hash = ? WHERE id = ? AND secret_hash = ?`, hash, id, old)
	if err != nil {
		return fmt.Errorf("update inquiry %s: %w", id, err)
	}
	return nil
}

const linkColumns = `id, inquiry_id, list_id, row_no, person_id, party, score, decision, reason, state, created_at, decided_by, decided_at, note`

func scanLink(scan func(...any) error) (*families.Link, error) {
	var l families.Link
	var state, created, decided string
	if err := scan(&l.ID, &l.InquiryID, &l.ListID, &l.Row, &l.PersonID, &l.Party, &l.Score, &l.Decision, &l.Reason, &state, &created, &l.DecidedBy, &decided, &l.Note); err != nil {
		return nil, err
	}
	l.State = families.LinkState(state)
	l.CreatedAt, l.DecidedAt = parseTime(created), parseTime(decided)
	return &l, nil
}

// InsertLink stores a proposed link unless the inquiry is already linked to
// that list row or to the same person on another version of the list (in
// any state: a rejected link is not proposed again). It
// reports whether the link was new.
func (tx *Tx) InsertLink(ctx context.Context, l *families.Link) (bool, error) {
	if l.CreatedAt.IsZero() {
		l.CreatedAt = now()
	}
	if l.PersonID == "" {
		l.PersonID = fmt.Sprintf("%s/%s-%d", l.ListID, l.ListID, l.Row)
	}
	// Either unique key — the list row, or the person across versions —
	// makes the link not new.
	res, err := tx.Exec(ctx, `INSERT INTO inquiry_links (id, inquiry_id, list_id, row_no, person_id, party, score, decision, reason, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		l.ID, l.InquiryID, l.ListID, l.Row, l.PersonID, l.Party, l.Score, l.Decision, l.Reason, string(l.State), timeText(l.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert link: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LinkFilter selects links; zero fields select all.
type LinkFilter struct {
	Party     string
	State     families.LinkState
	InquiryID string
	ListID    string
	Row       int // with ListID
	// PersonID selects the links to one person, on any version of a list.
	PersonID string
}

// Links returns links, oldest first.
func (tx *Tx) Links(ctx context.Context, f LinkFilter) ([]*families.Link, error) {
	q := `SELECT ` + linkColumns + ` FROM inquiry_links WHERE 1=1`
	var args []any
	if f.Party != "" {
		q += ` AND party = ?`
		args = append(args, f.Party)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.InquiryID != "" {
		q += ` AND inquiry_id = ?`
		args = append(args, f.InquiryID)
	}
	if f.ListID != "" {
		q += ` AND list_id = ? AND row_no = ?`
		args = append(args, f.ListID, f.Row)
	}
	if f.PersonID != "" {
		q += ` AND person_id = ?`
		args = append(args, f.PersonID)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	return scanAll(rows, nil, scanLink)
}

// Link returns one link.
func (tx *Tx) Link(ctx context.Context, id string) (*families.Link, error) {
	l, err := scanLink(tx.QueryRow(ctx, `SELECT `+linkColumns+` FROM inquiry_links WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("link %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read link %s: %w", id, err)
	}
	return l, nil
}

// DecideLink moves a link from one state to another, only from the
// expected state, so that two officers deciding at once cannot both win.
func (tx *Tx) DecideLink(ctx context.Context, id string, from, to families.LinkState, by, note string, at time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE inquiry_links SET state = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND state = ?`,
		string(to), by, timeText(at), note, id, string(from))
	if err != nil {
		return fmt.Errorf("update link %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("link %s is not %s", id, from)
	}
	return nil
}

// UnlinkedInquiries returns the ids of inquiries that have not yet been
// compared with the lists handed over before they were registered.
func (tx *Tx) UnlinkedInquiries(ctx context.Context) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM inquiries WHERE linked_at = '' ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list unlinked inquiries: %w", err)
	}
	return scanStrings(rows)
}

// MarkInquiryLinked records that an inquiry has been compared with every
// list handed over so far.
func (tx *Tx) MarkInquiryLinked(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE inquiries SET linked_at = ? WHERE id = ?`, timeText(at), id); err != nil {
		return fmt.Errorf("mark inquiry %s linked: %w", id, err)
	}
	return nil
}

// UnscannedLists returns the ids of lists that have left the draft state
// and whose entries have not yet been searched for inquiries.
func (tx *Tx) UnscannedLists(ctx context.Context) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT l.id FROM lists l LEFT JOIN inquiry_list_scans s ON s.list_id = l.id
		WHERE l.state <> 'draft' AND s.list_id IS NULL ORDER BY l.handed_over_at, l.id`)
	if err != nil {
		return nil, fmt.Errorf("list unscanned lists: %w", err)
	}
	return scanStrings(rows)
}

// MarkListScanned records that a list's entries have been searched.
func (tx *Tx) MarkListScanned(ctx context.Context, listID string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO inquiry_list_scans (list_id, scanned_at) VALUES (?, ?) ON CONFLICT (list_id) DO NOTHING`, listID, timeText(at))
	if err != nil {
		return fmt.Errorf("mark list %s scanned: %w", listID, err)
	}
	return nil
}

// EntryOutcome returns what was recorded for the person of a list entry,
// on this version of the list or any other (the latest record); ok is false
// when nothing was.
func (tx *Tx) EntryOutcome(ctx context.Context, listID string, row int) (o families.Outcome, ok bool, err error) {
	ref, err := tx.refOrNone(ctx, listID, row)
	if err != nil {
		return o, false, err
	}
	var status, date string
	if ref.PersonID != "" {
		err = tx.QueryRow(ctx, `SELECT status, status_date, wording FROM entry_outcomes WHERE person_id = ? ORDER BY updated_at DESC LIMIT 1`, ref.PersonID).Scan(&status, &date, &o.Wording)
	} else {
		err = tx.QueryRow(ctx, `SELECT status, status_date, wording FROM entry_outcomes WHERE list_id = ? AND row_no = ?`, listID, row).Scan(&status, &date, &o.Wording)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, nil
	}
	if err != nil {
		return o, false, fmt.Errorf("read outcome of %s row %d: %w", listID, row, err)
	}
	o.Status, o.Date = families.Status(status), parseDay(date)
	return o, true, nil
}

// SetEntryOutcome records what became of the person of a list entry. A
// person has one outcome whatever version of the list it was recorded on:
// a record made on an earlier version is replaced, and names this entry.
func (tx *Tx) SetEntryOutcome(ctx context.Context, listID string, row int, o families.Outcome, by string, at time.Time) error {
	ref, err := tx.EntryRefOf(ctx, listID, row)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM entry_outcomes WHERE person_id = ? AND NOT (list_id = ? AND row_no = ?)`, ref.PersonID, listID, row); err != nil {
		return fmt.Errorf("record outcome of %s row %d: %w", listID, row, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO entry_outcomes (list_id, row_no, entry_id, person_id, status, status_date, wording, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (list_id, row_no) DO UPDATE SET entry_id = excluded.entry_id, person_id = excluded.person_id, status = excluded.status,
		status_date = excluded.status_date, wording = excluded.wording, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		listID, row, ref.EntryID, ref.PersonID, string(o.Status), families.DateString(o.Date), o.Wording, by, timeText(at))
	if err != nil {
		return fmt.Errorf("record outcome of %s row %d: %w", listID, row, err)
	}
	return nil
}

// EntryExists reports whether a list has a row.
func (tx *Tx) EntryExists(ctx context.Context, listID string, row int) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM list_entries WHERE list_id = ? AND row_no = ?`, listID, row).Scan(&n); err != nil {
		return false, fmt.Errorf("read %s row %d: %w", listID, row, err)
	}
	return n > 0, nil
}

// OutboxItem is one notification waiting for delivery, or delivered.
type OutboxItem struct {
	ID          string // the idempotency key
	Channel     string // "email", "sms" or "webhook"
	Recipient   string // an e-mail address, an E.164 phone number or a URL
	Payload     []byte // JSON; see package notify
	State       string // pending, delivered or failed
	Attempts    int
	NextAttempt time.Time
	LeaseOwner  string
	LeaseUntil  time.Time
	LastError   string
	CreatedAt   time.Time
	DeliveredAt time.Time
}

// Outbox states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed"
)

const outboxColumns = `id, channel, recipient, payload, state, attempts, next_attempt_ms, lease_owner, lease_until_ms, last_error, created_at, delivered_at`

func scanOutbox(scan func(...any) error) (*OutboxItem, error) {
	var it OutboxItem
	var payload, created, delivered string
	var next, lease int64
	if err := scan(&it.ID, &it.Channel, &it.Recipient, &payload, &it.State, &it.Attempts, &next, &it.LeaseOwner, &lease, &it.LastError, &created, &delivered); err != nil {
		return nil, err
	}
	it.Payload = []byte(payload)
	it.NextAttempt, it.LeaseUntil = time.UnixMilli(next).UTC(), time.UnixMilli(lease).UTC()
	it.CreatedAt, it.DeliveredAt = parseTime(created), parseTime(delivered)
	return &it, nil
}

// EnqueueOutbox writes a notification in the caller's transaction, due at
// once.
func (tx *Tx) EnqueueOutbox(ctx context.Context, it *OutboxItem) error {
	if it.CreatedAt.IsZero() {
		it.CreatedAt = now()
	}
	it.State = OutboxPending
	if it.NextAttempt.IsZero() {
		it.NextAttempt = it.CreatedAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO outbox (id, channel, recipient, payload, state, attempts, next_attempt_ms, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
		it.ID, it.Channel, it.Recipient, string(it.Payload), it.State, it.NextAttempt.UnixMilli(), timeText(it.CreatedAt))
	if err != nil {
		return fmt.Errorf("enqueue notification: %w", err)
	}
	return nil
}

// DueOutbox returns the ids of pending notifications that are due at now
// and not leased by anyone, the longest-waiting first.
func (tx *Tx) DueOutbox(ctx context.Context, at time.Time, limit int) ([]string, error) {
	ms := at.UnixMilli()
	rows, err := tx.Query(ctx, `SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? AND lease_until_ms <= ? ORDER BY next_attempt_ms, id LIMIT ?`, ms, ms, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanStrings(rows)
}

// LeaseOutbox claims a due notification for owner until the lease expires
// and counts the attempt. Only one claimant can win: the update re-checks
// that the item is still pending and unleased. ok is false when someone
// else holds it or it is no longer pending.
func (tx *Tx) LeaseOutbox(ctx context.Context, id, owner string, at, until time.Time) (*OutboxItem, bool, error) {
	ms := at.UnixMilli()
	res, err := tx.Exec(ctx, `UPDATE outbox SET lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1
		WHERE id = ? AND state = 'pending' AND lease_until_ms <= ? AND next_attempt_ms <= ?`, owner, until.UnixMilli(), id, ms, ms)
	if err != nil {
		return nil, false, fmt.Errorf("lease notification %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, false, nil
	}
	it, err := tx.OutboxItem(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return it, true, nil
}

// ClaimOutbox leases up to limit due notifications for owner in one
// statement and returns them, the longest-waiting first, each with its
// attempt counted. Claiming a batch at once instead of one row per
// transaction is what lets a dispatcher keep many deliveries in flight.
// Only one claimant can win a row: on PostgreSQL the candidates are locked
// with SKIP LOCKED, so that concurrent dispatchers take different rows
// instead of waiting for each other, and the update re-checks that each row
// is still pending and unleased; SQLite runs one writer at a time.
func (tx *Tx) ClaimOutbox(ctx context.Context, owner string, at, until time.Time, limit int) ([]*OutboxItem, error) {
	ms := at.UnixMilli()
	q := `UPDATE outbox SET lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? AND lease_until_ms <= ?
			ORDER BY next_attempt_ms, id LIMIT ?)
		AND state = 'pending' AND lease_until_ms <= ? AND next_attempt_ms <= ?
		RETURNING ` + outboxColumns
	if tx.dialect == Postgres {
		// The candidates are picked once, in a materialised CTE: as an IN
		// subquery, PostgreSQL may run a SKIP LOCKED subquery again for
		// each row it updates, and so lease more than limit rows.
		q = `WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? AND lease_until_ms <= ?
			ORDER BY next_attempt_ms, id LIMIT ? FOR UPDATE SKIP LOCKED)
		UPDATE outbox SET lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1
		FROM picked WHERE outbox.id = picked.id AND outbox.state = 'pending' AND outbox.lease_until_ms <= ? AND outbox.next_attempt_ms <= ?
		RETURNING ` + qualified("outbox", outboxColumns)
	}
	args := []any{owner, until.UnixMilli(), ms, ms, limit, ms, ms}
	if tx.dialect == Postgres {
		args = []any{ms, ms, limit, owner, until.UnixMilli(), ms, ms}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	defer rows.Close()
	var out []*OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	// RETURNING gives no order; deliver the longest-waiting first.
	slices.SortFunc(out, func(a, b *OutboxItem) int {
		if c := cmp.Compare(a.NextAttempt.UnixMilli(), b.NextAttempt.UnixMilli()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// qualified prefixes each of a comma-separated list of columns with a
// table name.
func qualified(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// OutboxItem returns one notification.
func (tx *Tx) OutboxItem(ctx context.Context, id string) (*OutboxItem, error) {
	it, err := scanOutbox(tx.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notification %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read notification %s: %w", id, err)
	}
	return it, nil
}

// CompleteOutbox marks a notification delivered (the receiving server has
// accepted it) and replaces its payload, so that a secret it carried does
// not stay in the database. It succeeds even when the lease has run out in
// the meantime: the notification was delivered all the same.
func (tx *Tx) CompleteOutbox(ctx context.Context, id string, payload []byte, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE outbox SET state = 'delivered', delivered_at = ?, payload = ?, lease_owner = '', lease_until_ms = 0, last_error = ''
		WHERE id = ? AND state = 'pending'`, timeText(at), string(payload), id)
	if err != nil {
		return fmt.Errorf("mark notification %s delivered: %w", id, err)
	}
	return nil
}

// CompleteOutboxMany marks notifications delivered in one statement,
// keeping their payloads; for notifications that carried no secret. One
// statement for a round of deliveries instead of one per notification is
// most of what lets a dispatcher keep up with a whole stage at once.
func (tx *Tx) CompleteOutboxMany(ctx context.Context, ids []string, at time.Time) error {
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, timeText(at))
		for _, id := range chunk {
			args = append(args, id)
		}
		_, err := tx.Exec(ctx, `UPDATE outbox SET state = 'delivered', delivered_at = ?, lease_owner = '', lease_until_ms = 0, last_error = ''
			WHERE state = 'pending' AND id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("mark %d notifications delivered: %w", len(chunk), err)
		}
	}
	return nil
}

// RetryOutbox releases a notification after a failed attempt and sets when
// it is tried next.
func (tx *Tx) RetryOutbox(ctx context.Context, id, owner string, next time.Time, lastErr string) error {
	_, err := tx.Exec(ctx, `UPDATE outbox SET lease_owner = '', lease_until_ms = 0, next_attempt_ms = ?, last_error = ?
		WHERE id = ? AND state = 'pending' AND lease_owner = ?`, next.UnixMilli(), clipText(lastErr, 500), id, owner)
	if err != nil {
		return fmt.Errorf("reschedule notification %s: %w", id, err)
	}
	return nil
}

// FailOutbox gives a notification up after a permanent refusal (an
// address the mail server rejects); it stays in the table for review.
func (tx *Tx) FailOutbox(ctx context.Context, id, owner, lastErr string, payload []byte) error {
	_, err := tx.Exec(ctx, `UPDATE outbox SET state = 'failed', lease_owner = '', lease_until_ms = 0, last_error = ?, payload = ?
		WHERE id = ? AND state = 'pending' AND lease_owner = ?`, clipText(lastErr, 500), string(payload), id, owner)
	if err != nil {
		return fmt.Errorf("mark notification %s failed: %w", id, err)
	}
	return nil
}

// ReleaseOutbox gives back the leases of an owner that stops, so that the
// notifications it had claimed but not tried are due again at once.
func (tx *Tx) ReleaseOutbox(ctx context.Context, owner string) error {
	_, err := tx.Exec(ctx, `UPDATE outbox SET lease_owner = '', lease_until_ms = 0 WHERE state = 'pending' AND lease_owner = ?`, owner)
	if err != nil {
		return fmt.Errorf("release notifications of %s: %w", owner, err)
	}
	return nil
}

// OutboxItems returns the notifications in a state ("" for all), oldest
// first.
func (tx *Tx) OutboxItems(ctx context.Context, state string) ([]*OutboxItem, error) {
	q := `SELECT ` + outboxColumns + ` FROM outbox`
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanAll(rows, nil, scanOutbox)
}

// NextOutboxDue returns when the earliest pending notification falls due;
// ok is false when none is pending.
func (tx *Tx) NextOutboxDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT MIN(CASE WHEN lease_until_ms > next_attempt_ms THEN lease_until_ms ELSE next_attempt_ms END) FROM outbox WHERE state = 'pending'`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("read outbox: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// FigureCounts counts what the public figures publish: persons on the
// latest handed-over version of each list (by list state and category, and
// by the day the list was first handed over), the outcomes recorded for
// list entries, and the inquiries by status. It reads counts and category
// codes only, never a name.
func (tx *Tx) FigureCounts(ctx context.Context) (families.FigureCounts, error) {
	c := families.FigureCounts{ListedByState: map[string]int{}, ListedByCategory: map[string]int{}, InquiriesByStatus: map[families.Status]int{}}
	type root struct {
		latestID, state string
		version         int
		first           time.Time
	}
	roots := map[string]*root{}
	rows, err := tx.Query(ctx, `SELECT id, root_id, version, state, handed_over_at FROM lists WHERE state <> 'draft'`)
	if err != nil {
		return c, fmt.Errorf("count lists: %w", err)
	}
	for rows.Next() {
		var id, rootID, state, handed string
		var version int
		if err := rows.Scan(&id, &rootID, &version, &state, &handed); err != nil {
			rows.Close()
			return c, err
		}
		r := roots[rootID]
		if r == nil {
			r = &root{}
			roots[rootID] = r
		}
		if version > r.version {
			r.latestID, r.state, r.version = id, state, version
		}
		if t := parseTime(handed); !t.IsZero() && (r.first.IsZero() || t.Before(r.first)) {
			r.first = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	c.Lists = len(roots)
	for _, r := range roots {
		crow, err := tx.Query(ctx, `SELECT categories, COUNT(*) FROM list_entries WHERE list_id = ? GROUP BY categories`, r.latestID)
		if err != nil {
			return c, fmt.Errorf("count entries: %w", err)
		}
		n := 0
		for crow.Next() {
			var cats string
			var k int
			if err := crow.Scan(&cats, &k); err != nil {
				crow.Close()
				return c, err
			}
			n += k
			if cats == "" {
				c.ListedByCategory[""] += k
			}
			for _, code := range strings.Split(cats, ";") {
				if code = strings.TrimSpace(code); code != "" {
					c.ListedByCategory[code] += k
				}
			}
		}
		crow.Close()
		if err := crow.Err(); err != nil {
			return c, err
		}
		c.ListedByState[r.state] += n
		c.ListedOn = append(c.ListedOn, families.Dated{Day: r.first, Count: n})
	}
	orow, err := tx.Query(ctx, `SELECT status, status_date FROM entry_outcomes`)
	if err != nil {
		return c, fmt.Errorf("count outcomes: %w", err)
	}
	for orow.Next() {
		var status, date string
		if err := orow.Scan(&status, &date); err != nil {
			orow.Close()
			return c, err
		}
		switch families.Status(status) {
		case families.StatusAgreed:
			c.Agreed++
		case families.StatusRepatriated:
			c.Repatriated++
			c.RepatriatedOn = append(c.RepatriatedOn, families.Dated{Day: parseDay(date), Count: 1})
		}
	}
	orow.Close()
	if err := orow.Err(); err != nil {
		return c, err
	}
	irow, err := tx.Query(ctx, `SELECT status, COUNT(*) FROM inquiries GROUP BY status`)
	if err != nil {
		return c, fmt.Errorf("count inquiries: %w", err)
	}
	defer irow.Close()
	for irow.Next() {
		var status string
		var n int
		if err := irow.Scan(&status, &n); err != nil {
			return c, err
		}
		c.InquiriesByStatus[families.Status(status)] += n
	}
	return c, irow.Err()
}

// InitSetting stores a setting unless it is already set, and returns the
// value in force: of two processes initialising at once, both end up with
// the first one's value.
func (tx *Tx) InitSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("initialise setting %s: %w", key, err)
	}
	return tx.Setting(ctx, key)
}
