package matching

import (
	"math"
	"slices"
	"strings"

	"parley/internal/names"
	"parley/internal/person"
)

// The compared fields, in the order they are reported.
const (
	fSurname = iota
	fGiven
	fPatronymic
	fBirthDate
	fServiceNumber
	fUnit
	fRank
	fSex
	numFields
)

var fieldNames = [numFields]string{"surname", "given", "patronymic", "birth_date", "service_number", "unit", "rank", "sex"}

// level is the detailed outcome of comparing one field; several levels map
// to the reported Outcome "partial".
type level uint8

const (
	lvMissing level = iota
	lvAgree
	lvTypo     // names: one or two edits apart (Jaro–Winkler ≥ 0.9 or edit distance 1)
	lvInitial  // names: an initial that fits the other side's name
	lvSwapDM   // date: day and month swapped
	lvOneDigit // date: one digit wrong or two adjacent digits transposed
	lvYear     // date: one side knows only the year (or year and month), and it agrees
	lvDisagree
)

func (l level) outcome() Outcome {
	switch l {
	case lvMissing:
		return OutcomeMissing
	case lvAgree:
		return OutcomeAgree
	case lvDisagree:
		return OutcomeDisagree
	}
	return OutcomePartial
}

func (l level) detail() string {
	switch l {
	case lvTypo:
		return "typo"
	case lvInitial:
		return "initial"
	case lvSwapDM:
		return "day/month swapped"
	case lvOneDigit:
		return "one digit differs"
	case lvYear:
		return "year only"
	}
	return ""
}

// code is the outcome of a level as a reason code.
func (l level) code() string {
	switch l {
	case lvAgree:
		return "agree"
	case lvTypo:
		return "typo"
	case lvInitial:
		return "initial"
	case lvSwapDM:
		return "day_month_swapped"
	case lvOneDigit:
		return "one_digit"
	case lvYear:
		return "year_only"
	case lvDisagree:
		return "disagree"
	}
	return "missing"
}

// rule returns the review rule that a comparison meets, or "".
func (c *comparison) rule() Rule {
	sur, given, patr, dob := c.lv[fSurname], c.lv[fGiven], c.lv[fPatronymic], c.lv[fBirthDate]
	near := func(l level) bool { return l == lvAgree || l == lvTypo }
	slips := 0
	for _, l := range [...]level{sur, given, patr} {
		if l == lvTypo {
			slips++
		}
	}
	dateNear := dob == lvAgree || dob == lvSwapDM || dob == lvOneDigit
	switch {
	case dob != lvDisagree && c.lv[fServiceNumber] != lvDisagree && slips <= 1 && near(sur) && (near(given) || (given == lvInitial && sur == lvAgree)) && patr != lvDisagree:
		// Every name part known on both sides agrees, or its initial
		// fits, but for at most one slip of the pen; nothing known of the
		// date of birth or the service number speaks against it (a number
		// one slip off is partial, not disagreeing). A namesake whose
		// number differs is another person as surely as one born on
		// another date.
		return RuleFullName
	case near(sur) && (near(given) || given == lvInitial) && dateNear && (patr != lvDisagree || dob == lvAgree):
		// A patronymic naming another father is the one name part that
		// tells namesakes apart, and true pairs almost never show it
		// (2 in 10,000 on the generator, against 8 in 10 of other
		// persons): with it, only a date agreeing to the day still
		// makes the candidate plausible. A date merely near (swapped,
		// one digit off) agrees by chance with some record of a common
		// surname and given name in a registry of a million.
		return RuleNamesBirthDate
	case c.lv[fServiceNumber] == lvAgree:
		return RuleServiceNumber
	}
	return ""
}

// reasons lists the reason codes of a comparison (see Candidate.Reasons).
func (c *comparison) reasons(rule Rule) []string {
	out := make([]string, 0, numFields+2)
	if c.swapped {
		out = append(out, "name_order_swapped")
	}
	for i, lv := range c.lv {
		if lv != lvMissing {
			out = append(out, fieldNames[i]+":"+lv.code())
		}
	}
	if rule != "" {
		out = append(out, "rule:"+string(rule))
	}
	return out
}

// comparison is the outcome of comparing a list record with one registry
// record in one name order.
type comparison struct {
	lv      [numFields]level
	w       [numFields]float64
	total   float64
	swapped bool
}

// freqs gives the share of registry records that carry a name class or a
// date of birth, for weighting agreement on it (agreement on a rare surname
// says more than agreement on Шевченко).
type freqs interface {
	surnameShare(cls string) float64
	givenShare(cls string) float64
	patronymicShare(cls string) float64
	dateShare(dob uint32) float64
}

func log2(x float64) float64 { return math.Log2(x) }

