package negotiation

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"parley/internal/msg"
	"parley/internal/person"
)

func loadList(t *testing.T, path string) []Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entries []Entry `json:"entries"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc.Entries
}

func TestConform(t *testing.T) {
	entries := loadList(t, "testdata/list_june.json")
	ref := date("2025-06-07")
	istanbul := Criteria{Categories: []string{"wounded", "seriously_ill"}, AgeMin: 18, AgeMax: 25, RefDate: ref, Kinds: []person.Kind{person.KindPOW}}
	tests := []struct {
		name string
		c    Criteria
		want []Nonconformity
	}{
		{"wounded, sick, or aged 18–25", istanbul, []Nonconformity{
			{3, "Бондаренко Ігор", []string{"in none of the categories wounded, seriously_ill", "aged 46 on 2025-06-07, outside 18–25"}, nil},
			{4, "Ткаченко Юрій", []string{"in none of the categories wounded, seriously_ill", "aged 34 on 2025-06-07, outside 18–25"}, nil},
			{6, "Мельник Анна", []string{"kind civilian is not among the agreed kinds pow"}, nil},
			{7, "Олійник Павло", []string{"in none of the categories wounded, seriously_ill", "date of birth 1999 is incomplete; age on 2025-06-07 cannot be checked against 18–25"}, nil},
			{8, "Шевченко Тарас", []string{"in none of the categories wounded, seriously_ill", "date of birth unknown; age on 2025-06-07 cannot be checked against 18–25"}, nil},
			{10, "Гончар Ілля", []string{"in none of the categories wounded, seriously_ill", "aged 26 on 2025-06-07, outside 18–25"}, nil},
		}},
		{"youth label tested against the date of birth", Criteria{Categories: []string{"поранений", "тяжело болен", "юность"}, RefDate: ref}, []Nonconformity{
			{2, "Коваленко Олег", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
			{3, "Бондаренко Ігор", []string{"labelled youth but aged 46 on 2025-06-07 (youth is 18–25)"}, nil},
			{4, "Ткаченко Юрій", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
			{6, "Мельник Анна", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
			{7, "Олійник Павло", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
			{8, "Шевченко Тарас", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
			{10, "Гончар Ілля", []string{"in none of the categories wounded, seriously_ill, youth"}, nil},
		}},
		{"bracket without a reference date", Criteria{AgeMax: 25, Kinds: []person.Kind{person.KindPOW, person.KindCivilian}, Categories: []string{"wounded", "seriously_ill", "youth"}}, []Nonconformity{
			{2, "Коваленко Олег", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
			{4, "Ткаченко Юрій", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
			{6, "Мельник Анна", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
			{7, "Олійник Павло", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
			{8, "Шевченко Тарас", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
			{10, "Гончар Ілля", []string{"in none of the categories wounded, seriously_ill, youth", "age bracket at most 25 cannot be applied without a complete reference date"}, nil},
		}},
		{"no criteria: everyone fits", Criteria{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Conform(entries, tt.c, nil)
			for i := range got {
				if len(got[i].Why) != len(got[i].Reasons) {
					t.Errorf("row %d: %d messages for %d reasons", got[i].Row, len(got[i].Why), len(got[i].Reasons))
				}
				got[i].Why = nil // the English text is compared; TestConformInLanguages renders the messages
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Conform():\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestConformInLanguages renders the findings in Ukrainian and Russian:
// category and kind labels, dates the local way, no English left.
func TestConformInLanguages(t *testing.T) {
	entries := loadList(t, "testdata/list_june.json")
	c := Criteria{Categories: []string{"wounded", "seriously_ill"}, AgeMin: 18, AgeMax: 25, RefDate: date("2025-06-07"), Kinds: []person.Kind{person.KindPOW}}
	got := Conform(entries, c, nil)
	want := map[string]map[int]string{
		"uk": {3: "не належить до жодної з категорій: поранені, важкохворі; на 07.06.2025 має 46 р., поза межею 18–25", 6: "вид «цивільний» не входить до погоджених видів: військовополонений"},
		"ru": {3: "не входит ни в одну из категорий: раненые, тяжелобольные; на 07.06.2025 ему 46 л., вне границы 18–25", 6: "вид «гражданский» не входит в согласованные виды: военнопленный"},
	}
	for lang, rows := range want {
		for _, n := range got {
			w, ok := rows[n.Row]
			if !ok {
				continue
			}
			if text := msg.Join(lang, n.Why); text != w {
				t.Errorf("%s row %d: %q, want %q", lang, n.Row, text, w)
			}
		}
	}
}

func TestConformRows(t *testing.T) {
	entries := loadList(t, "testdata/list_june.json")
	ref := date("2025-06-07")
	tests := []struct {
		name string
		c    Criteria
		want []int
	}{
		{"lower bound only", Criteria{AgeMin: 40, RefDate: ref}, []int{2, 4, 5, 6, 7, 8, 9, 10}},
		{"upper bound only", Criteria{AgeMax: 25, RefDate: ref}, []int{1, 3, 4, 5, 7, 8, 10}},
		{"kinds only", Criteria{Kinds: []person.Kind{person.KindCivilian}}, []int{1, 2, 3, 4, 5, 7, 8, 9, 10}},
		{"birthday on the reference day counts", Criteria{AgeMin: 26, AgeMax: 26, RefDate: ref}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"empty bracket fits nobody by age", Criteria{AgeMin: 30, AgeMax: 20, RefDate: ref}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, n := range Conform(entries, tt.c, nil) {
				got = append(got, n.Row)
				if len(n.Reasons) == 0 {
					t.Errorf("row %d without reasons", n.Row)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCriteriaValidate(t *testing.T) {
	tests := []struct {
		c  Criteria
		ok bool
	}{
		{Criteria{Categories: []string{"wounded", "тяжело болен"}, AgeMin: 18, AgeMax: 25, RefDate: date("2025-06-02")}, true},
		{Criteria{}, true},
		{Criteria{AgeMin: 25, AgeMax: 18, RefDate: date("2025-06-02")}, false},
		{Criteria{AgeMin: 18}, false},
		{Criteria{AgeMax: -1}, false},
		{Criteria{Kinds: []person.Kind{"alien"}}, false},
		{Criteria{Categories: []string{"pilots"}}, false},
	}
	for _, tt := range tests {
		if err := tt.c.Validate(nil); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", tt.c, err, tt.ok)
		}
	}
}
