package demo

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/service"
)

// VersionsResult says what BuildVersions created.
type VersionsResult struct {
	FirstRunID      string // the run on the first list, its matches confirmed
	Confirmed       int
	RegistryVersion int    // the version the re-import made
	SecondListID    string // version 2 of the first list
	SecondRunID     string // the run on version 2, with carried-over reviews
	Carried         int    // reviews carried over to version 2
	Pending         int    // reviews back to pending, with a reason
}

// BuildVersions shows that records keep their identity over time: Party B
// confirms the matches of the first list in bulk, re-imports its registry
// in another order with one record corrected and one removed, and Party A
// hands over a second version of the first list with one person dropped
// and one date of birth corrected; matching version 2 carries the reviews
// over except those whose records changed. Build and the first matching
// run must have happened.
func BuildVersions(ctx context.Context, s *service.Service, res *Result) (*VersionsResult, error) {
	officerA := access.Actor{Username: "demo-a", Roles: []access.Role{access.Officer}, Party: "A"}
	officerB := access.Actor{Username: "demo-b", Roles: []access.Role{access.Officer}, Party: "B"}
	out := &VersionsResult{}
	runs, err := s.MatchRuns(ctx, officerB, "B", res.FirstListID)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("the first list has not been matched")
	}
	out.FirstRunID = runs[0].ID
	if out.Confirmed, err = s.ConfirmAllMatches(ctx, officerB, out.FirstRunID); err != nil {
		return nil, fmt.Errorf("confirm matches: %w", err)
	}
	view, err := s.MatchRun(ctx, officerB, out.FirstRunID)
	if err != nil {
		return nil, err
	}
	// Four confirmed persons with complete dates of birth on both sides:
	// the first two for the registry, the next two for the list.
	var picked []service.MatchRowDetail
	for _, r := range view.Rows {
		if r.Review == "confirmed" && r.Registered != nil && r.Registered.BirthDate.Complete() && r.Listed.BirthDate.Complete() {
			picked = append(picked, r)
		}
		if len(picked) == 4 {
			break
		}
	}
	if len(picked) < 4 {
		return nil, fmt.Errorf("too few confirmed matches (%d) for the versions demo", len(picked))
	}
	dir := filepath.Dir(res.Files[0])

	// The registry, re-sorted, one record corrected, one removed.
	reg, err := readCSV(res.Files[0], ',')
	if err != nil {
		return nil, err
	}
	edited, removed := picked[0].Registered.Row, picked[1].Registered.Row
	reg[edited][6] = otherDay(reg[edited][6])
	body := slices.Clone(reg[1:])
	body = slices.Delete(body, removed-1, removed)
	slices.Reverse(body)
	regPath := filepath.Join(dir, "registry-B-v2.csv")
	if err := writeCSV(regPath, ',', append([][]string{reg[0]}, body...)); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, regPath)
	if err := importFile(ctx, regPath, func(f *os.File) error {
		r, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.CSV, SourceName: filepath.Base(regPath)}, f)
		if err == nil {
			out.RegistryVersion = r.Registry.Version
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("registry version 2: %w", err)
	}

	// Version 2 of the first list: one person dropped, one date corrected.
	list, err := readCSV(res.Files[1], ';')
	if err != nil {
		return nil, err
	}
	dropped, corrected := picked[2].ListRow, picked[3].ListRow
	list[corrected][6] = otherDay(list[corrected][6])
	list = slices.Delete(list, dropped, dropped+1)
	listPath := filepath.Join(dir, "first-list-640-v2.csv")
	if err := writeCSV(listPath, ';', list); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, listPath)
	err = importFile(ctx, listPath, func(f *os.File) error {
		r, err := s.ImportList(ctx, officerA, service.ImportRequest{From: "A", To: "B", Format: listfile.CSV, VersionOf: res.FirstListID, SourceName: filepath.Base(listPath)}, f)
		if err == nil {
			out.SecondListID = r.List.ID
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("first list, version 2: %w", err)
	}
	if _, err := s.HandOver(ctx, officerA, out.SecondListID); err != nil {
		return nil, err
	}
	if _, err := s.Acknowledge(ctx, officerB, out.SecondListID); err != nil {
		return nil, err
	}
	run, err := s.RunMatching(ctx, officerB, service.MatchRequest{ListID: out.SecondListID})
	if err != nil {
		return nil, fmt.Errorf("matching version 2: %w", err)
	}
	out.SecondRunID = run.ID
	v2, err := s.MatchRun(ctx, officerB, run.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range v2.Rows {
		switch {
		case r.CarriedFrom != "":
			out.Carried++
		case r.ReviewReason != "":
			out.Pending++
		}
	}
	return out, nil
}

// otherDay moves a DD.MM.YYYY date by one day within its month.
func otherDay(dmy string) string {
	parts := strings.Split(dmy, ".")
	if len(parts) != 3 {
		return dmy
	}
	d := parts[0]
	if d < "28" {
		d = fmt.Sprintf("%02d", atoi(d)+1)
	} else {
		d = fmt.Sprintf("%02d", atoi(d)-1)
	}
	return d + "." + parts[1] + "." + parts[2]
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func readCSV(path string, sep rune) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = sep
	r.FieldsPerRecord = -1
	return r.ReadAll()
}