// agreeWeight is log2(m/u) with u the share of the value in the registry,
// floored so that a value seen once still counts as a fact, not a miracle.
func agreeWeight(m, share, minU float64) float64 {
	return log2(m / math.Max(share, minU))
}

func compare(l, r *prepared, w *Weights, f freqs) comparison {
	var c comparison
	set := func(i int, lv level, weight float64) { c.lv[i], c.w[i] = lv, weight; c.total += weight }

	// Surname.
	switch {
	case l.sur == "" || r.sur == "":
		set(fSurname, lvMissing, 0)
	case l.surC == r.surC || l.sur == r.sur:
		set(fSurname, lvAgree, agreeWeight(w.SurnameAgreeM, f.surnameShare(r.surC), w.NameMinU))
	case nameTypo(l.sur, r.sur, r.surC, l.surKnown):
		set(fSurname, lvTypo, w.SurnamePartial)
	default:
		set(fSurname, lvDisagree, w.SurnameDisagree)
	}

	// Given name.
	switch {
	case (l.given == "" && !l.givenIsInit) || (r.given == "" && !r.givenIsInit):
		set(fGiven, lvMissing, 0)
	case l.givenIsInit || r.givenIsInit:
		if initialFits(l, r, false) {
			set(fGiven, lvInitial, w.GivenInitial)
		} else {
			set(fGiven, lvDisagree, w.GivenDisagree)
		}
	case l.givenC == r.givenC || l.given == r.given:
		set(fGiven, lvAgree, agreeWeight(w.GivenAgreeM, f.givenShare(r.givenC), w.NameMinU))
	case nameTypo(l.given, r.given, r.givenC, l.givenKnown):
		set(fGiven, lvTypo, w.GivenPartial)
	default:
		set(fGiven, lvDisagree, w.GivenDisagree)
	}

	// Patronymic, compared through the father's given name.
	switch {
	case (l.patr == "" && !l.patrIsInit) || (r.patr == "" && !r.patrIsInit):
		set(fPatronymic, lvMissing, 0)
	case l.patrIsInit || r.patrIsInit:
		if initialFits(l, r, true) {
			set(fPatronymic, lvInitial, w.PatronymicInitial)
		} else {
			set(fPatronymic, lvDisagree, w.PatronymicDisagree)
		}
	case l.patrC == r.patrC || l.patr == r.patr:
		set(fPatronymic, lvAgree, agreeWeight(w.PatronymicAgreeM, f.patronymicShare(r.patrC), w.NameMinU))
	case nameTypo(l.patr, r.patr, r.patrCls, l.patrKnown):
		set(fPatronymic, lvTypo, w.PatronymicPartial)
	default:
		set(fPatronymic, lvDisagree, w.PatronymicDisagree)
	}

	// Date of birth.
	switch lv := compareDates(l.dob, r.dob); lv {
	case lvMissing:
		set(fBirthDate, lvMissing, 0)
	case lvAgree:
		set(fBirthDate, lvAgree, agreeWeight(w.BirthDateAgreeM, f.dateShare(r.dob), w.BirthDateMinU))
	case lvSwapDM:
		set(fBirthDate, lv, w.BirthDateSwapped)
	case lvOneDigit:
		set(fBirthDate, lv, w.BirthDateOneDigit)
	case lvYear:
		set(fBirthDate, lv, w.BirthDateYear)
	default:
		set(fBirthDate, lvDisagree, w.BirthDateDisagree)
	}

	// Service number.
	switch {
	case l.svc == "" || r.svc == "":
		set(fServiceNumber, lvMissing, 0)
	case l.svc == r.svc:
		set(fServiceNumber, lvAgree, w.ServiceNumberAgree)
	case osaWithin1(l.svc, r.svc):
		set(fServiceNumber, lvTypo, w.ServiceNumberPartial)
	default:
		set(fServiceNumber, lvDisagree, w.ServiceNumberDisagree)
	}

	// Unit and rank: weak evidence, the other side may record them
	// differently.
	switch {
	case l.unit == "" || r.unit == "":
		set(fUnit, lvMissing, 0)
	case l.unit == r.unit:
		set(fUnit, lvAgree, w.UnitAgree)
	default:
		set(fUnit, lvDisagree, w.UnitDisagree)
	}
	switch {
	case l.rank == "" || r.rank == "":
		set(fRank, lvMissing, 0)
	case l.rank == r.rank || names.JaroWinkler(l.rank, r.rank) >= 0.85:
		set(fRank, lvAgree, w.RankAgree)
	default:
		set(fRank, lvDisagree, w.RankDisagree)
	}
	switch {
	case l.sex == 0 || r.sex == 0:
		set(fSex, lvMissing, 0)
	case l.sex == r.sex:
		set(fSex, lvAgree, 0)
	default:
		set(fSex, lvDisagree, w.SexDisagree)
	}
	return c
}

