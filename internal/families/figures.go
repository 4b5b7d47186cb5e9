package families

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// DefaultThreshold is the smallest count that public figures show; smaller
// counts are published as "< 10". Ten is a common rule of statistical
// offices for tables about persons: a small cell can single out people
// whom a reader knows (Art. 13: protection from public curiosity).
const DefaultThreshold = 10

// Cell is one published count: its value, or only the fact that it is
// below the threshold.
type Cell struct {
	Count      int  // meaningless when Suppressed
	Suppressed bool // the count is below Below, or would reveal one that is
	Below      int  // the threshold in force
}

// String returns the count, or "< threshold" when suppressed.
func (c Cell) String() string {
	if c.Suppressed {
		return "< " + strconv.Itoa(c.Below)
	}
	return strconv.Itoa(c.Count)
}

// MarshalJSON writes {"count": n} or {"suppressed": true, "below": 10};
// a suppressed cell never carries its value.
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.Suppressed {
		return json.Marshal(struct {
			Suppressed bool `json:"suppressed"`
			Below      int  `json:"below"`
		}{true, c.Below})
	}
	return json.Marshal(struct {
		Count int `json:"count"`
	}{c.Count})
}

// JSONSchema describes what MarshalJSON writes, for API documents.
func (Cell) JSONSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "object", "required": []any{"count"}, "additionalProperties": false,
			"properties": map[string]any{"count": map[string]any{"type": "integer"}}},
		map[string]any{"type": "object", "required": []any{"suppressed", "below"}, "additionalProperties": false,
			"properties": map[string]any{"suppressed": map[string]any{"const": true}, "below": map[string]any{"type": "integer"}}},
	}}
}

// Suppress publishes one count.
func Suppress(n, threshold int) Cell {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if n > 0 && n < threshold {
		return Cell{Suppressed: true, Below: threshold}
	}
	return Cell{Count: n, Below: threshold}
}

// Row is one labelled cell of a table.
type Row struct {
	Key  string `json:"key"`
	Cell Cell   `json:"value"`
}

// SuppressPartition publishes counts that add up to a published total (the
// persons listed, split by list state): every count below the threshold is
// suppressed, and when exactly one is, the smallest remaining non-zero
// count is suppressed as well, because the total minus the others would
// give the hidden one away (complementary suppression). A count of zero is
// published: it reveals nobody.
func SuppressPartition(keys []string, counts []int, threshold int) []Row {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	rows := make([]Row, len(keys))
	hidden := 0
	for i, k := range keys {
		rows[i] = Row{Key: k, Cell: Suppress(counts[i], threshold)}
		if rows[i].Cell.Suppressed {
			hidden++
		}
	}
	if hidden == 1 {
		best := -1
		for i := range rows {
			if !rows[i].Cell.Suppressed && counts[i] > 0 && (best < 0 || counts[i] < counts[best]) {
				best = i
			}
		}
		if best >= 0 {
			rows[best].Cell = Cell{Suppressed: true, Below: threshold}
		}
	}
	return rows
}

// Point is one point of a published time series: the running total on a
// day.
type Point struct {
	Date  string `json:"date"` // YYYY-MM-DD
	Total int    `json:"total"`
}

// Dated is a count of persons on a day, an input of SafeSeries.
type Dated struct {
	Day   time.Time
	Count int
}

