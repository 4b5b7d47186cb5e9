// Package matching finds, for each person on a list received from the other
// party, the record of the same person in one's own registry of missing
// people, across scripts (Cyrillic, Latin), languages (Ukrainian, Russian)
// and the errors of real lists: typos, missing patronymics, initials, given
// name and surname swapped, day and month of birth swapped, a wrong digit.
//
// # Method
//
// Records are compared field by field in the manner of Fellegi and Sunter
// (1969): each field's outcome (agree, partial, disagree, missing) adds its
// weight log2(m/u), where m is the probability of that outcome when the two
// records are the same person and u when they are not. A missing field adds
// nothing. Agreement on a surname, given name, patronymic or date of birth
// is weighted by how common the value is in the registry: u is the share of
// registry records that carry it, so that agreement on a rare surname counts
// more than agreement on Шевченко.
//
// The summed weight W of a candidate is turned into a probability that the
// candidate is the person, by Bayes' rule over all candidates of the list
// row: with p the expected share of list rows present in the registry
// (Config.PriorPresent) and N the registry size, each registry record is a
// priori the person with probability p/N, so
//
//	score(c) = 2^W(c)·p/N / ((1−p) + Σ_j 2^W(j)·p/N)
//
// The score is between 0 and 1, falls when two candidates fit equally well
// (neither can then be more than about 0.5), and the thresholds read as
// probabilities under the model. The model is cautious: field agreements
// are treated as independent and the prior as even, so on generated data
// fewer than one in a thousand rows scoring 0.9 or more was a wrong match.
// A decision of review is never a match; it asks a person to look.
//
// # Review rules
//
// A score is a probability under the model, and in a registry of a million
// with its namesakes a true pair can score low for reasons the model rightly
// cannot resolve: the list lacks the date of birth and two records carry the
// same full name, or a slip in the surname meets a date one digit off. Such
// a row must still be shown to a person, because a record no reviewer sees
// is a family never told. So a row whose candidates (the best three) include
// one that meets a Rule — the full name agreeing as far as both sides give
// it, with at most one slip and no disagreeing date or service number
// (RuleFullName); surname
// and given name within a slip with a date of birth that agrees, also
// swapped or one digit off (RuleNamesBirthDate); an agreeing service number
// (RuleServiceNumber) — goes at least to review, whatever its score. Every
// candidate carries reason codes ("surname:typo", "birth_date:one_digit",
// "rule:full_name") for the reader's language to word. None is left only
// for rows with no plausible candidate.
//
// # A person entered twice
//
// Registries fed from several sources hold some persons twice, once in
// Latin letters or with a slip in the surname. Two records with the same
// full date of birth and the same name (in any script, with at most one
// slip), whose service numbers and sex do not disagree, are taken for one
// person: a list row that fits both is that person with the sum of their
// probabilities, instead of two candidates of about 0.5 each that would
// send a clear match to review (Result.SameEntries, reason "same_entry").
// Namesakes that something recorded tells apart stay separate candidates,
// and a row that fits several of them equally (typically a list row without
// a date of birth) is a review by necessity: only a person can choose.
//
// # Calibration
//
// DefaultWeights were set with data from package gen, whose noise model is
// documented there and follows the kinds of errors reported in real
// exchange lists. "go run ./bench/matching -calibrate" counts, for each
// field and outcome, its share among true pairs (m) and among the
// candidates that blocking proposes for other persons (u):
//
//   - The m of agreement on surname, given name, patronymic and date of
//     birth (0.80–0.90) are those shares, rounded down. Their u is not a
//     constant: it is the share of the value in the registry being matched.
//   - Disagreement is some 500 times rarer among true pairs than among
//     others (about −9). It is capped at −5 to −8 so that one wrong field,
//     which real lists have more often than any model, cannot alone veto a
//     match that the other fields support.
//   - Partial outcomes (a typo, an initial, day and month swapped, one
//     wrong digit, a year only) lie between agreement and nothing, after
//     how rare each is between different persons of a registry.
//   - Unit and rank are weak on purpose (+2 and +0.5): the generator spreads
//     units evenly, but a real unit holds hundreds of people, and the other
//     side records rank and unit in its own terms.
//
// The thresholds (match ≥ 0.9, review ≥ 0.5) keep precision above 0.999 at
// the match threshold on that data and on the variant (gen.Variant) that the
// weights were not calibrated on, and Config.PriorPresent is 0.5, not
// the generator's 0.85, so as not to assume that a list is mostly known.
// No weights are estimated from the data being matched (there is no EM
// step): the command line uses these defaults, which keeps results
// reproducible and explainable.
//
// # Scale
//
// Records are never compared pair by pair across the whole registry. An
// Index generates candidates by blocking keys (surname class with
// given-name class; surname with a given-name initial; service number; the
// first three letters of the surname with the date of birth, day and month
// in either order; that date with the given-name class; a Soundex-like code
// of the surname with the given-name class, or with an initial when only
// that is known; the given-name class with the year of birth for partial
// dates; the surname skeleton and each skeleton one letter shorter with the
// given-name class, which finds a surname slip when the date cannot; the
// first letter of the surname with the date), each tried in both name
// orders, and compares only those. The index is a single sorted array of
// 64-bit words, the key's hash in the high bits and the record in the low
// ones, eight bytes per key and about eighteen keys per record; building it
// and matching run on all cores.
package matching

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"parley/internal/msg"
	"parley/internal/person"
)