// initialFits compares a given name or patronymic where at least one side
// is only an initial: the initial must be among the possible first letters
// of the other side's name (О or А for Олексій/Алексей).
func initialFits(l, r *prepared, patr bool) bool {
	li, ri := l.givenInit, r.givenInit
	if patr {
		li, ri = l.patrInit, r.patrInit
	}
	if li == "" || ri == "" {
		return false
	}
	for i := 0; i < len(li); i++ {
		for j := 0; j < len(ri); j++ {
			if li[i] == ri[j] {
				return true
			}
		}
	}
	return false
}

// nameTypo reports whether two name skeletons are a typo apart. A list name
// that the name table does not know may be a misspelling of another
// language's form, so it is compared also with every known form of the
// registry name's class (a misspelt Russian form against a Ukrainian
// registry entry).
func nameTypo(a, b, bClass string, aKnown bool) bool {
	if typoLike(a, b) {
		return true
	}
	if aKnown {
		return false
	}
	for _, k := range names.ClassKeys(bClass) {
		if k != b && typoLike(a, k) {
			return true
		}
	}
	return false
}

// typoLike reports whether two skeletons are a typo apart: one edit, or two
// for names of six letters or more (one Cyrillic letter can be two letters
// of a skeleton: я is "ia"), or a Jaro–Winkler similarity of at least 0.9.
func typoLike(a, b string) bool {
	if d := len(a) - len(b); d > 2 || d < -2 {
		return false
	}
	if osaWithin1(a, b) {
		return true
	}
	if bagDistance(a, b) > 2 {
		return false // more than two letters differ: neither two edits nor a high Jaro–Winkler
	}
	if min(len(a), len(b)) >= 6 && osaDistance(a, b) <= 2 {
		return true
	}
	if deletionCollapses(a, b) || deletionCollapses(b, a) {
		return true
	}
	return len(a) >= 5 && len(b) >= 5 && names.JaroWinkler(a, b) >= 0.9
}

// deletionCollapses reports whether deleting one letter of long and
// collapsing the doubled letters that this makes gives short. A skeleton
// collapses doubled letters, so one slip of the pen can be two edits of the
// skeleton: Зимин written Зиин is "zimin" against "zin", Бабаев written
// Ббаев is "babaev" against "baev".
func deletionCollapses(long, short string) bool {
	if d := len(long) - len(short); d < 1 || d > 2 {
		return false
	}
	var buf [64]byte
	if len(long) > len(buf) {
		return false
	}
	for i := 0; i < len(long); i++ {
		if i > 0 && long[i] == long[i-1] {
			continue // the same deletion as the one before
		}
		w := append(append(buf[:0], long[:i]...), long[i+1:]...)
		if string(collapseBytes(w)) == short {
			return true
		}
	}
	return false
}

// collapseBytes collapses runs of a repeated letter in place.
func collapseBytes(w []byte) []byte {
	if len(w) < 2 {
		return w
	}
	j := 1
	for i := 1; i < len(w); i++ {
		if w[i] != w[j-1] {
			w[j] = w[i]
			j++
		}
	}
	return w[:j]
}

// nameSlip reports whether the surname (field fSurname) or the first given
// name (fGiven) of a list row and a registry record, as written, are one
// letter apart; swapped compares the list row with its given name and
// surname exchanged. A skeleton may turn one letter into two (я is "ia", ц
// is "ts") or fold a doubled one: Франк written for Франя, Валерицй for
// Валерий are one letter apart but more of the skeleton.
func nameSlip(l, r *person.Person, field int, swapped bool) bool {
	ls, lg, _ := nameParts(l)
	rs, rg, _ := nameParts(r)
	if swapped {
		ls, lg = lg, ls
	}
	a, b := ls, rs
	if field == fGiven {
		a, b = firstWord(lg), firstWord(rg)
	}
	fa, fb := foldLetters(a), foldLetters(b)
	if len(fa) < 3 || len(fb) < 3 {
		return false
	}
	return within1(fa, fb)
}

func firstWord(s string) string {
	if w := strings.Fields(s); len(w) > 0 {
		return w[0]
	}
	return ""
}

// surnameSlip is nameSlip of the surnames.
func surnameSlip(l, r *person.Person) bool { return nameSlip(l, r, fSurname, false) }

// foldLetters lower-cases a name and folds the letters that Russian and
// Ukrainian spell differently (е є э ё, и і ї ы й), dropping apostrophes,
// soft signs and hyphens.
func foldLetters(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ё', 'є', 'э':
			r = 'е'
		case 'і', 'ї', 'ы', 'й', 'i':
			r = 'и'
		case '\'', '’', 'ʼ', '`', 'ь', 'ъ', '-', ' ':
			continue
		}
		out = append(out, r)
	}
	return out
}

