package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/service"
)

func init() { addRoutes(paperRoutes) }

func paperRoutes(s *Server) []Route {
	return []Route{
		{Method: "GET", Pattern: "/lists/{id}/print", Auth: SignedIn, Summary: "A list as PDF, to print and sign", Handler: s.listPrint},
		{Method: "GET", Pattern: "/agreements/{id}/print", Auth: SignedIn, Summary: "An agreement as PDF, to print and sign", Handler: s.agreementPrint},
		{Method: "GET", Pattern: "/match-runs/{id}/left-off/print", Auth: SignedIn, Roles: []access.Role{access.Officer}, Summary: "The left-off report as PDF", Handler: s.leftOffPrint},
		{Method: "GET", Pattern: "/lists/verify-file", Auth: SignedIn, Summary: "Check a received list file against its receipt", Handler: s.verifyFilePage},
		{Method: "POST", Pattern: "/lists/verify-file", Auth: SignedIn, Summary: "Check a received list file against its receipt", Handler: s.verifyFileCheck},
	}
}

// listPrint serves the list as a PDF in the reader's language, with the
// same access check as the list page (the service's GetList).
func (s *Server) listPrint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.servePDF(w, id+".pdf", func(b *bytes.Buffer) (int, error) {
		return s.svc.ExportListPDF(r.Context(), actorOf(r), id, s.pickLanguage(r), b)
	})
}

// agreementPrint serves the agreement as a PDF in the reader's language,
// with the same access check as the agreement page.
func (s *Server) agreementPrint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.servePDF(w, id+".pdf", func(b *bytes.Buffer) (int, error) {
		return s.svc.ExportAgreementPDF(r.Context(), actorOf(r), id, s.pickLanguage(r), b)
	})
}

// leftOffPrint serves the left-off report as a PDF, with the same checks
// as its page.
func (s *Server) leftOffPrint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.servePDF(w, id+"-left-off.pdf", func(b *bytes.Buffer) (int, error) {
		f := readTableFilter(r.URL.Query(), "", leftOffTable)
		return s.svc.ExportLeftOffPDF(r.Context(), actorOf(r), id, s.pickLanguage(r), f.TableQuery, b)
	})
}

// servePDF renders a document into memory first, so that a failure still
// yields an error page rather than half a file, then serves it inline.
func (s *Server) servePDF(w http.ResponseWriter, filename string, render func(*bytes.Buffer) (int, error)) error {
	var buf bytes.Buffer
	if _, err := render(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": filename}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

type verifyFileData struct {
	FileName string
	Check    *service.FileCheck
	Error    string
}

func (s *Server) verifyFilePage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "verifyfile", s.page(w, r, "verify.title", "lists", &verifyFileData{}))
}

// verifyFileCheck answers the upload of a list file and its receipt with
// the same verdict as "parley list verify-file".
func (s *Server) verifyFileCheck(w http.ResponseWriter, r *http.Request) error {
	d := &verifyFileData{}
	status := http.StatusOK
	err := func() error {
		if err := r.ParseMultipartForm(16 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return badRequest("err.web.read_upload", "reason", err.Error())
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return unprocessable("err.web.choose_list_file")
		}
		defer f.Close()
		d.FileName = hdr.Filename
		rf, _, err := r.FormFile("receipt")
		if err != nil {
			return unprocessable("err.web.choose_receipt")
		}
		defer rf.Close()
		receipt, err := io.ReadAll(io.LimitReader(rf, 1<<20+1))
		if err != nil {
			return err
		}
		format, err := listfile.FormatFromName(hdr.Filename)
		if err != nil {
			return &httpError{http.StatusUnprocessableEntity, err}
		}
		d.Check, err = s.svc.CheckListFile(r.Context(), actorOf(r), f, format, receipt)
		if d.Check != nil {
			// Fields named as the reader's column headers.
			lang := s.pickLanguage(r)
			for i := range d.Check.Differences {
				d.Check.Differences[i].Field = listfile.ColumnHeader(d.Check.Differences[i].Field, lang)
			}
		}
		return err
	}()
	var he *httpError
	switch {
	case err == nil:
	case errors.As(err, &he), errors.Is(err, service.ErrInvalid):
		status, d.Error = s.errText(r, err)
	default:
		return err
	}
	return s.render(w, r, status, "verifyfile", s.page(w, r, "verify.title", "lists", d))
}