// Decision is what to do with a list row.
type Decision string

// The decisions.
const (
	DecisionMatch  Decision = "match"  // the registry row is the person
	DecisionReview Decision = "review" // a person must look; never a match
	DecisionNone   Decision = "none"   // no registry row fits well enough
)

// Outcome is the result of comparing one field.
type Outcome string

// The outcomes.
const (
	OutcomeAgree    Outcome = "agree"
	OutcomePartial  Outcome = "partial" // a typo, an initial, a swapped day and month, a wrong digit, a year only
	OutcomeDisagree Outcome = "disagree"
	OutcomeMissing  Outcome = "missing" // unknown on at least one side; neutral
)

// FieldComparison is the outcome of one field for the best candidate.
type FieldComparison struct {
	Field   string  // surname, given, patronymic, birth_date, service_number, unit, rank, sex
	Outcome Outcome // agree, partial, disagree or missing
	Weight  float64 // log2 likelihood ratio added to the score
	Detail  string  // e.g. "Сергей≈Сергій", "day/month swapped", "initial", "typo"
}

// Candidate is a registry row considered for a list row.
type Candidate struct {
	RegistryIndex int
	Score         float64
	// Reasons say why, as codes for the reader's language to word: one
	// "field:outcome" per field known on both sides ("surname:typo",
	// "birth_date:day_month_swapped", "given:agree"), "name_order_swapped"
	// when the row fits only with given name and surname exchanged, and
	// "rule:<Rule>" when the candidate is plausible by a review rule.
	Reasons []string
	// Rule is the review rule the candidate meets, or "".
	Rule Rule
	// SameAsBest is set when the registry row records the same person as
	// the best candidate: the same full date of birth and full name, in
	// another script or with one slip (reason "same_entry").
	SameAsBest bool
}

// Rule names a kind of agreement that makes a candidate plausible whatever
// its score: a row with such a candidate is never left at none, because a
// person whose record no reviewer sees is a family never told. The score
// still decides between match and review.
type Rule string

// The review rules.
const (
	// RuleFullName: every name part that both sides give agrees (in any
	// script or language), or is an initial that fits, but for at most one
	// slip of the pen (a typo, a letter left out); the surname is given on
	// both sides and the given name too, at least as an initial of an
	// agreeing surname. The date of birth and the service number, if both
	// give them, do not disagree. A person whose date of birth the list lacks scores low
	// against a registry with namesakes, and only a reviewer can tell them
	// apart.
	RuleFullName Rule = "full_name"
	// RuleNamesBirthDate: surname and given name each agree or are one
	// slip apart (the given name may be an initial that fits), and the date
	// of birth agrees, also with day and month swapped or one digit
	// differing; with swapped or one digit off, the patronymic must not
	// name another father.
	RuleNamesBirthDate Rule = "names_birth_date"
	// RuleServiceNumber: the service number agrees.
	RuleServiceNumber Rule = "service_number"
)

// Result is the outcome for one list row.
type Result struct {
	ListIndex int
	// RegistryIndex is the best registry row when the decision is match or
	// review, and -1 when it is none.
	RegistryIndex int
	// Score is the probability, by the model, that the best candidate is the
	// person (also reported when the decision is none), summed over the
	// records of that person when the registry holds him twice
	// (SameEntries).
	Score    float64
	Decision Decision
	// Fields compares the list row with its best candidate (even when the
	// decision is none); empty when there was no candidate at all.
	Fields []FieldComparison
	// Candidates are the best registry rows, best first, at most three,
	// each with its reasons.
	Candidates []Candidate
	// Rule is set when the decision is review only because a candidate
	// meets a review rule (its score alone would have been none).
	Rule Rule
	// NameOrderSwapped is set when the list row fits the best candidate with
	// its given name and surname exchanged.
	NameOrderSwapped bool
	// SameEntries are the other candidates that record the best
	// candidate's person a second time: they do not compete with it.
	SameEntries []int
	// AlsoBestFor lists other list rows whose best registry row is the same
	// (a registry person cannot be two listed persons: at least one of them
	// needs a second look).
	AlsoBestFor []int
}

