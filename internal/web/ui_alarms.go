package web

import (
	"net/http"
	"time"

	"parley/internal/access"
	"parley/internal/mirror"
	"parley/internal/msg"
)

// The alarms of a party's node (package mirror): what the hub's log was
// found to contradict. They are listed for everyone on the node and
// acknowledged by an officer; until then the dashboard carries a banner
// and /readyz fails.

func init() { addRoutes(alarmRoutes) }

func alarmRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/node/alarms", Auth: SignedIn, Summary: "The node's alarms about the hub's log", Handler: s.alarmsPage},
		{Method: "POST", Pattern: "/node/alarms/{id}/ack", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "Acknowledge an alarm", Handler: s.alarmAck},
	}
}

// alarmView is an alarm with its message in the reader's language.
type alarmView struct {
	ID, Kind, Message string
	FirstSeen         time.Time
	LastSeen          time.Time
	AckedBy           string
	AckedAt           time.Time
}

func alarmViews(l *Localizer, as []mirror.Alarm) []alarmView {
	out := make([]alarmView, len(as))
	for i, a := range as {
		out[i] = alarmView{ID: a.ID, Kind: a.Kind, Message: msg.Text(l.Lang, a.Msg()),
			FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, AckedBy: a.AckedBy, AckedAt: a.AckedAt}
	}
	return out
}

type alarmsData struct {
	Alarms  []alarmView
	CanAck  bool
	Unacked int
}

func (s *Server) alarmsPage(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	as, err := s.svc.NodeAlarms(r.Context(), actor, true)
	if err != nil {
		return err
	}
	d := &alarmsData{CanAck: actor.Has(access.Officer)}
	p := s.page(w, r, "alarms.title", "alarms", d)
	d.Alarms = alarmViews(p.L, as)
	for _, a := range as {
		if !a.Acked() {
			d.Unacked++
		}
	}
	return s.render(w, r, http.StatusOK, "alarms", p)
}

func (s *Server) alarmAck(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.AckNodeAlarm(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/node/alarms", http.StatusSeeOther)
	return nil
}
