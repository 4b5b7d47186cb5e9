// Package demo builds the scenario of the report that started Parley: at
// talks in Istanbul, Party A hands Party B a first list of 640 prisoners of
// war categorised 'wounded', 'тяжело болен' (seriously ill) and 'юность'
// (youth); Party B holds its own registry of thousands of missing
// servicemen, which contains most of the 640 under slightly different
// spellings, and its own list of detainees.
//
// Everything is generated deterministically from a seed. Names are real
// Ukrainian and Russian given names, patronymics and surnames from the
// names-translator table of Dmitry Chaplinsky (MIT; see
// internal/names/data/LICENSE), through package matching/gen.
//
// The scenario goes through the same files and service calls a party's
// officer uses: the generated spreadsheets are written to the data
// directory's demo/ folder and imported from there.
package demo

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"parley/internal/access"
	"parley/internal/listfile"
	"parley/internal/matching/gen"
	"parley/internal/parties"
	"parley/internal/person"
	"parley/internal/service"
)

// Scenario sizes the demo.
type Scenario struct {
	Seed        uint64
	FirstList   int // persons on Party A's first list (640 in the report)
	Registry    int // Party B's registry of missing servicemen
	CounterList int // persons on Party B's own list of detainees
	RefDate     person.Date
}

// Default is the scenario of the report.
func Default() Scenario {
	return Scenario{Seed: 2025_06_07, FirstList: 640, Registry: 4000, CounterList: 420, RefDate: person.Date{Year: 2025, Month: 6, Day: 7}}
}

// Parties of the demo. The names are neutral: Parley is not tied to one
// conflict.
var Parties = []parties.Party{
	{ID: "A", Name: "Party A", Languages: []string{"ru"}, Translit: "icao"},
	{ID: "B", Name: "Party B", Languages: []string{"uk"}, Translit: "ua2010"},
}

// Result says what the demo created.
type Result struct {
	FirstListID   string
	CounterListID string
	RegistrySize  int
	Files         []string
}

// Files are the demo's generated files, as each party would bring them.
type Files struct {
	Registry    string // Party B's registry of missing servicemen
	FirstList   string // Party A's first list, to B
	CounterList string // Party B's list of detainees, to A
}

// FirstListTitle and CounterListTitle are the titles the demo gives its
// two lists.
const (
	FirstListTitle   = "First list: wounded, seriously ill, youth"
	CounterListTitle = "Counter-list of detainees"
)

