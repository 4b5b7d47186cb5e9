// Package families holds the rules for family inquiries: what a family
// registers about a missing relative, the reference code and secret with
// which it comes back, the links between an inquiry and the persons on
// handed-over lists, the short status a family may see, and the public
// figures that may be published without exposing anyone.
//
// The rules follow the Third Geneva Convention: families are told about
// their own relative (Art. 70, Art. 122, and the neutral information agency
// of Art. 123), and nobody else's data is exposed to public curiosity
// (Art. 13). Three consequences shape this package:
//
//   - A family sees a short status only (see Status): never the list, never
//     another person, never the matching score.
//   - A status is shown only once an officer of the relative's own side has
//     confirmed the link between the inquiry and a list entry (see Link):
//     the matching engine proposes, a responsible person decides.
//   - Published figures are counts only, and every count below a threshold
//     is suppressed (see Figures), as statistical offices do for small cells.
//
// The package has no storage and no network code; package service stores
// inquiries and package familyweb serves them.
package families
