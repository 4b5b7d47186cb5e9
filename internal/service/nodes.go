package service

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parley/internal/access"
	"parley/internal/hubclient"
	"parley/internal/ledger"
	"parley/internal/lists"
	"parley/internal/msg"
	"parley/internal/nodes"
	"parley/internal/statement"
	"parley/internal/store"
)

// This file is the service's side of party nodes (docs/nodes.md): the
// mode, the hub's trusted party keys and the statements it applies, and a
// node's queue of signed statements for the hub.

// nodeConfig is read once from node_settings when the service starts.
type nodeConfig struct {
	mode      nodes.Mode
	party     string // node
	hubURL    string // node
	hubOrigin string // node
	signer    note.Signer
	hub       *hubclient.Client
	wake      chan struct{} // a statement was queued
}

func (s *Service) loadNodeConfig(ctx context.Context) error {
	var set map[string]string
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		set, err = tx.NodeSettings(ctx)
		return err
	})
	if err != nil {
		return err
	}
	mode, err := nodes.ParseMode(set[nodes.SettingMode])
	if err != nil {
		return err
	}
	s.node = nodeConfig{mode: mode, party: set[nodes.SettingParty], hubURL: set[nodes.SettingHubURL], hubOrigin: set[nodes.SettingHubOrigin],
		wake: make(chan struct{}, 1)}
	if mode != nodes.Node || s.db.DataDir() == "" {
		return nil
	}
	if s.node.signer, err = nodes.LoadPartySigner(s.db.DataDir(), s.node.party); err != nil {
		return err
	}
	s.node.hub, err = hubclient.NewFromKeyFile(s.node.hubURL, nodes.PartyKeyFile(s.db.DataDir(), s.node.party))
	return err
}

// Mode returns what this data directory serves.
func (s *Service) Mode() nodes.Mode {
	if s.node.mode == "" {
		return nodes.Single
	}
	return s.node.mode
}

// NodeParty returns the party of a node ("" elsewhere).
func (s *Service) NodeParty() string { return s.node.party }

// HubURL returns a node's hub address ("" elsewhere).
func (s *Service) HubURL() string { return s.node.hubURL }

// HubOrigin returns the origin of the hub's log, as pinned at node init.
func (s *Service) HubOrigin() string { return s.node.hubOrigin }

// HubClient returns a node's signed client of its hub (nil elsewhere).
func (s *Service) HubClient() *hubclient.Client { return s.node.hub }

