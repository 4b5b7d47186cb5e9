// Package gen generates test data for identity matching: a registry of
// missing servicemen written the way a Ukrainian registry writes them, and a
// list of persons drawn from it (and some not in it) written the way the
// other party writes them, with the known answer for every list row.
//
// Generation is deterministic for a seed. Names come from package names: the
// surnames of the embedded Ukrainian–Russian table of correspondences
// (Dmitry Chaplinsky's names-translator, MIT), with a Zipf-like frequency so
// that common surnames repeat as they do in real registries, and the common
// given names with their approximate frequencies; patronymics are derived
// from fathers' given names by the Ukrainian grammar rules.
//
// # Noise model
//
// Each list row independently gets, at the rates of DefaultNoise (chosen
// from the kinds of errors reported in real exchange lists, see the
// project's domain notes):
//
//   - script: Russian forms of every name (Сергій → Сергей, Миколайович →
//     Николаевич, surname by the table) 60%, the registry's Ukrainian forms
//     25%, Latin 15% (a Ukrainian form romanized by the national system of
//     2010 or informally, or a Russian form by ICAO Doc 9303, BGN/PCGN or
//     informally: Sergey, Alexey, Yuriy);
//   - ё written in Russian names that carry it (Пётр, Фёдор, Семён, Артём):
//     half of the Russian rows;
//   - apostrophes of Ukrainian names written as ', ’, ʼ, ` or left out;
//   - a typo (one insertion, deletion, substitution or transposition) in the
//     surname, given name or patronymic: 10%;
//   - Latin letters that look like Cyrillic ones typed into a Cyrillic
//     name (Latin i for і, a, e, o, c, p): 3%;
//   - surname in capitals: 10%;
//   - patronymic missing: 10%; given name and patronymic as initials: 5%;
//     given name and surname swapped: 3%;
//   - date of birth missing 5%, year only 3%, day and month swapped 3% (when
//     both are at most 12), one digit wrong 2%;
//   - service number: dropped by the list 50%; written with spaces or
//     dashes, in Latin look-alike letters or lower case otherwise; one digit
//     wrong 1%;
//   - unit given 40%, rank given 60% (in the list's language), sex given 50%.
//
// The registry itself is slightly dirty too: its apostrophes vary, 1% of
// its records carry a Latin look-alike letter, 2% hold only Latin names
// (romanized by the national system). GOST 7.79 System B is not used: it is
// a bibliographic system that personal documents do not carry.
//
// Variant returns a configuration the matching weights were not calibrated
// on (VariantNoise: other rates of every kind of noise; 5% of the registry
// namesakes of another record; 1% of it a second record of a person already
// in it, in Latin only, without a date of birth or with a slip in the
// surname). Data.Same tells whether two registry rows are the same person.
//
// No two records of the registry, and no two rows of the list, are the same
// entry by person.IdentityKey (a clash is drawn again), because list readers
// reject exact duplicates.
package gen

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"parley/internal/names"
	"parley/internal/person"
	"parley/internal/translit"
)

// Noise gives the rate of each kind of noise, each between 0 and 1.
type Noise struct {
	Russian, Latin                          float64 // script of a list row; the rest keeps the Ukrainian forms
	Yo                                      float64 // ё written where the Russian name has it, among Russian rows
	Typo                                    float64
	LookAlike                               float64
	Caps                                    float64
	MissingPatronymic, Initials, Swapped    float64
	MissingDOB, YearOnly, DaySwap, DOBDigit float64
	ServiceDropped, ServiceTypo             float64
	Unit, Rank, Sex                         float64 // share of list rows that give the field

	RegistryLookAlike, RegistryLatinOnly float64
}

// preset is a named data set besides the default: its noise rates and the
// shares of Config that go with them, so that each data set is written
// down once, as data, and its exported functions only hand it out.
type preset struct {
	noise                          Noise
	present, namesakes, duplicates float64
}

// config returns the preset's Config for the given sizes and seed.
func (p preset) config(registry, list int, seed uint64) Config {
	return Config{Registry: registry, List: list, Seed: seed, Present: p.present, Noise: p.noise, Namesakes: p.namesakes, Duplicates: p.duplicates}
}