// Reason describes briefly which fields agreed and which did not, for
// example "surname agree; given agree (Сергей≈Сергій); patronymic agree;
// birth_date day/month swapped; service_number missing". Rows are numbered
// from 1 in the order of the slices given to Match.
func (r Result) Reason() string { return r.Describe(nil, false) }

// Describe is Reasons in English, joined with "; ": what the command
// line's match report and the logs show.
func (r Result) Describe(rowName func(list bool, index int) string, explain bool) string {
	return msg.Join(msg.English, r.Reasons(rowName, explain))
}

// Reasons says why the result is what it is, as messages of the catalogue
// (package msg), so that each reader gets them in his language: "surname
// typo (Шевчнеко~Шевченко); given agree (Сергей≈Сергій)". rowName names a
// list row (list true) or registry row by index; nil numbers them from 1.
// With explain every field is given, with its weight.
func (r Result) Reasons(rowName func(list bool, index int) string, explain bool) []msg.Msg {
	if rowName == nil {
		rowName = func(_ bool, i int) string { return strconv.Itoa(i + 1) }
	}
	var parts []msg.Msg
	if len(r.Fields) == 0 {
		return []msg.Msg{msg.New("match.no_candidate")}
	}
	if r.Decision == DecisionNone && len(r.Candidates) > 0 {
		parts = append(parts, msg.New("match.best_candidate", "row", msg.Raw(rowName(false, r.Candidates[0].RegistryIndex)), "score", msg.Float{V: r.Candidates[0].Score, Prec: 4}))
	}
	if r.Rule != "" {
		parts = append(parts, msg.New("match.review_rule", "rule", msg.Enum{Kind: "review_rule", Code: string(r.Rule)}))
	}
	if r.NameOrderSwapped {
		parts = append(parts, msg.New("match.name_swapped"))
	}
	if len(r.SameEntries) > 0 {
		var rows []string
		for _, k := range r.SameEntries {
			rows = append(rows, rowName(false, k))
		}
		parts = append(parts, msg.New("match.same_entry", "rows", msg.Raw(strings.Join(rows, ", "))))
	}
	for _, f := range r.Fields {
		if !explain && f.Outcome == OutcomeMissing && f.Field != "birth_date" && f.Field != "service_number" && f.Field != "patronymic" {
			continue // keep the brief reason brief: unit, rank and sex are weak evidence
		}
		field := msg.Enum{Kind: "match_field", Code: f.Field}
		outcome := msg.Enum{Kind: "match_outcome", Code: string(f.Outcome)}
		var m msg.Msg
		switch word, spellings, hasSpellings := strings.Cut(f.Detail, ": "); {
		case f.Outcome == OutcomePartial && hasSpellings:
			m = msg.New("match.field_detail_spellings", "field", field, "detail", detailEnum(word), "spellings", msg.Raw(spellings)) // "surname typo (Шевчнеко~Шевченко)"
		case f.Outcome == OutcomePartial && f.Detail != "":
			m = msg.New("match.field_detail", "field", field, "detail", detailEnum(f.Detail)) // "birth_date day/month swapped"
		case f.Detail != "":
			m = msg.New("match.field_outcome_spellings", "field", field, "outcome", outcome, "spellings", msg.Raw(f.Detail)) // "given agree (Сергей≈Сергій)"
		default:
			m = msg.New("match.field_outcome", "field", field, "outcome", outcome)
		}
		if explain {
			m = msg.New("match.weighted", "reason", m, "weight", msg.Raw(fmt.Sprintf("%+.1f", f.Weight)))
		}
		parts = append(parts, m)
	}
	if n := len(r.AlsoBestFor); n > 0 {
		var rows []string
		for _, k := range r.AlsoBestFor[:min(n, 3)] {
			rows = append(rows, rowName(true, k))
		}
		if n > 3 {
			parts = append(parts, msg.New("match.also_best_for_more", "rows", msg.Raw(strings.Join(rows, ", ")), "more", n-3))
		} else {
			parts = append(parts, msg.New("match.also_best_for", "rows", msg.Raw(strings.Join(rows, ", "))))
		}
	}
	if len(r.Candidates) > 1 && (explain || r.Candidates[1].Score >= 0.05) {
		var alt []string
		for _, c := range r.Candidates[1:] {
			alt = append(alt, fmt.Sprintf("%s (%.4f)", rowName(false, c.RegistryIndex), c.Score))
		}
		parts = append(parts, msg.New("match.other_candidates", "rows", msg.Raw(strings.Join(alt, ", "))))
	}
	return parts
}

// detailCodes name the details of a partial agreement in the catalogue.
var detailCodes = map[string]string{"typo": "typo", "initial": "initial", "day/month swapped": "day_month_swapped", "one digit differs": "one_digit", "year only": "year_only"}

