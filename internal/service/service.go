// Package service is the one layer that the web pages, the JSON API and the
// command line all call. Every method takes the acting user, checks the
// rules of package access before it reads or changes anything, and runs each
// state change in one database transaction together with its entry in the
// signed log.
package service

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/auth"
	"parley/internal/category"
	"parley/internal/families"
	"parley/internal/ledger"
	"parley/internal/listfile"
	"parley/internal/lists"
	bytelru "parley/internal/lru"
	"parley/internal/msg"
	"parley/internal/person"
	"parley/internal/store"
)

// Service is Parley's application service.
type Service struct {
	db     *store.DB
	Logger *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time

	// Log is the signed event log; every state change appends to it in the
	// same transaction.
	Log EventLog
	// lg is the signed log itself, for its readers (tiles, receipts,
	// checkpoints); nil when the service runs without one.
	lg *ledger.Log

	// Limits bound the work of reading an uploaded list or registry; zero
	// fields take listfile's defaults. Limits.TempDir should be the data
	// directory's own temporary folder.
	Limits listfile.Limits
	// CountCap is how far a page view of a registry counts the rows of a
	// search (Page.More); 0 is DefaultCountCap.
	CountCap int

	// catalogue is replaced whole when an operator adds a category, while
	// requests read it: an atomic pointer keeps that race-free.
	catalogue atomic.Pointer[category.Catalogue]
	// frozenPages keeps the entry pages of frozen list versions read
	// (frozenpages.go).
	frozenPages *bytelru.Cache[frozenPageKey, frozenPage]
	// halted holds why the stored log failed its consistency check, if it
	// did (see CheckLog).
	halted        atomic.Pointer[error]
	handOverHooks []func(ctx context.Context, l *lists.List)

	// passwordParams is the cost of new password hashes (see
	// WithPasswordParams); dummyHash, made once with it, is what an unknown
	// username's sign-in is checked against.
	passwordParams auth.Params
	dummyOnce      sync.Once
	dummyHash      string

	// familyKey checks family secrets (families.CheckSecret); nil for a
	// store without a data directory, which then hashes them with argon2id.
	familyKey families.SecretKey
	// secretParams is the argon2id cost of family secrets when there is no
	// familyKey (see WithSecretParams).
	secretParams families.Argon2Params
	// statuses serves family status look-ups from memory (see
	// statusCache).
	statuses statusCache

	// node is what the data directory serves (single, hub or node) and,
	// on a node, its party, keys and hub (see nodes.go).
	node nodeConfig

	// registryIndexes keeps each party's registry matching index between
	// runs (see registryindex.go).
	registryIndexes registryIndexCache

	// linker compares handed-over lists with inquiries in the background
	// (see EnableFamilyLinking).
	linker familyLinker

	// derived keeps figures derived from many records until this process
	// changes a record (see derive).
	derived derivedCache
}

// Option configures a Service at construction.
type Option func(*Service)

// New wraps an open store.
func New(ctx context.Context, db *store.DB, logger *slog.Logger, opts ...Option) (*Service, error) {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{db: db, Logger: logger, Now: time.Now, passwordParams: auth.DefaultParams, secretParams: families.DefaultArgon2,
		frozenPages: bytelru.New[frozenPageKey, frozenPage](FrozenPagesBytes)}
	for _, o := range opts {
		o(s)
	}
	if err := s.reloadCatalogue(ctx); err != nil {
		return nil, err
	}
	if err := s.loadNodeConfig(ctx); err != nil {
		return nil, err
	}
	if dir := db.DataDir(); dir != "" {
		key, err := loadFamilyKey(dir)
		if err != nil {
			return nil, err
		}
		s.familyKey = key
	}
	return s, nil
}

// Open opens the data directory's database and wraps it.
func Open(ctx context.Context, dataDir, dbURL string, logger *slog.Logger, opts ...Option) (*Service, error) {
	db, err := store.Open(ctx, dataDir, dbURL)
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, db, logger, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the background jobs (Stop) and closes the database.
func (s *Service) Close() error {
	s.Stop()
	return s.db.Close()
}

// Stop stops the service's background jobs (the comparison of lists with
// inquiries, see EnableFamilyLinking) and waits for them, leaving the
// database open for its owner to close.
func (s *Service) Stop() { s.stopFamilyLinking() }

// Catalogue returns the categories in force: built-in plus operator-added.
func (s *Service) Catalogue() *category.Catalogue { return s.catalogue.Load() }

func (s *Service) reloadCatalogue(ctx context.Context) error {
	var extra []category.Category
	err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, labels, synonyms, medical FROM categories ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c category.Category
			var labels, syn string
			var medical int
			if err := rows.Scan(&c.Code, &labels, &syn, &medical); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(labels), &c.Labels); err != nil {
				return fmt.Errorf("category %s labels: %w", c.Code, err)
			}
			if err := json.Unmarshal([]byte(syn), &c.Synonyms); err != nil {
				return fmt.Errorf("category %s synonyms: %w", c.Code, err)
			}
			c.Medical = medical != 0
			extra = append(extra, c)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("load categories: %w", err)
	}
	cat, err := category.NewCatalogue(extra...)
	if err != nil {
		return err
	}
	s.catalogue.Store(cat)
	return nil
}