// The presets' numbers are fixed: changing any of them changes the data
// sets that matching was checked on.
var (
	variantPreset = preset{
		noise: Noise{
			Russian: 0.75, Latin: 0.15, Yo: 0.3,
			Typo: 0.20, LookAlike: 0.06, Caps: 0.25,
			MissingPatronymic: 0.20, Initials: 0.08, Swapped: 0.05,
			MissingDOB: 0.10, YearOnly: 0.05, DaySwap: 0.06, DOBDigit: 0.05,
			ServiceDropped: 0.85, ServiceTypo: 0.02,
			Unit: 0.2, Rank: 0.4, Sex: 0.3,
			RegistryLookAlike: 0.03, RegistryLatinOnly: 0.05,
		},
		namesakes: 0.05, duplicates: 0.01,
	}
	holdoutPreset = preset{
		noise: Noise{
			Russian: 0.55, Latin: 0.30, Yo: 0.6,
			Typo: 0.15, LookAlike: 0.04, Caps: 0.15,
			MissingPatronymic: 0.15, Initials: 0.10, Swapped: 0.04,
			MissingDOB: 0.07, YearOnly: 0.08, DaySwap: 0.04, DOBDigit: 0.04,
			ServiceDropped: 0.70, ServiceTypo: 0.02,
			Unit: 0.3, Rank: 0.5, Sex: 0.4,
			RegistryLookAlike: 0.02, RegistryLatinOnly: 0.04,
		},
		present: 0.75, namesakes: 0.03, duplicates: 0.02,
	}
	secondPreset = preset{
		noise: Noise{
			Russian: 0.50, Latin: 0.25, Yo: 0.4,
			Typo: 0.12, LookAlike: 0.05, Caps: 0.20,
			MissingPatronymic: 0.25, Initials: 0.06, Swapped: 0.06,
			MissingDOB: 0.08, YearOnly: 0.06, DaySwap: 0.05, DOBDigit: 0.06,
			ServiceDropped: 0.60, ServiceTypo: 0.03,
			Unit: 0.25, Rank: 0.5, Sex: 0.35,
			RegistryLookAlike: 0.02, RegistryLatinOnly: 0.06,
		},
		present: 0.80, namesakes: 0.04, duplicates: 0.03,
	}
)

// VariantNoise returns other rates, for checking matching on data that its
// weights were not calibrated on: more Russian forms and fewer Ukrainian
// ones, twice the typos, more missing dates of birth and patronymics, more
// initials and swapped names, day/month swaps and wrong digits twice as
// often, service numbers mostly dropped, and a registry with more Latin-only
// and look-alike records.
func VariantNoise() Noise { return variantPreset.noise }

// Variant returns the configuration of the variant data set: VariantNoise,
// 5% of registry records namesakes of another (same surname, given name and
// patronymic, another date of birth), and 1% of registry records a second
// record of a person already in it.
func Variant(registry, list int, seed uint64) Config {
	return variantPreset.config(registry, list, seed)
}

// HoldoutNoise returns a third set of rates, fixed before the review rules
// were last changed and kept out of their development: matching is checked
// on it only at the end, as data no one looked at while writing the rules.
// It leans the other way from VariantNoise in places (more Latin rows, more
// year-only dates, fewer typos than the variant) so that a rule fitted to
// the variant's mix would show.
func HoldoutNoise() Noise { return holdoutPreset.noise }

// Holdout returns the configuration of the hold-out data set: HoldoutNoise,
// 3% of registry records namesakes of another, 2% second records of a
// person already in it, and 75% of list rows in the registry.
func Holdout(registry, list int, seed uint64) Config {
	return holdoutPreset.config(registry, list, seed)
}

// SecondNoise returns a fourth set of rates, fixed before the review of
// registry duplicates was written and kept out of its development, for a
// check on data no one looked at while changing the matcher: more Latin
// rows and missing patronymics than the default, wrong digits more often
// than swapped days, more swapped name orders.
func SecondNoise() Noise { return secondPreset.noise }

// Second returns the configuration of the second variant: SecondNoise, 4%
// of registry records namesakes of another, 3% second records of a person
// already in it, and 80% of list rows in the registry.
func Second(registry, list int, seed uint64) Config {
	return secondPreset.config(registry, list, seed)
}