// SafeSeries turns dated counts into a running total that is safe to
// publish: a point is shown only once the total has grown by at least the
// threshold since the last point shown, so that no difference between two
// published points counts fewer persons than the threshold. What has not
// yet reached the threshold appears in a later point; a remainder after the
// last point is merged into it (the point moves to the last day and shows
// the whole total), so that the published total minus the last point does
// not reveal a small count either.
func SafeSeries(events []Dated, threshold int) []Point {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	byDay := map[string]int{}
	for _, e := range events {
		if e.Count > 0 && !e.Day.IsZero() {
			byDay[DateString(e.Day)] += e.Count
		}
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	var out []Point
	total, shown := 0, 0
	for _, d := range days {
		total += byDay[d]
		if total-shown >= threshold {
			out = append(out, Point{Date: d, Total: total})
			shown = total
		}
	}
	if len(out) > 0 && total > shown {
		out[len(out)-1] = Point{Date: days[len(days)-1], Total: total}
	}
	return out
}

// Figures are the public, aggregate figures: counts only, no names, every
// small cell suppressed.
type Figures struct {
	Threshold   int       `json:"threshold"`
	GeneratedAt time.Time `json:"generated_at"`

	// Lists: persons on the lists that have been handed over, counting the
	// latest handed-over version of each list.
	Lists       Cell  `json:"lists"`
	Listed      Cell  `json:"listed"`
	ByCategory  []Row `json:"by_category"`   // a person may be in several
	ByListState []Row `json:"by_list_state"` // adds up to Listed
	Agreed      Cell  `json:"agreed"`        // list entries in an agreed stage
	Repatriated Cell  `json:"repatriated"`   // list entries repatriated

	// Stages: one row per agreed stage of an exchange with the persons it
	// includes and those handed over. Empty until exchange stages are
	// recorded.
	Stages []StageFigure `json:"stages"`

	// Inquiries: family inquiries registered, and how many have a
	// confirmed status, by status.
	Inquiries         Cell  `json:"inquiries"`
	InquiriesByStatus []Row `json:"inquiries_by_status"`

	ListedOverTime      []Point `json:"listed_over_time"`
	RepatriatedOverTime []Point `json:"repatriated_over_time"`
}

// StageFigure counts one stage of an exchange.
type StageFigure struct {
	Stage       string `json:"stage"`
	Date        string `json:"date,omitempty"`
	Agreed      Cell   `json:"agreed"`
	HandedOver  Cell   `json:"handed_over"`
	Repatriated Cell   `json:"repatriated"`
}

// FigureCounts are the raw counts from which Figures are published. They
// never leave the server.
type FigureCounts struct {
	Lists             int
	ListedByState     map[string]int // handed_over, acknowledged
	ListedByCategory  map[string]int // category code, or "" for none
	Agreed            int
	Repatriated       int
	InquiriesByStatus map[Status]int
	Stages            []StageCounts
	ListedOn          []Dated
	RepatriatedOn     []Dated
}

// StageCounts are the raw counts of one stage.
type StageCounts struct {
	Stage                           string
	Date                            time.Time
	Agreed, HandedOver, Repatriated int
}

// Publish applies the threshold to raw counts.
func (c FigureCounts) Publish(threshold int, now time.Time) *Figures {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	f := &Figures{Threshold: threshold, GeneratedAt: now.UTC().Truncate(time.Second)}
	f.Lists = Cell{Count: c.Lists, Below: threshold} // lists are not persons
	listed := 0
	states := []string{"handed_over", "acknowledged"}
	var stateCounts []int
	for _, s := range states {
		stateCounts = append(stateCounts, c.ListedByState[s])
		listed += c.ListedByState[s]
	}
	f.Listed = Suppress(listed, threshold)
	f.ByListState = SuppressPartition(states, stateCounts, threshold)
	cats := make([]string, 0, len(c.ListedByCategory))
	for k := range c.ListedByCategory {
		cats = append(cats, k)
	}
	sort.Slice(cats, func(i, j int) bool {
		if (cats[i] == "") != (cats[j] == "") {
			return cats[j] == "" // "no category" last
		}
		return cats[i] < cats[j]
	})
	// Categories overlap (a person may be wounded and young), but when
	// nobody is in two of them they add up to the total like a partition;
	// suppress them as one.
	catCounts := make([]int, len(cats))
	for i, k := range cats {
		catCounts[i] = c.ListedByCategory[k]
	}
	f.ByCategory = SuppressPartition(cats, catCounts, threshold)
	f.Agreed = Suppress(c.Agreed, threshold)
	f.Repatriated = Suppress(c.Repatriated, threshold)
	total := 0
	var stKeys []string
	var stCounts []int
	for _, s := range Statuses() {
		stKeys = append(stKeys, string(s))
		stCounts = append(stCounts, c.InquiriesByStatus[s])
		total += c.InquiriesByStatus[s]
	}
	f.Inquiries = Suppress(total, threshold)
	f.InquiriesByStatus = SuppressPartition(stKeys, stCounts, threshold)
	for _, s := range c.Stages {
		f.Stages = append(f.Stages, StageFigure{
			Stage: s.Stage, Date: DateString(s.Date),
			Agreed: Suppress(s.Agreed, threshold), HandedOver: Suppress(s.HandedOver, threshold), Repatriated: Suppress(s.Repatriated, threshold),
		})
	}
	f.ListedOverTime = SafeSeries(c.ListedOn, threshold)
	f.RepatriatedOverTime = SafeSeries(c.RepatriatedOn, threshold)
	if f.ListedOverTime == nil {
		f.ListedOverTime = []Point{}
	}
	if f.RepatriatedOverTime == nil {
		f.RepatriatedOverTime = []Point{}
	}
	if f.Stages == nil {
		f.Stages = []StageFigure{}
	}
	return f
}