// Build creates the scenario in an initialised, empty installation whose
// parties are Parties.
func Build(ctx context.Context, s *service.Service, dir string, sc Scenario) (*Result, error) {
	fs, err := WriteFiles(dir, sc)
	if err != nil {
		return nil, err
	}
	res := &Result{Files: []string{fs.Registry, fs.FirstList, fs.CounterList}}
	// Import and hand over, as the officers would.
	officerA := access.Actor{Username: "demo-a", Roles: []access.Role{access.Officer}, Party: "A"}
	officerB := access.Actor{Username: "demo-b", Roles: []access.Role{access.Officer}, Party: "B"}
	if err := importFile(ctx, fs.Registry, func(f *os.File) error {
		out, err := s.ImportRegistry(ctx, officerB, service.RegistryImportRequest{Party: "B", Format: listfile.Format("csv")}, f)
		if err == nil {
			res.RegistrySize = out.Imported
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("import registry: %w", err)
	}
	res.FirstListID, err = importAndHandOver(ctx, s, officerA, officerB, fs.FirstList, "A", "B", FirstListTitle)
	if err != nil {
		return nil, fmt.Errorf("first list: %w", err)
	}
	res.CounterListID, err = importAndHandOver(ctx, s, officerB, officerA, fs.CounterList, "B", "A", CounterListTitle)
	if err != nil {
		return nil, fmt.Errorf("counter-list: %w", err)
	}
	return res, nil
}

// WriteFiles generates the scenario's files under dir/demo: the registry
// of B, the first list of A and the counter-list of B. The hub-and-nodes
// demo imports each at its party's node.
func WriteFiles(dir string, sc Scenario) (*Files, error) {
	files := filepath.Join(dir, "demo")
	if err := os.MkdirAll(files, 0o700); err != nil {
		return nil, err
	}
	d, err := gen.Generate(gen.Config{Registry: sc.Registry, List: sc.FirstList + 16, Present: 0.92, Seed: sc.Seed, Noise: gen.DefaultNoise()})
	if err != nil {
		return nil, fmt.Errorf("generate names: %w", err)
	}
	r := rand.New(rand.NewPCG(sc.Seed, 7))
	res := &Files{}

	// Party B's registry: statuses consistent with the story — most of the
	// listed are believed or confirmed captured; some believed captured are
	// on no list (the "left off the list" report finds them).
	onList := map[int]bool{}
	for _, i := range d.Truth {
		if i >= 0 {
			onList[i] = true
		}
	}
	for i := range d.Registry {
		p := &d.Registry[i]
		x := r.Float64()
		switch {
		case onList[i] && x < 0.7:
			p.Status = person.StatusBelievedCaptured
		case onList[i]:
			p.Status = person.StatusConfirmedCaptured
		case x < 0.08:
			p.Status = person.StatusBelievedCaptured
		case x < 0.1:
			p.Status = person.StatusDeceased
		default:
			p.Status = person.StatusMissing
		}
	}
	regPath := filepath.Join(files, "registry-B.csv")
	if err := writeRegistryCSV(regPath, d.Registry); err != nil {
		return nil, err
	}
	res.Registry = regPath

	// Party A's first list, categorised as in the report. Persons aged
	// 18–25 on the reference date carry "юность"; the others are wounded or
	// seriously ill; some are both.
	for i := range d.List {
		p := &d.List[i]
		age, ok := p.BirthDate.AgeOn(sc.RefDate)
		var labels []string
		if ok && age >= 18 && age <= 25 {
			labels = append(labels, "юность")
			if r.Float64() < 0.15 {
				labels = append(labels, "wounded")
			}
		} else {
			switch x := r.Float64(); {
			case x < 0.55:
				labels = append(labels, "wounded")
			case x < 0.9:
				labels = append(labels, "тяжело болен")
			default:
				labels = append(labels, "wounded", "тяжело болен")
			}
		}
		p.Categories = labels
		if p.CaptureDate.IsZero() {
			p.CaptureDate = person.Date{Year: 2022 + r.IntN(3), Month: 1 + r.IntN(12), Day: 1 + r.IntN(28)}
		}
	}
	firstPath := filepath.Join(files, "first-list-640.csv")
	if err := writeListCSV(firstPath, distinct(d.List)[:sc.FirstList]); err != nil {
		return nil, err
	}
	res.FirstList = firstPath

	// Party B's own list of detainees: other persons, written in Russian
	// forms by Party B's officers.
	noise := gen.DefaultNoise()
	noise.Russian, noise.Latin, noise.Typo, noise.Swapped, noise.Initials = 1, 0, 0, 0, 0
	noise.MissingDOB, noise.YearOnly, noise.DaySwap, noise.DOBDigit = 0, 0, 0, 0
	c, err := gen.Generate(gen.Config{Registry: sc.CounterList + 16, List: sc.CounterList + 16, Present: 1, Seed: sc.Seed + 1, Noise: noise})
	if err != nil {
		return nil, err
	}
	for i := range c.List {
		p := &c.List[i]
		age, ok := p.BirthDate.AgeOn(sc.RefDate)
		switch {
		case ok && age <= 25:
			p.Categories = []string{"юность"}
		case r.Float64() < 0.25:
			p.Categories = []string{"раненый"}
		case r.Float64() < 0.1:
			p.Categories = []string{"тяжелобольной"}
		}
		p.CaptureDate = person.Date{Year: 2022 + r.IntN(3), Month: 1 + r.IntN(12), Day: 1 + r.IntN(28)}
	}
	counterPath := filepath.Join(files, "counter-list-B.csv")
	if err := writeListCSV(counterPath, distinct(c.List)[:sc.CounterList]); err != nil {
		return nil, err
	}
	res.CounterList = counterPath
	return res, nil
}

func importFile(ctx context.Context, path string, fn func(*os.File) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

func importAndHandOver(ctx context.Context, s *service.Service, sender, receiver access.Actor, path, from, to, title string) (string, error) {
	var id string
	err := importFile(ctx, path, func(f *os.File) error {
		out, err := s.ImportList(ctx, sender, service.ImportRequest{From: from, To: to, Title: title, Format: listfile.Format("csv"), SourceName: filepath.Base(path)}, f)
		if err != nil {
			var ie *service.ImportError
			if errors.As(err, &ie) {
				return fmt.Errorf("%w: first problem: %s", err, ie.Problems[0])
			}
			return err
		}
		id = out.List.ID
		return nil
	})
	if err != nil {
		return "", err
	}
	if _, err := s.HandOver(ctx, sender, id); err != nil {
		return "", err
	}
	if _, err := s.Acknowledge(ctx, receiver, id); err != nil {
		return "", err
	}
	return id, nil
}

// distinct drops a generated person who happens to repeat an earlier one
// exactly (same name and date of birth): a real list would not carry both,
// and the import rightly refuses duplicates.
func distinct(ps []person.Person) []person.Person {
	seen := map[string]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		k := p.IdentityKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// writeListCSV writes a list as a party's officer would export it from a
// spreadsheet: Russian headers, semicolons, dates as DD.MM.YYYY.
func writeListCSV(path string, ps []person.Person) error {
	header := []string{"Фамилия", "Имя", "Отчество", "Фамилия латиницей", "Имя латиницей", "Отчество латиницей", "Дата рождения", "Пол", "Звание", "Воинская часть", "Личный номер", "Дата пленения", "Категория"}
	rows := [][]string{header}
	for _, p := range ps {
		sex := map[string]string{"M": "м", "F": "ж"}[p.Sex]
		rows = append(rows, []string{p.Surname, p.GivenNames, p.Patronymic, p.SurnameLatin, p.GivenNamesLatin, p.PatronymicLatin,
			dmy(p.BirthDate), sex, p.Rank, p.Unit, p.ServiceNumber, dmy(p.CaptureDate), strings.Join(p.Categories, ", ")})
	}
	return writeCSV(path, ';', rows)
}

// writeRegistryCSV writes Party B's registry with Ukrainian headers and
// statuses.
func writeRegistryCSV(path string, ps []person.Person) error {
	status := map[person.Status]string{
		person.StatusMissing: "зник безвісти", person.StatusBelievedCaptured: "ймовірно полонений",
		person.StatusConfirmedCaptured: "підтверджено полон", person.StatusReturned: "повернувся", person.StatusDeceased: "загинув",
	}
	header := []string{"Прізвище", "Ім'я", "По батькові", "Прізвище латиницею", "Ім'я латиницею", "По батькові латиницею", "Дата народження", "Стать", "Звання", "Військова частина", "Особистий номер", "Статус"}
	rows := [][]string{header}
	for _, p := range ps {
		sex := map[string]string{"M": "ч", "F": "ж"}[p.Sex]
		rows = append(rows, []string{p.Surname, p.GivenNames, p.Patronymic, p.SurnameLatin, p.GivenNamesLatin, p.PatronymicLatin,
			dmy(p.BirthDate), sex, p.Rank, p.Unit, p.ServiceNumber, status[p.Status]})
	}
	return writeCSV(path, ',', rows)
}

func dmy(d person.Date) string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d.%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year)
}

func writeCSV(path string, sep rune, rows [][]string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Comma = sep
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
