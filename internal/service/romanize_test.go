package service_test

import (
	"testing"

	"parley/internal/service"
	"parley/internal/store"
	"parley/internal/translit"
)

func TestRomanizationFollowsSpelling(t *testing.T) {
	ua := store.Party{ID: "B", Translit: "ua2010"}
	ru := store.Party{ID: "A", Translit: "icao"}
	gost := store.Party{ID: "C", Translit: "ua2010", TranslitRU: "gost-b"}
	tests := []struct {
		party store.Party
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
