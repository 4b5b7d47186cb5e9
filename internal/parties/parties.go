// Package parties names the sides of an exchange: who they are, which
// languages they write and how their names are romanized. It is a leaf of
// the domain: storage keeps parties, the service returns them, the front
// ends show them.
package parties

// Party is one side of an exchange.
type Party struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Languages []string `json:"languages,omitempty"`
	// Translit names the romanization system of the party's country, used
	// for the Latin names of its persons (see package translit).
	Translit string `json:"translit,omitempty"`
	// TranslitRU is the system for names written in Russian spelling (""
	// means ICAO Doc 9303, as in Russian passports).
	TranslitRU string `json:"translit_ru,omitempty"`
}
