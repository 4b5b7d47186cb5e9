package service_test

import (
	"testing"

	"parley/internal/parties"
	"parley/internal/service"
	"parley/internal/translit"
)

func TestRomanizationFollowsSpelling(t *testing.T) {
	ua := parties.Party{ID: "B", Translit: "ua2010"}
	ru := parties.Party{ID: "A", Translit: "icao"}
	gost := parties.Party{ID: "C", Translit: "ua2010", TranslitRU: "gost-b"}
	tests := []struct {
		party parties.Party
		names []string
		want  translit.System
		given string
	}{
		{ua, []string{"Шевченко", "Сергей", "Иванович"}, translit.ICAO, "Sergei"},
		{ua, []string{"Коваленко", "Сергій", "Іванович"}, translit.UA2010, "Serhii"},
		{ru, []string{"Коваленко", "Сергій", "Миколайович"}, translit.UA2010, "Serhii"},
		{ua, []string{"Мельник", "Олег", ""}, translit.UA2010, "Oleh"},
		{ru, []string{"Мельник", "Олег", ""}, translit.ICAO, "Oleg"},
		{ua, []string{"Пушкарёв", "Олег", ""}, translit.ICAO, "Oleg"},
		{gost, []string{"Эйхман", "Фёдор", ""}, translit.GOSTB, ""},
	}
	for _, tt := range tests {
		got := service.RomanizationSystem(tt.party, tt.names...)
		if got != tt.want {
			t.Errorf("%v for party %s: %s, want %s", tt.names, tt.party.ID, got, tt.want)
		}
		if tt.given != "" {
			if r := translit.Romanize(got, tt.names[1]); r != tt.given {
				t.Errorf("%s romanized %q, want %q", tt.names[1], r, tt.given)
			}
		}
	}
}