// DefaultNoise returns the rates documented in the package comment.
func DefaultNoise() Noise {
	return Noise{
		Russian: 0.60, Latin: 0.15, Yo: 0.5,
		Typo: 0.10, LookAlike: 0.03, Caps: 0.10,
		MissingPatronymic: 0.10, Initials: 0.05, Swapped: 0.03,
		MissingDOB: 0.05, YearOnly: 0.03, DaySwap: 0.03, DOBDigit: 0.02,
		ServiceDropped: 0.5, ServiceTypo: 0.01,
		Unit: 0.4, Rank: 0.6, Sex: 0.5,
		RegistryLookAlike: 0.01, RegistryLatinOnly: 0.02,
	}
}

// Config says what to generate.
type Config struct {
	Registry int     // registry records
	List     int     // list rows
	Present  float64 // share of list rows that are in the registry (default 0.85 when 0)
	Seed     uint64
	Noise    Noise
	// Namesakes is the share of registry records drawn as a namesake of an
	// earlier record: the same surname, given name and patronymic, another
	// date of birth, service number and unit.
	Namesakes float64
	// Duplicates is the share of registry records that are a second record
	// of a person already in the registry, written differently (in Latin
	// only, without the date of birth, or with a slip in the surname), as
	// registries fed from several sources hold them.
	Duplicates float64
}

// Data is a generated registry, list and the answer.
type Data struct {
	Registry []person.Person
	List     []person.Person
	// Truth holds, for each list row, the index of its registry record, or
	// -1 for a person who is not in the registry.
	Truth []int
	// Applied names the noise applied to each list row ("russian",
	// "typo:surname", "dob:swap", …), for analysing errors.
	Applied [][]string
	// DuplicateOf maps a registry record that is a second record of a
	// person to the first one (see Config.Duplicates): a list row matched
	// to either is matched right.
	DuplicateOf map[int]int
}

// Same reports whether registry rows a and b are the same person.
func (d *Data) Same(a, b int) bool {
	if a == b {
		return true
	}
	if a < 0 || b < 0 {
		return false
	}
	if o, ok := d.DuplicateOf[a]; ok {
		a = o
	}
	if o, ok := d.DuplicateOf[b]; ok {
		b = o
	}
	return a == b
}

type weighted struct {
	g   names.Given
	cum int
}

type generator struct {
	r        *rand.Rand
	cfg      Config
	male     []weighted
	female   []weighted
	surnames []string
	femSur   []string
	zipf     *rand.Zipf
	zipfF    *rand.Zipf
	patr     map[string]string // father|sex → Ukrainian patronymic
	units    []string
	givenOf  map[string]names.Given
}

// commonSurnames are among the most frequent Ukrainian surnames; they head
// the Zipf order so that the generated registry has the clusters of
// namesakes that real ones have.
var commonSurnames = []string{
	"Мельник", "Шевченко", "Бойко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко",
	"Ковальчук", "Олійник", "Шевчук", "Коваль", "Поліщук", "Бондар", "Ткачук", "Марченко",
	"Лисенко", "Руденко", "Савченко", "Петренко", "Мороз",
}

var cleanSurname = regexp.MustCompile(`^[А-ЯІЇЄҐ][а-яіїєґ'’]+(-[А-ЯІЇЄҐ][а-яіїєґ'’]+)?$`)

func newGenerator(cfg Config) *generator {
	g := &generator{
		r:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		cfg:     cfg,
		patr:    map[string]string{},
		givenOf: map[string]names.Given{},
	}
	for _, n := range names.CommonGiven() {
		g.givenOf[n.UK] = n
		if n.Sex == 'M' {
			g.male = append(g.male, weighted{n, cumOf(g.male) + n.Weight})
		} else {
			g.female = append(g.female, weighted{n, cumOf(g.female) + n.Weight})
		}
	}
	pool := append([]string(nil), surnamePool()...)
	g.r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	common := map[string]bool{}
	for _, s := range commonSurnames {
		common[s] = true
	}
	g.surnames = append([]string(nil), commonSurnames...)
	for _, s := range pool {
		if !common[s] {
			g.surnames = append(g.surnames, s)
		}
	}
	for _, s := range g.surnames {
		if strings.HasSuffix(s, "енко") || strings.HasSuffix(s, "ук") || strings.HasSuffix(s, "юк") {
			g.femSur = append(g.femSur, s)
		}
	}
	g.zipf = rand.NewZipf(g.r, 1.05, 30, uint64(len(g.surnames)-1))
	g.zipfF = rand.NewZipf(g.r, 1.05, 30, uint64(len(g.femSur)-1))
	for i := 0; i < 600; i++ {
		g.units = append(g.units, fmt.Sprintf("А%04d", 1000+g.r.IntN(9000)))
	}
	return g
}