// ErrNotFound is returned for records that do not exist — and for records
// the actor may not see, so that guessing ids reveals nothing.
var ErrNotFound = store.ErrNotFound

// ErrConflict is returned when a change does not fit the record's state
// (handing over a list twice, editing a frozen list).
var ErrConflict = errors.New("conflict")

// ErrInvalid is returned for bad input; the error text says what is wrong.
var ErrInvalid = errors.New("invalid input")

// Invalid returns an error of kind ErrInvalid that carries the message
// code with its parameters, given as name, value pairs. This is how the
// service refuses input: the words live in the catalogue (package msg,
// catalogue/<lang>/<area>.json), the front end renders them in the
// reader's language, and API clients get the code. For example
//
//	return Invalid("list.same_party", "party", req.From)
//
// with "list.same_party": "A list goes from one party to another; both are {party}."
// in catalogue/en/service.json and its uk and ru translations.
func Invalid(code string, kv ...any) error { return msg.NewError(ErrInvalid, code, kv...) }

// Conflict is Invalid for ErrConflict: a change that does not fit the
// record's state.
func Conflict(code string, kv ...any) error { return msg.NewError(ErrConflict, code, kv...) }

// NotFoundMsg is Invalid for ErrNotFound. Front ends show every not-found
// error alike (see httpx.Message); the message is for logs and the CLI.
func NotFoundMsg(code string, kv ...any) error { return msg.NewError(ErrNotFound, code, kv...) }

// invalidBecause is Invalid for a value refused by err: the message's
// {reason} is err, in the reader's language when err carries a message,
// and err stays the cause, for errors.Is and errors.As.
func invalidBecause(code string, err error, kv ...any) error {
	return because(ErrInvalid, code, err, kv...)
}

// conflictBecause is invalidBecause for ErrConflict.
func conflictBecause(code string, err error, kv ...any) error {
	return because(ErrConflict, code, err, kv...)
}

// day is a date as a message parameter, written in the reader's locale.
type day person.Date

func (d day) YMD() (y, m, dd int) { return d.Year, d.Month, d.Day }

// invalidErr is err as an error of kind ErrInvalid: err's own message
// when it carries one (see package msg), its text otherwise.
func invalidErr(err error) error { return ofKind(ErrInvalid, err) }

// conflictErr is invalidErr for ErrConflict.
func conflictErr(err error) error { return ofKind(ErrConflict, err) }

func ofKind(kind, err error) error {
	if m, ok := msg.Of(err); ok {
		return &msg.Error{Kind: kind, Msg: m, Cause: err}
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// changedMeanwhile is the conflict of a conditional update that found the
// record changed by another request.
func changedMeanwhile(err error) error {
	e := msg.NewError(ErrConflict, "err.changed_meanwhile")
	e.Cause = err
	return e
}

// input is the name of an input field as a message parameter, shown by
// its label in the reader's language.
func input(name string) msg.Enum { return msg.Enum{Kind: "svc_input", Code: name} }

// fieldProblems are the problems of a record, each naming its field.
func fieldProblems(errs []person.FieldError) []msg.Msg {
	out := make([]msg.Msg, len(errs))
	for i, e := range errs {
		if e.Value == "" {
			out[i] = msg.New("err.person_field", "field", msg.Enum{Kind: "svc_field", Code: e.Field}, "reason", e.Msg)
			continue
		}
		out[i] = msg.New("err.person_field_value", "field", msg.Enum{Kind: "svc_field", Code: e.Field}, "value", e.Value, "reason", e.Msg)
	}
	return out
}

func because(kind error, code string, err error, kv ...any) error {
	e := msg.NewError(kind, code, append(kv, "reason", err)...)
	e.Cause = err
	return e
}

// newID returns a random identifier with a readable prefix. Ids are random
// so that they cannot be guessed or enumerated.
func newID(prefix string) string {
	const alphabet = "abcdefghjkmnpqrstvwxyz23456789"
	var b [10]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	sb.WriteString(prefix)
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