// within1 reports whether a and b are at most one edit apart (insertion,
// deletion, substitution or transposition of neighbours).
func within1(a, b []rune) bool {
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	if i == la && i == lb {
		return true
	}
	switch {
	case la == lb:
		if slices.Equal(a[i+1:], b[i+1:]) {
			return true
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && slices.Equal(a[i+2:], b[i+2:])
	case la > lb:
		return slices.Equal(a[i+1:], b[i:])
	default:
		return slices.Equal(a[i:], b[i+1:])
	}
}

// bagDistance counts the letters that one string has and the other lacks
// (the larger of the two counts); it is a lower bound of the edit distance
// and cheap to compute.
func bagDistance(a, b string) int {
	var counts [128]int8
	for i := 0; i < len(a); i++ {
		counts[a[i]&127]++
	}
	for i := 0; i < len(b); i++ {
		counts[b[i]&127]--
	}
	pos, neg := 0, 0
	for _, c := range counts {
		if c > 0 {
			pos += int(c)
		} else {
			neg -= int(c)
		}
	}
	return max(pos, neg)
}

// osaDistance is the optimal string alignment distance (Levenshtein with
// transpositions of neighbours) of two short strings.
func osaDistance(a, b string) int {
	const maxLen = 40
	if len(a) > maxLen || len(b) > maxLen {
		return max(len(a), len(b))
	}
	var rows [3][maxLen + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// osaWithin1 reports whether a and b are at most one edit apart (insertion,
// deletion, substitution or transposition of neighbours).
func osaWithin1(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	switch {
	case la == lb:
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // transposition
	case la > lb:
		return a[i+1:] == b[i:]
	default:
		return a[i:] == b[i+1:]
	}
}

// compareDates compares two packed dates of birth.
func compareDates(a, b uint32) level {
	if a == 0 || b == 0 {
		return lvMissing
	}
	if a == b {
		ay, am, ad := unpackDate(a)
		if am != 0 && ad != 0 {
			return lvAgree
		}
		_ = ay
		return lvYear
	}
	ay, am, ad := unpackDate(a)
	by, bm, bd := unpackDate(b)
	if am == 0 || bm == 0 || ad == 0 || bd == 0 {
		// At least one side is partial: compatible when what both know agrees.
		if ay == by && (am == 0 || bm == 0 || am == bm) && (ad == 0 || bd == 0 || ad == bd) {
			return lvYear
		}
		return lvDisagree
	}
	if ay == by && am == bd && ad == bm {
		return lvSwapDM
	}
	if digitsOneApart(ay*10000+am*100+ad, by*10000+bm*100+bd) {
		return lvOneDigit
	}
	return lvDisagree
}

// digitsOneApart reports whether two eight-digit numbers (YYYYMMDD) differ
// in exactly one digit or by one transposition of neighbouring digits.
func digitsOneApart(a, b int) bool {
	var da, db [8]int
	for i := 7; i >= 0; i-- {
		da[i], db[i] = a%10, b%10
		a, b = a/10, b/10
	}
	var diff []int
	for i := range da {
		if da[i] != db[i] {
			diff = append(diff, i)
			if len(diff) > 2 {
				return false
			}
		}
	}
	switch len(diff) {
	case 1:
		return true
	case 2:
		i, j := diff[0], diff[1]
		return j == i+1 && da[i] == db[j] && da[j] == db[i]
	}
	return false
}

// sameEntry reports whether two registry records are one person entered
// twice, as registries fed from several sources hold them (one of them in
// Latin letters, or with a slip in the surname): the same full date of
// birth; surname and given name agreeing in any script or language; the
// patronymic agreeing where both give it; at most one slip of the pen, and
// only when both give all three names; and no service number or sex that
// disagrees. Two such records do not compete for a list row: a row that
// fits them both fits one person. Namesakes born the same day whose service
// numbers differ stay two persons, and a row that cannot tell them apart
// goes to review.
func sameEntry(a, b *prepared, w *Weights, f freqs) bool {
	if a.dob == 0 || a.dob != b.dob || a.dob&31 == 0 || a.dob>>5&15 == 0 {
		return false
	}
	c := compare(a, b, w, f)
	slips := 0
	for _, i := range [...]int{fSurname, fGiven, fPatronymic} {
		switch c.lv[i] {
		case lvAgree:
		case lvTypo:
			slips++
		case lvMissing:
			if i != fPatronymic {
				return false
			}
		default:
			return false
		}
	}
	if slips > 1 || (slips == 1 && c.lv[fPatronymic] == lvMissing) {
		return false
	}
	return c.lv[fServiceNumber] != lvDisagree && c.lv[fSex] != lvDisagree
}
