package person

import (
	"encoding/json"
	"fmt"
	"parley/internal/msg"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date that may be known only in part. Art. 17 of the
// Third Geneva Convention asks for a "date of birth" in so far as available,
// and real records often hold only a year or a year and month; a partial date
// is kept as partial rather than padded with invented days.
type Date struct {
	Year  int // 0 when unknown
	Month int // 1–12, 0 when unknown
	Day   int // 1–31, 0 when unknown
}

// IsZero reports whether nothing of the date is known.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// Complete reports whether year, month and day are all known.
func (d Date) Complete() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// String formats the date as ISO 8601 at the precision known:
// "1970", "1970-01" or "1970-01-02"; "" when unknown.
func (d Date) String() string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	default:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
}

// Time returns the date as midnight UTC; ok is false unless the date is complete.
func (d Date) Time() (t time.Time, ok bool) {
	if !d.Complete() {
		return time.Time{}, false
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC), true
}

// NewDate builds a complete date and checks that it exists in the calendar.
func NewDate(year, month, day int) (Date, error) {
	d := Date{Year: year, Month: month, Day: day}
	if err := d.Validate(); err != nil {
		return Date{}, err
	}
	return d, nil
}

// Validate checks that the known parts form a real calendar date.
func (d Date) Validate() error {
	if d.IsZero() {
		return nil
	}
	if d.Year < 1800 || d.Year > 2200 {
		return msg.NewError(nil, "date.year_out_of_range", "year", msg.Raw(strconv.Itoa(d.Year)))
	}
	if d.Month == 0 {
		if d.Day != 0 {
			return msg.NewError(nil, "date.day_without_month")
		}
		return nil
	}
	if d.Month < 1 || d.Month > 12 {
		return msg.NewError(nil, "date.month_not_exist", "month", msg.Plain(d.Month))
	}
	if d.Day == 0 {
		return nil
	}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	if t.Year() != d.Year || int(t.Month()) != d.Month || t.Day() != d.Day {
		return msg.NewError(nil, "date.not_exist", "date", msg.CalendarDate{Y: d.Year, M: d.Month, D: d.Day})
	}
	return nil
}

// ParseISODate parses the ISO forms that String produces ("", "YYYY",
// "YYYY-MM", "YYYY-MM-DD").
func ParseISODate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return Date{}, fmt.Errorf("%q is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)", s)
	}
	var nums [3]int
	for i, p := range parts {
		if (i > 0 && len(p) != 2) || !allDigits(p) {
			return Date{}, fmt.Errorf("%q is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)", s)
		}
		nums[i], _ = strconv.Atoi(p)
	}
	d := Date{Year: nums[0], Month: nums[1], Day: nums[2]}
	if err := d.Validate(); err != nil {
		return Date{}, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// AgeOn returns the age in whole years on the reference date; ok is false
// when the date of birth or the reference is not complete.
func (d Date) AgeOn(ref Date) (age int, ok bool) {
	if !d.Complete() || !ref.Complete() {
		return 0, false
	}
	age = ref.Year - d.Year
	if ref.Month < d.Month || (ref.Month == d.Month && ref.Day < d.Day) {
		age--
	}
	return age, true
}

// Before reports whether d is strictly earlier than o, comparing the known
// parts (an unknown part sorts first).
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// MarshalJSON encodes the date as its ISO string ("" when unknown).
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// JSONSchema describes what MarshalJSON writes, for API documents.
func (Date) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^([0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?$`, "description": "ISO date, as far as it is known: YYYY-MM-DD, YYYY-MM, YYYY, or empty when unknown"}
}

// UnmarshalJSON accepts the ISO string forms.
//
// A plain quoted string, what MarshalJSON writes, is taken as it is: a
// nested json.Unmarshal for each date was a tenth of decoding a page of
// stored list entries. Anything else goes through the decoder.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && plainJSONString(b[1:n-1]) {
		s = string(b[1 : n-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string: %w", err)
	}
	v, err := ParseISODate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// plainJSONString reports whether b, the inside of a JSON string, holds
// no escape, quote or control character, so it reads as it is.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return true
}

// FromTime converts a time to a complete Date in UTC.
func FromTime(t time.Time) Date {
	t = t.UTC()
	return Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}