// surnamePool returns the surnames of the table of correspondences that
// are clean (one capitalised Cyrillic word or two joined by a hyphen),
// masculine, and neither given names nor patronymics, sorted.
var surnamePool = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	var pool []string
	for _, e := range names.Entries() {
		s := e.UK
		if !e.Primary || seen[s] || !cleanSurname.MatchString(s) || utf8.RuneCountInString(s) < 4 {
			continue
		}
		seen[s] = true
		if _, ok := names.Russian(s); !ok || names.IsPatronymic(s) || names.IsGivenName(s) || isFeminine(s) {
			continue
		}
		pool = append(pool, s)
	}
	sort.Strings(pool)
	return pool
})

func cumOf(w []weighted) int {
	if len(w) == 0 {
		return 0
	}
	return w[len(w)-1].cum
}

// isFeminine reports whether a surname is in a feminine form, which the
// generator keeps out of the pool of men's surnames.
func isFeminine(s string) bool {
	for _, suf := range []string{"ова", "єва", "ева", "іна", "ина", "їна", "ська", "цька", "зька", "ая"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

func (g *generator) pickGiven(female bool) names.Given {
	w := g.male
	if female {
		w = g.female
	}
	x := g.r.IntN(cumOf(w))
	i := sort.Search(len(w), func(i int) bool { return w[i].cum > x })
	return w[i].g
}

func (g *generator) patronymic(father string, female bool) string {
	k := father + "|M"
	if female {
		k = father + "|F"
	}
	p, ok := g.patr[k]
	if !ok {
		p = names.UkrainianPatronymic(father, female)
		g.patr[k] = p
	}
	return p
}

var ranksUK = []string{"солдат", "солдат", "солдат", "старший солдат", "молодший сержант", "сержант", "старший сержант", "головний сержант", "молодший лейтенант", "лейтенант", "старший лейтенант", "капітан", "майор"}
var ranksRU = map[string]string{
	"солдат": "солдат", "старший солдат": "старший солдат", "молодший сержант": "младший сержант",
	"сержант": "сержант", "старший сержант": "старший сержант", "головний сержант": "главный сержант",
	"молодший лейтенант": "младший лейтенант", "лейтенант": "лейтенант", "старший лейтенант": "старший лейтенант",
	"капітан": "капитан", "майор": "майор",
}

const svcLetters = "АВЕКМНОРСТХ"

// newPerson makes one registry record.
func (g *generator) newPerson() person.Person {
	female := g.r.Float64() < 0.05
	var sur string
	if female {
		sur = g.femSur[g.zipfF.Uint64()]
	} else {
		sur = g.surnames[g.zipf.Uint64()]
	}
	given := g.pickGiven(female)
	father := g.pickGiven(false)
	p := person.Person{
		Kind:       person.KindPOW,
		Surname:    sur,
		GivenNames: given.UK,
		Patronymic: g.patronymic(father.UK, female),
		Rank:       ranksUK[g.r.IntN(len(ranksUK))],
		Status:     person.StatusMissing,
		Sex:        "M",
	}
	if female {
		p.Sex = "F"
	}
	// Born 1965–2006, more of the younger.
	age := 18 + int(absf(g.r.NormFloat64())*11)
	if age > 60 {
		age = 18 + g.r.IntN(43)
	}
	year := 2024 - age
	month := 1 + g.r.IntN(12)
	day := 1 + g.r.IntN(daysIn(year, month))
	p.BirthDate = person.Date{Year: year, Month: month, Day: day}
	if g.r.Float64() < 0.8 {
		l := []rune(svcLetters)
		p.ServiceNumber = fmt.Sprintf("%c%c%06d", l[g.r.IntN(len(l))], l[g.r.IntN(len(l))], g.r.IntN(1000000))
	}
	if g.r.Float64() < 0.7 {
		p.Unit = g.units[g.r.IntN(len(g.units))]
	}
	// A registry is not clean either.
	p.Surname, p.GivenNames, p.Patronymic = g.apostrophes(p.Surname, []string{"'", "'", "’", "ʼ"}), g.apostrophes(p.GivenNames, []string{"'", "'", "’", "ʼ"}), g.apostrophes(p.Patronymic, []string{"'", "'", "’", "ʼ"})
	if g.r.Float64() < g.cfg.Noise.RegistryLookAlike {
		p.Surname = g.lookAlike(p.Surname)
	}
	if g.r.Float64() < g.cfg.Noise.RegistryLatinOnly {
		p.SurnameLatin = translit.Romanize(translit.UA2010, p.Surname)
		p.GivenNamesLatin = translit.Romanize(translit.UA2010, p.GivenNames)
		p.PatronymicLatin = translit.Romanize(translit.UA2010, p.Patronymic)
		p.Surname, p.GivenNames, p.Patronymic = "", "", ""
	}
	return p
}

// duplicate writes a second registry record of a person: in Latin only,
// without the date of birth and service number, or with a slip in the
// surname.
func (g *generator) duplicate(p person.Person) person.Person {
	switch g.r.IntN(3) {
	case 0:
		if p.Surname != "" {
			p.SurnameLatin = translit.Romanize(translit.UA2010, p.Surname)
			p.GivenNamesLatin = translit.Romanize(translit.UA2010, p.GivenNames)
			p.PatronymicLatin = translit.Romanize(translit.UA2010, p.Patronymic)
			p.Surname, p.GivenNames, p.Patronymic = "", "", ""
			return p
		}
		fallthrough
	case 1:
		p.BirthDate, p.ServiceNumber = person.Date{}, ""
	default:
		if p.Surname != "" {
			p.Surname = g.typo(p.Surname)
		} else {
			p.SurnameLatin = g.typo(p.SurnameLatin)
		}
	}
	return p
}

func absf(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// apostrophes rewrites the apostrophes of a name with one picked from the
// choices ("" drops it).
func (g *generator) apostrophes(s string, choices []string) string {
	if !strings.ContainsAny(s, "'’ʼ`") {
		return s
	}
	a := choices[g.r.IntN(len(choices))]
	return strings.NewReplacer("'", a, "’", a, "ʼ", a, "`", a).Replace(s)
}

// lookAlike replaces one Cyrillic letter with the Latin letter that looks
// the same.
func (g *generator) lookAlike(s string) string {
	r := []rune(s)
	var pos []int
	for i, c := range r {
		if strings.ContainsRune("іІаеосрАЕОСР", c) {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return s
	}
	i := pos[g.r.IntN(len(pos))]
	r[i] = map[rune]rune{'і': 'i', 'І': 'I', 'а': 'a', 'е': 'e', 'о': 'o', 'с': 'c', 'р': 'p', 'А': 'A', 'Е': 'E', 'О': 'O', 'С': 'C', 'Р': 'P'}[r[i]]
	return string(r)
}

// Generate makes the registry, the list and the answer.
func Generate(cfg Config) (*Data, error) {
	if cfg.Registry < 1 || cfg.List < 0 {
		return nil, fmt.Errorf("gen: need at least one registry record and no negative list size (got %d, %d)", cfg.Registry, cfg.List)
	}
	if cfg.Present == 0 {
		cfg.Present = 0.85
	}
	if cfg.Present < 0 || cfg.Present > 1 {
		return nil, fmt.Errorf("gen: present share %v is not between 0 and 1", cfg.Present)
	}
	present := int(float64(cfg.List)*cfg.Present + 0.5)
	if present > cfg.Registry {
		return nil, fmt.Errorf("gen: %d list rows present in a registry of %d", present, cfg.Registry)
	}
	g := newGenerator(cfg)
	// No two records of a file may be the same entry (person.IdentityKey):
	// list readers reject such duplicates, so a clash is drawn again.
	keys := map[string]bool{}
	fresh := func() person.Person {
		for {
			p := g.newPerson()
			if k := p.IdentityKey(); !keys[k] {
				keys[k] = true
				return p
			}
		}
	}
	d := &Data{Registry: make([]person.Person, cfg.Registry), DuplicateOf: map[int]int{}}
	for i := range d.Registry {
		x := 1.0
		if cfg.Duplicates+cfg.Namesakes > 0 { // the default data stay as they were
			x = g.r.Float64()
		}
		switch {
		case i > 0 && x < cfg.Duplicates:
			o := g.r.IntN(i)
			if _, dup := d.DuplicateOf[o]; dup {
				o = d.DuplicateOf[o]
			}
			p := g.duplicate(d.Registry[o])
			if k := p.IdentityKey(); !keys[k] {
				keys[k] = true
				d.Registry[i], d.DuplicateOf[i] = p, o
				continue
			}
		case i > 0 && x < cfg.Duplicates+cfg.Namesakes:
			o := d.Registry[g.r.IntN(i)]
			p := g.newPerson()
			if o.Surname != "" && p.Surname != "" && o.Sex == p.Sex {
				p.Surname, p.GivenNames, p.Patronymic = o.Surname, o.GivenNames, o.Patronymic
				if k := p.IdentityKey(); !keys[k] {
					keys[k] = true
					d.Registry[i] = p
					continue
				}
			}
		}
		d.Registry[i] = fresh()
	}
	// Present rows: distinct registry records; absent rows: new persons.
	var picked []int
	for _, i := range g.r.Perm(cfg.Registry) {
		if len(picked) == present {
			break
		}
		if _, dup := d.DuplicateOf[i]; !dup { // the list draws first records
			picked = append(picked, i)
		}
	}
	type src struct {
		p   person.Person
		idx int
	}
	rows := make([]src, 0, cfg.List)
	for _, i := range picked {
		rows = append(rows, src{d.Registry[i], i})
	}
	for len(rows) < cfg.List {
		rows = append(rows, src{fresh(), -1})
	}
	g.r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	d.List = make([]person.Person, len(rows))
	d.Truth = make([]int, len(rows))
	d.Applied = make([][]string, len(rows))
	listKeys := map[string]bool{}
	for i, s := range rows {
		for try := 0; ; try++ {
			d.List[i], d.Applied[i] = g.render(s.p)
			if k := d.List[i].IdentityKey(); !listKeys[k] || try == 20 {
				listKeys[k] = true
				break
			}
		}
		d.Truth[i] = s.idx
	}
	return d, nil
}

// render writes a registry person as the other party would. A registry
// record that holds only Latin names is written in Latin, as it is.
func (g *generator) render(reg person.Person) (person.Person, []string) {
	n := g.cfg.Noise
	var applied []string
	note := func(s string) { applied = append(applied, s) }
	p := person.Person{Kind: person.KindPOW}
	sur, given, patr := reg.Surname, reg.GivenNames, reg.Patronymic
	latinOnly := sur == ""
	x := g.r.Float64()
	russian := !latinOnly && x < n.Russian
	latin := latinOnly || (!russian && x < n.Russian+n.Latin)
	if russian {
		note("russian")
		sur, given, patr = g.russianName(sur), g.russianGiven(given), g.russianName(patr)
	}
	if latin && !latinOnly {
		note("latin")
		sur, given, patr = g.romanize(sur, given, patr)
	}
	if latinOnly {
		note("latin")
		sur, given, patr = reg.SurnameLatin, reg.GivenNamesLatin, reg.PatronymicLatin
	}
	if !russian && !latin {
		note("ukrainian")
		ap := []string{"'", "’", "ʼ", "`", ""}
		sur, given, patr = g.apostrophes(sur, ap), g.apostrophes(given, ap), g.apostrophes(patr, ap)
	}
	if g.r.Float64() < n.Typo {
		switch y := g.r.Float64(); {
		case y < 0.6:
			note("typo:surname")
			sur = g.typo(sur)
		case y < 0.85:
			note("typo:given")
			given = g.typo(given)
		default:
			note("typo:patronymic")
			patr = g.typo(patr)
		}
	}
	if !latin && g.r.Float64() < n.LookAlike {
		note("lookalike")
		sur = g.lookAlike(sur)
	}
	if g.r.Float64() < n.Caps {
		note("caps")
		sur = strings.ToUpper(sur)
	}
	if g.r.Float64() < n.MissingPatronymic {
		note("no-patronymic")
		patr = ""
	}
	if g.r.Float64() < n.Initials {
		note("initials")
		given = initial(given)
		if patr != "" {
			patr = initial(patr)
			if g.r.IntN(2) == 0 { // "С. М." in the given-name column
				given, patr = given+" "+patr, ""
			}
		}
	}
	if g.r.Float64() < n.Swapped {
		note("swapped")
		sur, given = given, sur
	}
	if latin {
		p.SurnameLatin, p.GivenNamesLatin, p.PatronymicLatin = sur, given, patr
	} else {
		p.Surname, p.GivenNames, p.Patronymic = sur, given, patr
	}

	d := reg.BirthDate
	switch y := g.r.Float64(); {
	case y < n.MissingDOB:
		note("dob:missing")
		d = person.Date{}
	case y < n.MissingDOB+n.YearOnly:
		note("dob:year")
		d = person.Date{Year: d.Year}
	case y < n.MissingDOB+n.YearOnly+n.DaySwap && d.Day <= 12 && d.Day != d.Month:
		note("dob:swap")
		d.Day, d.Month = d.Month, d.Day
	case y < n.MissingDOB+n.YearOnly+n.DaySwap+n.DOBDigit:
		note("dob:digit")
		d = g.dateDigit(d)
	}
	p.BirthDate = d

	if reg.ServiceNumber != "" && g.r.Float64() >= n.ServiceDropped {
		p.ServiceNumber = g.serviceNumber(reg.ServiceNumber)
		if g.r.Float64() < n.ServiceTypo/(1-n.ServiceDropped) {
			note("svc:typo")
			p.ServiceNumber = g.digitTypo(p.ServiceNumber)
		}
	}
	if reg.Unit != "" && g.r.Float64() < n.Unit {
		p.Unit = reg.Unit
		if g.r.IntN(2) == 0 {
			p.Unit = "в/ч " + reg.Unit
		}
	}
	if g.r.Float64() < n.Rank {
		p.Rank = reg.Rank
		if russian || latin {
			p.Rank = ranksRU[reg.Rank]
		}
	}
	if g.r.Float64() < n.Sex {
		p.Sex = reg.Sex
	}
	return p, applied
}

func initial(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return ""
	}
	// Latin digraph letters keep both letters (Yu., Zh., Sh.).
	rs := []rune(s)
	if len(rs) > 1 && strings.ContainsRune("YZSKCT", rs[0]) && strings.ContainsRune("uahe", rs[1]) {
		return string(rs[:2]) + "."
	}
	return string(unicode.ToUpper(r)) + "."
}

// russianGiven returns a Russian form of a Ukrainian given name, with ё
// where the name has it at the Yo rate.
func (g *generator) russianGiven(uk string) string {
	if n, ok := g.givenOf[uk]; ok {
		ru := n.RU
		for _, o := range n.Other {
			if strings.ContainsRune(o, 'ё') && g.r.Float64() < g.cfg.Noise.Yo {
				ru = o
			}
		}
		return ru
	}
	return g.russianName(uk)
}

func (g *generator) russianName(uk string) string {
	if uk == "" {
		return ""
	}
	clean := strings.NewReplacer("’", "'", "ʼ", "'").Replace(uk)
	if ru, ok := names.Russian(clean); ok {
		return ru
	}
	return uk
}

// romanize writes the names in Latin by one of the systems a document might
// use: Ukrainian forms by the national system or informally, Russian forms
// by ICAO, BGN/PCGN or informally.
func (g *generator) romanize(sur, given, patr string) (string, string, string) {
	if g.r.IntN(2) == 0 {
		if g.r.Float64() < 0.7 {
			f := func(s string) string { return translit.Romanize(translit.UA2010, s) }
			return f(sur), f(given), f(patr)
		}
		return g.informal(sur), g.informal(given), g.informal(patr)
	}
	sur, given, patr = g.russianName(sur), g.russianGiven(given), g.russianName(patr)
	switch y := g.r.Float64(); {
	case y < 0.4:
		f := func(s string) string { return translit.Romanize(translit.ICAO, s) }
		return f(sur), f(given), f(patr)
	case y < 0.7:
		f := func(s string) string { return translit.Romanize(translit.BGN, s) }
		return f(sur), f(given), f(patr)
	}
	return g.informal(sur), g.informal(given), g.informal(patr)
}

// informal romanizes the way people write names without a standard at hand
// (Sergey, Alexey, Yuriy, Shevchenko, Hryhoriy), choosing among the usual
// spellings letter by letter.
func (g *generator) informal(s string) string {
	choices := map[rune][]string{
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"g", "h"}, 'ґ': {"g"}, 'д': {"d"}, 'е': {"e"},
		'є': {"ye", "ie", "e"}, 'ё': {"yo", "e"}, 'ж': {"zh"}, 'з': {"z"}, 'и': {"i", "y"}, 'і': {"i"},
		'ї': {"yi", "i", "ji"}, 'й': {"y", "i", "j"}, 'к': {"k"}, 'л': {"l"}, 'м': {"m"}, 'н': {"n"},
		'о': {"o"}, 'п': {"p"}, 'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"}, 'ф': {"f"},
		'х': {"kh", "h"}, 'ц': {"ts", "tz", "c"}, 'ч': {"ch"}, 'ш': {"sh"}, 'щ': {"shch", "sch"},
		'ъ': {""}, 'ы': {"y"}, 'ь': {"", "'"}, 'э': {"e"}, 'ю': {"yu", "iu", "ju"}, 'я': {"ya", "ia", "ja"},
		'\'': {"", "'"}, '’': {"", "'"}, 'ʼ': {""}, '`': {""},
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		lr := unicode.ToLower(r)
		// кс is often written x (Alexey, Alexander).
		if lr == 'к' && i+1 < len(rs) && unicode.ToLower(rs[i+1]) == 'с' && g.r.IntN(2) == 0 {
			b.WriteString(caseLike(r, "x"))
			i++
			continue
		}
		c, ok := choices[lr]
		if !ok {
			b.WriteRune(r)
			continue
		}
		b.WriteString(caseLike(r, c[g.r.IntN(len(c))]))
	}
	return b.String()
}

func caseLike(r rune, s string) string {
	if unicode.IsUpper(r) && s != "" {
		rs := []rune(s)
		rs[0] = unicode.ToUpper(rs[0])
		return string(rs)
	}
	return s
}

// typo makes one edit at a random place of a name.
func (g *generator) typo(s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s
	}
	alphabet := []rune("абвгдежзиклмнопрстуфхцчшіоєя")
	if rs[0] < 0x400 {
		alphabet = []rune("abcdefghijklmnoprstuvyz")
	}
	i := 1 + g.r.IntN(len(rs)-1) // keep the first letter, as typists mostly do
	switch g.r.IntN(4) {
	case 0: // substitution
		rs[i] = alphabet[g.r.IntN(len(alphabet))]
	case 1: // deletion
		rs = append(rs[:i], rs[i+1:]...)
	case 2: // insertion
		rs = append(rs[:i], append([]rune{alphabet[g.r.IntN(len(alphabet))]}, rs[i:]...)...)
	default: // transposition
		if i+1 < len(rs) {
			rs[i], rs[i+1] = rs[i+1], rs[i]
		} else {
			rs[i-1], rs[i] = rs[i], rs[i-1]
		}
	}
	return string(rs)
}

// dateDigit changes one digit of a date so that it stays a valid date.
func (g *generator) dateDigit(d person.Date) person.Date {
	for try := 0; try < 20; try++ {
		s := []byte(fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day))
		i := 2 + g.r.IntN(6) // not the century
		c := byte('0' + g.r.IntN(10))
		if c == s[i] {
			continue
		}
		s[i] = c
		var y, m, dd int
		fmt.Sscanf(string(s), "%4d%2d%2d", &y, &m, &dd)
		if nd, err := person.NewDate(y, m, dd); err == nil && y <= 2008 {
			return nd
		}
	}
	return d
}

// serviceNumber writes a service number the way the list's clerk might.
func (g *generator) serviceNumber(s string) string {
	rs := []rune(s)
	letters, digits := string(rs[:2]), string(rs[2:])
	if g.r.Float64() < 0.2 {
		letters = strings.Map(func(r rune) rune {
			return map[rune]rune{'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X'}[r]
		}, letters)
	}
	if g.r.Float64() < 0.05 {
		letters = strings.ToLower(letters)
	}
	switch y := g.r.Float64(); {
	case y < 0.2:
		return letters + " " + digits
	case y < 0.3:
		return letters + "-" + digits[:3] + "-" + digits[3:]
	}
	return letters + digits
}

func (g *generator) digitTypo(s string) string {
	rs := []rune(s)
	for try := 0; try < 10; try++ {
		i := g.r.IntN(len(rs))
		if rs[i] >= '0' && rs[i] <= '9' {
			rs[i] = rune('0' + (int(rs[i]-'0')+1+g.r.IntN(9))%10)
			return string(rs)
		}
	}
	return s
}
