// Package negotiation holds the rules by which two parties weigh what each
// releases in one stage of an exchange, and the pure functions that check a
// stage against its rule, test a list against the agreed approach, move a
// proposal through its states and plan a stage from two lists.
//
// Nothing here stores or serves anything: every type serialises to JSON with
// snake_case names so that storage and the HTTP layer can keep and show it as
// it is.
//
// The rules follow the practice of exchanges: one for one, one for one in
// each category, all for all within named categories, a scale of equivalents
// by rank (the "cartels" of older wars), and the unilateral direct
// repatriation of the seriously wounded and seriously sick that Art. 109 and
// 110 of the Third Geneva Convention require "regardless of number or rank".
//
// Prisoners of war, civilian detainees and remains are counted each against
// their own kind. An agreement may count prisoners of war and civilian
// detainees together (the exchange of 16 May 2025 counted 1,000 for 1,000
// "including civilians"), but remains are only ever counted against remains:
// a body is not a living person.
package negotiation
