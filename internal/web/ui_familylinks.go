package web

import (
	"errors"
	"fmt"
	"net/http"

	"parley/internal/access"
	"parley/internal/service"
)

// The family-link review inside the workbench: a family's inquiry that the
// matcher linked to a person on a handed-over list waits for an officer of
// the relative's side to confirm or reject it before the family is told
// anything. The family site served this page in its own layout, which left
// officers without the menu or a way to sign out; here it is a workbench
// page like the others, reading and deciding through the same service
// methods, which check the party and record the access.

func init() { addRoutes(familyLinkRoutes) }

// FamilyLinksPath is the workbench's review of family links; the family
// site, served by the same server, sends its officers' old address here.
const FamilyLinksPath = "/family-links"

func familyLinkRoutes(s *Server) []Route {
	officers := []access.Role{access.Officer}
	return []Route{
		{Method: "GET", Pattern: FamilyLinksPath, Auth: SignedIn, Roles: officers, Summary: "Links between family inquiries and listed persons, waiting for the officers of the relative's side", Handler: s.familyLinksPage},
		{Method: "POST", Pattern: "/family-links/{id}/{decision}", Auth: SignedIn, Roles: officers, Summary: "Confirm or reject a link between a family inquiry and a listed person", Handler: s.familyLinkDecide},
	}
}

type familyLinksData struct {
	Links   []service.LinkReview
	Message string // catalogue key of the outcome of the last decision
}

func (s *Server) familyLinksPage(w http.ResponseWriter, r *http.Request) error {
	msg := ""
	switch r.URL.Query().Get("done") {
	case "confirm":
		msg = "familylinks.confirmed"
	case "reject":
		msg = "familylinks.rejected"
	}
	return s.showFamilyLinks(w, r, http.StatusOK, msg)
}

func (s *Server) showFamilyLinks(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	links, err := s.svc.PendingLinks(r.Context(), actorOf(r))
	if err != nil {
		return fmt.Errorf("pending family links: %w", err)
	}
	p := s.page(w, r, "familylinks.title", "family_review", &familyLinksData{Links: links, Message: msg})
	return s.render(w, r, status, "familylinks", p)
}

func (s *Server) familyLinkDecide(w http.ResponseWriter, r *http.Request) error {
	actor, id, decision := actorOf(r), r.PathValue("id"), r.PathValue("decision")
	var err error
	switch decision {
	case "confirm":
		err = s.svc.ConfirmLink(r.Context(), actor, id, r.PostFormValue("note"))
	case "reject":
		err = s.svc.RejectLink(r.Context(), actor, id)
	default:
		return fmt.Errorf("%w: decision %q (want confirm or reject)", service.ErrNotFound, decision)
	}
	if errors.Is(err, service.ErrConflict) {
		// Someone decided first, or the link changed: show the page as
		// it is now, saying so, rather than an error page.
		return s.showFamilyLinks(w, r, http.StatusConflict, "familylinks.conflict")
	}
	if err != nil {
		return fmt.Errorf("%s family link %s: %w", decision, id, err)
	}
	// Post/redirect/get: a reload does not post the decision again.
	http.Redirect(w, r, FamilyLinksPath+"?done="+decision, http.StatusSeeOther)
	return nil
}
