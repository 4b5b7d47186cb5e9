package families

import (
	"testing"
	"time"
)

// TestRelationshipInEveryLanguage: a family may write its relation to the
// person in English, Ukrainian or Russian, as a code or a word; each is
// stored as the code, and anything else is refused.
func TestRelationshipInEveryLanguage(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"parent", "parent"}, {"mother", "parent"}, {"мати", "parent"}, {"мать", "parent"}, {"Батько", "parent"}, {"отец", "parent"},
		{"spouse", "spouse"}, {"wife", "spouse"}, {"дружина", "spouse"}, {"жена", "spouse"}, {"чоловік", "spouse"}, {"муж", "spouse"},
		{"child", "child"}, {"son", "child"}, {"син", "child"}, {"сын", "child"}, {"донька", "child"}, {"дочь", "child"}, {"ребёнок", "child"},
		{"sibling", "sibling"}, {"brother", "sibling"}, {"брат", "sibling"}, {"сестра", "sibling"},
		{"grandparent", "grandparent"}, {"grandmother", "grandparent"}, {"бабуся", "grandparent"}, {"дедушка", "grandparent"},
		{"other_relative", "other_relative"}, {"Other relative", "other_relative"}, {"інший родич", "other_relative"}, {"другой родственник", "other_relative"}, {"племянник", "other_relative"},
		{"other", "other"}, {"інше", "other"}, {"другое", "other"},
		{"сусід", ""}, {"neighbour", ""}, {"", ""},
	}
	for _, tt := range tests {
		got, ok := ParseRelationship(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("ParseRelationship(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	opts := ValidateOptions{Parties: []string{"A", "B"}, Today: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	for _, word := range []string{"mother", "мати", "мать"} {
		r := valid()
		r.Relationship = word
		q, err := r.Build(opts, SourceWeb)
		if err != nil || q.Relationship != "parent" {
			t.Errorf("inquiry with relationship %q: %v, %+v", word, err, q)
		}
	}
	r := valid()
	r.Relationship = "сусід"
	if _, err := r.Build(opts, SourceWeb); err == nil {
		t.Error("an unknown relationship was accepted")
	}
}
