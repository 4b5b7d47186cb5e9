// Package nodetest holds the integration tests of Parley's three modes: a
// hub and two party nodes, each a real parley process on loopback, talking
// HTTP to each other as they do in production. The package has no code of
// its own; its tests build the parley binary once per run and drive it
// through its command line, its HTTP endpoints and its databases.
//
// The tests spawn processes and take tens of seconds; -short skips them.
package nodetest