func detailEnum(word string) msg.Enum {
	if c, ok := detailCodes[word]; ok {
		return msg.Enum{Kind: "match_detail", Code: c}
	}
	return msg.Enum{Kind: "match_detail", Code: word}
}

// Weights are the Fellegi–Sunter weights, log2(m/u), per field and outcome.
// Agreement on names and on the date of birth is not a fixed weight: it is
// log2(m/u) with the given m and u the share of registry records carrying
// the value (at least the given minimum).
type Weights struct {
	SurnameAgreeM, GivenAgreeM, PatronymicAgreeM float64 // m of agreement; u from the registry
	NameMinU                                     float64 // floor of u for names

	SurnamePartial, SurnameDisagree                          float64
	GivenPartial, GivenInitial, GivenDisagree                float64
	PatronymicPartial, PatronymicInitial, PatronymicDisagree float64

	BirthDateAgreeM, BirthDateMinU                                        float64 // exact date: m, and the floor of u
	BirthDateSwapped, BirthDateOneDigit, BirthDateYear, BirthDateDisagree float64

	ServiceNumberAgree, ServiceNumberPartial, ServiceNumberDisagree float64
	UnitAgree, UnitDisagree                                         float64
	RankAgree, RankDisagree                                         float64
	SexDisagree                                                     float64

	// NameOrderSwapped is added when the list row fits only with its given
	// name and surname exchanged: log2 of how often lists do that.
	NameOrderSwapped float64
}

// DefaultWeights returns the calibrated weights (see the package
// documentation for how they were calibrated).
func DefaultWeights() Weights {
	return Weights{
		SurnameAgreeM: 0.90, GivenAgreeM: 0.90, PatronymicAgreeM: 0.80,
		NameMinU:       1e-6,
		SurnamePartial: 6, SurnameDisagree: -7,
		GivenPartial: 3, GivenInitial: 3, GivenDisagree: -6,
		PatronymicPartial: 3, PatronymicInitial: 2.5, PatronymicDisagree: -5,
		BirthDateAgreeM: 0.85, BirthDateMinU: 1e-5,
		BirthDateSwapped: 8, BirthDateOneDigit: 6, BirthDateYear: 4, BirthDateDisagree: -8,
		ServiceNumberAgree: 16, ServiceNumberPartial: 8, ServiceNumberDisagree: -5,
		UnitAgree: 2, UnitDisagree: -0.5,
		RankAgree: 0.5, RankDisagree: -0.5,
		SexDisagree:      -6,
		NameOrderSwapped: -4,
	}
}

// Config controls matching. Start from DefaultConfig and change what is
// needed: a zero Weights would weigh nothing.
type Config struct {
	// A row is a match when its best candidate scores at least
	// MatchThreshold, and goes to review when it scores at least
	// ReviewThreshold.
	MatchThreshold, ReviewThreshold float64
	Weights                         Weights
	// PriorPresent is the share of list rows expected to be in the
	// registry, between 0 and 1 exclusive.
	PriorPresent float64
	// MaxBlock is the largest block of candidates one blocking key may
	// bring; larger blocks (a very common surname with a common initial in
	// a huge registry) are skipped in favour of the more selective keys.
	// Zero means the default.
	MaxBlock int
	// Workers is the number of goroutines; 0 means one per CPU.
	Workers int
}

// DefaultConfig returns the calibrated configuration.
func DefaultConfig() Config {
	return Config{
		MatchThreshold:  0.9,
		ReviewThreshold: 0.5,
		Weights:         DefaultWeights(),
		PriorPresent:    0.5,
		MaxBlock:        5000,
	}
}

func (c Config) check() error {
	if c.PriorPresent <= 0 || c.PriorPresent >= 1 {
		return fmt.Errorf("prior share of present rows %v must be between 0 and 1 exclusive", c.PriorPresent)
	}
	if c.MatchThreshold < c.ReviewThreshold {
		return fmt.Errorf("match threshold %v is below review threshold %v", c.MatchThreshold, c.ReviewThreshold)
	}
	if c.MatchThreshold <= 0 || c.MatchThreshold > 1 || c.ReviewThreshold < 0 {
		return fmt.Errorf("thresholds must lie in 0..1 (match %v, review %v)", c.MatchThreshold, c.ReviewThreshold)
	}
	return nil
}

// Match finds, for every list row, its best registry row. The results are
// in list order, one per list row. progress, if not nil, is called from time
// to time with the number of list rows done (never concurrently).
func Match(ctx context.Context, list, registry []person.Person, cfg Config, progress func(done, total int)) ([]Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ix := newIndex(registry, cfg.Workers)
	return ix.MatchAll(ctx, list, cfg, progress)
}
