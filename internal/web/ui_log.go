package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"parley/internal/access"
	"parley/internal/lists"
	"parley/internal/service"
)

func init() {
	addRoutes(logRoutes)
	AddNav(NavItem{Order: 70, Key: "nav.log", Href: "/log", Nav: "log", Show: func(access.Actor) bool { return true }})
}

func logRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/log", Auth: SignedIn, Summary: "The signed log: checkpoint, cosignatures, keys, receipts", Handler: s.logPage},
		{Method: "GET", Pattern: "/lists/{id}/receipt", Auth: SignedIn, Summary: "Download the receipt of a list's hand-over", Handler: s.writeListReceipt},
		{Method: "POST", Pattern: "/log/cosign", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Have one's party's witness cosign the latest checkpoint (when this server keeps its key)", Handler: s.logCosign},
		{Method: "POST", Pattern: "/receipts/verify", Auth: SignedIn, Summary: "Check a receipt", Handler: s.verifyReceiptForm},
	}
}

// logWitnessView is one party's witness key, for the page.
type logWitnessView struct {
	Party, Name, Key string
	Cosigned         bool
}

type logPageData struct {
	Enabled   bool
	State     *logState
	Witnesses []logWitnessView
	Parties   map[string]string
	// Cosigners are the names of the parties that cosigned the latest
	// checkpoint.
	Cosigners []string
	// TilesURL is where the log's tiles are published, for the verify
	// command.
	TilesURL string
	// Receipts are the handed-over lists the reader may have receipts of;
	// SeesLists is false for roles that see no lists.
	Receipts  []*lists.List
	SeesLists bool
	// The outcome of a receipt check, with the names of its parties.
	Check          *receiptCheck
	CheckCosigners []string
	CheckError     string
	// How the reader's party cosigns (service.CosignHere, CosignByNode or
	// ""), whether its witness has cosigned the latest checkpoint, and the
	// outcome of a cosigning asked for from the page.
	CosignWay    string
	OwnParty     string
	OwnCosigned  bool
	JustCosigned bool
	CosignError  string
	// Node is a party node's cosigning state (nil elsewhere).
	Node *service.NodeCosign
}

// publicBase is the workbench's address as its users reach it.
func (s *Server) publicBase(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if s.opts.TLS || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) logPageData(r *http.Request) (*logPageData, error) {
	d := &logPageData{TilesURL: s.publicBase(r) + "/log"}
	var err error
	if d.Parties, _, err = s.partyNames(r); err != nil {
		return nil, err
	}
	all, err := s.svc.ListLists(r.Context(), actorOf(r))
	switch {
	case errors.Is(err, access.ErrForbidden):
	case err != nil:
		return nil, err
	default:
		d.SeesLists = true
		for _, l := range all {
			if l.State != lists.Draft {
				d.Receipts = append(d.Receipts, l)
			}
		}
	}
	actor := actorOf(r)
	if d.CosignWay = s.svc.LogCosignWay(actor); d.CosignWay == service.CosignByNode {
		// A node keeps no log of its own: it mirrors the hub's, and its
		// witness cosigns what it verified.
		d.OwnParty = logPartyName(d.Parties, actor.Party)
		if d.Node, err = s.svc.NodeCosignState(r.Context(), actor); err != nil {
			return nil, err
		}
		d.OwnCosigned = d.Node != nil && d.Node.Verified > 0 && d.Node.Cosigned >= d.Node.Verified
	}
	st, err := s.logState(r.Context())
	if errors.Is(err, errNoLog) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.Enabled, d.State = true, st
	d.Cosigners = logPartyNames(d.Parties, st.Cosigners)
	if d.CosignWay == service.CosignHere {
		d.OwnParty = logPartyName(d.Parties, actor.Party)
		d.OwnCosigned = slices.Contains(st.Cosigners, actor.Party)
	}
	for _, p := range st.Parties {
		d.Witnesses = append(d.Witnesses, logWitnessView{Party: p, Name: logPartyName(d.Parties, p), Key: st.Keys.Witnesses[p], Cosigned: slices.Contains(st.Cosigners, p)})
	}
	return d, nil
}

// logPartyName names a party by its name, or by its id when the log knows a
// party the workbench does not.
func logPartyName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

func logPartyNames(names map[string]string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = logPartyName(names, id)
	}
	return out
}

// Count writes a number of log entries the language's way.
func (d *logPageData) Count(l *Localizer, n int64) string { return l.printer.Sprintf("%d", n) }

// PartyName names a party of the log.
func (d *logPageData) PartyName(id string) string { return logPartyName(d.Parties, id) }

// WitnessFlags is the --witness-key arguments of the verify commands.
func (d *logPageData) WitnessFlags() string {
	var b strings.Builder
	for _, w := range d.Witnesses {
		b.WriteString(" \\\n    --witness-key '" + w.Key + "'")
	}
	if d.State != nil {
		for _, w := range d.State.Witnesses {
			if !w.Own {
				b.WriteString(" \\\n    --witness-key '" + w.Key + "'")
			}
		}
	}
	return b.String()
}

func (s *Server) logPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.logPageData(r)
	if err != nil {
		return err
	}
	d.JustCosigned = r.URL.Query().Get("cosigned") == "1" && d.OwnCosigned
	return s.render(w, r, http.StatusOK, "log", s.page(w, r, "log.title", "log", d))
}

// logCosign has the officer's party's witness cosign the latest checkpoint
// and goes back to the log page, which then names who has agreed.
func (s *Server) logCosign(w http.ResponseWriter, r *http.Request) error {
	if !s.svc.HasLog() {
		return errNoLog
	}
	_, err := s.svc.CosignLog(r.Context(), actorOf(r))
	if errors.Is(err, service.ErrConflict) {
		d, derr := s.logPageData(r)
		if derr != nil {
			return derr
		}
		_, d.CosignError = s.errText(r, err)
		return s.render(w, r, http.StatusConflict, "log", s.page(w, r, "log.title", "log", d))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/log?cosigned=1#checkpoint", http.StatusSeeOther)
	return nil
}

// verifyReceiptForm checks a receipt uploaded as a file (field "file")
// or pasted (field "receipt_text") and shows the outcome on the log page.
func (s *Server) verifyReceiptForm(w http.ResponseWriter, r *http.Request) error {
	if !s.svc.HasLog() {
		return errNoLog
	}
	var data []byte
	var err error
	if f, _, ferr := r.FormFile("file"); ferr == nil {
		defer f.Close()
		data, err = readReceipt(f)
	} else {
		data, err = readReceipt(strings.NewReader(r.PostFormValue("receipt_text")))
	}
	d, derr := s.logPageData(r)
	if derr != nil {
		return derr
	}
	status := http.StatusOK
	var he *httpError
	switch {
	case err == nil:
		d.Check = s.checkReceipt(r.Context(), data)
		d.CheckCosigners = logPartyNames(d.Parties, d.Check.CosignedBy)
	case errors.As(err, &he):
		status = he.status
		d.CheckError = "log.check_missing"
		if he.status == http.StatusRequestEntityTooLarge {
			d.CheckError = "log.check_too_large"
		}
	default:
		return err
	}
	return s.render(w, r, status, "log", s.page(w, r, "log.title", "log", d))
}
