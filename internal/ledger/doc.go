// Package ledger is Parley's trust layer: a tamper-evident, signed and
// independently verifiable log of every event of an exchange (a list handed
// over or acknowledged, a proposal, an agreement, the outcome of a
// hand-over, a key added).
//
// The parties of an exchange do not trust each other, and they need not
// trust the mediator who runs the server either. Each of them must be able
// to prove what it handed over and when, and to detect whether anyone
// altered, removed or reordered anything afterwards. The log gives them
// that with public, well-reviewed formats rather than home-made ones:
//
//   - Entries are the leaves of an RFC 6962 Merkle tree (SHA-256), stored in
//     the layout of golang.org/x/mod/sumdb/tlog.
//   - After every append the mediator signs a C2SP tlog-checkpoint as a C2SP
//     signed note (Ed25519), with the log's origin as key name.
//   - Each party runs a witness (C2SP tlog-witness, add-checkpoint) that
//     cosigns a checkpoint (C2SP tlog-cosignature v1) only after verifying
//     that it is consistent with the last one it saw. A checkpoint that
//     carries the cosignatures the parties' policy requires is "agreed": no
//     one can later show one party a different history than the other.
//   - The log is served read-only as C2SP tlog-tiles, so that any client
//     (for example transparency-dev/tessera's client and fsck) can fetch
//     and verify it without Parley's code.
//   - Personal data never enters an entry: each person is committed by a
//     salted hash, the commitments form a small Merkle tree whose root the
//     entry carries, and the salts (the "openings") stay private in the
//     database. The log can thus be shown to observers and to the public
//     (GC III Art. 13: no public curiosity), while a party can open one
//     commitment to settle a dispute about one person.
//
// Entries are appended inside the caller's database transaction, together
// with the state change they record: either both happen or neither does.
// The storage is an interface (Storage, ReadStorage) so that this package
// does not depend on the database adapter.
//
// The formats are specified in docs/log-format.md.
package ledger