// SetupMode writes the mode settings of a new data directory and loads
// them. It is for init only: a directory's mode never changes.
func (s *Service) SetupMode(ctx context.Context, settings map[string]string) error {
	if _, err := nodes.ParseMode(settings[nodes.SettingMode]); err != nil {
		return invalidErr(err)
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		old, err := tx.NodeSettings(ctx)
		if err != nil {
			return err
		}
		if old[nodes.SettingMode] != "" {
			return Conflict("err.node.mode_set", "mode", old[nodes.SettingMode])
		}
		for k, v := range settings {
			if err := tx.SetNodeSetting(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.loadNodeConfig(ctx)
}

// ErrWrongMode is returned for what this mode must not do: a hub never
// holds a registry, matching, families or drafts; a node does not run the
// shared record. Its text names the operation (codes in package web).
var ErrWrongMode = errors.New("not available in this mode")

// Refusal codes of the operations a hub never does: each is the catalogue
// message "nodes.refused.<code>" (package msg) of the refusal's error.
const (
	RefuseRegistry  = "registry"
	RefuseMatching  = "matching"
	RefuseFamilies  = "families"
	RefuseDraftList = "draft_list"
)

// refusalCodes are the catalogue codes of the refusals, spelled out so
// that the catalogue test finds them.
var refusalCodes = map[string]string{
	RefuseRegistry:  "nodes.refused.registry",
	RefuseMatching:  "nodes.refused.matching",
	RefuseFamilies:  "nodes.refused.families",
	RefuseDraftList: "nodes.refused.draft_list",
}

// refuseOnHub refuses, on a hub, the operations that would put a party's
// own data on the mediator's server: an error that errors.Is
// ErrWrongMode and carries the catalogue message.
func (s *Service) refuseOnHub(what string) error {
	if s.Mode() == nodes.Hub {
		return msg.NewError(ErrWrongMode, refusalCodes[what])
	}
	return nil
}

// ---- the hub ----

// TrustedKey is the result of TrustPartyKey.
type TrustedKey struct {
	Party, Kind, KeyName, Fingerprint string
	Added                             bool // false when it was trusted already
}

// TrustPartyKey registers a key of a party on the hub: its statement key
// (signed-note Ed25519) or its witness key (cosignature/v1). The mediator
// compares the printed fingerprint with the party's out of band first. A
// witness key is also registered as a witness of the party, so the
// agreement policy can require the party's cosignature. Logged as
// party.key_trusted.
func (s *Service) TrustPartyKey(ctx context.Context, actor access.Actor, party, vkey string) (*TrustedKey, error) {
	if s.Mode() != nodes.Hub {
		return nil, msg.NewError(ErrWrongMode, "err.node.hub_trusts")
	}
	if err := s.witnessAdmin(actor); err != nil {
		return nil, err
	}
	if s.lg == nil {
		return nil, Conflict("err.no_log")
	}
	kind, name, err := nodes.KeyKind(s.lg.Origin(), party, vkey)
	if err != nil {
		return nil, invalidBecause("err.node.party_key", err, "party", party)
	}
	res := &TrustedKey{Party: party, Kind: kind, KeyName: name, Fingerprint: statement.Fingerprint(vkey)}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Party(ctx, party); err != nil {
			return Invalid("err.unknown_party", "party", party)
		}
		if kind == nodes.KindWitness {
			if err := oneWitnessKey(ctx, tx, party, vkey); err != nil {
				return err
			}
		}
		added, err := tx.AddPartyKey(ctx, store.PartyKey{Party: party, Kind: kind, KeyName: name, VKey: vkey, TrustedAt: s.Now()})
		if err != nil || !added {
			return err
		}
		res.Added = true
		if err := s.recordEvent(ctx, tx, actor, Event{Type: "party.key_trusted", Subject: party,
			Attrs: map[string]string{"party": party, "kind": kind, "key": vkey}}); err != nil {
			return err
		}
		if kind != nodes.KindWitness {
			return nil
		}
		ws, err := tx.LogWitnesses(ctx)
		if err != nil {
			return err
		}
		row, err := s.lg.NewPartyWitnessRow(ws, vkey, party)
		if err != nil {
			return invalidBecause("err.node.witness_key", err, "party", party)
		}
		if err := tx.AddLogWitness(ctx, row); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, actor, eventOf(ledger.WitnessAddedEvent(row)))
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// oneWitnessKey refuses a second witness key of a party. The hub counts
// one witness per party (its registry holds one witness row per party,
// and a checkpoint one cosignature per witness key name); a party's
// second node verifies the log without cosigning, and only its statement
// key is trusted.
func oneWitnessKey(ctx context.Context, tx *store.Tx, party, vkey string) error {
	ks, err := tx.PartyKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range ks {
		if k.Party == party && k.Kind == nodes.KindWitness && k.VKey != vkey {
			return Conflict("nodes.witness_taken", "party", party, "fingerprint", statement.Fingerprint(k.VKey))
		}
	}
	return nil
}

// HubInfo is what a node reads at init: the log's origin and key, and the
// parties.
func (s *Service) HubInfo(ctx context.Context) (*hubclient.Info, error) {
	if s.Mode() != nodes.Hub || s.lg == nil {
		return nil, msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	ps, err := s.Parties(ctx)
	if err != nil {
		return nil, err
	}
	info := &hubclient.Info{Origin: s.lg.Origin(), LogKey: s.lg.VerifierKey()}
	for _, p := range ps {
		info.Parties = append(info.Parties, hubclient.Party{ID: p.ID, Name: p.Name})
	}
	return info, nil
}

// trustedStatementKeys returns the statement keys the hub trusts.
func (s *Service) trustedStatementKeys(ctx context.Context, tx *store.Tx) ([]store.PartyKey, error) {
	ks, err := tx.PartyKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := ks[:0]
	for _, k := range ks {
		if k.Kind == nodes.KindStatement {
			out = append(out, k)
		}
	}
	return out, nil
}

// RequestKeys returns the trusted statement keys of a key name and their
// party, for checking a node's signed request (package httpsig). A party
// that replaced its key has several; each is tried.
func (s *Service) RequestKeys(ctx context.Context, keyID string) ([]ed25519.PublicKey, string, error) {
	if s.Mode() != nodes.Hub || s.lg == nil {
		return nil, "", msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	var keys []store.PartyKey
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		keys, err = s.trustedStatementKeys(ctx, tx)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	var out []ed25519.PublicKey
	party := ""
	for _, k := range keys {
		if k.KeyName != keyID {
			continue
		}
		_, pub, err := statement.PublicKey(k.VKey)
		if err != nil {
			return nil, "", err
		}
		out, party = append(out, pub), k.Party
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("key %q is not trusted", keyID)
	}
	return out, party, nil
}

// statementCtx marks the events a hub logs while applying a party's
// statement: recordEvent names the party as actor and attaches the signed
// note, so that every such entry carries the party's own signature.
type statementCtx struct {
	party, id, note string
	index           int64 // the first entry logged for it; -1 before
}

type statementKey struct{}

func withStatement(ctx context.Context, st *statementCtx) context.Context {
	return context.WithValue(ctx, statementKey{}, st)
}

func statementOf(ctx context.Context) *statementCtx {
	st, _ := ctx.Value(statementKey{}).(*statementCtx)
	return st
}

// mediatorAct returns ctx and the actor for what a hub logs on its own
// account while it applies a party's statement: an entry without the
// statement, whose actor is the mediator, so that the log never names a
// party for an act the party did not sign.
func mediatorAct(ctx context.Context) (context.Context, access.Actor) {
	return context.WithValue(ctx, statementKey{}, (*statementCtx)(nil)), access.Actor{Username: "mediator", Roles: []access.Role{access.Mediator}}
}

// ErrStatementUnsigned is returned when a submitted statement does not
// verify under the key the hub trusts for the party it names.
var ErrStatementUnsigned = statement.ErrUnsigned

// ApplyStatement verifies a party's signed statement, applies it and logs
// it, all in one transaction; party is who signed the request. A statement
// applied before (same id) is not applied again: the answer repeats the
// first one with Duplicate set, also when the copies arrive at once (a node
// retrying while its first copy is still being applied): the later copy
// waits for the earlier one's transaction (store.LockHubStatement). A
// statement that does not verify is refused before anything is written.
func (s *Service) ApplyStatement(ctx context.Context, party string, req hubclient.SubmitRequest) (*hubclient.SubmitResult, error) {
	if s.Mode() != nodes.Hub || s.lg == nil {
		return nil, msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	var res *hubclient.SubmitResult
	var st *statement.Statement
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		keys, err := s.trustedStatementKeys(ctx, tx)
		if err != nil {
			return err
		}
		var vs []note.Verifier
		for _, k := range keys {
			v, err := note.NewVerifier(k.VKey)
			if err != nil {
				return fmt.Errorf("trusted key of %s: %w", k.Party, err)
			}
			vs = append(vs, v)
		}
		st, _, err = statement.Open([]byte(req.Statement), s.lg.Origin(), note.VerifierList(vs...))
		if err != nil {
			return err
		}
		if st.Party != party {
			return access.Forbid("deny.statement_key", "party", st.Party, "key", party)
		}
		// A second copy of the statement waits here for the first one's
		// transaction and then reads its row: one application, and the
		// same answer for both.
		if err := tx.LockHubStatement(ctx, st.ID); err != nil {
			return err
		}
		if prev, err := tx.HubStatement(ctx, st.ID); err == nil {
			if prev.Note != req.Statement {
				return Conflict("err.statement.other_content", "statement", st.ID)
			}
			res = &hubclient.SubmitResult{Index: prev.Index, Duplicate: true}
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sc := &statementCtx{party: st.Party, id: st.ID, note: req.Statement, index: -1}
		actx := withStatement(ctx, sc)
		actor := access.Actor{Username: "party", Roles: []access.Role{access.Officer}, Party: st.Party}
		if err := s.applyStatement(actx, tx, actor, st, req.Payload); err != nil {
			return err
		}
		if sc.index < 0 {
			return fmt.Errorf("statement %s logged nothing", st.ID)
		}
		if err := tx.AddHubStatement(ctx, store.HubStatement{ID: st.ID, Party: st.Party, Type: st.Type, Subject: st.Subject,
			Note: req.Statement, Index: sc.index, ReceivedAt: s.Now()}); err != nil {
			return err
		}
		res = &hubclient.SubmitResult{Index: sc.index}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !res.Duplicate {
		s.Logger.Info("party statement applied", "statement", st.Type, "statement_id", st.ID, "party", st.Party, "subject", st.Subject, "index", res.Index)
	}
	return res, nil
}

// applyStatement dispatches on the statement type; every check that the
// payload is what the party signed happens here, before any write.
func (s *Service) applyStatement(ctx context.Context, tx *store.Tx, actor access.Actor, st *statement.Statement, payload json.RawMessage) error {
	switch st.Type {
	case statement.ListHandover:
		var p hubclient.HandoverPayload
		if err := json.Unmarshal(payload, &p); err != nil || len(p.List) == 0 {
			return Invalid("err.statement.no_list", "type", "list.handover")
		}
		return s.hubHandOver(ctx, tx, actor, st, p.List)
	case statement.ListAck:
		var p hubclient.AckPayload
		if len(payload) > 0 {
			if err := json.Unmarshal(payload, &p); err != nil {
				return invalidBecause("err.field", err, "field", "list.ack")
			}
		}
		if statement.ReservationHash(p.Reservation) != st.Attrs["reservation_hash"] {
			return Invalid("err.statement.reservation_not_signed", "type", "list.ack")
		}
		l, err := tx.List(ctx, st.Subject)
		if err != nil {
			return err
		}
		if l.ContentHash != st.Attrs["content_hash"] {
			return Invalid("err.statement.ack_hash", "type", "list.ack", "list", l.ID, "hash", l.ContentHash, "signed", st.Attrs["content_hash"])
		}
		_, err = s.acknowledgeWithReservation(ctx, tx, actor, st.Subject, p.Reservation)
		return err
	case statement.ProposalSubmit, statement.ProposalCounter, statement.ProposalAccept, statement.ProposalReject:
		return s.applyProposal(ctx, tx, actor, st, payload)
	}
	return Invalid("err.statement.type", "type", st.Type)
}

// hubHandOver stores a list a party hands over through the hub: the list
// is read from the canonical bytes the party signed the hash of, checked
// against every attribute of the statement, stored as handed over and
// logged as list.handed_over.
func (s *Service) hubHandOver(ctx context.Context, tx *store.Tx, actor access.Actor, st *statement.Statement, b []byte) error {
	l, err := lists.ParseCanonical(b)
	if err != nil {
		return invalidBecause("err.field", err, "field", "list.handover")
	}
	hash, err := lists.ContentHash(l)
	if err != nil {
		return err
	}
	switch {
	case hash != st.Attrs["content_hash"]:
		return Invalid("err.statement.handover_hash", "type", "list.handover", "hash", hash, "signed", st.Attrs["content_hash"])
	case l.ID != st.Subject || l.From != st.Party || l.From != st.Attrs["from"] || l.To != st.Attrs["to"] ||
		l.Title != st.Attrs["title"] || strconv.Itoa(l.Version) != st.Attrs["version"] || strconv.Itoa(len(l.Entries)) != st.Attrs["entry_count"]:
		return Invalid("err.statement.list_mismatch", "type", "list.handover")
	case l.To == l.From:
		return Invalid("err.statement.list_other_party", "type", "list.handover")
	}
	if _, err := tx.Party(ctx, l.To); err != nil {
		return Invalid("err.unknown_party", "party", l.To)
	}
	if _, err := tx.List(ctx, l.ID); err == nil {
		return Conflict("err.list.handed_over_already", "list", l.ID)
	}
	l.RootID = l.ID
	if prev := st.Attrs["prev_id"]; prev != "" {
		p, err := tx.List(ctx, prev)
		if err != nil || p.From != l.From || p.To != l.To {
			return Invalid("err.statement.prev_version", "type", "list.handover", "list", prev)
		}
		l.PrevID, l.RootID = prev, p.RootID
	}
	l.State, l.CreatedBy, l.SourceName = lists.Draft, actor.String(), "node:"+st.Party
	if err := tx.InsertList(ctx, l); err != nil {
		return err
	}
	if err := tx.SetListState(ctx, l.ID, lists.Draft, lists.HandedOver, hash); err != nil {
		return changedMeanwhile(err)
	}
	l.State, l.ContentHash = lists.HandedOver, hash
	if err := s.recordEvent(ctx, tx, actor, listHandedOverEvent(l)); err != nil {
		return err
	}
	return s.closeDisputes(ctx, tx, actor, l)
}

// HubLists returns the lists handed over from or to a party whose
// hand-over was logged at index since or later.
func (s *Service) HubLists(ctx context.Context, party string, since int64) ([]hubclient.ListInfo, error) {
	if s.Mode() != nodes.Hub {
		return nil, msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	out := []hubclient.ListInfo{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		ls, err := tx.Lists(ctx, store.ListFilter{})
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l.State == lists.Draft || (l.From != party && l.To != party) {
				continue
			}
			rows, err := tx.FindLogEntries(ctx, "list.handed_over", l.ID)
			if err != nil {
				return err
			}
			idx := int64(-1)
			if len(rows) > 0 {
				idx = rows[0].Index
			}
			if idx < since {
				continue
			}
			out = append(out, hubclient.ListInfo{ID: l.ID, From: l.From, To: l.To, Title: l.Title, Version: l.Version,
				PrevID: l.PrevID, EntryCount: l.EntryCount, ContentHash: l.ContentHash, Index: idx, State: string(l.State)})
		}
		return nil
	})
	return out, err
}

// HubListBytes returns the canonical bytes of a handed-over list, to its
// two parties only (anyone else: not found).
func (s *Service) HubListBytes(ctx context.Context, party, id string) ([]byte, error) {
	if s.Mode() != nodes.Hub {
		return nil, msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	var b []byte
	err := s.db.View(ctx, func(tx *store.Tx) error {
		l, err := tx.ListWithEntries(ctx, id)
		if err != nil {
			return err
		}
		if l.State == lists.Draft || (l.From != party && l.To != party) {
			return fmt.Errorf("list %q: %w", id, ErrNotFound)
		}
		b, err = lists.CanonicalBytes(l)
		return err
	})
	return b, err
}

// ---- a node ----

// queueStatement signs a statement of the node's party and queues it for
// the hub in the caller's transaction, so that the local change and the
// statement that tells the hub about it commit together or not at all.
func (s *Service) queueStatement(ctx context.Context, tx *store.Tx, typ, subject string, attrs map[string]string, payload any) error {
	if s.node.signer == nil {
		return Conflict("err.node.no_key")
	}
	st := statement.New(typ, s.node.party, subject, attrs)
	st.Time = s.Now().UTC()
	msg, err := statement.Sign(st, s.node.signer)
	if err != nil {
		return err
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode the payload of %s: %w", typ, err)
	}
	if err := tx.AddNodeOutbox(ctx, store.NodeOutboxItem{ID: st.ID, Type: typ, Subject: subject, Note: msg, Payload: p, CreatedAt: s.Now()}); err != nil {
		return err
	}
	s.Logger.Info("party statement queued", "statement", typ, "statement_id", st.ID, "subject", subject)
	tx.AfterCommit(func() {
		select {
		case s.node.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	})
	return nil
}

func (s *Service) queueHandover(ctx context.Context, tx *store.Tx, l *lists.List) error {
	b, err := lists.CanonicalBytes(l)
	if err != nil {
		return err
	}
	attrs := map[string]string{"content_hash": l.ContentHash, "from": l.From, "to": l.To, "title": l.Title,
		"version": strconv.Itoa(l.Version), "entry_count": strconv.Itoa(len(l.Entries))}
	if l.PrevID != "" {
		attrs["prev_id"] = l.PrevID
	}
	return s.queueStatement(ctx, tx, statement.ListHandover, l.ID, attrs, hubclient.HandoverPayload{List: b})
}

func (s *Service) queueAck(ctx context.Context, tx *store.Tx, l *lists.List, reservation string) error {
	attrs := map[string]string{"content_hash": l.ContentHash, "reservation_hash": statement.ReservationHash(reservation)}
	return s.queueStatement(ctx, tx, statement.ListAck, l.ID, attrs, hubclient.AckPayload{Reservation: reservation})
}

// NodeQueued counts the statements waiting for the hub.
func (s *Service) NodeQueued(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.CountPendingNodeOutbox(ctx)
		return err
	})
	return n, err
}

// NodeOutbox returns the latest queued statements, newest first.
func (s *Service) NodeOutbox(ctx context.Context, limit int) ([]store.NodeOutboxItem, error) {
	var out []store.NodeOutboxItem
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.NodeOutbox(ctx, limit)
		return err
	})
	return out, err
}

// SendQueued sends the queued statements to the hub in the order they were
// made, and returns how many it sent. It stops at the first one the hub
// cannot take now (unreachable, or a 5xx answer: hubclient.Transient), so
// later statements never overtake earlier ones; a statement the hub
// refuses for good is marked refused and skipped. A request the hub does not yet know the key of (401: the
// mediator has not trusted it yet) stays queued. Sending twice is harmless: the hub applies a statement once.
func (s *Service) SendQueued(ctx context.Context) (int, error) {
	if s.Mode() != nodes.Node || s.node.hub == nil {
		return 0, nil
	}
	sent := 0
	for {
		var batch []store.NodeOutboxItem
		err := s.db.View(ctx, func(tx *store.Tx) (err error) {
			batch, err = tx.PendingNodeOutbox(ctx, 20)
			return err
		})
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		for _, o := range batch {
			res, err := s.node.hub.Submit(ctx, o.Note, o.Payload)
			var refused *hubclient.RefusedError
			switch {
			case err == nil:
				if err := s.db.Update(ctx, func(tx *store.Tx) error {
					return tx.MarkNodeOutboxSent(ctx, o.ID, s.Now(), res.Index)
				}); err != nil {
					return sent, err
				}
				sent++
				s.Logger.Info("party statement delivered", "statement", o.Type, "statement_id", o.ID, "index", res.Index, "duplicate", res.Duplicate)
			case errors.As(err, &refused) && refused.Final():
				s.Logger.Error("hub refused a party statement", "statement", o.Type, "statement_id", o.ID, "err", err)
				if err := s.db.Update(ctx, func(tx *store.Tx) error {
					return tx.MarkNodeOutboxFailed(ctx, o.ID, s.Now(), err.Error(), true)
				}); err != nil {
					return sent, err
				}
			default:
				_ = s.db.Update(ctx, func(tx *store.Tx) error {
					return tx.MarkNodeOutboxFailed(ctx, o.ID, s.Now(), err.Error(), false)
				})
				return sent, err
			}
		}
	}
}

// RunNodeSender sends queued statements until ctx ends, every interval
// and as soon as a local change queues one.
func (s *Service) RunNodeSender(ctx context.Context, interval time.Duration) {
	if s.Mode() != nodes.Node {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.SendQueued(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("statements stay queued for the hub", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.node.wake:
		}
	}
}

// statementAttrs adds the statement being applied to an event's
// attributes (a copy), for recordEvent.
func statementAttrs(st *statementCtx, attrs map[string]string) map[string]string {
	out := maps.Clone(attrs)
	if out == nil {
		out = map[string]string{}
	}
	out["statement"] = st.note
	out["statement_id"] = st.id
	return out
}

// HubProposals returns the proposals a party may see on the hub, each as
// the JSON the workbench's API shows it, oldest first.
func (s *Service) HubProposals(ctx context.Context, party string) ([]json.RawMessage, error) {
	if s.Mode() != nodes.Hub {
		return nil, msg.NewError(ErrWrongMode, "err.node.not_hub")
	}
	actor := access.Actor{Username: "party", Roles: []access.Role{access.Officer}, Party: party}
	ps, err := s.ListProposals(ctx, actor, ProposalFilter{})
	if err != nil {
		return nil, err
	}
	out := []json.RawMessage{}
	for _, p := range ps {
		v, err := s.GetProposal(ctx, actor, p.ID)
		if err != nil {
			continue // not visible to this party
		}
		b, err := s.hubProposalJSON(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
